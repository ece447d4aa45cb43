"""kustomize patches over a resource, with provenance: strategic merge and JSON 6902.

Strategic merge on a custom resource (a HelmRelease has no schema kustomize knows) is measured with the
oracle (tools/oracle, kustomize api v0.21.2): maps merge key by key, a `null` deletes the key, a list
replaces the list, a map written where there was none loses its `null` keys, `$patch: replace` replaces a
map and `$patch: delete` removes it. JSON 6902 follows RFC 6902 (kustomize uses evanphx/json-patch).
"""

from __future__ import annotations

import copy
from typing import Any

from compliance.build.resource import Resource
from compliance.model import YamlDocument
from compliance.model.flux import Written
from compliance.yaml import Mark, Path

DIRECTIVE = "$patch"


class PatchError(Exception):
    """A patch kustomize refuses: the Kustomization's build fails with this message."""


def _without_nulls(value: Any) -> Any:
    """A map written where none was: kustomize drops its `null` keys (lists are copied as they are)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None and k != DIRECTIVE}
    return copy.deepcopy(value)


class _Recorder:
    """Builds the `Written` record of one patch: a sparse tree of what it set, and its positions."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.tree: dict[str, Any] = {}
        self.positions: dict[Path, Mark] = {}

    def wrote(self, path: Path, value: Any, source: YamlDocument | None, source_path: Path) -> None:
        node: Any = self.tree
        for step in path[:-1]:
            if not isinstance(node, dict) or not isinstance(step, str):
                return  # inside a list or below a scalar: the patched result's positions locate it
            node = node.setdefault(step, {})
        if isinstance(node, dict) and path:
            node[path[-1]] = copy.deepcopy(value)
        if source is not None:
            size = len(source_path)
            for key, mark in source.doc.positions.items():
                if key[:size] == source_path:
                    self.positions[path + key[size:]] = mark

    def record(self) -> Written:
        return Written(self.file, self.tree, self.positions)


def strategic_merge(resource: Resource, patch: YamlDocument, base: Path = ()) -> None:
    """Merge the patch document (its value at `base`: an inline patch's root) into the resource."""
    resource.own()
    value = patch.get(base, None)
    if not isinstance(value, dict):
        raise PatchError(f"strategic merge patch in {patch.file} is not a mapping")
    recorder = _Recorder(patch.file)
    _merge_map(resource, resource.value, value, (), patch, base, recorder)
    resource.written.append(recorder.record())


def _merge_map(
    resource: Resource,
    target: dict[str, Any],
    patch: dict[str, Any],
    path: Path,
    source: YamlDocument,
    source_path: Path,
    recorder: _Recorder,
) -> None:
    for key, value in patch.items():
        if key == DIRECTIVE:
            continue
        at, source_at = (*path, key), (*source_path, key)
        if (not path and key in ("apiVersion", "kind")) or (path == ("metadata",) and key in ("name", "namespace")):
            continue  # identity: the patch was matched to this resource (a target's patch takes its name)
        if value is None:
            if key in target:
                del target[key]
                resource.forget(at)
                recorder.wrote(at, None, None, source_at)
            continue
        directive = value.get(DIRECTIVE) if isinstance(value, dict) else None
        if directive == "delete":
            if key in target:
                del target[key]
                resource.forget(at)
                recorder.wrote(at, None, None, source_at)
            continue
        current = target.get(key)
        if isinstance(value, dict) and isinstance(current, dict) and directive != "replace":
            _merge_map(resource, current, value, at, source, source_at, recorder)
            continue
        target[key] = _without_nulls(value)
        resource.forget(at)
        resource.place(at, source, source_at, source.file)
        recorder.wrote(at, target[key], source, source_at)


# ── JSON 6902 ────────────────────────────────────────────────────────────────


def _pointer(text: Any) -> list[str]:
    if not isinstance(text, str) or (text and not text.startswith("/")):
        raise PatchError(f"invalid JSON pointer {text!r}")
    if text == "":
        return []
    return [part.replace("~1", "/").replace("~0", "~") for part in text[1:].split("/")]


