"""Rule messages spell values as YAML (`false`, `[IR, KP]`, `null`), never as Python (`False`, `['IR', 'KP']`)."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
import yaml

from compliance.app.api import lint_path
from compliance.yaml.spelling import spell
from tests.helpers import FIXTURES, ROOT, lint_fixture

# Python's spellings: its constants, and a list or mapping that opens with repr'd strings (`['IR', 'KP']`,
# `{'a': `); YAML quotes only the strings that need it (`[IR, 'NO']`)
PYTHON = re.compile(r"\b(True|False|None)\b|\['[^']*', '|\{'[^']*': ")
ROOTS = sorted(p for p in (*FIXTURES.iterdir(), *(ROOT / "examples").iterdir()) if p.is_dir())


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (False, "false"),
        (None, "null"),
        (["IR", "KP"], "[IR, KP]"),
        ({"scope": "never", "keys": [1, 2.0, 1.5]}, "{scope: never, keys: [1, 2, 1.5]}"),
        ("NO", "'NO'"),
        (["NO", "on", "1e3", "", "a b", "it's"], "['NO', 'on', '1e3', '', 'a b', 'it''s']"),
        ("two\nlines", '"two\\nlines"'),
        (float("inf"), ".inf"),
        (datetime.date(2026, 7, 31), "2026-07-31"),
    ],
)
def test_spell_writes_yaml_that_reads_back_as_the_value(value: object, text: str) -> None:
    assert spell(value) == text
    if not isinstance(value, datetime.date):  # YAML 1.1 reads an unquoted date back as a date
        assert yaml.safe_load(text) == value


@pytest.mark.parametrize("root", ROOTS, ids=lambda p: p.name)
def test_no_rule_message_spells_a_value_as_python(root: Path) -> None:
    messages = {f"{f.rule}: {f.message}" for f in lint_path(str(root)).findings}
    assert [m for m in messages if PYTHON.search(m)] == []


def test_the_rule_pack_formats_no_value_with_repr() -> None:
    """`{value!r}` in a message is Python's spelling: rules use `as_yaml` (`compliance.yaml.spelling.spell`)."""
    offenders = [
        f"{path.name}:{number}"
        for path in sorted((ROOT / "compliance_rules").glob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"!r\}|\brepr\(", line) and "# respell" not in line  # SCH001 undoes jsonschema's repr
    ]
    assert offenders == []


def test_schema_messages_spell_the_instance_and_the_allowed_values_as_yaml() -> None:
    messages = [f.message for f in lint_path(str(FIXTURES / "bad-schema")).findings if f.rule == "SCH001"]
    assert "$.aup.enforcement: 'strict' is not one of [provider-strictest, per-channel, 'off']" in messages
    geo = [f.message for f in lint_fixture("bad-geo", select=("SCH",))]  # without YML001, the root cause
    assert any(m.endswith(": false is not of type 'string'") for m in geo), geo


def test_one_root_cause_one_finding() -> None:
    """An unquoted `NO` in the chart's region list: YML001 at the scalar, not also SCH001 there once per cluster;
    GEO001 (at the list, about the regions it misses) names the boolean."""
    findings = lint_fixture("bad-geo")
    (cause,) = [f for f in findings if f.rule == "YML001"]
    assert [f.rule for f in findings if f.location == cause.location] == ["YML001"]
    schema_only = lint_fixture("bad-geo", select=("SCH",))
    assert len([f for f in schema_only if f.location == cause.location]) == 3  # once per cluster without YML001
    geo = [f for f in findings if f.rule == "GEO001" and f.location.path == cause.location.path]
    assert geo and all("false in the list is a boolean to Helm" in f.message for f in geo)
