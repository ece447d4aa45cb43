"""`compliance values` against the Go oracle (tools/oracle) on generated repositories exercising what a
HelmRelease takes besides `spec.values` (issue 13): helm-controller's `valuesFrom` (fluxcd/pkg chartutil
`ChartValuesFromReferences`, fed by a fake client holding the objects the cluster's builds apply) and Helm's
subchart coalescing (`ProcessDependencies`, `CoalesceValues`); and the targetPath parser against Helm's
strvals, case by case (`oracle strvals`).

The product's side is `revealed_values` (tests/oracle.py): the values the rules judge, a Secret's included
(`compliance values` prints them `<redacted>`, which proves nothing about them), with the failures it reports
for each release (FLX008 errors, RND005 `type mismatch`), so "both refuse the release" is checked, not assumed.
The command's own (redacted) output is compared too.

Differences by design (docs/values.md "The proof against helm-controller"), not generated or made equal here:
- an `optional: true` source the repository lacks: the product cannot know it is absent from the cluster, so
  what it could set is unknown (FLX008 info); the oracle's cluster is the repository, where Flux skips it.
  `_unknowns_as_theirs` (tests/oracle.py) takes the oracle's value at those paths, nothing else.
- an object without `metadata.namespace`: Flux's apply refuses it (`namespace not specified`, flux2#4301), the
  oracle puts it in `default`, the product reads it from any namespace; neither is Flux, so none is generated.
- `configurations` (kustomize nameReference for a HelmRelease's `valuesFrom`): not modelled by the product
  (FLX004); a generator's hashed name is referenced by a HelmRelease that names it literally instead.
- a `global` that is not a map in the release's values: Helm skips the globals, and which parent defaults
  reach a subchart then depends on `processImportValues` rewriting the chart's defaults (not modelled).
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.build.generators import name_hash
from compliance.build.strvals import StrvalsError, set_path
from tests.helpers import ORACLE_GENERATED
from tests.oracle import BatchOracle, assert_generated_agrees, batch_oracle_or_skip, oracle_or_skip

GENERATED = settings(ORACLE_GENERATED, max_examples=15)


@pytest.fixture(scope="module")
def oracle() -> Path:
    return oracle_or_skip()


# ── the targetPath parser: Helm's strvals, case by case ─────────────────────────────────────────

SET_DATA = [
    "yes", "true", "FALSE", "Null", "012", "12", "-3", "+4", "0", "1e3", "'quoted'", '"dq"', "'", "null", "{a,b}",
    "{}", "{1,{x}", "{a}b", "a,b", "a,b=1", "x\\,y", "", "a=b", "abc", "multi\nline", "9223372036854775808",
    "{a\\,b,c}", "x\\", "'a,b'", "[1]", "a.b=c",
]  # fmt: skip
SEGMENTS = ["a", "b", "k\\.dot", "", "x y", "a\\[0\\]"]
INDEXES = ["", "", "", "[0]", "[1]", "[3]", "[0][1]", "[-1]", "[x]", "[+1]", "[1]x", "[70000]"]
START_VALUES: list[dict[str, Any]] = [
    {}, {"a": {"b": 1}}, {"a": [1, {"b": 2}]}, {"a": "s"}, {"a": None}, {"k.dot": 1}, {"a": [[1]]}, {"b": [None]},
]  # fmt: skip


RELEASE_HEAD = (  # a HelmRelease `r` in `apps` of chart `demo`: the generated cases add its values
    "apiVersion: helm.toolkit.fluxcd.io/v2",
    "kind: HelmRelease",
    "metadata:",
    "  name: r",
    "  namespace: apps",
    "spec:",
    "  chart:",
    "    spec:",
    "      chart: demo",
    "      sourceRef:",
    "        kind: HelmRepository",
    "        name: demo",
)


def _release(*spec: str) -> dict[str, str]:
    """The release's file: RELEASE_HEAD and the `spec` lines a generated case adds."""
    return {"clusters/c/apps/release.yaml": "\n".join((*RELEASE_HEAD, *spec)) + "\n"}


@st.composite
def _target_paths(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 9)) == 0:  # anything at all, the parser's syntax characters included
        return draw(st.text(alphabet="ab.[]0=,\\{}'\" ", max_size=8))
    parts = draw(st.lists(st.tuples(st.sampled_from(SEGMENTS), st.sampled_from(INDEXES)), min_size=1, max_size=3))
    return ".".join(key + index for key, index in parts)


