"""A chart's subcharts as Helm loads them, for the values stage (compliance.effective.subcharts).

Helm loads every chart under `charts/` (a folder with a Chart.yaml, or a `.tgz` archive) as a
dependency; `Chart.yaml` `dependencies` give each its `alias`, `condition`, `tags` and `import-values`.
A `file://` dependency that `charts/` does not vendor is read from its folder, as Flux's
source-controller builds it before Helm runs. Archives are read in memory, bounded (size, members,
bytes a member), never extracted to disk; the walk never leaves the linted root.
"""

from __future__ import annotations

import io
import os
import posixpath
from collections.abc import Mapping
from typing import Any

from compliance.load.files import read_inside
from compliance.model import Chart, Subchart, YamlDocument
from compliance.model.semver import parse_constraint, parse_version, satisfies
from compliance.yaml import Limits, load_yaml

ARCHIVE_LIMIT = 16 * 1024 * 1024  # bytes of a .tgz
MEMBER_LIMIT = 2_000  # members read from one archive
MEMBER_BYTES = 4 * 1024 * 1024  # bytes of one Chart.yaml or values.yaml in an archive
EXPANDED_LIMIT = 64 * 1024 * 1024  # bytes the archive's members add up to
DEPTH_LIMIT = 8  # subcharts of subcharts


def link_subcharts(root: str, charts_by_dir: dict[str, Chart], limits: Limits) -> dict[str, Chart]:
    """Every chart with its subcharts (and theirs); `charts_by_dir` holds the charts the walk loaded."""
    linked: dict[str, Chart] = {}

    def resolve(directory: str, seen: tuple[str, ...]) -> Chart | None:
        if directory in linked:
            return linked[directory]
        chart = charts_by_dir.get(directory) or _folder_chart(root, directory, limits)
        if chart is None or directory in seen or len(seen) > DEPTH_LIMIT:
            return chart
        chart = _with_subcharts(root, chart, limits, lambda d: resolve(d, (*seen, directory)))
        linked[directory] = chart
        return chart

    return {directory: resolve(directory, ()) or chart for directory, chart in charts_by_dir.items()}


def _with_subcharts(root: str, chart: Chart, limits: Limits, resolve: Any) -> Chart:
    declared = chart.chart_file.get(("dependencies",), [])
    declared = [d if isinstance(d, dict) else {} for d in declared] if isinstance(declared, list) else []
    vendored = _vendored(root, chart, limits, resolve)
    subcharts: list[Subchart] = []
    used: set[int] = set()
    for index, dependency in enumerate(declared):
        name = dependency.get("name")
        if not isinstance(name, str) or not name:
            continue
        # Helm's getAliasDependency takes a vendored chart for an alias only when its version is admitted; else
        # the chart stays under its own name, where the dependency's condition, tags and imports (by name)
        # still reach it when there is no alias
        aliased = isinstance(dependency.get("alias"), str) and bool(dependency.get("alias"))
        version = dependency.get("version")
        found = next(
            (
                (i, v)
                for i, v in enumerate(vendored)
                if v[0].name == name and (not aliased or _compatible(version, v[0].version))
            ),
            None,
        )
        if found is not None:
            used.add(found[0])
            sub, source = found[1]
        else:
            repository = dependency.get("repository")
            if not isinstance(repository, str) or not repository.startswith("file://"):
                continue  # not vendored and not in the repository: nothing to coalesce (RND002 when rendering)
            directory = posixpath.normpath(posixpath.join(chart.directory, repository.removeprefix("file://")))
            if directory.startswith("../") or directory == ".." or posixpath.isabs(directory):
                continue
            directory = "" if directory == "." else directory
            resolved = resolve(directory)
            if resolved is None:
                continue
            sub, source = resolved, repository
        subcharts.append(_subchart(dependency, sub, source, index))
    for position, (sub, source) in enumerate(vendored):
        if position not in used:
            subcharts.append(Subchart(sub.name, sub, source, None))
    if not subcharts:
        return chart
    return Chart(chart.name, chart.version, chart.directory, chart.chart_file, chart.values, tuple(subcharts))


