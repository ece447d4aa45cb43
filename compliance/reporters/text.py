"""Human output: findings grouped by file with the offending line, then a summary per severity."""

from __future__ import annotations

import io
import os
from itertools import groupby

from compliance.findings import Severity
from compliance.reporters import ReportData, summary

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _source_line(root: str, path: str, line: int, cache: dict[str, list[str]]) -> str | None:
    if path not in cache:
        try:
            with open(os.path.join(root, path), encoding="utf-8", errors="replace") as handle:
                cache[path] = handle.read().splitlines()
        except OSError:
            cache[path] = []
    lines = cache[path]
    return lines[line - 1] if 0 < line <= len(lines) else None


def render(data: ReportData, color: bool, width: int = 100) -> str:
    from rich.console import Console
    from rich.markup import escape

    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=color, no_color=not color, width=width, highlight=False, soft_wrap=True
    )
    findings, root = data.findings, data.root
    cache: dict[str, list[str]] = {}
    for path, group in groupby(findings, key=lambda f: f.location.path):
        console.print(f"[bold underline]{escape(path)}[/]")
        for finding in group:
            loc = finding.location
            where = f" [dim]\\[{escape(finding.cluster)}][/]" if finding.cluster else ""
            console.print(
                f"  {loc.line}:{loc.column}  [{STYLE[finding.severity]}]{finding.severity.value:<7}[/] "
                f"[bold]{finding.rule}[/] {escape(finding.message)}{where}"
            )
            source = _source_line(root, path, loc.line, cache)
            if source is not None and source.strip():
                console.print(f"      [dim]{loc.line:>4} |[/] {escape(source.rstrip())}")
            for step in finding.trace[1:]:
                console.print(f"      [dim]overrode {escape(str(step.location))} ({escape(repr(step.value))})[/]")
        console.print()
    counts = summary(findings)
    parts = [f"[{STYLE[s]}]{counts[s.value]} {s.value}{'s' if counts[s.value] != 1 else ''}[/]" for s in Severity]
    console.print(f"{len(findings)} finding{'s' if len(findings) != 1 else ''}: " + ", ".join(parts))
    return buffer.getvalue()
