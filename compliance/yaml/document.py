"""The loaded result that the domain model keeps: paths, 1-based marks, problems, documents, files.

``Positions`` keeps each position 0-based, packed in one int (``line << 32 | column``: an int is a
tenth of a libyaml mark object), and makes ``Mark`` instances only when one is read: most positions of
a large file are never looked up. A document whose nodes were written once each, in order (no anchor,
alias, merge key or overwritten key: almost every document), keeps only those ints, in an array in
the order a pre-order walk of its value visits the nodes; the path -> position mapping is made from
the value the first time a position other than the root's is read (issue 15: the path tuples and the
dict were ~40% of a loaded repository, and two thirds of the documents are never looked up).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping
from dataclasses import field
from typing import Any

from compliance.records import record

Path = tuple[str | int, ...]

# False keeps libyaml's mark objects (the reference tests/test_perf_identity.py compares with).
PACK_POSITIONS = True
# False keeps every document's path -> position dict from the start (the reference for compact ones).
COMPACT_POSITIONS = True
COMPACT_LOOKUPS = 8  # lookups of a compact document answered by walking its value, before the mapping is made


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
    """Read-only path -> Mark mapping; converts packed (or libyaml's) 0-based marks lazily (and caches).

    Built from a dict (`raw`), or compact (`Positions.compact`): the packed marks in pre-order of `value`,
    the dict made from them when first needed."""

    __slots__ = ("_end", "_lines", "_looked", "_marks", "_raw", "_value")

    def __init__(self, raw: dict[Path, Any], lines: int = 0) -> None:
        self._raw: dict[Path, Any] | None = raw
        self._lines = lines  # lines before the text libyaml read (it resumed after a bad document)
        self._end: Mark | None = None  # the input's last position, when libyaml may point past it
        self._marks: array[int] | None = None  # compact: packed marks in pre-order of `_value`
        self._value: Any = None
        self._looked = 0  # compact: positions found by walking the value, before the mapping is made

    @classmethod
    def compact(cls, value: Any, marks: list[Any], lines: int = 0) -> Positions:
        """The positions of a document whose nodes were each written once, in pre-order of `value`
        (`marks[i]` is the libyaml mark of the i-th node a pre-order walk visits, the root first)."""
        positions = cls.__new__(cls)
        positions._raw = None
        positions._lines = lines
        positions._end = None
        positions._marks = array("q", [(m.line << 32) | m.column for m in marks])
        positions._value = value
        positions._looked = 0
        return positions

    def shifted(self, lines: int) -> Positions:
        """The same positions, `lines` further down the file."""
        if self._raw is not None:
            return Positions(self._raw, self._lines + lines)
        positions = Positions.__new__(Positions)
        positions._raw, positions._end = None, self._end
        positions._lines, positions._marks, positions._value = self._lines + lines, self._marks, self._value
        positions._looked = 0
        return positions

    def _mapping(self) -> dict[Path, Any]:
        raw = self._raw
        if raw is None:
            assert self._marks is not None
            paths = preorder_paths(self._value)
            if len(paths) != len(self._marks):  # the builder's promise broken: a bug, never a wrong line
                raise RuntimeError(f"positions: {len(self._marks)} marks for {len(paths)} nodes")
            raw = self._raw = dict(zip(paths, self._marks, strict=True))
            self._marks = self._value = None
        return raw

    def _mark(self, m: Any) -> Mark:
        line, column = (m >> 32, m & 0xFFFFFFFF) if m.__class__ is int else (m.line, m.column)
        mark = Mark(line + 1 + self._lines, column + 1)
        if self._end is not None and mark.line > self._end.line:
            mark = self._end
        return mark

    def _compact_index(self, path: Path) -> int | None:
        """Compact and looked up a few times only: the node's index in pre-order (None: no such node),
        found by counting the nodes before it, without making the mapping (most documents are asked
        only where a finding or a context's first line is). From the ninth lookup on, the mapping."""
        if self._raw is not None or self._marks is None:
            return -1
        if path:
            self._looked += 1
            if self._looked > COMPACT_LOOKUPS:
                return -1
        return preorder_index(self._value, path)

    def __getitem__(self, path: Path) -> Mark:
        index = self._compact_index(path)
        if index is None:
            raise KeyError(path)
        if index >= 0:
            assert self._marks is not None
            return self._mark(self._marks[index])
        raw = self._mapping()
        m = raw[path]
        if m.__class__ is not Mark:
            m = self._mark(m)
            raw[path] = m  # same key: safe even during iteration
        return m

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, tuple):
            return False
        index = self._compact_index(path)
        return index is not None and (index >= 0 or path in self._mapping())

    @staticmethod
    def packed(raw: dict[Path, Any]) -> dict[Path, Any]:
        """``raw`` with each libyaml mark packed in an int (0-based ``line << 32 | column``); a ``Mark``
        (already 1-based) is kept as it is."""
        if not PACK_POSITIONS:
            return raw
        return {p: m if m.__class__ is Mark else (m.line << 32) | m.column for p, m in raw.items()}

    def __iter__(self) -> Iterator[Path]:
        return iter(self._mapping())

    def __len__(self) -> int:
        return len(self._marks) if self._raw is None and self._marks is not None else len(self._mapping())

    def __repr__(self) -> str:
        return f"Positions({dict(self.items())!r})"


def preorder_paths(value: Any) -> list[Path]:
    """The path of every node of `value` in pre-order (the root `()` first; a mapping's entries in order)."""
    paths: list[Path] = [()]
    add = paths.append
    stack: list[tuple[Path, Iterator[tuple[Any, Any]]]] = []
    if value.__class__ is dict:
        stack.append(((), iter(value.items())))
    elif value.__class__ is list:
        stack.append(((), iter(enumerate(value))))
    while stack:
        base, children = stack[-1]
        for step, child in children:
            path = (*base, step)
            add(path)
            if child.__class__ is dict:
                stack.append((path, iter(child.items())))
                break
            if child.__class__ is list:
                stack.append((path, iter(enumerate(child))))
                break
        else:
            stack.pop()
    return paths


def _size(value: Any) -> int:
    """How many nodes `value` is (itself and everything under it)."""
    count, stack = 1, [value]
    while stack:
        node = stack.pop()
        children = node.values() if node.__class__ is dict else node
        count += len(children)
        stack.extend(c for c in children if c.__class__ is dict or c.__class__ is list)
    return count if value.__class__ is dict or value.__class__ is list else 1


def preorder_index(value: Any, path: Path) -> int | None:
    """The index in pre-order (`preorder_paths`) of the node at `path`, None when there is none: what
    `preorder_paths(value).index(path)` gives, the path's steps compared as a dict of paths compares them."""
    index, node = 0, value
    for step in path:
        index += 1
        if node.__class__ is dict:
            if step not in node:
                return None
            for key, child in node.items():
                if key == step:
                    node = child
                    break
                index += _size(child) if child.__class__ is dict or child.__class__ is list else 1
        elif node.__class__ is list:
            if not (isinstance(step, int) or (isinstance(step, float) and step.is_integer())):
                return None
            at = int(step)
            if not 0 <= at < len(node):
                return None
            for child in node[:at]:
                index += _size(child) if child.__class__ is dict or child.__class__ is list else 1
            node = node[at]
        else:
            return None
    return index
