"""Session fixtures only: the corpus, the SARIF schema, a temporary render cache. Shared helpers live in
tests/helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import ROOT


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real openova corpus; `.ci/run` sets COMPLIANCE_CORPUS, elsewhere the tests skip."""
    value = os.environ.get("COMPLIANCE_CORPUS")
    if not value:
        pytest.skip("COMPLIANCE_CORPUS is not set (CI sets it to ../shared/corpus)")
    path = Path(value) / "openova"
    if not path.is_dir():
        pytest.fail(f"COMPLIANCE_CORPUS={value} has no openova/ folder")
    return path


@pytest.fixture(scope="session")
def sarif_schema() -> dict[str, object]:
    """The OASIS SARIF 2.1.0 schema from COMPLIANCE_SCHEMAS (`.ci/run` sets it), else ../shared/schemas."""
    import json

    value = os.environ.get("COMPLIANCE_SCHEMAS")
    folder = Path(value) if value else ROOT.parent / "shared" / "schemas"
    path = folder / "sarif-schema-2.1.0.json"
    if not path.is_file():
        if value:
            pytest.fail(f"COMPLIANCE_SCHEMAS={value} has no sarif-schema-2.1.0.json")
        pytest.skip(f"no SARIF schema: COMPLIANCE_SCHEMAS is not set and {path} does not exist")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(autouse=True, scope="session")
def _render_cache_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`compliance lint` caches renders under $XDG_CACHE_HOME; under test that is a temporary folder."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The closing line of the oracle comparison (tests/test_oracle_compare.py), when it ran."""
    import sys

    oracle = sys.modules.get("tests.oracle")
    tally = getattr(oracle, "TALLY", None)
    if tally is not None and tally.repositories:
        terminalreporter.write_line(tally.line())
