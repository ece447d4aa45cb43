"""The pre-commit hook: `compliance lint --files` evaluates what the changed files affect, and only that.

The last test drives the real `pre-commit try-repo` against this repository.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compliance import __version__
from compliance.app.api import lint_path
from compliance.model.findings import Finding
from tests.helpers import FIXTURES, ROOT, brief, edit
from tests.helpers.gitrepo import commit_all, compliance, git, git_env, init_repo

ACME = "clusters/acme/bootstrap-kit/80-newapi.yaml"
VALUES = "platform/newapi/chart/values.yaml"
DAG = "scripts/expected-bootstrap-deps.yaml"


def full(path: Path) -> list[Finding]:
    return list(lint_path(str(path)).findings)


def scoped(path: Path, *changed: str) -> list[Finding]:
    return list(lint_path(str(path), changed=changed).findings)


def test_a_changed_overlay_lints_its_cluster_only() -> None:
    path = FIXTURES / "bad-policy"
    changed = "clusters/beta/bootstrap-kit/80-newapi.yaml"
    findings = scoped(path, changed)
    # beta's findings, wherever the value was set (AUD002 at the chart default); `scope: no` in a
    # HelmRelease is the string "no" (kustomize types manifests with go-yaml v3): not in the enum, no
    # YAML-1.1 boolean; the other clusters' findings (acme, delta, gamma, _template) are out
    assert brief(findings) == [
        ("AUP001", "error", changed, 41, "beta"),
        ("BYK001", "error", changed, 46, "beta"),
        ("SCH001", "error", changed, 46, "beta"),
        ("AUD002", "warning", VALUES, 42, "beta"),
    ]
    assert set(findings) <= set(full(path))


FILE_LEVEL = ("YML001", "YML005")  # findings about how a file is read, not about a cluster


def test_a_changed_values_file_lints_every_cluster_of_its_blueprint() -> None:
    path = FIXTURES / "bad-geo"
    findings = scoped(path, VALUES)
    everything = full(path)
    clusters = {f.cluster for f in everything if f.rule not in FILE_LEVEL}
    assert len(clusters) > 5 and {f.cluster for f in findings if f.rule not in FILE_LEVEL} == clusters
    # file-level findings only for the changed file: the YML005 (a quoted placeholder) of
    # clusters/unknown-region is left out
    assert [f.location.path for f in findings if f.rule in FILE_LEVEL] == [VALUES]
    assert findings == [f for f in everything if f.rule not in FILE_LEVEL or f.location.path == VALUES]
    # any file of the chart's folder (a template, for the rendered rules) affects the chart the same way
    template = scoped(path, "platform/newapi/chart/templates/deployment.yaml")
    assert template == [f for f in findings if f.rule not in FILE_LEVEL]


def test_a_changed_blueprint_lints_that_blueprint_only() -> None:
    findings = scoped(FIXTURES / "bad-card", "platform/keycloak/blueprint.yaml")
    assert {(f.rule, f.blueprint) for f in findings} == {("NAM001", "keycloak"), ("CRD001", "keycloak")}
    chart = scoped(FIXTURES / "bad-versions", "platform/keycloak/chart/Chart.yaml")
    assert {(f.rule, f.location.path) for f in chart} == {
        ("VER002", "platform/keycloak/blueprint.yaml"),
        ("VER002", "platform/keycloak/chart/Chart.yaml"),
        ("FLX007", "clusters/acme/bootstrap-kit/09-keycloak.yaml"),  # the pin does not select the changed chart
    }


def test_the_expected_dag_affects_all_dag_checks_and_every_cluster() -> None:
    path = FIXTURES / "bad-dag"
    assert scoped(path, DAG) == full(path)


def test_a_template_overlay_runs_the_dag_checks_and_the_template_cluster() -> None:
    path = FIXTURES / "bad-dag"
    findings = scoped(path, "clusters/_template/bootstrap-kit/16-cnpg.yaml")
    dag_checks = [f for f in full(path) if f.rule.startswith("DAG")]
    assert [f for f in findings if f.rule.startswith("DAG")] == dag_checks  # the cycle at the DAG file too
    assert {f.cluster for f in findings if f.rule == "DEP001"} == {"_template"}  # not acme's DEP001
    acme = scoped(path, ACME)
    assert brief(acme) == [("DEP001", "warning", ACME, 11, "acme")]


def test_a_kustomization_outside_the_cluster_folder_affects_the_cluster_it_substitutes(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", repo)
    edit(repo / ACME, "contractRef: LEGAL-2026-014", "contractRef: ${CONTRACT_REF}")
    (repo / "flux").mkdir()
    (repo / "flux" / "acme.yaml").write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: acme}\n"
        'spec:\n  path: ./clusters/acme\n  postBuild:\n    substitute:\n      CONTRACT_REF: ""\n'
    )
    assert [(f.rule, f.cluster) for f in scoped(repo, "flux/acme.yaml")] == [("COM002", "acme")]
    assert scoped(repo, "clusters/_template/bootstrap-kit/08-openbao.yaml") == []


def test_a_substitute_from_configmap_affects_the_clusters_that_read_it(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", repo)
    edit(repo / ACME, "contractRef: LEGAL-2026-014", "contractRef: ${CONTRACT_REF}")
    (repo / "flux").mkdir()
    (repo / "flux" / "acme.yaml").write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: acme}\n"
        "spec:\n  path: ./clusters/acme\n  postBuild:\n    substituteFrom:\n      - {kind: ConfigMap, name: vars}\n"
    )
    (repo / "flux" / "vars.yaml").write_text(
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: vars}\ndata:\n  CONTRACT_REF: ""\n'
    )
    assert [(f.rule, f.cluster) for f in scoped(repo, "flux/vars.yaml")] == [("COM002", "acme")]


def test_file_level_findings_only_for_the_changed_files(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", repo)
    (repo / "docs.yaml").write_text("title: a\ntitle: b\n")  # a duplicate key, in a file nothing else reads
    (repo / "broken.yaml").write_text("a: [1, 2\n")
    assert [(f.rule, f.location.path) for f in scoped(repo, "docs.yaml")] == [("YML002", "docs.yaml")]
    assert [(f.rule, f.location.path) for f in scoped(repo, "broken.yaml")] == [("YML000", "broken.yaml")]
    assert scoped(repo, "platform/openbao/chart/values.yaml", "README.md") == []
    assert {f.rule for f in full(repo)} == {"YML000", "YML002"}


def test_cli_files_are_taken_relative_to_the_working_directory(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "bad-policy", repo)
    beta = "clusters/beta/bootstrap-kit/80-newapi.yaml"
    for name in (beta, f"./{beta}", str(repo / beta), f"clusters/../{beta}"):
        result = compliance("lint", "--files", name, "--format", "json", cwd=repo)
        assert result.returncode == 1, result.stderr
        assert '"cluster": "acme"' not in result.stdout and '"cluster": "beta"' in result.stdout
    outside = compliance("lint", "--files", str(FIXTURES / "bad-policy" / beta), cwd=repo / "platform")
    assert outside.returncode == 0 and "0 findings" in outside.stdout  # not under the linted root '.'
    assert compliance("lint", "--files", "clusters/gone/deleted.yaml", cwd=repo).returncode == 0


def _hook() -> dict[str, object]:
    import yaml

    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return dict(hook)


def test_the_hook_blocks_only_new_findings_by_default_and_the_docs_say_so() -> None:
    import re

    hook = _hook()
    args = hook["args"]
    assert args == ["--diff-base", "HEAD", "--"] and hook["entry"] == "compliance lint --files"
    shown = "[" + ", ".join(str(a) for a in args) + "]"
    for doc in ("README.md", "docs/ci.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        config = text[text.index("# .pre-commit-config.yaml") :]
        config = config[: config.index("```")]
        # the `rev:` is the release tag of this version, and the default args are the manifest's
        assert re.search(r"^\s+rev: v(\S+)$", config, re.MULTILINE)[1] == __version__, doc  # type: ignore[index]
        assert f"# default args: {shown}" in config, doc
    manifest = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")  # its usage comment too
    assert re.search(r"^#\s+rev: v(\S+)$", manifest, re.MULTILINE)[1] == __version__  # type: ignore[index]


def test_hook_args_block_a_new_finding_not_an_old_one_nor_the_first_commit(tmp_path: Path) -> None:
    """The manifest's own entry and args, run as pre-commit runs them (`entry + args + staged files`)."""
    hook = _hook()
    command = [*str(hook["entry"]).split()[1:], *map(str, hook["args"])]  # `compliance` is the program
    repo = shutil.copytree(FIXTURES / "clean", tmp_path / "repo")
    git(repo, "init", "-q")
    edit(repo / ACME, "contractRef: LEGAL-2026-014", 'contractRef: ""')
    git(repo, "add", "-A")
    first = compliance(*command, ACME, cwd=repo)
    assert first.returncode == 1 and "1 new, 0 unchanged" in first.stdout, first.stdout + first.stderr  # all new
    commit_all(repo, "a finding already committed")
    edit(repo / ACME, "host: api.acme.example", "host: gateway.acme.example")
    old = compliance(*command, ACME, cwd=repo)
    assert old.returncode == 0 and "0 new, 1 unchanged" in old.stdout, old.stdout + old.stderr
    assert compliance("lint", "--files", "--", ACME, cwd=repo).returncode == 1  # `args: [--]`: old ones block
    edit(repo / ACME, "accountId: acme-anthropic-001", 'accountId: ""')
    new = compliance(*command, ACME, cwd=repo)
    assert new.returncode == 1 and "COM001" in new.stdout and "COM002" not in new.stdout, new.stdout


