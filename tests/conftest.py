from __future__ import annotations

import os
from pathlib import Path

import pytest

from compliance.app.api import lint_path
from compliance.model.findings import Finding
from compliance.report import ReportData

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def lint_fixture(name: str | Path, select: tuple[str, ...] = (), **kwargs: object) -> list[Finding]:
    """Findings of the built-in pack on `fixtures/<name>` (or any path)."""
    path = Path(name) if Path(name).is_absolute() else FIXTURES / name
    return list(lint_path(str(path), select=select, **kwargs).findings)  # type: ignore[arg-type]


def report_data(path: Path, select: tuple[str, ...] = ()) -> ReportData:
    """What `compliance lint PATH [--select ...]` hands its reporters, built the way the CLI builds it."""
    run = lint_path(str(path), select=select)
    return ReportData(run.findings, run.rules, run.repo.root, (run.repo,), evaluated=run.evaluated)


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
