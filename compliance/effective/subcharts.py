"""Subcharts as Helm v4.2 coalesces them (`ProcessDependenciesWithMerge`, then `CoalesceValues`).

- A subchart's values live under its alias, else its name: subchart `values.yaml` < the parent's
  `<sub>:` block < the user's (`coalesceDeps`, the parent's coalesced `<sub>` map is the subchart's
  "user" values, so a user `null` deletes a subchart default).
- Before descending, the parent's `global` is copied into `<sub>.global`, the parent winning (`coalesceGlobals`).
- `tags` then `condition` (the first of its comma-separated paths holding a bool wins) decide whether a
  declared dependency is enabled; a disabled one drops out, its `<sub>:` block stays plain values.
- `import-values` (`{child, parent}` or a name under `exports.`) copy a subchart's coalesced values into
  the parent's defaults, below the parent's own values.
- A non-map where a subchart's values go is Helm's hard error `type mismatch on <sub>`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from compliance.model import MISSING, Chart, Subchart, get_path
from compliance.records import record
from compliance.yaml import Path


@record
class SubchartError:
    """Helm refuses to coalesce: the release fails to install or render."""

    path: Path  # the key in the release's values
    message: str
    chart: str  # the subchart's name


@record
class Tree:
    """A chart's defaults (null-free and raw) with its subcharts' trees, for coalescing."""

    raw: Any
    clean: Any
    subcharts: tuple[tuple[Subchart, Tree], ...]
    coalesce: Callable[[Any, Any, Any], Any]  # Helm's coalescing of one chart (compliance.effective.values)
    declares: bool = False  # Chart.yaml lists `dependencies`: Helm's processImportValues coalesces its defaults


def tree_of(
    chart: Chart, raw: Any, clean: Any, child: Callable[[Subchart], Tree], coalesce: Callable[[Any, Any, Any], Any]
) -> Tree:
    """`child(subchart)` gives a subchart's Tree; `coalesce(defaults, user, clean)` is Helm's for one chart."""
    declared = isinstance(chart.chart_file.get(("dependencies",), None), list)
    return Tree(raw, clean, tuple((sub, child(sub)) for sub in chart.subcharts), coalesce, declared)


def _drop_nulls(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {k: _drop_nulls(v) for k, v in value.items() if v is not None}


def coalesce_chart(tree: Tree, user: Mapping[str, Any]) -> tuple[dict[str, Any], list[Path], list[SubchartError]]:
    """Helm's values for a chart with subcharts: (values, the mount path of every enabled subchart, errors).

    Helm first coalesces the user's values with every subchart, enabled or not (`processDependencyEnabled`
    reads conditions from them), so a `type mismatch` on a subchart that tags or a condition then disable
    fails the release all the same; so does a scalar the chart's own defaults put there, whatever the user
    gives, when Chart.yaml declares dependencies (`processImportValues` coalesces the defaults alone)."""
    errors: list[SubchartError] = []
    top = tree.coalesce(tree.raw, dict(user), tree.clean)
    top = top if isinstance(top, dict) else {}
    _coalesce_deps(top, _all(tree), (), [], errors)
    enabled = _enabled(tree, top)
    if tree.declares:  # processImportValues coalesces the chart's own defaults: a scalar there fails too
        alone = tree.coalesce(tree.raw, {}, tree.clean)
        _coalesce_deps(alone if isinstance(alone, dict) else {}, enabled, (), [], errors)
    raw = _imported(tree, enabled, errors)
    clean = tree.clean if raw is tree.raw else _drop_nulls(raw)
    values = _level(tree, raw, clean, dict(user), enabled)
    mounts: list[Path] = []
    _coalesce_deps(values, enabled, (), mounts, errors)
    unique = {(error.path, error.message): error for error in errors}
    return values, mounts, list(unique.values())


Enabled = tuple[tuple[Subchart, Tree, Any], ...]  # (subchart, its tree, its own enabled subcharts)


def _enabled(tree: Tree, top: dict[str, Any], prefix: Path = ()) -> Enabled:
    """The subcharts Helm keeps (`processDependencyEnabled`): tags, then conditions, against the
    coalesced values of the whole chart (`top`, computed once with every subchart)."""
    tags = get_path(top, ("tags",), None)
    kept: list[tuple[Subchart, Tree, Any]] = []
    for sub, child in tree.subcharts:
        on = True
        if sub.index is not None:
            on = _tags_allow(sub.tags, tags if isinstance(tags, dict) else {})
            on = _condition(sub.condition, top, prefix, on)
        if on:
            kept.append((sub, child, _enabled(child, top, (*prefix, sub.key))))
    return tuple(kept)


def _all(tree: Tree) -> Enabled:
    return tuple((sub, child, _all(child)) for sub, child in tree.subcharts)


def _tags_allow(names: tuple[str, ...], tags: Mapping[str, Any]) -> bool:
    found = [tags[name] for name in names if isinstance(tags.get(name), bool)]
    return any(found) or not found


def _condition(condition: str, values: Any, prefix: Path, current: bool) -> bool:
    for text in condition.strip().split(","):
        text = text.strip()
        if not text:
            continue
        value = get_path(values, (*prefix, *text.split(".")), MISSING)
        if isinstance(value, bool):
            return value
    return current


def _imported(tree: Tree, enabled: Enabled, errors: list[SubchartError]) -> Any:
    """The parent's defaults with its subcharts' `import-values` below them (`processImportValues`)."""
    if not any(sub.import_values for sub, _, _ in enabled):
        return tree.raw
    view = tree.coalesce(tree.raw, {}, tree.clean)
    view = view if isinstance(view, dict) else {}
    _coalesce_deps(view, enabled, (), [], errors)
    imported: Any = {}
    for sub, _, _ in enabled:
        for entry in sub.import_values:
            if isinstance(entry, dict) and isinstance(entry.get("child"), str) and isinstance(entry.get("parent"), str):
                child, parent = entry["child"], entry["parent"]
            elif isinstance(entry, str):
                child, parent = f"exports.{entry}", "."
            else:
                continue
            table = get_path(view, (sub.key, *child.split(".")), None)
            if not isinstance(table, dict):
                continue  # Helm logs "ImportValues missing table" and goes on
            placed: Any = table
            if parent != ".":
                for key in reversed(parent.split(".")):
                    placed = {key: placed}
            imported = _merge_tables(imported, placed)
    return _merge_tables(tree.raw, imported)


def _merge_tables(dst: Any, src: Any) -> Any:
    """Helm's `MergeTables(dst, src)`: `dst` wins, `src` fills what it lacks, maps recurse."""
    if not isinstance(dst, dict) or not isinstance(src, dict):
        return dst
    out = dict(dst)
    for key, value in src.items():
        if key not in out:
            out[key] = value
        elif isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = _merge_tables(out[key], value)
    return out


