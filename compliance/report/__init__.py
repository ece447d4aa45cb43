"""Reporters turn final, sorted findings into text; they never evaluate rules.

Each reporter is a module here with `render(data: ReportData, color: bool) -> str`; `REPORTERS`
maps a `--format` name to its module, imported only when that format is asked for.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from compliance.model.findings import Finding, Severity

if TYPE_CHECKING:
    from compliance.engine.evaluate import Evaluation
    from compliance.engine.registry import RuleSpec
    from compliance.governance.exceptions import Suppressed
    from compliance.model import Repository

REPORTERS = {
    "text": "compliance.report.text",
    "json": "compliance.report.json",
    "sarif": "compliance.report.sarif",
    "github": "compliance.report.github",
    "markdown": "compliance.report.markdown",
    "junit": "compliance.report.junit",
}


@dataclass(frozen=True)
class ReportData:
    """Everything a reporter may show; computed before any reporter runs."""

    findings: tuple[Finding, ...]
    rules: tuple[RuleSpec, ...]
    root: str  # the linted root (absolute), to show source lines
    repos: tuple[Repository, ...] = ()
    fixed: tuple[Finding, ...] = ()  # known findings (baseline, diff base) that no longer occur
    evaluated: frozenset[Evaluation] = frozenset()  # (rule, blueprint, cluster) checked, passing ones too
    suppressed: tuple[Suppressed, ...] = ()  # findings a governed exception covers, with the exception
    extra: dict[str, object] = field(default_factory=dict)  # feature-specific data (suppressions, ...)
    fail_on: str = "error"  # the run's threshold (info, warning, error, never): what fails, not just what is shown

    def fails(self, finding: Finding) -> bool:
        """Whether `finding` is at or above the run's `--fail-on` (what makes the run fail)."""
        return self.fail_on != "never" and finding.severity.rank >= Severity(self.fail_on).rank


class Reporter(Protocol):
    def render(self, data: ReportData, color: bool) -> str: ...


def reporter(name: str) -> Reporter:
    module: Reporter = importlib.import_module(REPORTERS[name])  # a module with render(): a Reporter
    return module


def summary(findings: Iterable[Finding]) -> dict[str, int]:
    counts = Counter(f.severity for f in findings)
    return {severity.value: counts.get(severity, 0) for severity in Severity}
