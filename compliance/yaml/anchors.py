"""Anchors and aliases: what an anchor recorded, and how an alias copies it in (values and positions).

Aliases are expanded eagerly as copies (go-yaml decodes each alias afresh); the positions an
anchor's subtree produced are re-rooted under each alias.
"""

from __future__ import annotations

import marshal
import operator
from typing import Any

from compliance.yaml.document import Path
from compliance.yaml.scalars import MISS, PLAIN_VALUES, Sentinel, resolve_go, tagged_scalar, value_of

# What an anchored node is.
A_SCALAR, A_MAP, A_SEQ = range(3)
OPEN = Sentinel("OPEN")  # an anchor whose node is still being built (alias to it = a cycle)


class Anchor:
    """What an anchor points at, with the slice of positions/templates its subtree produced."""

    __slots__ = (
        "base",
        "count",
        "end",
        "height",
        "kind",
        "start",
        "steps",
        "style",
        "tag",
        "tend",
        "text",
        "tstart",
        "value",
    )

    def __init__(self, kind: int, value: Any, start: int, end: int, base: int) -> None:
        self.kind = kind
        self.value = value
        self.start = start  # paths[start:end] = the subtree's descendants (root excluded)
        self.end = end
        self.base = base  # len(path) of the anchored node: the prefix to swap out
        self.tstart = 0
        self.tend = 0
        self.count = 1  # nodes after expansion
        self.height = 0  # collection levels inside (a scalar has 0)
        self.steps = 0  # sum of the subtree's path lengths below the anchored node
        self.text = ""
        self.tag: str | None = None
        self.style = ""


def deep_copy(value: Any) -> Any:
    """Copy a dict/list tree: go-yaml decodes each alias afresh, so copies must not share."""
    cls = value.__class__
    if cls is not dict and cls is not list:
        return value
    try:
        # marshal copies plain data trees in C, ~10x faster than a Python walk.
        return marshal.loads(marshal.dumps(value))
    except ValueError:  # deeper than marshal's own nesting limit: copy iteratively
        pass
    out: Any = {} if cls is dict else []
    todo = [(value, out)]
    while todo:
        src, dst = todo.pop()
        is_map = dst.__class__ is dict
        for k, v in src.items() if is_map else enumerate(src):
            c = v.__class__
            if c is dict or c is list:
                v2: Any = {} if c is dict else []
                todo.append((v, v2))
                v = v2
            if is_map:
                dst[k] = v
            else:
                dst.append(v)
    return out


def scalar_anchor(ev: Any) -> Anchor:
    rec = Anchor(A_SCALAR, MISS, 0, 0, 0)
    rec.text, rec.tag, rec.style = ev.value, ev.tag, ev.style
    return rec


def anchor_value(rec: Anchor) -> Any:
    """The value of an anchored scalar (problems were reported where it was defined)."""
    if rec.value is MISS:
        if rec.tag is None and not rec.style:
            v = PLAIN_VALUES.get(rec.text, MISS)
            rec.value = v if v is not MISS else value_of(*resolve_go(rec.text))
        elif rec.tag is None:
            rec.value = rec.text
        else:
            kind, v, _, _ = tagged_scalar(rec.text, rec.tag)
            rec.value = value_of(kind, v)
    return rec.value


def graft(paths: list[Path], marks: list[Any], templates: list[tuple[Path, Any]], rec: Anchor, dest: Path) -> None:
    """Re-root the positions/templates recorded for an anchor's subtree under ``dest``."""
    start, end, tstart, tend = rec.start, rec.end, rec.tstart, rec.tend
    cut = operator.itemgetter(slice(rec.base, None))
    # map/extend keep the per-node work in C: this is what alias expansion costs.
    paths.extend(map(dest.__add__, map(cut, paths[start:end])))
    marks.extend(marks[start:end])
    if tend > tstart:
        templates.extend([(dest + p[rec.base :], m) for p, m in templates[tstart:tend]])
