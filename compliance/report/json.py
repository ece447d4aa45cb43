"""The JSON report: `tool`, `findings`, `summary` (the machine-readable contract)."""

from __future__ import annotations

import json
from typing import Any

from compliance import __version__
from compliance.governance.exceptions import Suppressed
from compliance.model.findings import Finding, TraceStep
from compliance.report import ReportData, coverage_dict, summary


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return str(value)


def trace_dict(step: TraceStep) -> dict[str, Any]:
    loc = step.location
    return {"role": step.role, "path": loc.path, "line": loc.line, "column": loc.column, "value": _jsonable(step.value)}


def finding_dict(finding: Finding) -> dict[str, Any]:
    loc = finding.location
    return {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "message": finding.message,
        "path": loc.path,
        "line": loc.line,
        "column": loc.column,
        "blueprint": finding.blueprint,
        "cluster": finding.cluster,
        "value_path": finding.value_path,
        "trace": [trace_dict(step) for step in finding.trace],
        "fingerprint": finding.fingerprint,
    }


def suppressed_dict(suppressed: Suppressed) -> dict[str, Any]:
    exception, loc = suppressed.suppression, suppressed.suppression.location
    return {
        "finding": finding_dict(suppressed.finding),
        "suppression": {
            "kind": exception.kind,
            "reason": exception.reason,
            "until": exception.until.isoformat() if exception.until else None,
            "owner": exception.owner,
            "approver": exception.approver,
            "path": loc.path,
            "line": loc.line,
            "column": loc.column,
        },
    }


def render(data: ReportData, color: bool = False) -> str:
    report: dict[str, object] = {
        "tool": {"name": "compliance", "version": __version__},
        "findings": [finding_dict(f) for f in data.findings],
        "summary": summary(data.findings),
        "coverage": coverage_dict(data),  # what was scanned; each rule passed, failed, not applicable or not run
        "fixed": [finding_dict(f) for f in data.fixed],  # known findings that no longer occur (--diff-base)
    }
    report["suppressed"] = [suppressed_dict(s) for s in data.suppressed]  # never lost: with who excepted it
    for key in ("diff_base", "baseline"):
        if key in data.extra:
            report[key] = data.extra[key]
    gate = data.extra.get("gate")
    if gate is not None:  # the config that governed the run and what in it weakens the gate
        report["gate"] = gate.as_dict()  # type: ignore[attr-defined]
    return json.dumps(report, indent=2, sort_keys=False) + "\n"
