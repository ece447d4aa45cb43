"""kustomize's configMapGenerator/secretGenerator in the build (compliance/build/generators.py): names with
kustomize's content hash, generatorOptions, behavior merge, and a generated ConfigMap/Secret feeding a
HelmRelease's valuesFrom — names and values checked against kustomize's and helm-controller's own code
(tools/oracle)."""

from __future__ import annotations

from pathlib import Path

from compliance.build.generators import name_hashes
from compliance.build.kustomize import Build, Tree
from compliance.effective.values import effective_values
from compliance.load.repository import load_repository
from tests.helpers import FIXTURES, brief, line_of, lint_fixture
from tests.oracle import oracle_or_skip, run_oracle

GEN = FIXTURES / "flux-generators"


def _objects(root: Path, folder: str) -> dict[tuple[str, str], dict[str, object]]:
    repo = load_repository(str(root))
    texts = {rel: (root / rel).read_text(encoding="utf-8") for rel in repo.documents}
    resources = Build(Tree(repo.documents, texts)).folder(folder, {})
    name_hashes(resources)
    return {(r.kind, r.name): r.value for r in resources if r.kind in ("ConfigMap", "Secret")}


def _web(root: Path) -> tuple[object, object]:
    repo = load_repository(str(root))
    release = next(r for c in repo.clusters for r in c.releases if r.name == "web")
    chart, _ = repo.resolve_release(release)
    return release, effective_values(chart, release, {})


def test_generated_objects_have_kustomize_names_options_and_merged_data() -> None:
    objects = _objects(GEN, "apps/dev")
    settings = objects[("ConfigMap", "settings")]
    assert settings["data"] == {"a": "1", "b": "2", "c": "3"}  # merge: the generator's keys win
    assert objects[("ConfigMap", "web-values")]["metadata"] == {
        "name": "web-values",
        "namespace": "apps",
        "labels": {"team": "web"},
    }
    hashed = next(v for (kind, name), v in objects.items() if name.startswith("hashed-") and kind == "ConfigMap")
    assert hashed["data"] == {"text": "<a & b>", "unicode": "ünïcode", "n": "1", "q": "quoted"}


def test_names_agree_with_kustomize() -> None:
    oracle_or_skip()
    theirs = {(o["kind"], o["name"]) for o in run_oracle(GEN, "clusters/dev")["objects"]}
    ours = set(_objects(GEN, "apps/dev"))
    assert ours == {k for k in theirs if k[0] in ("ConfigMap", "Secret")}


def test_a_generated_config_map_and_secret_feed_values_from_as_helm_controller_reads_them() -> None:
    _, values = _web(GEN)
    image = {"repository": "web", "tag": "3.0"}
    assert values.values == {"replicas": 3, "debug": True, "image": image, "auth": {"password": ""}}
    # provenance: the file the generator read, at its line
    source = GEN / "apps/dev/web-values.yaml"
    assert values.locate(("debug",)).path == "apps/dev/web-values.yaml"
    assert values.locate(("debug",)).line == line_of(source, "debug")
    oracle_or_skip()
    (release,) = run_oracle(GEN, "clusters/dev")["releases"]
    assert "error" not in release
    assert values.values == release["values"]


def test_values_from_agrees_with_helm_controller_on_precedence_optional_and_hashed_names() -> None:
    root = FIXTURES / "flux-values-from"
    _, web = _web(root)
    repo = load_repository(str(root))
    api = next(r for c in repo.clusters for r in c.releases if r.name == "api")
    assert [s.problem for s in api.values_from] == [
        "could not resolve ConfigMap chart values reference 'apps/api-values' with key 'values.yaml': "
        'configmaps "api-values" not found'
    ]
    oracle_or_skip()
    theirs = {r["name"]: r for r in run_oracle(root, "clusters/dev")["releases"]}
    assert web.values == theirs["web"]["values"]
    assert 'configmaps "api-values" not found' in theirs["api"]["error"]


def test_generators_are_no_longer_reported_as_not_modelled() -> None:
    findings = brief(lint_fixture(GEN))
    assert [b for b in findings if b[0] in ("FLX003", "FLX004", "FLX008")] == []
