"""Linting one file or a subfolder (what editors and pre-commit hooks pass): the repository it belongs to
is evaluated whole, and only the findings located in the asked-for path are reported.

`lint` and `report` both find the root here and keep the findings in the path with `scoped`.

The root is found by walking up from the path, as ruff finds its `pyproject.toml`. At each folder, from
the path itself upwards, the first that is a repository root wins:
1. it holds a project config (`.compliance.yaml`, `.compliance.toml`, or a `pyproject.toml` with a
   `[tool.compliance]` table);
2. it holds a `clusters/` folder (the Flux tree every blueprint repository has).
The walk stops at the git work-tree top (a folder holding `.git`) or the filesystem root and never goes
above it. Without a marker, the path is linted as its own root, as before. The git top alone is not
taken as the root: one repository may hold several blueprint trees (fixtures, a monorepo).

Evaluating the whole repository is what makes a scoped run agree with the full one: the cluster context
(overlays, Flux variables, the expected DAG) is the same, so YML001 keeps its severity and SUP003 judges
every suppression; the findings are the full run's filtered to the path (`compliance.engine.affected.in_scope`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from compliance.gitcmd import checkout_above
from compliance.settings.config import find_config

if TYPE_CHECKING:
    from compliance.app.api import LintRun
    from compliance.model.findings import Finding

CONFIG_MARKERS = (".compliance.toml",)  # besides what `find_config` reads (.compliance.yaml, pyproject.toml)
CLUSTERS = "clusters"


def _is_root(folder: str) -> bool:
    if find_config(folder) is not None or any(os.path.isfile(os.path.join(folder, m)) for m in CONFIG_MARKERS):
        return True
    return os.path.isdir(os.path.join(folder, CLUSTERS))


def find_root(path: str) -> tuple[str, str | None]:
    """(root, scope): the repository root `path` belongs to and `path` relative to it ('/'-separated);
    scope None when `path` is the root itself (or no root was found above it: it is linted alone)."""
    start = os.path.abspath(path)
    folder = start if os.path.isdir(start) else os.path.dirname(start)
    top = checkout_above(folder)
    current = folder
    while not _is_root(current):
        parent = os.path.dirname(current)
        if current == top or parent == current:
            return path, None
        current = parent
    if current == start:
        return path, None
    scope = os.path.relpath(start, current).replace(os.sep, "/")
    root = current if os.path.isabs(path) else os.path.relpath(current)
    return root, scope


def located_in(findings: Sequence[Finding], scope: str) -> tuple[Finding, ...]:
    from compliance.engine.affected import in_scope  # here: only a run scoped to a path needs it

    return tuple(f for f in findings if in_scope(f.location.path, (scope,)))


def scoped(run: LintRun, scope: str | None) -> LintRun:
    """The run's findings (and suppressed ones) located in `scope`; the whole run when it is None."""
    if scope is None:
        return run
    from compliance.engine.affected import in_scope

    suppressed = tuple(s for s in run.suppressed if in_scope(s.finding.location.path, (scope,)))
    return replace(run, findings=located_in(run.findings, scope), suppressed=suppressed)
