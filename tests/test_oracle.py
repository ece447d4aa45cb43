"""The Go test oracle (tools/oracle) on its own fixtures: proof that it builds clusters the way Flux does.

Select with `pytest tests/test_oracle.py`. Skips with the reason when Go is not on PATH. These tests check the
oracle itself (patches applied, unlisted files absent, go-yaml v3 typing, substitution); the comparison of the
product's `compliance values` with the oracle is built on top of `tests/oracle.py`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import FIXTURES
from tests.oracle import cache_root, oracle_binary, oracle_or_skip, run_oracle, source_hash, tree_digest


@pytest.fixture(scope="module")
def oracle() -> Path:
    return oracle_or_skip()


def releases(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in data["releases"]}


def test_production_gets_the_overlay_patch_and_its_variables(oracle: Path) -> None:
    data = run_oracle(FIXTURES / "flux-kustomize-helm", "clusters/production")
    assert data["errors"] == []
    podinfo = releases(data)["podinfo"]
    assert podinfo["kustomization"] == "flux-system/apps"
    assert podinfo["kustomizationPath"] == "./apps/production"
    assert podinfo["chartPath"] == "charts/podinfo"
    values = podinfo["values"]
    # apps/production/podinfo-values.yaml (strategic merge) over apps/base over the chart's values.yaml
    assert values["replicaCount"] == 3
    assert values["resources"] == {"limits": {"memory": "512Mi"}, "requests": {"cpu": "1m", "memory": "16Mi"}}
    assert values["image"] == {"repository": "ghcr.io/stefanprodan/podinfo", "tag": "6.7.1"}
    # inline substitute beats the substituteFrom ConfigMap; the ConfigMap supplies what inline lacks
    assert values["region"] == "eu-west-1"
    assert values["ingress"]["hosts"][0]["host"] == "podinfo.prod.example.com"
    assert values["env"] == "production"
    assert values["envUpper"] == "PRODUCTION"
    # The Flux Kustomization's spec.patches reaches the infrastructure release
    nginx = releases(data)["ingress-nginx"]
    assert nginx["chartPath"] == "charts/ingress-nginx"
    assert nginx["values"]["controller"] == {
        "replicaCount": 3,
        "service": {"type": "NodePort"},
        "admissionWebhooks": {"enabled": False},
        "config": {},
    }


def test_staging_uses_defaults_and_its_own_patch(oracle: Path) -> None:
    data = run_oracle(FIXTURES / "flux-kustomize-helm", "clusters/staging")
    assert data["errors"] == []
    values = releases(data)["podinfo"]["values"]
    assert values["replicaCount"] == 1
    assert values["ingress"]["enabled"] is False
    assert values["region"] == "us-east-1"  # ${region:=us-east-1}
    assert values["ingress"]["hosts"][0]["host"] == "podinfo.local.example.com"
    assert values["envUpper"] == "STAGING"  # ${cluster_env^^}
    assert values["resources"]["limits"]["memory"] == "256Mi"
    assert releases(data)["ingress-nginx"]["values"]["controller"]["replicaCount"] == 1


def test_the_graph_of_kustomizations(oracle: Path) -> None:
    data = run_oracle(FIXTURES / "flux-kustomize-helm", "clusters/production")
    graph = {(k["namespace"], k["name"]): k for k in data["kustomizations"]}
    assert set(graph) == {("flux-system", "flux-system"), ("flux-system", "apps"), ("flux-system", "infra-controllers")}
    apps = graph["flux-system", "apps"]
    assert apps["path"] == "./apps/production"
    assert apps["appliedBy"] == "flux-system/flux-system"
    assert apps["dependsOn"] == ["flux-system/infra-controllers"]
    assert apps["variables"] == {"cluster_env": "production", "region": "eu-west-1"}
    assert apps["substituteFrom"] == ["ConfigMap/cluster-vars"]
    assert all(k["built"] for k in data["kustomizations"])
    # entering at the bootstrap folder: its gotk-sync Kustomization takes over, as on a bootstrapped cluster
    boot = run_oracle(FIXTURES / "flux-kustomize-helm", "clusters/production/flux-system")
    assert boot["kustomizations"] == data["kustomizations"]
    assert boot["releases"] == data["releases"]


def test_a_release_not_listed_in_resources_is_not_applied(oracle: Path) -> None:
    data = run_oracle(FIXTURES / "flux-unlisted", "clusters/dev")
    assert data["errors"] == []
    assert sorted(releases(data)) == ["listed"]
    assert releases(data)["listed"]["values"] == {"replicas": 2, "image": {"tag": "1.0"}}


def test_helmrelease_values_are_typed_by_go_yaml_v3_then_retyped_after_substitution(oracle: Path) -> None:
    data = run_oracle(FIXTURES / "flux-yaml-typing", "clusters/acme")
    assert data["errors"] == []
    geo = releases(data)["geo"]["values"]
    assert geo["block"] == ["IR", "NO"]  # the HelmRelease file: go-yaml v3, NO is a string
    assert geo["chartBlock"] == ["IR", False]  # the chart's values.yaml: Helm's YAML 1.1 rules
    assert geo["legacy"] is True
    assert geo["mode"] == "on"
    assert geo["on"] == "enabled"
    assert geo["flag"] == "yes"
    assert geo["released"] == "2024-01-02T00:00:00Z"
    assert geo["octal"] == 15
    assert geo["enabled"] is True  # "${E}" with E=yes: the quotes do not survive the re-emission
    assert geo["id"] == 83  # "${ID}" with ID=0123: octal after substitution
    assert geo["kept"] == "yes"  # ${quote}${E}${quote}
    assert geo["host"] == "${HOST}"  # $$ escapes
    assert geo["url"] == "https://example.com"
    assert geo["missing"] is None  # an undefined var is "" (non-strict), and an empty scalar is null
    raw = releases(data)["raw"]["values"]
    assert raw["enabled"] == "${E}"  # kustomize.toolkit.fluxcd.io/substitute: disabled
    assert raw["block"] == ["IR", "NO"]


def test_strict_substitution_fails_the_kustomization(oracle: Path) -> None:
    data = run_oracle(FIXTURES / "flux-yaml-typing", "clusters/acme", strict=True)
    assert [e["kustomization"] for e in data["errors"]] == ["flux-system/apps"]
    assert 'variable not set (strict mode): "undefined_var"' in data["errors"][0]["message"]
    assert data["releases"] == []


def test_build_errors_are_reported_and_other_kustomizations_still_apply(oracle: Path) -> None:
    data = run_oracle(FIXTURES / "flux-build-errors", "clusters/lab")
    errors = {e["kustomization"]: e["message"] for e in data["errors"]}
    assert set(errors) == {"flux-system/badvar", "flux-system/dupkey", "flux-system/intkey"}
    assert 'mapping key "replicas" already defined' in errors["flux-system/dupkey"]
    assert "json: unsupported type: map[interface {}]interface {}" in errors["flux-system/intkey"]
    assert "'my-var' var name is invalid" in errors["flux-system/badvar"]
    assert [(r["name"], r["values"]) for r in data["releases"]] == [("good", {"replicas": 3})]


def test_the_repository_is_never_written_and_output_is_deterministic(oracle: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "flux-kustomize-helm", repo)
    before = tree_digest(repo)
    runs = [
        subprocess.run([oracle, "--root", repo, "--entry", "clusters/production"], capture_output=True, check=True)
        for _ in range(2)
    ]
    assert tree_digest(repo) == before  # the generated kustomization.yaml went to a scratch copy
    assert runs[0].stdout == runs[1].stdout
    assert json.loads(runs[0].stdout)["releases"]


def test_a_missing_entry_path_is_data_and_bad_usage_exits_2(oracle: Path) -> None:
    data = run_oracle(FIXTURES / "flux-unlisted", "clusters/nowhere")
    assert data["releases"] == []
    assert "kustomization path not found" in data["errors"][0]["message"]
    usage = subprocess.run([oracle, "--root", FIXTURES / "flux-unlisted"], capture_output=True, text=True)
    assert usage.returncode == 2
    assert "usage: oracle" in usage.stderr


def test_values_from_composition_with_helm_controller_precedence(oracle: Path) -> None:
    data = run_oracle(FIXTURES / "flux-values-from", "clusters/dev")
    assert data["errors"] == []
    web = releases(data)["web"]
    # chart < valuesFrom ConfigMap < spec.values; targetPath from a Secret (stringData); optional miss skipped
    assert web["values"] == {
        "replicas": 5,
        "debug": True,
        "image": {"repository": "web", "tag": "2.0"},
        "auth": {"password": "s3cr3t"},
    }
    # kustomize's configMapGenerator hash suffix is not propagated into HelmRelease valuesFrom
    api = releases(data)["api"]
    assert api["values"] is None
    assert 'configmaps "api-values" not found' in api["error"]
    generated = {o["name"] for o in data["objects"] if o["kind"] == "ConfigMap"}
    assert "web-values" in generated
    assert any(name.startswith("api-values-") for name in generated)


def test_patch_semantics_and_generated_kustomizations(oracle: Path) -> None:
    data = run_oracle(FIXTURES / "flux-patch-semantics", "clusters/dev")
    demo = releases(data)["demo"]
    # strategic merge: the list is replaced; `deleteme: null` removes the key from spec.values, so the chart's
    # default comes back, while `nulled: null` written in the HelmRelease reaches Helm and deletes the default
    assert demo["userValues"] == {"added": "yes", "image": {"tag": "9"}, "list": ["z"], "nulled": None}
    assert demo["values"] == {"added": "yes", "deleteme": "chart", "image": {"tag": "9"}, "list": ["z"], "replicas": 1}
    # no kustomization.yaml at spec.path: Flux generates one from every manifest below it, nested folders too,
    # and targetNamespace moves the release
    nested = releases(data)["nested"]
    assert (nested["namespace"], nested["kustomization"]) == ("gen", "flux-system/generated")
    # ...and a YAML file that is not a Kubernetes object fails that Kustomization
    assert [(e["kustomization"], e["message"]) for e in data["errors"]] == [
        (
            "flux-system/not-kubernetes",
            "failed to decode Kubernetes YAML from /not-kubernetes/values.yaml: missing Resource metadata",
        )
    ]
    assert "never" not in releases(data)


def test_envsubst_operators_strategy_and_scalar_typing(oracle: Path) -> None:
    data = run_oracle(FIXTURES / "flux-substitution", "clusters/dev")
    by_name = {r["name"]: r["userValues"] for r in data["releases"]}
    assert by_name["ops"]["o"] == {
        "len": 15,  # "${#v}": quotes dropped, retyped as an int
        "up": "Api.example.com",
        "sub": "pi",
        "repl": "bpi.example.com",
        "trim": "example.com",
        "trimall": "com",
        "suf": "api.example",
        "def": "d",
        "plus": "api.example.com",  # ${v:+alt} behaves like ${v:-alt}
        "nested": "api.example.com-x",
    }
    # ${v-d} does not parse: the whole Kustomization fails
    assert [(e["kustomization"], e["message"].rsplit(": ", 1)[-1]) for e in data["errors"]] == [
        ("flux-system/dashdefault", "missing closing brace")
    ]
    assert by_name["always"] == {"x": "fallback"}  # substituteStrategy: Always, no variables
    assert by_name["novars"] == {"x": "${nothing:=fallback}"}  # postBuild without variables: no substitution
    # go-yaml v3 (kyaml) typing of literal scalars, the same with and without a substitution pass
    expected = {"a": "yes", "b": 15, "c": 15, "d": 31, "e": 1000, "f": 1000, "g": 8, "h": None}
    expected |= {"i": "2001-12-14 21:59:43.10 -5", "j": "0123", "k": "y", "l": 1, "m": 12345678901234567000}
    expected |= {"n": "true", "o": 5, "p": 12, "q": "hello"}
    assert by_name["plain"]["s"] == expected
    assert by_name["vars"]["s"] == expected


def test_the_binary_is_cached_per_source_hash(oracle: Path) -> None:
    assert oracle == cache_root() / source_hash() / "oracle"
    assert oracle_binary() == oracle
    assert not [p for p in oracle.parent.iterdir() if p.name.startswith(".oracle-")]  # no temp build left behind


def test_substitute_gives_the_entry_the_run_variables(oracle: Path) -> None:
    """`--substitute --var`: the linter's `clusters/<name>/` convention, whose Flux Kustomization is elsewhere."""
    root = FIXTURES / "values-newapi"
    plain = releases(run_oracle(root, "clusters/_template"))["bp-newapi"]["userValues"]
    assert plain["ingress"]["host"] == "api.${SOVEREIGN_FQDN}"  # no postBuild: no substitution
    given = run_oracle(root, "clusters/_template", substitute={"SOVEREIGN_FQDN": "x.example"})
    values = releases(given)["bp-newapi"]["userValues"]
    assert values["ingress"]["host"] == "api.x.example"
    assert values["defaultChannels"]["qwenPartner"]["enabled"] is False  # strategy Always: defaults apply
    strict = run_oracle(root, "clusters/_template", strict=True, substitute={})
    assert ['variable not set (strict mode): "SOVEREIGN_FQDN"' in e["message"] for e in strict["errors"]] == [True]
