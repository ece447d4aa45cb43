"""The Markdown summary on fixtures/report-ci, read back with a real Markdown parser (GFM tables)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from compliance.report import common, markdown
from tests.helpers import FIXTURES, REPORT_CI_SELECT, ROOT, edit, report_data, run_process
from tests.helpers.gitrepo import git, init_repo

FIXTURE = FIXTURES / "report-ci"
DAG = "scripts/expected-bootstrap-deps.yaml"
OVERLAY = "clusters/acme/bootstrap-kit/80-newapi.yaml"


def tables(text: str) -> list[list[list[Token]]]:
    """Each table as rows of cells (header row first), each cell as its inline token."""
    found: list[list[list[Token]]] = []
    row: list[Token] = []
    for token in MarkdownIt("commonmark").enable("table").parse(text):
        if token.type == "table_open":
            found.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type == "inline" and found and token.level >= 4:  # a cell's content
            row.append(token)
        elif token.type == "tr_close":
            found[-1].append(row)
    return found


def plain(cell: Token) -> str:
    return "".join(child.content for child in cell.children or () if child.type in ("text", "code_inline"))


def link(cell: Token) -> str | None:
    return next((c.attrs["href"] for c in cell.children or () if c.type == "link_open"), None)  # type: ignore[misc]


def test_counts_per_severity_and_per_cluster() -> None:
    text = markdown.render(report_data(FIXTURE, REPORT_CI_SELECT))
    assert text.startswith("### compliance: 8 findings (6 errors, 1 warning, 1 info)\n")
    counts, _ = tables(text)
    assert [[plain(cell) for cell in row] for row in counts] == [
        ["", "error", "warning", "info"],
        ["all", "6", "1", "1"],
        ["_template", "2", "0", "0"],
        ["acme", "4", "1", "0"],
        ["(not cluster-specific)", "0", "0", "1"],
    ]


def test_the_table_lists_every_finding_most_severe_first_with_escaped_cells() -> None:
    data = report_data(FIXTURE, REPORT_CI_SELECT)
    text = markdown.render(data)
    _, findings = tables(text)
    header, *rows = findings
    assert [plain(c) for c in header] == ["severity", "rule", "location", "cluster", "message"]
    assert len(rows) == len(data.findings) and all(len(row) == 5 for row in rows)
    severities = [plain(row[0]).split()[-1] for row in rows]
    assert severities == ["error"] * 6 + ["warning", "info"]
    att003 = next(row for row in rows if plain(row[1]) == "ATT003")
    assert plain(att003[4]).startswith("channel 'eu|partner <b>50%</b>, tier:gold ::error::injected' of type")
    assert "<b>" not in MarkdownIt("commonmark").enable("table").render(text)  # shown, never interpreted
    assert plain(att003[2]).endswith("clusters/acme/bootstrap-kit/80-newapi.yaml:50")
    assert (ROOT / plain(att003[2]).rsplit(":", 1)[0]).is_file()  # repo-relative: the checkout is ROOT
    assert plain(att003[3]) == "acme"


def test_rules_link_to_their_section_of_the_rule_docs() -> None:
    _, findings = tables(markdown.render(report_data(FIXTURE, REPORT_CI_SELECT)))
    for row in findings[1:]:
        rule, href = plain(row[1]), link(row[1])
        base = common.docs_base()  # absolute (a job summary has no base to resolve against), from [project.urls]
        assert base is not None and href.startswith(base) and base.startswith("https://")
        page, anchor = href.removeprefix(base).split("#")
        assert anchor == rule.lower()
        assert f"\n## {rule}\n" in (ROOT / page).read_text(encoding="utf-8")


def test_passing_checks_and_a_clean_run() -> None:
    data = report_data(FIXTURE, REPORT_CI_SELECT)
    failing = {(f.rule, f.blueprint, f.cluster) for f in data.findings}
    expected = f"{len(data.evaluated) - len(failing)} of {len(data.evaluated)} checks passed."
    assert f"\n{expected}\n" in markdown.render(data)
    clean = markdown.render(report_data(FIXTURES / "clean", REPORT_CI_SELECT))
    assert clean.startswith("### compliance: 0 findings (0 errors, 0 warnings, 0 infos)\n")
    assert tables(clean) == [] and "checks passed." in clean


def test_rows_beyond_the_first_fold_into_details_and_the_table_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(markdown, "OPEN_ROWS", 3)
    monkeypatch.setattr(markdown, "MAX_ROWS", 6)
    text = markdown.render(report_data(FIXTURE, REPORT_CI_SELECT))
    _, shown, folded = tables(text)
    assert (len(shown), len(folded)) == (4, 4)  # header + 3 rows each
    before, folded_part = text.split("<details><summary>3 more findings</summary>\n\n")
    inside, after = folded_part.split("</details>", 1)  # the control view folds after it
    assert (len(tables(before)), len(tables(inside)), len(tables(after))) == (2, 1, 0)
    assert "2 more findings not shown: see the SARIF or JSON report." in text


def test_the_real_corpus_folds_long_lists(corpus: object) -> None:
    data = report_data(corpus / "snapshot-2026-04-30")  # type: ignore[operator]
    text = markdown.render(data)
    _, shown, *folded = tables(text)
    assert len(shown) == markdown.OPEN_ROWS + 1
    assert sum(len(table) - 1 for table in folded) == min(len(data.findings), markdown.MAX_ROWS) - markdown.OPEN_ROWS


def test_with_a_diff_base_only_new_findings_are_listed_and_fixed_ones_fold(tmp_path: Path) -> None:
    repo = init_repo(shutil.copytree(FIXTURE, tmp_path / "repo"))
    edit(repo / OVERLAY, 'enforcement: "off"', 'enforcement: "provider-strictest"')  # fixes AUP001
    (repo / "outside.yaml").symlink_to("/etc/hostname")  # a new IO001 (info): a link out of the root
    result = run_process(
        "lint",
        ".",
        "--select",
        ",".join((*REPORT_CI_SELECT, "IO")),
        "--diff-base",
        "HEAD",
        "--format",
        "markdown",
        cwd=repo,
    )
    assert result.returncode == 0, result.stderr  # the only new finding is informational
    commit = git(repo, "rev-parse", "HEAD")[:12]
    assert f"\nOnly findings new since `HEAD` ({commit}): 1 new, 7 unchanged (not shown), 1 fixed.\n" in result.stdout
    _, new, fixed = tables(result.stdout)
    assert [plain(row[1]) for row in new[1:]] == ["IO001"] and "outside.yaml" in plain(new[1][2])
    assert [plain(row[1]) for row in fixed[1:]] == ["AUP001"]
    assert "<details><summary>1 finding fixed</summary>" in result.stdout
