"""What a chart's dependencies give Helm when `charts/` does not vendor them.

- a `file://` dependency: its folder, copied as the chart's snapshot is (compliance.render.snapshot),
  to `charts/<name>/` (Flux's source-controller and `helm dependency build` do the same);
- a chart cache (`--chart-cache DIR`, config `chart-cache`): the archives `helm dependency build` leaves,
  `<name>-<version>.tgz`, the version from `Chart.lock` when there is one, else the version Chart.yaml pins
  (and, with `--fetch-dependencies`, the folder fetched archives are written to: compliance.render.fetch).
  A cache folder inside the linted root is repository content: an archive there is read only if it stays
  inside the root (a link out of it is not followed).

Anything else is missing: RND002, once per chart.
"""

from __future__ import annotations

import functools
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


def locked_versions(root: str, chart: Chart) -> dict[str, str]:
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
    root: str, chart: Chart, chart_cache: str | tuple[str, ...] | None
) -> tuple[list[tuple[str, bytes]], list[tuple[int, str]], list[str]]:
    """(files to add to the chart's snapshot, (index, name) of each dependency nothing provides, why a
    `file://` dependency could not be copied)."""
    from compliance.render.snapshot import collect_files

    files: list[tuple[str, bytes]] = []
    missing: list[tuple[int, str]] = []
    problems: list[str] = []
    locked: dict[str, str] | None = None
    caches = (chart_cache,) if isinstance(chart_cache, str) else chart_cache or ()
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
        if caches:
            locked = locked_versions(root, chart) if locked is None else locked
            version = locked.get(name, str(dependency.get("version", "")))
            found = next((f for f in (_cached(root, c, name, version) for c in caches) if f), None)
            if found is not None:
                files.append((f"charts/{name}-{found[0]}.tgz", found[1]))
                continue
        missing.append((index, name))
    return files, missing, problems


def _cached(root: str, cache: str, name: str, version: str) -> tuple[str, bytes] | None:
    """(version, archive) of dependency `name` in the cache: `<name>-<version>.tgz`, else, for a range, the
    highest version of it there the range selects (as Helm chooses from an index)."""
    data = _archive(root, cache, f"{name}-{version}.tgz")
    if data is not None:
        return version, data
    from compliance.model.semver import parse_version, pin_admits

    try:
        entries = os.listdir(cache)
    except OSError:
        return None
    prefix = f"{name}-"
    versions = [e[len(prefix) : -len(".tgz")] for e in entries if e.startswith(prefix) and e.endswith(".tgz")]
    fitting = [(v, parsed) for v in versions if (parsed := parse_version(v)) is not None and pin_admits(version, v)]
    for chosen, _ in sorted(fitting, key=lambda pair: functools.cmp_to_key(_order)(pair[1]), reverse=True):
        data = _archive(root, cache, f"{name}-{chosen}.tgz")
        if data is not None:
            return chosen, data
    return None


def _order(left: Any, right: Any) -> int:
    return int(left.compare(right))


def _archive(root: str, cache: str, name: str) -> bytes | None:
    """An archive of the cache; in a cache inside the linted root, only one that stays inside the root."""
    archive = os.path.join(cache, name)
    real_root = os.path.realpath(root)
    if inside(cache, real_root) and not inside(archive, real_root):
        return None
    try:
        data = read_regular(archive, ARCHIVE_LIMIT + 1) if os.path.isfile(archive) else None
    except OSError:
        return None
    return data if data is not None and len(data) <= ARCHIVE_LIMIT else None
