"""Rendering a chart whose dependencies `charts/` does not vendor: `file://` folders, a chart cache of
archives as `helm dependency build` leaves them, and RND002 once per chart for what nothing provides."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.app.api import lint_path
from tests.helpers import RELEASE_HEAD, cache_archive, run

TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}
data:
  answer: {{ .Values.stub.answer | quote }}
"""


@pytest.fixture(autouse=True)
def sdk() -> None:
    pytest.importorskip("helm_python", reason="helm-python-sdk (the `helm` extra) renders these charts")


def repository(root: Path, repository_url: str, clusters: tuple[str, ...] = ("c",)) -> Path:
    chart = root / "platform" / "t" / "chart"
    (chart / "templates").mkdir(parents=True)
    dependency = f"[{{name: stub, version: 1.0.0, repository: '{repository_url}'}}]"
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: t\nversion: 0.1.0\ndependencies: {dependency}\n")
    (chart / "values.yaml").write_text("{}\n")
    (chart / "templates" / "cm.yaml").write_text(TEMPLATE)
    for cluster in clusters:
        (root / "clusters" / cluster).mkdir(parents=True)
        (root / "clusters" / cluster / "t.yaml").write_text(RELEASE_HEAD + "    {}\n")
    return chart


STUB = {"Chart.yaml": "apiVersion: v2\nname: stub\nversion: 1.0.0\n", "values.yaml": "answer: 42\n"}


def test_a_file_dependency_renders(tmp_path: Path) -> None:
    repository(tmp_path, "file://../stub")
    stub = tmp_path / "platform" / "t" / "stub"
    stub.mkdir()
    for name, text in STUB.items():
        (stub / name).write_text(text)
    result = lint_path(str(tmp_path), renderer="sdk")
    assert [f.rule for f in result.findings if f.rule.startswith("RND")] == []
    assert {cluster for _, cluster in result.rendered} == {"c"}
    assert not (tmp_path / "platform" / "t" / "chart" / "charts").exists()  # the repository is left as it is


def test_a_chart_cache_provides_dependency_archives(tmp_path: Path) -> None:
    repository(tmp_path / "repo", "https://charts.example.invalid", clusters=("a", "b"))
    missing = lint_path(str(tmp_path / "repo"), renderer="sdk").findings
    rnd002 = [f for f in missing if f.rule == "RND002"]
    assert len(rnd002) == 1, [f.message for f in missing]  # once for the chart, not once per cluster
    assert "--chart-cache" in rnd002[0].message
    cache = cache_archive(tmp_path / "cache", "stub", "1.0.0", STUB).parent
    result = lint_path(str(tmp_path / "repo"), renderer="sdk", chart_cache=str(cache))
    assert [f.rule for f in result.findings if f.rule.startswith("RND")] == []
    assert {cluster for _, cluster in result.rendered} == {"a", "b"}


def test_chart_lock_pins_the_cached_version(tmp_path: Path) -> None:
    chart = repository(tmp_path / "repo", "https://charts.example.invalid")
    text = (chart / "Chart.yaml").read_text().replace("version: 1.0.0,", "version: '^1.0.0',")
    (chart / "Chart.yaml").write_text(text)
    (chart / "Chart.lock").write_text(
        "dependencies:\n- name: stub\n  repository: https://charts.example.invalid\n  version: 1.0.0\n"
    )
    cache = cache_archive(tmp_path / "cache", "stub", "1.0.0", STUB).parent
    result = lint_path(str(tmp_path / "repo"), renderer="sdk", chart_cache=str(cache))
    assert [f.rule for f in result.findings if f.rule.startswith("RND")] == []


def test_chart_cache_must_be_a_directory(tmp_path: Path) -> None:
    repository(tmp_path, "file://../stub")
    done = run("lint", str(tmp_path), "--chart-cache", str(tmp_path / "nope"))
    assert done.returncode == 2, done.stderr
    assert "--chart-cache: not a directory" in done.stderr


