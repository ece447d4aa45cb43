"""ATT/CHN/COM on fixtures/bad-attestation: ids, severities, exact locations, clusters."""

from __future__ import annotations

from tests.helpers import FIXTURES, brief, line_of, lint_fixture

FIXTURE = FIXTURES / "bad-attestation"
OVERLAY = "clusters/acme/bootstrap-kit/80-newapi.yaml"
VALUES = "platform/newapi/chart/values.yaml"


def test_every_attestation_defect_is_located_where_it_was_set() -> None:
    findings = lint_fixture("bad-attestation", select=("ATT", "CHN", "COM"))
    assert brief(findings) == sorted(
        [
            ("ATT001", "error", OVERLAY, line_of(FIXTURE / OVERLAY, "name: no-attestation"), "acme"),
            ("ATT002", "error", OVERLAY, line_of(FIXTURE / OVERLAY, "kind: trusted"), "acme"),
            (
                "ATT003",
                "error",
                OVERLAY,
                line_of(FIXTURE / OVERLAY, "kind: in-cluster", after="name: claude"),
                "acme",
            ),
            (
                "ATT004",
                "warning",
                OVERLAY,
                line_of(FIXTURE / OVERLAY, "endpoint: https://llm-api.example.com"),
                "acme",
            ),
            ("CHN001", "error", OVERLAY, line_of(FIXTURE / OVERLAY, "type: gemini"), "acme"),
            (
                "CHN001",
                "error",
                OVERLAY,
                line_of(FIXTURE / OVERLAY, "existingSecret: pooled-customer-keys"),
                "acme",
            ),
            ("CHN001", "error", OVERLAY, line_of(FIXTURE / OVERLAY, "name: gpt"), "acme"),
            ("COM001", "error", OVERLAY, line_of(FIXTURE / OVERLAY, 'accountId: ""'), "acme"),
            (
                "COM002",
                "error",
                OVERLAY,
                line_of(FIXTURE / OVERLAY, "attestation:", after="name: gpt"),
                "acme",
            ),
            # qwenPartner is enabled by the overlay, but its empty contract fields are chart defaults
            ("COM001", "error", VALUES, line_of(FIXTURE / VALUES, 'accountId: ""'), "acme"),
            ("COM002", "error", VALUES, line_of(FIXTURE / VALUES, 'contractRef: ""'), "acme"),
        ],
        key=lambda row: (row[2], row[3], row[0]),
    )


def test_trace_names_the_default_and_the_value_it_overrode() -> None:
    findings = lint_fixture("bad-attestation", select=("ATT003",))
    (finding,) = findings
    assert finding.value_path == "channels[2].attestation.kind"
    assert [step.role for step in finding.trace] == ["set"]  # a list item: the overlay list replaced the default
    com = [f for f in lint_fixture("bad-attestation", select=("COM001",)) if f.location.path == VALUES]
    assert com[0].value_path == "defaultChannels.qwenPartner.attestation.accountId"
    assert com[0].trace[0].location.path == VALUES


def test_disabled_channels_and_the_template_are_not_reported() -> None:
    findings = lint_fixture("bad-attestation", select=("ATT", "CHN", "COM"))
    assert all(f.cluster == "acme" for f in findings)
    assert not any("parked" in f.message for f in findings)


def test_clean_fixture_has_no_attestation_findings() -> None:
    assert lint_fixture("clean", select=("ATT", "CHN", "COM")) == []


def test_a_channel_type_that_is_not_a_string_does_not_crash_the_attestation_checks() -> None:
    # `type: [vllm]` once made ATT003/ATT004 look a list up in a dict: TypeError, "rule crashed"
    from compliance_rules.attestation import channel_problems
    from compliance_rules.gateway import Channel

    spec = {"type": ["vllm"], "endpoint": "https://llm.example.com", "attestation": {"kind": "in-cluster"}}
    problems = list(channel_problems([Channel(0, ("channels", 0), spec)], ("ATT003", "ATT004", "CHN001")))
    assert [(p.rule, p.keys) for p in problems] == [("ATT004", ("endpoint",)), ("CHN001", ("type",))]
