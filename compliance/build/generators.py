"""kustomize's `configMapGenerator` and `secretGenerator` (api v0.21.2, `generators/configmap.go`, `secret.go`).

Each entry makes a ConfigMap or Secret from `literals` (`k=v`, one pair of surrounding quotes dropped),
`files` (`[key=]path`, the key defaulting to the file name) and `envs` (`KEY=VALUE` lines). A Secret's data
is base64-encoded, its `type` defaults to `Opaque`. `generatorOptions` and the entry's `options` add labels
and annotations; unless `disableNameSuffixHash`, the name gets kustomize's content hash once the whole
build is done (`name_hashes`). `behavior: merge` adds the data over an object of the same identity from
`resources` (new keys win), `replace` swaps it (either way the name is hashed only if the old one's was),
`create` (the default) refuses one that exists.

Only files the loader read (YAML) can be used: a generator naming any other file is not modelled (FLX004)
and generates nothing. A key read from a file is positioned at that file's line 1, column 1 (`files` names
the file): its text is the whole file, so positions inside it are the file's own.
"""

from __future__ import annotations

import base64
import json
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any

from compliance.build.resource import Resource
from compliance.model import YamlDocument
from compliance.model import text_of as _text
from compliance.model.findings import Location
from compliance.records import record
from compliance.yaml import LoadedDocument, Mark, Path

WHOLE_FILE = Mark(1, 1)  # where a key read from a whole file is written (in that file)
_HASH_LETTERS = str.maketrans({"0": "g", "1": "h", "3": "k", "a": "m", "e": "t"})


class GeneratorError(ValueError):
    """kustomize refuses the generator (the build fails), at `location` (the generator entry)."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.location = location


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@record(frozen=False, slots=False)
class _Data:
    values: dict[str, str] = field(default_factory=dict)
    positions: dict[Path, Mark] = field(default_factory=dict)
    files: dict[Path, str] = field(default_factory=dict)

    def add(self, key: str, value: str, mark: Mark | None, file: str | None = None) -> None:
        if key in self.values:
            raise GeneratorError(f"configmap/secret generator: duplicate key {key!r}")
        self.values[key] = value
        if mark is not None:
            self.positions[("data", key)] = mark
        if file is not None:
            self.files[("data", key)] = file


def generate(
    spec: Mapping[str, Any],
    folder: str,
    kfile: YamlDocument | None,
    texts: Mapping[str, str],
    resources: list[Resource],
    not_modelled: Callable[[Location, str], None],
) -> None:
    """Add (or merge into `resources`) what the kustomization's generators make."""
    options = spec.get("generatorOptions")
    common = options if isinstance(options, dict) else {}
    for kind, key in (("ConfigMap", "configMapGenerator"), ("Secret", "secretGenerator")):
        for index, entry in enumerate(_list(spec.get(key))):
            at: Path = (key, index)
            location = kfile.locate(at) if kfile is not None else Location(folder or ".", 1, 1)
            if not isinstance(entry, dict) or not _text(entry.get("name")):
                raise GeneratorError(f"{key}[{index}]: a generator needs a name", location)
            unread = _unread(entry, folder, texts)
            if unread:
                not_modelled(
                    location,
                    f"{key} '{entry['name']}' reads '{unread}', which is not a YAML file the "
                    "linter loads: the object it generates is not linted",
                )
                continue
            try:
                data = _data(entry, folder, texts, kfile, at)
                resource = _resource(kind, entry, common, data, kfile, folder)
                _add(resource, _text(entry.get("behavior")) or "create", resources)
            except GeneratorError as error:
                raise GeneratorError(str(error), location) from error


def _unread(entry: Mapping[str, Any], folder: str, texts: Mapping[str, str]) -> str:
    """The first file the entry reads that the loader did not read ("" when there is none)."""
    files = [_text(item).split("=", 1)[-1] for item in _list(entry.get("files"))]
    envs = [_text(item) for item in _envs(entry)]
    return next((path for path in [*files, *envs] if _join(folder, path) not in texts), "")


def _envs(entry: Mapping[str, Any]) -> list[Any]:
    return _list(entry.get("envs")) + ([entry["env"]] if entry.get("env") else [])


def _join(folder: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(folder, path)) if folder else posixpath.normpath(path)


def _mark(kfile: YamlDocument | None, path: Path) -> Mark | None:
    return kfile.mark(path) if kfile is not None else None


def _data(
    entry: Mapping[str, Any], folder: str, texts: Mapping[str, str], kfile: YamlDocument | None, at: Path
) -> _Data:
    data = _Data()
    for index, item in enumerate(_envs(entry)):
        for line in texts[_join(folder, _text(item))].splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                if "=" not in line:
                    raise GeneratorError(f"env file line {line!r} is not KEY=VALUE")
                name, value = line.split("=", 1)
                data.add(name, value, _mark(kfile, (*at, "envs", index)))
    for index, item in enumerate(_list(entry.get("literals"))):
        text = _text(item)
        if "=" not in text:
            raise GeneratorError(f"literal {text!r} must be formatted as key=value")
        name, value = text.split("=", 1)
        if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        data.add(name, value, _mark(kfile, (*at, "literals", index)))
    for item in _list(entry.get("files")):
        text = _text(item)
        name, path = text.split("=", 1) if "=" in text else (posixpath.basename(text), text)
        joined = _join(folder, path)
        data.add(name, texts[joined], WHOLE_FILE, joined)
    return data


