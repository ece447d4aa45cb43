"""`compliance whatif` and `lint --whatif` (issue 18): every flip the what-if reports is proved by running
`compliance lint --var NAME=VALUE` with that assignment and comparing with the defaults."""

from __future__ import annotations

import json
import os
import shutil
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import FIXTURES, line_of, run

FIXTURE = FIXTURES / "whatif-marketplace"
TEMPLATE = FIXTURE / "clusters" / "_template" / "bootstrap-kit" / "80-newapi.yaml"
OVERLAY = "clusters/_template/bootstrap-kit/80-newapi.yaml"

Key = tuple[str, str, str, str, int]


def whatif(path: Path, *args: str) -> dict[str, Any]:
    result = run("whatif", str(path), "--cluster", "_template", "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _key(finding: dict[str, Any]) -> Key:
    return finding["rule"], finding["severity"], finding["message"], finding["path"], finding["line"]


@cache
def linted(path: Path, assignment: tuple[tuple[str, str], ...], cluster: str = "_template") -> frozenset[Key]:
    """The findings `compliance lint --var ...` reports for `cluster` (values shown: public)."""
    args = [a for name, value in assignment for a in ("--var", f"{name}={value}", "--public-var", name)]
    result = run("lint", str(path), "--renderer", "none", "--format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    return frozenset(_key(f) for f in json.loads(result.stdout)["findings"] if f["cluster"] == cluster)


def _assignment(flip: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(flip["assignment"].items())


def prove(path: Path, data: dict[str, Any]) -> int:
    """Each single flip against `lint` with the defaults; each pair's against lint with both, and with each
    alone (what the pair changes is measured against what the singles predict). Returns the flips proved."""
    cluster = data["cluster"]
    base = linted(path, (), cluster)
    proved = 0
    for flip in data["singles"]:
        now = linted(path, _assignment(flip), cluster)
        assert {_key(f) for f in flip["appeared"]} <= now - base, flip
        assert {_key(f) for f in flip["disappeared"]} <= base - now, flip
        proved += 1
    for flip in data["pairs"]:
        pair = _assignment(flip)
        now = linted(path, pair, cluster)
        either = base | linted(path, pair[:1], cluster) | linted(path, pair[1:], cluster)
        assert {_key(f) for f in flip["appeared"]} <= now, flip
        assert not {_key(f) for f in flip["disappeared"]} & now, flip
        assert {_key(f) for f in flip["disappeared"]} <= either, flip
        proved += 1
    return proved


def _single(data: dict[str, Any], name: str, value: str) -> dict[str, Any]:
    matches = [f for f in data["singles"] if f["assignment"] == {name: value}]
    assert len(matches) == 1, [f["assignment"] for f in data["singles"]]
    return matches[0]


def test_lists_every_variable_with_where_default_and_candidates() -> None:
    data = whatif(FIXTURE, "--blueprint", "bp-newapi")
    variables = {v["name"]: v for v in data["variables"]}
    assert list(variables) == [
        "SOVEREIGN_FQDN",
        "MARKETPLACE_ENABLED",
        "LLM_PARTNER_BASE_URL",
        "LLM_PARTNER_ACCOUNT_ID",
        "LLM_PARTNER_CONTRACT_REF",
        "SOVEREIGN_VLLM_ENABLED",
        "SOVEREIGN_VLLM_ENDPOINT",
    ]
    enabled = variables["MARKETPLACE_ENABLED"]
    assert enabled["default"] == "false"
    assert [(r["path"], r["line"]) for r in enabled["references"]] == [(OVERLAY, line_of(TEMPLATE, "MARKETPLACE"))]
    assert enabled["references"][0]["values_path"] == ["defaultChannels", "qwenPartner", "enabled"]
    assert [c["value"] for c in enabled["candidates"]] == ["true"]  # false is the default
    # the value another cluster (acme) sets at the key the variable lands on
    endpoint = {c["value"]: c["why"] for c in variables["SOVEREIGN_VLLM_ENDPOINT"]["candidates"]}
    assert endpoint == {"http://vllm-bp-vllm.vllm.svc.cluster.local:8000/v1": "cluster acme"}
    assert {c["why"] for c in variables["LLM_PARTNER_CONTRACT_REF"]["candidates"]} == {"non-empty"}
    assert variables["SOVEREIGN_FQDN"]["default"] is None


def test_marketplace_enabled_adds_com002_at_the_contract_ref() -> None:
    data = whatif(FIXTURE)
    flip = _single(data, "MARKETPLACE_ENABLED", "true")
    com002 = [f for f in flip["appeared"] if f["rule"] == "COM002"]
    assert [(f["path"], f["line"], f["severity"]) for f in com002] == [
        (OVERLAY, line_of(TEMPLATE, "contractRef: ${LLM_PARTNER_CONTRACT_REF"), "error")
    ]
    assert "no contractRef" in com002[0]["message"]
    assert not flip["disappeared"]


def test_vllm_enabled_with_the_endpoint_empty_adds_def001_and_the_endpoint_pair_removes_it() -> None:
    data = whatif(FIXTURE)
    flip = _single(data, "SOVEREIGN_VLLM_ENABLED", "true")
    assert [(f["rule"], f["line"]) for f in flip["appeared"]] == [
        ("DEF001", line_of(TEMPLATE, "endpoint: ${SOVEREIGN_VLLM_ENDPOINT"))
    ]
    pairs = [p for p in data["pairs"] if set(p["assignment"]) == {"SOVEREIGN_VLLM_ENABLED", "SOVEREIGN_VLLM_ENDPOINT"}]
    assert [[f["rule"] for f in p["disappeared"]] for p in pairs] == [["DEF001"]]


def test_every_reported_flip_is_what_lint_var_reports() -> None:
    data = whatif(FIXTURE)
    assert data["singles"] and data["pairs"]
    assert prove(FIXTURE, data) == len(data["singles"]) + len(data["pairs"])


def test_text_names_the_assignment_and_what_it_needs_besides() -> None:
    result = run("whatif", str(FIXTURE), "--cluster", "_template")
    assert result.returncode == 0, result.stderr
    line = line_of(TEMPLATE, "endpoint: ${SOVEREIGN_VLLM_ENDPOINT")
    assert "  SOVEREIGN_VLLM_ENABLED=true:\n" in result.stdout
    assert f"+ DEF001 error at {OVERLAY}:{line}:" in result.stdout
    assert 'with SOVEREIGN_VLLM_ENDPOINT "" (its default)' in result.stdout
    assert "rendered chart: not checked (no renderer)" in result.stdout


def test_max_combinations_caps_the_pairs_and_says_so() -> None:
    full = whatif(FIXTURE)
    capped = whatif(FIXTURE, "--max-combinations", "1")
    assert full["pair_combinations"] > 1 and not full["capped"]
    assert (capped["pairs_evaluated"], capped["capped"]) == (1, True)
    assert capped["singles"] == full["singles"]
    text = run("whatif", str(FIXTURE), "--cluster", "_template", "--max-combinations", "1").stdout
    assert f"pairs: 1 of {full['pair_combinations']} combination(s) evaluated (--max-combinations 1 reached)" in text


def test_a_variable_given_with_var_is_not_varied() -> None:
    data = whatif(FIXTURE, "--var", "MARKETPLACE_ENABLED=true")
    enabled = next(v for v in data["variables"] if v["name"] == "MARKETPLACE_ENABLED")
    assert enabled["fixed"] == "given by command line" and enabled["candidates"] == []
    # the partner channel is on already: giving its contract reference removes COM002
    flip = _single(data, "LLM_PARTNER_CONTRACT_REF", "example")
    assert [f["rule"] for f in flip["disappeared"]] == ["COM002"]


def test_a_variable_given_for_this_cluster_only_is_not_varied_there() -> None:
    """`--var CLUSTER:NAME=VALUE` is what `lint` gives that cluster: the what-if holds it fixed there too."""
    own = whatif(FIXTURE, "--var", "_template:MARKETPLACE_ENABLED=true")
    assert own["variables"] == whatif(FIXTURE, "--var", "MARKETPLACE_ENABLED=true")["variables"]
    flip = _single(own, "LLM_PARTNER_CONTRACT_REF", "example")
    assert [f["rule"] for f in flip["disappeared"]] == ["COM002"]
    elsewhere = whatif(FIXTURE, "--var", "acme:MARKETPLACE_ENABLED=true")
    assert next(v for v in elsewhere["variables"] if v["name"] == "MARKETPLACE_ENABLED")["fixed"] is None


def test_unknown_cluster_is_a_usage_error() -> None:
    result = run("whatif", str(FIXTURE), "--cluster", "prod")
    assert result.returncode == 2
    assert "unknown cluster: prod; clusters: _template, acme" in result.stderr


def test_lint_whatif_adds_would_fail_infos_where_the_finding_would_be() -> None:
    result = run("lint", str(FIXTURE), "--renderer", "none", "--whatif", "--format", "json", "--select", "FLX006")
    assert result.returncode == 0, result.stderr  # infos: the gate does not fail
    found = [(f["severity"], f["path"], f["line"], f["message"]) for f in json.loads(result.stdout)["findings"]]
    contract = line_of(TEMPLATE, "contractRef: ${LLM_PARTNER_CONTRACT_REF")
    assert (
        "info",
        OVERLAY,
        contract,
        'would fail if MARKETPLACE_ENABLED=true with LLM_PARTNER_CONTRACT_REF "" (its default): COM002 error: '
        "channel 'qwen': commercial-contract attestation has no contractRef (the signed contract)",
    ) in found
    assert any(m.startswith("would fail if SOVEREIGN_VLLM_ENABLED=true") and "DEF001" in m for *_, m in found)
    # a pair that removes a finding is no failure: nothing reported for it
    assert not any("LLM_PARTNER_CONTRACT_REF=example" in m for *_, m in found)
    without = run("lint", str(FIXTURE), "--renderer", "none", "--format", "json", "--select", "FLX006")
    assert json.loads(without.stdout)["findings"] == []


def test_newapi_corpus_template(corpus: Path) -> None:
    path = corpus / "newapi-latest"
    data = whatif(path, "--blueprint", "bp-newapi")
    flip = _single(data, "MARKETPLACE_ENABLED", "true")
    overlay = path / "clusters" / "_template" / "bootstrap-kit" / "80-newapi.yaml"
    com002 = [(f["path"], f["line"]) for f in flip["appeared"] if f["rule"] == "COM002"]
    line = line_of(overlay, "contractRef: ${LLM_PARTNER_CONTRACT_REF")
    assert com002 == [("clusters/_template/bootstrap-kit/80-newapi.yaml", line)]
    assert prove(path, data) == len(data["singles"]) + len(data["pairs"])


@pytest.mark.parametrize("blueprint", ["bp-nope"])
def test_unknown_blueprint_is_a_usage_error(blueprint: str) -> None:
    result = run("whatif", str(FIXTURE), "--cluster", "_template", "--blueprint", blueprint)
    assert result.returncode == 2
    assert f"cluster _template deploys no blueprint or chart {blueprint}" in result.stderr


def test_a_var_value_is_hidden_unless_public() -> None:
    endpoint = "https://llm.partner.example/v1"  # a --var value a finding message quotes (DEF002)
    args = ("whatif", str(FIXTURE), "--cluster", "_template", "--var", f"SOVEREIGN_VLLM_ENDPOINT={endpoint}")
    hidden, shown = run(*args), run(*args, "--public-var", "SOVEREIGN_VLLM_ENDPOINT")
    assert hidden.returncode == shown.returncode == 0, hidden.stderr
    assert f"DEF002 error at {OVERLAY}" in hidden.stdout
    assert endpoint not in hidden.stdout and "with endpoint <redacted> outside the cluster" in hidden.stdout
    assert f"with endpoint {endpoint} outside the cluster" in shown.stdout


# A stand-in for `helm template` of the real NewAPI chart's channel helper: the partner channel is rendered only
# when enabled with a complete attestation (accountId and contractRef), the vLLM one when enabled with an endpoint.
GATING_HELM = """#!{python}
import json, sys
args = sys.argv[1:]
if args[:1] != ["template"]:
    sys.exit(0)
values = json.load(open(args[args.index("-f") + 1]))
defaults = values.get("defaultChannels") or {{}}
channels = []
partner = defaults.get("qwenPartner") or {{}}
attestation = partner.get("attestation") or {{}}
if partner.get("enabled") and attestation.get("accountId") and attestation.get("contractRef"):
    channels.append(dict(partner, type="openai-compatible"))
channels += values.get("channels") or []
vllm = defaults.get("vllm") or {{}}
if vllm.get("enabled") and vllm.get("endpoint"):
    channels.append(dict(vllm, type="vllm"))
body = "\\n".join("    " + line for line in json.dumps(channels, indent=2).splitlines())
sys.stdout.write(
    "---\\n# Source: bp-newapi/templates/configmap.yaml\\napiVersion: v1\\nkind: ConfigMap\\n"
    "metadata:\\n  name: " + args[1] + "-channels\\ndata:\\n  channels.yaml: |\\n" + body + "\\n"
)
"""


@pytest.fixture
def gating_helm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helm = bin_dir / "helm"
    helm.write_text(GATING_HELM.format(python=sys.executable))
    helm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def test_an_answer_the_rendered_chart_contradicts_says_so(gating_helm: None, tmp_path: Path) -> None:
    data = whatif(FIXTURE, "--blueprint", "bp-newapi", "--renderer", "helm")
    assert data["rendered"] is not None and data["rendered"].startswith("helm")
    flip = _single(data, "MARKETPLACE_ENABLED", "true")
    appeared = {f["rule"]: f for f in flip["appeared"]}
    # the values enable the partner channel; the chart drops it (no contractRef): one RM007 warning where the
    # channel is set, not CHN001 and COM002 about a channel that does not deploy
    assert sorted(appeared) == ["RM007"]
    assert appeared["RM007"]["line"] == line_of(TEMPLATE, "qwenPartner:")
    assert "attestation is incomplete (no contractRef)" in appeared["RM007"]["message"]
    # the vLLM channel is not gated that way: DEF001 stands
    vllm = _single(data, "SOVEREIGN_VLLM_ENABLED", "true")
    assert [(f["rule"], f["contradicted_by_render"]) for f in vllm["appeared"] if f["rule"] == "DEF001"] == [
        ("DEF001", False)
    ]
    lint = run("lint", str(FIXTURE), "--renderer", "helm", "--whatif", "--format", "json", "--select", "FLX006")
    messages = [f["message"] for f in json.loads(lint.stdout)["findings"]]
    assert not any("COM002 error" in m for m in messages) and any("DEF001 error" in m for m in messages)
    # with RM007 ignored the values findings stand, and the what-if marks them as contradicted by RM006
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    (root / ".compliance.yaml").write_text("ignore: [RM007]\n")
    flip = _single(whatif(root, "--blueprint", "bp-newapi", "--renderer", "helm"), "MARKETPLACE_ENABLED", "true")
    appeared = {f["rule"]: f for f in flip["appeared"]}
    assert appeared["RM006"]["line"] == line_of(TEMPLATE, "qwenPartner:")
    assert appeared["COM002"]["contradicted_by_render"] is True
    text = run("whatif", str(root), "--cluster", "_template", "--renderer", "helm").stdout
    assert "no contractRef (the signed contract)" in text
    assert "[the rendered chart contradicts this: its templates drop the channel]" in text


def test_variables_a_kustomization_sets_or_flux_does_not_substitute_are_not_varied() -> None:
    data = run("whatif", str(FIXTURES / "flux-vars"), "--cluster", "dev", "--format", "json")
    assert data.returncode == 0, data.stderr
    variables = {v["name"]: v for v in json.loads(data.stdout)["variables"]}
    assert variables["num"]["fixed"] == "set by Kustomization flux-system/ops" and not variables["num"]["candidates"]
    assert variables["port"]["fixed"].startswith("not substituted")
    # `v` is set by the ops Kustomization and free in the releases other Kustomizations apply: varied
    assert variables["v"]["fixed"] is None and variables["v"]["candidates"]
    # strict mode: a variable no source defines fails the Kustomization (FLX001); any value removes it
    flips = json.loads(data.stdout)["singles"]
    nothere = [f for f in flips if set(f["assignment"]) == {"nothere"}]
    assert nothere and all([g["rule"] for g in f["disappeared"]] == ["FLX001"] for f in nothere)
    assert prove(FIXTURES / "flux-vars", json.loads(data.stdout)) == len(flips)
