"""Control mapping: rules declare the controls they evidence; the registry, `rules`, `explain`, SARIF, the
bundle and the HTML and Markdown control views show them; docs/controls.md documents every one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from compliance.app.api import load_registry
from compliance.engine.registry import PluginError
from compliance.report import markdown, sarif
from tests.helpers import FIXTURES, REPORT_CI_SELECT, ROOT, report_data, run_process

PLUGIN = '''
from compliance.engine.registry import Scope, rule
from compliance.model.findings import Severity


@rule("ORG201", "Org control rule", Severity.WARNING, Scope.REPOSITORY, "org", controls={controls!r})
def org_rule(ctx):
    """## What it does
    Nothing."""
    return iter(())
'''


def plugin(tmp_path: Path, controls: tuple[str, ...]) -> Path:
    path = tmp_path / f"org_{abs(hash(controls))}.py"
    path.write_text(PLUGIN.format(controls=controls), encoding="utf-8")
    return path


def test_the_registry_maps_controls_to_the_rules_that_declare_them() -> None:
    registry = load_registry(entry_points=False)
    controls = registry.controls()
    assert controls["EUAIA:Art.12"] == ["AUD002"]
    assert "AUD002" in controls["ISO27001:A.8.15"] and "ADM001" in controls["SOC2:CC6.6"]
    spec = registry.get("AUD002")
    assert spec is not None and "SOC2:CC7.2" in spec.controls
    frameworks = [c.split(":")[0] for c in controls]
    assert frameworks == sorted(frameworks)  # grouped by framework
    iso = [c for c in controls if c.startswith("ISO27001:")]
    assert iso.index("ISO27001:A.8.9") < iso.index("ISO27001:A.8.15")  # numbers in number order
    for gateway in ("ATT001", "CHN001", "AUD001", "AUD002", "AUP001", "RSL001", "RM001"):  # the LLM gateway's rules
        assert any(c.startswith("EUAIA:Art.") for c in registry.by_id[gateway].controls), gateway
    assert not registry.by_id["YML000"].controls  # input guards evidence no control


def test_docs_controls_explains_every_control_the_rules_declare() -> None:
    text = (ROOT / "docs" / "controls.md").read_text(encoding="utf-8")
    for control in load_registry(entry_points=False).controls():
        assert f"`{control}`:" in text, f"docs/controls.md does not describe {control}"


def test_a_plugin_rule_declares_controls_and_a_malformed_one_is_refused(tmp_path: Path) -> None:
    registry = load_registry([str(plugin(tmp_path, ("NIST-CSF:PR.AA-01", "SOC2:CC6.1")))], entry_points=False)
    assert registry.controls()["NIST-CSF:PR.AA-01"] == ["ORG201"]
    assert "ORG201" in registry.controls()["SOC2:CC6.1"]
    with pytest.raises(PluginError, match=r"ORG201 declares control 'CC6\.1' \(expected e\.g\. SOC2:CC6\.1\)"):
        load_registry([str(plugin(tmp_path, ("CC6.1",)))], entry_points=False)
    listed = run_process("rules", "--rules", str(plugin(tmp_path, ("BAD ID",))))
    assert listed.returncode == 2 and "declares control 'BAD ID'" in listed.stderr and "Traceback" not in listed.stderr


def test_rules_and_explain_show_the_controls() -> None:
    listing = run_process("rules")
    assert listing.returncode == 0
    line = next(line for line in listing.stdout.splitlines() if line.startswith("AUD002"))
    assert line.endswith("[SOC2:CC7.2, ISO27001:A.8.15, ISO27001:A.5.33, EUAIA:Art.12, EUAIA:Art.19, EUAIA:Art.26]")
    explained = run_process("explain", "ADM001")
    assert "controls: SOC2:CC6.1, SOC2:CC6.6, ISO27001:A.8.2, ISO27001:A.8.5, ISO27001:A.8.20" in explained.stdout
    assert "controls: none (see docs/controls.md)" in run_process("explain", "YML000").stdout


def test_sarif_tags_each_rule_with_its_controls() -> None:
    log = json.loads(sarif.render(report_data(FIXTURES / "report-ci", REPORT_CI_SELECT)))
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    tags = rules["ATT001"]["properties"]["tags"]
    assert tags[:2] == ["compliance", "attestation"] and "ISO27001:A.5.19" in tags and "EUAIA:Art.25" in tags
    assert rules["ATT001"]["properties"]["controls"] == tags[2:]


def test_markdown_control_view_folds_control_rules_and_results() -> None:
    text = markdown.render(report_data(FIXTURES / "report-ci", REPORT_CI_SELECT))
    folded = text[text.index("<details><summary>Controls:") :]
    assert re.search(r"Controls: \d+ controls evidenced, [1-9]\d* with a failing rule", folded)
    row = next(line for line in folded.splitlines() if "`SOC2:CC9.2`" in line)
    assert row.startswith("- ❌ `SOC2:CC9.2` fail: ") and "ATT001" in row  # ATT001 finds errors in report-ci
    assert "YML000" not in folded


def test_the_bundle_lists_each_rules_controls(tmp_path: Path) -> None:
    out = tmp_path / "evidence.zip"
    result = run_process("report", str(FIXTURES / "report-ci"), "--bundle", str(out), env={"SOURCE_DATE_EPOCH": "0"})
    assert result.returncode == 0, result.stderr
    import zipfile

    with zipfile.ZipFile(out) as archive:
        rules = {rule["id"]: rule for rule in json.loads(archive.read("rules.json"))}
    assert rules["GATE001"]["controls"] == ["SOC2:CC8.1", "ISO27001:A.8.32", "ISO27001:A.5.36"]
