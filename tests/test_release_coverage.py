"""Issue 13's coverage counts: every output says how many HelmReleases were evaluated, how many were skipped
and why, what was evaluated with less than Flux would use, and how many of the charts they deploy rendered."""

from __future__ import annotations

import json
import re
from pathlib import Path

from compliance.report import markdown
from compliance.report.releases import release_coverage
from tests.helpers import FIXTURES, report_data, run

SOURCES = FIXTURES / "flux-chart-sources"  # four releases without a chart: three not held, one pin refusing it
EXPECTED_TEXT = (
    "8 HelmReleases: 4 evaluated, 4 skipped (4 chart not available (FLX007)); "
    "0 of 1 deployed chart rendered (1: no renderer (--renderer none))"
)


def test_each_reason_a_release_is_skipped_or_checked_with_less_is_counted() -> None:
    unlisted = release_coverage(report_data(FIXTURES / "flux-unlisted"))
    assert (unlisted.releases, unlisted.evaluated) == (2, 1)
    assert unlisted.skipped == {"not applied by any cluster's build (FLX005)": 1}
    sources = release_coverage(report_data(SOURCES))
    assert (sources.releases, sources.evaluated, sources.skipped) == (8, 4, {"chart not available (FLX007)": 4})
    pinned = release_coverage(report_data(FIXTURES / "bad-versions"))  # four pins refusing the tree's chart: checked
    assert pinned.skipped == {} and pinned.caveats == {
        "without their chart's defaults: chart not available (FLX007)": 4
    }
    values_from = release_coverage(report_data(FIXTURES / "flux-values-from"))
    assert values_from.caveats == {
        "with a valuesFrom source Flux cannot read: the release fails in Flux (FLX008)": 1,
        "with an optional valuesFrom source missing: those values unknown (FLX008)": 1,
    }
    clean = release_coverage(report_data(FIXTURES / "clean"))
    assert (clean.releases, clean.evaluated, clean.skipped, clean.caveats) == (8, 8, {}, {})


def test_renders_say_how_many_charts_rendered_and_why_the_others_did_not() -> None:
    rendered = release_coverage(report_data(FIXTURES / "render", renderer="auto"))
    assert (rendered.charts, rendered.charts_rendered, rendered.rendered, rendered.renders) == (1, 1, 3, 4)
    assert rendered.not_rendered == {"chart not rendered (see RND001)": 1}  # gamma's values fail the render
    off = release_coverage(report_data(FIXTURES / "render"))
    assert off.charts_not_rendered == {"no renderer (--renderer none)": 1}
    assert off.not_rendered == {"no renderer (--renderer none)": 4}
    unselected = release_coverage(report_data(FIXTURES / "render", select=("ATT",), renderer="auto"))
    assert unselected.charts_not_rendered == {"no rendered rule selected": 1}


def test_the_corpus_says_which_releases_were_skipped_and_why(corpus: Path) -> None:
    data = report_data(corpus / "snapshot-2026-04-30", renderer="auto")
    counts = release_coverage(data).as_dict()
    assert counts["helmreleases"] == {
        "total": 106,
        "evaluated": 102,
        "skipped": 4,
        "skipped_by_reason": {"chart not available (FLX007)": 4},
        "evaluated_with_caveats": {},
    }
    renders = counts["renders"]
    assert renders["rendered"] == 0 and renders["charts"] == 34  # the snapshot holds templates of 2 undeployed
    # a wrapper chart renders (as Helm does) only with its upstream dependency, which the snapshot does not vendor
    repo = data.repos[0]
    deployed = {id(c): c for cl in repo.clusters for r in cl.releases if (c := repo.resolve_release(r)[0]) is not None}
    wrappers = sum(1 for chart in deployed.values() if chart.chart_file.get(("dependencies",), None))
    assert renders["charts_not_rendered_by_reason"] == {
        "chart not rendered (see RND002)": wrappers,
        "no templates to render": 34 - wrappers,
    }


def test_json_sarif_text_markdown_and_html_say_the_same(tmp_path: Path) -> None:
    args = ("lint", str(SOURCES), "--renderer", "none")
    coverage = json.loads(run(*args, "--format", "json").stdout)["coverage"]
    assert coverage["helmreleases"] == {
        "total": 8,
        "evaluated": 4,
        "skipped": 4,
        "skipped_by_reason": {"chart not available (FLX007)": 4},
        "evaluated_with_caveats": {},
    }
    assert coverage["renders"]["charts_not_rendered_by_reason"] == {"no renderer (--renderer none)": 1}
    sarif = json.loads(run(*args, "--format", "sarif").stdout)["runs"][0]
    assert sarif["properties"]["complianceCoverage"]["helmreleases"] == coverage["helmreleases"]
    assert sarif["properties"]["complianceCoverage"]["renders"] == coverage["renders"]
    assert EXPECTED_TEXT in run(*args).stdout
    assert f"{EXPECTED_TEXT}." in markdown.render(report_data(SOURCES))
    page = tmp_path / "report.html"
    assert run("report", str(SOURCES), "--renderer", "none", "--output", str(page)).returncode == 0
    verdict = re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8").split('aria-label="verdict"', 1)[1])
    assert EXPECTED_TEXT in verdict.split("</section>", 1)[0]
