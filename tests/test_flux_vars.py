"""Flux post-build substitution as kustomize-controller runs it (issue 12), on fixtures/flux-vars.

One cluster folder (`clusters/dev`, today's convention) whose Flux Kustomizations each apply one folder
under `clusters/dev/apps/`: every envsubst operator, no postBuild, `substituteStrategy: Always`, an empty
`substitute`, the opt-out label, two Kustomizations giving one variable different values, substituteFrom
(ConfigMap and Secret found, optional missing, required missing), a bad variable name and a parse error.
The product's `compliance values --format json` is compared with the oracle (Flux's own code).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from compliance.effective.envsubst import Unresolved
from compliance.engine.evaluate import LintOptions, release_contexts
from compliance.load.repository import load_repository
from tests.helpers import FIXTURES, run
from tests.oracle import oracle_or_skip, run_oracle

ROOT = FIXTURES / "flux-vars"
APPS = "clusters/dev/apps"
FAILING = {"badname", "broken", "required"}  # Kustomizations Flux refuses to build


def values(release: str, *args: str) -> dict[str, Any]:
    result = run("values", str(ROOT), "--cluster", "dev", "--blueprint", release, "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["values"]


def judged(release: str, strict: bool = True) -> dict[str, Any]:
    """The values the rules judge (Secrets' values not redacted)."""
    repo = load_repository(str(ROOT))
    options = LintOptions(strict_substitution=strict)
    (found,) = [c for c in release_contexts(repo, options) if c.release and c.release.name == release]
    return found.values.values


def lint() -> list[dict[str, Any]]:
    result = run("lint", str(ROOT), "--format", "json")
    payload = json.loads(result.stdout)
    return payload["findings"]


def test_every_operator_is_evaluated_and_unquoted_results_retyped() -> None:
    got = values("ops")
    assert got["len"] == 15 and got["up"] == "Api.example.com" and got["upall"] == "API.EXAMPLE.COM"
    assert got["sub"] == "pi" and got["from"] == "example.com" and got["repl"] == "bpi.example.com"
    assert got["replall"] == "api.ExamplE.com" and got["replstart"] == "www.example.com"
    assert got["replend"] == "api.example.org" and got["trim"] == "example.com" and got["trimall"] == "com"
    assert got["suf"] == "api.example" and got["sufall"] == "api" and got["lowfirst"] == "api.example.com"
    assert got["def"] == "d" and got["assign"] == "web" and got["plus"] == "api.example.com"
    assert got["nested"] == "api.example.com-x" and got["escaped"] == "${v}"
    assert got["number"] == 16 and got["flag"] is True  # `0x10` and `yes` retyped by go-yaml v2


def test_without_post_build_nothing_is_substituted() -> None:
    assert values("plain") == {"replicas": 1, "host": "${v}", "port": "${port:=8080}"}
    assert values("novars")["x"] == "${nothing:=fallback}"  # WithVariables and no variable: not run


def test_always_strategy_substitutes_without_variables() -> None:
    assert values("always")["x"] == "fallback"


def test_the_disable_label_skips_the_release() -> None:
    assert values("disabled")["host"] == "${v}"


def test_each_release_gets_its_own_kustomizations_variables() -> None:
    assert values("east")["host"] == "east.example.com"
    assert values("west")["host"] == "west.example.com"


def test_substitute_from_configmap_and_secret_inline_wins_secret_never_shown() -> None:
    got = values("fromcm")
    assert got["host"] == "inline.example.com"  # inline substitute beats the ConfigMap's `v`
    assert got["region"] == "eu-west"
    assert got["token"] == "<redacted>"
    assert judged("fromcm")["token"] == "s3cr3t-token"  # the rules see the Secret's value


def test_a_missing_optional_source_makes_the_result_unknown() -> None:
    got = judged("optional")
    assert isinstance(got["region"], Unresolved) and got["region"].variables == ("region",)
    assert isinstance(got["host"], Unresolved)  # whether Flux substitutes at all depends on that source


def test_refused_substitutions_are_error_findings_located() -> None:
    found = {(f["rule"], f["path"], f["line"]) for f in lint()}
    apps = "clusters/dev/apps.yaml"
    lines = (ROOT / apps).read_text().splitlines()
    required = [i for i, line in enumerate(lines, 1) if "name: not-in-the-repository" in line][-1] - 1
    bad = next(i for i, line in enumerate(lines, 1) if "cluster-name:" in line)
    assert ("FLX002", apps, required) in found
    assert ("FLX002", apps, bad) in found
    assert ("FLX001", f"{APPS}/broken/release.yaml", 15) in found
    assert ("FLX001", f"{APPS}/unset/release.yaml", 16) in found  # strict (the default, as Flux v2.9)
    assert len({f for f in found if f[0].startswith("FLX")}) == 4


def test_the_parse_error_message_is_fluxs() -> None:
    messages = [f["message"] for f in lint() if f["rule"] == "FLX001"]
    assert messages == [
        "post-build substitution fails: missing closing brace",
        'post-build substitution fails: variable not set (strict mode): "nothere"',
    ]


def test_flux_strict_false_substitutes_the_empty_string(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(ROOT, root)
    (root / ".compliance.yaml").write_text("flux-strict: false\n")
    result = run("values", str(root), "--cluster", "dev", "--blueprint", "unset", "--format", "json")
    assert json.loads(result.stdout)["values"] == {"replicas": 1, "host": "api.example.com", "other": "xy", "kept": "d"}
    result = run("lint", str(root), "--format", "json", "--select", "FLX001")
    assert [f["path"] for f in json.loads(result.stdout)["findings"]] == [f"{APPS}/broken/release.yaml"]


def test_values_agree_with_the_oracle() -> None:
    oracle_or_skip()
    oracle = run_oracle(ROOT, "clusters/dev")
    assert {e["kustomization"].split("/")[1] for e in oracle["errors"]} == FAILING
    releases = {r["name"]: r for r in oracle["releases"]}
    assert set(releases) == {p.name for p in (ROOT / APPS).iterdir()} - FAILING
    compared = 0
    for name, release in sorted(releases.items()):
        expected = dict(release["values"])
        if name == "fromcm":
            assert expected["token"] == "s3cr3t-token"
            expected["token"] = "<redacted>"
        if name == "optional":
            continue  # the oracle has no ConfigMap: not run; the product cannot know (unknown)
        if name == "unset":  # non-strict (the oracle's default): the empty string
            assert judged(name, strict=False) == expected
        else:
            assert values(name) == expected, name
        compared += len(expected)
    assert compared > 40


def test_strict_failures_agree_with_the_oracle() -> None:
    oracle_or_skip()
    oracle = run_oracle(ROOT, "clusters/dev", strict=True)
    failing = {e["kustomization"].split("/")[1]: e["message"] for e in oracle["errors"]}
    assert set(failing) == FAILING | {"unset"}
    assert failing["unset"].endswith('variable not set (strict mode): "nothere"')
    assert "unset" not in {r["name"] for r in oracle["releases"]}


def test_values_show_why_a_substitution_fails() -> None:
    result = run("values", str(ROOT), "--cluster", "dev", "--blueprint", "broken", "--format", "json")
    origin = json.loads(result.stdout)["origins"]["host"]
    assert origin["error"] == "missing closing brace" and origin["line"] == 15
    blame = run("values", str(ROOT), "--cluster", "dev", "--blueprint", "unset", "--blame").stdout
    assert 'substitution fails: variable not set (strict mode): "nothere"' in blame


def test_a_source_in_another_namespace_is_not_found_as_flux_says(tmp_path: Path) -> None:
    """kustomize-controller looks up `substituteFrom` in the Kustomization's own namespace: a ConfigMap of that
    name elsewhere is not the one (it once lent its values: the release was judged on values it never gets)."""
    oracle_or_skip()
    root = tmp_path / "repo"
    shutil.copytree(ROOT, root)
    moved = root / "clusters/dev/vars.yaml"
    moved.write_text(
        moved.read_text().replace(
            "name: cluster-vars\n  namespace: flux-system", "name: cluster-vars\n  namespace: elsewhere"
        )
    )
    oracle = run_oracle(root, "clusters/dev")
    refused = {e["kustomization"].split("/")[1]: e["message"] for e in oracle["errors"]}
    assert 'configmaps "cluster-vars" not found' in refused["fromcm"]
    assert "fromcm" not in {r["name"] for r in oracle["releases"]}
    result = run("lint", str(root), "--format", "json", "--select", "FLX002")
    apps = "clusters/dev/apps.yaml"
    at = next(i for i, line in enumerate((root / apps).read_text().splitlines(), 1) if "name: cluster-vars" in line)
    found = {(f["path"], f["line"], f["message"]) for f in json.loads(result.stdout)["findings"]}
    # the oracle's message: "post build failed for '<the resource>': <what Flux says>"; ours names the Kustomization
    message = "Kustomization flux-system/fromcm: " + refused["fromcm"].split("': ", 1)[1]
    assert (apps, at - 1, message) in found
