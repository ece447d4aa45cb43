"""Coverage in three states: passed (applied, nothing found), not applicable (nothing to look at: what),
not run (could not be evaluated: why), recorded by the engine and counted the same way by every output."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from junitparser import JUnitXml, Skipped

from compliance.engine.coverage import NOT_APPLICABLE, NOT_RUN, PASSED
from compliance.report import ReportData, markdown
from tests.helpers import FIXTURES, edit, report_data, run


def _data(path: Path, renderer: str = "none") -> ReportData:
    return report_data(path, renderer=renderer)


def test_the_engine_records_what_each_rule_skipped_and_why(corpus: Path) -> None:
    data = _data(corpus / "snapshot-2026-04-30")
    states = data.rule_states()
    for rule in ("ATT001", "ATT004", "COM002", "CHN001", "AUP001", "RSL001"):
        assert (states[rule].state, states[rule].checks) == (NOT_APPLICABLE, 0), rule
        assert states[rule].reason.startswith("no gateway release")
    assert states["GEO001"].reason == "no gateway release and no geo.sanctionedRegions value"
    assert (states["RM001"].state, states["RM001"].reason) == (NOT_RUN, "no renderer (--renderer none)")
    assert states["SCH001"].state == PASSED and states["SCH001"].checks > 100
    assert not any(rule.startswith(("ATT", "COM", "CHN")) for rule, _, _ in data.evaluated)


def test_a_gateway_repository_applies_the_gateway_rules() -> None:
    states = _data(FIXTURES / "clean").rule_states()
    assert states["ATT001"].state == PASSED and states["ATT001"].checks > 0
    assert states["RM001"].state == NOT_RUN  # --renderer none: the rendered rules were not evaluated


def test_a_chart_that_did_not_render_is_not_run_not_passed(corpus: Path) -> None:
    states = _data(corpus / "snapshot-2026-04-30", renderer="auto").rule_states()
    assert states["RM003"].state == NOT_RUN and "chart not rendered" in states["RM003"].reason
    assert states["RND002"].checks > 0  # the problem rules ran and reported why


def test_json_and_sarif_and_markdown_and_text_say_the_same(corpus: Path) -> None:
    root = str(corpus / "snapshot-2026-04-30")
    report = json.loads(run("lint", root, "--renderer", "none", "--format", "json").stdout)
    coverage = report["coverage"]
    assert coverage["by_rule"]["ATT001"]["state"] == "not applicable"
    rm001 = dict(coverage["by_rule"]["RM001"])
    assert rm001.pop("not_run") > 0  # one per release it would have rendered
    assert rm001 == {
        "state": "not run", "checks": 0, "findings": 0, "reason": "no renderer (--renderer none)",
    }  # fmt: skip
    assert coverage["rules"]["not applicable"] >= 12 and coverage["rules"]["not run"] >= 6
    assert coverage["scanned"]["clusters"] == 4 and coverage["scanned"]["renders"] == 0
    assert coverage["scanned"]["blueprints"] > 0 and coverage["scanned"]["helmreleases"] > 0
    sarif = json.loads(run("lint", root, "--renderer", "none", "--format", "sarif").stdout)["runs"][0]
    assert sarif["properties"]["complianceCoverage"] == coverage
    (note,) = sarif["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"].startswith("not run: RM001, RM002")
    text = run("lint", root, "--renderer", "none").stdout
    assert "4 clusters" in text and "not applicable" in text
    assert "not run (not passed): RM001" in text
    summary = markdown.render(_data(corpus / "snapshot-2026-04-30"))
    assert "12 not applicable" in summary and "**Not run** (not passed): RM001" in summary
    controls = re.sub(r"\[(\w+)\]\([^)]*\)", r"\1", summary[summary.index("<summary>Controls:") :])  # no links
    assert "- ➖ `EUAIA:Art.12` not applicable: AUD002 ➖" in controls
    assert "- ⏸️ `SOC2:CC6.6` not run: ADM001 ✅, RM004 ⏸️" in controls


def test_junit_reports_rules_applied_to_nothing_as_skipped(corpus: Path, tmp_path: Path) -> None:
    target = tmp_path / "junit.xml"
    run("lint", str(corpus / "snapshot-2026-04-30"), "--renderer", "none", "--format", f"junit:{target}")
    xml = JUnitXml.fromfile(str(target))
    cases = {case.name: case for suite in xml for case in suite}
    (skipped,) = cases["ATT001 (not applicable)"].result
    assert isinstance(skipped, Skipped) and "no gateway release" in (skipped.message or "")
    assert "RM001 (not run)" in cases and not any(name.startswith("ATT001 bp-") for name in cases)
    assert xml.skipped >= 18


def test_nothing_to_evaluate_is_an_error_unless_accepted(tmp_path: Path) -> None:
    """A folder of YAML with no blueprint, chart or cluster (the wrong folder) fails the gate: IO003 is an
    error, saying what was scanned; `--allow-empty` or the config's `allow-empty` make it an info."""
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "values.yaml").write_text("replicas: 2\n", encoding="utf-8")
    result = run("lint", str(tmp_path), "--renderer", "none", "--format", "json")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert [(f["rule"], f["severity"]) for f in report["findings"]] == [("IO003", "error")]
    assert "1 YAML file scanned" in report["findings"][0]["message"]
    assert report["coverage"]["scanned"] == {
        "files": 1, "blueprints": 0, "charts": 0, "clusters": 0, "helmreleases": 0, "renders": 0,
    }  # fmt: skip
    accepted = run("lint", str(tmp_path), "--renderer", "none", "--allow-empty", "--format", "json")
    assert accepted.returncode == 0
    assert [f["severity"] for f in json.loads(accepted.stdout)["findings"]] == ["info"]
    (tmp_path / ".compliance.yaml").write_text("options:\n  allow-empty: true\n", encoding="utf-8")
    configured = run("lint", str(tmp_path), "--renderer", "none")
    assert configured.returncode == 0 and "options.allow-empty: true" in configured.stdout  # a weakening, said
    assert "scanned 1 file, 0 blueprints, 0 charts, 0 clusters, 0 HelmReleases, 0 renders" in configured.stdout
    assert run("lint", str(tmp_path / "missing")).returncode == 2  # a wrong path: a usage error


