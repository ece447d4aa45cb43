"""A configSchema the linter cannot apply is said to be unchecked, never passed in silence (SCH004, SCH001 info)."""

from __future__ import annotations

import shutil
from pathlib import Path

from compliance.model.findings import Severity
from tests.helpers import FIXTURES, line_of, lint_fixture


def _with_schema(tmp_path: Path, schema_yaml: str) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", repo)
    card = repo / "platform" / "cnpg" / "blueprint.yaml"
    card.write_text(card.read_text() + "  configSchema:\n" + schema_yaml)
    return repo


def test_an_invalid_schema_is_reported_where_it_stands(tmp_path: Path) -> None:
    # `minimum: "one"` is not a number: jsonschema refuses the schema, so SCH001 can check nothing
    repo = _with_schema(
        tmp_path, "    properties:\n      replicas: {type: integer, minimum: one}\n    unevaluatedProperties: false\n"
    )
    found = [f for f in lint_fixture(repo, select=("SCH",)) if f.rule == "SCH004"]
    card = repo / "platform" / "cnpg" / "blueprint.yaml"
    assert [(f.location.path, f.location.line, f.severity) for f in found] == [
        ("platform/cnpg/blueprint.yaml", line_of(card, "configSchema:"), Severity.WARNING)
    ]
    assert "not applied" in found[0].message and "minimum" in found[0].message


def test_a_valid_schema_gives_no_sch004(tmp_path: Path) -> None:
    repo = _with_schema(tmp_path, "    properties:\n      replicas: {type: integer, minimum: 1}\n")
    assert [f for f in lint_fixture(repo, select=("SCH",)) if f.rule == "SCH004"] == []
