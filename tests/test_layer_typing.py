"""Per-layer YAML typing (issue 12): a Flux/Kubernetes manifest is typed as kustomize-controller types it
(go-yaml v3, then JSON), a chart's values as Helm types them (go-yaml v2, YAML 1.1); findings follow the layer.

The manifest fixture is compared with the Go oracle (tools/oracle: kustomize's own build, Helm's own
coalescing); the oracle tests skip with the reason where Go is absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.app.valuesview import render_values
from compliance.load.repository import is_manifest, load_repository
from compliance.yaml import load_manifest, load_yaml
from tests.helpers import FIXTURES, RELEASE_HEAD, ROOT, brief, line_of, lint_fixture, run
from tests.oracle import batch_oracle_or_skip, oracle_or_skip, run_oracle
from tests.test_helm_merge_equivalence import NULLS, SCALARS, Node, canonical, document

EXAMPLE = ROOT / "examples" / "marketplace"
ACME = "clusters/acme/bootstrap-kit/80-newapi.yaml"
TYPING = FIXTURES / "flux-manifest-typing"
TYPING_RELEASE = "clusters/acme/bootstrap-kit/geo.yaml"
TYPING_VALUES = "platform/geo/chart/values.yaml"


def values_json(*args: str) -> dict[str, Any]:
    result = run("values", *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


# ── the bundled example ────────────────────────────────────────────────────────────────────────────


def test_the_example_acme_block_carries_the_string_no() -> None:
    values = values_json(str(EXAMPLE), "--cluster", "acme", "--blueprint", "bp-newapi")["values"]
    assert values["geo"]["sanctionedRegions"]["block"] == ["IR", "KP", "SY", "NO", "RU-occupied-UA"]


def test_the_example_acme_loses_its_false_errors_and_keeps_its_true_findings() -> None:
    findings = lint_fixture(EXAMPLE)
    line = line_of(EXAMPLE / ACME, "block: [IR, KP, SY, NO")
    at_block = [f for f in findings if f.location.path == ACME and f.location.line == line]
    # GEO001 is true (CU is missing); the boolean-in-the-list story, SCH001 and YML001 were false
    assert [(f.rule, f.severity.value) for f in at_block] == [("GEO001", "error")]
    assert "boolean" not in at_block[0].message
    assert not [f for f in findings if f.rule in ("SCH001", "YML001")]
    assert sorted((f.rule, f.cluster) for f in findings) == [
        ("ATT004", "_template"),
        ("AUD001", "acme"),
        ("AUP001", "acme"),
        ("COM002", "acme"),
        ("DEF002", "_template"),
        ("GEO001", "acme"),
    ]


# ── a fixture full of typing traps, against the oracle ────────────────────────────────────────────

# What kustomize-controller makes of each literal in the HelmRelease (measured with the oracle, asserted
# here too so the expectation is readable where Go is absent).
EXPECTED_RELEASE_VALUES = {
    "block": ["IR", "NO"],
    "mode": "on",
    "flag": "yes",
    "short": ["y", "n", "Y", "N", "Off", "ON"],
    "truth": [True, True, False],
    "released": "2024-01-02T00:00:00Z",
    "stamp": "2015-02-24T18:19:39Z",
    "zoned": "2001-12-14T21:59:43.1-05:00",
    "octal": 15,
    "hex": 31,
    "under": 1000,
    "exp": 1000,
    "nulls": [None, None, ""],
    "quoted": "yes",
    "tagged": "017",
    "float": 3,
    "bin": "hello",
    "anchored": "off",
    "alias": "off",
    "yes": "key-yes",
    "on": "key-on",
    "y": "key-y",
}


def test_manifest_literals_are_typed_by_go_yaml_v3_and_chart_values_by_helm() -> None:
    values = values_json(str(TYPING), "--cluster", "acme")["values"]
    assert {k: values[k] for k in EXPECTED_RELEASE_VALUES} == EXPECTED_RELEASE_VALUES
    assert values["chartBlock"] == ["IR", False]  # the chart's values.yaml: Helm's YAML 1.1


def test_manifest_typing_agrees_with_the_oracle() -> None:
    oracle_or_skip()
    data = run_oracle(TYPING, "clusters/acme")
    assert data["errors"] == []
    (release,) = data["releases"]
    ours = values_json(str(TYPING), "--cluster", "acme")["values"]
    assert release["userValues"] == EXPECTED_RELEASE_VALUES
    assert {k: ours[k] for k in release["userValues"]} == release["userValues"]
    assert ours == release["values"]


def test_yml001_fires_in_chart_values_and_not_in_the_helmrelease() -> None:
    findings = lint_fixture(TYPING)
    assert brief(findings) == [("YML001", "warning", TYPING_VALUES, 2, None)]


# ── what fails the Kustomization build is an error in a manifest ──────────────────────────────────


def test_duplicate_and_non_string_keys_in_a_helmrelease_are_errors() -> None:
    findings = lint_fixture("flux-build-errors")
    assert brief(findings) == [
        ("YML002", "error", "apps/dupkey/release.yaml", 17, None),
        ("YML000", "error", "apps/intkey/release.yaml", 17, None),
        # apps/good is applied twice; the build stage sees the second Kustomization too (the oracle's error)
        ("FLX002", "error", "clusters/lab/badvar.yaml", 16, None),
    ]
    dup, intkey, _ = findings
    assert "build of this Kustomization fails" in dup.message
    assert 'mapping key "replicas" already defined at line 16' in dup.message
    assert "json: unsupported type: map[interface {}]interface {}" in intkey.message


def test_the_oracle_fails_the_same_kustomizations() -> None:
    oracle_or_skip()
    errors = {
        e["kustomization"]: e["message"] for e in run_oracle(FIXTURES / "flux-build-errors", "clusters/lab")["errors"]
    }
    assert 'mapping key "replicas" already defined at line 16' in errors["flux-system/dupkey"]
    assert "json: unsupported type: map[interface {}]interface {}" in errors["flux-system/intkey"]


MANIFEST = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: x
spec:
  values:
{body}"""


