"""VER001-VER003 on fixtures/bad-versions, the Flux/Masterminds version expressions, the corpus; a pin that
selects none of the tree's versions of a chart is FLX007 (the tree's chart is not used for that release)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance_rules.versions import is_semver, pin_admits
from tests.helpers import FIXTURES, brief, line_of, lint_fixture

FIXTURE = FIXTURES / "bad-versions"
ACME = "clusters/acme/bootstrap-kit"
KIT = FIXTURE / ACME


def test_every_version_defect_is_reported_where_it_is_written() -> None:
    findings = lint_fixture("bad-versions", select=("VER", "FLX007"))
    newapi, cnpg, keycloak = (f"platform/{n}/blueprint.yaml" for n in ("newapi", "cnpg", "keycloak"))
    assert brief(findings) == [
        ("FLX007", "warning", f"{ACME}/08-openbao.yaml", line_of(KIT / "08-openbao.yaml", 'version: "*"'), None),
        ("FLX007", "warning", f"{ACME}/09-keycloak.yaml", line_of(KIT / "09-keycloak.yaml", "version: 1.10"), None),
        ("FLX007", "warning", f"{ACME}/16-cnpg.yaml", line_of(KIT / "16-cnpg.yaml", "version: latest"), None),
        ("FLX007", "warning", f"{ACME}/80-newapi.yaml", line_of(KIT / "80-newapi.yaml", "version: 1.0.x"), None),
        ("VER001", "error", cnpg, 6, None),
        ("VER002", "error", cnpg, 6, None),
        ("VER002", "error", keycloak, 6, None),
        ("VER002", "error", "platform/keycloak/chart/Chart.yaml", 3, None),
        ("VER001", "error", newapi, 6, None),
    ]


def test_messages_name_both_versions_and_where_the_chart_says_so() -> None:
    by_file = {f.location.path: f for f in lint_fixture("bad-versions", select=("VER001",))}
    message = by_file["platform/newapi/blueprint.yaml"].message
    assert "1.0.0" in message and "1.1.0" in message
    assert "platform/newapi/chart/Chart.yaml:3" in message


def test_versions_are_compared_as_written() -> None:
    """`version: 1.10` in Chart.yaml is the text 1.10 (not the float 1.1): equal to the blueprint's."""
    findings = lint_fixture("bad-versions", select=("VER",))
    assert not [f for f in findings if f.rule == "VER001" and "keycloak" in f.location.path]
    (chart,) = [f for f in findings if f.location.path == "platform/keycloak/chart/Chart.yaml"]
    assert "'1.10'" in chart.message


def test_pins_explain_what_flux_will_do() -> None:
    """A pin that selects none of the tree's versions: the finding names the pin, the versions the repository
    has and why, and says the tree's chart is not used (checked against nothing, not rendered)."""
    findings = lint_fixture("bad-versions", select=("FLX007",))
    messages = {Path(f.location.path).name: f.message for f in findings}
    assert "prerelease" in messages["08-openbao.yaml"]
    assert "the number 1.1, not a string" in messages["09-keycloak.yaml"] and "quote" in messages["09-keycloak.yaml"]
    assert "'latest'" in messages["16-cnpg.yaml"] and "not a valid version or range" in messages["16-cnpg.yaml"]
    newapi = messages["80-newapi.yaml"]
    assert "pinned at '1.0.x'" in newapi and "the repository has 1.1.0" in newapi
    assert all(
        "not used for this release: values checked against nothing, not rendered" in m for m in messages.values()
    )


def test_a_refused_chart_is_not_the_one_checked() -> None:
    """bp-newapi pinned at 1.0.x in acme: the tree's 1.1.0 chart is not used there (no chart, its blueprint kept),
    while _template, whose pin selects 1.1.0, gets it."""
    from compliance.load.repository import load_repository

    repo = load_repository(str(FIXTURE))
    chosen = {
        (cluster.name, release.name): repo.resolve_release(release)
        for cluster in repo.clusters
        for release in cluster.releases
    }
    chart, blueprint = chosen[("acme", "bp-newapi")]
    assert chart is None and blueprint is not None and blueprint.name == "bp-newapi"
    assert chosen[("_template", "bp-openbao")][0] is not None  # ${OPENBAO_VERSION}: unknown here, the tree's chart


