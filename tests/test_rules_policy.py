"""AUP, AUD, BYK, RSL and ADM rules on fixtures/bad-policy (overlay headers say the scenario)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.app.api import load_registry
from compliance.engine.options import RuleOptions
from compliance.model.findings import Finding
from tests.helpers import brief, lint_fixture, not_run, only, overlay

SELECT = ("AUP", "AUD", "BYK", "RSL", "ADM")
RULES = ("AUP001", "AUD001", "AUD002", "BYK001", "RSL001", "ADM001")
VALUES = "platform/newapi/chart/values.yaml"


EXPECTED = [
    ("AUD002", "error", overlay("_template"), 35, "_template"),
    ("ADM001", "error", overlay("acme"), 31, "acme"),
    ("AUP001", "error", overlay("acme"), 33, "acme"),
    ("AUD001", "error", overlay("acme"), 35, "acme"),
    ("BYK001", "error", overlay("acme"), 38, "acme"),
    ("RSL001", "error", overlay("acme"), 40, "acme"),
    ("AUP001", "error", overlay("beta"), 41, "beta"),
    ("BYK001", "error", overlay("beta"), 46, "beta"),
    ("AUD002", "warning", VALUES, 42, "beta"),
]


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    return lint_fixture("bad-policy", select=SELECT)


def test_bad_policy_exact_findings(findings: list[Finding]) -> None:
    assert brief(findings) == EXPECTED


def test_clean_has_no_policy_findings() -> None:
    assert brief(lint_fixture("clean", select=SELECT)) == []


def test_aup001_unquoted_off_in_a_helmrelease_is_the_string_off(findings: list[Finding]) -> None:
    # kustomize types a HelmRelease with go-yaml v3: `enforcement: off` is the string "off", not false
    acme = only(findings, "AUP001", "acme")
    assert "boolean" not in acme.message and "'claude'" in acme.message
    assert acme.value_path == "aup.enforcement"
    beta = only(findings, "AUP001", "beta")  # quoted "off"; the commercial channel is qwenPartner
    assert beta.severity.value == "error" and "'qwen'" in beta.message


def test_no_commercial_channel_no_aup001_or_rsl001(findings: list[Finding]) -> None:
    # _template sets enforcement "off" and disclosureRequired false but routes to no channel
    rules = {f.rule for f in findings if f.cluster == "_template"}
    assert rules == {"AUD002"}
    # delta: the same with only non-commercial channels (in-cluster vLLM, BYOK) enabled
    assert [f for f in findings if f.cluster == "delta"] == []


def test_aud001_requires_disclosure(findings: list[Finding]) -> None:
    acme = only(findings, "AUD001", "acme")
    assert acme.severity.value == "error" and "promptContentDisclosure is missing" in acme.message
    # beta logs prompt content too, with a disclosure
    assert not [f for f in findings if f.rule == "AUD001" and f.cluster == "beta"]


def test_aud002_disabled_is_error_and_short_retention_is_warning(findings: list[Finding]) -> None:
    disabled = only(findings, "AUD002", "_template")
    assert disabled.severity.value == "error" and "audit.enabled is false" in disabled.message
    short = only(findings, "AUD002", "beta")
    assert short.severity.value == "warning" and "365" in short.message and "730" in short.message


def test_overlay_value_at_overlay_line_chart_default_in_values(findings: list[Finding]) -> None:
    disabled = only(findings, "AUD002", "_template")
    assert (disabled.location.path, disabled.location.line) == (overlay("_template"), 35)
    short = only(findings, "AUD002", "beta")
    assert (short.location.path, short.location.line) == (VALUES, 42)
    # acme overrides the chart's 365 with 730: no warning there
    assert not [f for f in findings if f.rule == "AUD002" and f.cluster == "acme"]


def test_aud002_uses_the_configured_minimum() -> None:
    options = RuleOptions({"min-audit-retention-days": 1000})
    found = lint_fixture("bad-policy", select=("AUD002",), rule_options=options)
    warnings = [(f.cluster, f.location.line) for f in found if f.severity.value == "warning"]
    assert warnings == [("acme", 36), ("delta", 45), ("beta", 42)]


def test_byk001_reports_unknown_scope(findings: list[Finding]) -> None:
    assert "'shared'" in only(findings, "BYK001", "acme").message
    assert "'no'" in only(findings, "BYK001", "beta").message  # `scope: no` in a HelmRelease: the string


def test_rsl001_with_commercial_channel(findings: list[Finding]) -> None:
    finding = only(findings, "RSL001", "acme")
    assert finding.severity.value == "error" and finding.value_path == "reseller.disclosureRequired"


def test_adm001_located_at_the_mode(findings: list[Finding]) -> None:
    finding = only(findings, "ADM001", "acme")
    assert finding.value_path == "auth.adminUI.mode" and "admin.acme.example" in finding.message
    # beta: masterKey but no adminHost -> nothing
    assert not [f for f in findings if f.rule == "ADM001" and f.cluster == "beta"]
    # _template: adminHost depends on ${SOVEREIGN_FQDN} -> not run, and why
    assert not [f for f in findings if f.rule == "ADM001" and f.cluster == "_template"]
    assert not_run("bad-policy", ("ADM001",))[("ADM001", "_template")] == (
        "values unknown: ingress.adminHost depends on ${SOVEREIGN_FQDN} "
        "(auth.adminUI.mode is masterKey: if it renders non-empty, the master-key admin UI is public)"
    )


def test_unknown_values_are_not_run_never_findings(findings: list[Finding]) -> None:
    """gamma sets every knob from a Flux variable nobody supplied: no finding, each check not run, saying why."""
    assert [f for f in findings if f.cluster == "gamma"] == []
    gamma = {rule: why for (rule, cluster), why in not_run("bad-policy", SELECT).items() if cluster == "gamma"}
    assert set(gamma) == set(RULES)
    assert gamma["AUP001"] == (
        "values unknown: aup.enforcement depends on ${AUP_ENFORCEMENT}"
        " (a commercial channel is enabled: it must not be off)"
    )
    assert gamma["AUD002"] == (
        "values unknown: audit.enabled depends on ${AUDIT_ENABLED}; "
        "values unknown: audit.retentionDays depends on ${AUDIT_RETENTION_DAYS}"
    )
    assert gamma["BYK001"] == "values unknown: byok.scope depends on ${BYOK_SCOPE}"


def test_policy_rules_skip_charts_without_the_knobs(tmp_path: Path) -> None:
    chart = tmp_path / "platform" / "app" / "chart"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text("replicas: 1\nmode: masterKey\nenforcement: off\n")
    assert lint_fixture(tmp_path, select=SELECT) == []


def test_policy_rules_are_documented() -> None:
    lint_fixture("clean", select=SELECT)  # loads the built-in pack
    for rule_id in RULES:
        spec = load_registry(entry_points=False).get(rule_id)
        assert spec is not None and spec.family == "policy"
        sections = spec.sections()
        for heading in ("what it does", "why it matters", "example", "use instead", "how to fix"):
            assert sections.get(heading), (rule_id, heading)
