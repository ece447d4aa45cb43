"""DEF and ESO rules on fixtures/bad-defaults, bad-defaults-template and bad-defaults-chart."""

from __future__ import annotations

import pytest

from compliance.app.api import load_registry
from compliance.engine.coverage import NOT_RUN, PASSED
from compliance.model.findings import Finding
from tests.helpers import FIXTURES, brief, lint_fixture, only, overlay, report_data

SELECT = ("DEF", "ESO")
VALUES = "platform/newapi/chart/values.yaml"


EXPECTED = [
    ("DEF002", "error", overlay("_template"), 38, "_template"),
    ("ESO001", "error", overlay("epsilon"), 32, "epsilon"),
    ("DEF001", "error", overlay("gamma"), 35, "gamma"),
    ("DEF001", "error", VALUES, 13, "beta"),
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


def test_unknown_values_are_not_run_never_findings() -> None:
    """delta's vLLM channel is enabled by ${SOVEREIGN_VLLM_ENABLED}, gamma's OpenBao path is
    ${NEWAPI_ADMIN_TOKEN_PATH}, neither supplied: those checks are not run (with why), not findings,
    and the rule is failed only by the clusters where it found something."""
    data = report_data(FIXTURES / "bad-defaults", select=SELECT)
    assert not [f for f in data.findings if f.cluster == "delta" and f.rule == "DEF001"]
    assert not [f for f in data.findings if f.cluster == "gamma" and f.rule == "ESO001"]
    delta = data.rule_state("DEF001", "delta")
    assert (delta.state, delta.checks, delta.not_run) == (NOT_RUN, 0, 1)
    assert delta.reason == (
        "values unknown: defaultChannels.vllm.enabled depends on ${SOVEREIGN_VLLM_ENABLED}"
        " (the endpoint is empty: if it renders true, the render fails)"
    )
    gamma = data.rule_state("ESO001", "gamma")
    assert (gamma.state, gamma.not_run) == (NOT_RUN, 1)
    assert (
        gamma.reason
        == "values unknown: catalystIntegration.externalSecret.remoteRef.key depends on ${NEWAPI_ADMIN_TOKEN_PATH}"
    )
    overall = data.rule_state("ESO001")  # failed by epsilon and acme, gamma's check counted as not run
    assert (overall.findings, overall.not_run) == (2, 1) and "${NEWAPI_ADMIN_TOKEN_PATH}" in overall.label


def test_def002_template_unknown_enabled_is_not_run_and_in_cluster_is_fine() -> None:
    data = report_data(FIXTURES / "bad-defaults-template", select=SELECT)
    assert brief(list(data.findings)) == []
    template = data.rule_state("DEF002", "_template")  # applied to 81-newapi-internal (in-cluster): passed there
    assert (template.state, template.not_run) == (PASSED, 1)
    assert "${SOVEREIGN_VLLM_ENABLED}" in template.reason and "outside the cluster" in template.reason
    assert data.rule_state("DEF001").state == PASSED  # the same unknown cannot fail the render: endpoint is set


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
