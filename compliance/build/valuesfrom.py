"""A HelmRelease's `spec.valuesFrom`, read from its cluster's ConfigMaps and Secrets as helm-controller reads them.

fluxcd/pkg `chartutil.ChartValuesFromReferences` (shared notes §2): each entry names a ConfigMap or Secret in
the release's namespace and reads `data[valuesKey]` (default `values.yaml`; a Secret's `stringData` is folded
into `data` by the API server). A missing object or key fails the release unless `optional: true`. Without
`targetPath` the text is read as Helm values (`common.ReadValues`); with one it is a `--set` value
(`compliance.build.strvals`). Composing them with `spec.values` is `compliance.effective.values`'s.
The objects are those the cluster's builds yield (plus the repository's outside any cluster, as for
`substituteFrom`): `compliance.build.graph`.
"""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from dataclasses import replace
from typing import Any

from compliance.build.generators import WHOLE_FILE
from compliance.build.kustomize import embedded_positions
from compliance.build.strvals import StrvalsError, set_path
from compliance.build.variables import Objects, object_data
from compliance.model import YamlDocument
from compliance.model import text_of as _text
from compliance.model.flux import ValuesSource
from compliance.yaml import Mark, Path, load_yaml

DEFAULT_KEY = "values.yaml"


def values_sources(document: YamlDocument, objects: Objects, texts: Mapping[str, str]) -> tuple[ValuesSource, ...]:
    """Every `spec.valuesFrom` entry of a (built) HelmRelease document, read from `objects`; a targetPath the
    composition cannot write is a problem too (`composition_problems`)."""
    namespace = _text(document.get(("metadata", "namespace"), "")) or "default"
    raw = document.get(("spec", "valuesFrom"), None)
    out = []
    for index, entry in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(entry, dict):
            continue
        source = ValuesSource(
            index,
            _text(entry.get("kind")),
            _text(entry.get("name")),
            _text(entry.get("valuesKey")) or DEFAULT_KEY,
            _text(entry.get("targetPath")),
            entry.get("optional") is True,
            entry.get("literal") is True,
            document.locate(("spec", "valuesFrom", index)),
        )
        out.append(_read(source, objects, namespace, texts))
    user = document.get(("spec", "values"), None)
    return composition_problems(tuple(out), user if isinstance(user, dict) else {}, namespace)


def merge_maps(base: Any, override: Any) -> Any:
    """Helm's plain file merge (`MergeMaps`): maps recurse, everything else replaces, nulls kept."""
    if not isinstance(base, dict) or not isinstance(override, dict):
        return override
    result = dict(base)
    for key, value in override.items():
        result[key] = merge_maps(result[key], value) if key in result else value
    return result


def composition_problems(
    sources: tuple[ValuesSource, ...], user: dict[str, Any], namespace: str
) -> tuple[ValuesSource, ...]:
    """`ChartValuesFromReferences` run over the sources read: a targetPath that parses alone may still fail
    where the values composed so far hold something else (`a[0]` over a string `a`, `a.b` over a list):
    helm-controller fails the release on it, `optional` or not. Go stops at the first failing entry."""
    result: dict[str, Any] = {}
    user = deepcopy(user)  # a targetPath writes into the maps it shares with spec.values, as in Go
    out = list(sources)
    for position, source in enumerate(sources):
        if source.problem:
            if source.fails:
                break
            continue
        if source.text is None:
            continue
        if not source.target_path:
            result = merge_maps(result, deepcopy(source.value))
            continue
        result = merge_maps(result, user)
        try:
            set_path(result, source.target_path, source.text, source.literal)
        except StrvalsError as error:
            out[position] = replace(source, problem=f"{_head(source, namespace)}: failed to merge value: {error}")
            break
    return tuple(out)


def _head(source: ValuesSource, namespace: str) -> str:
    optional = " optional" if source.optional else ""
    head = f"could not resolve{optional} {source.kind} chart values reference '{namespace}/{source.name}'"
    return head + f" with key '{source.key}'"


def _read(source: ValuesSource, objects: Objects, namespace: str, texts: Mapping[str, str]) -> ValuesSource:
    head = _head(source, namespace)
    if source.kind not in ("ConfigMap", "Secret"):
        return replace(source, problem=f"{head}: unsupported values reference kind")
    candidates = objects.get((source.kind, source.name), [])
    found = next((d for d in candidates if _text(d.get(("metadata", "namespace"), "")) in (namespace, "")), None)
    if found is None:
        plural = "secrets" if source.secret else "configmaps"
        return replace(source, problem=f'{head}: {plural} "{source.name}" not found')
    data = object_data(found)
    if source.key not in data:
        return replace(source, problem=f"{head}: key not found", file=found.file)
    text = data[source.key]
    at: Path = ("stringData", source.key) if found.mark(("stringData", source.key)) else ("data", source.key)
    mark = found.mark(at)
    plain = source.kind == "ConfigMap" or at[0] == "stringData"  # a Secret's `data` is base64: no lines inside
    whole = found.file_of(at) != found.file and mark == WHOLE_FILE  # generated from a file: the text is the file
    source = replace(source, text=text, file=found.file_of(at))
    if source.target_path:
        try:
            set_path({}, source.target_path, text, source.literal)
        except StrvalsError as error:
            return replace(source, problem=f"{head}: failed to merge value: {error}")
        return replace(source, positions={(): mark} if mark is not None else {})
    loaded = load_yaml(text)
    value = loaded.documents[0].value if loaded.documents else {}
    if (loaded.problems and not loaded.documents) or not isinstance(value, (dict, type(None))):
        reason = loaded.problems[0].message if loaded.problems else "the data is not a map of values"
        return replace(source, problem=f"{head}: failed to read values data: {reason}")
    positions: dict[Path, Mark] = {}
    if loaded.documents and mark is not None:
        inner = loaded.documents[0].positions
        if whole:
            positions = dict(inner)
        elif plain:
            positions = embedded_positions(inner, texts.get(source.file), mark, mark.line)
        else:
            positions = {path: mark for path in inner}
    return replace(source, value=value or {}, positions=positions)
