"""GitHub Actions workflow commands: one `::error file=…,line=…,col=…,title=…::message` annotation per finding.

Everything a finding carries comes from the linted files, so it is escaped as the runner decodes it: a value
with a line break must never start a workflow command of its own.
"""

from __future__ import annotations

import re

from compliance.model.findings import Finding, Severity
from compliance.report import ReportData
from compliance.report.common import SourceRoot, source_root, step_text

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def escape_data(text: str) -> str:
    """GitHub's escaping, plus control characters (ESC, NUL, ...) shown as \\xNN, never passed to the log."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(finding: Finding, root: SourceRoot, titles: dict[str, str]) -> str:
    loc = finding.location
    title = f"{finding.rule} {titles[finding.rule]}" if finding.rule in titles else finding.rule
    properties = {"file": root.path(loc), "line": str(loc.line), "col": str(loc.column), "title": title}
    lines = [finding.message]
    context = [
        f"{name} {value}" for name, value in (("cluster", finding.cluster), ("blueprint", finding.blueprint)) if value
    ]
    if context:
        lines.append(", ".join(context))
    lines += [f"{step_text(s.role, s.value)} at {root.path(s.location)}:{s.location.line}" for s in finding.trace[1:]]
    fields = ",".join(f"{name}={escape_property(value)}" for name, value in properties.items())
    message = escape_data("\n".join(lines))
    return f"::{COMMAND[finding.severity]} {fields}::{message}\n"


def _gate(data: ReportData, root: SourceRoot) -> str:
    """A `::warning` per setting that weakens the gate (on its config line when in the checkout), a
    `::notice` saying who chose the configuration when it is not the repository's."""
    from compliance.governance.gatesettings import GateSettings

    gate = data.extra.get("gate")
    if not isinstance(gate, GateSettings):
        return ""
    lines = []
    if gate.note:
        lines.append(f"::notice title=compliance configuration::{escape_data(gate.note)}\n")
    for weakening in gate.weakenings:
        properties = {"title": "compliance gate weakened"}
        if weakening.location is not None:
            where = weakening.location
            properties = {"file": root.path(where), "line": str(where.line), "col": str(where.column), **properties}
        fields = ",".join(f"{name}={escape_property(value)}" for name, value in properties.items())
        lines.append(f"::warning {fields}::{escape_data(weakening.text)}\n")
    return "".join(lines)


def render(data: ReportData, color: bool = False) -> str:
    root = source_root(data.root)
    titles = {spec.id: spec.title for spec in data.rules}
    return "".join(_annotation(finding, root, titles) for finding in data.findings) + _gate(data, root)
