"""`compliance lint --format FORMAT[:FILE]` (repeatable) and `--output`, as CI runs them."""

from __future__ import annotations

import json
from pathlib import Path

from junitparser import JUnitXml

from tests.helpers import FIXTURES, REPORT_CI_SELECT, run_process

FIXTURE = str(FIXTURES / "report-ci")
SELECTED = ("--select", ",".join(REPORT_CI_SELECT))


def test_several_formats_in_one_run(tmp_path: Path) -> None:
    result = run_process(
        "lint",
        FIXTURE,
        *SELECTED,
        "--format",
        "text",
        "--format",
        "sarif:results.sarif",
        "-f",
        "junit:junit.xml",
        "--format",
        "markdown:summary.md",
        "--format",
        "github:annotations.txt",
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    assert "8 findings: 6 errors, 1 warning, 1 info" in result.stdout and "::error file=" not in result.stdout
    sarif = json.loads((tmp_path / "results.sarif").read_text(encoding="utf-8"))
    assert len(sarif["runs"][0]["results"]) == 8
    assert JUnitXml.fromfile(str(tmp_path / "junit.xml")).failures == 6  # the warning and the info: not failed
    assert (tmp_path / "summary.md").read_text(encoding="utf-8").startswith("### compliance: 8 findings")
    annotations = (tmp_path / "annotations.txt").read_text(encoding="utf-8").splitlines()
    gate = [line for line in annotations if "title=compliance gate weakened" in line]
    assert len(annotations) - len(gate) == 8 and len(gate) == 1 and "select" in gate[0]  # --select drops rules
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annotations.txt", "junit.xml", "results.sarif", "summary.md"]


def test_output_is_the_file_of_the_format_given_without_one(tmp_path: Path) -> None:
    result = run_process("lint", FIXTURE, *SELECTED, "--format", "github", "--format", "sarif:r.sarif", cwd=tmp_path)
    assert result.returncode == 1
    findings = [line for line in result.stdout.splitlines() if "title=compliance gate weakened" not in line]
    assert result.stdout.startswith("::error file=") and len(findings) == 8
    assert json.loads((tmp_path / "r.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"
    result = run_process(
        "lint", FIXTURE, *SELECTED, "--format", "junit", "--output", "j.xml", "-f", "markdown:s.md", cwd=tmp_path
    )
    assert result.returncode == 1 and result.stdout == ""
    assert JUnitXml.fromfile(str(tmp_path / "j.xml")).failures == 6 and (tmp_path / "s.md").is_file()
    (tmp_path / "old.txt").write_text("stale report\n")
    # no --format: the default format, text
    assert run_process("lint", FIXTURE, *SELECTED, "--output", "old.txt", cwd=tmp_path).stdout == ""
    assert "8 findings" in (tmp_path / "old.txt").read_text(encoding="utf-8")


def test_bad_format_options_are_usage_errors_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / "a-folder").mkdir()
    cases = {
        ("--format", "pdf"): "unknown format 'pdf'",
        ("--format", "sarif:"): "has no file after ':'",
        ("--format", "json", "--format", "sarif", "--output", "x"): "--output",
        ("--format", "sarif:r.json", "--format", "json:./r.json"): "same file",
        ("--format", "junit:missing/j.xml"): "its folder does not exist",
        ("--format", "sarif:a-folder"): "cannot write a-folder",
    }
    for args, message in cases.items():
        result = run_process("lint", FIXTURE, *SELECTED, *args, cwd=tmp_path)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["a-folder"] and not any((tmp_path / "a-folder").iterdir())
