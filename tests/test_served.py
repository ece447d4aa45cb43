"""When a chart renders, the rendered output is the truth about channels (RM007, issue 13): a channel the chart
drops is one "configured but not served" warning instead of the values errors about a channel that never ships;
a channel it serves keeps them; without a render nothing changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compliance.model.findings import Finding
from tests.helpers import FIXTURES, brief, cache_archive, line_of, lint_fixture, overlay

pytest.importorskip("helm_python", reason="the SDK back end needs the helm extra (helm-python-sdk)")

FIXTURE = FIXTURES / "render-served"
CHANNEL_RULES = ("ATT", "CHN", "COM", "RM")
VALUES = "platform/gateway/chart/values.yaml"
PARTNER = "defaultChannels.qwenPartner"


def about_partner(findings: list[Finding], cluster: str) -> list[tuple[str, str]]:
    """(rule, severity) of the findings on the partner channel's values in `cluster`."""
    return sorted(
        (f.rule, f.severity.value) for f in findings if f.cluster == cluster and f.value_path.startswith(PARTNER)
    )


def test_a_dropped_channel_is_one_warning_where_it_is_configured() -> None:
    findings = lint_fixture(FIXTURE, select=CHANNEL_RULES, renderer="sdk")
    assert about_partner(findings, "dropped") == [("RM007", "warning")]
    (warning,) = [f for f in findings if f.rule == "RM007"]
    assert (warning.location.path, warning.location.line) == (
        overlay("dropped", "80-gateway.yaml"),
        line_of(FIXTURE / overlay("dropped", "80-gateway.yaml"), "qwenPartner:"),
    )
    assert warning.value_path == PARTNER
    assert warning.message.startswith(
        "channel 'qwen' is configured but not served: the chart drops it because its attestation is incomplete "
        "(no accountId, no contractRef); CHN001, COM001 and COM002 on its values describe a channel that never ships"
    )
    assert "ConfigMap gateway/gateway-config" in warning.message
    # the other channels of that release are served: the operator's `qwen` (type vllm, the partner's name) is not
    # mistaken for the partner (RM006 says nothing), and `claude`'s missing contractRef still ships: COM002 stands
    others = [(f.rule, f.value_path) for f in findings if f.cluster == "dropped" and f not in (warning,)]
    assert others == [("COM002", "channels[1].attestation.contractRef")]


def test_a_served_channel_keeps_its_values_errors() -> None:
    findings = lint_fixture(FIXTURE, select=CHANNEL_RULES, renderer="sdk")
    assert brief([f for f in findings if f.cluster == "served"]) == [
        ("CHN001", "error", VALUES, line_of(FIXTURE / VALUES, "endpoint:"), "served")
    ]


def test_without_a_render_the_values_errors_stand() -> None:
    findings = lint_fixture(FIXTURE, select=CHANNEL_RULES, renderer="none")
    assert about_partner(findings, "dropped") == [("CHN001", "error"), ("COM001", "error"), ("COM002", "error")]
    assert not [f for f in findings if f.rule == "RM007"]


def test_without_rm007_selected_nothing_is_superseded() -> None:
    """The warning replaces the errors only when it is reported: ignoring it never hides them."""
    findings = lint_fixture(FIXTURE, select=CHANNEL_RULES, ignore=("RM007",), renderer="sdk")
    assert about_partner(findings, "dropped") == [
        ("CHN001", "error"),
        ("COM001", "error"),
        ("COM002", "error"),
        ("RM006", "warning"),
    ]


def test_a_failed_render_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    (root / "platform/gateway/chart/templates/fail.yaml").write_text('{{ fail "no gateway without a database" }}\n')
    findings = lint_fixture(root, select=(*CHANNEL_RULES, "RND"), renderer="sdk")
    assert {f.rule for f in findings if f.cluster == "dropped" and f.rule.startswith("RND")} == {"RND001"}
    assert about_partner(findings, "dropped") == [("CHN001", "error"), ("COM001", "error"), ("COM002", "error")]


def test_a_channel_configured_twice_under_one_name_and_type_is_not_guessed(tmp_path: Path) -> None:
    """Two enabled `qwen` openai-compatible channels, one rendered: which one the chart dropped cannot be told, so
    RM006 says one is missing (the later one, as it always has) and the values errors stand."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    release = root / overlay("dropped", "80-gateway.yaml")
    twin = (
        "      - name: qwen\n        type: openai-compatible\n        endpoint: https://llm.partner.example/v1\n"
        "        attestation: {kind: commercial-contract, accountId: a-1, contractRef: L-1}\n"
    )
    release.write_text(release.read_text().replace("    channels:\n", "    channels:\n" + twin))
    findings = lint_fixture(root, select=CHANNEL_RULES, renderer="sdk")
    assert about_partner(findings, "dropped") == [("CHN001", "error"), ("COM001", "error"), ("COM002", "error")]
    assert [(f.rule, f.value_path) for f in findings if f.rule.startswith("RM")] == [("RM006", "channels[0]")]


def test_the_newapi_chart_drops_the_partner_channel_without_a_contract(corpus: Path, tmp_path: Path) -> None:
    """The real NewAPI chart with `MARKETPLACE_ENABLED=true` and no partner contract: its `effectiveChannels`
    leaves the partner channel out (fail-closed). Its `common` dependency is a stub library chart made here."""
    root = corpus / "newapi-latest"
    cache = cache_archive(tmp_path / "charts", "common", "0.1.3", chart="type: library\n").parent
    variables = {"MARKETPLACE_ENABLED": "true"}
    release = "clusters/_template/bootstrap-kit/80-newapi.yaml"

    before = lint_fixture(root, select=CHANNEL_RULES, variables=variables)
    assert about_partner(before, "_template") == [("CHN001", "error"), ("COM001", "error"), ("COM002", "error")]

    after = lint_fixture(
        root, select=(*CHANNEL_RULES, "RND"), variables=variables, renderer="sdk", chart_cache=str(cache)
    )
    assert brief(after) == [("RM007", "warning", release, line_of(root / release, "qwenPartner:"), "_template")]
    assert "because its attestation is incomplete (no accountId, no contractRef)" in after[0].message
    assert "ConfigMap newapi/newapi-bp-newapi-config" in after[0].message

    # the render is real: without the stub the chart does not render (RND002) and the errors stand
    missing = lint_fixture(root, select=(*CHANNEL_RULES, "RND"), variables=variables, renderer="sdk")
    assert {f.rule for f in missing} == {"RND002", "CHN001", "COM001", "COM002"}
