"""`compliance values` against the Go oracle (tools/oracle: Flux's, kustomize's and Helm's own code), release by
release and value by value, on (a) every fixture and example repository with HelmReleases and clusters, (b)
generated repositories and (c) the openova corpus. Issue 12's proof that the product deploys what Flux does.

Select with `pytest tests/test_oracle_compare.py`. Skips with the reason when Go is not on PATH (the corpus
cases also when COMPLIANCE_CORPUS is unset). The session's closing line (tests/conftest.py) says how much was
compared. How values are compared (numbers as JSON numbers, markers against Flux's errors): tests/oracle.py.

Until the kustomize build stage lands, the product finds clusters only under `clusters/<name>/` and applies
no `resources`/patches: the cases that need it are `xfail(strict=True)` naming what is missing, so each turns
red the day the build stage makes it agree, and its mark must go.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import FIXTURES, ORACLE_GENERATED, ROOT
from tests.oracle import (
    assert_generated_agrees,
    cluster_entries,
    compare_cluster,
    compare_repository,
    disagreements,
    oracle_or_skip,
)

BUILD_STAGE = "build stage: "
# fixture -> what the product lacks for it (cluster discovery: the releases sit outside clusters/<name>/)
NEEDS_BUILD_STAGE: dict[str, str] = {}
# Deliberate differences (docs/flux.md "The proof"): not compared, with the reason
DIFFERENT_BY_DESIGN = {
    "flux-chart-sources": "spec.chart.spec.valuesFiles: the oracle does not model them (tools/oracle/README.md); "
    "tests/test_chart_sources.py checks them against helm-controller's documented order",
    "flux-not-modelled": "remote bases and other sources: Flux fetches them, the oracle runs offline and takes any "
    "Git/OCI source for this repository, the linter reports FLX004 and builds the rest",
}


def _has_releases(root: Path) -> bool:
    return any("kind: HelmRelease" in p.read_text(errors="replace") for p in root.rglob("*.yaml") if p.is_file())


def _repositories() -> list[Path]:
    """Every repository under examples/ and fixtures/ with HelmReleases and clusters (fixtures/hostile has
    releases but no clusters/ folder: nothing to enter)."""
    found = [*sorted((ROOT / "examples").iterdir()), *sorted(FIXTURES.iterdir())]
    return [p for p in found if p.is_dir() and cluster_entries(p) and _has_releases(p)]


def _case(root: Path) -> object:
    reason = NEEDS_BUILD_STAGE.get(root.name)
    marks = [pytest.mark.xfail(strict=True, reason=BUILD_STAGE + reason)] if reason else []
    if root.name in DIFFERENT_BY_DESIGN:
        marks = [pytest.mark.skip(reason=DIFFERENT_BY_DESIGN[root.name])]
    return pytest.param(root, id=f"{root.parent.name}/{root.name}", marks=marks)


@pytest.fixture(scope="module")
def oracle() -> Path:
    return oracle_or_skip()


@pytest.mark.parametrize("root", [_case(root) for root in _repositories()])
def test_fixture_repositories_agree_with_flux(oracle: Path, root: Path) -> None:
    found = compare_repository(root)
    assert sum(c.releases for c in found.values()), f"{root}: no release compared"
    assert not any(c.disagreements for c in found.values()), disagreements(found)


def _report(values: object, origins: dict[str, dict[str, object]] | None = None) -> dict[str, object]:
    return {
        "release": {"namespace": "n", "name": "r"},
        "layers": ["a.yaml"],
        "values": values,
        "origins": origins or {},
        "buildFails": False,
        "refused": False,
    }


def _oracle(values: object, kustomization: str = "flux-system/apps") -> dict[str, object]:
    release = {"namespace": "n", "name": "r", "kustomization": kustomization, "chartPath": "c", "values": values}
    return {"releases": [release], "errors": []}


def test_the_comparison_is_by_json_number_and_type_and_says_where() -> None:
    """The rules of tests/oracle.py's comparison, on hand-written sides (no oracle needed)."""
    same = compare_cluster("c", {"n/r": _report({"a": 1, "b": [True]})}, _oracle({"a": 1.0, "b": [True]}), {})
    assert (same.releases, same.values, same.disagreements) == (1, 2, [])
    origin = {"path": "x.yaml", "line": 7}
    differ = compare_cluster("c", {"n/r": _report({"a": 1, "b": "1"}, {"b": origin})}, _oracle({"a": True, "b": 1}), {})
    assert [(d.path, d.product, d.oracle) for d in differ.disagreements] == [
        ("a", "1 from (no origin)", "true"),
        ("b", '"1" from x.yaml:7', "1"),
    ]
    marked = _report({"h": "${X}"}, {"h": {"path": "x.yaml", "line": 3, "unresolved": ["X"]}})
    assert not compare_cluster("c", {"n/r": marked}, _oracle({"h": ""}), {"flux-system/apps": "strict"}).disagreements
    assert compare_cluster("c", {"n/r": marked}, _oracle({"h": ""}), {}).disagreements  # Flux did not fail
    named = {**_oracle({"h": "d"}), "errors": [{"kustomization": "k", "message": "post build failed for 'HR/r': x"}]}
    assert not compare_cluster("c", {"n/r": marked}, named, {}).disagreements  # another Kustomization failed on it
    refused = {"releases": [], "errors": [{"kustomization": "k", "message": "post build failed for 'HR/r': +Inf"}]}
    assert compare_cluster("c", {"n/r": _report({})}, refused, {}).disagreements  # the product deploys it
    assert not compare_cluster("c", {"n/r": {**_report({}), "buildFails": True}}, refused, {}).disagreements
    unloadable = {"releases": [{**_oracle({})["releases"][0], "values": None, "error": "json: +Inf"}], "errors": []}
    assert compare_cluster("c", {"n/r": _report({"a": "+.inf"})}, unloadable, {}).disagreements
    assert not compare_cluster("c", {"n/r": {**_report({"a": "+.inf"}), "refused": True}}, unloadable, {}).disagreements
    cascade = {"releases": [], "errors": [{"kustomization": "k", "path": "./", "message": "json: +Inf"}]}
    assert not compare_cluster("c", {"n/r": {**_report({}), "failingFiles": ["b.yaml"]}}, cascade, {}).disagreements
    missing = compare_cluster("c", None, _oracle({}), {})
    assert [(d.release, d.product) for d in missing.disagreements] == [("n/r", "unknown cluster c")]


