"""Results by rule and by control, for the reports' summary and control view (no rule is evaluated here).

A rule's result comes from the checks that ran (`ReportData.evaluated`) and the findings: *fail* when it
found an error or warning, *pass* when it ran and found at most informational findings, *n/a* when no
check of it ran. A control's result is its rules' worst: a control fails when any rule evidencing it fails.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from compliance.engine.registry import RuleSpec, controls_of
from compliance.model.findings import Severity
from compliance.report import ReportData

FAILING = (Severity.ERROR, Severity.WARNING)
STATUS_RANK = {"fail": 0, "pass": 1, "n/a": 2}


@dataclass(frozen=True, slots=True)
class RuleResult:
    spec: RuleSpec
    checks: int  # (rule, blueprint, cluster) evaluated
    counts: Counter[Severity] = field(default_factory=Counter)  # findings reported, by severity
    excepted: int = 0  # findings a governed exception covers

    @property
    def status(self) -> str:
        if any(self.counts[s] for s in FAILING):
            return "fail"
        return "pass" if self.checks or self.counts or self.excepted else "n/a"


@dataclass(frozen=True, slots=True)
class ControlResult:
    control: str
    rules: tuple[RuleResult, ...]

    @property
    def status(self) -> str:
        return min((r.status for r in self.rules), key=STATUS_RANK.__getitem__, default="n/a")


def rule_results(data: ReportData) -> dict[str, RuleResult]:
    """Every rule of the run by id, with what its checks found."""
    checks = Counter(rule for rule, _, _ in data.evaluated)
    counts: dict[str, Counter[Severity]] = {}
    for finding in data.findings:
        counts.setdefault(finding.rule, Counter())[finding.severity] += 1
    excepted = Counter(s.finding.rule for s in data.suppressed)
    return {
        spec.id: RuleResult(spec, checks[spec.id], counts.get(spec.id, Counter()), excepted[spec.id])
        for spec in sorted(data.rules, key=lambda s: s.id)
    }


def control_results(data: ReportData) -> list[ControlResult]:
    """Every control the run's rules evidence, in framework and id order, with its rules' results."""
    results = rule_results(data)
    return [
        ControlResult(control, tuple(results[rule] for rule in rules))
        for control, rules in controls_of(data.rules).items()
    ]
