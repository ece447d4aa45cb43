"""Baseline and diff-base compare with one `Comparison` class (issue 11): one matching, one `summary()`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compliance.governance import baseline, comparison
from tests.helpers import FIXTURES, edit, run
from tests.helpers.gitrepo import git_env, init_repo

OVERLAY = "clusters/acme/bootstrap-kit/80-newapi.yaml"


def _summaries(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """Every summary the one class makes during a run."""
    made: list[dict[str, object]] = []
    original = comparison.Comparison.summary

    def spy(self: comparison.Comparison) -> dict[str, object]:
        summary = original(self)
        made.append(dict(summary))  # a copy: the caller adds its own keys to the one it gets
        return summary

    monkeypatch.setattr(comparison.Comparison, "summary", spy)
    return made


def test_baseline_and_diff_base_summaries_come_from_one_class(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", root / "deploy")
    edit(root / "deploy" / OVERLAY, "contractRef: LEGAL-2026-014", 'contractRef: ""')
    init_repo(root)
    for name, value in git_env().items():
        if name.startswith("GIT_"):
            monkeypatch.setenv(name, value)
    made = _summaries(monkeypatch)

    deploy = str(root / "deploy")
    assert run("baseline", "create", deploy).returncode == 0
    known = json.loads(run("lint", deploy, "--baseline", f"{deploy}/.compliance-baseline.json", "-f", "json").stdout)
    diff = json.loads(run("lint", deploy, "--diff-base", "main", "-f", "json").stdout)

    assert known["baseline"] == {"new": 0, "known": 1, "fixed": 0}
    assert list(diff["diff_base"]) == ["ref", "commit", "new", "unchanged", "fixed"]
    assert (diff["diff_base"]["ref"], diff["diff_base"]["unchanged"]) == ("main", 1)
    assert made == [{"baseline": known["baseline"]}, {"diff_base": diff["diff_base"]}]


def test_merged_roots_keep_every_fixed_finding_as_the_baseline_had_it(tmp_path: Path) -> None:
    """A baseline's entries have no line, so n identical ones are n entries: gone, they are n fixed findings,
    in one root's comparison and in the merge of several roots (a multiset, not a set)."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "bad-geo", root)
    assert run("baseline", "create", str(root)).returncode == 0
    known = baseline.load(str(root / ".compliance-baseline.json"))
    twice = (*known, known[0])  # the same finding recorded twice (two identical fingerprints)
    alone = comparison.compare([], twice)
    merged = comparison.merge([alone, comparison.compare([], known[:1])])
    assert len(alone.fixed) == len(twice)
    assert len(merged.fixed) == len(twice) + 1
    assert [f.fingerprint for f in merged.fixed].count(known[0].fingerprint) >= 3
