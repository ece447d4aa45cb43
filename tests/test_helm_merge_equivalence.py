"""Our merge is Helm's merge: generated (chart defaults, overlay) pairs through the real Helm engine.

Each example writes a chart whose only template is `{{ toJson .Values }}` and a Flux HelmRelease whose
`spec.values` is the overlay, then compares, types included, three things with what Helm renders:
`compliance values --format json` (the function the command runs), and the command's YAML output with
and without `--blame` read back by Helm's own values parser. Helm gets the user values as helm-controller
does: the HelmRelease typed as kustomize-controller types it (JSON), the chart's values.yaml typed by Helm
itself. The SDK embeds Helm v4.2.3, the version
Flux's helm-controller follows (docs/values.md), so every null case is generated, none excluded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.app.valuesview import render_values
from compliance.yaml import load_manifest
from tests.helpers import RELEASE_HEAD

# Raw YAML scalar texts and what type Helm reads them as (go-yaml v2, YAML 1.1, then float64 numbers).
STRINGS = [
    "hello", "hello world", "'single'", '"NO"', "'on'", '"1e3"', '""', '"017"', "2001-12-14", "1:30",
    "yEs", "tRue", "a#b", "café", '"multi\\nline"', '"tab\\there"', '"x: y"', '"- dash"', "http://h:80/p",
    '" lead"', '"trail "', "=", "!!str 123", "2001-12-14t21:59:43.10-05:00", "'#hash'", '"\\u00e9\\x85"',
]  # fmt: skip
BOOLS = ["true", "false", "yes", "No", "ON", "off", "y", "n", "True", "FALSE", "!!bool true"]
NUMBERS = [
    "0", "1", "-1", "+12", "017", "0o17", "0x1F", "0b101", "1_000", "08", "-0", "9007199254740993",
    "123456789012345678901", "1.5", "1e3", "-2.5e-3", ".5", "1.0", "6.02e23", "1e+06", "0.1", "!!float 3",
]  # fmt: skip
NULLS = ["null", "~", "Null", "NULL", ""]
SCALARS = STRINGS + BOOLS + NUMBERS
# Map keys by the string Helm makes of them; the spellings of one key must merge with each other.
KEYS = {
    "a": ["a"], "b": ["b"], "c": ["c"], "true": ["on", "true", "Yes", "y"], "false": ["No", "off"],
    "1": ["1", "0x1", "01"], "31": ["0x1F", "31"], "1.5": ["1.5", "15e-1"], "x.y": ["x.y"], "k e y": ["'k e y'"],
}  # fmt: skip

Node = tuple[str, Any]  # ("map", [(key spelling, node)]) | ("list", [node]) | ("scalar", text)

# half the leaves are nulls: that is where Helm versions disagree and where merges are subtle
scalars = st.builds(lambda text: ("scalar", text), st.sampled_from(SCALARS) | st.sampled_from(NULLS))


def _map_of(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    entries = st.lists(st.tuples(st.sampled_from(sorted(KEYS)), children), max_size=4, unique_by=lambda e: e[0])
    return entries.flatmap(
        lambda items: st.tuples(*(st.sampled_from(KEYS[key]) for key, _ in items)).map(
            lambda spellings: ("map", [(s, node) for s, (_, node) in zip(spellings, items, strict=True)])
        )
    )


def _map_or_list(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return _map_of(children) | st.lists(children, max_size=3).map(lambda items: ("list", items))


nodes = st.recursive(scalars, _map_or_list, max_leaves=12)
maps = _map_of(nodes)


@st.composite
def overlay_for(draw: st.DrawFn, default: Node) -> Node:
    """An overlay that touches `default`: merges into its maps, nulls its keys, replaces values with other types."""
    entries: list[tuple[str, Node]] = []
    for spelling, child in default[1] if default[0] == "map" else ():
        choice = draw(st.sampled_from(["keep", "keep", "null", "replace", "merge"]))
        respelled = draw(st.sampled_from(KEYS[canonical_key(spelling)]))
        if choice == "null":
            entries.append((respelled, ("scalar", draw(st.sampled_from(NULLS)))))
        elif choice == "replace":
            entries.append((respelled, draw(nodes)))
        elif choice == "merge":
            entries.append((respelled, draw(overlay_for(child)) if child[0] == "map" else draw(maps)))
    taken = {canonical_key(spelling) for spelling, _ in default[1]} if default[0] == "map" else set()
    for key in draw(st.lists(st.sampled_from(sorted(set(KEYS) - taken)), max_size=2, unique=True)):
        entries.append((draw(st.sampled_from(KEYS[key])), draw(st.one_of(nodes, scalars))))
    return ("map", entries)


def canonical_key(spelling: str) -> str:
    return next(key for key, spellings in KEYS.items() if spelling in spellings)


def to_yaml(node: Node, indent: int = 0) -> list[str]:
    """Block YAML for a generated node (scalars written as their raw text)."""
    pad = " " * indent
    kind, body = node
    lines: list[str] = []
    if kind == "map":
        for key, child in body:
            if child[0] == "scalar" or not child[1]:
                lines.append(f"{pad}{key}: {inline(child)}".rstrip())
            else:
                lines.append(f"{pad}{key}:")
                lines.extend(to_yaml(child, indent + 2))
    elif kind == "list":
        for child in body:
            if child[0] == "scalar" or not child[1]:
                lines.append(f"{pad}- {inline(child)}".rstrip())
            else:
                nested = to_yaml(child, indent + 2)
                lines.append(f"{pad}- {nested[0][indent + 2 :]}")
                lines.extend(nested[1:])
    return lines


def inline(node: Node) -> str:
    kind, body = node
    if kind == "scalar":
        return body
    return "{}" if kind == "map" else "[]"


def document(node: Node) -> str:
    return "\n".join(to_yaml(node)) + "\n" if node[1] else "{}\n"


def canonical(value: Any) -> Any:
    """JSON data with Helm's types made explicit: one float64 number type, and `true` is not `1`."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", float(value))
    if isinstance(value, dict):
        return {key: canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


@pytest.fixture(scope="module")
def helm() -> Any:
    try:
        import helm_python
    except ImportError as error:  # a test dependency (pip install -e '.[test]'): never skipped silently
        pytest.fail(f"helm-python-sdk is not installed: {error}")
    assert helm_python.helm_sdk_version().startswith("v4.2."), helm_python.helm_sdk_version()
    return helm_python


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _printing_chart(tmp_path_factory.mktemp("helm-merge"))


def _printing_chart(root: Path) -> Path:
    """A chart whose only template prints `.Values`, and the cluster folder its release goes in."""
    chart = root / CHART
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: t\nversion: 0.1.0\n")
    (chart / "templates" / "values.yaml").write_text("{{ toJson .Values }}\n")
    (root / "clusters" / "c").mkdir(parents=True)
    return root


CHART = Path("platform/t/chart")


def write_case(root: Path, defaults: list[Node], overlay: Node) -> str:
    """Write the chart's values.yaml (one document per default) and the release; returns the overlay YAML."""
    chart_values = "---\n".join(document(node) for node in defaults)
    (root / CHART / "values.yaml").write_text(chart_values)
    overlay_yaml = document(overlay)
    indented = "".join(f"    {line}\n" for line in overlay_yaml.splitlines())
    (root / "clusters" / "c" / "t.yaml").write_text(RELEASE_HEAD + indented)
    return overlay_yaml


def helm_values(helm: Any, root: Path) -> Any:
    """`.Values` as Helm's engine renders them for the release's user values, which helm-controller receives
    as JSON: the HelmRelease as kustomize-controller types it (go-yaml v3, then JSON; `compliance.yaml.manifest`,
    proven against kyaml by tests/test_manifest_typing.py), so the overlay's `off` is the string "off"."""
    release = load_manifest((root / "clusters" / "c" / "t.yaml").read_text()).documents[0].value
    user = json.dumps(release["spec"]["values"])
    with helm.Chart.load(root / CHART) as chart:
        rendered = chart.render(values=helm.values_from_yaml(user), name="t", namespace="default")
    return json.loads(rendered["t/templates/values.yaml"])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_effective_values_equal_what_helm_renders(helm: Any, workspace: Path, data: st.DataObject) -> None:
    defaults = data.draw(st.lists(maps, min_size=1, max_size=2), label="defaults")
    by_key = {canonical_key(spelling): (spelling, child) for node in defaults for spelling, child in node[1]}
    merged_default = ("map", list(by_key.values()))
    overlay = data.draw(overlay_for(merged_default), label="overlay")
    overlay_yaml = write_case(workspace, defaults, overlay)
    expected = canonical(helm_values(helm, workspace))

    case = f"chart values.yaml:\n{(workspace / CHART / 'values.yaml').read_text()}\noverlay:\n{overlay_yaml}"
    output, _ = render_values(str(workspace), "c", output_format="json")
    assert canonical(json.loads(output)["values"]) == expected, case
    for blame in (False, True):  # the YAML output reads back, through Helm's parser, as the same values
        text, _ = render_values(str(workspace), "c", output_format="yaml", blame=blame)
        assert canonical(helm.values_from_yaml(text)) == expected, f"{case}\noutput:\n{text}"


def test_the_generator_reaches_the_interesting_cases(helm: Any, workspace: Path) -> None:
    """A fixed case with every kind of conflict, so a generator change cannot quietly lose them."""
    defaults = [
        ("map", [("a", ("map", [("b", ("scalar", "1")), ("c", ("scalar", "null"))])), ("on", ("scalar", "x"))]),
        ("map", [("x.y", ("list", [("scalar", "yes"), ("scalar", "1e3")])), ("b", ("map", [("c", ("scalar", "1"))]))]),
        ("map", [("c", ("map", [("a", ("scalar", "~"))]))]),
    ]  # fmt: skip
    overlay = ("map", [
        ("a", ("map", [("b", ("scalar", "~")), ("1", ("scalar", "null"))])),  # delete a default; keep a new null
        ("true", ("map", [("k e y", ("scalar", '"NO"'))])),  # a map over a scalar default, key spelled differently
        ("b", ("scalar", "off")),  # a scalar over a map default
        ("31", ("scalar", "")),  # a null with no default, top level
        ("c", ("map", [("a", ("scalar", "null"))])),  # below the top level, a null over a null default stays
    ])  # fmt: skip
    write_case(workspace, defaults, overlay)
    helm_view = helm_values(helm, workspace)
    assert helm_view == {
        "a": {"1": None},
        "true": {"k e y": "NO"},
        "x.y": [True, 1000],
        "b": "off",  # the overlay is a HelmRelease: go-yaml v3 keeps `off` a string
        "31": None,
        "c": {"a": None},
    }
    output, _ = render_values(str(workspace), "c", output_format="json")
    assert canonical(json.loads(output)["values"]) == canonical(helm_view)


# ── Charts with a subchart: defaults under its key, the parent's `<sub>:` block, globals copied down ──

SUBCHART = CHART / "charts" / "s"


@pytest.fixture(scope="module")
def sub_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _printing_chart(tmp_path_factory.mktemp("helm-subchart-merge"))
    (root / SUBCHART).mkdir(parents=True)
    (root / SUBCHART / "Chart.yaml").write_text("apiVersion: v2\nname: s\nversion: 1.0.0\n")
    return root


def _entries(node: Node) -> list[tuple[str, Node]]:
    return list(node[1]) if node[0] == "map" else []


@st.composite
def subchart_case(draw: st.DrawFn) -> tuple[Node, Node, Node]:
    """(parent values, subchart values, user values): each side may carry `global`; the parent may set `s:`."""
    sub = draw(maps)
    parent = draw(maps)
    parent_global, sub_global = draw(maps), draw(maps)
    block = draw(st.one_of(st.none(), overlay_for(sub)))
    parent_node: Node = ("map", [*_entries(parent), ("global", parent_global)] + ([("s", block)] if block else []))
    sub_node: Node = ("map", [*_entries(sub), ("global", sub_global)])
    user_entries = [*_entries(draw(overlay_for(parent))), ("global", draw(overlay_for(parent_global)))]
    touch = draw(st.sampled_from(["keep", "merge", "null"]))
    if touch == "merge":
        user_entries.append(("s", draw(overlay_for(sub))))
    elif touch == "null":
        user_entries.append(("s", ("scalar", "null")))
    return parent_node, sub_node, ("map", user_entries)


def helm_or_error(helm: Any, root: Path) -> Any:
    try:
        return helm_values(helm, root)
    except Exception as error:  # Helm's own refusal (`type mismatch on s`)
        return f"error: {error}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=subchart_case())
def test_subchart_values_equal_what_helm_renders(helm: Any, sub_workspace: Path, case: tuple[Node, Node, Node]) -> None:
    parent, sub, user = case
    (sub_workspace / SUBCHART / "values.yaml").write_text(document(sub))
    overlay_yaml = write_case(sub_workspace, [parent], user)
    expected = helm_or_error(helm, sub_workspace)
    described = f"parent:\n{document(parent)}\nsubchart s:\n{document(sub)}\noverlay:\n{overlay_yaml}"
    if isinstance(expected, str):
        from compliance.app.api import lint_path

        assert "type mismatch on s" in expected, described
        findings = lint_path(str(sub_workspace), select=("RND005",)).findings
        assert [f.message.split(":")[0] for f in findings] == ["type mismatch on s"], described
        return
    output, _ = render_values(str(sub_workspace), "c", output_format="json")
    assert canonical(json.loads(output)["values"]) == canonical(expected), described
