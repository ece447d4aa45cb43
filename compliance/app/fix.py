"""`compliance fix`: lint, apply the fixes the findings carry (`compliance.fix`), lint again, say what is left.

Three modes: write the fixed files (atomically, in rounds until nothing more changes: a fix that overlapped
another is made in the next round), `diff` (print a unified diff, write nothing) and `check` (the diff, and
exit 1 when a fix would change something: for CI). Writing exits 1 when findings at or above fail-on are
left, as `lint` would.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import replace

from compliance.app.lint import fails
from compliance.app.outcome import EXIT_FINDINGS, EXIT_OK, Outcome, Output
from compliance.app.run import RunRequest, build_run
from compliance.fix import Applied, Planned, Sources, apply, plan
from compliance.model.findings import Finding
from compliance.output import write_atomic
from compliance.records import record

ROUNDS = 5  # overlapping fixes wait a round; more rounds than this mean fixes that undo each other


@record
class FixRequest:
    run: RunRequest  # renderer "none": no fixable rule judges rendered manifests
    diff: bool = False
    check: bool = False
    fix_dag: bool = False
    prefer: str = "chart"  # VER001: whose version wins, "chart" or "blueprint"
    fail_on: str | None = None

    @property
    def modes(self) -> tuple[str, ...]:
        return (f"prefer-{self.prefer}", *(("fix-dag",) if self.fix_dag else ()))


def fix(request: FixRequest) -> Outcome:
    run = build_run(request.run)
    root = run.lint.repo.root
    if request.diff or request.check:
        applied = _round(root, run.lint.findings, request.modes)
        text = _report(applied) + "".join(_diff(path, *pair) for path, pair in sorted(applied.files.items()))
        changes = bool(applied.files)
        code = EXIT_FINDINGS if request.check and changes else EXIT_OK
        if request.check and not changes:
            text += "compliance: nothing to fix\n"
        return Outcome((Output(text),), exit_code=code)
    lines: list[str] = []
    written: set[str] = set()
    for _ in range(ROUNDS):
        applied = _round(root, run.lint.findings, request.modes)
        lines.append(_report(applied, skipped=not applied.files))
        if not applied.files:
            break
        for path, (_, after) in sorted(applied.files.items()):
            write_atomic(os.path.join(root, *path.split("/")), after)
            written.add(path)
        run = build_run(replace(request.run, path=root))
    left = run.lint.findings
    summary = f"compliance: fixed {len(written)} file(s); {len(left)} finding(s) left\n"
    text = "".join(lines) + "".join(f"{_where(f)}: {f.rule} {f.message}\n" for f in left) + summary
    return Outcome((Output(text),), exit_code=EXIT_FINDINGS if fails((run.lint,), left, request.fail_on) else EXIT_OK)


def _round(root: str, findings: tuple[Finding, ...], modes: tuple[str, ...]) -> Applied:
    sources = Sources(root)
    return apply(root, plan(root, findings, modes, sources), sources)


def _where(finding: Finding) -> str:
    cluster = f" [{finding.cluster}]" if finding.cluster else ""
    return f"{finding.location}{cluster}"


def _report(applied: Applied, skipped: bool = True) -> str:
    made = {(p.finding.rule, p.fix.description) for p in applied.made}
    lines = [f"fixed {rule}: {description}\n" for rule, description in sorted(made)]
    if skipped:
        lines += sorted({f"not fixed {_line(p)}\n" for p in applied.skipped})
    return "".join(lines)


def _line(planned: Planned) -> str:
    return f"{_where(planned.finding)}: {planned.finding.rule}: {planned.fix.description}: {planned.skipped}"


def _diff(path: str, before: bytes, after: bytes) -> str:
    old = before.decode("utf-8").splitlines(keepends=True)
    new = after.decode("utf-8").splitlines(keepends=True)
    lines = difflib.unified_diff(old, new, f"a/{path}", f"b/{path}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
