"""What became of each HelmRelease and chart render: evaluated, skipped and why, rendered or not and why.

Counted from the model and the engine's coverage record, never by running a rule. A HelmRelease is one
release as one cluster applies it (a file two clusters apply counts twice); one no cluster's build applies
(FLX005) counts once. Evaluated means the release rules ran on its values; a release whose chart is not in
the repository and that names no blueprint is skipped (FLX007), and an evaluated one may still have been
checked with less than Flux would use: without its chart's defaults (FLX007), against a chart its version
pin does not select (VER003), or with values from a `valuesFrom` source that cannot be read (FLX008).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import field
from typing import TYPE_CHECKING, Protocol

from compliance.engine.coverage import NOT_RUN
from compliance.engine.registry import Scope
from compliance.model.flux import NOT_APPLIED
from compliance.records import record
from compliance.report.html_text import plural

if TYPE_CHECKING:
    from compliance.engine.coverage import Evaluation, Skip
    from compliance.engine.registry import RuleSpec
    from compliance.model import HelmRelease, Repository

NOT_APPLIED_REASON = "not applied by any cluster's build (FLX005)"
NO_CHART_REASON = "chart not available (FLX007)"
WITHOUT_CHART = "without their chart's defaults: chart not available (FLX007)"
VALUES_FROM_FAILS = "with a valuesFrom source Flux cannot read: the release fails in Flux (FLX008)"
VALUES_FROM_UNKNOWN = "with an optional valuesFrom source missing: those values unknown (FLX008)"
RULES_NOT_SELECTED = "no rendered rule selected"
NOTHING_TO_RENDER = "no templates to render"


class Run(Protocol):
    """What is counted from (`compliance.report.ReportData` has it; not imported: it imports this module)."""

    @property
    def repos(self) -> tuple[Repository, ...]: ...
    @property
    def rules(self) -> tuple[RuleSpec, ...]: ...
    @property
    def rendered(self) -> frozenset[tuple[str | None, str | None]]: ...
    @property
    def skipped(self) -> Mapping[Evaluation, Skip]: ...


@record(slots=False)
class ReleaseCoverage:
    """The HelmRelease and render counts every output shows."""

    releases: int = 0  # every HelmRelease found: applied by a cluster, or by none (FLX005)
    evaluated: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # why -> how many releases were not evaluated
    caveats: dict[str, int] = field(default_factory=dict)  # evaluated, but with less than Flux uses: how many
    renders: int = 0  # (chart, cluster) pairs an evaluated release would render
    rendered: int = 0
    not_rendered: dict[str, int] = field(default_factory=dict)  # why -> how many pairs
    charts: int = 0  # distinct charts among those pairs
    charts_rendered: int = 0
    charts_not_rendered: dict[str, int] = field(default_factory=dict)  # why -> how many charts (first reason)

    def as_dict(self) -> dict[str, object]:
        return {
            "helmreleases": {
                "total": self.releases,
                "evaluated": self.evaluated,
                "skipped": sum(self.skipped.values()),
                "skipped_by_reason": self.skipped,
                "evaluated_with_caveats": self.caveats,
            },
            "renders": {
                "total": self.renders,
                "rendered": self.rendered,
                "not_rendered": sum(self.not_rendered.values()),
                "not_rendered_by_reason": self.not_rendered,
                "charts": self.charts,
                "charts_rendered": self.charts_rendered,
                "charts_not_rendered_by_reason": self.charts_not_rendered,
            },
        }

    def text(self) -> str:
        """ "106 HelmReleases: 102 evaluated (3 without ...), 4 skipped (4 chart not available (FLX007));
        0 of 34 deployed charts rendered (34: no renderer (--renderer none))" """
        evaluated = f"{self.evaluated} evaluated"
        if self.caveats:
            evaluated += " (" + ", ".join(f"{n} {why}" for why, n in self.caveats.items()) + ")"
        parts = [evaluated]
        if self.skipped:
            reasons = ", ".join(f"{n} {why}" for why, n in self.skipped.items())
            parts.append(f"{sum(self.skipped.values())} skipped ({reasons})")
        line = f"{plural(self.releases, 'HelmRelease')}: " + ", ".join(parts)
        charts = f"{self.charts_rendered} of {plural(self.charts, 'deployed chart')} rendered"
        if self.charts_not_rendered:
            charts += " (" + ", ".join(f"{n}: {why}" for why, n in self.charts_not_rendered.items()) + ")"
        return f"{line}; {charts}"


def _caveats(repo: Repository, release: HelmRelease, has_chart: bool) -> list[str]:
    found = []
    if not has_chart:  # not in the repository, or its pin refuses the tree's chart (FLX007 says which)
        found.append(WITHOUT_CHART)
    sources = [source for source in release.values_from if source.problem]
    if any(not source.unknown for source in sources):
        found.append(VALUES_FROM_FAILS)
    elif sources:
        found.append(VALUES_FROM_UNKNOWN)
    return found


def release_coverage(data: Run) -> ReleaseCoverage:
    """What became of every HelmRelease of the run's repositories, and of the renders they would make."""
    skipped: Counter[str] = Counter()
    caveats: Counter[str] = Counter()
    pairs: dict[tuple[str | None, str | None], str] = {}  # (name, cluster) -> the chart's name, to render
    releases = evaluated = 0
    for repo in data.repos:
        unapplied = {(p.location.path, p.location.line) for p in repo.build_problems if p.code == NOT_APPLIED}
        releases += len(unapplied)
        skipped[NOT_APPLIED_REASON] += len(unapplied)
        for cluster in repo.clusters:
            for release in cluster.releases:
                releases += 1
                chart, blueprint = repo.resolve_release(release)
                if chart is None and blueprint is None:
                    skipped[NO_CHART_REASON] += 1
                    continue
                evaluated += 1
                caveats.update(_caveats(repo, release, chart is not None))
                if chart is not None:
                    name = blueprint.name if blueprint is not None and blueprint.name else chart.name
                    pairs[(name or None, cluster.name)] = chart.name
    not_rendered: Counter[str] = Counter()
    by_chart: dict[str, str] = {}  # chart -> "" once one of its pairs rendered, else the first reason
    for pair, chart_name in pairs.items():
        why = "" if pair in data.rendered else _not_rendered(data, pair)
        if why:
            not_rendered[why] += 1
            by_chart.setdefault(chart_name, why)
        else:
            by_chart[chart_name] = ""
    return ReleaseCoverage(
        releases,
        evaluated,
        {why: n for why, n in skipped.items() if n},
        dict(caveats),
        len(pairs),
        len(pairs) - sum(not_rendered.values()),
        dict(not_rendered),
        len(by_chart),
        sum(1 for why in by_chart.values() if not why),
        dict(Counter(why for why in by_chart.values() if why)),
    )


def _not_rendered(data: Run, pair: tuple[str | None, str | None]) -> str:
    """Why the release `pair` (blueprint or chart name, cluster) has no rendered objects, from the engine's
    record of its rendered rules: not run (no renderer, chart not rendered), else nothing to render."""
    rendered_rules = [spec.id for spec in data.rules if spec.scope is Scope.RENDERED]
    if not rendered_rules:
        return RULES_NOT_SELECTED
    for rule in rendered_rules:
        skip = data.skipped.get((rule, *pair))
        if skip is not None and skip.state == NOT_RUN:
            return skip.reason
    return NOTHING_TO_RENDER