def test_every_fixture_needing_the_build_stage_exists() -> None:
    """The xfail list names real repositories (a renamed fixture must not silently drop its mark)."""
    names = {p.name for p in _repositories()}
    assert set(NEEDS_BUILD_STAGE) <= names


# ── (c) the corpus ─────────────────────────────────────────────────────────────────────────────


def test_the_corpus_agrees_with_flux(oracle: Path, corpus: Path) -> None:
    roots = [p for p in sorted(corpus.iterdir()) if p.is_dir() and cluster_entries(p)]
    assert roots, f"{corpus}: no repository with clusters/"
    for root in roots:
        found = compare_repository(root)
        assert sum(c.values for c in found.values()), f"{root}: no value compared"
        assert not any(c.disagreements for c in found.values()), f"{root.name}: " + disagreements(found)


# ── (b) generated repositories ─────────────────────────────────────────────────────────────────

# Scalars as written in a manifest (HelmRelease) or a chart's values.yaml: YAML 1.1 vs 1.2 vs kyaml differ.
SCALARS = [
    "yes", "no", "on", "off", "y", "n", "true", "True", "0x10", "1e3", "~", "null", "2024-01-02", "012",
    "0o17", "1_000", ".5", "-0", "+1", "'yes'", '"012"', "1.0", "abc", "''", "[IR, NO]", "{}", "-1.5e-3",
    "1:20", "0b101", "+.inf", ".NaN", "0777", "2001-12-14t21:59:43.10-05:00", "!!str 12", "Off", "NULL",
]  # fmt: skip
PLACEHOLDERS = [
    "${V}", '"${V}"', "${V:=d}", "${V:-012}", "${#V}", "${V^^}", "${V,,}", "${V:1:2}", "${V/a/b}", "${V#*.}",
    "x${V}y", "$${V}", "${W:=yes}", "'${V}'", "${U}", "${U:-on}", "${quote}${V}${quote}",
]  # fmt: skip
VARIABLE_VALUES = ["yes", "0123", "1e3", "abc", "a.b.c", "true", "~", "", "on", "12", "x y", "1:20", "0x1F", "-"]
KEYS = ["a", "b", "on", "yes", "n", "k.dot", "replicas", '"1e3"']


