"""`compliance lint --manifests FILE|-`: a stream rendered elsewhere, checked by the rendered rules."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.helpers import FIXTURES, ROOT, line_of, run_process

STREAM = FIXTURES / "render-streams" / "beta.yaml"


def lint(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return run_process("lint", *args, env={"NO_COLOR": "1"}, cwd=cwd, stdin=stdin)


def located(report: dict) -> list[tuple[str, str, int, int]]:
    return [(f["rule"], f["path"], f["line"], f["column"]) for f in report["findings"]]


def test_a_stream_file_is_checked_at_its_own_lines() -> None:
    result = lint("--manifests", str(STREAM), "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert located(report) == [
        ("RM005", "beta.yaml", line_of(STREAM, "byok-api-key:"), 17),
        # inside the channels.yaml block: `legacy` has an attestation without accountId
        ("RM002", "beta.yaml", line_of(STREAM, "attestation:", after='name: "legacy"'), 7),
        ("RM003", "beta.yaml", line_of(STREAM, 'key: ""'), 14),
        # masterKey mode is read from the Deployment's MASTER_KEY; the admin host reported once
        ("RM004", "beta.yaml", line_of(STREAM, "- host: admin.beta.example.com"), 13),
    ]
    messages = {f["rule"]: f["message"] for f in report["findings"]}
    assert "rendered from bp-newapi/templates/ingress.yaml" in messages["RM004"]
    assert "Deployment gateway-bp-newapi-bp-newapi sets MASTER_KEY" in messages["RM004"]


def test_standard_input_is_named_stdin() -> None:
    result = lint("--manifests", "-", "--format", "json", stdin=STREAM.read_text())
    report = json.loads(result.stdout)
    assert {f["path"] for f in report["findings"]} == {"<stdin>"}
    assert len(report["findings"]) == 4


def test_a_clean_stream_passes() -> None:
    result = lint("--manifests", str(FIXTURES / "render-streams" / "acme.yaml"))
    assert result.returncode == 0, result.stdout
    assert "0 findings" in result.stdout


def test_a_broken_stream_is_a_located_render_finding(tmp_path: Path) -> None:
    stream = tmp_path / "out.yaml"
    stream.write_text("---\n# Source: chart/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\ndata: [unclosed\n")
    result = lint("--manifests", str(stream), "--format", "json")
    assert result.returncode == 1
    ((rule, path, line, _),) = located(json.loads(result.stdout))
    assert (rule, path) == ("RND001", "out.yaml") and line >= 5


def test_manifests_take_no_paths_and_must_exist(tmp_path: Path) -> None:
    both = lint("--manifests", str(STREAM), str(FIXTURES / "render"))
    assert both.returncode == 2 and "--manifests" in both.stderr
    missing = lint("--manifests", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr and "Traceback" not in missing.stderr