def _coalesce_deps(
    values: dict[str, Any], enabled: Enabled, prefix: Path, mounts: list[Path], errors: list[SubchartError]
) -> None:
    """`coalesceDeps`: each enabled subchart's defaults under its key, globals copied down (in place)."""
    for sub, child, nested in enabled:
        current = values.get(sub.key, MISSING)
        if current is MISSING:
            current = {}
        elif not isinstance(current, dict):
            shown = "null" if current is None else f"{type(current).__name__} {current!r}"
            message = f"type mismatch on {sub.key}: {shown} where subchart {sub.chart.name} takes a map of values"
            errors.append(SubchartError((*prefix, sub.key), message, sub.chart.name))
            continue
        user = dict(current)
        _coalesce_globals(user, values)
        values[sub.key] = _level(child, child.raw, child.clean, user, nested)
        mounts.append((*prefix, sub.key))
        _coalesce_deps(values[sub.key], nested, (*prefix, sub.key), mounts, errors)


def _level(tree: Tree, raw: Any, clean: Any, user: dict[str, Any], enabled: Enabled) -> dict[str, Any]:
    """One chart's own coalescing. Where the user gives a map for a subchart, the chart's `null` defaults
    under it are carried into that map (Helm copies them there, measured on v4.2.3), so they reach the
    subchart as user nulls: deleting its defaults, or kept where it has none."""
    values = tree.coalesce(raw, user, clean)
    values = values if isinstance(values, dict) else {}
    for sub, _, _ in enabled:
        given, default = user.get(sub.key), raw.get(sub.key) if isinstance(raw, dict) else None
        if isinstance(given, dict) and isinstance(default, dict):
            values[sub.key] = _with_default_nulls(default, given)
    return values


def _with_default_nulls(default: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """The user's map for a subchart over the chart's: the user wins, its nulls included (they reach the
    subchart and delete its defaults), the chart's defaults fill in as written (measured on v4.2.3)."""
    out = dict(user)
    for key, value in default.items():
        if key not in user:
            out[key] = value
        elif isinstance(user[key], dict) and isinstance(value, dict):
            out[key] = _with_default_nulls(value, user[key])
    return out


def _coalesce_globals(dest: dict[str, Any], src: Mapping[str, Any]) -> None:
    """`coalesceGlobals`: the parent's `global` over the subchart's, maps merged with the parent winning."""
    own = dest.get("global", {})
    parent = src.get("global", {})
    if not isinstance(own, dict) or not isinstance(parent, dict):
        return  # Helm warns "skipping globals because ... is not a table"
    merged = dict(own)
    for key, value in parent.items():
        if isinstance(value, dict):
            below = merged.get(key, MISSING)
            if below is MISSING:
                merged[key] = dict(value)
            elif isinstance(below, dict):
                merged[key] = _merge_tables(value, below)
        elif not isinstance(merged.get(key), dict):
            merged[key] = value
    dest["global"] = merged