def _step(container: Any, token: str, adding: bool = False) -> str | int:
    if isinstance(container, dict):
        return token
    if isinstance(container, list):
        if adding and token == "-":
            return len(container)
        if not token.isdigit() or (token != "0" and token.startswith("0")):
            raise PatchError(f"invalid index {token!r}")
        index = int(token)
        if index > len(container) or (not adding and index == len(container)):
            raise PatchError(f"index {index} out of range")
        return index
    raise PatchError("path goes through a scalar")


def _resolve(root: Any, tokens: list[str], adding: bool = False) -> tuple[Any, Path, str | int]:
    """The container of the last token, its path, and the last step."""
    node: Any = root
    path: Path = ()
    for token in tokens[:-1]:
        step = _step(node, token)
        if isinstance(node, dict) and step not in node:
            raise PatchError(f"path /{'/'.join(tokens)} does not exist")
        node = node[step]
        path = (*path, step)
    return node, path, _step(node, tokens[-1], adding)


def json6902(resource: Resource, operations: Any, source: YamlDocument, base: Path) -> None:
    """Apply JSON 6902 `operations` (the list at `base` of `source`) to the resource."""
    if not isinstance(operations, list):
        raise PatchError(f"JSON 6902 patch in {source.file} is not a list of operations")
    resource.own()
    recorder = _Recorder(source.file)
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise PatchError(f"JSON 6902 operation {index} is not a mapping")
        _operation(resource, operation, source, (*base, index), recorder)
    resource.written.append(recorder.record())


def _operation(resource: Resource, operation: dict[str, Any], source: YamlDocument, at: Path, rec: _Recorder) -> None:
    op = operation.get("op")
    tokens = _pointer(operation.get("path"))
    if not tokens:
        raise PatchError(f"{op}: the whole document cannot be patched here")
    if op in ("add", "replace", "test") and "value" not in operation:
        raise PatchError(f"{op} operation has no value")
    if op == "test":
        container, _, step = _resolve(resource.value, tokens)
        if _get(container, step) != operation["value"]:
            raise PatchError(f"testing value /{'/'.join(tokens)} failed")
        return
    if op == "remove":
        container, path, step = _resolve(resource.value, tokens)
        _remove(resource, container, path, step)
        rec.wrote((*path, step), None, None, ())
        return
    if op in ("add", "replace"):
        container, path, step = _resolve(resource.value, tokens, adding=op == "add")
        if op == "replace":
            _get(container, step)  # must exist
            _remove(resource, container, path, step)
        _insert(resource, container, path, step, copy.deepcopy(operation["value"]))
        resource.place((*path, step), source, (*at, "value"), source.file)
        rec.wrote((*path, step), operation["value"], source, (*at, "value"))
        return
    if op in ("move", "copy"):
        from_tokens = _pointer(operation.get("from"))
        from_container, from_path, from_step = _resolve(resource.value, from_tokens)
        value = copy.deepcopy(_get(from_container, from_step))
        origin = resource.built()
        origin_path = (*from_path, from_step)
        if op == "move":
            _remove(resource, from_container, from_path, from_step)
        container, path, step = _resolve(resource.value, tokens, adding=True)
        _insert(resource, container, path, step, value)
        resource.place((*path, step), origin, origin_path, origin.file)
        rec.wrote((*path, step), value, source, at)
        return
    raise PatchError(f"unknown JSON 6902 operation {op!r}")


def _get(container: Any, step: str | int) -> Any:
    if isinstance(container, dict):
        if step not in container:
            raise PatchError(f"key {step!r} does not exist")
        return container[step]
    return container[step]


def _remove(resource: Resource, container: Any, path: Path, step: str | int) -> None:
    _get(container, step)
    resource.forget((*path, step))
    del container[step]
    if isinstance(container, list) and isinstance(step, int):
        resource.shift(path, step + 1, -1)


def _insert(resource: Resource, container: Any, path: Path, step: str | int, value: Any) -> None:
    if isinstance(container, list) and isinstance(step, int):
        resource.shift(path, step, 1)
        container.insert(step, value)
    else:
        resource.forget((*path, step))
        container[step] = value
