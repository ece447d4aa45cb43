"""Reporters turn final, sorted findings into text; they never evaluate rules.

Each reporter is a module here with `render(data: ReportData, color: bool) -> str`; `REPORTERS`
maps a `--format` name to its module, imported only when that format is asked for.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import field
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

from compliance.engine.coverage import ANY_CLUSTER, NOT_RUN, counts, rule_state
from compliance.model.findings import Finding, Severity
from compliance.records import record
from compliance.report.html_text import plural

if TYPE_CHECKING:
    from compliance.engine.coverage import Evaluation, RuleState, Skip
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


@record(slots=False)
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
    skipped: Mapping[Evaluation, Skip] = field(default_factory=dict)  # checks not applied: not applicable/not run
    rendered: frozenset[tuple[str | None, str | None]] = frozenset()  # (blueprint, cluster) rendered to objects
    fail_on: str = "error"  # the run's threshold (info, warning, error, never): what fails, not just what is shown

    def rule_state(self, rule: str, cluster: str | None = ANY_CLUSTER) -> RuleState:
        """Passed, failed, not applicable or not run (with what or why), over the run or on one cluster."""
        evaluated, skipped, failing = self._checks_by_rule.get(rule, ((), (), ()))
        return rule_state(rule, evaluated, ((check, self.skipped[check]) for check in skipped), failing, cluster)

    @cached_property
    def _checks_by_rule(self) -> dict[str, tuple[list[Evaluation], list[Evaluation], list[Evaluation]]]:
        """Each rule's applied, skipped and failing checks, grouped once: reporters ask for every rule's state
        (and each cluster's) several times, and scanning every check of the run each time was quadratic. The
        groups hold the checks, not copies of `skipped` (a run's largest table)."""
        grouped: dict[str, tuple[list[Evaluation], list[Evaluation], list[Evaluation]]] = {}

        def of(rule: str) -> tuple[list[Evaluation], list[Evaluation], list[Evaluation]]:
            return grouped.setdefault(rule, ([], [], []))

        for check in self.evaluated:
            of(check[0])[0].append(check)
        for check in self.skipped:
            of(check[0])[1].append(check)
        for f in self.findings:
            of(f.rule)[2].append((f.rule, f.blueprint, f.cluster))
        return grouped

    def rule_states(self) -> dict[str, RuleState]:
        """Every rule of the run by id, with its state."""
        return {spec.id: self.rule_state(spec.id) for spec in self.rules}

    def fails(self, finding: Finding) -> bool:
        """Whether `finding` is at or above the run's `--fail-on` (what makes the run fail)."""
        return self.fail_on != "never" and finding.severity.rank >= Severity(self.fail_on).rank


class Reporter(Protocol):
    def render(self, data: ReportData, color: bool) -> str: ...


def reporter(name: str) -> Reporter:
    module: Reporter = importlib.import_module(REPORTERS[name])  # a module with render(): a Reporter
    return module


def scanned(data: ReportData) -> dict[str, int]:
    """What the run looked at, for every output's summary: a gate on nothing must be visible as such."""
    clusters = [cluster for repo in data.repos for cluster in repo.clusters]
    return {
        "files": sum(len(repo.files) for repo in data.repos),
        "blueprints": sum(len(repo.blueprints) for repo in data.repos),
        "charts": sum(len(repo.charts) for repo in data.repos),
        "clusters": len(clusters),
        "helmreleases": sum(len(cluster.releases) for cluster in clusters),
        "renders": len(data.rendered),
    }


# what one of each is called (`scanned` keys are plural)
SCANNED_ONE = {
    "files": "file",
    "blueprints": "blueprint",
    "charts": "chart",
    "clusters": "cluster",
    "helmreleases": "HelmRelease",
    "renders": "render",
}


def scanned_text(data: ReportData) -> str:
    """ "12 files, 3 blueprints, 1 chart, 2 clusters, 8 HelmReleases, 0 renders" """
    return ", ".join(plural(n, SCANNED_ONE[key]) for key, n in scanned(data).items())


def releases_text(data: ReportData) -> str:
    """ "106 HelmReleases: 102 evaluated, 4 skipped (4 chart not available (FLX007)); 0 of 34 deployed charts
    rendered (34: no templates to render)" """
    from compliance.report.releases import release_coverage

    return release_coverage(data).text()


def coverage_text(data: ReportData) -> str:
    """ "52 rules: 40 passed, 5 failed, 4 not applicable, 3 not run" """
    found = counts(data.rule_states().values())
    return f"{len(data.rules)} rules: " + ", ".join(f"{n} {state}" for state, n in found.items())


def grouped_reasons(rules: Mapping[str, str]) -> str:
    """ "RM001, RM002: chart not rendered (see RND002)": rules grouped by their reason."""
    by_reason: dict[str, list[str]] = {}
    for rule, reason in sorted(rules.items()):
        by_reason.setdefault(reason, []).append(rule)
    return "; ".join(f"{', '.join(ids)}: {reason}" for reason, ids in by_reason.items())


def not_run_text(data: ReportData) -> str:
    """The rules that could not be evaluated, and why ("" when every rule ran): every verdict names them;
    then, after "partly", the rules applied elsewhere that could not be evaluated somewhere (values unknown)."""
    states = data.rule_states()
    whole = grouped_reasons({rule: s.reason for rule, s in states.items() if s.state == NOT_RUN})
    partly = grouped_reasons({rule: s.reason for rule, s in states.items() if s.state != NOT_RUN and s.not_run})
    return "; ".join(part for part in (whole, partly and f"partly, {partly}") if part)


def coverage_dict(data: ReportData) -> dict[str, object]:
    """What JSON and SARIF carry: what was scanned, how many rules are in each state, each rule's state."""
    from compliance.report.releases import release_coverage

    states = data.rule_states()
    return {
        "scanned": scanned(data),
        **release_coverage(data).as_dict(),  # "helmreleases" evaluated/skipped and why, "renders" and why not
        "rules": counts(states.values()),
        "by_rule": {
            rule: {
                "state": s.state,
                "checks": s.checks,
                "findings": s.findings,
                "not_run": s.not_run,
                "reason": s.reason,
            }
            for rule, s in states.items()
        },
    }


def summary(findings: Iterable[Finding]) -> dict[str, int]:
    counts = Counter(f.severity for f in findings)
    return {severity.value: counts.get(severity, 0) for severity in Severity}
