"""Baselines: today's findings recorded by fingerprint, so a run reports only what is new.

A fingerprint is rule + blueprint + cluster + logical value path + file, never the line: edits above a
finding do not churn it, and the same violation in another cluster or file is new. Entries count: a
baseline with one COM002 on a value absorbs one such finding, not two. The file is JSON with one entry
per line, sorted, so a review diff shows exactly which findings were added or fixed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from compliance.errors import UsageError
from compliance.governance import comparison
from compliance.governance.comparison import Comparison
from compliance.model.findings import Finding, Location, Severity

DEFAULT_NAME = ".compliance-baseline.json"
FORMAT_VERSION = 1


class BaselineError(UsageError):
    """A baseline file that cannot be read (exit 2)."""


def entry(finding: Finding) -> dict[str, object]:
    return {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "path": finding.location.path,
        "blueprint": finding.blueprint,
        "cluster": finding.cluster,
        "value_path": finding.value_path,
        "fingerprint": finding.fingerprint,
        "message": finding.message,
    }


def _order(item: dict[str, object]) -> tuple[str, ...]:
    return tuple(str(item.get(key) or "") for key in ("path", "rule", "cluster", "blueprint", "value_path", "message"))


def render(findings: Iterable[Finding]) -> str:
    """The baseline file's text: sorted, one entry per line, stable across runs."""
    entries = sorted((entry(f) for f in findings), key=_order)
    body = ",\n".join("    " + json.dumps(item, ensure_ascii=False) for item in entries)
    head = f'{{\n  "tool": "compliance",\n  "version": {FORMAT_VERSION},\n  "findings": ['
    return head + ("\n" + body + "\n  " if entries else "") + "]\n}\n"


def load(path: str) -> tuple[Finding, ...]:
    """The findings a baseline file records (located at their file), or a BaselineError saying what is wrong."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise BaselineError(f"--baseline {path}: no such file (create one with `compliance baseline create`)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BaselineError(f"--baseline {path}: cannot read: {error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BaselineError(f"{path}:{error.lineno}:{error.colno}: not a baseline file: {error.msg}") from None
    if not isinstance(data, dict) or data.get("tool") != "compliance" or not isinstance(data.get("findings"), list):
        raise BaselineError(f'{path}: not a baseline file (expected {{"tool": "compliance", "findings": [...]}})')
    if data.get("version") != FORMAT_VERSION:
        raise BaselineError(f"{path}: baseline format version {data.get('version')!r} (this version reads 1)")
    return tuple(_recorded(path, index, item) for index, item in enumerate(data["findings"]))


def _recorded(path: str, index: int, item: object) -> Finding:
    def text(key: str, required: bool = False) -> str | None:
        value = item.get(key) if isinstance(item, dict) else None
        if value is None and not required:
            return None
        if not isinstance(value, str) or (required and not value):
            raise BaselineError(f"{path}: findings[{index}].{key}: expected a string, got {value!r}")
        return value

    if not isinstance(item, dict):
        raise BaselineError(f"{path}: findings[{index}]: expected an object, got {item!r}")
    severity = text("severity") or "error"
    if severity not in {s.value for s in Severity}:
        raise BaselineError(f"{path}: findings[{index}].severity: {severity!r} is not error, warning or info")
    finding = Finding(
        rule=text("rule", True) or "",
        severity=Severity(severity),
        message=text("message") or "",
        location=Location(text("path", True) or ""),
        blueprint=text("blueprint"),
        cluster=text("cluster"),
        value_path=text("value_path") or "",
    )
    if text("fingerprint", True) != finding.fingerprint:
        raise BaselineError(
            f"{path}: findings[{index}].fingerprint does not match its rule, blueprint, cluster, value_path and "
            "path (edited by hand? recreate it with `compliance baseline create`)"
        )
    return finding


def compare(findings: Iterable[Finding], recorded: Iterable[Finding]) -> Comparison:
    """New findings (not in the baseline), the ones it absorbed (`known`), and the recorded ones now fixed."""
    return comparison.compare(findings, recorded, comparison.BASELINE)