def _compatible(constraint: Any, version: Any) -> bool:
    """Helm's `IsCompatibleRange`: the vendored chart's version satisfies the dependency's `version` (a
    Masterminds constraint; none at all is no match)."""
    if not isinstance(constraint, str) or not isinstance(version, str):
        return False
    parsed, groups = parse_version(version), parse_constraint(constraint)
    return parsed is not None and groups is not None and satisfies(parsed, groups)


def _subchart(dependency: Mapping[str, Any], chart: Chart, source: str, index: int) -> Subchart:
    alias = dependency.get("alias")
    condition = dependency.get("condition")
    tags = dependency.get("tags")
    imports = dependency.get("import-values")
    return Subchart(
        alias if isinstance(alias, str) and alias else chart.name,
        chart,
        source,
        index,
        condition if isinstance(condition, str) else "",
        tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
        tuple(imports) if isinstance(imports, list) else (),
    )


def _vendored(root: str, chart: Chart, limits: Limits, resolve: Any) -> list[tuple[Chart, str]]:
    """The charts under `charts/`: folders (with their own subcharts) and archives, by entry name."""
    folder = posixpath.join(chart.directory, "charts") if chart.directory else "charts"
    try:
        names = sorted(os.listdir(os.path.join(root, folder)))
    except OSError:
        return []
    found: list[tuple[Chart, str]] = []
    for name in names:
        rel = f"{folder}/{name}"
        if name.endswith(".tgz"):
            data = read_inside(root, rel, ARCHIVE_LIMIT)
            archived = archive_chart(data, rel, limits) if data is not None else None
            if archived is not None:
                found.append((archived, rel))
        elif os.path.isdir(os.path.join(root, rel)):
            sub = resolve(rel)
            if sub is not None:
                found.append((sub, rel))
    return found


def _folder_chart(root: str, directory: str, limits: Limits) -> Chart | None:
    prefix = f"{directory}/" if directory else ""
    return _chart(lambda name: read_inside(root, prefix + name, MEMBER_BYTES), directory, prefix, limits)


def _chart(read: Any, directory: str, prefix: str, limits: Limits) -> Chart | None:
    chart_data = read("Chart.yaml")
    if chart_data is None:
        return None
    chart_docs = load_yaml(chart_data, limits).documents
    if not chart_docs or not isinstance(chart_docs[0].value, dict):
        return None
    chart_file = YamlDocument(prefix + "Chart.yaml", chart_docs[0])
    values_data = read("values.yaml")
    values: tuple[YamlDocument, ...] = ()
    if values_data is not None:
        loaded = load_yaml(values_data, limits).documents
        values = tuple(YamlDocument(prefix + "values.yaml", d) for d in loaded if isinstance(d.value, dict))
    name = chart_file.get(("name",), "")
    version = chart_file.get(("version",), None)
    fallback = directory.rsplit("/", 1)[-1]
    return Chart(name if isinstance(name, str) and name else fallback, version, directory, chart_file, values)


def archive_chart(data: bytes, rel: str, limits: Limits) -> Chart | None:
    """The chart a `helm package` archive holds (`<name>/Chart.yaml`, `<name>/values.yaml`), read in memory.

    Its files are named `<rel>#<name>/values.yaml`; its own `charts/` are not read (a vendored archive's
    subcharts are its own business until rendering)."""
    import tarfile  # here: only a vendored chart archive needs it

    members: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            expanded = 0
            for count, member in enumerate(archive):
                if count >= MEMBER_LIMIT:
                    break
                expanded += max(member.size, 0)
                if expanded > EXPANDED_LIMIT:
                    break
                parts = member.name.split("/")
                if len(parts) != 2 or parts[1] not in ("Chart.yaml", "values.yaml") or not member.isfile():
                    continue
                if member.size > MEMBER_BYTES:
                    continue
                handle = archive.extractfile(member)
                if handle is not None:
                    members[member.name] = handle.read(MEMBER_BYTES + 1)
    except (tarfile.TarError, OSError, EOFError, ValueError):
        return None
    top = next((name.split("/")[0] for name in members if name.endswith("/Chart.yaml")), None)
    if top is None:
        return None
    return _chart(lambda name: members.get(f"{top}/{name}"), rel, f"{rel}#{top}/", limits)
