"""The build stage (compliance/build): clusters found from Flux's graph, kustomize build with patches and
their provenance, what fails and what is not modelled — checked against Flux's and kustomize's own code
(tools/oracle) where it can judge."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from compliance.effective.values import effective_values
from compliance.load.repository import load_repository
from compliance.model import Cluster, HelmRelease
from tests.helpers import FIXTURES, RELEASE_HEAD, ROOT, brief, line_of, lint_fixture, position, run
from tests.oracle import oracle_or_skip, run_oracle

KH = FIXTURES / "flux-kustomize-helm"
BUILD = FIXTURES / "flux-build"


def _cluster(root: Path, name: str) -> Cluster:
    return next(c for c in load_repository(str(root)).clusters if c.name == name)


def _release(root: Path, cluster: str, name: str) -> tuple[HelmRelease, Any]:
    repo = load_repository(str(root))
    release = next(r for c in repo.clusters if c.name == cluster for r in c.releases if r.name == name)
    chart, _ = repo.resolve_release(release)
    return release, effective_values(chart, release, {})


def _json_numbers(value: Any) -> Any:
    """As JSON decodes into Go's interface{}: every number a float64."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        return {k: _json_numbers(v) for k, v in value.items()}
    return [_json_numbers(v) for v in value]


# ── clusters from the Flux graph ──────────────────────────────────────────────────────────────


