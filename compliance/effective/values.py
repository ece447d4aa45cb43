"""What a cluster deploys: chart defaults coalesced with the overlay, Helm's rules, with provenance.

This is the one place Helm's and Flux's value semantics live (merge, `null` deletion, variable
substitution; the gateway's channel composition is the rule pack's, `compliance_rules.gateway`).
Rules and the `values` command both read `EffectiveValues`.

Helm version: Flux helm-controller v1.6 embeds Helm v4, so we follow Helm v4.2 coalescing: a user
`null` deletes a default key, a user `null` with no default is kept, a default `null` the user leaves
alone is dropped (`cleanNilValues`), below the top level a user `null` over a `null` default stays
`null` (measured on v4.2.3), lists and scalars replace, the user side wins type conflicts,
and a chart `values.yaml` with several documents merges them in order.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import field
from typing import Any

from compliance.build.strvals import StrvalsError, set_path
from compliance.build.valuesfrom import merge_maps
from compliance.effective.envsubst import Unresolved
from compliance.effective.subcharts import SubchartError, Tree, coalesce_chart, tree_of
from compliance.effective.substitution import NONE, REDACTED, Scope, SubstitutionError, scope, substitute_values
from compliance.model import MISSING, Chart, HelmRelease, YamlDocument, get_path
from compliance.model.findings import Location, TraceStep
from compliance.records import record
from compliance.yaml import Mark, Path


@record
class Layer:
    """One source of values, lowest precedence first in `EffectiveValues.layers`."""

    label: str  # "chart", "subchart" or "overlay"
    file: str
    value: Any
    positions: Mapping[Path, Mark]
    prefix: Path = ()
    files: Mapping[Path, str] | None = None  # nodes written in another file (a kustomize patch), by path
    mount: Path = ()  # where a subchart's values sit in the release's (its alias or name, nested)

    def mark(self, path: Path) -> Mark | None:
        if path[: len(self.mount)] != self.mount:
            return None
        return self.positions.get(self.prefix + path[len(self.mount) :])

    def location(self, path: Path) -> Location | None:
        mark = self.mark(path)
        if mark is None:
            return None
        inner = self.prefix + path[len(self.mount) :]
        file = self.files.get(inner, self.file) if self.files else self.file
        return Location(file, mark.line, mark.column)


CHART_UNKNOWN = "the chart's defaults (chart not available)"


def unknown_sources(names: Iterable[str]) -> str:
    """What a value's unknown part depends on, for a message: a Flux variable as `${NAME}`, the other sources
    (`valuesFrom …`, the chart's defaults) as they are named; "a Flux variable" when nothing is named."""
    return ", ".join(f"${{{n}}}" if _FLUX_VARIABLE_NAME.fullmatch(n) else n for n in dict.fromkeys(names)) or (
        "a Flux variable"
    )


_FLUX_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@record
class EffectiveValues:
    values: dict[str, Any]
    layers: tuple[Layer, ...]
    unresolved: Mapping[Path, tuple[str, ...]]  # values paths whose Flux variables had no value
    errors: tuple[SubstitutionError, ...] = ()  # substitutions Flux refuses (the Kustomization fails)
    chart_errors: tuple[SubchartError, ...] = ()  # values Helm refuses to coalesce (`type mismatch on db`)
    substitution: Scope = NONE  # the substitution the release gets (for other fields than its values)
    unknown: tuple[str, ...] = ()  # optional valuesFrom sources the repository lacks: any absent key may be set

    def get(self, path: Path, default: Any = MISSING) -> Any:
        """The value at `path`; an absent one is unknown (`Unresolved`) while a missing source could set it."""
        value = get_path(self.values, path, MISSING)
        if value is MISSING:
            return Unresolved("", self.unknown) if self.unknown and path else default
        return value

    def setter(self, path: Path) -> Layer | None:
        """The highest-precedence layer that wrote `path` (a leaf's source, a map's last writer)."""
        for layer in reversed(self.layers):
            if layer.mark(path) is not None:
                return layer
        return None

    def locate(self, path: Path) -> Location:
        """Where `path` was set; for a missing key, the nearest enclosing mapping that exists."""
        for end in range(len(path), -1, -1):
            layer = self.setter(path[:end])
            if layer is not None:
                location = layer.location(path[:end])
                if location is not None:
                    return location
        first = self.layers[-1] if self.layers else None
        return Location(first.file if first else "", 1, 1)

    def trace(self, path: Path) -> tuple[TraceStep, ...]:
        """Where the value at `path` was set and, for a leaf, every value it overrode."""
        top = self.setter(path)
        if top is None:
            return (TraceStep("set", self.locate(path), None),)
        value = self.get(path, None)
        steps = [TraceStep("set", top.location(path) or self.locate(path), _leaf(value))]
        if isinstance(value, dict) or not self._reached_by_merge(top, path):
            return tuple(steps)
        index = self.layers.index(top)
        seen = {steps[0].location}
        for lower in reversed(self.layers[:index]):
            location = lower.location(path)
            if location is not None and location not in seen:  # a patch's layer repeats the patched result's
                seen.add(location)
                steps.append(TraceStep("overrode", location, _leaf(get_path(lower.value, path, None))))
        return tuple(steps)

    def _reached_by_merge(self, layer: Layer, path: Path) -> bool:
        """True when every ancestor of `path` in `layer` is a map (no list replaced wholesale)."""
        return all(isinstance(get_path(layer.value, path[:end], None), dict) for end in range(len(path)))

    def leaves(self) -> Iterator[tuple[Path, Any]]:
        """Every leaf (scalar, empty map or list item scalar) with its path, in document order."""
        stack: list[tuple[Path, Any]] = [((), self.values)]
        while stack:
            path, value = stack.pop()
            if isinstance(value, dict) and value:
                stack.extend((path + (k,), v) for k, v in reversed(list(value.items())))
            elif isinstance(value, list) and value:
                stack.extend((path + (i,), v) for i, v in reversed(list(enumerate(value))))
            elif path:
                yield path, value


def _leaf(value: Any) -> Any:
    """What a trace shows of a value: scalars and lists as they are, maps as None."""
    return None if isinstance(value, dict) else value


# ── Helm coalescing ──────────────────────────────────────────────────────────


def _drop_nulls(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {k: _drop_nulls(v) for k, v in value.items() if v is not None}


def coalesce(defaults: Any, user: Any, nested: bool = False, clean: Any = None) -> Any:
    """Helm v4.2 `CoalesceValues(chart defaults, user values)`; the user side is authoritative.

    `clean` is `defaults` with nulls already dropped (`ChartDefaults`), so untouched subtrees are shared
    instead of rebuilt for every cluster.
    """
    if not isinstance(defaults, dict) or not isinstance(user, dict):
        return user
    result: dict[str, Any] = {}
    for key, default in defaults.items():
        if key in user:
            value = user[key]
            if value is None:
                if nested and default is None:
                    result[key] = None  # below the top level, null over a null default stays (measured, v4.2.3)
                continue  # a user null deletes the default key
            if isinstance(default, dict):
                result[key] = coalesce(default, value, True, clean.get(key) if isinstance(clean, dict) else None)
            else:
                result[key] = value
        elif default is not None:
            result[key] = clean[key] if isinstance(clean, dict) else _drop_nulls(default)
    for key, value in user.items():
        if key not in defaults:
            result[key] = value
    return result


def _coalesce(defaults: Any, user: Any, clean: Any) -> Any:
    return coalesce(defaults, user, clean=clean)


# ── Building a (chart, overlay) pair ─────────────────────────────────────────


def _merged(layers: list[Layer]) -> Any:
    raw: Any = {}
    for layer in layers:
        raw = merge_maps(raw, layer.value)
    return raw


def _mounted(layer: Layer, mount: Path, label: str) -> Layer:
    value = layer.value
    for key in reversed(mount):
        value = {key: value}
    return Layer(label, layer.file, value, layer.positions, layer.prefix, layer.files, mount)


def chart_layers(chart: Chart) -> list[Layer]:
    return [_document_layer("chart", doc) for doc in chart.values]


def _document_layer(label: str, document: YamlDocument, prefix: Path = ()) -> Layer:
    value = get_path(document.value, prefix, {})
    return Layer(label, document.file, value, document.doc.positions, prefix, document.files)


def _patch_layers(release: HelmRelease) -> list[Layer]:
    """Below the patched result: the resource file as written, then what each kustomize patch wrote."""
    if release.unpatched is None:
        return []
    prefix = release.values_prefix
    layers = [_document_layer("resource", release.unpatched, prefix)]
    for written in release.patches:
        layers.append(Layer("patch", written.file, get_path(written.value, prefix, {}), written.positions, prefix))
    return layers


@record
class ChartDefaults:
    """A chart's values.yaml documents merged, and cleaned of nulls, once for all its clusters; with
    subcharts, their trees (compliance.effective.subcharts) and their layers by where they are mounted."""

    layers: tuple[Layer, ...]
    raw: Any
    clean: Any
    tree: Tree | None = None
    mounted: Mapping[Path, tuple[Layer, ...]] | None = None

    @staticmethod
    def of(chart: Chart | None) -> ChartDefaults:
        layers = chart_layers(chart) if chart is not None else []
        raw = _merged(layers)
        if chart is None or not chart.subcharts:
            return ChartDefaults(tuple(layers), raw, _drop_nulls(raw))
        mounted: dict[Path, tuple[Layer, ...]] = {}

        def tree(of: Chart, mount: Path) -> Tree:
            own = chart_layers(of)
            values = _merged(own)
            if mount:
                mounted[mount] = tuple(_mounted(layer, mount, "subchart") for layer in own)
            return tree_of(of, values, _drop_nulls(values), lambda sub: tree(sub.chart, (*mount, sub.key)), _coalesce)

        return ChartDefaults(tuple(layers), raw, _drop_nulls(raw), tree(chart, ()), mounted)


def effective_values(
    chart: Chart | None,
    release: HelmRelease | None,
    variables: Mapping[str, str],
    defaults: ChartDefaults | None = None,
    reveal_secrets: bool = True,
    strict: bool = True,
) -> EffectiveValues:
    """The chart's defaults coalesced with the release's values after Flux substitution; `variables` are the
    run's (`--var`, config), for the names the repository does not define."""
    defaults = defaults if defaults is not None else ChartDefaults.of(chart)
    layers = list(defaults.layers)
    unresolved: dict[Path, tuple[str, ...]] = {}
    errors: tuple[SubstitutionError, ...] = ()
    applied = scope(release, variables, reveal_secrets, strict)
    user: Any = {}
    unknown: tuple[str, ...] = ()
    if release is not None:
        raw = release.values
        plain = release.document.doc.plain_templates
        user, unresolved, errors = substitute_values(raw, release.values_prefix, plain, applied)
        composed = values_from(release, user if isinstance(user, dict) else {}, reveal_secrets)
        layers.extend(composed.below)
        layers.extend(_patch_layers(release))
        base = _document_layer("overlay", release.document, release.values_prefix)
        layers.append(Layer(base.label, base.file, user, base.positions, base.prefix, base.files))
        layers.extend(composed.above)
        user, unknown = composed.values, composed.unknown
        unresolved.update(composed.unresolved)
    if chart is None and release is not None:  # FLX007: the chart is not in the repository or not the pinned one
        unknown = (*unknown, CHART_UNKNOWN)  # its defaults could set any key the overlay leaves out
    user = user if isinstance(user, dict) else {}
    chart_errors: tuple[SubchartError, ...] = ()
    if defaults.tree is not None and defaults.mounted is not None:
        values, mounts, found = coalesce_chart(defaults.tree, user)
        below = [layer for mount in reversed(mounts) for layer in defaults.mounted.get(mount, ())]
        layers, chart_errors = below + layers, tuple(found)
    else:
        values = coalesce(defaults.raw, user, clean=defaults.clean)
    values = values if isinstance(values, dict) else {}
    return EffectiveValues(
        values, tuple(layers), unresolved, errors, chart_errors=chart_errors, substitution=applied, unknown=unknown
    )


# ── helm-controller's valuesFrom ─────────────────────────────────────────────


@record
class Composed:
    """The user values helm-controller gives Helm, with a layer per valuesFrom source: `below` spec.values,
    `above` it (a targetPath whose value won)."""

    values: dict[str, Any]
    below: tuple[Layer, ...] = ()
    above: tuple[Layer, ...] = ()
    unresolved: Mapping[Path, tuple[str, ...]] = field(default_factory=dict)
    unknown: tuple[str, ...] = ()


def values_from(release: HelmRelease, user: dict[str, Any], reveal_secrets: bool = True) -> Composed:
    """`ChartValuesFromReferences` (fluxcd/pkg chartutil): sources in order, plain merges (later wins, nulls
    kept); a targetPath entry first merges `spec.values`, then sets its path (Helm `--set`); `spec.values`
    merged last. A source Flux fails on adds nothing (the rules report it); an optional one the repository
    lacks makes what it could set unknown. `reveal_secrets=False`: a Secret's values shown as redacted."""
    if not release.values_from:
        return Composed(user)
    user = _containers_copied(user)  # a targetPath writes into the maps it shares with spec.values, as in Go
    result: dict[str, Any] = {}
    below: list[Layer] = []
    targets: list[tuple[list[Path], Any, Layer]] = []
    unknown: list[str] = []
    unknown_paths: list[tuple[Path, str]] = []
    for source in release.values_from:
        hidden = source.secret and not reveal_secrets
        if source.unknown:
            if not source.target_path:
                unknown.append(source.label)
                continue
            with contextlib.suppress(StrvalsError):
                unknown_paths.extend((path, source.label) for path in set_path({}, source.target_path, "", True))
            continue
        if source.fails or source.text is None:
            continue
        if not source.target_path:
            value = _redacted(source.value) if hidden else _containers_copied(source.value)
            result = merge_maps(result, value)
            below.append(Layer(source.label, source.file, value, source.positions))
            continue
        result = merge_maps(result, user)
        try:
            paths = set_path(result, source.target_path, REDACTED if hidden else source.text, source.literal)
        except StrvalsError:
            continue
        mark = source.positions.get(())
        sparse: dict[str, Any] = {}
        for path in paths:
            _place(sparse, path, get_path(result, path, None))
        layer = Layer(source.label, source.file, sparse, {p: mark for p in paths} if mark is not None else {})
        targets.append((paths, sparse, layer))
    result = merge_maps(result, user)
    above: list[Layer] = []
    for paths, sparse, layer in targets:
        won = all(get_path(result, path, MISSING) == get_path(sparse, path, None) for path in paths)
        (above if won else below).append(layer)
    unresolved: dict[Path, tuple[str, ...]] = {}
    for path, label in unknown_paths:
        if _crosses_a_scalar(result, path):
            continue  # were the source there, Flux would fail the release; as it is not, the value stands
        _place(result, path, Unresolved("", (label,)))
        unresolved[path] = (label,)
    return Composed(result, tuple(below), tuple(above), unresolved, tuple(unknown))


def _leaves_mapped(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """A copy of `value`'s maps and lists with `leaf` applied to every other node."""
    if isinstance(value, dict):
        return {k: _leaves_mapped(v, leaf) for k, v in value.items()}
    if isinstance(value, list):
        return [_leaves_mapped(v, leaf) for v in value]
    return leaf(value)


def _containers_copied(value: Any) -> Any:
    return _leaves_mapped(value, lambda leaf: leaf)


def _redacted(value: Any) -> Any:
    """Every scalar of a Secret's values as `<redacted>` (nulls stay: they delete defaults)."""
    return _leaves_mapped(value, lambda leaf: leaf if leaf is None else REDACTED)


def _crosses_a_scalar(values: Any, path: Path) -> bool:
    """Whether a step of `path` above its last meets a value that is neither absent nor of the container the
    next step needs (a map for a key, a list for an index): Helm's `--set` parser refuses to write there."""
    target = values
    for step, following in itertools.pairwise(path):
        if isinstance(target, dict):
            if step not in target:
                return False
            target = target[step]  # a null here too: Go's type assertion on nil fails
        elif isinstance(target, list) and isinstance(step, int) and step < len(target):
            target = target[step]
            if target is None or (isinstance(following, str) and not isinstance(target, dict)):
                return False  # Go puts a fresh map (or list) in that slot
        else:
            return False
        if not isinstance(target, list if isinstance(following, int) else dict):
            return True
    return False


def _place(values: dict[str, Any], path: Path, value: Any) -> None:
    """Set `path` in `values` (in place), making the maps (and list slots) on the way; a copy of each."""
    target: Any = values
    for step, following in itertools.pairwise(path):
        child: Any = None
        if isinstance(target, dict):
            child = target.get(step)
        elif isinstance(target, list) and isinstance(step, int) and step < len(target):
            child = target[step]
        if isinstance(following, int):
            child = list(child) if isinstance(child, list) else []
            child.extend([None] * (following + 1 - len(child)))
        else:
            child = dict(child) if isinstance(child, dict) else {}
        _assign(target, step, child)
        target = child
    _assign(target, path[-1], value)


def _assign(target: Any, step: Any, value: Any) -> None:
    if isinstance(target, dict):
        target[step] = value
    elif isinstance(target, list) and isinstance(step, int):
        target.extend([None] * (step + 1 - len(target)))
        target[step] = value


def go_truthy(value: Any) -> bool:
    """Go template truthiness: false, 0, "", nil and empty collections are false."""
    return value not in (None, False, 0, "") and value != [] and value != {} and value is not MISSING
