"""`compliance report` takes everything from the one shared run (issue 11): one run, one renderer choice,
the judged contexts computed once (the bundle's shown values, secrets hidden, are the only other build)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

import compliance.app.report
import compliance.app.run
import compliance.engine.evaluate
import compliance.render.backends
from tests.helpers import FIXTURES, run


def _count(monkeypatch: pytest.MonkeyPatch, calls: Counter[str], module: ModuleType, name: str, key: str) -> None:
    original: Callable[..., object] = getattr(module, name)

    def counted(*args: object, **kwargs: object) -> object:
        calls[key] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)


def _report(fixture: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    calls: Counter[str] = Counter()
    _count(monkeypatch, calls, compliance.app.report, "build_run", "run")
    _count(monkeypatch, calls, compliance.app.run, "choose_renderer", "renderer chosen by the run")
    _count(monkeypatch, calls, compliance.render.backends, "choose", "renderer chosen")
    _count(monkeypatch, calls, compliance.engine.evaluate, "each_release_context", "judged contexts")
    _count(monkeypatch, calls, compliance.app.run, "release_contexts", "shown contexts")
    bundle = tmp_path / "evidence.zip"
    result = run(
        "report", str(FIXTURES / fixture), "--renderer", "auto", "-o", str(tmp_path / "r.html"), "--bundle", str(bundle)
    )
    assert result.returncode == 0, result.stderr
    assert bundle.is_file()
    return calls


def test_report_chooses_the_renderer_and_computes_contexts_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _report("report-audit", tmp_path, monkeypatch)
    assert calls == {
        "run": 1,
        "renderer chosen by the run": 1,
        "renderer chosen": 1,
        "judged contexts": 1,
        "shown contexts": 1,  # the bundle's values: built with the secret --var values hidden, never judged
    }


def test_a_rendering_report_chooses_the_renderer_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _report("render", tmp_path, monkeypatch)
    assert calls["renderer chosen"] == 1


def test_an_unwritable_values_output_is_a_usage_error(tmp_path: Path) -> None:
    """Every command writes its outcome through one writer: `values -o` into a missing folder exits 2 with the
    message `lint` and `report` give (it was an internal error, exit 3)."""
    target = tmp_path / "no" / "such" / "values.yaml"
    result = run("values", str(FIXTURES / "values-newapi"), "--cluster", "acme", "-o", str(target))
    assert result.returncode == 2
    assert result.stderr.startswith(f"compliance: error: cannot write {target}")
