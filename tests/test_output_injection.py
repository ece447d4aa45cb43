"""What the pull request writes (file names, values, cluster names) cannot steer the outputs that show it.

Every format is checked on hostile text: the text log and the JUnit/HTML pages never start a line the CI
runner obeys (`::stop-commands::`, `##[`), GitHub annotations decode back to exactly the text, Markdown
cells cannot be broken out of, XML and JSON stay valid, HTML shows no tag the text brought.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.app.api import load_rules
from compliance.model.findings import Finding, Location, Severity, TraceStep
from compliance.report import REPORTERS, ReportData, reporter
from compliance.report import html as html_reporter
from tests.helpers import FIXTURES, run

RUNNER_COMMAND = re.compile(r"\s*(::|##\[)")
HOSTILE = [
    *("\n", "\r", "\r\n", "%", "%0A", "::", ",", ":", "]", "[", "`", "``", "<", ">", "&", '"', "'", "|", "\\"),
    *("<script>", "</td>", "-->", "<!--", "*", "_", "~", "$", "@", "#", "##[", " ", "\t", "\x1b[2J", "\x07"),
    *("\x00", "\x7f", "\x85", "\u2028", "\u2029", "é", "a", "b", "x.yaml", "::stop-commands::pwned", "-- "),
]  # fmt: skip
hostile = st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=12).map("".join)
# NUL is the one character no file name holds
file_name = hostile.map(lambda name: name.replace("\x00", "")).filter(lambda name: name not in ("", ".", ".."))
RULES = load_rules(())


def _data(path: str, message: str, cluster: str, value: str) -> ReportData:
    step = TraceStep("overrode", Location(path, 3, 1), value)
    finding = Finding(
        "YML002",
        Severity.ERROR,
        message,
        Location(path, 2, 1),
        "bp",
        cluster,
        "a.b",
        (TraceStep("set", Location(path, 2, 1), value), step),
    )
    return ReportData((finding,), RULES, "/nonexistent-root", evaluated=frozenset({("YML002", "bp", cluster)}))


def _no_runner_command(output: str) -> None:
    for line in output.split("\n"):
        assert not RUNNER_COMMAND.match(line), line
        assert "\r" not in line


def _github_decode(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def _check_github(output: str, path: str, message: str) -> None:
    lines = output.rstrip("\n").split("\n")
    assert len(lines) == 1
    match = re.fullmatch(r"::error ([^:]*)::(.*)", lines[0])
    assert match is not None, lines[0]
    properties = dict(item.split("=", 1) for item in match.group(1).split(","))
    assert set(properties) == {"file", "line", "col", "title"}
    if not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", path + message):  # those are shown as \xNN
        assert _github_decode(properties["file"]) == path
        assert _github_decode(match.group(2)).startswith(message + "\n")


def _markdown_cells(row: str) -> list[str]:
    """A GFM table row split at its unescaped pipes."""
    cells, current, index = [], "", 0
    while index < len(row):
        if row[index] == "\\" and index + 1 < len(row):
            current, index = current + row[index : index + 2], index + 2
            continue
        if row[index] == "|":
            cells.append(current)
            current = ""
        else:
            current += row[index]
        index += 1
    return [*cells, current]


def _unescaped(cell: str) -> str:
    return re.sub(r"\\.", "", cell)


def _check_markdown(output: str) -> None:
    rows = [line for line in output.split("\n") if line.startswith("| ❌")]
    assert len(rows) == 1
    cells = _markdown_cells(rows[0])
    assert len(cells) == 7 and cells[0] == cells[-1] == "", cells  # five cells and the two outer pipes
    location = cells[3].strip()
    if location.startswith("`"):  # a code span: one, with nothing that could close it early
        assert location.endswith("`") and "`" not in location[1:-1] and "\\\\|" not in location  # `\\|` ends the cell
    else:
        assert not re.search(r"[`<>\[\]*_&|]", _unescaped(location))
    for cell in cells[4:6]:
        assert not re.search(r"[`<>\[\]*_&|$@]", _unescaped(cell)), cell


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)


def _tags(page: str) -> set[str]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


BENIGN_TAGS = _tags(html_reporter.render(_data("a/b.yaml", "m", "c", "v")))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=file_name, message=hostile, cluster=hostile, value=hostile)
def test_hostile_text_cannot_steer_any_format(path: str, message: str, cluster: str, value: str) -> None:
    data = _data(path, message, cluster, value)
    outputs = {name: reporter(name).render(data, False) for name in REPORTERS}
    for name in ("text", "junit", "json", "sarif", "markdown"):
        _no_runner_command(outputs[name])
    _check_github(outputs["github"], path, message)
    _check_markdown(outputs["markdown"])
    failure = ET.fromstring(outputs["junit"].encode("utf-8")).find(".//failure")
    assert failure is not None and failure.text is not None
    json.loads(outputs["json"])
    sarif = json.loads(outputs["sarif"])
    uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert re.fullmatch(r"[A-Za-z0-9\-._~/%]*", uri)
    page = html_reporter.render(data)
    _no_runner_command(page)
    assert _tags(page) <= BENIGN_TAGS


def _tree(root: Path, names: list[str]) -> None:
    for name in names:
        (root / name).write_text("a: [\n", encoding="utf-8")  # a YAML syntax error: YML000 at this file


def test_root_file_names_cannot_become_workflow_commands_in_any_format(tmp_path: Path) -> None:
    names = ["::stop-commands::pwned.yaml", "##[set-output name=x]y.yaml", "x\n::error::forged.yaml", "b`|c.yaml"]
    _tree(tmp_path, names)
    outputs = {}
    for name in REPORTERS:
        # from the root: text paths are relative to the working directory, here the names themselves
        result = run("lint", str(tmp_path), "--format", name, "--fail-on", "never", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        outputs[name] = result.stdout
    _no_runner_command(outputs["text"])
    _no_runner_command(outputs["junit"])
    assert "./::stop-commands::pwned.yaml" in outputs["text"]
    gate = "::warning title=compliance gate weakened::fail-on"  # --fail-on never is itself announced
    assert all(line.startswith(("::error file=", gate)) for line in outputs["github"].splitlines())
    assert "file=%3A%3Astop-commands%3A%3Apwned.yaml," in outputs["github"]
    assert "x%0A%3A%3Aerror%3A%3Aforged.yaml" in outputs["github"]
    assert "b\\`\\|c.yaml:2" in outputs["markdown"]  # escaped text, not a code span it could close
    _check_markdown_rows(outputs["markdown"])


def _check_markdown_rows(output: str) -> None:
    for row in output.split("\n"):
        if row.startswith("| ❌"):
            assert len(_markdown_cells(row)) == 7, row


def test_a_run_that_fails_early_leaves_no_stale_report_behind(tmp_path: Path) -> None:
    # the pull request commits a forged summary and SARIF; the run stops on a usage error (exit 2)
    forged = {"summary.md": "### compliance: 0 findings\n", "results.sarif": '{"runs": []}\n'}
    for name, text in forged.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = run(
        *("lint", str(FIXTURES / "clean"), "--select", "NOPE999"),
        *("--format", f"markdown:{tmp_path / 'summary.md'}", "--format", f"sarif:{tmp_path / 'results.sarif'}"),
    )
    assert result.returncode == 2
    assert not (tmp_path / "summary.md").exists() and not (tmp_path / "results.sarif").exists()


def test_a_file_name_that_is_not_utf8_is_shown_in_every_format_not_a_crash(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", root)
    with open(os.path.join(os.fsencode(root), b"\xff\x1b]0;t\x07.yaml"), "wb") as handle:
        handle.write(b"a: [\n")  # YML000 at a name that is not UTF-8, with a terminal escape in it
    for name in REPORTERS:
        result = run("lint", str(root), "--format", name, "--fail-on", "never")
        assert result.returncode == 0, result.stderr
        assert "udcff" in result.stdout or "%FF" in result.stdout, name
        if name != "github":  # its lines are the workflow commands it means to write
            _no_runner_command(result.stdout)
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    bundle = tmp_path / "evidence.zip"
    assert run("report", str(root), "--bundle", str(bundle), env={"SOURCE_DATE_EPOCH": "0"}).returncode == 0
    assert run("verify", str(bundle)).returncode == 0
