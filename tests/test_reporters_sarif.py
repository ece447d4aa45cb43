"""SARIF on fixtures/report-ci: valid against the OASIS schema, located exactly, traced, fingerprinted."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
from jsonschema.validators import validator_for

from compliance.report import common, sarif
from tests.helpers import FIXTURES, REPORT_CI_SELECT, ROOT, position, report_data

FIXTURE = FIXTURES / "report-ci"
OVERLAY = "clusters/acme/bootstrap-kit/80-newapi.yaml"
TEMPLATE = "clusters/_template/bootstrap-kit/80-newapi.yaml"
VALUES = "platform/newapi/chart/values.yaml"
DAG = "scripts/expected-bootstrap-deps.yaml"


def render(path: Path = FIXTURE) -> dict[str, Any]:
    return json.loads(sarif.render(report_data(path, REPORT_CI_SELECT)))


def validate(log: dict[str, Any], schema: dict[str, Any]) -> None:
    validator_class = validator_for(schema)
    assert "uri" in validator_class.FORMAT_CHECKER.checkers, "install rfc3986-validator so URIs are checked"
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]
    assert errors == []


def resolve(run: dict[str, Any], physical: dict[str, Any]) -> Path:
    artifact = physical["artifactLocation"]
    base = run["originalUriBaseIds"][artifact["uriBaseId"]]["uri"]
    return Path(unquote(urlparse(base).path)) / unquote(artifact["uri"])


def where(run: dict[str, Any], physical: dict[str, Any], root: Path = FIXTURE) -> tuple[str, int, int]:
    region = physical["region"]
    return resolve(run, physical).relative_to(root).as_posix(), region["startLine"], region["startColumn"]


def test_output_is_valid_sarif_2_1_0(sarif_schema: dict[str, Any]) -> None:
    log = render()
    validate(log, sarif_schema)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    validate(render(FIXTURES / "clean"), sarif_schema)


def test_every_rule_is_described_with_its_documentation() -> None:
    (run,) = render()["runs"]
    rules = run["tool"]["driver"]["rules"]
    data = report_data(FIXTURE, REPORT_CI_SELECT)
    assert [r["id"] for r in rules] == [spec.id for spec in data.rules]
    att003 = next(r for r in rules if r["id"] == "ATT003")
    assert att003["name"] == "AttestationKindDoesNotFitTheChannelType"
    assert att003["shortDescription"]["text"] == "Attestation kind does not fit the channel type"
    assert "\n" not in att003["fullDescription"]["text"] and att003["fullDescription"]["text"]
    for heading in ("## What it does", "## Why it matters", "## How to fix"):
        assert heading in att003["help"]["markdown"] and heading in att003["help"]["text"]
    assert att003["defaultConfiguration"] == {"level": "error"}
    assert att003["properties"]["family"] == "attestation" and "attestation" in att003["properties"]["tags"]
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in rules}
    assert (levels["ATT004"], levels["DAG003"]) == ("warning", "note")
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_results_point_at_the_exact_place_in_the_fixture() -> None:
    (run,) = render()["runs"]
    located = [
        (r["ruleId"], r["level"], r["properties"]["cluster"], *where(run, r["locations"][0]["physicalLocation"]))
        for r in run["results"]
    ]
    assert located == [
        ("COM001", "error", "_template", TEMPLATE, *position(FIXTURE / TEMPLATE, "${LLM_PARTNER_ACCOUNT_ID:-}")),
        ("COM002", "error", "_template", TEMPLATE, *position(FIXTURE / TEMPLATE, "${LLM_PARTNER_CONTRACT_REF:-}")),
        ("ATT003", "error", "acme", OVERLAY, *position(FIXTURE / OVERLAY, "in-cluster", after="eu|partner")),
        ("ATT004", "warning", "acme", OVERLAY, *position(FIXTURE / OVERLAY, "https://llm.partner", after="vllm:")),
        ("AUP001", "error", "acme", OVERLAY, *position(FIXTURE / OVERLAY, '"off"')),
        ("COM001", "error", "acme", VALUES, *position(FIXTURE / VALUES, '""', after="accountId")),
        ("COM002", "error", "acme", VALUES, *position(FIXTURE / VALUES, '""', after="contractRef")),
        ("DAG003", "note", None, DAG, *position(FIXTURE / DAG, "slot: 90")),
    ]
    aup = run["results"][4]
    assert aup["properties"] == {"cluster": "acme", "blueprint": "bp-newapi", "valuePath": "aup.enforcement"}
    assert aup["message"]["text"] == "aup.enforcement is off while commercial channel 'qwen', 'claude', " + (
        "'eu|partner <b>50%</b>, tier:gold\n::error::injected' is enabled (cluster acme)"
    )


def test_related_locations_follow_the_value_from_the_overlay_back_to_values_yaml() -> None:
    (run,) = render()["runs"]
    aup = next(r for r in run["results"] if r["ruleId"] == "AUP001")
    related = [(r["id"], r["message"]["text"], *where(run, r["physicalLocation"])) for r in aup["relatedLocations"]]
    assert related == [
        (1, "set to 'off'", OVERLAY, *position(FIXTURE / OVERLAY, '"off"')),
        (2, "overrode 'provider-strictest'", VALUES, *position(FIXTURE / VALUES, '"provider-strictest"')),
    ]
    dag = next(r for r in run["results"] if r["ruleId"] == "DAG003")
    assert "relatedLocations" not in dag


def test_fingerprints_survive_unrelated_edits_and_tell_clusters_apart(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE, repo)
    before = render(repo)["runs"][0]["results"]
    overlay = repo / OVERLAY
    overlay.write_text("# reviewed 2026-05\n# owner: platform team\n" + overlay.read_text(encoding="utf-8"))
    after = render(repo)["runs"][0]["results"]

    def key(result: dict[str, Any]) -> tuple[str, ...]:
        return (
            result["ruleId"],
            result["properties"]["cluster"] or "",
            result["partialFingerprints"][sarif.FINGERPRINT_KEY],
        )

    moved = [r for r in after if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(OVERLAY)]
    assert moved and all(r["locations"][0]["physicalLocation"]["region"]["startLine"] > 2 for r in moved)
    assert sorted(map(key, before)) == sorted(map(key, after))
    fingerprints = {key(r)[2] for r in before}
    assert len(fingerprints) == len(before)  # COM001 for acme and for _template are different alerts


def test_paths_are_relative_to_the_enclosing_git_checkout(tmp_path: Path, sarif_schema: dict[str, Any]) -> None:
    checkout = tmp_path / "checkout dir"
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    shutil.copytree(FIXTURE, checkout / "deploy")
    (run,) = render(checkout / "deploy")["runs"]
    validate({"version": "2.1.0", "runs": [run]}, sarif_schema)
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == checkout.as_uri() + "/"
    first = run["results"][0]["locations"][0]["physicalLocation"]
    assert first["artifactLocation"] == {"uri": f"deploy/{TEMPLATE}", "uriBaseId": "%SRCROOT%"}
    assert resolve(run, first) == checkout / "deploy" / TEMPLATE


def test_help_uri_when_the_package_declares_its_documentation(
    monkeypatch: pytest.MonkeyPatch, sarif_schema: dict[str, Any]
) -> None:
    monkeypatch.setattr(sarif, "docs_base", lambda: None)
    (run,) = render()["runs"]
    assert all("helpUri" not in rule for rule in run["tool"]["driver"]["rules"])  # a relative helpUri is invalid
    monkeypatch.setattr(sarif, "docs_base", lambda: "https://docs.example.org/compliance/")
    log = render()
    validate(log, sarif_schema)
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["ATT003"]["helpUri"] == "https://docs.example.org/compliance/docs/rules/attestation.md#att003"
    assert common.rule_doc(report_data(FIXTURE, REPORT_CI_SELECT).rules[0], None) == "docs/rules/attestation.md#att001"


def test_urls_come_from_the_project_urls_in_pyproject(sarif_schema: dict[str, Any]) -> None:
    """`[project.urls]` is the one place the URLs are written: the installed metadata carries them to SARIF."""
    import tomllib

    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    assert {"Homepage", "Documentation", "Source"} <= set(urls)
    log = render()
    validate(log, sarif_schema)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == urls["Homepage"]
    rules = {rule["id"]: rule for rule in driver["rules"]}
    base = urls["Documentation"].rstrip("/") + "/"
    assert rules["ATT003"]["helpUri"] == base + "docs/rules/attestation.md#att003"
    assert all(rule["helpUri"].startswith("https://") for rule in driver["rules"] if "helpUri" in rule)


def test_a_fork_or_mirror_overrides_the_urls_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, sarif_schema: dict[str, Any]
) -> None:
    """COMPLIANCE_DOCS_URL (and COMPLIANCE_HOME_URL) replace `[project.urls]` in every link the outputs build:
    SARIF's helpUri and informationUri and the Markdown summary's rule links, from the one place."""
    mirror = "https://git.internal.example/mirror/compliance/-/blob/main"
    monkeypatch.setenv("COMPLIANCE_DOCS_URL", mirror)
    log = render()
    validate(log, sarif_schema)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == mirror  # the docs' base, when no home page is given
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert rules["ATT003"]["helpUri"] == mirror + "/docs/rules/attestation.md#att003"
    from compliance.report import markdown

    assert f"]({mirror}/docs/rules/attestation.md#" in markdown.render(report_data(FIXTURE, REPORT_CI_SELECT))
    monkeypatch.setenv("COMPLIANCE_HOME_URL", "https://compliance.internal.example/")
    assert render()["runs"][0]["tool"]["driver"]["informationUri"] == "https://compliance.internal.example/"


@pytest.mark.parametrize(
    "value", ["docs.example.org/compliance", "https://user:token@docs.example.org/", "https://x.example/a b", "ftp://x"]
)
def test_an_override_that_is_not_a_plain_absolute_url_is_a_usage_error(value: str) -> None:
    from tests.helpers import run

    result = run("lint", str(FIXTURE), "--format", "sarif", env={"COMPLIANCE_DOCS_URL": value})
    assert result.returncode == 2
    assert "COMPLIANCE_DOCS_URL is not an absolute http(s) URL" in result.stdout + result.stderr
    assert "token" not in result.stdout + result.stderr  # a credential in it is never echoed
