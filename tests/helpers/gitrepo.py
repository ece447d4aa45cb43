"""Throw-away git repositories for the --diff-base and pre-commit tests (never the project's own), and the
CLI run inside them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

IDENTITY = {
    "GIT_AUTHOR_NAME": "compliance tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "compliance tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
}
NO_CONFIG = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git_env(isolated: bool = True) -> dict[str, str]:
    """The environment minus any GIT_* variable (an outer hook's GIT_DIR, GIT_INDEX_FILE), plus a fixed identity.

    `isolated` also drops the user's and the system's git configuration, so the throw-away repositories
    behave the same on every machine; reading this project's own checkout keeps it (`safe.directory`).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return {**env, **IDENTITY, **(NO_CONFIG if isolated else {})}


def git(cwd: Path, *args: str, isolated: bool = True) -> str:
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        env=git_env(isolated),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"git {' '.join(args)} failed: {done.stderr}"
    return done.stdout.strip()


def init_repo(path: Path) -> Path:
    """`git init` at `path` and commit everything in it on `main`."""
    git(path, "init", "-q")
    commit_all(path, "base")
    return path


def commit_all(path: Path, message: str) -> str:
    git(path, "add", "-A")
    git(path, "commit", "-q", "--allow-empty", "-m", message)
    return git(path, "rev-parse", "HEAD")


def compliance(
    *args: str, cwd: Path, env: dict[str, str] | None = None, tmpdir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m compliance ARGS` run in `cwd` as CI runs it in a checkout (git sees only the test identity),
    plus `env`; `tmpdir` sets TMPDIR."""
    environment = {**git_env(), **(env or {})}
    environment.pop("FORCE_COLOR", None)
    if tmpdir is not None:
        environment["TMPDIR"] = str(tmpdir)
    return subprocess.run(
        [sys.executable, "-m", "compliance", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=120,
    )
