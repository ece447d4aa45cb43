"""Human output: findings grouped by file with the offending line, then a summary per severity.

File names are relative to the working directory (`compliance lint deploy/` shows `deploy/clusters/…`), so
a terminal or an editor opens them as they are; the JSON, SARIF and other formats keep root-relative paths.
"""

from __future__ import annotations

import io
import os
import re
from itertools import groupby
from typing import TYPE_CHECKING

from compliance.model.findings import Severity
from compliance.report import ReportData, coverage_text, not_run_text, releases_text, scanned_text, summary
from compliance.report.common import command_safe
from compliance.yaml.spelling import spell

if TYPE_CHECKING:
    from rich.console import Console

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\n\u2028\u2029]")


def _safe(text: str) -> str:
    """Rich-escaped text with control characters shown, not obeyed (no terminal or CI-command injection)."""
    from rich.markup import escape

    return escape(_CONTROL.sub(lambda match: repr(match.group())[1:-1], text))


STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _source_line(root: str, path: str, line: int, cache: dict[str, list[str]]) -> str | None:
    if path not in cache:
        from compliance.load.files import read_inside

        # never through a link out of the root, nor from a FIFO: the finding may be about exactly that
        data = read_inside(root, path)
        cache[path] = data.decode("utf-8", errors="replace").splitlines() if data is not None else []
    lines = cache[path]
    return lines[line - 1] if 0 < line <= len(lines) else None


def _clip(line: str, column: int, room: int = 160) -> str:
    """A very long line (minified or hostile input) shown around the column, not in full."""
    if len(line) <= room:
        return line
    start = max(0, min(column - 1 - room // 4, len(line) - room))
    return ("…" if start else "") + line[start : start + room] + ("…" if start + room < len(line) else "")


def shown_path(root: str, path: str) -> str:
    """A root-relative path as the user can open it: relative to the working directory (editors and terminals
    jump to `path:line:col` from there), '/'-separated; as it is when the root is not a folder (`--manifests -`)."""
    if not os.path.isdir(root):
        return path
    try:
        shown = os.path.relpath(os.path.join(root, path))
    except ValueError:  # another drive (Windows)
        return path
    return shown.replace(os.sep, "/")


def render(data: ReportData, color: bool, width: int = 100) -> str:
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=color, no_color=not color, width=width, highlight=False, soft_wrap=True
    )
    findings, root = data.findings, data.root
    show = data.extra.get("show_severity")  # `--show-severity`/`--quiet`: the least severe finding listed
    threshold = Severity(show).rank if isinstance(show, str) else Severity.INFO.rank
    listed = [f for f in findings if f.severity.rank >= threshold]
    cache: dict[str, list[str]] = {}
    for path, group in groupby(listed, key=lambda f: f.location.path):
        shown = shown_path(root, path)
        console.print(f"[bold underline]{_safe(command_safe(shown))}[/]")  # a line of its own: never `::cmd::`
        for finding in group:
            loc = finding.location
            where = f" [dim]\\[{_safe(finding.cluster)}][/]" if finding.cluster else ""
            console.print(
                f"  {loc.line}:{loc.column}  [{STYLE[finding.severity]}]{finding.severity.value:<7}[/] "
                f"[bold]{finding.rule}[/] {_safe(finding.message)}{where}"
            )
            source = _source_line(root, path, loc.line, cache)
            if source is not None and source.strip():
                console.print(f"      [dim]{loc.line:>4} |[/] {_safe(_clip(source.rstrip(), loc.column))}")
            for step in finding.trace[1:]:
                at = step.location
                place = f"{shown_path(root, at.path)}:{at.line}:{at.column}"
                console.print(f"      [dim]overrode {_safe(place)} ({_safe(spell(step.value))})[/]")
        console.print()
    counts = summary(findings)
    parts = [f"[{STYLE[s]}]{counts[s.value]} {s.value}{'s' if counts[s.value] != 1 else ''}[/]" for s in Severity]
    suppressed = f"; {len(data.suppressed)} suppressed" if data.suppressed else ""
    console.print(f"scanned {scanned_text(data)}; {coverage_text(data)}")
    if data.repos:
        console.print(_safe(releases_text(data)))
    if not_run := not_run_text(data):
        console.print(f"[yellow]not run (not passed): {_safe(not_run)}[/]")
    console.print(f"{len(findings)} finding{'s' if len(findings) != 1 else ''}: " + ", ".join(parts) + suppressed)
    if len(listed) < len(findings):
        console.print(f"{len(findings) - len(listed)} below {show} not listed (--show-severity info lists them)")
    diff = data.extra.get("diff_base")
    if isinstance(diff, dict):
        console.print(
            f"compared with {_safe(str(diff['ref']))} ({str(diff['commit'])[:12]}): {diff['new']} new, "
            f"{diff['unchanged']} unchanged (not shown), {diff['fixed']} fixed"
        )
    known = data.extra.get("baseline")
    if isinstance(known, dict):
        console.print(f"baseline: {known['new']} new, {known['known']} known (not shown), {known['fixed']} fixed")
    for finding in data.fixed:
        where = f" [dim]\\[{_safe(finding.cluster)}][/]" if finding.cluster else ""
        loc = finding.location
        place = _safe(f"{shown_path(root, loc.path)}:{loc.line}:{loc.column}")
        console.print(f"  [green]fixed[/] [bold]{finding.rule}[/] {place} {_safe(finding.message)}{where}")
    _gate(console, data)
    return buffer.getvalue()


def _gate(console: Console, data: ReportData) -> None:
    """Who chose the configuration, and each setting that weakens the gate (`compliance.governance.gatesettings`)."""
    from compliance.governance.gatesettings import GateSettings

    gate = data.extra.get("gate")
    if not isinstance(gate, GateSettings):
        return
    if gate.note:
        console.print(_safe(gate.note))
    if gate.weakenings:
        console.print(f"[bold yellow]{_safe(gate.headline)}:[/]")
        for weakening in gate.weakenings:
            console.print(f"  [yellow]{_safe(weakening.text)}[/]")
