"""The run's total input budget: many files, each within the per-file limits, cannot add up without
bound. The first file past the budget is YML003, naming what was skipped; nothing is dropped silently."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compliance.app.api import lint_path
from compliance.load.budget import input_limits
from compliance.load.repository import load_repository
from compliance.yaml import Limits, load_yaml
from tests.helpers import FIXTURES, run_process

BULK = "zz-bulk"  # sorts after every file of fixtures/clean, so the clean files are read first


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """fixtures/clean plus 6 files of 1 001 nodes (3 001 bytes) each: each far below the per-file limits."""
    target = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", target)
    bulk = target / BULK
    bulk.mkdir()
    for index in range(6):
        (bulk / f"{index}.yaml").write_text("[" + "1, " * 999 + "1]\n")
    return target


def budget_problems(repo: Path, limits: Limits) -> list[tuple[str, str, int]]:
    loaded = load_repository(str(repo), limits=limits)
    return [(p.file, p.problem.code, p.problem.line) for p in loaded.problems]


def test_the_first_file_past_the_node_budget_is_named_with_what_was_skipped(repo: Path) -> None:
    clean = load_repository(str(FIXTURES / "clean"))
    clean_nodes = sum(len(d.doc.positions) for docs in clean.documents.values() for d in docs)
    assert clean_nodes < 1_000  # the clean files and two bulk files fit in 3 000; the third does not
    findings = lint_path(str(repo), limits=Limits(max_total_nodes=3_000)).findings
    assert [(f.rule, f.severity.value, f.location.path, f.location.line) for f in findings] == [
        ("YML003", "error", f"{BULK}/2.yaml", 1)
    ]
    message = findings[0].message
    assert "input budget is spent" in message and "of 3000 nodes" in message
    assert f"nor the 3 files after it: {BULK}/3.yaml, {BULK}/4.yaml, {BULK}/5.yaml" in message
    loaded = load_repository(str(repo), limits=Limits(max_total_nodes=3_000))
    assert sorted(p for p in loaded.documents if p.startswith(BULK)) == [f"{BULK}/0.yaml", f"{BULK}/1.yaml"]
    assert {f.path for f in loaded.files} == set(clean.documents) | {f"{BULK}/0.yaml", f"{BULK}/1.yaml"}


def test_the_byte_budget_stops_the_run_at_the_first_file_that_does_not_fit(repo: Path) -> None:
    clean_bytes = sum(f.size for f in load_repository(str(FIXTURES / "clean")).files)
    limits = Limits(max_total_bytes=clean_bytes + 2 * 3_001 + 100)  # two bulk files fit, not a third
    loaded = load_repository(str(repo), limits=limits)
    assert [(p.file, p.problem.code) for p in loaded.problems] == [(f"{BULK}/2.yaml", "YML003")]
    assert loaded.problems[0].problem.detail["skipped"] == (f"{BULK}/3.yaml", f"{BULK}/4.yaml", f"{BULK}/5.yaml")
    assert "this file (3001 bytes) was not loaded" in loaded.problems[0].problem.message


def test_the_path_step_budget_counts_nodes_times_depth(repo: Path) -> None:
    text = "".join(" " * i + f"k{i}:\n" for i in range(200)) + " " * 200 + "x: 1\n"
    steps = load_yaml(text).path_steps
    assert steps > 20_000  # 201 nested levels: 1 + 2 + ... + 201 steps
    (repo / BULK / "0.yaml").write_text(text)
    assert budget_problems(repo, Limits(max_total_path_steps=steps)) == [(f"{BULK}/0.yaml", "YML003", 1)]
    assert budget_problems(repo, Limits(max_total_path_steps=steps + 10_000)) == []


def test_a_file_within_budget_stopped_by_its_own_limit_is_still_a_per_file_finding(repo: Path) -> None:
    (repo / BULK / "0.yaml").write_text("[" + "1, " * 5_000 + "1]\n")  # over max_nodes=2 000 alone
    loaded = load_repository(str(repo), limits=Limits(max_nodes=2_000, max_total_nodes=1_000_000))
    assert [(p.file, p.problem.message.split(";")[0]) for p in loaded.problems] == [
        (f"{BULK}/0.yaml", "the file has more than 2000 nodes")
    ]
    assert f"{BULK}/5.yaml" in loaded.documents  # the run went on


def test_an_oversized_file_does_not_spend_the_budget(repo: Path) -> None:
    (repo / BULK / "0.yaml").write_text("#" * 5_000)
    limits = Limits(max_bytes=4_096, max_total_bytes=sum(f.size for f in load_repository(str(repo)).files))
    loaded = load_repository(str(repo), limits=limits)
    assert [(p.file, p.problem.message.split(";")[0]) for p in loaded.problems] == [
        (f"{BULK}/0.yaml", "input is 4097 bytes, above the limit of 4096")
    ]


def test_the_budget_is_set_on_the_command_line(repo: Path) -> None:
    result = run_process("lint", str(repo), "--renderer", "none", "--max-total-nodes", "3000", "--format", "json")
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(f["rule"], f["path"], f["line"]) for f in findings] == [("YML003", f"{BULK}/2.yaml", 1)]
    assert run_process("lint", str(repo), "--renderer", "none").returncode == 0  # the defaults fit
    bad = run_process("lint", str(repo), "--max-total-size", "0")
    assert bad.returncode == 2 and "--max-total-size" in bad.stderr


def test_the_path_step_budget_follows_the_node_budget() -> None:
    limits = input_limits(Limits(), None, 1_000, 500)
    assert (limits.max_total_bytes, limits.max_total_nodes, limits.max_total_path_steps) == (1_000, 500, 5_000)
    assert input_limits(Limits(), 10, None, None) == Limits(max_bytes=10)
