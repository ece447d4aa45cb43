"""GEO rules on fixtures/bad-geo (see the comment at the top of each overlay for its scenario)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.app.api import load_registry
from compliance.engine.options import RuleOptions
from compliance.model.findings import Finding
from tests.helpers import brief, lint_fixture, not_run, only, overlay

SELECT = ("GEO",)
VALUES = "platform/newapi/chart/values.yaml"


EXPECTED = [
    ("GEO001", "error", overlay("acme"), 46, "acme"),
    ("GEO002", "error", overlay("relaxed-bare"), 44, "relaxed-bare"),
    ("GEO002", "info", overlay("relaxed-justified"), 44, "relaxed-justified"),
    ("GEO001", "warning", VALUES, 31, "_template"),
    ("GEO001", "error", VALUES, 31, "relax-string"),
    ("GEO001", "warning", VALUES, 31, "unknown-channel"),
]


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    return lint_fixture("bad-geo", select=SELECT)


def test_bad_geo_exact_findings(findings: list[Finding]) -> None:
    assert brief(findings) == EXPECTED


def test_clean_has_no_geo_findings() -> None:
    assert brief(lint_fixture("clean", select=SELECT)) == []


def test_geo001_error_with_commercial_channel_names_missing_regions(
    findings: list[Finding],
) -> None:
    finding = only(findings, "GEO001", "acme")
    assert finding.severity.value == "error"
    assert "CU, RU-occupied-UA" in finding.message
    assert "'claude'" in finding.message
    assert finding.value_path == "geo.sanctionedRegions.block"
    assert finding.blueprint == "bp-newapi"


def test_geo001_warning_without_commercial_channel(findings: list[Finding]) -> None:
    finding = only(findings, "GEO001", "_template")
    assert finding.severity.value == "warning"
    assert "CU" in finding.message and "RU-occupied-UA" not in finding.message


def test_geo001_boolean_no_does_not_count_but_extra_no_is_fine(findings: list[Finding]) -> None:
    # values.yaml: NO replaced CU -> a boolean, so CU is missing (and the message says why)
    assert "boolean" in only(findings, "GEO001", "_template").message
    # extra-no: the full baseline plus an unquoted NO still contains the baseline
    assert [f for f in findings if f.cluster == "extra-no"] == []


def test_geo001_overlay_value_located_at_overlay_and_default_in_values(
    findings: list[Finding],
) -> None:
    acme = only(findings, "GEO001", "acme")
    assert (acme.location.path, acme.location.line) == (overlay("acme"), 46)
    template = only(findings, "GEO001", "_template")
    assert (template.location.path, template.location.line) == (VALUES, 31)
    assert template.trace and template.trace[0].location.path == VALUES


def test_geo001_string_true_is_not_a_relaxation(findings: list[Finding]) -> None:
    finding = only(findings, "GEO001", "relax-string")
    assert finding.severity.value == "error"
    assert "string 'true'" in finding.message
    assert not [f for f in findings if f.rule == "GEO002" and f.cluster == "relax-string"]


def test_geo001_unknown_commercial_channel_keeps_a_warning(findings: list[Finding]) -> None:
    assert only(findings, "GEO001", "unknown-channel").severity.value == "warning"


def test_unknown_values_are_not_run_never_findings(findings: list[Finding]) -> None:
    assert not [f for f in findings if f.cluster in ("unknown-region", "unknown-relax")]
    assert not_run("bad-geo", SELECT) == {
        ("GEO001", "unknown-region"): "values unknown: geo.sanctionedRegions.block[4] depends on "
        "${EXTRA_BLOCKED_REGION} (the list lacks RU-occupied-UA unless it is this item)",
        ("GEO001", "unknown-relax"): "values unknown: geo.sanctionedRegions.allowRelaxation depends on "
        "${GEO_ALLOW_RELAXATION} (the block list lacks KP, SY, CU, RU-occupied-UA)",
        ("GEO002", "unknown-relax"): "values unknown: geo.sanctionedRegions.allowRelaxation depends on "
        "${GEO_ALLOW_RELAXATION} (no justification is recorded: if it renders true, the relaxation is unjustified)",
    }


def test_geo002_error_without_justification_info_with_one(findings: list[Finding]) -> None:
    bare = only(findings, "GEO002", "relaxed-bare")
    assert bare.severity.value == "error" and "justification is empty" in bare.message
    justified = only(findings, "GEO002", "relaxed-justified")
    assert justified.severity.value == "info" and "LEGAL-2026-031" in justified.message
    # a relaxation switches GEO001 off, even with a commercial channel
    assert not [f for f in findings if f.rule == "GEO001" and (f.cluster or "").startswith("relaxed")]


def test_geo001_uses_the_configured_baseline() -> None:
    options = RuleOptions({"sanctioned-baseline": ("IR", "KP")})
    assert lint_fixture("bad-geo", select=("GEO001",), rule_options=options) == []
    reasons = not_run("bad-geo", ("GEO001",), rule_options=options)  # the smaller baseline: only KP is lacking
    assert reasons[("GEO001", "unknown-relax")].endswith("(the block list lacks KP)")
    assert ("GEO001", "unknown-region") not in reasons  # IR and KP are listed: checked, whatever the variable


def _gateway(tmp_path: Path, values: str) -> Path:
    chart = tmp_path / "platform" / "gw" / "chart"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: gw\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text(values)
    return tmp_path


def test_geo001_missing_block_located_at_enclosing_mapping(tmp_path: Path) -> None:
    root = _gateway(tmp_path, "channels: []\ngeo:\n  sanctionedRegions:\n    allowRelaxation: false\n")
    found = lint_fixture(root, select=SELECT)
    values = "platform/gw/chart/values.yaml"
    assert brief(found) == [("GEO001", "warning", values, 3, None)]
    assert "not set" in found[0].message


def test_geo_rules_skip_charts_without_the_knob(tmp_path: Path) -> None:
    root = _gateway(tmp_path, "replicas: 1\nregions: [IR]\n")
    assert lint_fixture(root, select=SELECT) == []


def test_geo_rules_are_documented() -> None:
    lint_fixture("clean", select=SELECT)  # loads the built-in pack
    for rule_id in ("GEO001", "GEO002"):
        spec = load_registry(entry_points=False).get(rule_id)
        assert spec is not None and spec.family == "geo"
        sections = spec.sections()
        for heading in ("what it does", "why it matters", "example", "use instead", "how to fix"):
            assert sections.get(heading), (rule_id, heading)
