"""`compliance test PATH`: run the policy tests (`*_test.yaml`, `compliance.policy.testfile`).

Each case lints its repository (or rendered stream) with the built-in rules and the test's policies, keeps
the findings of those policies, and matches them one to one with the case's expectations. Exit 0 when every
case holds, 1 with the expected-vs-actual difference of each failing case, 2 for an unusable test file.
The policies are the author's, named by the command itself: they are trusted wherever they sit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from compliance.app.outcome import EXIT_FINDINGS, EXIT_OK, Outcome, Output
from compliance.model.findings import Finding
from compliance.records import record


@record
class CaseResult:
    file: str
    name: str
    missing: tuple[Mapping[str, Any], ...]  # expected, not found
    unexpected: tuple[Finding, ...]  # found, not expected

    @property
    def passed(self) -> bool:
        return not self.missing and not self.unexpected


def _fields(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "cluster": finding.cluster,
        "blueprint": finding.blueprint,
        "path": finding.location.path,
        "line": finding.location.line,
        "column": finding.location.column,
        "severity": finding.severity.value,
        "valuePath": finding.value_path,
        "message": finding.message,
    }


def _matches(expected: Mapping[str, Any], finding: Finding) -> bool:
    actual = _fields(finding)
    for key, value in expected.items():
        if key == "message":
            if str(value) not in actual["message"]:
                return False
        elif actual[key] != value and str(actual[key]) != str(value):
            return False
    return True


def compare(
    expect: Sequence[Mapping[str, Any]], findings: Sequence[Finding]
) -> tuple[list[Mapping[str, Any]], list[Finding]]:
    """(expected but not found, found but not expected): each expectation takes the first finding it matches."""
    left = list(findings)
    missing = []
    for expected in expect:
        found = next((f for f in left if _matches(expected, f)), None)
        if found is None:
            missing.append(expected)
        else:
            left.remove(found)
    return missing, left


def run_tests(path: str) -> list[CaseResult]:
    from compliance.app.api import lint_manifests, lint_path, load_registry
    from compliance.policy.testfile import policy_test_files, read_tests
    from compliance.settings.config import Overrides, Settings

    results = []
    for file in policy_test_files(path):
        for test in read_tests(file):
            registry = load_registry(test.policies, entry_points=False, trust_repository_rules=True)
            ids = tuple(sorted({spec.id for spec in registry.rules() if spec.provider in test.policies}))
            for case in test.cases:
                if case.manifests is not None:
                    run = lint_manifests(case.manifests, Overrides(select=ids), test.policies, True)
                else:
                    assert case.repository is not None
                    settings = Settings(select=ids, variables=dict(case.variables))
                    run = lint_path(case.repository, settings=settings, specs=registry.rules())
                missing, unexpected = compare(case.expect, [f for f in run.findings if f.rule in ids])
                results.append(CaseResult(file, case.name, tuple(missing), tuple(unexpected)))
    return results


def _shown(fields: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{key}: {value}" for key, value in fields.items() if value not in (None, "")) + "}"


def text_report(results: Sequence[CaseResult]) -> str:
    lines = []
    for result in results:
        lines.append(f"{'PASS' if result.passed else 'FAIL'}  {os.path.relpath(result.file)}: {result.name}")
        for expected in result.missing:
            lines.append(f"    - expected, not found: {_shown(expected)}")
        for finding in result.unexpected:
            lines.append(f"    + found, not expected: {_shown(_fields(finding))}")
    failed = sum(not r.passed for r in results)
    lines.append(f"{len(results)} cases: {len(results) - failed} passed, {failed} failed")
    return "\n".join(lines) + "\n"


def junit_report(results: Sequence[CaseResult]) -> str:
    import xml.etree.ElementTree as ET

    suites = ET.Element("testsuites", name="compliance policy tests")
    by_file: dict[str, list[CaseResult]] = {}
    for result in results:
        by_file.setdefault(result.file, []).append(result)
    for file, cases in by_file.items():
        failures = sum(not c.passed for c in cases)
        suite = ET.SubElement(
            suites, "testsuite", name=os.path.relpath(file), tests=str(len(cases)), failures=str(failures)
        )
        for case in cases:
            element = ET.SubElement(
                suite, "testcase", classname=os.path.relpath(file), name=case.name, file=os.path.relpath(file)
            )
            if not case.passed:
                details = [f"- expected, not found: {_shown(e)}" for e in case.missing]
                details += [f"+ found, not expected: {_shown(_fields(f))}" for f in case.unexpected]
                failure = ET.SubElement(element, "failure", message=f"{case.name}: findings differ", type="policy-test")
                failure.text = "\n".join(details) + "\n"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def policy_tests(path: str, output_format: str = "text", output: str | None = None) -> Outcome:
    results = run_tests(path)
    content = junit_report(results) if output_format == "junit" else text_report(results)
    failed = not results or any(not r.passed for r in results)
    warnings = (f"no policy tests (*_test.yaml) under {path}",) if not results else ()
    return Outcome((Output(content, output),), warnings, EXIT_FINDINGS if failed else EXIT_OK)