def manifest(body: str) -> str:
    return MANIFEST.format(body="".join(f"    {line}\n" for line in body.splitlines()))


def codes(loaded: Any) -> list[tuple[str, int]]:
    return [(p.code, p.line) for p in loaded.problems]


def test_a_duplicate_key_is_a_build_failure_in_a_manifest_and_a_helm_warning_in_values() -> None:
    text = manifest("a: 1\na: 2")
    assert codes(load_manifest(text)) == [("YML002", 8)]
    assert "build of this Kustomization fails" in load_manifest(text).problems[0].message
    assert "Helm keeps the last value" in load_yaml(text).problems[0].message


def test_non_string_keys_fail_only_in_nested_mappings() -> None:
    for key in ("8080", "true", "1.5", "2001-12-14", "~"):
        assert codes(load_manifest(manifest(f"{key}: x"))) == [("YML000", 7)], key
    for key in ("yes", "on", '"8080"', "y", "<<: {a: 1}\nb"):
        assert codes(load_manifest(manifest(f"{key}: x"))) == [], key
    assert codes(load_manifest("8080: x\napiVersion: v1\nkind: ConfigMap\n")) == []  # map[string]interface{}


def test_values_json_cannot_hold_fail_the_build() -> None:
    loaded = load_manifest(manifest("a: .inf"))
    assert codes(loaded) == [("YML000", 7)]
    assert "json: unsupported value: +Inf" in loaded.problems[0].message


def test_a_yaml_directive_fails_the_build_of_a_manifest() -> None:
    # measured with tools/oracle: kyaml refuses both (kustomize build of a resource starting with the directive)
    for version in ("1.1", "1.2"):
        loaded = load_manifest(f"%YAML {version}\n---\n" + manifest("a: NO"))
        assert codes(loaded) == [("YML000", 1)], version
        assert "build of this Kustomization fails" in loaded.problems[0].message
    assert codes(load_yaml("%YAML 1.1\n---\na: 1\n")) == []