# ── the real pre-commit tool ────────────────────────────────────────────────────────────────


def _hook_repository(tmp: Path) -> Path:
    """This repository as pre-commit would clone it: itself when clean (CI), else a commit of its working tree.

    `pre-commit try-repo` picks up uncommitted changes to tracked files, not new files; a snapshot of
    the working tree (tracked and untracked, minus ignored files) tests what is on disk.
    """
    if not git(ROOT, "status", "--porcelain", isolated=False):
        return ROOT
    listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard", isolated=False)
    snapshot = tmp / "hook-repo"
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # deleted but not yet committed files are listed too
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    return init_repo(snapshot)


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(hook_repo: Path, target: Path, home: Path) -> subprocess.Popen[str]:
    """`pre-commit try-repo HOOK_REPO compliance` on the staged files of `target`, as a commit would run it."""
    env = {**git_env(isolated=False), "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.Popen(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "compliance", "--verbose"],
        cwd=target,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_pre_commit_try_repo_fails_a_bad_commit_and_passes_a_good_one(tmp_path: Path, pre_commit_home: Path) -> None:
    hook_repo = _hook_repository(tmp_path)
    base = tmp_path / "base"
    shutil.copytree(FIXTURES / "clean", base)
    # findings the commits do not touch: another cluster's error and another blueprint's card
    shutil.copytree(base / "clusters/acme", base / "clusters/beta")
    edit(base / "clusters/beta/bootstrap-kit/80-newapi.yaml", "contractRef: LEGAL-2026-014", 'contractRef: ""')
    edit(base / "platform/cnpg/blueprint.yaml", "    title: cnpg\n", "")
    init_repo(base)
    bad, good = shutil.copytree(base, tmp_path / "bad"), shutil.copytree(base, tmp_path / "good")
    edit(bad / ACME, "accountId: acme-anthropic-001", 'accountId: ""')
    edit(good / ACME, "host: api.acme.example", "host: gateway.acme.example")
    for target in (bad, good):
        git(target, "add", ACME)

    # each try-repo installs the hook's environment afresh (mostly waiting on pip): run both at once
    runs = {target.name: try_repo(hook_repo, target, pre_commit_home / target.name) for target in (bad, good)}
    outputs = {name: run.communicate(timeout=600)[0] for name, run in runs.items()}

    output = outputs["bad"]
    assert runs["bad"].returncode == 1, output
    assert "compliance" in output and "Failed" in output and "exit code: 1" in output
    assert "COM001" in output and ACME in output
    assert "[beta]" not in output and "CRD001" not in output  # out of the commit's scope
    assert runs["good"].returncode == 0, outputs["good"]
    assert "Passed" in outputs["good"]


def test_pre_commit_try_repo_never_reads_a_committed_file_name_as_an_option(
    tmp_path: Path, pre_commit_home: Path
) -> None:
    """A commit adding `--rules=plugins.yaml` (matched by the hook's `files:`) and `plugins.yaml/evil.py`:
    pre-commit appends the name to the hook's command line; the hook's `args: [--]` makes it a file name."""
    hook_repo = _hook_repository(tmp_path)
    target = init_repo(shutil.copytree(FIXTURES / "clean", tmp_path / "hostile"))
    marker = tmp_path / "code-ran"
    (target / "--rules=plugins.yaml").write_text("a: 1\n")
    (target / "plugins.yaml").mkdir()
    (target / "plugins.yaml" / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    git(target, "add", "-A")
    run = try_repo(hook_repo, target, pre_commit_home / "hostile")
    output = run.communicate(timeout=600)[0]
    assert not marker.exists(), output
    assert run.returncode == 0 and "Passed" in output, output  # linted as the (clean) file it is
