"""Results by rule and by control, for the reports' summary and control view (no rule is evaluated here).

A rule's result uses the posture matrix's states (`compliance.engine.coverage`, `html.Cell.status`):
*fail* when it found an error or warning, *pass* when it was applied and found at most informational
findings, else *not run* when a check of it could not be evaluated (why: no renderer, chart not rendered,
values unknown) and *n/a* when there was nothing for it to look at (what). A control's result is its rules'
worst, in that order: it fails when a rule evidencing it fails, and is not run (never passed) when a rule
that would have evidenced it could not run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import field

from compliance.engine.coverage import NOT_RUN
from compliance.engine.registry import RuleSpec, controls_of
from compliance.model.findings import Severity
from compliance.records import record
from compliance.report import ReportData

FAILING = (Severity.ERROR, Severity.WARNING)
FAIL, PASS, NOT_APPLICABLE, NOT_RUN_STATUS = "fail", "pass", "n/a", "not run"  # the posture matrix's states
STATUS_RANK = {FAIL: 0, NOT_RUN_STATUS: 1, PASS: 2, NOT_APPLICABLE: 3}  # a control's result: its rules' worst


@record
class RuleResult:
    spec: RuleSpec
    checks: int  # (rule, blueprint, cluster) evaluated
    counts: Counter[Severity] = field(default_factory=Counter)  # findings reported, by severity
    excepted: int = 0  # findings a governed exception covers
    skipped: str = NOT_APPLICABLE  # when applied to nothing: NOT_APPLICABLE or NOT_RUN_STATUS
    reason: str = ""  # what there was none of (n/a), or why checks could not run (not run, or `not_run` checks)
    not_run: int = 0  # checks that could not be evaluated (values unknown), also when others passed or failed

    @property
    def status(self) -> str:
        if any(self.counts[s] for s in FAILING):
            return FAIL
        return PASS if self.checks or self.counts or self.excepted else self.skipped


@record
class ControlResult:
    control: str
    rules: tuple[RuleResult, ...]

    @property
    def status(self) -> str:
        return min((r.status for r in self.rules), key=STATUS_RANK.__getitem__, default=NOT_APPLICABLE)


def rule_results(data: ReportData) -> dict[str, RuleResult]:
    """Every rule of the run by id, with what its checks found, or why none was applied."""
    checks = Counter(rule for rule, _, _ in data.evaluated)
    counts: dict[str, Counter[Severity]] = {}
    for finding in data.findings:
        counts.setdefault(finding.rule, Counter())[finding.severity] += 1
    excepted = Counter(s.finding.rule for s in data.suppressed)
    results: dict[str, RuleResult] = {}
    for spec in sorted(data.rules, key=lambda s: s.id):
        state = data.rule_state(spec.id)
        skipped = NOT_RUN_STATUS if state.state == NOT_RUN else NOT_APPLICABLE
        found = counts.get(spec.id, Counter())
        results[spec.id] = RuleResult(
            spec, checks[spec.id], found, excepted[spec.id], skipped, state.reason, state.not_run
        )
    return results


def control_results(data: ReportData) -> list[ControlResult]:
    """Every control the run's rules evidence, in framework and id order, with its rules' results."""
    results = rule_results(data)
    return [
        ControlResult(control, tuple(results[rule] for rule in rules))
        for control, rules in controls_of(data.rules).items()
    ]
