"""What each rule was applied to, and what it skipped and why: the data every reporter counts from.

A check is one rule on one subject (the repository, a blueprint, a blueprint x cluster, its rendered
manifests), named by its `Evaluation` (rule id, blueprint, cluster). The engine records each check as
applied (`evaluated`) or skipped (`Skip`): **not applicable** when the subject has nothing the rule looks
at (a rule declares that with `@rule(..., applies=...)`: "no gateway release"), **not run** when it could
not be evaluated (no renderer, the chart was not rendered). Reporters read `RuleState`s from these
records and never guess: a rule is *passed* only when it was applied to something and found nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any

from compliance.records import record

Evaluation = tuple[str, str | None, str | None]  # (rule id, blueprint, cluster): one check

PASSED = "passed"
FAILED = "failed"
NOT_APPLICABLE = "not applicable"
NOT_RUN = "not run"
ANY_CLUSTER = "\x00any"  # `rule_state(..., cluster=ANY_CLUSTER)`: every check of the rule


@record
class Skip:
    """Why a check was not applied: `state` is NOT_APPLICABLE or NOT_RUN, `reason` says what or why."""

    state: str
    reason: str


def not_applicable(reason: str) -> Skip:
    return Skip(NOT_APPLICABLE, reason)


def not_run(reason: str) -> Skip:
    return Skip(NOT_RUN, reason)


# What a rule declares with `@rule(..., applies=...)`: None when the rule applies to the context, else
# the Skip saying why not.
Applies = Callable[[Any], Skip | None]


@record
class RuleState:
    """One rule's result (over the run, or one cluster): its state, checks applied, findings, and why."""

    state: str  # PASSED, FAILED, NOT_APPLICABLE or NOT_RUN
    checks: int  # checks applied (passing or failing)
    findings: int
    reason: str = ""  # NOT_APPLICABLE: what there was none of; NOT_RUN, or `not_run` checks: why not run
    not_run: int = 0  # checks that could not be evaluated (a PASSED rule may have some: values unknown)

    @property
    def label(self) -> str:
        """ "passed", "not applicable: no gateway release", "not run: no renderer", "failed"."""
        if self.state in (PASSED, FAILED):
            return f"{self.state} ({self.not_run} not run: {self.reason})" if self.not_run else self.state
        return f"{self.state}: {self.reason}" if self.reason else self.state


def _in(check: Evaluation, rule: str, cluster: str | None) -> bool:
    return check[0] == rule and (cluster == ANY_CLUSTER or check[2] == cluster)


def rule_state(
    rule: str,
    evaluated: Collection[Evaluation],
    skipped: Iterable[tuple[Evaluation, Skip]],
    failing: Iterable[Evaluation],
    cluster: str | None = ANY_CLUSTER,
) -> RuleState:
    """The state of `rule` (on `cluster`, or over every check): failed if a check found something,
    passed if it was applied, else not run if a check could not run, else not applicable. `skipped`: the
    skipped checks and why, as `Mapping.items()` gives them."""
    applied = {check for check in evaluated if _in(check, rule, cluster)}
    found = [check for check in failing if _in(check, rule, cluster)]
    checks = len(applied | set(found))
    skips = [skip for check, skip in skipped if _in(check, rule, cluster)]
    # a not-run check counts even where its key was also applied: two HelmReleases of one blueprint in a
    # cluster share the key, and the one whose values are unknown was not checked whatever the other gave
    not_ran = [skip.reason for skip in skips if skip.state == NOT_RUN]
    why = "; ".join(sorted(set(not_ran)))
    if found:
        return RuleState(FAILED, checks, len(found), why, len(not_ran))
    if applied:  # passed where it was applied; the checks that could not run are counted, with why
        return RuleState(PASSED, checks, 0, why, len(not_ran))
    if not_ran:
        return RuleState(NOT_RUN, 0, 0, why, len(not_ran))
    reasons = sorted({skip.reason for skip in skips})
    return RuleState(NOT_APPLICABLE, 0, 0, "; ".join(reasons) or "nothing to check")


def counts(states: Iterable[RuleState]) -> dict[str, int]:
    """How many rules are in each state, every state named (for summaries)."""
    found = {PASSED: 0, FAILED: 0, NOT_APPLICABLE: 0, NOT_RUN: 0}
    for state in states:
        found[state.state] += 1
    return found
