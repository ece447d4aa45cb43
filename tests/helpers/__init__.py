"""What the test modules share, each helper once: where the project and its fixtures are, where a text sits
in a file, files written from a mapping, a fixture's findings in compact form, the command line run in-process
or as a process (its JSON report with module switches set or not), chart archives, and the Hypothesis settings
of the cases compared with the Go oracle.

Member: `tests.helpers.gitrepo` (throw-away git repositories and the CLI run inside them); the Go test oracle
stays in `tests/oracle.py`, where tools/oracle/README.md points. Test modules import from here, never from
each other.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from compliance.app.api import lint_path
from compliance.app.api import report_data as api_report_data
from compliance.model.findings import Finding
from compliance.report import ReportData
from compliance.yaml import Path as NodePath

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
# the rule families fixtures/report-ci (the tree every reporter's tests read) is built for
REPORT_CI_SELECT = ("ATT", "AUP", "COM", "CRD", "DAG")

# Cases compared with the Go oracle (a process each): reproducible, no deadline; a module sets how many with
# `settings(ORACLE_GENERATED, max_examples=N)`.
ORACLE_GENERATED = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# ── files ───────────────────────────────────────────────────────────────────────────────────────

# The head of a minimal HelmRelease for chart `t`; a test appends its `spec.values` lines.
RELEASE_HEAD = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: t
  namespace: default
spec:
  chart:
    spec:
      chart: t
  values:
"""


def _line_index(lines: list[str], text: str, after: str, nth: int) -> int:
    """0-based index of the `nth` line holding `text`, counted from the first line holding `after`."""
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return [i for i, line in enumerate(lines) if i >= start and text in line][nth]


def line_of(file: Path, text: str, after: str = "", nth: int = 0) -> int:
    """1-based line of the `nth` (first by default) line of `file` containing `text`, from the first line
    containing `after` on (the whole file when `after` is empty)."""
    return _line_index(file.read_text(encoding="utf-8").splitlines(), text, after, nth) + 1


def position(file: Path, text: str, after: str = "") -> tuple[int, int]:
    """1-based (line, column) where `text` starts, on the first line holding it (after a line holding `after`)."""
    lines = file.read_text(encoding="utf-8").splitlines()
    index = _line_index(lines, text, after, 0)
    return index + 1, lines[index].index(text) + 1


def overlay(cluster: str, file: str = "80-newapi.yaml") -> str:
    """The relative path of `file` in a cluster's bootstrap kit (the gateway's overlay by default)."""
    return f"clusters/{cluster}/bootstrap-kit/{file}"


def edit(file: Path, old: str, new: str, count: int = -1) -> None:
    """Replace `old` (which must occur) by `new` in `file`: every occurrence, or the first `count`."""
    text = file.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    file.write_text(text.replace(old, new, count), encoding="utf-8")