def _resource(
    kind: str,
    entry: Mapping[str, Any],
    common: Mapping[str, Any],
    data: _Data,
    kfile: YamlDocument | None,
    folder: str,
) -> Resource:
    own = entry.get("options")
    local = own if isinstance(own, dict) else {}
    metadata: dict[str, Any] = {"name": entry["name"]}
    if _text(entry.get("namespace")):
        metadata["namespace"] = entry["namespace"]
    for field_name in ("labels", "annotations"):
        merged = {**_mapping(common.get(field_name)), **_mapping(local.get(field_name))}
        if merged:
            metadata[field_name] = merged
    value: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": metadata}
    if kind == "Secret":
        value["type"] = _text(entry.get("type")) or "Opaque"
        value["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in data.values.items()}
    else:
        value["data"] = dict(data.values)
    if local.get("immutable") is True or common.get("immutable") is True:
        value["immutable"] = True
    file = kfile.file if kfile is not None else folder or "."
    document = YamlDocument(file, LoadedDocument(value, data.positions), data.files or None)
    resource = Resource.of(document)
    resource.hashed = not (local.get("disableNameSuffixHash") is True or common.get("disableNameSuffixHash") is True)
    return resource


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _add(resource: Resource, behavior: str, resources: list[Resource]) -> None:
    same = [i for i, r in enumerate(resources) if r.id == resource.id]
    if not same:
        if behavior in ("merge", "replace"):
            raise GeneratorError(f"id {resource.id} does not exist; cannot merge or replace")
        resources.append(resource)
        return
    if behavior not in ("merge", "replace"):
        raise GeneratorError(f"id {resource.id} exists; behavior must be merge or replace")
    index = same[0]
    old = resources[index]
    if behavior == "merge":
        for field_name in ("labels", "annotations"):
            merged = {**_mapping(old.metadata.get(field_name)), **_mapping(resource.metadata.get(field_name))}
            if merged:
                resource.value["metadata"][field_name] = merged
        old_data = _mapping(old.value.get("data"))
        if resource.kind == "Secret":
            strings = _mapping(old.value.get("stringData"))
            old_data.update({k: base64.b64encode(_text(v).encode()).decode() for k, v in strings.items()})
        resource.value["data"] = {**old_data, **_mapping(resource.value.get("data"))}
        positions = {p: m for p, m in old.built().doc.positions.items() if p[:1] == ("data",)}
        positions.update(resource.document.doc.positions)
        files = {p: old.built().file_of(p) for p in positions if p not in resource.document.doc.positions}
        files.update(resource.document.files or {})
        document = YamlDocument(resource.document.file, LoadedDocument(resource.value, positions), files or None)
        resource = Resource.of(document)
    resource.hashed = old.hashed  # kustomize copies the old object's generator options (`CopyMergeMetaDataFieldsFrom`)
    resources[index] = resource


def name_hash(value: Mapping[str, Any]) -> str:
    """kustomize's `hasher.Hash`: sha256 of the JSON of kind, name and data (a Secret's type and stringData,
    a ConfigMap's binaryData too), as Go's `json.Marshal` writes it (sorted keys; `<`, `>`, `&` escaped), its
    first 10 hex digits with 0, 1, 3, a, e swapped for g, h, k, m, t. The name is always empty: kustomize looks
    up `metadata/name` as one field name, which no object has (measured: kubectl kustomize v5.5.0 and the
    oracle's api v0.21.2 agree). A field the object lacks is the empty string."""
    kind = _text(value.get("kind"))
    encoded: dict[str, Any] = {"kind": kind, "name": "", "data": value.get("data", "")}
    if kind == "Secret":
        encoded["type"] = value.get("type", "")
        if isinstance(value.get("stringData"), dict):
            encoded["stringData"] = value["stringData"]
    elif isinstance(value.get("binaryData"), dict):
        encoded["binaryData"] = value["binaryData"]
    text = json.dumps(encoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char in "&<>\u2028\u2029":  # Go's json.Marshal escapes these
        text = text.replace(char, f"\\u{ord(char):04x}")
    import hashlib  # here: only a generator's name hash needs it

    return hashlib.sha256(text.encode()).hexdigest()[:10].translate(_HASH_LETTERS)


def name_hashes(resources: list[Resource]) -> None:
    """The last step of a build: each generated object that wants it gets its content hash in its name."""
    for resource in resources:
        if resource.hashed:
            resource.set_metadata("name", f"{resource.name}-{name_hash(resource.value)}")
            resource.hashed = False
