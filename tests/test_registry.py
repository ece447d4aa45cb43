"""The registry belongs to a run: built-ins plus that run's providers; rules declare their options."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from compliance.app.api import lint_path, lint_project, load_registry, load_rules
from compliance.engine.registry import PluginError, Scope, rule
from compliance.governance.gatesettings import assess
from compliance.model.findings import Severity
from compliance.settings.config import ConfigError, load_settings
from tests.helpers import FIXTURES, ROOT

PLUGINS = FIXTURES / "plugins"

OPTION_RULE = '''
from compliance.engine.options import minimum_count
from compliance.engine.registry import Scope, rule
from compliance.model.findings import Location, Severity, Violation

MIN_CHARTS = minimum_count("org-min-charts", 5, "Charts a repository must hold at least.")


@rule("ORG101", "Too few charts", Severity.WARNING, Scope.REPOSITORY, "org", options=(MIN_CHARTS,))
def too_few_charts(ctx):
    """Reports a repository with fewer charts than `org-min-charts`."""
    minimum = MIN_CHARTS.of(ctx.options)
    if len(ctx.repo.charts) < minimum:
        yield ctx.at(Location("."), f"fewer than {minimum} charts")
'''


def test_a_plugin_of_one_run_is_not_in_the_next() -> None:
    """Regression: the registry was module state, so a second API call still ran the first call's plugin."""
    clean = str(FIXTURES / "clean")
    first = lint_path(clean, rule_paths=[str(PLUGINS)], trust_repository_rules=True)
    second = lint_path(clean)
    assert "ORG001" in {spec.id for spec in first.rules}
    assert "ORG001" not in {spec.id for spec in second.rules}
    assert "ORG001" not in {spec.id for spec in load_rules()}


def test_each_load_builds_a_fresh_registry() -> None:
    with_plugin = load_registry([str(PLUGINS)], entry_points=False)
    without = load_registry(entry_points=False)
    assert with_plugin.get("org001") is not None and without.get("ORG001") is None
    assert [spec.id for spec in with_plugin.family("org")] == ["ORG001"]
    assert load_registry([str(PLUGINS)], entry_points=False).rules() == with_plugin.rules()  # loading twice is fine


def test_the_decorator_registers_nothing() -> None:
    before = [spec.id for spec in load_rules(entry_points=False)]

    @rule("TST001", "A rule defined in a test", Severity.INFO, Scope.REPOSITORY, "test")
    def check(ctx: object) -> list[object]:
        return []

    assert [spec.id for spec in load_rules(entry_points=False)] == before


def test_bad_and_duplicate_ids_name_the_provider(tmp_path: Path) -> None:
    bad = tmp_path / "bad_id.py"
    bad.write_text(OPTION_RULE.replace('"ORG101"', '"org1"'))
    with pytest.raises(PluginError, match=r"bad_id.py: invalid rule id 'org1'"):
        load_registry([str(bad)], entry_points=False)
    duplicate = tmp_path / "duplicate.py"
    duplicate.write_text(OPTION_RULE.replace('"ORG101"', '"ATT001"'))
    with pytest.raises(PluginError, match="rule id ATT001 is already defined by compliance_rules"):
        load_registry([str(duplicate)], entry_points=False)


def test_builtin_options_are_declared_by_their_rules() -> None:
    registry = load_registry(entry_points=False)
    assert {option.name: option.default for option in registry.options()} == {
        "allow-empty": False,
        "commercial-channel-types": frozenset({"openai-compatible", "anthropic"}),
        "exception-expiry-warning-days": 30,
        "listed-card-fields": ("category", "license"),
        "min-audit-retention-days": 730,
        "required-card-fields": ("title", "summary"),
        "sanctioned-baseline": ("IR", "KP", "SY", "CU", "RU-occupied-UA"),
    }
    spec = registry.get("AUD002")
    assert spec is not None and [option.name for option in spec.options] == ["min-audit-retention-days"]


def test_a_plugin_rule_declares_an_option_the_config_validates(tmp_path: Path) -> None:
    plugin = tmp_path / "rules" / "charts_rule.py"
    plugin.parent.mkdir()
    plugin.write_text(OPTION_RULE)
    repo = tmp_path / "repo"
    repo.mkdir()
    config = repo / ".compliance.yaml"
    registry = load_registry([str(plugin)], entry_points=False)
    ids = {spec.id for spec in registry.rules()}

    config.write_text("options:\n  org-min-charts: many\n")
    with pytest.raises(ConfigError, match=r"\.compliance\.yaml:2:3: options\.org-min-charts: 'many' is not of type"):
        load_settings(str(repo), rule_ids=ids, options=registry.options())
    builtin = load_registry(entry_points=False)
    with pytest.raises(ConfigError, match=r":2:3: options\.org-min-charts: unknown key 'org-min-charts'"):
        load_settings(str(repo), rule_ids={s.id for s in builtin.rules()}, options=builtin.options())

    config.write_text("options:\n  org-min-charts: 0\n")
    settings = load_settings(str(repo), rule_ids=ids, options=registry.options())
    weakenings = assess(settings, str(repo), registry.rules()).weakenings
    assert [(w.setting, w.effect) for w in weakenings] == [("options.org-min-charts", "weaker than the default: 0 < 5")]
    assert "ORG101" not in {f.rule for f in lint_project(str(repo), rule_paths=[str(plugin)]).findings}
    config.unlink()
    assert "ORG101" in {f.rule for f in lint_project(str(repo), rule_paths=[str(plugin)]).findings}  # 0 < 5


def test_explain_lists_a_rules_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "compliance", "explain", "AUD002"], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "- `min-audit-retention-days` (default 730; lower is weaker): Days the audit log" in result.stdout


def test_the_engine_imports_neither_the_render_stage_nor_the_rule_pack() -> None:
    code = (
        "import sys, compliance.engine.evaluate, compliance.engine.registry, compliance.engine.affected\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('compliance.render', 'compliance_rules')))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr


def test_two_providers_cannot_declare_one_option_differently(tmp_path: Path) -> None:
    first = tmp_path / "first.py"
    first.write_text(OPTION_RULE)
    second = tmp_path / "second.py"
    second.write_text(OPTION_RULE.replace('"ORG101"', '"ORG102"').replace(", 5,", ", 6,"))
    with pytest.raises(PluginError, match=r"second\.py: option org-min-charts is already declared differently by"):
        load_registry([str(first), str(second)], entry_points=False)


def test_gateway_knowledge_lives_in_the_rule_pack() -> None:
    import compliance.effective.values as effective
    from compliance.engine.context import ReleaseContext, RenderedContext
    from compliance_rules import gateway

    assert not hasattr(effective, "compose_channels") and not hasattr(effective, "Channel")
    assert "channels" not in ReleaseContext.__dataclass_fields__
    assert "channel_lists" not in RenderedContext.__dataclass_fields__
    assert gateway.SANCTIONED_BASELINE.default == ("IR", "KP", "SY", "CU", "RU-occupied-UA")