@pytest.fixture(scope="module")
def strvals_oracle() -> Any:
    batch = batch_oracle_or_skip("strvals")
    yield batch
    batch.close()


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)  # true is not 1, 12 is 12 on both sides


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(
    start=st.sampled_from(START_VALUES),
    path=_target_paths(),
    data=st.one_of(st.sampled_from(SET_DATA), st.text(alphabet="ab01,{}=\\'\" .[]", max_size=8)),
    literal=st.booleans(),
)
def test_target_path_parser_agrees_with_helm_strvals(
    strvals_oracle: BatchOracle, start: dict[str, Any], path: str, data: str, literal: bool
) -> None:
    """`compliance.build.strvals.set_path` against fluxcd/pkg chartutil `ReplacePathValue` /
    `ReplacePathLiteralValue` (Helm's strvals): the same values, or both refuse."""
    answer = strvals_oracle.ask({"values": start, "path": path, "data": data, "literal": literal})
    ours: dict[str, Any] = copy.deepcopy(start)
    try:
        set_path(ours, path, data, literal)
        mine = _json(ours)
    except StrvalsError as error:
        mine = f"error: {error}"
    theirs = f"error: {answer['error']}" if "error" in answer else _json(answer.get("values", {}))
    said = f"{start} {path!r}={data!r} literal={literal}:\n  product: {mine}\n  helm:    {theirs}"
    assert mine.startswith("error") == theirs.startswith("error"), said
    if not mine.startswith("error"):
        assert mine == theirs, said


# ── valuesFrom ───────────────────────────────────────────────────────────────────────────────────

CHART = {
    "charts/demo/Chart.yaml": "apiVersion: v2\nname: demo\nversion: 1.0.0\n",
    "charts/demo/values.yaml": "a: chart\nnested:\n  a: chart\n  b: chart\nlist: [1, 2]\nkeep: chart\n",
}
# scalars as written in a values file a ConfigMap holds (Helm's loader types them: go-yaml v2)
DATA_SCALARS = ["1", "yes", "012", "1e3", "null", "~", "abc", "'q'", "[1, 2]", "{x: 1}", "true", "on", '"s"']
DATA_KEYS = ["a", "b", "on", "n", "k.dot", "keep"]
# what spec.values holds (kustomize's typing: go-yaml v3)
USER_KEYS = ["a", "nested", "list", "k.dot", "keep"]
USER_SCALARS = ["user", "2", "null", "true", "[9]", "{u: 1}", "'012'", "yes"]
TARGET_PATHS = [
    "a", "nested.b", "nested.new", "list[1]", "list[0]", "list[4]", "nested.list[2]", "k\\.dot", "deep.x.y",
    "nested.b.c", "fresh[0].x", "a.b",
]  # fmt: skip
SET_TEXTS = ["yes", "true", "012", "12", "'quoted'", "null", "{a,b}", "{}", "a,b", "x\\,y", "", "1e3", "-5"]
OBJECT_NAMES = ["v0", "v1", "v2"]
VALUES_KEYS = ["values.yaml", "extra.yaml"]  # hold a map of values
SCALAR_KEY = "scalar"  # holds one --set value


@st.composite
def _values_text(draw: st.DrawFn) -> str:
    """A values file's text: top-level keys, a `nested:` map, a list."""
    top = draw(st.dictionaries(st.sampled_from(DATA_KEYS), st.sampled_from(DATA_SCALARS), max_size=3))
    lines = [f"{key}: {value}" for key, value in top.items()]
    nested = draw(st.dictionaries(st.sampled_from(["a", "b", "c"]), st.sampled_from(DATA_SCALARS), max_size=2))
    if nested:
        lines += ["nested:", *(f"  {key}: {value}" for key, value in nested.items())]
    if draw(st.booleans()):
        lines.append(f"list: [{draw(st.sampled_from(['x', '1', 'null']))}]")
    return "\n".join(lines) + "\n" if lines else ""


