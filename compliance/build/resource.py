"""A Kubernetes object while kustomize builds it: its value, where each node was written, what patches wrote.

A resource starts as a loaded document and is copied on its first change, so the thousands of resources no
patch touches cost nothing. Positions are kept per node (`Path -> Mark`) with the file of every node a
patch wrote, so a value set by a patch points at the patch file's line.
"""

from __future__ import annotations

import copy
from dataclasses import field
from typing import Any

from compliance.model import YamlDocument
from compliance.model import text_of as _text
from compliance.model.flux import Written
from compliance.records import record
from compliance.yaml import LoadedDocument, Mark, Path


@record
class ResId:
    """kustomize's resource identity: group, kind, namespace, name."""

    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind}/{where}"


@record(frozen=False)
class Resource:
    document: YamlDocument  # as loaded
    value: dict[str, Any]
    original_name: str
    original_namespace: str
    positions: dict[Path, Mark] | None = None  # None: the loaded document's, unchanged
    files: dict[Path, str] = field(default_factory=dict)
    plain: set[Path] | None = None
    written: list[Written] = field(default_factory=list)
    hashed: bool = False  # generated: its name gets kustomize's content hash when the whole build is done
    _owned: bool = False

    @staticmethod
    def of(document: YamlDocument) -> Resource:
        value = document.value
        metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
        return Resource(document, value, _text(metadata.get("name")), _text(metadata.get("namespace")))

    # ── identity ──
    @property
    def api_version(self) -> str:
        return _text(self.value.get("apiVersion"))

    @property
    def group(self) -> str:
        api = self.api_version
        return api.split("/", 1)[0] if "/" in api else ""

    @property
    def version(self) -> str:
        return self.api_version.rsplit("/", 1)[-1]

    @property
    def kind(self) -> str:
        return _text(self.value.get("kind"))

    @property
    def metadata(self) -> dict[str, Any]:
        metadata = self.value.get("metadata")
        return metadata if isinstance(metadata, dict) else {}

    @property
    def name(self) -> str:
        return _text(self.metadata.get("name"))

    @property
    def namespace(self) -> str:
        return _text(self.metadata.get("namespace"))

    @property
    def id(self) -> ResId:
        return ResId(self.group, self.kind, self.namespace, self.name)

    def matches_name(self, name: str) -> bool:
        return name in (self.name, self.original_name)

    def matches_namespace(self, namespace: str) -> bool:
        return namespace in (self.namespace, self.original_namespace)

    # ── changes ──
    def own(self) -> None:
        """Copy what a change may touch (the loaded document is shared with other builds)."""
        if not self._owned:
            self.value = copy.deepcopy(self.value)
            self.positions = dict(self.document.doc.positions)
            self.files = {**(self.document.files or {}), **self.files}
            self.plain = set(self.document.doc.plain_templates)
            self._owned = True

    def set_metadata(self, key: str, text: str) -> None:
        if self.metadata.get(key) == text:
            return  # unchanged: no copy
        self.own()
        metadata = self.value.setdefault("metadata", {})
        if isinstance(metadata, dict):
            metadata[key] = text

    def forget(self, path: Path) -> None:
        """Drop the positions (and plain-placeholder marks) of `path` and everything below it."""
        assert self.positions is not None and self.plain is not None
        size = len(path)
        for key in [k for k in self.positions if k[:size] == path]:
            del self.positions[key]
            self.files.pop(key, None)
        self.plain.difference_update([k for k in self.plain if k[:size] == path])

    def place(self, path: Path, source: YamlDocument, source_path: Path, file: str) -> None:
        """Record that the subtree at `path` was written at `source_path` of `source` (in `file`)."""
        assert self.positions is not None and self.plain is not None
        size = len(source_path)
        for key, mark in source.doc.positions.items():
            if key[:size] == source_path:
                target = path + key[size:]
                self.positions[target] = mark
                if file != self.document.file:
                    self.files[target] = file
                else:
                    self.files.pop(target, None)
        self.plain.update(path + key[size:] for key in source.doc.plain_templates if key[:size] == source_path)

    def shift(self, path: Path, start: int, delta: int) -> None:
        """Move the positions of list items at `path` from index `start` by `delta` (an insert or a removal)."""
        assert self.positions is not None and self.plain is not None
        size = len(path)

        def moved(key: Path) -> Path:
            step = key[size] if len(key) > size and key[:size] == path else None
            if isinstance(step, int) and step >= start:
                return (*path, step + delta, *key[size + 1 :])
            return key

        self.positions = {moved(k): v for k, v in self.positions.items()}
        self.files = {moved(k): v for k, v in self.files.items()}
        self.plain = {moved(k) for k in self.plain}

    def built(self) -> YamlDocument:
        """The resource as a document: its value, positions and the files of patched nodes."""
        if not self._owned:
            return self.document
        loaded = self.document.doc
        assert self.positions is not None and self.plain is not None
        doc = LoadedDocument(self.value, self.positions, frozenset(self.plain), loaded.index)
        return YamlDocument(self.document.file, doc, dict(self.files) or None)
