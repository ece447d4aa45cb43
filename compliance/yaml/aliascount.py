"""Counting a source's nodes with aliases expanded, building nothing: an alias bomb is refused
before it is expanded."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    StreamEndEvent,
)

from compliance.yaml.budget import Limits
from compliance.yaml.scalars import MERGE_TAG
from compliance.yaml.source import Source, nesting_cut

# Aliases may bring in this many nodes before the document is counted up front.
PRECOUNT_AFTER = 4096


def alias_overflows(source: Source, limits: Limits, first: int, base: int) -> dict[int, tuple[Any, str]]:
    """Count the nodes of every document with aliases expanded, building nothing.

    Returns, per document index (the source's first document is ``first``), (mark, name) of the
    alias that takes the file's count (``base`` before the source) past ``limits.max_nodes``. The
    count follows ``build_document``'s rules (keys count; a merged map adds its size minus one),
    erring high only on input that already has YML000 problems (collection keys, bad merges). One
    pass serves the whole source, so many documents cannot make this quadratic; it stops where
    ``build_document`` would (parse error, nesting deeper than the limit).
    """
    limit = limits.max_nodes
    cap = limits.max_depth
    get_event = source.parser().get_event
    found: dict[int, tuple[Any, str]] = {}
    sizes: dict[str, tuple[int, bool]] = {}  # anchor -> (nodes, is a map)
    stack: list[tuple[Any, ...]] = []
    index = first - 1
    nodes = base
    in_map = want_key = merge_next = merge_seq = False
    try:
        while True:
            ev = get_event()
            cls = ev.__class__
            if cls is MappingEndEvent or cls is SequenceEndEvent:
                in_map, want_key, merge_next, merge_seq, anchor, start = stack.pop()
                if anchor is not None:
                    sizes[anchor] = (nodes - start + 1, cls is MappingEndEvent)
                continue
            if cls is DocumentStartEvent:
                index += 1
                sizes.clear()
                in_map = want_key = merge_next = merge_seq = False
                continue
            if cls is StreamEndEvent:
                return found
            if cls is DocumentEndEvent or cls is yaml.StreamStartEvent:
                continue
            is_key = in_map and want_key
            merging = merge_seq or (in_map and not want_key and merge_next)
            if in_map:
                want_key = not want_key
            if cls is ScalarEvent:
                nodes += 1
                if ev.anchor is not None:
                    sizes[ev.anchor] = (1, False)
                if is_key:
                    merge_next = ev.value == "<<" and (ev.tag == MERGE_TAG or (ev.tag is None and not ev.style))
            elif cls is AliasEvent:
                size, is_map = sizes.get(ev.anchor, (1, False))
                if is_key:
                    nodes += 1
                    merge_next = False
                elif merging:
                    nodes += size - 1 if is_map else 0
                else:
                    nodes += size
                if nodes > limit and index not in found:
                    found[index] = (ev.start_mark, ev.anchor)
            else:  # a collection starts
                if len(stack) >= cap:
                    return found
                nodes += 1
                stack.append((in_map, want_key, merge_next, merge_seq, ev.anchor, nodes))
                in_map = cls is MappingStartEvent
                merge_seq = merging and not in_map
                want_key = True
                merge_next = False
    except yaml.YAMLError as exc:
        cut = nesting_cut(exc)
        if cut is not None:  # libyaml's own limit, maybe read ahead of events we counted: recount the text before it
            return alias_overflows(source.cut(cut), limits, first, base)
        return found
