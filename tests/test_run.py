"""One run for every command (`compliance.app.run`), one error hierarchy and one handler (`compliance.errors`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import FIXTURES, run


@pytest.fixture
def configured(tmp_path: Path) -> Path:
    """values-newapi whose project config turns the marketplace channel on through a Flux variable."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "values-newapi", root)
    (root / ".compliance.yaml").write_text('variables:\n  MARKETPLACE_ENABLED: "true"\n')
    return root


def test_values_applies_the_project_config_variables_as_lint_does(configured: Path) -> None:
    result = run("values", str(configured), "--cluster", "_template", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["values"]["defaultChannels"]["qwenPartner"]["enabled"] is True


def test_config_rejects_an_unknown_rule_id_as_lint_does() -> None:
    for command in ("config", "lint"):
        result = run(command, str(FIXTURES / "values-newapi"), "--select", "NOPE")
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "NOPE" in result.stderr


def test_a_usage_error_exits_2_with_its_message_only(tmp_path: Path) -> None:
    result = run("lint", str(tmp_path / "missing"))
    assert result.returncode == 2
    assert result.stderr.startswith("compliance: error: path does not exist")
    assert "Traceback" not in result.stderr


def _broken_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    import compliance.app.run

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("stage broke")

    monkeypatch.setattr(compliance.app.run, "lint_path", boom)


def test_an_internal_error_exits_3_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    _broken_stage(monkeypatch)
    monkeypatch.delenv("COMPLIANCE_DEBUG", raising=False)
    result = run("lint", str(FIXTURES / "values-newapi"))
    assert result.returncode == 3
    assert "internal error: RuntimeError: stage broke" in result.stderr
    assert "Traceback" not in result.stderr


def test_compliance_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    _broken_stage(monkeypatch)
    result = run("lint", str(FIXTURES / "values-newapi"), env={"COMPLIANCE_DEBUG": "1"})
    assert result.returncode == 3
    assert "Traceback (most recent call last)" in result.stderr
    assert "stage broke" in result.stderr
