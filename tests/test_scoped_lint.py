"""Linting a file or a subfolder evaluates its whole repository (found by walking up) and reports the
findings located there: exactly the full run's findings filtered to the path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compliance.app.scope import find_root
from tests.helpers import FIXTURES, ROOT, run

MARKETPLACE = ROOT / "examples" / "marketplace"


def _findings(root: Path, *args: str, cwd: Path = ROOT) -> list[dict[str, object]]:
    result = run("lint", *args, "--renderer", "none", "--format", "json", "--fail-on", "never", cwd=cwd)
    assert result.returncode == 0, result.stderr
    findings: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    return findings


def _under(findings: list[dict[str, object]], scope: str) -> list[dict[str, object]]:
    return [f for f in findings if f["path"] == scope or str(f["path"]).startswith(scope + "/")]


@pytest.mark.parametrize(
    "scope",
    [
        "clusters/acme",
        "clusters/acme/bootstrap-kit/80-newapi.yaml",
        "clusters/_template",
        "platform",
    ],
)
def test_marketplace_scoped_findings_are_the_full_runs_filtered(scope: str) -> None:
    full = _findings(MARKETPLACE, str(MARKETPLACE))
    assert _findings(MARKETPLACE, str(MARKETPLACE / scope)) == _under(full, scope)
    assert _findings(MARKETPLACE, scope, cwd=MARKETPLACE) == _under(full, scope)  # as an editor runs it


def test_the_cluster_context_is_kept_for_a_cluster_folder() -> None:
    full = _findings(MARKETPLACE, str(MARKETPLACE))
    scoped = _findings(MARKETPLACE, str(MARKETPLACE / "clusters/acme"))
    assert scoped and all(f["cluster"] in ("acme", None) for f in scoped)
    assert len(scoped) == len(_under(full, "clusters/acme"))


@pytest.mark.parametrize("scope", ["clusters/acme", "clusters/acme/bootstrap-kit", "platform"])
def test_suppressions_are_judged_as_in_the_full_run(scope: str) -> None:
    """SUP003 (an exception that matched nothing) is judged on the whole repository: a scoped run never
    advises removing a suppression it could not evaluate."""
    repo = FIXTURES / "suppressions"
    full = _findings(repo, str(repo), "--today", "2026-05-01")
    assert _findings(repo, str(repo / scope), "--today", "2026-05-01") == _under(full, scope)


def test_corpus_scoped_findings_are_the_full_runs_filtered(corpus: Path) -> None:
    repo = corpus / "snapshot-2026-04-30"
    full = _findings(repo, str(repo))
    yml001 = [f for f in full if f["rule"] == "YML001"]
    assert yml001
    for scope in ("clusters", str(yml001[0]["path"]), "platform/vpa", "scripts"):
        assert _findings(repo, str(repo / scope)) == _under(full, scope), scope
    scoped = _findings(repo, str(repo / str(yml001[0]["path"])))
    assert [f["severity"] for f in scoped if f["rule"] == "YML001"] == [f["severity"] for f in yml001]


def test_the_root_is_found_walking_up_and_never_above_the_git_top(tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    shutil.copytree(MARKETPLACE, outer)
    overlay = outer / "clusters/acme/bootstrap-kit/80-newapi.yaml"
    assert find_root(str(overlay)) == (str(outer), "clusters/acme/bootstrap-kit/80-newapi.yaml")
    assert find_root(str(outer)) == (str(outer), None)  # the root itself
    (outer / "clusters" / ".compliance.yaml").write_text("fail-on: error\n", encoding="utf-8")
    assert find_root(str(overlay))[0] == str(outer / "clusters")  # the nearest config wins
    inner = outer / "platform" / "work"
    (inner / "sub").mkdir(parents=True)
    (inner / ".git").mkdir()  # a work tree inside: the walk stops at its top
    assert find_root(str(inner / "sub")) == (str(inner / "sub"), None)