def _mapping_lines(entries: dict[str, str], indent: int) -> list[str]:
    return [f"{' ' * indent}{key}: {value}" for key, value in entries.items()]


@st.composite
def _values(draw: st.DrawFn, with_placeholders: bool) -> dict[str, str]:
    texts = st.sampled_from(SCALARS + PLACEHOLDERS) if with_placeholders else st.sampled_from(SCALARS)
    return draw(st.dictionaries(st.sampled_from(KEYS), texts, min_size=1, max_size=5))


def _release(name: str, values: dict[str, str], nested: dict[str, str], disabled: bool) -> str:
    lines = [
        "apiVersion: helm.toolkit.fluxcd.io/v2",
        "kind: HelmRelease",
        "metadata:",
        f"  name: {name}",
        "  namespace: apps",
    ]
    if disabled:
        lines += ["  annotations:", "    kustomize.toolkit.fluxcd.io/substitute: disabled"]
    lines += ["spec:", "  chart:", "    spec:", "      chart: demo", "      sourceRef:"]
    lines += ["        kind: HelmRepository", "        name: demo", "  values:"]
    lines += _mapping_lines(values, 4) + ["    nested:"] + _mapping_lines(nested, 6)
    return "\n".join(lines) + "\n"


def _flux_kustomization(name: str, path: str, variables: dict[str, str], extra: list[str]) -> str:
    lines = [
        "apiVersion: kustomize.toolkit.fluxcd.io/v1",
        "kind: Kustomization",
        "metadata:",
        f"  name: {name}",
        "  namespace: flux-system",
        "spec:",
        f"  path: {path}",
        "  sourceRef:",
        "    kind: GitRepository",
        "    name: flux-system",
        *extra,
        "  postBuild:",
        "    substitute:",
        *(f"      {key}: {json.dumps(value)}" for key, value in variables.items()),
    ]
    if not variables:
        lines[-1] = "    substitute: {}"
    return "\n".join(lines) + "\n"


@st.composite
def repositories(draw: st.DrawFn, full: bool) -> dict[str, str]:
    """A repository as {path: text}: a chart `demo`, cluster `c`, releases with tricky scalars and
    placeholders, variables from a Flux Kustomization or the project config. `full` adds what needs the build
    stage: a base release outside clusters/ listed in `resources`, patches (strategic merge and JSON6902, files
    and inline), a Flux Kustomization's spec.patches, nested Kustomizations and a file no resources list names."""
    chart_values = draw(_values(with_placeholders=False))
    files = {
        "charts/demo/Chart.yaml": "apiVersion: v2\nname: demo\nversion: 1.0.0\n",
        "charts/demo/values.yaml": "\n".join(_mapping_lines(chart_values, 0) + ["nested:", "  a: chart"]) + "\n",
    }
    variables = draw(st.dictionaries(st.sampled_from(["V", "W", "quote"]), st.sampled_from(VARIABLE_VALUES)))
    if "quote" in variables:
        variables["quote"] = '"'
    source = draw(st.sampled_from(["kustomization", "config"]))
    if source == "config":
        files[".compliance.yaml"] = "variables:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in variables.items())
        if not variables:
            files[".compliance.yaml"] = "variables: {}\n"
    else:
        files["clusters/c/flux/apps.yaml"] = _flux_kustomization("apps", "./clusters/c", variables, [])
    for index in range(draw(st.integers(1, 2))):
        values, nested = draw(_values(True)), draw(_values(True))
        disabled = draw(st.booleans()) if index else False
        files[f"clusters/c/apps/r{index}.yaml"] = _release(f"r{index}", values, nested, disabled)
    if full:
        files.update(draw(_build_stage_files(variables)))
    return files


