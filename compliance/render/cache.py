"""The render cache: one JSON file per (chart files, values, renderer, release, namespace).

It lives outside the linted repository (`$XDG_CACHE_HOME/compliance/render`, default
`~/.cache/compliance/render`), entries are written atomically, and a cache that cannot be read or
written only costs a render: it never fails a run.
"""

from __future__ import annotations

import os
from typing import Any

FORMAT = 1  # bump when what an entry holds changes


def default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "compliance")


def chart_digest(chart_dir: str) -> str:
    """A hash of every file under the chart (templates, values, vendored charts), names and bytes."""
    import hashlib

    digest = hashlib.sha256()
    for directory, dirs, files in os.walk(chart_dir):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(directory, name)
            digest.update(os.path.relpath(path, chart_dir).replace(os.sep, "/").encode("utf-8") + b"\0")
            try:
                with open(path, "rb") as handle:
                    digest.update(handle.read())
            except OSError as error:  # the render will say what is wrong; the key just must differ
                digest.update(f"unreadable: {error.strerror}".encode())
            digest.update(b"\0")
    return digest.hexdigest()


def entry_key(renderer: str, chart: str, values_json: str, release: str, namespace: str) -> str:
    import hashlib
    import json

    text = json.dumps([FORMAT, renderer, chart, values_json, release, namespace])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class RenderCache:
    def __init__(self, directory: str) -> None:
        self.directory = os.path.join(directory, "render")

    def _path(self, key: str) -> str:
        return os.path.join(self.directory, key[:2], f"{key}.json")

    def get(self, key: str) -> dict[str, Any] | None:
        import json

        try:
            with open(self._path(key), encoding="utf-8") as handle:
                entry = json.load(handle)
        except (OSError, ValueError):
            return None
        return entry if isinstance(entry, dict) else None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        import json

        from compliance.output import write_atomic

        path = self._path(key)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_atomic(path, json.dumps(entry))
        except OSError:
            pass  # a read-only or full cache only costs the next run a render
