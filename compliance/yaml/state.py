"""The state of one document being built, shared by the builder's event handlers (``builder``, ``aliases``).

Declared once here, with its types, so both halves of the builder type-check against the same fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from compliance.yaml.budget import FileBudget, Limits
from compliance.yaml.document import LoadProblem, Path
from compliance.yaml.problems import duplicate_key

Overflow = Callable[[int], "tuple[Any, str] | None"]


class BuilderState:
    __slots__ = (
        "anchors",
        "budget",
        "check_at",
        "cpath",
        "cur",
        "dirty",
        "fanchor",
        "fkind",
        "get_event",
        "grafted",
        "heavy",
        "index",
        "key",
        "kmark",
        "kmarks",
        "limits",
        "marks",
        "maxd",
        "mode",
        "nodes",
        "overflow",
        "paths",
        "precounted",
        "problems",
        "root",
        "stack",
        "templates",
    )

    get_event: Callable[[], Any]
    index: int
    limits: Limits
    problems: list[LoadProblem]
    overflow: Overflow
    budget: FileBudget
    paths: list[Path]  # node positions in write order (later wins), parallel to `marks`
    marks: list[Any]
    templates: list[tuple[Path, Any]]
    anchors: dict[str, Any]
    stack: list[tuple[Any, ...]]
    mode: int
    cur: Any
    cpath: Path
    key: Any
    kmark: Any
    kmarks: dict[str, Any]
    fkind: int
    fanchor: tuple[Any, ...] | None
    root: Any
    nodes: int
    check_at: int
    maxd: int
    dirty: bool
    grafted: bool
    heavy: int
    precounted: bool

    def _repeated_key(self, k: str, mark: Any, text: str, alias: str | None) -> None:
        """``k`` is already in the open mapping (from ``text``, or from ``alias`` when not None)."""
        self.dirty = True
        first = self.kmarks.get(k)
        if first is not None:
            source, shown = (f"'{text}'", text) if alias is None else (f"alias *{alias}", f"*{alias}")
            path = (*self.cpath, k)
            self.problems.append(duplicate_key(k, source, shown, first, mark, self.index, path))