@st.composite
def _object(draw: st.DrawFn, name: str) -> dict[str, Any]:
    """One ConfigMap or Secret: its data keys, how it is written, where it lives."""
    keys = {key: draw(_values_text()) for key in VALUES_KEYS if draw(st.integers(0, 3))}
    if draw(st.booleans()):
        keys[SCALAR_KEY] = draw(st.sampled_from(SET_TEXTS))
    return {
        "name": name,
        "kind": draw(st.sampled_from(["ConfigMap", "Secret"])),
        "keys": keys,
        "form": draw(st.sampled_from(["resource", "resource", "generator", "hashed"])),
        "secret_field": draw(st.sampled_from(["data", "stringData"])),
        "namespace": draw(st.sampled_from(["apps", "apps", "apps", "other"])),
    }


def _block(key: str, text: str, indent: int) -> list[str]:
    """`key: |` with the text below it (exact, trailing newline kept), or a JSON string when a block cannot say it."""
    pad = " " * indent
    if text.endswith("\n") and text.strip() and "\n\n" not in text and not text.startswith(" "):
        return [f"{pad}{json.dumps(key)}: |", *(f"{pad}  {line}" for line in text.splitlines())]
    return [f"{pad}{json.dumps(key)}: {json.dumps(text)}"]


def _resource(obj: dict[str, Any]) -> str:
    lines = [f"apiVersion: v1\nkind: {obj['kind']}\nmetadata:\n  name: {obj['name']}\n  namespace: {obj['namespace']}"]
    if obj["kind"] == "Secret" and obj["secret_field"] == "data":
        lines.append("data:" if obj["keys"] else "data: {}")
        for key, text in obj["keys"].items():
            lines.append(f"  {json.dumps(key)}: {base64.b64encode(text.encode()).decode()}")
    else:
        field = "stringData" if obj["kind"] == "Secret" else "data"
        lines.append(f"{field}:" if obj["keys"] else f"{field}: {{}}")
        for key, text in obj["keys"].items():
            lines += _block(key, text, 2)
    return "\n".join(lines) + "\n"


def _generator_files(obj: dict[str, Any]) -> dict[str, str]:
    """A kustomization of its own generating the object: map keys from files, the scalar from a literal."""
    folder = f"clusters/c/gen-{obj['name']}"
    field = "secretGenerator" if obj["kind"] == "Secret" else "configMapGenerator"
    lines = [f"namespace: {obj['namespace']}", f"{field}:", f"  - name: {obj['name']}"]
    files: dict[str, str] = {}
    mapped = [key for key in obj["keys"] if key != SCALAR_KEY]
    if mapped:
        lines.append("    files:")
        for key in mapped:
            source = f"{key.removesuffix('.yaml')}-src.yaml"
            files[f"{folder}/{source}"] = obj["keys"][key]
            lines.append(f"      - {key}={source}")
    if SCALAR_KEY in obj["keys"]:
        lines += ["    literals:", f"      - {json.dumps(SCALAR_KEY + '=' + obj['keys'][SCALAR_KEY])}"]
    if obj["form"] == "generator":
        lines += ["    options:", "      disableNameSuffixHash: true"]
    files[f"{folder}/kustomization.yaml"] = "\n".join(lines) + "\n"
    return files


def _generated_name(obj: dict[str, Any]) -> str:
    """The hashed name kustomize gives the object (the product's `name_hash`, which the oracle's kustomize
    checks: a wrong hash leaves the reference dangling on one side only)."""
    data = {key: text for key, text in obj["keys"].items()}
    if obj["kind"] == "Secret":
        value = {
            "kind": "Secret",
            "metadata": {"name": obj["name"]},
            "type": "Opaque",
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
        }
    else:
        value = {"kind": "ConfigMap", "metadata": {"name": obj["name"]}, "data": data}
    return f"{obj['name']}-{name_hash(value)}"