def test_a_repository_with_blueprints_has_no_io003() -> None:
    result = run("lint", str(FIXTURES / "clean"), "--renderer", "none", "--select", "IO003")
    assert result.returncode == 0 and "0 findings" in result.stdout


def test_a_check_whose_values_are_unknown_is_not_run_not_passed(tmp_path: Path) -> None:
    """A release check whose verdict depends on a Flux variable nobody supplied says so through its context
    (`ReleaseContext.unknown`): that check is *not run: values unknown*, counted, never a pass."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", root)
    overlay = root / "clusters" / "acme" / "bootstrap-kit" / "80-newapi.yaml"
    edit(overlay, "version: 1.1.0", "version: ${NEWAPI_VERSION}")  # the chart version VER003 checks
    edit(overlay, "type: byok-passthrough", "type: ${BYOK_TYPE}")  # the channel type CHN001 checks
    data = _data(root)
    acme = data.rule_state("CHN001", "acme")  # the only gateway release there: not evaluated at all
    assert (acme.state, acme.checks, acme.not_run) == (NOT_RUN, 0, 1)
    assert acme.reason == "values unknown: channels[1].type depends on ${BYOK_TYPE}"
    assert data.rule_state("CHN001", "_template").state == PASSED  # its values are known there
    overall = data.rule_state("CHN001")
    assert (overall.state, overall.not_run) == (PASSED, 1) and "${BYOK_TYPE}" in overall.label
    version = data.rule_state("VER003", "acme")  # the other releases' pins were checked, bp-newapi's not
    assert (
        version.not_run == 1
        and version.reason == "values unknown: spec.chart.spec.version depends on ${NEWAPI_VERSION}"
    )
    assert ("VER003", "bp-newapi", "acme") not in data.evaluated and not data.findings
    clean = _data(FIXTURES / "clean")  # nothing unknown: nothing recorded as not run
    assert not any(state.not_run for rule, state in clean.rule_states().items() if not rule.startswith("R"))
    report = json.loads(run("lint", str(root), "--renderer", "none", "--format", "json").stdout)
    assert report["coverage"]["by_rule"]["CHN001"]["not_run"] == 1
    text = run("lint", str(root), "--renderer", "none").stdout
    assert "partly, CHN001: values unknown: channels[1].type depends on ${BYOK_TYPE}" in text
    page = tmp_path / "report.html"
    assert run("report", str(root), "--renderer", "none", "--output", str(page)).returncode == 0
    summary = re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8").split('id="by-rule"', 1)[1])
    assert "Some checks not run: CHN001 (1 check): values unknown: channels[1].type depends on ${BYOK_TYPE}" in summary


def test_a_rule_that_could_not_check_is_never_failed_by_it(tmp_path: Path) -> None:
    """The rules that used to say "could not be checked" as an info finding (AUP001, AUD002, ...) record the
    check as not run instead: no finding, no failed rule, no failed JUnit case; the reason names the variable."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", root)
    overlay = root / "clusters" / "acme" / "bootstrap-kit" / "80-newapi.yaml"
    edit(
        overlay,
        "    ingress:\n",
        "    aup:\n      enforcement: ${AUP_MODE}\n    audit:\n      retentionDays: ${DAYS}\n    ingress:\n",
    )
    select = ("AUP", "AUD")
    data = report_data(root, select=select)
    assert not data.findings
    aup = data.rule_state("AUP001", "acme")
    assert (aup.state, aup.checks, aup.not_run) == (NOT_RUN, 0, 1)
    assert aup.reason == (
        "values unknown: aup.enforcement depends on ${AUP_MODE} (a commercial channel is enabled: it must not be off)"
    )
    assert data.rule_state("AUD002", "acme").reason == "values unknown: audit.retentionDays depends on ${DAYS}"
    report = json.loads(run("lint", str(root), "--renderer", "none", "--select", "AUP,AUD", "--format", "json").stdout)
    assert report["summary"] == {"error": 0, "warning": 0, "info": 0}
    assert report["coverage"]["rules"]["failed"] == 0
    assert report["coverage"]["by_rule"]["AUP001"]["not_run"] == 1
    target = tmp_path / "junit.xml"
    args = ("--renderer", "none", "--select", "AUP,AUD", "--fail-on", "info", "--format", f"junit:{target}")
    assert run("lint", str(root), *args).returncode == 0  # not run is not a failure, even at --fail-on info
    assert JUnitXml.fromfile(str(target)).failures == 0
