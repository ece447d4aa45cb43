"""SARIF 2.1.0 for code scanning (GitHub, GitLab, IDEs): every rule with its docs, every finding located.

Paths are relative to the checkout (`%SRCROOT%`), which is how GitHub matches them to the repository;
`partialFingerprints` carry the finding's fingerprint, which ignores line numbers, so an alert survives
unrelated edits above it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from compliance import __version__
from compliance.engine.registry import RuleSpec
from compliance.fix import Planned, fix_key
from compliance.governance.exceptions import Suppressed
from compliance.model.findings import Finding, Location, Severity
from compliance.report import ReportData, coverage_dict, not_run_text
from compliance.report.common import SourceRoot, docs_base, home_page, rule_doc, source_root, step_text

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "complianceFingerprint/v1"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _words_to_name(title: str) -> str:
    """`Enabled channel without attestation` -> `EnabledChannelWithoutAttestation` (SARIF's rule `name`)."""
    return "".join(word[0].upper() + word[1:] for word in re.findall(r"[A-Za-z0-9]+", title))


def _descriptor(spec: RuleSpec, base: str | None) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "id": spec.id,
        "name": _words_to_name(spec.title),
        "shortDescription": {"text": spec.title},
        "fullDescription": {"text": " ".join(spec.summary.split())},  # the docstring's hard wraps undone
        "help": {"text": spec.doc or spec.title, "markdown": f"**{spec.id}: {spec.title}**\n\n{spec.doc}".strip()},
        "defaultConfiguration": {"level": LEVEL[spec.severity]},
        # the controls as tags too: code scanning filters alerts by tag (`SOC2:CC6.1`)
        "properties": {
            "family": spec.family,
            "scope": spec.scope.value,
            "tags": ["compliance", spec.family, *spec.controls],
            "controls": list(spec.controls),
        },
    }
    link = rule_doc(spec, base)
    if base and link:  # helpUri must be absolute; without a published docs URL the help text stands alone
        descriptor["helpUri"] = link
    return descriptor


def _physical(root: SourceRoot, location: Location) -> dict[str, Any]:
    return {
        # the file name's bytes, percent-encoded (a name that is not UTF-8 holds lone surrogates)
        "artifactLocation": {
            "uri": quote(root.path(location).encode("utf-8", "surrogateescape"), safe="/"),
            "uriBaseId": SRCROOT,
        },
        "region": {"startLine": location.line, "startColumn": location.column},
    }


def _fix(planned: Planned, root: SourceRoot) -> dict[str, Any]:
    """A SARIF `fix`: per file, each replacement's region (lines and code-point columns, and bytes) and new text."""
    changes: dict[str, list[dict[str, Any]]] = {}
    for change in planned.changes:
        region = {
            "startLine": change.start_line,
            "startColumn": change.start_column,
            "endLine": change.end_line,
            "endColumn": change.end_column,
            "byteOffset": change.start,
            "byteLength": change.end - change.start,
        }
        changes.setdefault(change.path, []).append(
            {"deletedRegion": region, "insertedContent": {"text": change.inserted.decode("utf-8")}}
        )
    return {
        "description": {"text": planned.fix.description},
        "artifactChanges": [
            {"artifactLocation": _physical(root, Location(path))["artifactLocation"], "replacements": replacements}
            for path, replacements in changes.items()
        ],
    }


def _result(finding: Finding, index: int, root: SourceRoot, fixes: Any = None) -> dict[str, Any]:
    where = f" (cluster {finding.cluster})" if finding.cluster else ""
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": LEVEL[finding.severity],
        "message": {"text": finding.message + where},
        "locations": [{"physicalLocation": _physical(root, finding.location)}],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {"cluster": finding.cluster, "blueprint": finding.blueprint, "valuePath": finding.value_path},
    }
    if finding.trace:
        result["relatedLocations"] = [
            {
                "id": number,
                "physicalLocation": _physical(root, step.location),
                "message": {"text": step_text(step.role, step.value)},
            }
            for number, step in enumerate(finding.trace, start=1)
        ]
    planned = fixes.get(fix_key(finding)) if isinstance(fixes, dict) else None
    if planned is not None:
        result["fixes"] = [_fix(planned, root)]
    return result


def _suppressed(suppressed: Suppressed, index: int, root: SourceRoot) -> dict[str, Any]:
    """A suppressed finding stays in the log, closed by an accepted suppression that says who excepted it and why."""
    exception = suppressed.suppression
    result = _result(suppressed.finding, index, root)
    result["suppressions"] = [
        {
            "kind": "external" if exception.kind == "config" else "inSource",
            "status": "accepted",
            "justification": exception.reason,
            "location": {"physicalLocation": _physical(root, exception.location)},
            "properties": {
                "until": exception.until.isoformat() if exception.until else None,
                "owner": exception.owner,
                "approver": exception.approver,
                "scope": exception.kind,
            },
        }
    ]
    return result


def render(data: ReportData, color: bool = False) -> str:
    base = docs_base()
    root = source_root(data.root)
    specs = list(data.rules)
    index = {spec.id: number for number, spec in enumerate(specs)}
    rules = [_descriptor(spec, base) for spec in specs]
    for finding in (*data.findings, *(s.finding for s in data.suppressed)):  # rules outside the run's set
        if finding.rule not in index:
            index[finding.rule] = len(rules)
            rules.append({"id": finding.rule, "shortDescription": {"text": finding.rule}})
    driver: dict[str, Any] = {
        "name": "compliance",
        "version": __version__,
        "semanticVersion": __version__,
        "rules": rules,
    }
    home = home_page()
    if home:
        driver["informationUri"] = home
    run = {
        "tool": {"driver": driver},
        "invocations": [{"executionSuccessful": True}],
        "originalUriBaseIds": {SRCROOT: {"uri": Path(root.checkout).as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.rule], root, data.extra.get("fixes")) for f in data.findings]
        + [_suppressed(s, index[s.finding.rule], root) for s in data.suppressed],
    }
    properties: dict[str, Any] = {"complianceCoverage": coverage_dict(data)}  # passed/not applicable/not run
    gate = data.extra.get("gate")
    if gate is not None:  # the config that governed the run and what in it weakens the gate
        properties["complianceGate"] = gate.as_dict()  # type: ignore[attr-defined]
    run["properties"] = properties
    if not_run := not_run_text(data):  # a rule that could not run is said where CI shows the run
        run["invocations"] = [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [{"level": "note", "message": {"text": f"not run: {not_run}"}}],
            }
        ]
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
