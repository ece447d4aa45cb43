"""Subcharts as Helm coalesces them: defaults under the name or alias, globals copied down, condition and
tags, import-values, a user null over a subchart default, and `type mismatch on <sub>` (RND005).

The cases restate facts of Helm's own tests (pkg/chart/common/util coalesce_test.go, dependencies_test.go:
the moby/pequod globals, the subpop tags and conditions, import-values, aliases). Each case is also
rendered by Helm v4.2.3 itself (helm-python-sdk, a `{{ toJson .Values }}` template in the parent chart),
so a fact restated wrongly fails as surely as a wrong merge.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compliance.app.valuesview import render_values
from compliance.load.repository import load_repository
from compliance.yaml import load_manifest
from tests.helpers import RELEASE_HEAD, archive, line_of, lint_fixture

CHART = Path("platform/t/chart")


@pytest.fixture(scope="module")
def helm() -> Any:
    try:
        import helm_python
    except ImportError as error:  # a test dependency (pip install -e '.[test]'): never skipped silently
        pytest.fail(f"helm-python-sdk is not installed: {error}")
    return helm_python


def _yaml(value: Any) -> str:
    return json.dumps(value)  # JSON is YAML, typed the same by Helm and by us


def write(
    root: Path,
    parent: dict[str, Any],
    dependencies: list[dict[str, Any]],
    subs: dict[str, tuple[str, dict[str, Any]]],
    user: dict[str, Any],
    archived: bool = False,
) -> Path:
    """A parent chart whose template prints `.Values`, vendored subcharts (`charts/<dir>/` or archives) and a
    HelmRelease with `user` values under clusters/c."""
    chart = root / CHART
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "charts").mkdir(exist_ok=True)
    head = "apiVersion: v2\nname: t\nversion: 0.1.0\n"
    (chart / "Chart.yaml").write_text(head + (f"dependencies: {_yaml(dependencies)}\n" if dependencies else ""))
    (chart / "values.yaml").write_text(_yaml(parent) + "\n")
    (chart / "templates" / "values.yaml").write_text("{{ toJson .Values }}\n")
    for directory, (name, values) in subs.items():
        files = {"Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 1.0.0\n", "values.yaml": _yaml(values) + "\n"}
        if archived:
            (chart / "charts" / f"{directory}-1.0.0.tgz").write_bytes(archive(name, files))
        else:
            (chart / "charts" / directory).mkdir(parents=True, exist_ok=True)
            for file, text in files.items():
                (chart / "charts" / directory / file).write_text(text)
    (root / "clusters" / "c").mkdir(parents=True, exist_ok=True)
    (root / "clusters" / "c" / "t.yaml").write_text(RELEASE_HEAD + f"    {_yaml(user)}\n")
    return chart


def helm_render(helm: Any, root: Path) -> Any:
    """`.Values` as Helm renders them for the release's values, or Helm's error text."""
    release = load_manifest((root / "clusters" / "c" / "t.yaml").read_text()).documents[0].value
    user = json.dumps(release["spec"]["values"])
    try:
        with helm.Chart.load(root / CHART) as chart:
            rendered = chart.render(values=helm.values_from_yaml(user), name="t", namespace="default")
    except Exception as error:  # the SDK raises Helm's error
        return f"error: {error}"
    return json.loads(rendered["t/templates/values.yaml"])


def ours(root: Path) -> Any:
    output, _ = render_values(str(root), "c", output_format="json")
    return json.loads(output)["values"]


SUBPOP = {  # dependencies_test.go's subpop, reduced: two tagged groups, conditions on values
    "parent": {"subchart1": {"enabled": True}, "subchart2": {"enabled": False}},
    "dependencies": [
        {"name": "subchart1", "version": "1.0.0", "condition": "subchart1.enabled", "tags": ["front-end"]},
        {"name": "subchart2", "version": "1.0.0", "condition": "subchart2.enabled", "tags": ["back-end"]},
    ],
    "subs": {"subchart1": ("subchart1", {"svc": "one"}), "subchart2": ("subchart2", {"svc": "two"})},
}

CASES: list[tuple[str, dict[str, Any], list[dict[str, Any]], dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    (
        "defaults under the subchart's name, parent block over them, user over both",
        {"db": {"port": 5433}},
        [],
        {"db": ("db", {"port": 5432, "host": "localhost", "tls": {"on": False}})},
        {"db": {"tls": {"on": True}}},
        {"db": {"port": 5433, "host": "localhost", "tls": {"on": True}, "global": {}}},
    ),
    (
        "the moby/pequod globals: the parent's global wins, maps merge, the subchart's extra keys stay",
        {"global": {"name": "Ishmael", "subject": "Queequeg", "nested": {"boat": True}}},
        [],
        {"pequod": ("pequod", {"global": {"name": "Stinky", "harpooner": "Tashtego",
                                          "nested": {"boat": False, "sail": True}}})},
        {},
        {
            "global": {"name": "Ishmael", "subject": "Queequeg", "nested": {"boat": True}},
            "pequod": {"global": {"name": "Ishmael", "subject": "Queequeg", "harpooner": "Tashtego",
                                  "nested": {"boat": True, "sail": True}}},
        },
    ),
    (
        "a user null deletes a subchart default",
        {},
        [],
        {"db": ("db", {"port": 5432, "probe": {"path": "/"}})},
        {"db": {"probe": None}},
        {"db": {"port": 5432, "global": {}}},
    ),
    (
        "a user null under a subchart's key reaches the subchart even over the parent's own default",
        {"db": {"port": 5433, "probe": None}},
        [],
        {"db": ("db", {"port": 5432, "probe": {"path": "/"}, "extra": 1})},
        {"db": {"port": None, "extra": None}},
        {"db": {"global": {}}},
    ),
    (
        "an alias renames where the values go; two aliases of one chart are two subcharts",
        {},
        [{"name": "db", "alias": "primary", "version": "1.0.0"},
         {"name": "db", "alias": "replica", "version": "1.0.0"}],
        {"db": ("db", {"port": 5432})},
        {"replica": {"port": 6000}},
        {"primary": {"port": 5432, "global": {}}, "replica": {"port": 6000, "global": {}}},
    ),
    (
        "subpop: conditions decide (subchart2.enabled false drops it; its block stays plain values)",
        SUBPOP["parent"], SUBPOP["dependencies"], SUBPOP["subs"], {},
        {"subchart1": {"enabled": True, "svc": "one", "global": {}}, "subchart2": {"enabled": False}},
    ),
    (
        "subpop: a condition overrides the tags",
        SUBPOP["parent"], SUBPOP["dependencies"], SUBPOP["subs"], {"tags": {"front-end": False}},
        {"tags": {"front-end": False}, "subchart1": {"enabled": True, "svc": "one", "global": {}},
         "subchart2": {"enabled": False}},
    ),
    (
        "subpop: tags disable a group when no condition holds a bool",
        {}, SUBPOP["dependencies"], SUBPOP["subs"], {"tags": {"back-end": False, "front-end": True}},
        {"tags": {"back-end": False, "front-end": True}, "subchart1": {"svc": "one", "global": {}}},
    ),
    (
        "the first condition path that holds a bool wins; a non-bool is passed over",
        {"a": {"on": "yes please"}, "b": {"on": False}},
        [{"name": "db", "version": "1.0.0", "condition": "a.on,b.on"}],
        {"db": ("db", {"port": 5432})},
        {},
        {"a": {"on": "yes please"}, "b": {"on": False}},
    ),
    (
        "import-values: child/parent and exports, below the parent's own values",
        {"data": {"kept": "parent"}},
        [{"name": "db", "version": "1.0.0",
          "import-values": [{"child": "conn", "parent": "data"}, "defaults"]}],
        {"db": ("db", {"conn": {"kept": "child", "port": 5432}, "exports": {"defaults": {"imported": True}}})},
        {},
        {"data": {"kept": "parent", "port": 5432}, "imported": True,
         "db": {"conn": {"kept": "child", "port": 5432}, "exports": {"defaults": {"imported": True}}, "global": {}}},
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("parent", "dependencies", "subs", "user", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_subchart_values_are_helms(
    helm: Any,
    tmp_path: Path,
    parent: dict[str, Any],
    dependencies: list[dict[str, Any]],
    subs: dict[str, tuple[str, dict[str, Any]]],
    user: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    write(tmp_path, parent, dependencies, subs, user)
    assert helm_render(helm, tmp_path) == expected
    assert ours(tmp_path) == expected


def test_archived_subchart_is_read_in_memory(helm: Any, tmp_path: Path) -> None:
    write(tmp_path, {}, [], {"db": ("db", {"port": 5432})}, {"db": {"host": "h"}}, archived=True)
    expected = {"db": {"port": 5432, "host": "h", "global": {}}}
    assert helm_render(helm, tmp_path) == expected
    assert ours(tmp_path) == expected
    assert not (tmp_path / CHART / "charts" / "db").exists()  # never extracted


def test_subchart_default_points_at_the_subcharts_values_line(tmp_path: Path) -> None:
    chart = write(tmp_path, {}, [], {"db": ("db", {"port": 5432})}, {})
    (chart / "charts" / "db" / "values.yaml").write_text("# db defaults\nport: 5432\n")
    findings_root = str(tmp_path)
    output, _ = render_values(findings_root, "c", output_format="json", blame=True)
    data = json.loads(output)
    text = json.dumps(data)
    assert "platform/t/chart/charts/db/values.yaml" in text, text
    repo = load_repository(findings_root)
    from compliance.effective.values import effective_values

    (release,) = repo.clusters[0].releases
    chart_model, _ = repo.resolve_release(release)
    values = effective_values(chart_model, release, {})
    location = values.locate(("db", "port"))
    assert (location.path, location.line) == ("platform/t/chart/charts/db/values.yaml", 2)


def test_a_scalar_over_a_subchart_is_helms_type_mismatch(helm: Any, tmp_path: Path) -> None:
    write(tmp_path, {}, [], {"db": ("db", {"port": 5432})}, {"db": "postgres.internal"})
    assert "type mismatch on db" in helm_render(helm, tmp_path)
    (finding,) = [f for f in lint_fixture(tmp_path, select=("RND005",), renderer="none")]
    assert "type mismatch on db" in finding.message
    release = tmp_path / "clusters" / "c" / "t.yaml"
    assert (finding.location.path, finding.location.line) == ("clusters/c/t.yaml", line_of(release, "postgres"))


def test_file_dependency_defaults_without_vendoring(tmp_path: Path) -> None:
    """Flux's source-controller builds `file://` dependencies: their defaults count although charts/ is empty."""
    write(tmp_path, {}, [{"name": "stub", "version": "1.0.0", "repository": "file://../stub"}], {}, {})
    stub = tmp_path / "platform" / "t" / "stub"
    stub.mkdir()
    (stub / "Chart.yaml").write_text("apiVersion: v2\nname: stub\nversion: 1.0.0\n")
    (stub / "values.yaml").write_text("answer: 42\n")
    assert ours(tmp_path) == {"stub": {"answer": 42, "global": {}}}


