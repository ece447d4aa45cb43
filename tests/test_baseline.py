"""Baselines on a copy of fixtures/suppressions: recorded by fingerprint, never absorbing new violations."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from compliance.app.api import lint_path
from compliance.governance import baseline
from compliance.settings.config import Settings
from tests.helpers import FIXTURES, edit, run

OVERLAY = "clusters/acme/bootstrap-kit/80-newapi.yaml"
FLAGS = ("--today", "2026-05-01", "--no-inline-suppressions")  # seven findings, no SUP rules


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(FIXTURES / "suppressions", copy)
    return copy


def create(repo: Path, *args: str) -> Path:
    result = run("baseline", "create", str(repo), *FLAGS, *args)
    assert result.returncode == 0, result.stderr
    return repo / ".compliance-baseline.json"


def lint(repo: Path, file: Path, *args: str) -> tuple[int, dict]:
    result = run("lint", str(repo), *FLAGS, "--baseline", str(file), "--format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def test_the_file_is_sorted_stable_one_entry_per_line(repo: Path) -> None:
    file = create(repo)
    text = file.read_text(encoding="utf-8")
    data = json.loads(text)
    assert (data["tool"], data["version"], len(data["findings"])) == ("compliance", 1, 7)
    entries = [line.strip().rstrip(",") for line in text.splitlines() if line.startswith("    {")]
    assert [json.loads(entry) for entry in entries] == data["findings"]
    keys = [(e["path"], e["rule"], e["cluster"] or "") for e in data["findings"]]
    assert keys == sorted(keys)
    assert set(data["findings"][0]) == {
        "rule", "severity", "path", "blueprint", "cluster", "value_path", "fingerprint", "message",
    }  # fmt: skip
    assert "line" not in text
    assert create(repo).read_text(encoding="utf-8") == text  # byte-identical on a second run
    assert [p.name for p in repo.iterdir() if p.name.startswith(".compliance")] == [".compliance-baseline.json"]
    run_findings = lint_path(str(repo), settings=Settings(inline_suppressions=False)).findings
    assert {f.fingerprint for f in run_findings} == {e["fingerprint"] for e in data["findings"]}


def test_output_option_and_message(repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    result = run("baseline", "create", str(repo), *FLAGS, "--output", str(target))
    assert result.returncode == 0 and f"wrote 7 findings to {target}" in result.stderr
    assert not (repo / ".compliance-baseline.json").exists()
    missing = run("baseline", "create", str(repo), "--output", str(tmp_path / "no" / "such" / "dir.json"))
    assert missing.returncode == 2 and "cannot write" in missing.stderr


def test_an_unchanged_tree_reports_nothing(repo: Path) -> None:
    code, report = lint(repo, create(repo))
    assert (code, report["findings"], report["fixed"]) == (0, [], [])
    assert report["baseline"] == {"new": 0, "known": 7, "fixed": 0}
    text = run("lint", str(repo), *FLAGS, "--baseline", str(repo / ".compliance-baseline.json"))
    assert "baseline: 0 new, 7 known (not shown), 0 fixed" in text.stdout


def test_edits_above_a_finding_do_not_churn_it(repo: Path) -> None:
    file = create(repo)
    edit(repo / OVERLAY, "spec:\n", "# moved down by a comment\n\nspec:\n  # and another\n", count=1)  # the first spec:
    code, report = lint(repo, file)
    assert (code, report["findings"]) == (0, [])


def test_the_same_violation_in_another_cluster_or_file_is_new(repo: Path) -> None:
    file = create(repo)
    beta = repo / "clusters/beta/bootstrap-kit"
    beta.mkdir(parents=True)
    shutil.copy(repo / OVERLAY, beta / "80-newapi.yaml")
    code, report = lint(repo, file)
    assert code == 1
    assert {(f["rule"], f["cluster"]) for f in report["findings"]} == {
        ("AUD001", "beta"), ("COM001", "beta"), ("COM002", "beta"), ("AUD002", "beta"),
    }  # fmt: skip
    edit(
        repo / "platform/cnpg/chart/Chart.yaml",
        "version: 1.0.0\n",
        "version: 1.0.0\nannotations:\n  x/listed: yes\n",
    )
    _, report = lint(repo, file, "--select", "YML")
    assert [(f["rule"], f["path"]) for f in report["findings"]] == [("YML001", "platform/cnpg/chart/Chart.yaml")]


def test_fixed_entries_are_listed_and_the_baseline_can_shrink(repo: Path) -> None:
    file = create(repo)
    edit(repo / OVERLAY, 'contractRef: ""', "contractRef: LEGAL-2026-031")
    code, report = lint(repo, file)
    assert (code, report["findings"]) == (0, [])
    assert [(f["rule"], f["path"], f["cluster"]) for f in report["fixed"]] == [("COM002", OVERLAY, "acme")]
    assert report["baseline"] == {"new": 0, "known": 6, "fixed": 1}
    shrunk = create(repo)
    assert len(json.loads(shrunk.read_text())["findings"]) == 6


def test_a_baseline_absorbs_only_as_many_findings_as_it_records(repo: Path) -> None:
    recorded = lint_path(str(repo), settings=Settings(inline_suppressions=False)).findings
    (com002,) = [f for f in recorded if f.rule == "COM002"]
    elsewhere = replace(com002, location=replace(com002.location, line=com002.location.line + 5))  # same fingerprint
    twice = baseline.compare([*recorded, elsewhere], [f for f in recorded if f.rule != "AUD001"])
    assert [f.rule for f in twice.new] == ["AUD001", "COM002"]
    assert (len(twice.matched), twice.fixed) == (6, ())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", ":1:2: not a baseline file: Expecting property name"),
        ("[]", "not a baseline file (expected"),
        ('{"tool": "compliance", "version": 2, "findings": []}', "baseline format version 2"),
        ('{"tool": "compliance", "version": 1, "findings": [3]}', "findings[0]: expected an object"),
        ('{"tool": "compliance", "version": 1, "findings": [{"rule": "COM002"}]}', "findings[0].path: expected"),
        (None, "no such file"),
    ],
)
def test_a_malformed_baseline_is_exit_2(repo: Path, tmp_path: Path, content: str | None, message: str) -> None:
    file = tmp_path / "baseline.json"
    if content is not None:
        file.write_text(content)
    result = run("lint", str(repo), "--baseline", str(file))
    assert result.returncode == 2 and result.stdout == ""
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_hand_edited_fingerprint_is_refused(repo: Path) -> None:
    file = create(repo)
    data = json.loads(file.read_text())
    data["findings"][0]["cluster"] = "elsewhere"
    file.write_text(json.dumps(data))
    result = run("lint", str(repo), "--baseline", str(file))
    assert result.returncode == 2 and "findings[0].fingerprint does not match" in result.stderr


def test_baseline_and_diff_base_do_not_combine(repo: Path) -> None:
    result = run("lint", str(repo), "--baseline", str(create(repo)), "--diff-base", "HEAD")
    assert result.returncode == 2 and "cannot be combined" in result.stderr


def test_identical_recorded_entries_each_absorb_one_finding(repo: Path) -> None:
    """A baseline's entries carry no line: n identical ones are n entries, not one."""
    recorded = lint_path(str(repo), settings=Settings(inline_suppressions=False)).findings
    (com002,) = [f for f in recorded if f.rule == "COM002"]
    twin = replace(com002, location=replace(com002.location, line=com002.location.line + 5))
    file = repo / "twice.json"
    file.write_text(baseline.render([com002, twin]), encoding="utf-8")
    loaded = baseline.load(str(file))
    assert [f.fingerprint for f in loaded] == [com002.fingerprint] * 2
    compared = baseline.compare([com002, twin], loaded)
    assert (compared.new, len(compared.matched), compared.fixed) == ((), 2, ())


def test_create_then_lint_is_a_fixed_point_on_the_corpus(corpus: Path, tmp_path: Path) -> None:
    """`baseline create` runs what `lint` runs (rendering included): the unchanged tree has 0 new findings."""
    copy = tmp_path / "openova"
    shutil.copytree(corpus / "snapshot-2026-04-30", copy)
    file = copy / ".compliance-baseline.json"
    assert run("baseline", "create", str(copy)).returncode == 0
    recorded = json.loads(file.read_text(encoding="utf-8"))["findings"]
    result = run("lint", str(copy), "--baseline", str(file), "--format", "json")
    report = json.loads(result.stdout)
    assert (result.returncode, report["findings"]) == (0, [])
    assert report["baseline"] == {"new": 0, "known": len(recorded), "fixed": 0}
    fingerprints = [e["fingerprint"] for e in recorded]
    assert len(set(fingerprints)) < len(fingerprints)  # the corpus records a finding twice (YML001 'Off')
