"""The project config on fixtures/config*: every setting takes effect, the command line wins, bad files exit 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from compliance.app.api import LintRun, lint_project
from compliance.settings.config import SCHEMA, ConfigError, Overrides, load_settings
from tests.helpers import FIXTURES, ROOT, run, run_process

FIXTURE = FIXTURES / "config"
TEMPLATE = "clusters/_template/bootstrap-kit/80-newapi.yaml"
ACME = "clusters/acme/bootstrap-kit/80-newapi.yaml"
TODAY = "2026-05-01"


def lint(path: Path = FIXTURE, *args: str) -> tuple[int, dict[str, Any]]:
    result = run("lint", str(path), "--today", TODAY, "--format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def rules(report: dict[str, Any]) -> list[tuple[str, str, str, str | None]]:
    return [(f["rule"], f["severity"], f["path"], f["cluster"]) for f in report["findings"]]


def api(path: Path = FIXTURE, **overrides: Any) -> LintRun:
    from datetime import date

    return lint_project(str(path), Overrides(today=date.fromisoformat(TODAY), **overrides))


def empty_config(tmp_path: Path) -> str:
    path = tmp_path / "empty.yaml"
    path.write_text("# no settings\n")
    return str(path)


def test_the_fixture_config_shapes_the_run() -> None:
    code, report = lint()
    # required-card-fields adds `category`; keycloak has none (the other blueprints do)
    assert rules(report) == [("CRD001", "error", "platform/keycloak/blueprint.yaml", None)]
    assert code == 1
    # MARKETPLACE_ENABLED=true (variables) enables the partner channel; the central exceptions take its findings
    taken = [(s["finding"]["rule"], s["finding"]["cluster"], s["suppression"]["kind"]) for s in report["suppressed"]]
    assert taken == [
        ("COM001", "_template", "config"),
        ("COM002", "_template", "config"),
    ]
    com002 = report["suppressed"][1]["suppression"]
    assert com002 == {
        "kind": "config",
        "reason": "partner contract LEGAL-2026-040 is countersigned per cluster",
        "until": "2026-06-30",
        "owner": "legal-ops",
        "approver": None,
        "path": ".compliance.yaml",
        "line": 19,
        "column": 5,
    }


def test_without_the_config_the_defaults_apply(tmp_path: Path) -> None:
    _, report = lint(FIXTURE, "--config", empty_config(tmp_path))
    found = rules(report)
    assert not [f for f in found if f[0] in ("VER003", "FLX007")]  # acme pins the tree's chart: it is the one checked
    assert ("AUD002", "warning", ACME, "acme") in found  # 400 days: short of the default 730, default severity
    assert ("COM001", "error", "clusters/legacy/bootstrap-kit/80-newapi.yaml", "legacy") in found  # not excluded
    assert not [f for f in found if f[0] == "CRD001"]  # category is not required by default
    assert not [f for f in found if f[3] == "_template"]  # MARKETPLACE_ENABLED defaults to false


def test_exclude_keeps_files_out_of_the_repository() -> None:
    result = api()
    paths = [f.path for f in result.repo.files]
    assert not [p for p in paths if p.startswith("clusters/legacy/")]
    assert ".compliance.yaml" not in paths  # the config is not input
    assert "legacy" not in {c.name for c in result.repo.clusters}


def test_severity_override_and_rule_options() -> None:
    short = api(variables={"AUDIT_RETENTION_DAYS": "300"})
    (aud002,) = [f for f in short.findings if f.rule == "AUD002"]
    assert (aud002.severity.value, aud002.cluster) == ("error", "acme")  # warning by default, error by config
    assert "minimum retention of 365 days" in aud002.message  # options.min-audit-retention-days
    assert not [f for f in api(variables={"AUDIT_RETENTION_DAYS": "365"}).findings if f.rule == "AUD002"]


def test_command_line_beats_the_config() -> None:
    # --var beats variables: the partner channel is off, so both exceptions match nothing
    _, report = lint(FIXTURE, "--var", "MARKETPLACE_ENABLED=false")
    unused = [(f["rule"], f["severity"], f["path"], f["line"]) for f in report["findings"] if f["rule"] == "SUP003"]
    assert unused == [("SUP003", "warning", ".compliance.yaml", 15), ("SUP003", "warning", ".compliance.yaml", 19)]
    # --select/--ignore replace the config's lists: AUD002 (an error by the config's severity) fails the run ...
    short = ("--var", "AUDIT_RETENTION_DAYS=300", "--ignore", "CRD", "--select", "AUD")
    code, report = lint(FIXTURE, *short)
    assert rules(report) == [("AUD002", "error", ACME, "acme")] and code == 1
    # ... unless --fail-on says otherwise
    assert lint(FIXTURE, *short, "--fail-on", "never")[0] == 0


def test_an_expired_central_exception_is_sup002_and_its_finding_returns() -> None:
    result = run("lint", str(FIXTURE), "--today", "2026-07-01", "--format", "json")
    report = json.loads(result.stdout)
    assert [(f["rule"], f["path"], f["line"]) for f in report["findings"] if f["rule"].startswith("SUP")] == [
        ("SUP002", ".compliance.yaml", 19)
    ]
    assert ("COM002", "error", TEMPLATE, "_template") in rules(report)
    assert [s["finding"]["rule"] for s in report["suppressed"]] == ["COM001"]


def test_central_exceptions_with_unknown_rules_or_no_match(tmp_path: Path) -> None:
    config = tmp_path / "stale.yaml"
    config.write_text(
        "exceptions:\n"
        "  - rule: COM02\n"
        "    reason: typo in the rule id\n"
        "  - rule: GEO002\n"
        "    cluster: acme\n"
        "    reason: no relaxation any more\n"
    )
    result = run("lint", str(FIXTURE), "--config", str(config), "--today", TODAY, "--format", "json")
    found = [(f["rule"], f["line"], f["message"]) for f in json.loads(result.stdout)["findings"]]
    assert (
        "SUP004",
        2,
        "exception for COM02: unknown rule id COM02 (did you mean COM002?) (see `compliance rules`)",
    ) in found
    assert ("SUP003", 4, "exception for GEO002: no GEO002 finding for cluster acme; remove it") in found


def test_invalid_config_is_exit_2_with_every_problem_located() -> None:
    result = run_process("lint", str(FIXTURES / "config-invalid"))
    assert result.returncode == 2 and result.stdout == ""
    assert "Traceback" not in result.stderr
    name = f"{FIXTURES / 'config-invalid' / '.compliance.yaml'}"
    expected = [
        ":2:1: select: 'ATT' is not of type 'array'",
        ":3:1: fail_on: unknown key 'fail_on' (expected one of: chart-cache, exceptions, exclude, fail-on,",
        ":5:3: severity.AUD002: 'critical' is not one of ['error', 'warning', 'info']",
        ":7:3: options.min-audit-retention-days: 'a year' is not of type 'integer'",
        ":8:3: options.sanctioned-regions: unknown key 'sanctioned-regions'",
        ":11:5: exceptions[0].reason: must not be empty",
        ":12:5: exceptions[0].until: '2026-02-30' is not a date",
        ":13:5: exceptions[1]: 'reason' is a required property",
        ":14:5: exceptions[1].until: '30.06.2026' is not a date (expected YYYY-MM-DD)",
    ]
    lines = result.stderr.removeprefix("compliance: error: ").splitlines()
    assert len(lines) == len(expected)
    for line, tail in zip(lines, expected, strict=True):
        assert line.startswith(name + tail), line


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("select: [ATT, NOPE]\n", ".compliance.yaml:1:15: select: unknown rule id or prefix 'NOPE'"),
        ("severity:\n  XYZ001: error\n", ".compliance.yaml:2:3: severity: unknown rule id 'XYZ001'"),
        ("fail-on: [warning\n", ".compliance.yaml:2:1: "),
        ("select: [ATT]\nselect: [COM]\n", ".compliance.yaml:2:1: duplicate key 'select'"),
        ("- select\n", ".compliance.yaml:1:1: the configuration must be a mapping of settings"),
    ],
)
def test_config_errors_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".compliance.yaml").write_text(text)
    result = run("lint", str(repo))
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    assert message in result.stderr, result.stderr


def test_missing_config_file_is_exit_2() -> None:
    result = run("lint", str(FIXTURE), "--config", "/nonexistent/compliance.yaml")
    assert result.returncode == 2 and "no such file" in result.stderr


def test_pyproject_tool_compliance_table() -> None:
    fixture = FIXTURES / "config-toml"
    code, report = lint(fixture)
    assert (code, report["findings"], [s["finding"]["rule"] for s in report["suppressed"]]) == (0, [], ["CRD001"])
    suppression = report["suppressed"][0]["suppression"]
    assert (suppression["kind"], suppression["until"], suppression["owner"], suppression["line"]) == (
        "config",
        "2026-06-30",
        "catalog-team",
        12,
    )
    expired = json.loads(run("lint", str(fixture), "--today", "2026-07-01", "--format", "json").stdout)
    assert [(f["rule"], f["path"], f["line"]) for f in expired["findings"]] == [
        ("CRD001", "platform/demo/blueprint.yaml", 7),
        ("SUP002", "pyproject.toml", 12),
    ]
    settings = load_settings(str(fixture))
    assert settings.fail_on == "warning" and settings.exclude == ("drafts",)
    assert settings.sources["fail-on"] == f"{fixture / 'pyproject.toml'}:6:1"


def test_toml_errors_are_exit_2(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.compliance]\nfail-on = "sometimes"\n')
    result = run("lint", str(tmp_path))
    assert result.returncode == 2
    assert "pyproject.toml:2:1: fail-on: 'sometimes' is not one of" in result.stderr
    (tmp_path / "pyproject.toml").write_text("[tool.compliance\n")
    assert run("lint", str(tmp_path)).returncode == 2
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')  # no table: no config
    assert run("lint", str(tmp_path), "--allow-empty").returncode == 0


def test_config_command_prints_effective_settings_and_their_sources() -> None:
    result = run("config", str(FIXTURE.relative_to(ROOT)), "--fail-on", "error", "--var", "MARKETPLACE_ENABLED=false")
    assert result.returncode == 0, result.stderr
    shown = {line.split(":", 1)[0].strip(): line for line in result.stdout.splitlines() if not line.startswith("#")}
    assert shown["fail-on"] == "fail-on: error  # command line"
    assert shown["ignore"] == 'ignore: ["VER003"]  # fixtures/config/.compliance.yaml:2:1'
    assert shown["select"] == "select: []  # default"
    assert shown["MARKETPLACE_ENABLED"] == '  MARKETPLACE_ENABLED: "<redacted>"  # command line'  # may be a secret
    public = run("config", str(FIXTURE), "--var", "MARKETPLACE_ENABLED=false", "--public-var", "MARKETPLACE_ENABLED")
    assert '  MARKETPLACE_ENABLED: "false"  # command line' in public.stdout
    assert shown["LLM_PARTNER_BASE_URL"].endswith("# fixtures/config/.compliance.yaml:10:3")
    assert shown["min-audit-retention-days"].endswith("365  # fixtures/config/.compliance.yaml:12:3")
    assert shown["sanctioned-baseline"].endswith("# default")
    assert shown["today"].endswith("# default (today's date, UTC)")
    assert run("config", str(FIXTURES / "config-invalid")).returncode == 2


def test_the_schema_is_valid_and_the_fast_validator_agrees_with_jsonschema() -> None:
    from jsonschema import Draft202012Validator

    from compliance.schema.check import fast_validator
    from compliance.settings.config import _read_yaml

    Draft202012Validator.check_schema(SCHEMA)
    fast = fast_validator(SCHEMA)
    assert fast is not None
    for name in ("config", "config-invalid"):
        data = _read_yaml("x", (FIXTURES / name / ".compliance.yaml").read_bytes()).data

        def errors(validator: Any, data: Any = data) -> set[tuple[tuple[Any, ...], str]]:
            return {(tuple(e.absolute_path), e.validator) for e in validator.iter_errors(data)}

        assert errors(fast) == errors(Draft202012Validator(SCHEMA))


def test_settings_reject_unknown_ids_only_with_a_registry(tmp_path: Path) -> None:
    (tmp_path / ".compliance.yaml").write_text("severity:\n  ORG001: warning\n")
    assert load_settings(str(tmp_path)).severity["ORG001"].value == "warning"  # plugin ids are unknown here
    with pytest.raises(ConfigError, match="unknown rule id 'ORG001'"):
        load_settings(str(tmp_path), rule_ids={"ATT001"})


def test_the_config_file_can_be_anywhere_with_config(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE, repo)
    moved = tmp_path / "ci-compliance.yaml"
    (repo / ".compliance.yaml").rename(moved)
    result = run("lint", str(repo), "--config", str(moved), "--today", TODAY, "--format", "json")
    report = json.loads(result.stdout)
    assert rules(report) == [("CRD001", "error", "platform/keycloak/blueprint.yaml", None)]
    assert report["suppressed"][0]["suppression"]["path"] == "../ci-compliance.yaml"