def test_clusters_are_found_from_flux_bootstrap_kustomizations() -> None:
    result = run("clusters", str(KH), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    production = next(c for c in data["clusters"] if c["name"] == "production")
    assert [c["name"] for c in data["clusters"]] == ["production", "staging"]
    assert production["entry"] == "clusters/production"
    apps = next(k for k in production["kustomizations"] if k["name"] == "flux-system/apps")
    assert apps["path"] == "apps/production"
    assert apps["appliedBy"] == "flux-system/flux-system"
    assert apps["dependsOn"] == ["infra-controllers"]
    assert apps["variables"] == ["cluster_domain", "cluster_env", "region"]
    assert apps["variableSources"] == ["clusters/production/cluster-vars.yaml"]
    podinfo = next(r for r in production["releases"] if r["name"] == "podinfo")
    assert podinfo == {
        "name": "podinfo",
        "namespace": "podinfo",
        "file": "apps/base/podinfo/release.yaml",
        "kustomization": "flux-system/apps",
        "patchedBy": ["apps/production/podinfo-values.yaml"],
    }


def test_clusters_text_names_every_kustomization_and_release() -> None:
    result = run("clusters", str(KH), "--cluster", "staging")
    assert result.returncode == 0, result.stderr
    assert "staging  (entry: clusters/staging, 2 HelmReleases)" in result.stdout
    assert "Kustomization flux-system/infra-controllers -> infrastructure/controllers" in result.stdout
    assert (
        "HelmRelease podinfo/podinfo  apps/base/podinfo/release.yaml patched by apps/staging/podinfo-values.yaml"
        in (result.stdout)
    )
    assert "production" not in result.stdout


def test_unknown_cluster_is_a_usage_error() -> None:
    result = run("clusters", str(KH), "--cluster", "nowhere")
    assert result.returncode == 2
    assert "unknown cluster: nowhere; clusters: production, staging" in result.stderr


def test_convention_clusters_stay_when_there_is_no_flux_kustomization() -> None:
    repo = load_repository(str(ROOT / "examples" / "marketplace"))
    assert [(c.name, c.directory, len(c.releases)) for c in repo.clusters] == [
        ("_template", "clusters/_template", 4),
        ("acme", "clusters/acme", 4),
    ]


# ── patches and their provenance ─────────────────────────────────────────────────────────────


def test_values_show_the_patch_file_line() -> None:
    result = run("values", str(KH), "--cluster", "production", "--blueprint", "podinfo", "--blame")
    assert result.returncode == 0, result.stderr
    patch = KH / "apps/production/podinfo-values.yaml"
    replicas = next(line for line in result.stdout.splitlines() if line.startswith("replicaCount:"))
    assert f"apps/production/podinfo-values.yaml:{line_of(patch, 'replicaCount')}" in replicas
    assert "overrode 2 (charts/podinfo/values.yaml:1)" in replicas
    assert "< apps/production/podinfo-values.yaml" in result.stdout


def test_inline_patch_is_located_inside_the_kustomization() -> None:
    release, values = _release(BUILD, "prod", "api")
    kustomization = BUILD / "apps/prod/kustomization.yaml"
    assert values.get(("replicas",)) == 5
    assert values.locate(("replicas",)).path == "apps/prod/kustomization.yaml"
    assert (values.locate(("replicas",)).line, values.locate(("replicas",)).column) == position(kustomization, "5")
    tag = values.locate(("image", "tag"))
    assert (tag.path, tag.line) == ("apps/prod/kustomization.yaml", line_of(kustomization, 'tag: "2.1"'))
    assert [step.location.path for step in values.trace(("image", "tag"))] == [
        "apps/prod/kustomization.yaml",
        "apps/base/api.yaml",
        "charts/demo/values.yaml",
    ]
    hardened = values.locate(("hardened",))
    component = BUILD / "components/hardening/kustomization.yaml"
    assert (hardened.path, hardened.line) == ("components/hardening/kustomization.yaml", line_of(component, "hardened"))
    assert release.kustomization == "flux-system/apps"


def test_json6902_moves_list_positions_and_removal_restores_the_default() -> None:
    _, values = _release(BUILD, "prod", "web")
    assert values.get(("list",)) == ["first", "c"]
    first = values.locate(("list", 0))
    assert (first.path, first.line) == ("apps/prod/web-json.yaml", line_of(BUILD / "apps/prod/web-json.yaml", "first"))
    second = values.locate(("list", 1))
    assert (second.path, second.line) == (
        "apps/prod/web-patch.yaml",
        line_of(BUILD / "apps/prod/web-patch.yaml", "[c]"),
    )
    assert values.get(("replicas",)) == 1  # removed from the release: the chart's default
    assert values.get(("fromFlux",)) == "yes"  # the Flux Kustomization's own spec.patches
    assert values.locate(("fromFlux",)).path == "clusters/prod/apps.yaml"
    assert values.get(("channels", "a", "endpoint")) == ""
    assert values.get(("region",)) == "eu-west-1"  # substituted after the build, as Flux does


def test_namespace_and_name_prefix_change_identity() -> None:
    cluster = _cluster(BUILD, "prod")
    assert sorted((r.namespace, r.name, r.release_name) for r in cluster.releases) == [
        ("apps", "api", "api"),
        ("apps", "web", "web"),
        ("default", "local", "local"),
        ("extras", "x-extra", "x-extra"),
    ]


def test_a_patch_that_empties_the_vllm_endpoint_is_found_at_the_patch(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "marketplace", repo)
    kit = repo / "clusters/acme/bootstrap-kit"
    files = sorted(p.name for p in kit.glob("*.yaml"))
    (kit / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
        + "".join(f"  - {name}\n" for name in files)
        + "patches:\n  - path: vllm-endpoint.yaml\n",
        encoding="utf-8",
    )
    patch = kit / "vllm-endpoint.yaml"
    patch.write_text(
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
        "metadata:\n  name: bp-newapi\n  namespace: flux-system\n"
        'spec:\n  values:\n    defaultChannels:\n      vllm:\n        endpoint: ""\n',
        encoding="utf-8",
    )
    before = [f for f in lint_fixture(ROOT / "examples" / "marketplace") if f.rule == "DEF001" and f.cluster == "acme"]
    assert before == []
    after = [f for f in lint_fixture(repo) if f.rule == "DEF001" and f.cluster == "acme"]
    assert [(f.location.path, f.location.line) for f in after] == [
        ("clusters/acme/bootstrap-kit/vllm-endpoint.yaml", line_of(patch, "endpoint"))
    ]


# ── what is not deployed, what fails, what is not modelled ───────────────────────────────────


def test_an_unlisted_helmrelease_is_reported_not_linted() -> None:
    findings = lint_fixture("flux-unlisted")
    unlisted = [f for f in findings if f.location.path == "apps/dev/unlisted.yaml"]
    assert [f.rule for f in unlisted] == ["FLX005"]
    assert unlisted[0].severity.value == "info"
    cluster = _cluster(FIXTURES / "flux-unlisted", "dev")
    assert [r.name for r in cluster.releases] == ["listed"]


def test_a_patch_file_is_not_read_as_a_second_release() -> None:
    cluster = _cluster(KH, "production")
    assert sorted(r.name for r in cluster.releases) == ["ingress-nginx", "podinfo"]
    findings = lint_fixture(KH)
    assert not [f for f in findings if f.rule == "FLX005"]


def test_a_failing_build_is_an_error_and_applies_nothing() -> None:
    findings = lint_fixture(BUILD, select=("FLX",))
    kustomization = BUILD / "apps/broken/kustomization.yaml"
    assert ("FLX003", "error", "apps/broken/kustomization.yaml", line_of(kustomization, "nothing-matches"), None) in (
        brief(findings)
    )
    assert _cluster(BUILD, "broken").releases == ()


def test_what_is_not_modelled_is_said_where_it_is() -> None:
    root = FIXTURES / "flux-not-modelled"
    findings = [f for f in lint_fixture(root, select=("FLX",)) if f.rule == "FLX004"]
    kustomization = root / "apps/dev/kustomization.yaml"
    apps = root / "clusters/dev/apps.yaml"
    lines = {(f.location.path, f.location.line) for f in findings}
    assert lines == {
        ("apps/dev/kustomization.yaml", line_of(kustomization, "https://github.com")),
        ("apps/dev/kustomization.yaml", line_of(kustomization, "helmCharts")),
        ("apps/dev/kustomization.yaml", line_of(kustomization, "replacements")),  # the generator is modelled
        ("clusters/dev/apps.yaml", line_of(apps, "kind: OCIRepository") - 1),
        ("clusters/dev/apps.yaml", line_of(apps, "kind: HelmRepository") - 1),
    }
    assert all(f.severity.value == "info" for f in findings)
    assert [r.name for r in _cluster(root, "dev").releases] == ["web"]


# ── against Flux's and kustomize's own code ──────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("fixture", "cluster"),
    [
        ("flux-build", "prod"),
        ("flux-build", "broken"),
        ("flux-kustomize-helm", "production"),
        ("flux-kustomize-helm", "staging"),
        ("flux-unlisted", "dev"),
    ],
)
def test_the_build_agrees_with_the_oracle(fixture: str, cluster: str) -> None:
    oracle_or_skip()
    root = FIXTURES / fixture
    built = _cluster(root, cluster)
    oracle = run_oracle(root, built.directory)
    theirs = {(r["namespace"], r["name"]): r for r in oracle["releases"]}
    ours = {(r.namespace, r.name): r for r in built.releases}
    assert sorted(ours) == sorted(theirs)
    failing = sorted(k.name for k in built.kustomizations if k.error)
    assert failing == sorted(e["kustomization"] for e in oracle["errors"])
    repo = load_repository(str(root))
    for key, release in ours.items():
        chart, _ = repo.resolve_release(release)
        values = effective_values(chart, release, {})
        assert _json_numbers(values.values) == _json_numbers(theirs[key]["values"]), key


