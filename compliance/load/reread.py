"""What the load does not hold for the whole run, read again when asked (issue 15: memory that does not grow
with the repository).

Every file is read once, parsed and scanned for suppression comments. The model keeps the documents it was
built from; neither the text of every file nor the documents by file are kept past the build, so documents
nothing in the model holds (a Namespace, a HelmRepository, a Kustomization once built) are freed. The few
asked for later (a generator's file, a release's `valuesFiles`, a pre-commit run's changed files) are read
again from the same path and checked against the first read's digest, so what is read again is exactly what
was linted (a file changed meanwhile is an InputError, never another content).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping

from compliance.errors import UsageError
from compliance.load.files import read_regular
from compliance.model import YamlDocument
from compliance.records import record
from compliance.yaml import Limits, load_manifest, load_yaml


class InputError(UsageError):
    """A path the user gave cannot be linted (missing, unreadable)."""


@record
class FileRead:
    """How one file was read: from where, its digest, and how it was parsed."""

    path: str  # as the walk opened it
    sha256: str
    manifest: bool  # parsed as kustomize-controller types it (else as Helm does)
    limits: Limits  # the limits it was parsed under (the run's budget narrows them)
    cap: int  # the most bytes it was read to


def read_again(rel: str, read: FileRead) -> bytes:
    """The file's bytes, as the first read saw them."""
    try:
        data = read_regular(read.path, read.cap)
    except OSError as error:
        raise InputError(f"{rel}: cannot read the file again: {error.strerror or error}") from None
    if hashlib.sha256(data).hexdigest() != read.sha256:
        raise InputError(f"{rel}: changed while it was being linted")
    return data


class FileTexts(Mapping[str, str]):
    """The text of each file read (binary ones excepted), read again when asked."""

    def __init__(self, reads: Mapping[str, FileRead]) -> None:
        self._reads = reads
        self._texts: dict[str, str] = {}  # the ones asked for (or kept)
        self._files: set[str] = set()

    def add(self, rel: str, text: str | None = None) -> None:
        """`rel` (in the reads) is text; `text` given: kept, never read again."""
        self._files.add(rel)
        if text is not None:
            self._texts[rel] = text

    def __getitem__(self, rel: str) -> str:
        text = self._texts.get(rel)
        if text is None:
            if rel not in self._files:
                raise KeyError(rel)
            text = self._texts[rel] = read_again(rel, self._reads[rel]).decode("utf-8", errors="replace")
        return text

    def __contains__(self, rel: object) -> bool:
        return rel in self._files

    def __repr__(self) -> str:  # the files, not the texts (a repr never reads a file again)
        return f"FileTexts({sorted(self._files)!r})"

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


class LoadedDocuments(Mapping[str, tuple[YamlDocument, ...]]):
    """Every loaded file's documents by repo-relative path, in the order read; a file none of whose documents
    the model holds is parsed again when asked (as it was: same bytes, same typing, same limits)."""

    def __init__(self, documents: dict[str, tuple[YamlDocument, ...]], reads: Mapping[str, FileRead]) -> None:
        self._order = tuple(documents)
        self._all = frozenset(documents)
        self._kept = documents
        self._reads = reads

    def drop(self, rels: set[str]) -> None:
        """Hold these files' documents no longer (each must have been read, to be read again)."""
        for rel in rels:
            if rel in self._reads:
                self._kept.pop(rel, None)

    def __getitem__(self, rel: str) -> tuple[YamlDocument, ...]:
        documents = self._kept.get(rel)
        if documents is None:
            if rel not in self._all:
                raise KeyError(rel)
            read = self._reads[rel]
            load = load_manifest if read.manifest else load_yaml
            loaded = load(read_again(rel, read), read.limits)
            documents = self._kept[rel] = tuple(YamlDocument(rel, doc) for doc in loaded.documents)
        return documents

    def __contains__(self, rel: object) -> bool:
        return rel in self._all

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)
