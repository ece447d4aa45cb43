"""Path globs as the project config writes them: relative to the linted root, '/'-separated.

`*` crosses folders (`clusters/*/legacy.yaml`), and a pattern that names a folder covers what is under
it (`clusters/legacy` excludes every file in that cluster).
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase


def path_matches(path: str, pattern: str) -> bool:
    pattern = pattern.strip().removeprefix("./").rstrip("/")
    if pattern in ("", "."):
        return True
    if fnmatchcase(path, pattern):
        return True
    parts = path.split("/")
    return any(fnmatchcase("/".join(parts[:end]), pattern) for end in range(1, len(parts)))


def any_matches(path: str, patterns: Iterable[str]) -> bool:
    return any(path_matches(path, pattern) for pattern in patterns)
