"""The render cache: one JSON file per (chart files, values, renderer, release, namespace, bounds).

It lives outside the linted repository (`$XDG_CACHE_HOME/compliance/render`, default
`~/.cache/compliance/render`), entries are written atomically, and a cache that cannot be read or
written only costs a render: it never fails a run.
"""

from __future__ import annotations

import os
from typing import Any

FORMAT = 2  # bump when what an entry holds or what the key covers changes


def default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "compliance")


def entry_key(renderer: str, chart: str, values_json: str, release: str, namespace: str, bounds: str) -> str:
    """``chart`` is the snapshot's digest (`compliance.render.snapshot`), ``renderer`` the back end's
    identity and version, ``bounds`` the render's time and memory bounds: everything that reaches a
    render. JSON frames each part, so no two different inputs share a key."""
    import hashlib
    import json

    text = json.dumps([FORMAT, renderer, chart, values_json, release, namespace, bounds])
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
