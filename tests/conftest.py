from __future__ import annotations

import os
from pathlib import Path

import pytest

from compliance.api import lint_path
from compliance.findings import Finding

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def lint_fixture(name: str | Path, select: tuple[str, ...] = (), **kwargs: object) -> list[Finding]:
    """Findings of the built-in pack on `fixtures/<name>` (or any path)."""
    path = Path(name) if Path(name).is_absolute() else FIXTURES / name
    return list(lint_path(str(path), select=select, **kwargs).findings)  # type: ignore[arg-type]


def brief(findings: list[Finding]) -> list[tuple[str, str, str, int, str | None]]:
    """(rule, severity, path, line, cluster) for compact assertions."""
    return [(f.rule, f.severity.value, f.location.path, f.location.line, f.cluster) for f in findings]


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
