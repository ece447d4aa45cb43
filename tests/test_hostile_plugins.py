"""The repository under review never runs code in the gate: not through a file named like an option
(pre-commit appends file names without `--`), not through `python -m compliance` run inside it (the
working directory first on sys.path), not through a `*.dist-info` it ships, not through `--rules` inside it.

Every hostile tree is built at test time in a copy of fixtures/clean; its Python writes a marker file
when imported, so "the code never ran" is the marker's absence. `tests/test_precommit.py` drives the
real pre-commit tool with the same trick.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from compliance.app.api import lint_path
from compliance.engine.registry import PluginError
from compliance.engine.trust import option_files, untrusted_location
from tests.helpers import FIXTURES
from tests.helpers.gitrepo import compliance, git, git_env

OVERLAY = "clusters/acme/bootstrap-kit/80-newapi.yaml"


def evil(marker: Path) -> str:
    """Python that leaves `marker` behind when it is imported."""
    return f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", target)
    return target


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "code-ran"


# ── a file name is never an option ───────────────────────────────────────────────────────────


def plant_option_files(repo: Path, marker: Path) -> None:
    """`--rules=plugins.yaml` next to a folder `plugins.yaml/` of Python: the attack on `lint --files`."""
    (repo / "--rules=plugins.yaml").write_text("a: 1\n")
    (repo / "plugins.yaml").mkdir()
    (repo / "plugins.yaml" / "evil.py").write_text(evil(marker))
    (repo / "--ignore=COM,AUD.yaml").write_text("a: 1\n")  # would turn the verdict, not run code


@pytest.mark.parametrize(
    "hook_args",
    [(), ("--diff-base", "HEAD"), ("--format", "json")],
    ids=["no-args", "args-without-dashdash", "format"],
)
def test_a_changed_file_named_like_an_option_is_refused_and_never_run(
    repo: Path, marker: Path, hook_args: tuple[str, ...]
) -> None:
    plant_option_files(repo, marker)
    # pre-commit's command line when a user's `args:` replaced the hook's default `[--]`
    result = compliance("lint", "--files", *hook_args, "--rules=plugins.yaml", OVERLAY, cwd=repo)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "'--rules=plugins.yaml' is both a file and an option; put `--` before file names" in result.stderr
    assert "Traceback" not in result.stderr
    assert not marker.exists()


def test_an_option_looking_file_that_would_turn_the_verdict_is_refused(repo: Path) -> None:
    plant_option_files(repo, repo / "unused")
    (repo / OVERLAY).write_text((repo / OVERLAY).read_text().replace("contractRef: LEGAL-2026-014", 'contractRef: ""'))
    assert compliance("lint", "--files", OVERLAY, cwd=repo).returncode == 1  # the finding the commit makes
    turned = compliance("lint", "--files", "--ignore=COM,AUD.yaml", OVERLAY, cwd=repo)
    assert turned.returncode == 2 and "'--ignore=COM,AUD.yaml' is both a file and an option" in turned.stderr


def test_after_dashdash_an_option_looking_name_is_a_file(repo: Path, marker: Path) -> None:
    plant_option_files(repo, marker)
    (repo / OVERLAY).write_text((repo / OVERLAY).read_text().replace("contractRef: LEGAL-2026-014", 'contractRef: ""'))
    result = compliance(
        "lint", "--files", "--format", "json", "--", "--rules=plugins.yaml", "--ignore=COM,AUD.yaml", OVERLAY, cwd=repo
    )
    assert result.returncode == 1, result.stderr  # linted, and the COM finding not ignored
    assert [f["rule"][:3] for f in json.loads(result.stdout)["findings"]] == ["COM"]
    assert not marker.exists()


def test_an_option_looking_name_inside_a_root_given_on_the_command_line(repo: Path, tmp_path: Path) -> None:
    (repo / "--select=NONE").write_text("")
    result = compliance("lint", str(repo), "--select=NONE", cwd=tmp_path)
    assert result.returncode == 2 and "'--select=NONE' is both a file and an option" in result.stderr


def test_option_files_only_flags_existing_paths_before_dashdash(tmp_path: Path) -> None:
    (tmp_path / "--rules=x.yaml").write_text("")
    (tmp_path / "-").write_text("")  # `-` alone is standard input, never an option
    args = ["lint", "--files", "--rules=x.yaml", "--format=json", "-", "--", "--rules=x.yaml"]
    assert option_files(args, cwd=str(tmp_path)) == ["--rules=x.yaml"]
    assert option_files(["lint", "--files", "--", "--rules=x.yaml"], cwd=str(tmp_path)) == []


def test_the_hook_ends_the_options_before_the_file_names() -> None:
    import yaml

    hooks = yaml.safe_load((FIXTURES.parent / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "compliance")
    assert hook["entry"].split() == ["compliance", "lint", "--files"] and hook["args"][-1] == "--"


# ── no code from the working directory or a distribution the repository ships ─────────────────


def plant_distribution(folder: Path, marker: Path) -> None:
    """An installed-looking distribution declaring a `compliance.rules` entry point."""
    (folder / "evil_rules-1.0.dist-info").mkdir(parents=True)
    (folder / "evil_rules-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: evil-rules\n")
    (folder / "evil_rules-1.0.dist-info" / "entry_points.txt").write_text("[compliance.rules]\nevil = evil_rules\n")
    (folder / "evil_rules.py").write_text(evil(marker))


def test_python_m_inside_the_repository_imports_nothing_from_it(repo: Path, marker: Path) -> None:
    plant_distribution(repo, marker)
    (repo / "yaml.py").write_text(evil(marker))  # would shadow PyYAML
    (repo / "typer.py").write_text(evil(marker))
    for env in ({}, {"PYTHONPATH": "."}, {"PYTHONPATH": str(repo)}):
        result = compliance("lint", ".", cwd=repo, env=env)
        assert result.returncode == 0, (env, result.stderr)
        assert "0 findings" in result.stdout
    script = Path(sys.executable).with_name("compliance")  # the console script pre-commit runs
    if script.exists():
        done = subprocess.run(
            [str(script), "lint", "."], cwd=repo, env={**git_env(), "PYTHONPATH": "."}, capture_output=True, timeout=120
        )
        assert done.returncode == 0
    assert not marker.exists()


def test_a_distribution_inside_the_linted_root_is_not_a_provider_even_on_pythonpath(
    repo: Path, marker: Path, tmp_path: Path
) -> None:
    plant_distribution(repo, marker)
    result = compliance("lint", str(repo), cwd=tmp_path, env={"PYTHONPATH": str(repo)})
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    # the same distribution outside the linted root is the user's environment: it loads
    site = tmp_path / "site"
    plant_distribution(site, marker)
    assert compliance("lint", str(repo), cwd=tmp_path, env={"PYTHONPATH": str(site)}).returncode == 0
    assert marker.exists()


# ── --rules inside the linted root ─────────────────────────────────────────────────────────────


def test_rules_inside_the_linted_root_are_refused(repo: Path, marker: Path, tmp_path: Path) -> None:
    (repo / "ci-rules").mkdir()
    (repo / "ci-rules" / "org.py").write_text(evil(marker))
    for args, cwd in [
        (("lint", ".", "--rules", "ci-rules"), repo),
        (("lint", "--files", "--rules", "ci-rules", "--", OVERLAY), repo),
        (("lint", str(repo), "--rules", str(repo / "ci-rules" / "org.py")), tmp_path),
        (("report", str(repo), "--rules", str(repo / "ci-rules")), tmp_path),
        (("config", str(repo), "--rules", str(repo / "ci-rules")), tmp_path),
        (("baseline", "create", str(repo), "--rules", str(repo / "ci-rules")), tmp_path),
    ]:
        result = compliance(*args, cwd=cwd)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "resolves inside the linted repository" in result.stderr
        assert "--trust-repository-rules" in result.stderr and "Traceback" not in result.stderr
    assert not marker.exists()
    assert not (repo / ".compliance-baseline.json").exists()
    with pytest.raises(PluginError, match="resolves inside the linted repository"):
        lint_path(str(repo), rule_paths=[str(repo / "ci-rules")])
    assert not marker.exists()


def test_rules_elsewhere_in_the_checkout_holding_the_linted_root_are_refused(tmp_path: Path, marker: Path) -> None:
    checkout = tmp_path / "checkout"
    shutil.copytree(FIXTURES / "clean", checkout / "deploy")
    (checkout / "ci" / "rules").mkdir(parents=True)
    (checkout / "ci" / "rules" / "org.py").write_text(evil(marker))
    git(checkout, "init", "-q")
    result = compliance("lint", "deploy", "--rules", "ci/rules", cwd=checkout)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"resolves inside the linted repository {checkout}," in result.stderr
    assert not marker.exists()


def test_a_rules_path_linked_into_the_root_is_refused(repo: Path, marker: Path, tmp_path: Path) -> None:
    (repo / "evil.py").write_text(evil(marker))
    trusted = tmp_path / "trusted-rules"
    trusted.mkdir()
    os.symlink(repo / "evil.py", trusted / "org.py")
    for path in (trusted, trusted / "org.py"):
        result = compliance("lint", str(repo), "--rules", str(path), cwd=tmp_path)
        assert result.returncode == 2 and "resolves inside the linted repository" in result.stderr
    assert not marker.exists()


def test_trusting_the_repository_rules_is_an_explicit_choice(repo: Path, marker: Path) -> None:
    (repo / "ci-rules").mkdir()
    (repo / "ci-rules" / "org.py").write_text(evil(marker))
    result = compliance("lint", ".", "--rules", "ci-rules", "--trust-repository-rules", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert marker.exists()


def test_rules_outside_the_root_still_load(repo: Path, tmp_path: Path) -> None:
    overlay = repo / "clusters/_template/bootstrap-kit/80-newapi.yaml"
    overlay.write_text(overlay.read_text().replace("  values:\n", "  values:\n    replicas: 3\n"))
    result = compliance("lint", ".", "--rules", str(FIXTURES / "plugins"), "--select", "ORG", cwd=repo)
    assert result.returncode == 0 and "ORG001" in result.stdout, result.stderr


def test_an_installed_plugin_module_shadowed_by_the_repository_is_refused(
    repo: Path, marker: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    plant_distribution(site, tmp_path / "the-installed-plugin-ran")
    (repo / "evil_rules.py").write_text(evil(marker))  # first on PYTHONPATH: it would be imported instead
    result = compliance("lint", str(repo), cwd=tmp_path, env={"PYTHONPATH": f"{repo}{os.pathsep}{site}"})
    assert result.returncode == 2, result.stdout + result.stderr
    assert (
        "module evil_rules would be imported from" in result.stderr and "inside the linted repository" in result.stderr
    )
    assert not marker.exists()


def test_the_running_environment_is_trusted_wherever_it_lives(tmp_path: Path) -> None:
    purelib = sysconfig.get_paths()["purelib"]
    assert not untrusted_location(purelib, [sys.prefix])  # a virtualenv inside the linted root runs us anyway
    assert untrusted_location(str(tmp_path), [str(tmp_path)])
    assert not untrusted_location(str(tmp_path), [str(tmp_path / "elsewhere")])


def test_rules_inside_the_working_directory_are_refused_for_a_manifest_stream(repo: Path, marker: Path) -> None:
    (repo / "ci-rules").mkdir()
    (repo / "ci-rules" / "org.py").write_text(evil(marker))
    (repo / "rendered.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    result = compliance("lint", "--manifests", "rendered.yaml", "--rules", "ci-rules", cwd=repo)
    assert result.returncode == 2 and "resolves inside the linted repository" in result.stderr
    assert not marker.exists()


def test_trusting_the_repository_also_trusts_the_distributions_inside_it(
    repo: Path, marker: Path, tmp_path: Path
) -> None:
    plant_distribution(repo, marker)
    env = {"PYTHONPATH": str(repo)}
    assert compliance("lint", str(repo), "--trust-repository-rules", cwd=tmp_path, env=env).returncode == 0
    assert marker.exists()