# Found by the oracle on generated charts (tests/test_oracle_inputs.py), each checked here against Helm itself.


def test_a_scalar_over_a_subchart_fails_even_when_tags_disable_it(helm: Any, tmp_path: Path) -> None:
    """Helm coalesces the user's values with every subchart before it reads tags and conditions
    (`processDependencyEnabled`): a scalar under a subchart that tags then disable still fails."""
    dependency = [{"name": "db", "version": "1.0.0", "tags": ["backend"]}]
    write(tmp_path, {}, dependency, {"db": ("db", {"port": 5432})}, {"db": 12, "tags": {"backend": False}})
    assert "type mismatch on db" in helm_render(helm, tmp_path)
    (finding,) = [f for f in lint_fixture(tmp_path, select=("RND005",), renderer="none")]
    assert "type mismatch on db" in finding.message


def test_a_scalar_in_the_charts_own_defaults_fails_whatever_the_user_gives(helm: Any, tmp_path: Path) -> None:
    """A chart declaring dependencies has its own defaults coalesced alone (`processImportValues`): a scalar
    under a subchart's key there fails although the user gives a map."""
    dependency = [{"name": "db", "version": "1.0.0"}]
    write(tmp_path, {"db": "text"}, dependency, {"db": ("db", {"port": 5432})}, {"db": {"port": 1}})
    assert "type mismatch on db" in helm_render(helm, tmp_path)
    assert [f.rule for f in lint_fixture(tmp_path, select=("RND005",), renderer="none")] == ["RND005"]


def test_an_alias_whose_version_the_vendored_chart_does_not_satisfy_leaves_it_under_its_name(
    helm: Any, tmp_path: Path
) -> None:
    """Helm's getAliasDependency takes a vendored chart only when the dependency's `version` admits it; else
    the chart is loaded as undeclared, under its own name, and the alias names nothing."""
    dependency = [{"name": "db", "version": "2.0.0", "alias": "primary"}]
    write(tmp_path, {}, dependency, {"db": ("db", {"port": 5432})}, {"primary": {"port": 1}})
    expected = {"db": {"port": 5432, "global": {}}, "primary": {"port": 1}}
    assert helm_render(helm, tmp_path) == expected
    assert ours(tmp_path) == expected
