"""The provenance of effective values as a reader sees it: the file that set each leaf, what it overrode,
the `null`s that deleted keys, and one cluster's side of a difference.

Computed from `EffectiveValues` (its layers and traces); `compliance values` (`compliance.app.valuesview`)
selects and compares, `compliance.report.values` renders these types.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from compliance.effective.envsubst import Unresolved
from compliance.model import MISSING, get_path
from compliance.records import record

if TYPE_CHECKING:
    from compliance.effective.values import EffectiveValues
    from compliance.model.findings import Location
    from compliance.yaml import Path


@record
class Overridden:
    """A value a lower layer set at the same path, which the effective value replaced."""

    location: Location
    value: Any


@record
class Origin:
    """Where an effective value came from: the file that set it and everything it overrode."""

    location: Location
    overrode: tuple[Overridden, ...] = ()
    unresolved: tuple[str, ...] = ()  # Flux variables without a value inside it
    error: str = ""  # the error Flux's substitution raises for this value (FLX001)


@record
class Side:
    """One cluster's side of a difference; `present` is False when the key is absent there."""

    cluster: str
    present: bool
    value: Any = None
    origins: Mapping[Path, Origin] | None = None  # the origins of this value and everything inside it
    deleted: Origin | None = None  # when absent because a `null` deleted it: where, and what it deleted


@record
class Difference:
    path: Path
    left: Side
    right: Side


# ── origins ──────────────────────────────────────────────────────────────────


def origin(values: EffectiveValues, path: Path) -> Origin:
    """The origin of the value at `path`, built from `EffectiveValues.trace` (what findings show)."""
    steps = values.trace(path)
    overrode: list[Overridden] = []
    for step in steps[1:]:
        # the trace shows maps as None; show the value that was really replaced
        layer = next((lay for lay in values.layers if lay.location(path) == step.location), None)
        overrode.append(Overridden(step.location, get_path(layer.value, path, None) if layer else step.value))
    value = values.get(path, None)
    unresolved = value.variables if isinstance(value, Unresolved) else ()
    error = next((e.message for e in values.errors if e.path == path), "")
    return Origin(steps[0].location, tuple(overrode), unresolved, error)


def walk_units(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every leaf under `value` plus every non-empty list (a list replaces as one unit), in order."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from walk_units(item, (*path, key))
    elif isinstance(value, list) and value:
        if path:
            yield path, value
        for index, item in enumerate(value):
            yield from walk_units(item, (*path, index))
    elif path:
        yield path, value


def origins(values: EffectiveValues, base: Path = ()) -> dict[Path, Origin]:
    """The origin of every leaf (and non-empty list) of the effective values, or of the subtree at `base`."""
    start = values.get(base, None) if base else values.values
    found = {base + path: origin(values, base + path) for path, _ in walk_units(start)}
    if base and base not in found:
        found[base] = origin(values, base)
    return found


def deletions(values: EffectiveValues) -> dict[Path, Origin]:
    """Keys a `null` removed (a user null deletes the default; a default null is dropped), by path.

    Only keys whose parent map survives are listed: a deleted map hides what it held.
    """
    found: dict[Path, Origin] = {}
    for layer in values.layers:
        for path in _null_keys(layer.value):
            if path not in found and values.get(path) is MISSING and isinstance(values.get(path[:-1], None), dict):
                found[path] = deletion(values, path)
    return found


def deletion(values: EffectiveValues, path: Path) -> Origin:
    """The highest `null` written at `path` and the values it removed from lower layers."""
    index = max(i for i, lay in enumerate(values.layers) if get_path(lay.value, path, MISSING) is None)
    layer = values.layers[index]
    removed = [
        Overridden(location, get_path(lower.value, path))
        for lower in reversed(values.layers[:index])
        if (location := lower.location(path)) is not None and get_path(lower.value, path, None) is not None
    ]
    return Origin(layer.location(path) or values.locate(path), tuple(removed))


def deleted_at(deleted: Mapping[Path, Origin], path: Path) -> Origin | None:
    """The deletion that removed `path` or one of its ancestors."""
    return next((deleted[path[:end]] for end in range(len(path), 0, -1) if path[:end] in deleted), None)


def _null_keys(value: Any, path: Path = ()) -> Iterator[Path]:
    if isinstance(value, dict):
        for key, item in value.items():
            if item is None:
                yield (*path, key)
            else:
                yield from _null_keys(item, (*path, key))
