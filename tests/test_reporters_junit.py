"""JUnit XML on fixtures/report-ci, read with junitparser: a case per rule x blueprint/cluster checked."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from junitparser import Failure, JUnitXml

from compliance.report import junit
from tests.helpers import FIXTURES, REPORT_CI_SELECT, position, report_data, run

FIXTURE = FIXTURES / "report-ci"
DAG = "scripts/expected-bootstrap-deps.yaml"
OVERLAY = "clusters/acme/bootstrap-kit/80-newapi.yaml"
VALUES = "platform/newapi/chart/values.yaml"


def read(path: Path = FIXTURE, fail_on: str = "error") -> tuple[JUnitXml, dict[str, list[Failure]]]:
    """The parsed report and every case's failures by case name."""
    data = replace(report_data(path, REPORT_CI_SELECT), fail_on=fail_on)
    xml = JUnitXml.fromstring(junit.render(data).encode("utf-8"))
    failures = {case.name: [r for r in case.result if isinstance(r, Failure)] for suite in xml for case in suite}
    return xml, failures


def test_one_case_per_rule_per_blueprint_and_cluster_that_was_checked() -> None:
    data = report_data(FIXTURE, REPORT_CI_SELECT)
    xml, failures = read()
    assert len(failures) == len(data.evaluated) == xml.tests
    assert [suite.name.split()[0] for suite in xml] == sorted({rule for rule, _, _ in data.evaluated})
    for suite in xml:
        assert suite.tests == len(list(suite)) and suite.failures == sum(1 for case in suite if not case.is_passed)
    # the clean cluster and the untouched blueprints pass every check they were given
    beta = [name for name in failures if name.endswith(" @ beta")]
    assert len(beta) == sum(1 for _, _, cluster in data.evaluated if cluster == "beta") > 0
    assert all(failures[name] == [] for name in beta)
    assert failures["ATT001 bp-newapi @ acme"] == [] and failures["CRD001 bp-newapi"] == []
    assert failures["DAG004 (repository)"] == []


def test_failures_carry_the_findings_with_file_and_line() -> None:
    xml, failures = read(fail_on="info")
    failed = sorted(name for name, results in failures.items() if results)
    assert failed == [
        "ATT003 bp-newapi @ acme",
        "ATT004 bp-newapi @ acme",
        "AUP001 bp-newapi @ acme",
        "COM001 bp-newapi @ _template",
        "COM001 bp-newapi @ acme",
        "COM002 bp-newapi @ _template",
        "COM002 bp-newapi @ acme",
        "DAG003 (repository)",
    ]
    assert xml.failures == len(failed) and xml.errors == 0
    (aup,) = failures["AUP001 bp-newapi @ acme"]
    assert aup.type == "error"
    assert aup.message.startswith("aup.enforcement is off while commercial channel 'qwen', 'claude'")
    line, column = position(FIXTURE / OVERLAY, '"off"')
    assert aup.text.startswith(f"fixtures/report-ci/{OVERLAY}:{line}:{column}: aup.enforcement is off")
    (com,) = failures["COM001 bp-newapi @ acme"]
    assert f"report-ci/{VALUES}:{position(FIXTURE / VALUES, 'accountId')[0]}:" in com.text
    (dag,) = failures["DAG003 (repository)"]
    assert dag.type == "info" and f"{DAG}:{position(FIXTURE / DAG, 'slot: 90')[0]}:" in dag.text
    case = next(case for suite in xml for case in suite if case.name == "ATT004 bp-newapi @ acme")
    assert case.classname == "compliance.attestation.ATT004"


def test_only_findings_at_or_above_fail_on_are_failures() -> None:
    """Under the default `--fail-on error`, the ATT004 warning and the DAG003 info are reported, not failed."""
    xml, failures = read()
    failed = sorted(name for name, results in failures.items() if results)
    assert "ATT004 bp-newapi @ acme" not in failed and "DAG003 (repository)" not in failed
    assert "AUP001 bp-newapi @ acme" in failed and xml.failures == len(failed) == 6
    cases = {case.name: case for suite in xml for case in suite}
    dag = cases["DAG003 (repository)"]
    assert dag.is_passed and f"{DAG}:{position(FIXTURE / DAG, 'slot: 90')[0]}:" in (dag.system_out or "")
    assert "below --fail-on error (reported, not failed)" in (dag.system_out or "")
    att004 = cases["ATT004 bp-newapi @ acme"]._elem
    properties = {p.get("name"): p.get("value") for p in att004.iter("property")}
    assert properties == {"findings": "1", "fail_on": "error"}
    _, never = read(fail_on="never")
    assert not any(never.values())


def test_junit_from_the_command_line_follows_fail_on(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    select = ",".join(REPORT_CI_SELECT)
    run("lint", str(FIXTURE), "--select", select, "--fail-on", "warning", "--format", f"junit:{report}")
    xml = JUnitXml.fromfile(str(report))
    failed = {case.name for suite in xml for case in suite if not case.is_passed}
    assert "ATT004 bp-newapi @ acme" in failed and "DAG003 (repository)" not in failed


def test_a_clean_repository_passes_every_case() -> None:
    xml, failures = read(FIXTURES / "clean")
    assert (
        xml.tests == len(failures) == len(report_data(FIXTURES / "clean", REPORT_CI_SELECT).evaluated)
        and xml.failures == 0
    )


def test_control_characters_from_yaml_cannot_break_the_xml(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE, repo)
    overlay = repo / OVERLAY
    overlay.write_text(overlay.read_text(encoding="utf-8").replace("tier:gold", "tier:gold\\a\\x1b[31m"))
    _, failures = read(repo)
    (att003,) = failures["ATT003 bp-newapi @ acme"]
    assert "tier:gold\ufffd\ufffd[31m" in att003.message
