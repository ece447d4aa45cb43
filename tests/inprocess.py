"""The command line run in-process with typer's CliRunner: the same app `python -m compliance` runs, minus a
process start per call (tests/test_cli.py keeps the real subprocess checks)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import ROOT


def run(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    from typer.testing import CliRunner

    from compliance.cli.main import app

    previous = os.getcwd()
    os.chdir(cwd)  # relative paths in args are relative to the repository root, as for tests/test_cli.run
    try:
        result = CliRunner(env={"NO_COLOR": "1", **(env or {})}).invoke(app, list(args))
    finally:
        os.chdir(previous)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # an internal error: the real CLI would exit 3
    return subprocess.CompletedProcess(["compliance", *args], result.exit_code, result.stdout, result.stderr)
