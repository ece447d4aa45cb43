"""Loading: YAML text -> Helm-typed Python values with a position for every node.

INTERFACE (fixed; other modules depend on it). Implementation: see the helper task.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Mark:
    """A 1-based position in a file."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class LoadProblem:
    """Something the loader noticed; the rule pack turns these into findings."""

    code: str  # YML000 parse error, YML001 YAML-1.1 boolean, YML002 duplicate key, YML003 limits
    message: str
    line: int
    column: int
    document: int = 0  # index of the document in the stream
    path: Path = ()  # value path inside that document, () when not applicable
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    value: Any  # dict[str, Any] | list | str | bool | int | float | None, typed as Helm types it
    positions: Mapping[Path, Mark]  # every node's position by its path; () is the root
    plain_templates: frozenset[Path] = frozenset()  # plain (unquoted) scalars containing "${"
    index: int = 0


@dataclass(frozen=True, slots=True)
class LoadedFile:
    documents: tuple[LoadedDocument, ...]
    problems: tuple[LoadProblem, ...]


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 10 * 1024 * 1024
    max_depth: int = 1000
    max_nodes: int = 1_000_000  # after alias expansion


def load_yaml(text: str | bytes, limits: Limits = Limits()) -> LoadedFile:
    raise NotImplementedError
