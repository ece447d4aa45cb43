"""Inline suppressions on fixtures/suppressions: where they apply, what they need, when they lapse."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from compliance.app.api import LintRun, lint_path, lint_project
from compliance.settings.config import Settings
from tests.helpers import FIXTURES, brief, line_of, run, run_process

FIXTURE = FIXTURES / "suppressions"
OVERLAY = "clusters/acme/bootstrap-kit/80-newapi.yaml"
VALUES = "platform/newapi/chart/values.yaml"
BLUEPRINT = "platform/newapi/blueprint.yaml"
CHART = "platform/newapi/chart/Chart.yaml"
DIRECTIVE = re.compile(r"\s*#\s*compliance:.*$")


def lint(path: Path = FIXTURE, today: str = "2026-05-01", **settings: Any) -> LintRun:
    return lint_path(str(path), settings=Settings(today=date.fromisoformat(today), **settings))


def suppressed(result: LintRun) -> list[tuple[str, str, int, str | None, str, int]]:
    """(rule, path, line, cluster) of each suppressed finding, with the kind and line of its suppression."""
    return [
        (s.finding.rule, s.finding.location.path, s.finding.location.line, s.finding.cluster)
        + (s.suppression.kind, s.suppression.location.line)
        for s in result.suppressed
    ]


def test_valid_suppressions_hide_their_findings_and_keep_them() -> None:
    result = lint()
    com001, com002 = line_of(FIXTURE / OVERLAY, "accountId"), line_of(FIXTURE / OVERLAY, "contractRef")
    retention = line_of(FIXTURE / VALUES, "retentionDays")
    assert suppressed(result) == [
        ("COM001", OVERLAY, com001, "acme", "inline", line_of(FIXTURE / OVERLAY, "ignore[COM001]")),
        ("COM002", OVERLAY, com002, "acme", "inline", com002),
        (
            "CRD001",
            BLUEPRINT,
            line_of(FIXTURE / BLUEPRINT, "card:"),
            None,
            "file",
            line_of(FIXTURE / BLUEPRINT, "ignore-file"),
        ),
        (
            "YML001",
            CHART,
            line_of(FIXTURE / CHART, "listed: yes"),
            None,
            "inline",
            line_of(FIXTURE / CHART, "listed: yes"),
        ),
        ("AUD002", VALUES, retention, "_template", "inline", line_of(FIXTURE / VALUES, "audit:")),
        ("AUD002", VALUES, retention, "acme", "inline", line_of(FIXTURE / VALUES, "audit:")),
    ]
    first = result.suppressed[0].suppression
    assert (first.reason, first.until, first.owner) == (
        "account provisioned by the reseller, TICKET-881",
        date(2026, 6, 30),
        "ai-platform",
    )
    assert not {"COM001", "COM002", "CRD001", "YML001", "AUD002"} & {f.rule for f in result.findings}


def test_a_comment_above_a_sequence_item_or_on_a_mapping_key_covers_the_collection() -> None:
    result = lint()
    # `# compliance: ignore[COM001]` stands above `- name: claude`; accountId is 8 lines further down
    (com001,) = [s for s in result.suppressed if s.finding.rule == "COM001"]
    assert com001.finding.location.line - com001.suppression.location.line == 8
    # `audit:  # compliance: ignore[AUD002]` covers retentionDays, two lines into the mapping
    aud002 = [s for s in result.suppressed if s.finding.rule == "AUD002"]
    assert {s.finding.location.line - s.suppression.location.line for s in aud002} == {2}


def test_without_a_reason_nothing_is_suppressed_and_sup001_says_so() -> None:
    findings = brief(list(lint().findings))
    comment = line_of(FIXTURE / OVERLAY, "ignore[AUD001]")
    assert ("SUP001", "error", OVERLAY, comment, None) in findings
    assert ("AUD001", "error", OVERLAY, comment + 1, "acme") in findings


def test_unknown_ids_unused_and_malformed_suppressions_are_findings() -> None:
    findings = {f.rule: f for f in lint().findings if f.rule.startswith("SUP")}
    assert sorted(findings) == ["SUP001", "SUP003", "SUP004", "SUP005"]
    assert (findings["SUP004"].location.line, findings["SUP004"].severity.value) == (
        line_of(FIXTURE / VALUES, "byok:"),
        "error",
    )
    assert "BYK01" in findings["SUP004"].message
    assert (findings["SUP003"].location.line, findings["SUP003"].severity.value) == (
        line_of(FIXTURE / VALUES, "ignore[RSL001]"),
        "warning",
    )
    assert (findings["SUP005"].location.line, findings["SUP005"].severity.value) == (
        line_of(FIXTURE / VALUES, "ignore GEO002"),
        "error",
    )
    assert "rule ids in brackets" in findings["SUP005"].message


@pytest.mark.parametrize(
    ("today", "expired", "reported"),
    [
        ("2026-06-30", [], []),  # the until date itself is still covered
        ("2026-07-01", ["ignore[COM001]"], ["COM001"]),
        ("2026-07-31", ["ignore[COM001]"], ["COM001"]),
        ("2026-08-01", ["ignore[COM001]", "ignore[COM002]"], ["COM001", "COM002"]),
        ("2026-10-01", ["ignore[COM001]", "ignore[COM002]", "ignore-file[CRD001]"], ["COM001", "COM002", "CRD001"]),
    ],
)
def test_past_its_until_date_a_suppression_is_sup002_and_the_finding_reappears(
    today: str, expired: list[str], reported: list[str]
) -> None:
    result = lint(today=today)
    sup002 = [f for f in result.findings if f.rule == "SUP002"]
    assert sorted(f.message.split(" expired")[0] for f in sup002) == sorted(expired)
    assert all(f.severity.value == "error" for f in sup002)
    originals = sorted(f.rule for f in result.findings if f.rule in ("COM001", "COM002", "CRD001"))
    assert originals == reported
    assert len(result.suppressed) == 6 - len(reported)


def test_no_inline_suppressions_lints_as_if_the_comments_were_not_there(tmp_path: Path) -> None:
    stripped = tmp_path / "repo"
    shutil.copytree(FIXTURE, stripped)
    for path in stripped.rglob("*.yaml"):
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join(DIRECTIVE.sub("", line) for line in lines) + "\n", encoding="utf-8")
    ignored = lint(inline_suppressions=False)
    assert ignored.suppressed == ()
    assert not [f for f in ignored.findings if f.rule.startswith("SUP")]
    assert brief(list(ignored.findings)) == brief(list(lint(stripped).findings))
    assert len(ignored.findings) == 7


def test_select_and_ignore_apply_to_sup_rules() -> None:
    without = lint_path(str(FIXTURE), ignore=("SUP003",))
    assert "SUP003" not in {f.rule for f in without.findings}
    only_com = lint(select=("COM",))
    assert {f.rule for f in only_com.findings} == set()  # COM findings suppressed; SUP rules not selected
    assert [s.finding.rule for s in only_com.suppressed] == ["COM001", "COM002"]
    # RSL001 did not run: its suppression is not held to have matched nothing
    only_sup = lint(select=("SUP", "COM"))
    assert "SUP003" not in {f.rule for f in only_sup.findings}


def write_repo(tmp_path: Path, overlay_edit: tuple[str, str]) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", repo)
    overlay = repo / OVERLAY
    text = overlay.read_text(encoding="utf-8")
    assert overlay_edit[0] in text
    overlay.write_text(text.replace(overlay_edit[0], overlay_edit[1]), encoding="utf-8")
    return repo


def test_each_rule_of_a_suppression_is_judged_on_its_own(tmp_path: Path) -> None:
    repo = write_repo(
        tmp_path,
        (
            "contractRef: LEGAL-2026-014",
            'contractRef: ""  # compliance: ignore[COM001,COM002,SUP003] reason="contract in signature"',
        ),
    )
    result = lint(repo)
    assert [s.finding.rule for s in result.suppressed] == ["COM002"]
    messages = sorted((f.rule, f.message) for f in result.findings)
    assert messages == [
        ("SUP003", "ignore[COM001,COM002,SUP003]: no COM001 finding where it stands; remove it"),
        ("SUP004", "ignore[COM001,COM002,SUP003]: SUP003 is not suppressible (exceptions are governed, not excepted)"),
    ]


def test_comment_text_inside_strings_is_not_a_suppression(tmp_path: Path) -> None:
    repo = write_repo(
        tmp_path,
        (
            "    ingress:\n",
            '    note: "put # compliance: ignore[ATT001] on the line"\n'
            "    runbook: |\n"
            "      # compliance: ignore-file[ATT001] is how you except a file\n"
            "    ingress:\n",
        ),
    )
    result = lint(repo)
    assert result.repo.suppressions == ()
    assert result.findings == ()


def test_a_comment_above_covers_the_next_yaml_line_past_blank_and_comment_lines(tmp_path: Path) -> None:
    repo = write_repo(
        tmp_path,
        (
            "          contractRef: LEGAL-2026-014\n",
            '          # compliance: ignore[COM002] reason="contract in signature"\n'
            "\n"
            "          # LEGAL will fill this in\n"
            '          contractRef: ""\n',
        ),
    )
    result = lint(repo)
    assert [s.finding.rule for s in result.suppressed] == ["COM002"]
    assert result.findings == ()


def test_reports_show_suppressed_findings(sarif_schema: dict[str, Any]) -> None:
    args = ("lint", str(FIXTURE), "--today", "2026-05-01")
    text = run(*args, env={"NO_COLOR": "1"})
    assert text.returncode == 1
    assert text.stdout.rstrip().endswith("5 findings: 4 errors, 1 warning, 0 infos; 6 suppressed")
    report = json.loads(run(*args, "--format", "json").stdout)
    assert len(report["suppressed"]) == 6
    (entry,) = [e for e in report["suppressed"] if e["finding"]["rule"] == "COM002"]
    assert (entry["finding"]["path"], entry["finding"]["line"], entry["finding"]["cluster"]) == (
        OVERLAY,
        line_of(FIXTURE / OVERLAY, "contractRef"),
        "acme",
    )
    assert entry["suppression"] == {
        "kind": "inline",
        "reason": "contract LEGAL-2026-031 in signature",
        "until": "2026-07-31",
        "owner": None,
        "approver": None,
        "path": OVERLAY,
        "line": line_of(FIXTURE / OVERLAY, "contractRef"),
        "column": 28,
    }
    from jsonschema.validators import validator_for

    log = json.loads(run(*args, "--format", "sarif").stdout)
    assert list(validator_for(sarif_schema)(sarif_schema).iter_errors(log)) == []
    closed = [r for r in log["runs"][0]["results"] if r.get("suppressions")]
    assert len(closed) == 6
    assert len(log["runs"][0]["results"]) == 11
    (com002,) = [r for r in closed if r["ruleId"] == "COM002"]
    assert com002["suppressions"][0]["kind"] == "inSource"
    assert com002["suppressions"][0]["status"] == "accepted"
    assert com002["suppressions"][0]["justification"] == "contract LEGAL-2026-031 in signature"


def test_command_line_flags(tmp_path: Path) -> None:
    expired = run_process("lint", str(FIXTURE), "--today", "2026-10-01", "--format", "json")
    assert {f["rule"] for f in json.loads(expired.stdout)["findings"]} >= {"SUP002", "COM001", "COM002", "CRD001"}
    ignored = run_process("lint", str(FIXTURE), "--no-inline-suppressions", "--format", "json")
    report = json.loads(ignored.stdout)
    assert report["suppressed"] == [] and len(report["findings"]) == 7
    bad = run_process("lint", str(FIXTURE), "--today", "2026-02-30")
    assert bad.returncode == 2 and "--today: '2026-02-30' is not a date" in bad.stderr


# ── the exceptions register and the warning before expiry ────────────────────


def register(result: LintRun) -> dict[str, tuple[str, int | None, int]]:
    """label@line -> (status, days left, findings covered) of every exception."""
    return {
        f"{e.suppression.label}@{e.suppression.location.line}": (e.status, e.days_left, e.covered)
        for e in result.register
    }


def test_the_register_lists_every_exception_with_its_status_expired_ones_too() -> None:
    result = lint(today="2026-07-01")
    entries = register(result)
    assert entries[f"ignore[COM001]@{line_of(FIXTURE / OVERLAY, 'ignore[COM001]')}"] == ("expired", -1, 0)
    assert entries[f"ignore[COM002]@{line_of(FIXTURE / OVERLAY, 'contractRef')}"] == ("expiring", 30, 1)
    assert entries[f"ignore-file[CRD001]@{line_of(FIXTURE / BLUEPRINT, 'ignore-file')}"][:2] == ("active", 91)
    assert entries[f"ignore[AUD002]@{line_of(FIXTURE / VALUES, 'ignore[AUD002]')}"] == ("active", None, 2)
    assert entries[f"ignore[AUD001]@{line_of(FIXTURE / OVERLAY, 'ignore[AUD001]')}"][0] == "invalid"  # no reason
    sup006 = [f for f in result.findings if f.rule == "SUP006"]
    assert [(f.location.line, f.message) for f in sup006] == [
        (
            line_of(FIXTURE / OVERLAY, "contractRef"),
            "ignore[COM002] expires on 2026-07-31, within 30 days: renew or fix before then",
        )
    ]
    assert "COM002" not in {f.rule for f in result.findings}  # an expiring exception still suppresses


@pytest.mark.parametrize(("today", "window", "warned"), [("2026-06-30", 30, False), ("2026-06-01", 60, True)])
def test_the_warning_window_is_an_option(today: str, window: int, warned: bool) -> None:
    from compliance.engine.options import RuleOptions

    result = lint(today=today, rule_options=RuleOptions({"exception-expiry-warning-days": window}))
    assert ("SUP006" in {f.rule for f in result.findings if "COM002" in f.message}) is warned
    status = register(result)[f"ignore[COM002]@{line_of(FIXTURE / OVERLAY, 'contractRef')}"][0]
    assert status == ("expiring" if warned else "active")


def test_approver_inline_and_in_the_config(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    overlay = root / OVERLAY
    overlay.write_text(
        overlay.read_text(encoding="utf-8").replace("until=2026-07-31", "until=2026-07-31 owner=legal approver=ciso"),
        encoding="utf-8",
    )
    (root / ".compliance.yaml").write_text(
        "exceptions:\n  - rule: RSL001\n    reason: legacy tenant\n    owner: sales\n    approver: cfo\n",
        encoding="utf-8",
    )
    result = lint_project(str(root))
    people = {(e.suppression.label, e.suppression.owner, e.suppression.approver) for e in result.register}
    assert ("ignore[COM002]", "legal", "ciso") in people
    assert ("exception for RSL001", "sales", "cfo") in people
    report = json.loads(run("lint", str(root), "--today", "2026-05-01", "--format", "json").stdout)
    (com002,) = [s["suppression"] for s in report["suppressed"] if s["finding"]["rule"] == "COM002"]
    assert (com002["owner"], com002["approver"]) == ("legal", "ciso")