def test_a_quoted_placeholder_is_retyped_and_warned() -> None:
    loaded = load_manifest(manifest('e: "${E}"\nf: \'${F}\'\ng: ${G}\nh: "app-${H}"\nk: ${quote}${K}${quote}'))
    assert codes(loaded) == [("YML005", 7), ("YML005", 8)]
    assert "${quote}${E}${quote}" in loaded.problems[0].message
    templates = loaded.documents[0].plain_templates
    assert {p[-1] for p in templates} == {"e", "f", "g", "h", "k"}
    helm = load_yaml(manifest('e: "${E}"'))
    assert helm.problems == () and helm.documents[0].plain_templates == frozenset()


def test_positions_are_the_same_in_both_typings() -> None:
    text = manifest("block: [IR, NO]\nnested:\n  on: yes\nlist:\n- &a {x: 1}\n- *a")
    ours, helm = load_manifest(text).documents[0], load_yaml(text).documents[0]
    renamed = {tuple("on" if step == "true" else step for step in k): v for k, v in helm.positions.items()}
    assert dict(ours.positions) == renamed  # only the key `on` differs: Helm names it "true"
    assert ours.value["spec"]["values"]["block"] == ["IR", "NO"]
    assert ours.value["spec"]["values"]["nested"] == {"on": "yes"}


# ── which files are manifests ─────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("rel", "manifest_file"),
    [
        (ACME, True),
        ("clusters/acme/bootstrap-kit/09-keycloak.yaml", True),
        ("platform/newapi/blueprint.yaml", False),
        ("platform/newapi/chart/Chart.yaml", False),
        ("platform/newapi/chart/values.yaml", False),
        ("scripts/expected-bootstrap-deps.yaml", False),
    ],
)
def test_the_loader_types_manifests_by_content(rel: str, manifest_file: bool) -> None:
    path = EXAMPLE / rel
    assert is_manifest(str(path), path.read_bytes(), str(EXAMPLE), {}) is manifest_file


