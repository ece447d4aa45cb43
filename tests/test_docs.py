"""docs/ and the README are generated from the rules' own docstrings; this keeps them true."""

from __future__ import annotations

import re

from compliance.app.api import load_rules
from compliance.app.docs import pages, rule_table
from tests.helpers import ROOT

SECTIONS = ("## What it does", "## Why it matters", "## Example", "## Use instead", "## How to fix")


def test_every_builtin_rule_is_fully_documented() -> None:
    for spec in load_rules(entry_points=False):
        if spec.provider != "compliance_rules":
            continue
        missing = [heading for heading in SECTIONS if heading not in spec.doc]
        assert not missing, f"{spec.id} lacks {missing}"


def test_family_pages_match_the_rules() -> None:
    generated = pages()
    on_disk = {p.name: p.read_text() for p in (ROOT / "docs" / "rules").glob("*.md")}
    assert on_disk == generated, "run `python3 -m compliance.app.docs` to regenerate docs/rules/"


def test_readme_rule_table_matches_the_rules() -> None:
    readme = (ROOT / "README.md").read_text()
    table = re.search(r"<!-- rule-table:.*?-->\n(.*?)<!-- end rule-table -->", readme, re.S)
    assert table is not None
    specs = [s for s in load_rules(entry_points=False) if s.provider == "compliance_rules"]
    assert table.group(1) == rule_table(specs), "run `python3 -m compliance.app.docs` to regenerate the README table"