@st.composite
def _reference(draw: st.DrawFn, objects: list[dict[str, Any]]) -> list[str]:
    """One valuesFrom entry (YAML lines, 4 spaces deep): mostly an object that exists, with its kind."""
    target = draw(st.sampled_from([*objects, *objects, None]))
    if target is None:
        kind, name = draw(st.sampled_from(["ConfigMap", "Secret"])), "absent"
    else:
        kind = target["kind"] if draw(st.integers(0, 6)) else draw(st.sampled_from(["ConfigMap", "Secret"]))
        name = target["name"]
        if target["form"] == "hashed" and draw(st.integers(0, 3)):
            name = _generated_name(target)  # else the plain name, which kustomize renamed away
    lines = [f"    - kind: {kind}", f"      name: {name}"]
    path = draw(st.sampled_from([None, None, *TARGET_PATHS]))
    key = draw(st.sampled_from([None, None, "extra.yaml", SCALAR_KEY if path else "values.yaml", "nokey"]))
    if key is not None:
        lines.append(f"      valuesKey: {key}")
    if path is not None:
        lines.append(f"      targetPath: {json.dumps(path)}")
    optional = draw(st.sampled_from([None, None, True, False]))
    if optional is not None:
        lines.append(f"      optional: {str(optional).lower()}")
    if path is not None and draw(st.integers(0, 5)) == 0:
        lines.append("      literal: true")
    return lines


@st.composite
def values_from_repositories(draw: st.DrawFn) -> dict[str, str]:
    """Chart `demo`, cluster `c`, one release in namespace `apps` with 1-4 valuesFrom entries over ConfigMaps
    and Secrets (data, stringData, base64) written as resources or generated by kustomize (hashed or not),
    `valuesKey` default, custom or missing, `targetPath` (dotted, indexed, escaped), `optional`, `literal`;
    and `spec.values` over keys the sources also set."""
    files = dict(CHART)
    objects = [draw(_object(name)) for name in OBJECT_NAMES[: draw(st.integers(1, 3))]]
    for obj in objects:
        if obj["form"] == "resource":
            files[f"clusters/c/apps/{obj['name']}.yaml"] = _resource(obj)
        else:
            files.update(_generator_files(obj))
    entries = [line for _ in range(draw(st.integers(1, 4))) for line in draw(_reference(objects))]
    user = draw(
        st.dictionaries(st.sampled_from(["a", "nested", "list", "k.dot", "keep"]), st.sampled_from(USER_SCALARS))
    )
    if "nested" in user and draw(st.booleans()):
        user["nested"] = "{b: user, list: [u]}"
    values = ["  values:", *(f"    {json.dumps(key)}: {value}" for key, value in user.items())] if user else []
    return files | _release("  valuesFrom:", *entries, *values)


@GENERATED
@given(files=values_from_repositories())
def test_generated_values_from_agrees_with_helm_controller(
    oracle: Path, tmp_path_factory: pytest.TempPathFactory, files: dict[str, str]
) -> None:
    """valuesFrom composed as `ChartValuesFromReferences` composes it, over the objects the cluster applies."""
    assert_generated_agrees(tmp_path_factory.mktemp("generated"), files, reveals=(True, False))


# ── subcharts ────────────────────────────────────────────────────────────────────────────────────

SUBCHARTS = ["db", "cache"]
SUB_DEFAULTS: dict[str, Any] = {
    "port": 5432,
    "conn": {"host": "sub", "port": 1},
    "exports": {"defaults": {"fromExports": True, "port": 2}},
    "global": {"env": "sub", "tz": "UTC"},
    "probe": {"path": "/"},
    "enabled": True,
    "nothing": None,
}
CONDITIONS = ["{key}.enabled", "missing.flag,{key}.enabled", "global.on", "{key}.port"]
IMPORTS: list[Any] = [
    [{"child": "conn", "parent": "imported"}],
    ["defaults"],
    [{"child": "conn", "parent": "."}],
    [{"child": "missing", "parent": "x"}],
    ["defaults", {"child": "exports.defaults", "parent": "fromChild"}],
]
USER_SUB_BLOCKS: list[Any] = [
    {"probe": None}, {"port": 7}, {"enabled": False}, {"enabled": True}, "a scalar", None, {"global": {"x": 1}},
    {"conn": {"host": "user"}}, {"nothing": None, "port": None}, 12,
]  # fmt: skip


def _sub_files(folder: str, name: str, values: dict[str, Any], archived: bool) -> dict[str, str]:
    from tests.helpers import archive

    files = {"Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 1.0.0\n", "values.yaml": json.dumps(values) + "\n"}
    if archived:  # held as text, one character a byte (`write_files`)
        return {f"{folder}/{name}-1.0.0.tgz": archive(name, files).decode("latin-1")}
    return {f"{folder}/{name}/{file}": text for file, text in files.items()}