@st.composite
def _build_stage_files(draw: st.DrawFn, variables: dict[str, str]) -> dict[str, str]:
    """A base release under apps/base (outside clusters/), an overlay patching it, applied by a nested Flux
    Kustomization from clusters/c; and a release file the base's resources do not list."""
    base_values, patch_values = draw(_values(True)), draw(_values(True))
    files = {
        "apps/base/base.yaml": _release("base", base_values, {"a": "base"}, False),
        "apps/base/unlisted.yaml": _release("unlisted", {"a": "never"}, {"a": "never"}, False),
        "apps/base/kustomization.yaml": "resources:\n  - base.yaml\n",
    }
    patch = "\n".join(
        [
            "apiVersion: helm.toolkit.fluxcd.io/v2",
            "kind: HelmRelease",
            "metadata:",
            "  name: base",
            "  namespace: apps",
            "spec:",
            "  values:",
            *_mapping_lines(patch_values, 4),
        ]
    )
    overlay = ["resources:", "  - ../base", "patches:"]
    style = draw(st.sampled_from(["file", "inline", "json6902"]))
    if style == "file":
        files["apps/overlay/patch.yaml"] = patch + "\n"
        overlay += ["  - path: patch.yaml"]
    elif style == "inline":
        overlay += ["  - patch: |-", *(f"      {line}" for line in patch.splitlines())]
    else:
        key, text = next(iter(patch_values.items()))
        overlay += [
            "  - target:",
            "      kind: HelmRelease",
            "      name: base",
            "    patch: |-",
            "      - op: add",
            f"        path: /spec/values/{key.strip(chr(34)).replace('~', '~0').replace('/', '~1')}",
            f"        value: {text}",
        ]
    files["apps/overlay/kustomization.yaml"] = "\n".join(overlay) + "\n"
    extra = []
    if draw(st.booleans()):  # the Flux Kustomization's own spec.patches, over the overlay's
        extra = [
            "  patches:",
            "    - target:",
            "        kind: HelmRelease",
            "      patch: |-",
            "        - op: add",
            "          path: /spec/values/fromFlux",
            # no placeholder here: the parent's substitution of a Kustomization's own spec is not modelled
            # (FLX004, docs/flux.md)
            "          value: flux",
        ]
    files["clusters/c/flux/overlay.yaml"] = _flux_kustomization("overlay", "./apps/overlay", variables, extra)
    return files


GENERATED = settings(ORACLE_GENERATED, max_examples=12)


@GENERATED
@given(files=repositories(full=False))
def test_generated_repositories_modelled_features_agree(
    oracle: Path, tmp_path_factory: pytest.TempPathFactory, files: dict[str, str]
) -> None:
    """Profile `modelled`: what the product handles today (clusters/<name>/ releases, Flux Kustomization or
    config variables, operators, defaults, quoting, the disable annotation, tricky scalars and keys)."""
    assert_generated_agrees(tmp_path_factory.mktemp("generated"), files)


@GENERATED
@given(files=repositories(full=True))
def test_generated_repositories_full_features_agree(
    oracle: Path, tmp_path_factory: pytest.TempPathFactory, files: dict[str, str]
) -> None:
    """Profile `full`: every feature, the build stage's included."""
    assert_generated_agrees(tmp_path_factory.mktemp("generated"), files)
