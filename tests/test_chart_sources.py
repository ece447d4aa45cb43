"""Which chart a HelmRelease installs (`Repository.chart_choice`): a Git/Bucket path, a HelmRepository or
OCIRepository chart by name whose version the pinned semver range selects (a pin none meets: not used, FLX007),
`spec.chartRef`, `valuesFiles` replacing the chart's values.yaml — and FLX007 whenever the values are not
checked against the chart Flux installs, instead of a silent skip."""

from __future__ import annotations

from pathlib import Path

from compliance.effective.values import effective_values
from compliance.load.repository import load_repository
from tests.helpers import FIXTURES, brief, line_of, lint_fixture

SOURCES = FIXTURES / "flux-chart-sources"
RELEASES = SOURCES / "apps/dev/releases.yaml"


def _values(name: str) -> object:
    repo = load_repository(str(SOURCES))
    release = next(r for c in repo.clusters for r in c.releases if r.name == name)
    chart, _ = repo.resolve_release(release)
    return effective_values(chart, release, {})


def test_every_release_whose_chart_is_not_in_the_repository_is_said() -> None:
    found = [(b[1], b[3]) for b in brief(lint_fixture(SOURCES, select=("FLX",))) if b[0] == "FLX007"]
    assert found == [
        ("warning", line_of(RELEASES, "version", after="name: broken-range")),
        ("info", line_of(RELEASES, "chart: ingress-nginx")),
        ("info", line_of(RELEASES, "chartRef")),
        ("info", line_of(RELEASES, "chart: ./charts/nope")),
        ("error", line_of(RELEASES, "values-staging.yaml")),
    ]
    messages = [f.message for f in lint_fixture(SOURCES, select=("FLX007",))]
    assert (
        "chart 'ingress-nginx' from HelmRepository/ingress-nginx not available: values checked against nothing"
        in (messages[1])
    )


def test_the_chart_whose_version_the_pin_selects_is_the_one_checked() -> None:
    # two in-repo charts named web: 1.4.13 (charts/web) and 1.1.1 (charts/web-old)
    assert _values("ranged").get(("replicas",)) == 1  # >=1.4.0 <1.5.0: charts/web
    assert _values("pinned").get(("replicas",)) == 7  # 1.1.1: charts/web-old
    # a pin no in-repo chart satisfies: the tree's charts are not used, FLX007 says so (once, not VER003 too)
    broken = line_of(RELEASES, "version", after="name: broken-range")
    assert [b[0] for b in brief(lint_fixture(SOURCES, select=("VER003", "FLX007"))) if b[3] == broken] == ["FLX007"]
    (message,) = [f.message for f in lint_fixture(SOURCES, select=("FLX007",)) if f.location.line == broken]
    assert "pinned at '>=1.4.0 <<1.5'" in message and "the repository has 1.4.13, 1.1.1" in message


def test_without_its_chart_a_release_s_absent_keys_are_unknown_not_absent() -> None:
    """A chart not available (or not the pinned one): its defaults could set any key the overlay leaves out, so
    such a key is unknown (a rule that needs it is not run, or says it could not check), never absent; what the
    overlay sets is known and judged as usual."""
    from compliance.effective.envsubst import Unresolved

    for name in ("broken-range", "external"):
        values = _values(name)
        assert isinstance(values.get(("replicas",)), Unresolved), name
    from compliance.model import MISSING

    assert _values("pinned").get(("nothing", "here")) is MISSING  # its chart is in the tree: an absent key is absent


def test_values_files_replace_the_chart_values_in_order() -> None:
    values = _values("prod")
    assert values.values == {"replicas": 3, "debug": True, "image": {"repository": "web", "tag": "1.4"}}
    prod = SOURCES / "charts/web/values-prod.yaml"
    where = values.locate(("image", "tag"))
    assert (where.path, where.line) == ("charts/web/values-prod.yaml", line_of(prod, "tag"))


def test_charts_from_outside_the_snapshot_are_said_on_the_corpus(corpus: Path) -> None:
    root = corpus / "snapshot-2026-04-30"
    found = {f.location.path for f in lint_fixture(root, select=("FLX007",))}
    # the catalyst platform chart is published elsewhere, vcluster comes from loft's repository
    assert found == {
        "clusters/_template/bootstrap-kit/13-bp-catalyst-platform.yaml",
        "clusters/contabo-mkt/tenants/bakkal/vcluster.yaml",
        "clusters/omantel.omani.works/bootstrap-kit/13-bp-catalyst-platform.yaml",
        "clusters/otech.omani.works/bootstrap-kit/13-bp-catalyst-platform.yaml",
    }


def test_a_release_whose_pin_refuses_the_tree_s_chart_is_still_judged_on_what_it_sets(tmp_path: Path) -> None:
    """fixtures/config's acme pinned at 1.0.9 (the tree has 1.1.0): the overlay's own audit.retentionDays (400,
    below the default minimum) is still AUD002, while audit.enabled, which the overlay leaves to the chart, is
    not run (values unknown), never "not set"."""
    import shutil

    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "config", repo)
    (repo / ".compliance.yaml").unlink()
    overlay = repo / "clusters/acme/bootstrap-kit/80-newapi.yaml"
    overlay.write_text(overlay.read_text().replace("version: 1.1.0", "version: 1.0.9"))
    from compliance.app.api import lint_path

    run = lint_path(str(repo), select=("AUD002", "FLX007"))
    found = [f for f in run.findings if f.cluster in ("acme", None)]
    assert [(f.rule, f.severity.value) for f in found if "acme" in f.location.path] == [
        ("FLX007", "warning"),
        ("AUD002", "warning"),
    ]
    assert "audit.retentionDays is 400" in found[-1].message
    # audit.enabled, left to the chart nobody has: that part of the check did not run (issue 14), never "not set"
    reasons = [skip.reason for (rule, _, cluster), skip in run.skipped.items() if (rule, cluster) == ("AUD002", "acme")]
    assert any("audit.enabled depends on the chart's defaults (chart not available)" in r for r in reasons), reasons
    assert not any("${the chart" in r for r in reasons)  # only a Flux variable is spelled ${NAME}