@st.composite
def subchart_repositories(draw: st.DrawFn) -> dict[str, str]:
    """Chart `demo` with 1-2 vendored subcharts (`charts/<name>/`, sometimes an archive, one sometimes with a
    subchart of its own): declared or not, `alias`, `condition`, `tags`, `import-values` (child/parent and
    exports), the parent's `<sub>:` block and `global`, and a release whose values give each subchart a map,
    a null, a scalar (Helm's `type mismatch`) or nothing, with `tags` and `global` of its own."""
    dependencies: list[dict[str, Any]] = []
    parent: dict[str, Any] = {}
    user: dict[str, Any] = {}
    files: dict[str, str] = {}
    for name in SUBCHARTS[: draw(st.integers(1, 2))]:
        keys = draw(st.lists(st.sampled_from(sorted(SUB_DEFAULTS)), unique=True, max_size=len(SUB_DEFAULTS)))
        values = {key: SUB_DEFAULTS[key] for key in sorted(keys)}
        archived = draw(st.integers(0, 5)) == 0
        files.update(_sub_files("charts/demo/charts", name, values, archived))
        if not archived and draw(st.integers(0, 3)) == 0:  # a subchart's own vendored subchart: globals go down
            files.update(
                _sub_files(f"charts/demo/charts/{name}/charts", "inner", {"deep": 1, "global": {"tz": "inner"}}, False)
            )
        key = name
        if draw(st.integers(0, 5)):  # declared in Chart.yaml (else loaded all the same, as Helm does)
            dependency: dict[str, Any] = {"name": name}
            version = draw(st.sampled_from(["1.0.0", "1.0.0", "1.0.0", "^1", "2.0.0", None]))
            if version is not None:  # a vendored chart the version does not admit is loaded as undeclared
                dependency["version"] = version
            dependency["repository"] = "https://charts.example.com"
            if draw(st.integers(0, 3)) == 0:
                key = dependency["alias"] = f"{name}-alias"
            if draw(st.booleans()):
                dependency["condition"] = draw(st.sampled_from(CONDITIONS)).format(key=key)
            if draw(st.integers(0, 2)) == 0:
                dependency["tags"] = draw(st.sampled_from([["backend"], ["frontend", "backend"]]))
            if draw(st.integers(0, 2)) == 0:
                dependency["import-values"] = draw(st.sampled_from(IMPORTS))
            dependencies.append(dependency)
        if draw(st.booleans()):
            parent[key] = draw(
                st.sampled_from([{"port": 5433}, {"enabled": False}, {"probe": None, "port": 1}, "text"])
            )
        if draw(st.booleans()):
            user[key] = draw(st.sampled_from(USER_SUB_BLOCKS))
    if draw(st.booleans()):
        parent["global"] = {"env": "parent", "on": draw(st.booleans())}
    if draw(st.booleans()):
        parent["tags"] = {"backend": draw(st.booleans())}
    if draw(st.booleans()):
        parent["imported"] = {"kept": "parent"}
    if draw(st.booleans()):
        user["tags"] = {"backend": draw(st.booleans()), "frontend": draw(st.booleans())}
    if draw(st.booleans()):
        user["global"] = draw(st.sampled_from([{"env": "user"}, {"on": False}]))  # a scalar: see the docstring
    chart = "apiVersion: v2\nname: demo\nversion: 1.0.0\n"
    if dependencies:
        chart += f"dependencies: {json.dumps(dependencies)}\n"
    files["charts/demo/Chart.yaml"] = chart
    files["charts/demo/values.yaml"] = json.dumps(parent) + "\n"
    return files | _release(f"  values: {json.dumps(user)}")


@GENERATED
@given(files=subchart_repositories())
def test_generated_subcharts_agree_with_helm(
    oracle: Path, tmp_path_factory: pytest.TempPathFactory, files: dict[str, str]
) -> None:
    """Subcharts coalesced as Helm v4.2.3's `ProcessDependencies` + `CoalesceValues`: defaults, globals, alias,
    condition/tags, import-values, null deletion; Helm's `type mismatch` is the product's RND005."""
    assert_generated_agrees(tmp_path_factory.mktemp("generated"), files, reveals=(True, False))
