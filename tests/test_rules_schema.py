"""SCH001 on fixtures/bad-schema: located violations, unknown values, drafts, caching, the corpus."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from compliance.app.api import lint_path
from compliance.engine.evaluate import LintOptions, release_contexts
from compliance_rules.schema import _Identity, _validator, describes
from tests.helpers import FIXTURES, brief, line_of, lint_fixture

FIXTURE = FIXTURES / "bad-schema"

TEMPLATE = "clusters/_template/bootstrap-kit/80-newapi.yaml"
ACME = "clusters/acme/bootstrap-kit/80-newapi.yaml"
NEWAPI_VALUES = "platform/newapi/chart/values.yaml"
CNPG_VALUES = "platform/cnpg/chart/values.yaml"
GITEA_VALUES = "platform/gitea/chart/values.yaml"


def test_each_violation_is_located_at_the_value_that_breaks_it() -> None:
    findings = lint_fixture("bad-schema", select=("SCH",))
    assert brief(findings) == [
        ("SCH001", "error", TEMPLATE, line_of(FIXTURE / TEMPLATE, "ingress:"), "_template"),
        ("SCH001", "error", ACME, line_of(FIXTURE / ACME, "enforcement: strict"), "acme"),
        ("SCH001", "error", ACME, line_of(FIXTURE / ACME, 'enabled: "yes"'), "acme"),
        ("SCH001", "error", ACME, line_of(FIXTURE / ACME, "- name: byok"), "acme"),  # required: at the item
        ("SCH001", "error", ACME, line_of(FIXTURE / ACME, "type: gemini"), "acme"),
        ("SCH001", "error", CNPG_VALUES, line_of(FIXTURE / CNPG_VALUES, '- "5432"'), "_template"),
        ("SCH001", "error", CNPG_VALUES, line_of(FIXTURE / CNPG_VALUES, '- "5432"'), "acme"),
        ("SCH001", "error", GITEA_VALUES, line_of(FIXTURE / GITEA_VALUES, "replicas: two"), None),
        ("SCH001", "error", NEWAPI_VALUES, line_of(FIXTURE / NEWAPI_VALUES, "replicas: 0"), "_template"),
    ]
    messages = [f.message for f in findings]
    assert messages[0] == "$.ingress: 'adminHost' is a required property"
    assert messages[3] == "$.channels[1]: 'attestation' is a required property"
    assert messages[4].startswith("$.channels[2].type: 'gemini' is not one of")
    assert messages[8] == "$.replicas: 0 is less than the minimum of 1"
    assert [f.value_path for f in findings][:2] == ["ingress", "aup.enforcement"]


def test_unknown_values_are_never_judged() -> None:
    """${LOG_PROMPTS} for a boolean and ${BYOK_SCOPE} for an enum depend on unset variables;
    ${ALLOW_RELAXATION:-false} resolves to the boolean false and is valid."""
    findings = lint_fixture("bad-schema", select=("SCH",))
    template = [f.message for f in findings if f.cluster == "_template"]
    assert not any(key in m for m in template for key in ("logPromptContent", "byok", "allowRelaxation"))


def test_chart_defaults_alone_are_not_asked_for_operator_supplied_keys() -> None:
    findings = lint_fixture("bad-schema", select=("SCH",))
    gitea = [f.message for f in findings if f.blueprint == "bp-gitea"]
    assert gitea == ["$.replicas: 'two' is not of type 'integer'"]  # no "'domain' is a required property"


def test_schema_draft_follows_dollar_schema() -> None:
    """bp-cnpg's draft-07 tuple `items` is invalid in 2020-12: a finding proves draft-07 was used."""
    findings = lint_fixture("bad-schema", select=("SCH",))
    assert [f.message for f in findings if f.blueprint == "bp-cnpg"] == [
        "$.ports[0]: '5432' is not of type 'integer'"
    ] * 2


def test_one_validator_per_schema() -> None:
    before = _validator.cache_info()
    lint_fixture("bad-schema", select=("SCH",))  # 3 schemas, 5 deployments of them
    after = _validator.cache_info()
    assert after.misses - before.misses == 3
    assert after.hits - before.hits == 2


def test_a_schema_of_another_layer_is_not_applied() -> None:
    schema = {"required": ["hostname"], "properties": {"hostname": {"type": "string"}}}
    assert not describes(schema, {"harbor": {"externalURL": "https://x"}})
    assert describes(schema, {"hostname": "x"})
    assert describes({"type": "object", "required": ["a"]}, {})


def test_importing_the_rule_pack_does_not_import_jsonschema() -> None:
    code = "import sys; from compliance.app import api; api.load_rules(); print('jsonschema' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_clean_fixture_has_no_schema_findings() -> None:
    assert lint_fixture("clean", select=("SCH",)) == []


def test_corpus_schemas(corpus: Path) -> None:
    """Most corpus configSchemas describe the catalog form, not the umbrella chart's values
    (bp-harbor requires `hostname`, a key its chart never reads): no finding. The newest
    bp-newapi schema does describe its values, and its overlay satisfies it."""
    assert lint_fixture(corpus / "snapshot-2026-04-30", select=("SCH",)) == []
    run = lint_path(str(corpus / "newapi-latest"), select=("SCH",))
    assert run.findings == ()
    contexts = [c for c in release_contexts(run.repo, LintOptions()) if c.name == "bp-newapi"]
    assert contexts and all(c.blueprint and c.blueprint.config_schema for c in contexts)
    for context in contexts:  # the schema was applied, and the values satisfy it
        assert describes(context.blueprint.config_schema, context.values.values)
        assert _validator(_Identity(context.blueprint.config_schema)) is not None