def test_openova_charts_render_with_a_cache_of_stub_archives(corpus: Path, tmp_path: Path) -> None:
    """The corpus's vendored-by-CI dependencies, stubbed by the test (a Chart.yaml, no template): every chart is
    rendered or says why not, counted from the data. A wrapper chart whose only content is an upstream dependency
    renders empty (Helm renders it; the stub has no template); of the two with templates of their own,
    llm-gateway renders objects and anthropic-adapter is refused by its own `fail`: its image tag must be
    SHA-pinned by a per-cluster overlay, and the chart-defaults render has none."""
    root = corpus / "snapshot-2026-04-30"
    from compliance.engine.evaluate import LintOptions, release_contexts
    from compliance.load.repository import load_repository
    from compliance.render import RENDERED, RENDERED_EMPTY, chart_outcomes, has_templates, rendered_contexts
    from compliance.render.dependencies import declared, locked_versions, provided

    repo = load_repository(str(root))
    for chart in repo.charts:
        missing = {index for index, _ in provided(repo.root, chart, None)[1]}
        locked = locked_versions(repo.root, chart)
        for index, dependency in declared(chart):
            version = locked.get(dependency["name"], str(dependency.get("version", "")))
            if index in missing:
                cache_archive(tmp_path, dependency["name"], version)
    without = lint_path(str(root), renderer="sdk", select=("RND002",)).findings
    assert any("platform/llm-gateway/chart/" in f.location.path for f in without)
    result = lint_path(str(root), renderer="sdk", select=("RND",), chart_cache=str(tmp_path))
    assert [f.location.path for f in result.findings if f.rule == "RND002"] == []

    options = LintOptions(renderer="sdk", chart_cache=str(tmp_path))
    outcomes = chart_outcomes(repo, rendered_contexts(repo, release_contexts(repo, options), options))
    templated = {c.directory for c in repo.charts if has_templates(repo.root, c)}
    wrappers = {c.directory for c in repo.charts if c.directory not in templated and declared(c)}
    bare = {c.directory for c in repo.charts} - templated - wrappers
    by_state: dict[str, set[str]] = {}
    for directory, (state, _) in outcomes.items():
        by_state.setdefault(state, set()).add(directory)
    assert by_state[RENDERED_EMPTY] == wrappers  # 46 of the 49 in this snapshot
    assert by_state[RENDERED] == {"platform/llm-gateway/chart"}
    assert by_state["refused"] == templated - {"platform/llm-gateway/chart"} == {"platform/anthropic-adapter/chart"}
    assert "MUST be SHA-pinned" in outcomes["platform/anthropic-adapter/chart"][1]
    assert by_state.get("nothing to render", set()) == bare
    assert len(outcomes) == len(repo.charts) == 49


def test_chart_cache_from_the_config_is_relative_to_it_and_shown(tmp_path: Path) -> None:
    repository(tmp_path / "repo", "https://charts.example.invalid")
    cache = cache_archive(tmp_path / "repo" / "vendor" / "charts", "stub", "1.0.0", STUB).parent
    (tmp_path / "repo" / ".compliance.yaml").write_text("chart-cache: vendor/charts\n")
    done = run("lint", str(tmp_path / "repo"), "--renderer", "sdk", "--select", "RND")
    assert done.returncode == 0 and "RND002" not in done.stdout, done.stdout + done.stderr
    shown = run("config", str(tmp_path / "repo")).stdout
    assert f'chart-cache: "{cache}"  # ' in shown and ".compliance.yaml:1:1" in shown


def test_a_repository_config_cannot_point_the_chart_cache_outside_it(tmp_path: Path) -> None:
    """The repository's own config is repository content: its chart-cache must stay inside the linted root, and it
    cannot turn on network fetches; a config pinned from outside (--config) may do both."""
    repository(tmp_path / "repo", "https://charts.example.invalid")
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "repo" / ".compliance.yaml").write_text("chart-cache: ../outside\n")
    done = run("lint", str(tmp_path / "repo"), "--renderer", "none")
    assert done.returncode == 2 and "outside the linted repository" in done.stderr, done.stderr
    assert ".compliance.yaml:1:1" in done.stderr and "Traceback" not in done.stderr
    (tmp_path / "repo" / ".compliance.yaml").write_text("fetch-dependencies: true\n")
    done = run("lint", str(tmp_path / "repo"), "--renderer", "none")
    assert done.returncode == 2 and "cannot turn on network fetches" in done.stderr, done.stderr
    pinned = tmp_path / "ci.yaml"
    pinned.write_text("chart-cache: outside\nfetch-dependencies: false\n")
    shown = run("config", str(tmp_path / "repo"), "--config", str(pinned)).stdout
    assert f'chart-cache: "{outside}"' in shown


def test_a_link_in_a_repository_cache_is_not_followed_out_of_the_root(tmp_path: Path) -> None:
    repository(tmp_path / "repo", "https://charts.example.invalid")
    elsewhere = cache_archive(tmp_path / "elsewhere", "stub", "1.0.0", STUB)
    cache = tmp_path / "repo" / "vendor"
    cache.mkdir()
    (cache / elsewhere.name).symlink_to(elsewhere)
    result = lint_path(str(tmp_path / "repo"), renderer="sdk", chart_cache=str(cache))
    assert [f.rule for f in result.findings if f.rule.startswith("RND")] == ["RND002"]