def test_a_manifest_inside_a_chart_directory_is_helms(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    (chart / "ci").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 1.0.0\n")
    extra = chart / "ci" / "obj.yaml"
    extra.write_text("apiVersion: v1\nkind: ConfigMap\ndata: {a: NO}\n")
    assert not is_manifest(str(extra), extra.read_bytes(), str(tmp_path), {})
    repo = load_repository(str(tmp_path))
    assert [p.problem.code for p in repo.problems] == ["YML001"]


# ── the loader's manifest mode, scalar by scalar, against kyaml ──────────────────────────────────────

LOADER_CASES = [
    "NO", "yes", "on", "Off", "y", "N", "true", "False", "TRUE", "~", "null", "", "017", "0o17", "0x1F", "0b101",
    "1_000", "08", "1e3", "-.5", "9007199254740993", "2024-01-02", "2015-02-24 18:19:39",
    "2001-12-14t21:59:43.10-05:00",
    '"yes"', "'NO'", "!!str 017", "!!int 017", "!!float 3", "!!binary aGVsbG8=", "! 12", "!!bool true", ".inf",
    "[NO, yes, 017, ~]", "{on: off, y: n}", "{8080: http}", "{true: x}", "{1.5: x}", "{2001-12-14: x}", "{~: x}",
    '{"8080": http, yes: 1}', "{a: 1, a: 2}", "&x NO", "[&x off, *x]", "{<<: {a: NO}, b: 1}",
    "|\n  NO", ">-\n  NO\n  yes", "[&a on, {*a : x}]", "[&a 8080, {*a : x}]", "[&a b, {b: 1, *a : 2}]",
]  # fmt: skip


def _number(value: Any) -> Any:
    """JSON numbers as float64 (helm-controller's decode), booleans kept apart."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list):
        return [_number(v) for v in value]
    return {k: _number(v) for k, v in value.items()}


def test_the_manifest_loader_agrees_with_kyaml_scalar_by_scalar() -> None:
    oracle = batch_oracle_or_skip("manifest-scalar")
    try:
        for text in LOADER_CASES:
            theirs = oracle.ask({"yaml": f"k: {text}"})
            loaded = load_manifest(f"k: {text}")
            failed = [p.message for p in loaded.problems if p.code in ("YML000", "YML002")]
            if "error" in theirs:
                assert failed, (text, theirs)
                continue
            assert not failed, (text, failed, theirs)
            assert _number(loaded.documents[0].value["k"]) == _number(theirs["value"]), (text, theirs)
    finally:
        oracle.close()


# ── generated HelmReleases through the whole pipeline, against the oracle ─────────────────────────────

# Keys: mostly strings to go-yaml v3 (YAML 1.1 words included), some that fail the build (`8080`, `true`), and
# `'a'`, which repeats `a` to go-yaml v3's duplicate check.
GEN_KEYS = ["a", "b", "on", "yes", "NO", "y", "x.y", "'k e y'", '"8080"', "'a'", "8080", "true"]
gen_scalars = st.builds(lambda text: ("scalar", text), st.sampled_from(SCALARS + NULLS))


def _gen_map(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    entries = st.lists(st.tuples(st.sampled_from(GEN_KEYS), children), max_size=3, unique_by=lambda e: e[0])
    return entries.map(lambda items: ("map", items))


gen_nodes = st.recursive(
    gen_scalars,
    lambda children: _gen_map(children) | st.lists(children, max_size=3).map(lambda items: ("list", items)),
    max_leaves=10,
)


@pytest.fixture(scope="module")
def generated_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    oracle_or_skip()
    root = tmp_path_factory.mktemp("layer-typing")
    chart = root / "platform" / "t" / "chart"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: t\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("{}\n")
    (root / "clusters" / "c").mkdir(parents=True)
    return root


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=_gen_map(gen_nodes))
def test_generated_helmreleases_agree_with_the_oracle(generated_repo: Path, values: Node) -> None:
    body = "".join(f"    {line}\n" for line in document(values).splitlines())
    (generated_repo / "clusters" / "c" / "t.yaml").write_text(RELEASE_HEAD + body)
    theirs = run_oracle(generated_repo, "clusters/c")
    repo = load_repository(str(generated_repo))
    failed = [p.problem.message for p in repo.problems if p.problem.code in ("YML000", "YML002")]
    case = RELEASE_HEAD + body
    if theirs["errors"]:
        assert failed, (case, theirs["errors"])
        return
    assert not failed, (case, failed)
    (release,) = theirs["releases"]
    output, _ = render_values(str(generated_repo), "c", output_format="json")
    assert canonical(json.loads(output)["values"]) == canonical(release["values"]), case


# A NEL (U+0085) survives kyaml's parse but not its re-emission: measured with the oracle's full build.
NEL_CASES = {
    r'"\u00e9\x85"': "é ",
    r'"a\x85\x85b"': "a\nb",
    r'"a \x85 b"': "a b",
    r'"\x85a"': " a",
    r'"a\t\x85b"': "a\t b",
    r'"a\nb\x85c"': "a\nb c",
    r'"a\x85 \x85b"': "a\nb",
    r'"a\x85\x85\x85b"': "a\n\nb",
    r'"a\x85\nb"': "a \nb",
    r'"a\u00a0\x85b"': "a\u00a0 b",
    r'"a\u2028b"': "a\u2028b",
}


def test_a_nel_is_folded_as_kyaml_re_emits_it(tmp_path: Path) -> None:
    body = "".join(f"    k{i}: {text}\n" for i, text in enumerate(NEL_CASES))
    text = RELEASE_HEAD + body
    ours = load_manifest(text).documents[0].value["spec"]["values"]
    assert list(ours.values()) == list(NEL_CASES.values())
    oracle_or_skip()
    (tmp_path / "platform" / "t" / "chart").mkdir(parents=True)
    (tmp_path / "platform" / "t" / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: t\nversion: 0.1.0\n")
    (tmp_path / "clusters" / "c").mkdir(parents=True)
    (tmp_path / "clusters" / "c" / "t.yaml").write_text(text)
    (release,) = run_oracle(tmp_path, "clusters/c")["releases"]
    assert release["userValues"] == ours
