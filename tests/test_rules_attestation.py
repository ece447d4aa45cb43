"""ATT/CHN/COM on fixtures/bad-attestation: ids, severities, exact locations, clusters."""

from __future__ import annotations

from tests.helpers import FIXTURES, brief, lint_fixture

OVERLAY = "clusters/acme/bootstrap-kit/80-newapi.yaml"
VALUES = "platform/newapi/chart/values.yaml"


def line_of(rel: str, text: str, after: str = "") -> int:
    """1-based line of the first line containing `text` (after the first line containing `after`)."""
    lines = (FIXTURES / "bad-attestation" / rel).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and text in line) + 1


def test_every_attestation_defect_is_located_where_it_was_set() -> None:
    findings = lint_fixture("bad-attestation", select=("ATT", "CHN", "COM"))
    assert brief(findings) == sorted(
        [
            ("ATT001", "error", OVERLAY, line_of(OVERLAY, "name: no-attestation"), "acme"),
            ("ATT002", "error", OVERLAY, line_of(OVERLAY, "kind: trusted"), "acme"),
            (
                "ATT003",
                "error",
                OVERLAY,
                line_of(OVERLAY, "kind: in-cluster", after="name: claude"),
                "acme",
            ),
            (
                "ATT004",
                "warning",
                OVERLAY,
                line_of(OVERLAY, "endpoint: https://llm-api.example.com"),
                "acme",
            ),
            ("CHN001", "error", OVERLAY, line_of(OVERLAY, "type: gemini"), "acme"),
            (
                "CHN001",
                "error",
                OVERLAY,
                line_of(OVERLAY, "existingSecret: pooled-customer-keys"),
                "acme",
            ),
            ("CHN001", "error", OVERLAY, line_of(OVERLAY, "name: gpt"), "acme"),
            ("COM001", "error", OVERLAY, line_of(OVERLAY, 'accountId: ""'), "acme"),
            (
                "COM002",
                "error",
                OVERLAY,
                line_of(OVERLAY, "attestation:", after="name: gpt"),
                "acme",
            ),
            # qwenPartner is enabled by the overlay, but its empty contract fields are chart defaults
            ("COM001", "error", VALUES, line_of(VALUES, 'accountId: ""'), "acme"),
            ("COM002", "error", VALUES, line_of(VALUES, 'contractRef: ""'), "acme"),
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
