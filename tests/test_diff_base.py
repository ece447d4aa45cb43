"""`compliance lint --diff-base REF`: only new findings fail; fixed ones are reported; the user's repo is untouched."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from compliance.governance.comparison import compare
from compliance.model.findings import Finding, Location, Severity
from tests.helpers import FIXTURES, edit
from tests.helpers.gitrepo import commit_all, compliance, git, init_repo

OVERLAY = "clusters/acme/bootstrap-kit/80-newapi.yaml"


def report(result: subprocess.CompletedProcess[str]) -> dict:
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose `deploy/` folder is the clean fixture with one COM002 error, committed on main."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", root / "deploy")
    edit(root / "deploy" / OVERLAY, "contractRef: LEGAL-2026-014", 'contractRef: ""')
    (root / "README.md").write_text("not linted\n")
    return init_repo(root)


def test_moved_lines_keep_old_findings_old(repo: Path) -> None:
    overlay = repo / "deploy" / OVERLAY
    overlay.write_text("# a comment\n# and another one\n" + overlay.read_text())  # every line moves down
    result = compliance("lint", "deploy", "--diff-base", "main", "--format", "json", cwd=repo)
    data = report(result)
    assert result.returncode == 0
    assert data["findings"] == [] and data["fixed"] == []
    assert data["diff_base"]["unchanged"] == 1 and data["diff_base"]["new"] == 0
    assert data["diff_base"]["commit"] == git(repo, "rev-parse", "main")
    # without the base, the same tree fails on that finding
    assert compliance("lint", "deploy", cwd=repo).returncode == 1


def test_new_findings_fail_and_fixed_ones_are_reported(repo: Path) -> None:
    overlay = repo / "deploy" / OVERLAY
    edit(overlay, 'contractRef: ""', "contractRef: LEGAL-2026-014")  # fixes COM002
    edit(overlay, "accountId: acme-anthropic-001", 'accountId: ""')  # introduces COM001
    result = compliance("lint", "deploy", "--diff-base", "main", "--format", "json", cwd=repo)
    data = report(result)
    assert result.returncode == 1
    assert [(f["rule"], f["path"], f["cluster"]) for f in data["findings"]] == [("COM001", OVERLAY, "acme")]
    assert [(f["rule"], f["path"], f["line"]) for f in data["fixed"]] == [("COM002", OVERLAY, 39)]
    assert data["summary"] == {"error": 1, "warning": 0, "info": 0}  # the summary counts new findings only

    text = compliance("lint", "deploy", "--diff-base", "main", cwd=repo)
    assert text.returncode == 1
    assert "COM001" in text.stdout and "compared with main" in text.stdout
    assert "1 new, 0 unchanged (not shown), 1 fixed" in text.stdout
    assert f"fixed COM002 deploy/{OVERLAY}:39:" in text.stdout  # relative to the working directory


def test_exit_code_counts_only_new_findings_at_or_above_fail_on(repo: Path) -> None:
    edit(repo / "deploy" / OVERLAY, "    - name: bp-cnpg\n", "")  # a new DEP001 warning; COM002 stays
    assert compliance("lint", "deploy", cwd=repo).returncode == 1  # the old error alone fails a plain run
    result = compliance("lint", "deploy", "--diff-base", "main", "--format", "json", cwd=repo)
    assert result.returncode == 0  # the only new finding is a warning
    assert [f["rule"] for f in report(result)["findings"]] == ["DEP001"]
    assert compliance("lint", "deploy", "--diff-base", "main", "--fail-on", "warning", cwd=repo).returncode == 1


def test_subfolder_is_mapped_from_any_working_directory(repo: Path) -> None:
    edit(repo / "deploy" / OVERLAY, "accountId: acme-anthropic-001", 'accountId: ""')
    for cwd, path in ((repo, "deploy"), (repo / "deploy", "."), (repo / "deploy" / "clusters", "..")):
        data = report(compliance("lint", path, "--diff-base", "HEAD", "--format", "json", cwd=cwd))
        assert [f["rule"] for f in data["findings"]] == ["COM001"], cwd
        assert data["diff_base"]["unchanged"] == 1


def test_a_folder_new_since_the_base_has_only_new_findings(repo: Path) -> None:
    shutil.copytree(repo / "deploy", repo / "staging")
    data = report(compliance("lint", "staging", "--diff-base", "main", "--format", "json", cwd=repo))
    assert [f["rule"] for f in data["findings"]] == ["COM002"]
    assert data["diff_base"]["unchanged"] == 0


def test_committed_changes_compare_against_an_older_commit(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    edit(repo / "deploy" / OVERLAY, 'contractRef: ""', "contractRef: LEGAL-2026-014")
    commit_all(repo, "fix COM002")
    data = report(compliance("lint", "deploy", "--diff-base", base, "--format", "json", cwd=repo))
    assert data["findings"] == [] and [f["rule"] for f in data["fixed"]] == ["COM002"]


def _state(repo: Path) -> tuple[str, ...]:
    index = (repo / ".git" / "index").read_bytes()
    return (
        git(repo, "status", "--porcelain", "--untracked-files=all"),
        git(repo, "rev-parse", "HEAD"),
        git(repo, "stash", "list"),
        git(repo, "worktree", "list", "--porcelain"),
        hashlib.sha256(index).hexdigest(),
    )


def test_the_users_working_tree_index_and_head_are_untouched(repo: Path, tmp_path: Path) -> None:
    edit(repo / "deploy" / OVERLAY, "accountId: acme-anthropic-001", 'accountId: ""')  # unstaged
    (repo / "deploy" / "notes.yaml").write_text("a: 1\n")  # untracked
    git(repo, "add", "README.md")
    before = _state(repo)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    assert compliance("lint", "deploy", "--diff-base", "main", cwd=repo, tmpdir=scratch).returncode == 1
    assert _state(repo) == before
    assert list(scratch.iterdir()) == []  # the base tree was removed


def test_missing_ref_and_no_repository_are_usage_errors(repo: Path, tmp_path: Path) -> None:
    missing = compliance("lint", "deploy", "--diff-base", "no-such-branch", cwd=repo)
    assert missing.returncode == 2
    assert "unknown git ref 'no-such-branch'" in missing.stderr and "git fetch" in missing.stderr
    assert "Traceback" not in missing.stderr
    option_like = compliance("lint", "deploy", "--diff-base=--output=x", cwd=repo)
    assert option_like.returncode == 2 and "invalid git ref" in option_like.stderr
    outside = tmp_path / "plain"
    shutil.copytree(FIXTURES / "clean", outside)
    not_git = compliance("lint", str(outside), "--diff-base", "main", cwd=tmp_path)
    assert not_git.returncode == 2 and "not inside a git work tree" in not_git.stderr


def test_shallow_clone_works_once_the_base_is_fetched(repo: Path, tmp_path: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    edit(repo / "deploy" / OVERLAY, "accountId: acme-anthropic-001", 'accountId: ""')
    commit_all(repo, "feature: COM001")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{repo}", str(clone))
    assert git(clone, "rev-list", "--count", "HEAD") == "1"  # really shallow: main's commit is absent

    before = compliance("lint", "deploy", "--diff-base", "origin/main", cwd=clone)
    assert before.returncode == 2 and "unknown git ref 'origin/main'" in before.stderr

    git(clone, "fetch", "-q", "--depth", "1", "origin", "main")
    data = report(compliance("lint", "deploy", "--diff-base", "FETCH_HEAD", "--format", "json", cwd=clone))
    assert [f["rule"] for f in data["findings"]] == ["COM001"]
    assert data["diff_base"]["commit"] == git(repo, "rev-parse", "main")
    assert data["diff_base"]["unchanged"] == 1


def _finding(rule: str, line: int, value_path: str = "a.b") -> Finding:
    return Finding(rule, Severity.ERROR, f"{rule} here", Location("f.yaml", line), "bp", "c1", value_path)


def test_repeated_fingerprints_match_as_a_multiset() -> None:
    base = [_finding("X001", 3), _finding("X001", 9), _finding("Y001", 5)]
    current = [_finding("X001", 4), _finding("X001", 10), _finding("X001", 20), _finding("Z001", 1)]
    result = compare(current, base)
    assert [(f.rule, f.location.line) for f in result.matched] == [("X001", 4), ("X001", 10)]
    assert [(f.rule, f.location.line) for f in result.new] == [("Z001", 1), ("X001", 20)]
    assert [(f.rule, f.location.line) for f in result.fixed] == [("Y001", 5)]
    fewer = compare(current[:1], base)
    assert [(f.rule, f.location.line) for f in fewer.fixed] == [("Y001", 5), ("X001", 9)]  # report order


def test_pre_commit_style_files_with_diff_base_head_block_only_what_the_commit_adds(repo: Path) -> None:
    deploy = repo / "deploy"
    edit(deploy / OVERLAY, "accountId: acme-anthropic-001", 'accountId: ""')
    plain = report(compliance("lint", "--files", OVERLAY, "--format", "json", cwd=deploy))
    assert sorted(f["rule"] for f in plain["findings"]) == ["COM001", "COM002"]
    result = compliance("lint", "--files", OVERLAY, "--diff-base", "HEAD", "--format", "json", cwd=deploy)
    data = report(result)
    assert result.returncode == 1
    assert [f["rule"] for f in data["findings"]] == ["COM001"] and data["diff_base"]["unchanged"] == 1
    # a change elsewhere leaves acme out of scope at the base too: nothing new, nothing fixed
    other = report(
        compliance("lint", "--files", "platform/cnpg/blueprint.yaml", "--diff-base", "HEAD", "-f", "json", cwd=deploy)
    )
    assert other["findings"] == [] and other["fixed"] == [] and other["diff_base"]["unchanged"] == 0