def test_a_substituted_pin_is_judged_by_ver003() -> None:
    """A pin made of a Flux variable is not known when the chart is chosen: the tree's chart is used, and VER003
    judges the pin once substituted."""
    findings = lint_fixture("bad-versions", select=("VER003",), variables={"OPENBAO_VERSION": "2.0.0"})
    assert [(f.location.path, f.cluster) for f in findings] == [
        ("clusters/_template/bootstrap-kit/08-openbao.yaml", "_template")
    ]
    assert "'2.0.0' does not select bp-openbao 1.0.0-rc.1" in findings[0].message


def test_satisfied_ranges_and_unknown_pins_are_not_findings() -> None:
    findings = lint_fixture("bad-versions", select=("VER003", "FLX007"))
    assert all(f.location.path.startswith(ACME) for f in findings)  # ~1.1, "1.10", >=1.0.0 <2.0.0, ${OPENBAO_VERSION}


@pytest.mark.parametrize(
    ("pin", "version", "admitted"),
    [
        ("1.1.0", "1.1.0", True),
        ("=1.1.0", "1.1.0", True),
        ("1.0.1", "1.0.0", False),
        ("*", "3.4.5", True),
        ("", "3.4.5", True),  # Flux's default is `*`
        ("*", "1.0.0-rc.1", False),  # ranges skip prereleases
        ("1.0.0-rc.1", "1.0.0-rc.1", True),
        (">=1.0.0-rc.1", "1.0.0-rc.2", True),
        ("1.4.x", "1.4.9", True),
        ("1.4.x", "1.5.0", False),
        ("1.4", "1.4.7", True),
        ("1", "1.9.0", True),
        ("1", "2.0.0", False),
        (">=1.0.0 <2.0.0", "1.9.9", True),
        (">=1.0.0, <2.0.0", "2.0.0", False),
        ("^1.2", "1.9.0", True),
        ("^1.2", "1.1.0", False),
        ("^1.2", "2.0.0", False),
        ("^0.2.3", "0.2.9", True),
        ("^0.2.3", "0.3.0", False),
        ("^0.0.3", "0.0.4", False),
        ("~1.2", "1.2.9", True),
        ("~1.2", "1.3.0", False),
        ("~>1.2.3", "1.2.9", True),
        (">1.2", "1.2.5", False),  # Masterminds: > 1.2 means above every 1.2.x
        ("<=1.2", "1.2.9", True),
        ("!=1.2.3", "1.2.3", False),
        ("1.0.0 || 2.x", "2.5.0", True),
        ("1.0.0 || 2.x", "3.0.0", False),
        ("1.0 - 1.4", "1.4.0", True),
        ("1.0 - 1.4", "1.5.0", False),
        ("v1.2.3", "1.2.3", True),
        ("latest", "1.0.0", None),
        ("1..0", "1.0.0", None),
        ("1.0 ||", "1.0.0", None),
    ],
)
def test_pin_expressions_follow_flux(pin: str, version: str, admitted: bool | None) -> None:
    assert pin_admits(pin, version) is admitted


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("1.0.0", True),
        ("1.4.151", True),
        ("1.0.0-rc.1+build.7", True),
        ("1.10", False),
        ("v1.0.0", False),
        ("01.0.0", False),
        ("1.0.0-01", False),
        ("1.0.0 ", False),
    ],
)
def test_semver_is_strict(text: str, valid: bool) -> None:
    assert is_semver(text) is valid


def test_clean_fixture_has_no_version_findings() -> None:
    assert lint_fixture("clean", select=("VER",)) == []


def test_corpus_lockstep_drift_is_the_two_known_blueprints(corpus: Path) -> None:
    findings = lint_fixture(corpus / "snapshot-2026-04-30", select=("VER",))
    assert brief(findings) == [
        ("VER001", "error", "platform/external-secrets/blueprint.yaml", 8, None),
        ("VER001", "error", "platform/seaweedfs/blueprint.yaml", 8, None),
    ]
    assert "1.0.1" in findings[0].message and "platform/external-secrets/chart/Chart.yaml:3" in findings[0].message
    assert "platform/seaweedfs/chart/Chart.yaml:19" in findings[1].message


def test_corpus_newapi_pins(corpus: Path) -> None:
    """The retired host-seams slot still pins 1.4.121; slot 80 pins the chart's 1.4.151."""
    findings = lint_fixture(corpus / "newapi-latest", select=("VER", "FLX007"))
    assert [(f.rule, f.location.path) for f in findings] == [
        ("FLX007", "clusters/_template/bootstrap-kit/80a-newapi-host-seams.yaml")
    ]
    assert "pinned at '1.4.121'" in findings[0].message and "the repository has 1.4.151" in findings[0].message
