"""The command line as users and CI run it: exit codes, formats, plugins."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import FIXTURES, run_process


def test_clean_fixture_passes_with_exit_0() -> None:
    result = run_process("lint", str(FIXTURES / "clean"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 findings" in result.stdout


def test_findings_at_or_above_fail_on_exit_1(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", repo)
    overlay = repo / "clusters/acme/bootstrap-kit/80-newapi.yaml"
    overlay.write_text(overlay.read_text().replace("accountId: acme-anthropic-001", 'accountId: ""'))
    assert run_process("lint", str(repo)).returncode == 1
    assert run_process("lint", str(repo), "--fail-on", "never").returncode == 0
    assert run_process("lint", str(repo), "--ignore", "COM001").returncode == 0


def test_usage_errors_exit_2() -> None:
    assert run_process("lint", "/nonexistent/path").returncode == 2
    assert run_process("lint", "--no-such-flag").returncode == 2
    unknown = run_process("lint", str(FIXTURES / "clean"), "--select", "NOPE999")
    assert unknown.returncode == 2 and "NOPE999" in unknown.stderr
    assert run_process("lint", "--var", "NOEQUALS").returncode == 2
    assert run_process("explain", "XYZ999").returncode == 2


def test_json_report_shape_and_output_file(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", repo)
    overlay = repo / "clusters/acme/bootstrap-kit/80-newapi.yaml"
    overlay.write_text(overlay.read_text().replace("contractRef: LEGAL-2026-014", "contractRef: ''"))
    out = tmp_path / "report.json"
    result = run_process("lint", str(repo), "--format", "json", "--output", str(out))
    assert result.returncode == 1 and result.stdout == ""
    report = json.loads(out.read_text())
    assert report["tool"] == {"name": "compliance", "version": report["tool"]["version"]}
    assert report["summary"] == {"error": 1, "warning": 0, "info": 0}
    (finding,) = report["findings"]
    assert finding["rule"] == "COM002"
    assert finding["path"] == "clusters/acme/bootstrap-kit/80-newapi.yaml"
    line = overlay.read_text().splitlines().index("          contractRef: ''") + 1
    assert (finding["line"], finding["column"]) == (line, 24)
    assert finding["cluster"] == "acme" and finding["blueprint"] == "bp-newapi"
    assert finding["value_path"] == "channels[0].attestation.contractRef"
    assert finding["trace"][0]["role"] == "set"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".compliance-")]


def test_text_output_respects_no_color_and_shows_the_line(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", repo)
    overlay = repo / "clusters/acme/bootstrap-kit/80-newapi.yaml"
    overlay.write_text(overlay.read_text().replace("kind: byok\n", "kind: trusted\n"))
    result = run_process("lint", str(repo), "--select", "ATT", env={"NO_COLOR": "1"})
    assert "\x1b[" not in result.stdout
    assert "clusters/acme/bootstrap-kit/80-newapi.yaml" in result.stdout
    assert "ATT002" in result.stdout and "kind: trusted" in result.stdout
    assert "1 error" in result.stdout


def test_rules_and_explain_print_the_rule_docs() -> None:
    listing = run_process("rules")
    assert listing.returncode == 0
    assert "ATT001" in listing.stdout and "YML001" in listing.stdout
    explained = run_process("explain", "att001")
    assert explained.returncode == 0
    for heading in ("## What it does", "## Why it matters", "## Example", "## Use instead", "## How to fix"):
        assert heading in explained.stdout


def test_plugin_rules_from_a_folder(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", repo)
    overlay = repo / "clusters/_template/bootstrap-kit/80-newapi.yaml"
    overlay.write_text(overlay.read_text().replace("  values:\n", "  values:\n    replicas: 3\n"))
    result = run_process("lint", str(repo), "--rules", str(FIXTURES / "plugins"), "--format", "json", "--select", "ORG")
    report = json.loads(result.stdout)
    assert [(f["rule"], f["cluster"]) for f in report["findings"]] == [("ORG001", "_template")]
    assert run_process("explain", "ORG001", "--rules", str(FIXTURES / "plugins")).returncode == 0


def test_broken_plugin_is_a_clear_usage_error(tmp_path: Path) -> None:
    # a copy: a rule module in the checkout that holds the linted root would be refused before loading
    repo = shutil.copytree(FIXTURES / "clean", tmp_path / "repo")
    result = run_process("lint", str(repo), "--rules", str(FIXTURES / "plugins-broken"))
    assert result.returncode == 2
    assert "broken_rule.py" in result.stderr and "compliance_does_not_exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_plugin_rules_from_an_installed_entry_point(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "acme_rules-1.0.dist-info").mkdir(parents=True)
    shutil.copy(FIXTURES / "plugins" / "replica_rule.py", site / "acme_rules.py")
    (site / "acme_rules-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-rules\nVersion: 1.0\n"
    )
    (site / "acme_rules-1.0.dist-info" / "entry_points.txt").write_text("[compliance.rules]\nacme = acme_rules\n")
    result = run_process("rules", env={"PYTHONPATH": str(site)})
    assert result.returncode == 0, result.stderr
    assert "ORG001" in result.stdout


@pytest.mark.parametrize("args", [("--version",), ("lint", "--help")])
def test_cheap_commands_work(args: tuple[str, ...]) -> None:
    assert run_process(*args).returncode == 0
