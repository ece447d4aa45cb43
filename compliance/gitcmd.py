"""Running git read-only on the user's repository, the same way wherever we need it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from typing import Any


def checkout_above(folder: str) -> str | None:
    """The nearest folder at or above `folder` (an absolute path) holding a `.git`: the work tree, found
    without running git (git may be absent, and this runs on every lint)."""
    while not os.path.lexists(os.path.join(folder, ".git")):
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
    return folder


def run_git(
    args: Sequence[str],
    cwd: str,
    *,
    text: bool = False,
    index_file: str | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[Any]:
    """`git ARGS` in `cwd`; FileNotFoundError when git is not installed.

    A git hook (pre-commit) may export GIT_DIR and friends relative to its own folder: make them absolute,
    since git runs here from other folders. GIT_OPTIONAL_LOCKS=0 keeps `git status` from refreshing (writing)
    the index of a repository we only read.
    """
    env = dict(os.environ)
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
        if env.get(name):
            env[name] = os.path.abspath(env[name])
    if index_file is not None:
        env["GIT_INDEX_FILE"] = index_file
    env["GIT_OPTIONAL_LOCKS"] = "0"
    env["LC_ALL"] = "C"
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=text,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
