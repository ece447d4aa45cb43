"""JUnit XML for CI test views (GitLab, Jenkins, Azure): one test case per rule per blueprint/cluster checked.

A suite per rule; a case per (rule, blueprint, cluster) the engine evaluated, so passing checks show as
passed tests; a rule applied to nothing is one skipped case saying "not applicable" (what there was none
of) or "not run" (why), never a passed one. A case with findings at or above `--fail-on` fails and lists
them with file:line. Findings below it (infos and warnings under the default `--fail-on error`) are listed
in the case's `<system-out>` and counted in its `findings` property, but do not fail it: a green run shows
no failed test.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from itertools import groupby
from typing import TYPE_CHECKING

from compliance.engine.coverage import NOT_APPLICABLE, NOT_RUN
from compliance.engine.registry import RuleSpec, Scope
from compliance.model.findings import Finding
from compliance.report import ReportData, scanned
from compliance.report.common import SourceRoot, command_safe, source_root

if TYPE_CHECKING:
    from compliance.engine.evaluate import Evaluation

# XML 1.0 cannot carry most control characters, which a quoted YAML string may hold
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _one_line(text: str) -> str:
    """A finding's message on one line: a break in a hostile value must not start a line (a runner command)."""
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _case_name(rule: str, blueprint: str | None, cluster: str | None, spec: RuleSpec | None) -> str:
    if cluster is not None:
        return f"{rule} {blueprint or '?'} @ {cluster}"
    if blueprint is None:
        return f"{rule} (repository)"
    if spec is not None and spec.scope is Scope.RELEASE:
        return f"{rule} {blueprint} (chart defaults)"
    return f"{rule} {blueprint}"


def _details(findings: list[Finding], root: SourceRoot) -> str:
    """One `file:line:column: message` line per finding."""
    lines = (
        f"{command_safe(_one_line(root.path(f.location)))}:{f.location.line}:{f.location.column}: "
        f"{_one_line(f.message)}"
        for f in findings
    )
    return _xml_text("\n".join(lines) + "\n")


def _failure(case: ET.Element, findings: list[Finding], root: SourceRoot) -> None:
    worst = max(findings, key=lambda f: f.severity.rank)
    message = findings[0].message if len(findings) == 1 else f"{len(findings)} findings: {findings[0].message}"
    failure = ET.SubElement(case, "failure", message=_xml_text(message), type=worst.severity.value)
    failure.text = _details(findings, root)


def _case_findings(case: ET.Element, findings: list[Finding], data: ReportData, root: SourceRoot) -> bool:
    """The case's findings: a failure for those at or above fail-on, the others only reported; True if it fails."""
    failing = [f for f in findings if data.fails(f)]
    below = [f for f in findings if not data.fails(f)]
    properties = ET.SubElement(case, "properties")
    ET.SubElement(properties, "property", name="findings", value=str(len(findings)))
    ET.SubElement(properties, "property", name="fail_on", value=data.fail_on)
    if failing:
        _failure(case, failing, root)
    if below:
        out = ET.SubElement(case, "system-out")
        out.text = "below --fail-on " + data.fail_on + " (reported, not failed):\n" + _details(below, root)
    case.set("file", _xml_text(root.path(findings[0].location)))
    return bool(failing)


def _skipped_rules(suites: ET.Element, data: ReportData) -> int:
    """A skipped case for each rule applied to nothing: not applicable (what there was none of) or not
    run (why), never a passed test; and what the run scanned, as properties of the report."""
    properties = ET.SubElement(suites, "properties")
    for key, count in scanned(data).items():
        ET.SubElement(properties, "property", name=f"scanned.{key}", value=str(count))
    skipped = 0
    for rule, state in data.rule_states().items():
        if state.state not in (NOT_APPLICABLE, NOT_RUN):
            continue
        spec = next(spec for spec in data.rules if spec.id == rule)
        suite = ET.SubElement(suites, "testsuite", name=f"{rule} {spec.title}")
        suite.attrib.update(tests="1", failures="0", errors="0", skipped="1", time="0")
        classname = f"compliance.{spec.family}.{rule}"
        case = ET.SubElement(suite, "testcase", classname=classname, name=f"{rule} ({state.state})", time="0")
        ET.SubElement(case, "skipped", message=_xml_text(_one_line(state.label)))
        skipped += 1
    return skipped


def render(data: ReportData, color: bool = False) -> str:
    root = source_root(data.root)
    specs = {spec.id: spec for spec in data.rules}
    by_check: dict[Evaluation, list[Finding]] = defaultdict(list)
    for finding in data.findings:
        by_check[finding.rule, finding.blueprint, finding.cluster].append(finding)
    checks = sorted(set(data.evaluated) | set(by_check), key=lambda c: (c[0], c[1] or "", c[2] or ""))
    suites = ET.Element("testsuites", name="compliance")
    total = failed = 0
    for rule, group in groupby(checks, key=lambda check: check[0]):
        spec = specs.get(rule)
        suite = ET.SubElement(suites, "testsuite", name=f"{rule} {spec.title}" if spec else rule)
        tests = failures = 0
        for _, blueprint, cluster in group:
            family = spec.family if spec else "rules"
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"compliance.{family}.{rule}",
                name=_xml_text(_case_name(rule, blueprint, cluster, spec)),
                time="0",
            )
            tests += 1
            if (findings := by_check.get((rule, blueprint, cluster))) and _case_findings(case, findings, data, root):
                failures += 1
        suite.attrib.update(tests=str(tests), failures=str(failures), errors="0", skipped="0", time="0")
        total, failed = total + tests, failed + failures
    skipped = _skipped_rules(suites, data)
    suites.attrib.update(tests=str(total + skipped), failures=str(failed), errors="0", skipped=str(skipped), time="0")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
