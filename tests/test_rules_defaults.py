"""DEF and ESO rules on fixtures/bad-defaults, bad-defaults-template and bad-defaults-chart."""

from __future__ import annotations

import pytest

from compliance.app.api import load_registry
from compliance.model.findings import Finding
from tests.helpers import brief, lint_fixture, only, overlay

SELECT = ("DEF", "ESO")
VALUES = "platform/newapi/chart/values.yaml"


EXPECTED = [
    ("DEF002", "error", overlay("_template"), 38, "_template"),
    ("ESO001", "error", overlay("epsilon"), 32, "epsilon"),
    ("ESO001", "info", overlay("gamma"), 31, "gamma"),
    ("DEF001", "error", overlay("gamma"), 35, "gamma"),
    ("DEF001", "error", VALUES, 13, "beta"),
    ("DEF001", "info", VALUES, 13, "delta"),
    ("ESO001", "error", VALUES, 53, "acme"),
]


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    return lint_fixture("bad-defaults", select=SELECT)


def test_bad_defaults_exact_findings(findings: list[Finding]) -> None:
    assert brief(findings) == EXPECTED


def test_clean_has_no_defaults_findings() -> None:
    assert brief(lint_fixture("clean", select=SELECT)) == []


def test_def001_chart_default_endpoint_located_in_values(findings: list[Finding]) -> None:
    beta = only(findings, "DEF001", "beta")  # the overlay only sets enabled: true
    assert (beta.location.path, beta.location.line) == (VALUES, 13)
    assert beta.value_path == "defaultChannels.vllm.endpoint"
    assert "render fails" in beta.message


def test_def001_string_false_is_truthy_and_located_at_overlay(findings: list[Finding]) -> None:
    gamma = only(findings, "DEF001", "gamma")
    assert (gamma.location.path, gamma.location.line) == (overlay("gamma"), 35)
    assert "string 'false'" in gamma.message


def test_def002_only_in_template(findings: list[Finding]) -> None:
    template = only(findings, "DEF002", "_template")
    assert template.severity.value == "error"
    assert "llm-api.omtd.bankdhofar.com" in template.message
    # acme enables the same third-party endpoint: not DEF002's business outside _template
    assert [f.cluster for f in findings if f.rule == "DEF002"] == ["_template"]


def test_eso001_not_in_template_but_in_real_clusters(findings: list[Finding]) -> None:
    # _template and acme both leave remoteRef.key at the chart's "": only acme is reported there
    errors = [f.cluster for f in findings if f.rule == "ESO001" and f.severity.value == "error"]
    assert errors == ["epsilon", "acme"]
    acme = only(findings, "ESO001", "acme")
    assert (acme.location.path, acme.location.line) == (VALUES, 53)
    # delta disables the ExternalSecret: nothing to supply
    assert not [f for f in findings if f.rule == "ESO001" and f.cluster == "delta"]


def test_eso001_string_enabled_is_truthy(findings: list[Finding]) -> None:
    epsilon = only(findings, "ESO001", "epsilon")
    assert "string 'no'" in epsilon.message
    assert epsilon.value_path == "catalystIntegration.externalSecret.remoteRef.key"


def test_unknown_values_never_give_errors_or_warnings(findings: list[Finding]) -> None:
    assert only(findings, "DEF001", "delta").severity.value == "info"
    assert "${SOVEREIGN_VLLM_ENABLED}" in only(findings, "DEF001", "delta").message
    eso = only(findings, "ESO001", "gamma")
    assert eso.severity.value == "info" and "${NEWAPI_ADMIN_TOKEN_PATH}" in eso.message


def test_def002_template_unknown_enabled_is_info_and_in_cluster_is_fine() -> None:
    found = lint_fixture("bad-defaults-template", select=SELECT)
    assert brief(found) == [("DEF002", "info", overlay("_template"), 38, "_template")]
    assert found[0].blueprint == "bp-newapi"
    assert "${SOVEREIGN_VLLM_ENABLED}" in found[0].message


def test_chart_defaults_context_gets_def001_but_not_eso001() -> None:
    found = lint_fixture("bad-defaults-chart", select=SELECT)
    assert brief(found) == [("DEF001", "error", VALUES, 15, None)]


def test_defaults_rules_are_documented() -> None:
    lint_fixture("clean", select=SELECT)  # loads the built-in pack
    for rule_id in ("DEF001", "DEF002", "ESO001"):
        spec = load_registry(entry_points=False).get(rule_id)
        assert spec is not None and spec.family == "defaults"
        sections = spec.sections()
        for heading in ("what it does", "why it matters", "example", "use instead", "how to fix"):
            assert sections.get(heading), (rule_id, heading)
