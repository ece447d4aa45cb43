"""What a chart's dependencies give Helm when `charts/` does not vendor them.

- a `file://` dependency: its folder, copied as the chart's snapshot is (compliance.render.snapshot),
  to `charts/<name>/` (Flux's source-controller and `helm dependency build` do the same);
- a chart cache (`--chart-cache DIR`, config `chart-cache`): the archives `helm dependency build` leaves,
  `<name>-<version>.tgz`, the version from `Chart.lock` when there is one, else the version Chart.yaml pins.

Anything else is missing: RND002, once per chart.
"""

from __future__ import annotations

import os
import posixpath
import re
from typing import Any

from compliance.load.files import inside, read_inside, read_regular
from compliance.model import Chart

ARCHIVE_LIMIT = 100 * 1024 * 1024  # Helm's own cap on a chart


def declared(chart: Chart) -> list[tuple[int, dict[str, Any]]]:
    entries = chart.chart_file.get(("dependencies",), [])
    if not isinstance(entries, list):
        return []
    return [
        (i, d) for i, d in enumerate(entries) if isinstance(d, dict) and isinstance(d.get("name"), str) and d["name"]
    ]


def vendored(root: str, chart: Chart, name: str) -> bool:
    try:
        entries = os.listdir(os.path.join(root, chart.directory, "charts"))
    except OSError:
        return False
    archive = re.compile(rf"^{re.escape(name)}-\d.*\.tgz$")
    return any(entry == name or archive.match(entry) for entry in entries)


def _locked(root: str, chart: Chart) -> dict[str, str]:
    """name -> version from the chart's Chart.lock (`helm dependency update` writes it)."""
    from compliance.yaml import load_yaml

    rel = posixpath.join(chart.directory, "Chart.lock") if chart.directory else "Chart.lock"
    data = read_inside(root, rel)
    if data is None:
        return {}
    documents = load_yaml(data).documents
    entries = documents[0].value.get("dependencies", []) if documents and isinstance(documents[0].value, dict) else []
    return {
        str(e["name"]): str(e["version"])
        for e in entries if isinstance(e, dict) and e.get("name") is not None and e.get("version") is not None
    }  # fmt: skip


def provided(
    root: str, chart: Chart, chart_cache: str | None
) -> tuple[list[tuple[str, bytes]], list[tuple[int, str]], list[str]]:
    """(files to add to the chart's snapshot, (index, name) of each dependency nothing provides, why a
    `file://` dependency could not be copied)."""
    from compliance.render.snapshot import collect_files

    files: list[tuple[str, bytes]] = []
    missing: list[tuple[int, str]] = []
    problems: list[str] = []
    locked: dict[str, str] | None = None
    for index, dependency in declared(chart):
        name = dependency["name"]
        if vendored(root, chart, name):
            continue
        repository = dependency.get("repository")
        if isinstance(repository, str) and repository.startswith("file://"):
            folder = os.path.normpath(os.path.join(root, chart.directory, repository.removeprefix("file://")))
            if os.path.isfile(os.path.join(folder, "Chart.yaml")) and inside(folder, os.path.realpath(root)):
                copied, problem = collect_files(folder, root)
                if problem is None:
                    files.extend((f"charts/{name}/{rel}", data) for rel, data in copied)
                    continue
                problems.append(f"dependency {name} ({repository}): {problem}")
            missing.append((index, name))
            continue
        if chart_cache is not None:
            locked = _locked(root, chart) if locked is None else locked
            version = locked.get(name, str(dependency.get("version", "")))
            archive = os.path.join(chart_cache, f"{name}-{version}.tgz")
            try:
                data = read_regular(archive, ARCHIVE_LIMIT + 1) if os.path.isfile(archive) else None
            except OSError:
                data = None
            if data is not None and len(data) <= ARCHIVE_LIMIT:
                files.append((f"charts/{name}-{version}.tgz", data))
                continue
        missing.append((index, name))
    return files, missing, problems
