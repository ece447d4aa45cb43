"""GitHub workflow commands on fixtures/report-ci, read back the way the Actions runner parses them."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from compliance.report import github
from tests.helpers import FIXTURES, REPORT_CI_SELECT, position, report_data

FIXTURE = FIXTURES / "report-ci"
DAG = "scripts/expected-bootstrap-deps.yaml"
OVERLAY = "clusters/acme/bootstrap-kit/80-newapi.yaml"
VALUES = "platform/newapi/chart/values.yaml"
COMMAND = re.compile(r"^::(?P<command>\w+) (?P<properties>[^:]*)::(?P<data>.*)$")


def unescape_property(text: str) -> str:
    for escaped, plain in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, plain)
    return text


def unescape_data(text: str) -> str:
    for escaped, plain in (("%0D", "\r"), ("%0A", "\n"), ("%25", "%")):
        text = text.replace(escaped, plain)
    return text


def parse(output: str) -> list[tuple[str, dict[str, str], str]]:
    """Every line as (command, properties, message); a line that is not a command fails the test."""
    commands = []
    for line in output.splitlines():
        match = COMMAND.match(line)
        assert match, f"not a workflow command: {line!r}"
        pairs = (item.split("=", 1) for item in match["properties"].split(","))
        properties = {key: unescape_property(value) for key, value in pairs}
        commands.append((match["command"], properties, unescape_data(match["data"])))
    return commands


def test_one_annotation_per_finding_at_its_repo_relative_place() -> None:
    data = report_data(FIXTURE, REPORT_CI_SELECT)
    commands = parse(github.render(data))
    assert len(commands) == len(data.findings) == 8
    inside = FIXTURE.relative_to(git_toplevel(FIXTURE)).as_posix()
    prefix = "" if inside == "." else inside + "/"
    for (command, properties, message), finding in zip(commands, data.findings, strict=True):
        assert command == {"error": "error", "warning": "warning", "info": "notice"}[finding.severity.value]
        assert properties["file"] == prefix + finding.location.path
        assert (int(properties["line"]), int(properties["col"])) == (finding.location.line, finding.location.column)
        assert properties["title"].startswith(finding.rule + " ")
        assert message.splitlines()[0] == finding.message.splitlines()[0]
    by_rule = {
        (props["title"].split()[0], props["file"]): (command, props, message) for command, props, message in commands
    }
    command, properties, message = by_rule["ATT003", prefix + OVERLAY]
    assert (int(properties["line"]), int(properties["col"])) == position(
        FIXTURE / OVERLAY, "in-cluster", after="eu|partner"
    )
    assert properties["title"] == "ATT003 Attestation kind does not fit the channel type"
    assert message.startswith("channel 'eu|partner <b>50%</b>, tier:gold\n::error::injected' of type openai-compatible")
    assert message.endswith("\ncluster acme, blueprint bp-newapi")
    command, properties, message = by_rule["AUP001", prefix + OVERLAY]
    line = position(FIXTURE / VALUES, '"provider-strictest"')[0]
    assert message.endswith(f"\noverrode 'provider-strictest' at {prefix}{VALUES}:{line}")
    assert by_rule["DAG003", prefix + DAG][0] == "notice"


def test_a_line_break_in_a_value_cannot_start_a_command_of_its_own() -> None:
    output = github.render(report_data(FIXTURE, REPORT_CI_SELECT))
    assert "\n::error::injected" not in output
    assert "%0A::error::injected" in output
    assert not [line for line in output.splitlines() if line.startswith("::error::")]


def test_properties_escape_colons_commas_and_percent(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    shutil.copytree(FIXTURE, checkout / "team,eu:prod 100%")
    output = github.render(report_data(checkout / "team,eu:prod 100%", REPORT_CI_SELECT))
    assert output.startswith("::error file=team%2Ceu%3Aprod 100%25/clusters/_template/bootstrap-kit/80-newapi.yaml,")
    (_, properties, _), *_ = parse(output)
    assert properties["file"] == "team,eu:prod 100%/clusters/_template/bootstrap-kit/80-newapi.yaml"
    assert properties["title"] == "COM001 Commercial contract without an account"


def git_toplevel(path: Path) -> Path:
    result = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=path, capture_output=True, text=True)
    return Path(result.stdout.strip()) if result.returncode == 0 else path


def test_terminal_control_characters_are_shown_not_emitted() -> None:
    escaped = github.escape_data("value \x1b[31mred\x1b[0m and NUL \x00")
    assert "\x1b" not in escaped and "\x00" not in escaped
    assert escaped == "value \\x1b[31mred\\x1b[0m and NUL \\x00"