def write_files(root: Path, files: dict[str, str]) -> None:
    """`files` (relative path -> text) under `root`; a chart archive (`.tgz`) is held as latin-1 text, one
    character a byte."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith(".tgz"):
            path.write_bytes(text.encode("latin-1"))
        else:
            path.write_text(text, encoding="utf-8")


def all_paths(value: Any, prefix: NodePath = ()) -> set[NodePath]:
    """Every node path of a loaded YAML value, root included."""
    out = {prefix}
    todo = [(value, prefix)]
    while todo:
        node, path = todo.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in items:
            out.add((*path, key))
            todo.append((child, (*path, key)))
    return out


# ── findings ────────────────────────────────────────────────────────────────────────────────────


def lint_fixture(name: str | Path, select: tuple[str, ...] = (), **kwargs: object) -> list[Finding]:
    """Findings of the built-in pack on `fixtures/<name>` (or any path)."""
    path = Path(name) if Path(name).is_absolute() else FIXTURES / name
    return list(lint_path(str(path), select=select, **kwargs).findings)  # type: ignore[arg-type]


def not_run(name: str | Path, select: tuple[str, ...] = (), **kwargs: object) -> dict[tuple[str, str | None], str]:
    """The checks of the built-in pack on `fixtures/<name>` recorded as *not run*: (rule, cluster) -> why."""
    path = Path(name) if Path(name).is_absolute() else FIXTURES / name
    run_ = lint_path(str(path), select=select, **kwargs)  # type: ignore[arg-type]
    return {
        (rule, cluster): skip.reason for (rule, _, cluster), skip in run_.skipped.items() if skip.state == "not run"
    }


def report_data(path: Path, select: tuple[str, ...] = (), renderer: str = "none") -> ReportData:
    """What `compliance lint PATH [--select ...]` hands its reporters, built the way the CLI builds it:
    the findings, the checks applied and those skipped (not applicable, not run), the renders."""
    return api_report_data(lint_path(str(path), select=select, renderer=renderer), suppressed=())


def brief(findings: list[Finding]) -> list[tuple[str, str, str, int, str | None]]:
    """(rule, severity, path, line, cluster) for compact assertions."""
    return [(f.rule, f.severity.value, f.location.path, f.location.line, f.cluster) for f in findings]


def only(findings: list[Finding], rule: str, cluster: str | None) -> Finding:
    """The one finding of `rule` for `cluster` (the assertion shows all findings when there is not exactly one)."""
    matches = [f for f in findings if f.rule == rule and f.cluster == cluster]
    assert len(matches) == 1, brief(findings)
    return matches[0]


# ── the command line ────────────────────────────────────────────────────────────────────────────


def run(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """`compliance ARGS` in-process with typer's CliRunner: the app `python -m compliance` runs, minus a process
    start per call (`run_process` keeps the real process). Relative paths in `args` are relative to `cwd`."""
    from typer.testing import CliRunner

    from compliance.cli.main import app

    previous = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner(env={"NO_COLOR": "1", **(env or {})}).invoke(app, list(args))
    finally:
        os.chdir(previous)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # an internal error: the real CLI would exit 3
    return subprocess.CompletedProcess(["compliance", *args], result.exit_code, result.stdout, result.stderr)


def run_process(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    stdin: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`python -m compliance ARGS` as a real process in `cwd`: this environment plus `env`, never forced colour."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("FORCE_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "compliance", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )


def lint_json(path: Path, out: Path) -> Any:
    """The JSON report of `compliance lint PATH` (no renderer, never failing) run in-process, read back from `out`."""
    args = ("--format", "json", "--output", str(out), "--fail-on", "never", "--renderer", "none")
    result = run("lint", str(path), *args)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text(encoding="utf-8"))


def lint_json_switched(
    path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch, switches: Sequence[tuple[ModuleType, str, object]]
) -> tuple[Any, Any]:
    """`lint_json` of `path` twice, written in `folder`: as the code runs, then with each (module, name, value) of
    `switches` set for that second run only (the reference an optimisation's report is compared with)."""
    as_is = lint_json(path, folder / "as-is.json")
    with monkeypatch.context() as patch:
        for module, name, value in switches:
            patch.setattr(module, name, value)
        switched = lint_json(path, folder / "switched.json")
    return as_is, switched


def archive(name: str, files: dict[str, str]) -> bytes:
    """A chart archive as `helm package` writes it: `<name>/<file>` members, gzip."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for file, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}/{file}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def cache_archive(folder: Path, name: str, version: str, files: dict[str, str] | None = None, chart: str = "") -> Path:
    """`<folder>/<name>-<version>.tgz`, a chart archive as `helm dependency build` leaves it, made of `files`, else
    a stub chart of only a Chart.yaml (`chart` lines appended); `folder` is made when missing."""
    folder.mkdir(parents=True, exist_ok=True)
    stub = {"Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: {version}\n{chart}"}
    path = folder / f"{name}-{version}.tgz"
    path.write_bytes(archive(name, stub if files is None else files))
    return path
