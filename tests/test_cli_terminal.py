"""What a person at a terminal meets first: no HTML dumped on it, rule docs laid out, typos answered,
FORCE_COLOR/NO_COLOR honoured, `rules --format json`, and paths an editor can open from the working directory."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import FIXTURES, ROOT, run

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def in_terminal(*args: str, cwd: Path = ROOT) -> tuple[int, str, str]:
    """`python -m compliance ARGS` with standard output on a pseudo-terminal: (exit code, what it showed, stderr)."""
    env = {key: value for key, value in os.environ.items() if key not in ("FORCE_COLOR", "NO_COLOR")}
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "compliance", *args], stdout=secondary, stderr=subprocess.PIPE, cwd=cwd, env=env
    )
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the terminal's other end closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(primary)
    _, stderr = process.communicate(timeout=120)
    return process.returncode, shown.decode("utf-8", "replace"), stderr.decode("utf-8", "replace")


def test_report_refuses_to_write_html_into_a_terminal(tmp_path: Path) -> None:
    code, shown, stderr = in_terminal("report", str(FIXTURES / "clean"), "--renderer", "none")
    assert code == 2 and "<html" not in shown.lower()
    assert "--output report.html" in stderr
    piped = run("report", str(FIXTURES / "clean"), "--renderer", "none")
    assert piped.returncode == 0 and piped.stdout.lstrip().lower().startswith("<!doctype html")


def test_explain_lays_markdown_out_in_a_terminal_and_is_raw_when_piped() -> None:
    code, shown, _ = in_terminal("explain", "ATT001")
    text = ANSI.sub("", shown)
    assert code == 0 and "What it does" in text and "## What it does" not in text and "```" not in text
    piped = run("explain", "ATT001")
    assert piped.stdout.startswith("# ATT001: Enabled channel without attestation\n")
    assert "\n## What it does\n" in piped.stdout and not ANSI.search(piped.stdout)


def test_an_unknown_rule_id_gets_a_did_you_mean(tmp_path: Path) -> None:
    explained = run("explain", "ATT01")
    assert explained.returncode == 2 and "did you mean ATT001" in explained.stderr
    assert "did you mean" not in run("explain", "ZZZ999").stderr  # nothing close: no guess
    selected = run("lint", str(FIXTURES / "clean"), "--select", "ATX")
    assert selected.returncode == 2 and "unknown rule id or prefix: ATX (did you mean ATT?)" in selected.stderr
    config = tmp_path / "config.yaml"
    config.write_text("severity:\n  GEO01: warning\n")
    configured = run("lint", str(FIXTURES / "clean"), "--config", str(config))
    assert configured.returncode == 2 and "unknown rule id 'GEO01' (did you mean GEO001" in configured.stderr


def test_force_color_and_no_color() -> None:
    args = ("lint", str(FIXTURES / "bad-geo"), "--select", "GEO001")
    assert not ANSI.search(run(*args, env={"NO_COLOR": ""}).stdout)  # piped: no colour
    assert ANSI.search(run(*args, env={"NO_COLOR": "", "FORCE_COLOR": "1"}).stdout)  # a CI log asked for it
    assert not ANSI.search(run(*args, env={"NO_COLOR": "1", "FORCE_COLOR": "1"}).stdout)  # NO_COLOR wins
    code, shown, _ = in_terminal(*args)
    assert code == 1 and ANSI.search(shown)


def test_rules_as_json_list_what_the_text_listing_lists() -> None:
    listed = json.loads(run("rules", "--format", "json").stdout)["rules"]
    text = run("rules").stdout.splitlines()
    assert [r["id"] for r in listed] == [line.split()[0] for line in text]
    att001 = next(r for r in listed if r["id"] == "ATT001")
    assert att001 | {"summary": ""} == {
        "id": "ATT001",
        "title": "Enabled channel without attestation",
        "severity": "error",
        "family": "attestation",
        "scope": "release",
        "provider": "compliance_rules",
        "controls": ["SOC2:CC9.2", "ISO27001:A.5.19", "ISO27001:A.5.21", "EUAIA:Art.25"],
        "fix": "",
        "summary": "",
        "options": [],
    }
    assert att001["summary"].startswith("Reports an enabled channel")


def test_text_paths_are_relative_to_the_working_directory() -> None:
    """`path:line:col` opens from where the command ran, whatever root was linted; JSON stays root-relative."""
    args = ("--select", "GEO001", "--renderer", "none")
    from_top = run("lint", "fixtures/bad-geo", *args).stdout.splitlines()
    overlay = "fixtures/bad-geo/clusters/acme/bootstrap-kit/80-newapi.yaml"
    assert overlay in from_top and (ROOT / overlay).is_file()
    overrode = next(line for line in from_top if "overrode" in line)
    assert "overrode fixtures/bad-geo/platform/newapi/chart/values.yaml:" in overrode
    inside = run("lint", "..", *args, cwd=FIXTURES / "bad-geo" / "clusters").stdout.splitlines()
    assert "acme/bootstrap-kit/80-newapi.yaml" in inside
    assert "overrode ../platform/newapi/chart/values.yaml:" in next(line for line in inside if "overrode" in line)
    findings = json.loads(run("lint", "fixtures/bad-geo", *args, "--format", "json").stdout)["findings"]
    assert findings[0]["path"] == "clusters/acme/bootstrap-kit/80-newapi.yaml"


def test_show_severity_hides_lower_findings_from_the_text_listing_not_from_the_count() -> None:
    args = ("lint", "fixtures/bad-geo", "--renderer", "none")
    everything = run(*args).stdout
    quiet = run(*args, "-q").stdout
    assert "  info    " in everything and "  info    " not in quiet
    summary = next(line for line in everything.splitlines() if " findings: " in line)
    assert summary in quiet.splitlines()  # the same counts
    infos = int(re.search(r"(\d+) infos?", summary)[1])  # type: ignore[index]
    assert infos > 0 and f"{infos} below warning not listed" in quiet
    errors_only = run(*args, "--show-severity", "error").stdout
    assert "  warning " not in errors_only and "  error   " in errors_only
    assert run(*args, "-q", "--format", "json").stdout == run(*args, "--format", "json").stdout  # text only
