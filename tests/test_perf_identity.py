"""Issue 15: the speed-ups change no finding. Each run's JSON report is compared with the same command run
with the optimisations switched off (their internal switches), on the fixtures, the bundled examples, the
corpus and a scaled tree (one cluster holding several copies of a bootstrap kit), never with a frozen file.

Switched here: the per-cluster index of DEP001 (`compliance_rules.dependencies.INDEX_CACHE`; at 0 each
release indexes its cluster afresh, as before the cache) and positions packed in ints
(`compliance.yaml.document.PACK_POSITIONS`; off, libyaml's mark objects are kept). The others are
checked against what they replace: a file read to its size against the file, the process ended without
interpreter teardown against the same command in-process, the app built for the invoked command alone
against the whole app."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

import compliance.yaml.document as document
import compliance_rules.dependencies as dependencies
from compliance.load.files import read_regular
from tests.helpers import FIXTURES, ROOT, lint_json_switched, run, run_process

EXAMPLES = ROOT / "examples"
# fixtures that are a repository to lint (the others hold configs, plugins, hostile generators, streams)
TREES = sorted(p.name for p in FIXTURES.iterdir() if (p / "clusters").is_dir() or (p / "platform").is_dir())


def _both(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """(optimised, reference) reports of `path`: the reference without DEP001's index cache (an empty one, not
    filled at 0) nor packed positions."""
    switches = ((dependencies, "INDEX_CACHE", 0), (dependencies, "_indexed", {}), (document, "PACK_POSITIONS", False))
    optimised, reference = lint_json_switched(path, tmp_path, monkeypatch, switches)
    assert not [f for f in optimised["findings"] if "crashed" in f["message"]]
    return optimised, reference


def _rule_ids(report: Any) -> set[str]:
    return {finding["rule"] for finding in report["findings"]}


def test_the_fixture_list_is_not_empty() -> None:
    assert {"bad-deps", "bad-dag", "clean", "report-ci"} <= set(TREES)


@pytest.mark.parametrize("name", TREES)
def test_fixture_findings_are_the_same_without_the_speed_ups(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    optimised, reference = _both(FIXTURES / name, tmp_path, monkeypatch)
    assert optimised == reference


def test_dependency_fixture_really_exercises_dep001(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    optimised, reference = _both(FIXTURES / "bad-deps", tmp_path, monkeypatch)
    assert "DEP001" in _rule_ids(optimised)
    assert optimised == reference


def test_example_findings_are_the_same_without_the_speed_ups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    optimised, reference = _both(EXAMPLES / "marketplace", tmp_path, monkeypatch)
    assert optimised == reference


def _one_big_cluster(snapshot: Path, dest: Path, copies: int) -> None:
    """The snapshot plus one cluster holding `copies` copies of otech's bootstrap kit, each renaming its
    `bp-*` names with a `-kK` suffix (the shape of bench/bench_lint.py's one-cluster row, smaller)."""
    shutil.copytree(snapshot, dest)
    kit = snapshot / "clusters" / "otech.omani.works" / "bootstrap-kit"
    for k in range(1, copies + 1):
        target = dest / "clusters" / "scaled" / f"kit-{k}"
        target.mkdir(parents=True)
        for file in sorted(kit.glob("*.yaml")):
            text = file.read_text(encoding="utf-8")
            renamed = re.sub(r"(name: *)(bp-[A-Za-z0-9-]+)", rf"\g<1>\g<2>-k{k}", text)
            # other objects' names too (a Namespace): one identity twice fails the cluster's build (FLX003)
            renamed = re.sub(r"(\n  name: *)((?!bp-)[A-Za-z0-9.-]+)", rf"\g<1>\g<2>-k{k}", renamed)
            if k == copies:  # the last copy drifts: one dependsOn edge lost, one foreign edge added
                renamed = renamed.replace(f"- name: bp-keycloak-k{k}", f"- name: bp-cnpg-k{k - 1}", 1)
            (target / file.name).write_text(renamed, encoding="utf-8")


def test_corpus_findings_are_the_same_without_the_speed_ups(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for tree in ("snapshot-2026-04-30", "newapi-latest"):
        optimised, reference = _both(corpus / tree, tmp_path, monkeypatch)
        assert optimised == reference, tree


def test_scaled_cluster_findings_are_the_same_without_the_speed_ups(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    _one_big_cluster(corpus / "snapshot-2026-04-30", repo, copies=4)
    optimised, reference = _both(repo, tmp_path, monkeypatch)
    scaled = [f for f in optimised["findings"] if f.get("cluster") == "scaled"]
    assert any(f["rule"] == "DEP001" for f in scaled), "the drifted copy must be reported"
    assert optimised == reference


def test_a_file_is_read_whole_up_to_the_limit_without_a_buffer_of_the_limit(tmp_path: Path) -> None:
    file = tmp_path / "a.yaml"
    file.write_bytes(b"key: value\n")
    assert read_regular(str(file), 10 * 1024 * 1024) == b"key: value\n"
    assert read_regular(str(file), 4) == b"key:"
    assert read_regular(str(file), 11) == b"key: value\n"
    file.write_bytes(b"")
    assert read_regular(str(file), 8) == b""


def test_a_file_that_reports_no_size_is_still_read(tmp_path: Path) -> None:
    status = Path("/proc/self/status")
    if not status.is_file():
        pytest.skip("no /proc: no regular file that reports size 0 yet has content")
    data = read_regular(str(status), 1 << 20)
    assert data.startswith(b"Name:") and len(data) > status.stat().st_size


def test_the_process_ends_with_every_byte_written_and_its_exit_code(tmp_path: Path) -> None:
    """`python -m compliance` ends with `os._exit` after the atexit handlers and a flush: the report on
    standard output (under the 8 KiB a pipe's stream buffers, so nothing reaches the pipe without that
    flush) and the exit code are those of the same run in-process."""
    args = ("lint", str(FIXTURES / "report-ci"), "--format", "text", "--renderer", "none")
    process, in_process = run_process(*args), run(*args)
    assert process.returncode == in_process.returncode == 1
    assert 0 < len(process.stdout.encode()) < 8192
    assert process.stdout == in_process.stdout


@pytest.mark.parametrize("command", ["lint", "rules", "explain", "values", "config", "report", "verify"])
def test_a_command_alone_parses_as_in_the_whole_app(command: str) -> None:
    """`run()` builds only the invoked command (`app_for`): its help (every option, its default and text)
    is the whole app's, and a group or an unknown name gets the whole app."""
    from typer.testing import CliRunner

    from compliance.cli.main import app, app_for

    slim = app_for([command, "--help"])
    assert slim is not app
    alone = CliRunner(env={"NO_COLOR": "1", "COLUMNS": "120"}).invoke(slim, [command, "--help"])
    whole = CliRunner(env={"NO_COLOR": "1", "COLUMNS": "120"}).invoke(app, [command, "--help"])
    assert alone.exit_code == whole.exit_code == 0
    assert alone.stdout == whole.stdout and "--help" in alone.stdout
    assert app_for(["baseline", "create"]) is app and app_for(["--help"]) is app and app_for([]) is app