def _kustomization(name: str, path: str, post_build: str = "") -> str:
    return (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        f"metadata:\n  name: {name}\n  namespace: flux-system\n"
        f"spec:\n  interval: 10m\n  path: ./{path}\n  prune: true\n"
        "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n" + post_build
    )


def test_quoted_placeholder_is_reported_only_where_a_kustomization_substitutes(tmp_path: Path) -> None:
    (tmp_path / "clusters/dev").mkdir(parents=True)
    (tmp_path / "clusters/dev/apps.yaml").write_text(
        _kustomization("plain", "apps/plain")
        + "---\n"
        + _kustomization("subst", "apps/subst", "  postBuild:\n    substitute:\n      E: 'yes'\n"),
        encoding="utf-8",
    )
    for folder in ("plain", "subst"):
        (tmp_path / f"apps/{folder}").mkdir(parents=True)
        release = RELEASE_HEAD.replace("name: t\n", f"name: {folder}\n") + '    enabled: "${E}"\n'
        (tmp_path / f"apps/{folder}/release.yaml").write_text(release, encoding="utf-8")
    findings = [f for f in lint_fixture(tmp_path) if f.rule == "YML005"]
    assert [f.location.path for f in findings] == ["apps/subst/release.yaml"]


def test_a_patch_target_pattern_runs_in_re2_and_a_bad_one_fails_the_build(tmp_path: Path) -> None:
    """The pattern comes from the pull request: RE2 (linear time, as kustomize's Go regexp), and one it refuses
    is the Kustomization's build error, not a crash."""
    root = tmp_path / "repo"
    shutil.copytree(BUILD, root)
    kustomization = root / "apps/prod/kustomization.yaml"
    text = kustomization.read_text(encoding="utf-8").replace("      name: api\n", "      name: (a\n", 1)
    kustomization.write_text(text, encoding="utf-8")
    failing = [f for f in lint_fixture(root, select=("FLX003",)) if "not a valid regular expression" in f.message]
    assert [(f.location.path, f.severity.value) for f in failing] == [("apps/prod/kustomization.yaml", "error")]
