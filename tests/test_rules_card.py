"""CRD001 and NAM001 on fixtures/bad-card, the card options, and the corpus."""

from __future__ import annotations

from pathlib import Path

from compliance.engine.options import RuleOptions
from tests.helpers import FIXTURES, brief, line_of, lint_fixture

FIXTURE = FIXTURES / "bad-card"


def blueprint(name: str) -> str:
    return f"platform/{name}/blueprint.yaml"


def test_each_missing_card_field_is_reported_at_its_mapping() -> None:
    findings = lint_fixture("bad-card", select=("CRD", "NAM"))
    cnpg, keycloak, newapi, openbao = (blueprint(n) for n in ("cnpg", "keycloak", "newapi", "openbao"))
    assert brief(findings) == [
        ("CRD001", "error", cnpg, line_of(FIXTURE / cnpg, "spec:"), None),  # no card at all: at spec
        ("CRD001", "error", cnpg, line_of(FIXTURE / cnpg, "spec:"), None),
        ("NAM001", "warning", keycloak, line_of(FIXTURE / keycloak, "name: keycloak"), None),
        ("CRD001", "error", keycloak, line_of(FIXTURE / keycloak, "card:"), None),
        ("CRD001", "error", newapi, line_of(FIXTURE / newapi, "spec:"), None),  # no owner: at spec
        ("CRD001", "error", newapi, line_of(FIXTURE / newapi, "card:"), None),
        ("CRD001", "error", openbao, line_of(FIXTURE / openbao, "owner:"), None),
    ]
    messages = [f.message for f in findings]
    assert sorted(messages[:2]) == ["blueprint bp-cnpg card has no summary", "blueprint bp-cnpg card has no title"]
    assert "chart name bp-keycloak" in messages[2] and "platform/keycloak/chart/Chart.yaml:2" in messages[2]
    assert "no summary (it has a description" in messages[3]
    assert messages[4] == "listed blueprint bp-newapi has no spec.owner.team"
    assert messages[5] == "blueprint bp-newapi card has no license (required for a listed blueprint)"
    assert messages[6] == "listed blueprint bp-openbao has no spec.owner.team"


def test_card_fields_come_from_the_rule_options() -> None:
    options = RuleOptions({"required-card-fields": ("title",), "listed-card-fields": ("category",)})
    findings = lint_fixture("bad-card", select=("CRD",), rule_options=options)
    assert sorted(f.message for f in findings) == [
        "blueprint bp-cnpg card has no title",
        "listed blueprint bp-newapi has no spec.owner.team",
        "listed blueprint bp-openbao has no spec.owner.team",
    ]


def test_clean_fixture_has_no_card_findings() -> None:
    assert lint_fixture("clean", select=("CRD", "NAM")) == []


def test_corpus_cards(corpus: Path) -> None:
    findings = lint_fixture(corpus / "snapshot-2026-04-30", select=("CRD", "NAM"))
    names = {f.location.path.split("/")[1] for f in findings if f.rule == "NAM001"}
    assert len(names) == 19 and {"alloy", "harbor", "seaweedfs", "vpa"} <= names
    assert "keycloak" not in names
    temporal = sorted(f.message for f in findings if f.location.path == "platform/temporal/blueprint.yaml")
    assert temporal == [
        "blueprint bp-temporal card has no license (required for a listed blueprint)",
        "listed blueprint bp-temporal has no spec.owner.team",
    ]
    summaries = [f for f in findings if f.rule == "CRD001" and "no summary" in f.message]
    assert len(summaries) == 19 and all("it has a description" in f.message for f in summaries)
    assert not any(f.location.path == "platform/newapi/blueprint.yaml" for f in findings)
