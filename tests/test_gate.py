"""The pull request cannot switch its own gate off (ISSUE 10, slice `gate`).

A one-line `.compliance.yaml` (fixtures/hostile/gate/) is named, with its file:line, in every output;
with `--diff-base` the base ref's config governs and the change is a GATE001 finding at the changed line;
a config pinned from outside the repository (`--config`, COMPLIANCE_CONFIG) ignores the repository's.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import FIXTURES, edit
from tests.helpers.gitrepo import commit_all, compliance, init_repo

WEAKENING = FIXTURES / "hostile" / "gate"
OVERLAY = "clusters/acme/bootstrap-kit/80-newapi.yaml"
BREAK_CONTRACT = ("contractRef: LEGAL-2026-014", 'contractRef: ""')  # COM002, an error
BREAK_ACCOUNT = ("accountId: acme-anthropic-001", 'accountId: ""')  # COM001, an error
# each hostile config: the setting it weakens, and the line of the config file it sits on
CASES = {
    "fail-on-never.yaml": ("fail-on", 1),
    "select-one-rule.yaml": ("select", 1),
    "exclude-everything.yaml": ("exclude", 1),
    "severity-lowered.yaml": ("severity.COM002", 1),
    "exceptions.yaml": ("exceptions", 3),
}


def _tree(path: Path) -> Path:
    """The clean fixture with two errors (COM001, COM002)."""
    shutil.copytree(FIXTURES / "clean", path)
    edit(path / OVERLAY, *BREAK_CONTRACT)
    edit(path / OVERLAY, *BREAK_ACCOUNT)
    return path


# --- every output names the weakening settings --------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_weakening_config_is_named_with_its_line_in_every_output(tmp_path: Path, name: str) -> None:
    repo = _tree(tmp_path / "repo")
    assert compliance("lint", ".", cwd=repo).returncode == 1  # two errors without the config
    shutil.copy(WEAKENING / name, repo / ".compliance.yaml")
    setting, line = CASES[name]
    where = f".compliance.yaml:{line}:"
    result = compliance(
        "lint",
        ".",
        "-f",
        "text",
        "-f",
        "json:r.json",
        "-f",
        "sarif:r.sarif",
        "-f",
        "github:gh.txt",
        "-f",
        "markdown:s.md",
        cwd=repo,
    )
    assert result.returncode in (0, 1), result.stderr

    assert "the gate is weakened by" in result.stdout
    assert any(setting in line_ and where in line_ for line_ in result.stdout.splitlines()), result.stdout

    gate = json.loads((repo / "r.json").read_text())["gate"]
    assert gate["weakened"] and gate["config"] == {
        "file": "./.compliance.yaml",
        "origin": "repository",
        "ignored": None,
    }
    assert any(
        w["setting"] == setting and (w["path"], w["line"]) == (".compliance.yaml", line) for w in gate["weakenings"]
    )

    properties = json.loads((repo / "r.sarif").read_text())["runs"][0]["properties"]["complianceGate"]
    assert properties == gate

    warnings = [x for x in (repo / "gh.txt").read_text().splitlines() if "title=compliance gate weakened" in x]
    assert any(x.startswith(f"::warning file=.compliance.yaml,line={line},") and setting in x for x in warnings)

    summary = (repo / "s.md").read_text()
    assert "the gate is weakened by" in summary and where in summary and setting in summary

    html = compliance("report", ".", cwd=repo).stdout
    assert "Gate settings" in html and "Weakened" in html and where in html


def test_the_defaults_weaken_nothing(tmp_path: Path) -> None:
    repo = _tree(tmp_path / "repo")
    data = json.loads(compliance("lint", ".", "-f", "json", cwd=repo).stdout)
    assert data["gate"] == {
        "config": {"file": None, "origin": "none", "ignored": None},
        "weakened": False,
        "weakenings": [],
    }
    assert "weakened" not in compliance("lint", ".", cwd=repo).stdout


def test_command_line_weakenings_say_so(tmp_path: Path) -> None:
    repo = _tree(tmp_path / "repo")
    result = compliance("lint", ".", "--fail-on", "never", "--ignore", "COM", "-f", "json", cwd=repo)
    assert result.returncode == 0
    weakenings = json.loads(result.stdout)["gate"]["weakenings"]
    assert [(w["setting"], w["source"], w["path"]) for w in weakenings] == [
        ("fail-on", "command line", None),
        ("ignore", "command line", None),
    ]


# --- --diff-base: the base ref's settings govern ------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository of the clean fixture (no findings, no config), committed on main."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", root)
    return init_repo(root)


def _gate_findings(data: dict) -> list[tuple[str, str, int]]:
    return [(f["severity"], f["path"], f["line"]) for f in data["findings"] if f["rule"] == "GATE001"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_with_a_diff_base_the_pull_requests_config_does_not_govern_its_gate(repo: Path, name: str) -> None:
    edit(repo / OVERLAY, *BREAK_ACCOUNT)  # the pull request adds an error ...
    shutil.copy(WEAKENING / name, repo / ".compliance.yaml")  # ... and the config that would hide it
    commit_all(repo, "pull request")
    result = compliance("lint", ".", "--diff-base", "main~1", "-f", "json", cwd=repo)
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert ("COM001", OVERLAY) in [(f["rule"], f["path"]) for f in data["findings"]]  # judged by the base's rules
    _, line = CASES[name]
    assert ("error", ".compliance.yaml", line) in _gate_findings(data)
    assert data["gate"]["config"] == {"file": None, "origin": "base main~1", "ignored": "./.compliance.yaml"}


def test_a_weakening_change_is_an_error_at_the_changed_line(repo: Path) -> None:
    (repo / ".compliance.yaml").write_text("# reviewed\nfail-on: warning\nignore: [VER003]\n")
    commit_all(repo, "base config")
    edit(repo / ".compliance.yaml", "ignore: [VER003]", "ignore: [VER003, DEP]")
    edit(repo / OVERLAY, "    - name: bp-cnpg\n", "")  # a new DEP001 warning: the base's fail-on fails it
    result = compliance("lint", ".", "--diff-base", "HEAD", "-f", "json", cwd=repo)
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert sorted(f["rule"] for f in data["findings"]) == ["DEP001", "GATE001"]  # DEP001 is judged by the base
    gate = [f for f in data["findings"] if f["rule"] == "GATE001"]
    assert [(f["severity"], f["line"]) for f in gate] == [("error", 3)]
    assert "DEP001" in gate[0]["message"] and "no longer run" in gate[0]["message"]
    text = compliance("lint", ".", "--diff-base", "HEAD", cwd=repo).stdout
    assert ".compliance.yaml\n  3:" in text and "GATE001" in text


def test_a_strengthening_change_is_info_and_the_base_still_governs(repo: Path) -> None:
    (repo / ".compliance.yaml").write_text("fail-on: warning\n")
    result = compliance("lint", ".", "--diff-base", "HEAD", "-f", "json", cwd=repo)
    assert result.returncode == 0, result.stdout  # info does not fail the base's default fail-on
    data = json.loads(result.stdout)
    assert _gate_findings(data) == [("info", ".compliance.yaml", 1)]
    assert "fail-on error -> warning" in data["findings"][0]["message"]


def test_removing_or_extending_an_exception_is_judged(repo: Path) -> None:
    base = "exceptions:\n  - rule: COM002\n    reason: contract in signature\n    until: 2026-07-31\n"
    (repo / ".compliance.yaml").write_text(base)
    commit_all(repo, "base config")
    edit(repo / ".compliance.yaml", "until: 2026-07-31", "until: 2099-12-31")
    data = json.loads(
        compliance("lint", ".", "--diff-base", "HEAD", "--today", "2026-01-01", "-f", "json", cwd=repo).stdout
    )
    assert _gate_findings(data) == [("error", ".compliance.yaml", 2)]
    assert "exception extended" in data["findings"][0]["message"]
    (repo / ".compliance.yaml").unlink()
    data = json.loads(
        compliance("lint", ".", "--diff-base", "HEAD", "--today", "2026-01-01", "-f", "json", cwd=repo).stdout
    )
    assert _gate_findings(data) == [("info", ".compliance.yaml", 1)]


def test_config_from_head_lets_the_pull_request_govern_but_says_so(repo: Path) -> None:
    edit(repo / OVERLAY, *BREAK_ACCOUNT)
    shutil.copy(WEAKENING / "fail-on-never.yaml", repo / ".compliance.yaml")
    result = compliance("lint", ".", "--diff-base", "HEAD", "--config-from", "head", "-f", "json", cwd=repo)
    assert result.returncode == 0  # the maintainer's explicit opt-in: the head's fail-on governs
    data = json.loads(result.stdout)
    assert _gate_findings(data) == [("error", ".compliance.yaml", 1)]  # the change is still shown
    assert [w["setting"] for w in data["gate"]["weakenings"]] == ["fail-on"]
    assert compliance("lint", ".", "--config-from", "head", cwd=repo).returncode == 2  # needs --diff-base


# --- a pinned config ignores the repository's ---------------------------------------------------------


@pytest.mark.parametrize("how", ["--config", "COMPLIANCE_CONFIG"])
def test_a_pinned_config_ignores_the_repositorys(tmp_path: Path, how: str) -> None:
    repo = _tree(tmp_path / "repo")
    shutil.copy(WEAKENING / "fail-on-never.yaml", repo / ".compliance.yaml")
    trusted = tmp_path / "trusted.yaml"
    trusted.write_text("fail-on: error\n")
    args, env = (["--config", str(trusted)], {}) if how == "--config" else ([], {"COMPLIANCE_CONFIG": str(trusted)})
    result = compliance("lint", ".", *args, "-f", "json", cwd=repo, env=env)
    assert result.returncode == 1, result.stderr  # the repository's fail-on: never does not count
    gate = json.loads(result.stdout)["gate"]
    assert gate["config"] == {"file": str(trusted), "origin": how, "ignored": "./.compliance.yaml"}
    assert gate["weakenings"] == []
    text = compliance("lint", ".", *args, cwd=repo, env=env).stdout
    assert f"from {how}; the repository's ./.compliance.yaml is ignored" in text
    github = compliance("lint", ".", *args, "-f", "github", cwd=repo, env=env).stdout
    assert "::notice title=compliance configuration::" in github and "ignored" in github


def test_a_pinned_config_governs_a_diff_base_too(repo: Path, tmp_path: Path) -> None:
    edit(repo / OVERLAY, *BREAK_ACCOUNT)
    shutil.copy(WEAKENING / "fail-on-never.yaml", repo / ".compliance.yaml")
    trusted = tmp_path / "trusted.yaml"
    trusted.write_text("fail-on: error\n")
    result = compliance(
        "lint", ".", "--diff-base", "HEAD", "-f", "json", cwd=repo, env={"COMPLIANCE_CONFIG": str(trusted)}
    )
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert [f["rule"] for f in data["findings"]] == ["COM001"]  # the repository's config is not even compared
    assert data["gate"]["config"]["origin"] == "COMPLIANCE_CONFIG"


def test_a_missing_pinned_config_is_a_usage_error(tmp_path: Path) -> None:
    repo = _tree(tmp_path / "repo")
    result = compliance("lint", ".", cwd=repo, env={"COMPLIANCE_CONFIG": str(tmp_path / "nowhere.yaml")})
    assert result.returncode == 2
    assert "COMPLIANCE_CONFIG=" in result.stderr and "no such file" in result.stderr


def test_compliance_config_lists_what_weakens_the_gate(tmp_path: Path) -> None:
    repo = _tree(tmp_path / "repo")
    shutil.copy(WEAKENING / "severity-lowered.yaml", repo / ".compliance.yaml")
    result = compliance("config", ".", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert '# weakens the gate: severity.COM002: "info" — COM002 findings lowered from error to info' in result.stdout
    assert "(from ./.compliance.yaml:1:" in result.stdout


def test_the_gate_report_cannot_forge_a_workflow_command(tmp_path: Path) -> None:
    """The config is hostile text too: an exception's glob with a line break stays inside its annotation."""
    repo = _tree(tmp_path / "repo")
    (repo / ".compliance.yaml").write_text(
        'exceptions:\n  - {rule: COM002, reason: r, cluster: "x\\n::error file=forged.yaml::pwned"}\n'
    )
    result = compliance("lint", ".", "-f", "github", "-f", "markdown", cwd=repo)
    lines = result.stdout.splitlines()
    assert any("title=compliance gate weakened" in line for line in lines)
    assert not any(line.startswith("::error file=forged.yaml") for line in lines)
