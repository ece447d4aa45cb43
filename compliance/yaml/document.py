"""The loaded result that the domain model keeps: paths, 1-based marks, problems, documents, files.

``Positions`` keeps each position 0-based, packed in one int (``line << 32 | column``: an int is a
tenth of a libyaml mark object), and makes ``Mark`` instances only when one is read: most positions of
a large file are never looked up.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import field
from typing import Any

from compliance.records import record

Path = tuple[str | int, ...]

# False keeps libyaml's mark objects (the reference tests/test_perf_identity.py compares with).
PACK_POSITIONS = True


@record
class Mark:
    """A 1-based position in a file."""

    line: int
    column: int


@record
class LoadProblem:
    """Something the loader noticed; the rule pack turns these into findings."""

    code: str  # YML000 parse error, YML001 YAML-1.1 boolean, YML002 duplicate key, YML003 limits
    message: str
    line: int
    column: int
    document: int = 0  # index of the document in the stream
    path: Path = ()  # value path inside that document, () when not applicable
    detail: Mapping[str, Any] = field(default_factory=dict)


@record
class LoadedDocument:
    value: Any  # dict[str, Any] | list | str | bool | int | float | None, typed as Helm types it
    positions: Mapping[Path, Mark]  # every node's position by its path; () is the root
    plain_templates: frozenset[Path] = frozenset()  # plain (unquoted) scalars containing "${"
    index: int = 0


@record
class LoadedFile:
    documents: tuple[LoadedDocument, ...]
    problems: tuple[LoadProblem, ...]
    # What the file cost (documents dropped at a limit included): a run's total budget adds these up.
    nodes: int = 0
    path_steps: int = 0


class Positions(Mapping[Path, Mark]):
    """Read-only path -> Mark mapping; converts packed (or libyaml's) 0-based marks lazily (and caches)."""

    __slots__ = ("_end", "_lines", "_raw")

    def __init__(self, raw: dict[Path, Any], lines: int = 0) -> None:
        self._raw = raw
        self._lines = lines  # lines before the text libyaml read (it resumed after a bad document)
        self._end: Mark | None = None  # the input's last position, when libyaml may point past it

    def __getitem__(self, path: Path) -> Mark:
        m = self._raw[path]
        if m.__class__ is not Mark:
            line, column = (m >> 32, m & 0xFFFFFFFF) if m.__class__ is int else (m.line, m.column)
            m = Mark(line + 1 + self._lines, column + 1)
            if self._end is not None and m.line > self._end.line:
                m = self._end
            self._raw[path] = m  # same key: safe even during iteration
        return m

    def __contains__(self, path: object) -> bool:
        return path in self._raw

    @staticmethod
    def packed(raw: dict[Path, Any]) -> dict[Path, Any]:
        """``raw`` with each libyaml mark packed in an int (0-based ``line << 32 | column``); a ``Mark``
        (already 1-based) is kept as it is."""
        if not PACK_POSITIONS:
            return raw
        return {p: m if m.__class__ is Mark else (m.line << 32) | m.column for p, m in raw.items()}

    def __iter__(self) -> Iterator[Path]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __repr__(self) -> str:
        return f"Positions({dict(self.items())!r})"
