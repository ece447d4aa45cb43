"""Building one document from libyaml's events: values typed as Helm types them, with positions.

libyaml's C parser produces *events*; ``DocumentBuilder`` builds values from them in one iterative
loop (nothing is composed by recursive C code, so input nesting cannot overflow the C stack, and no
tag is ever constructed). The loop dispatches on the event's class; what a scalar or alias means
depends on what the open container expects next (its *mode*: a root, a mapping key, a mapping
value, a list item, a source inside `<<: [...]`, an ignored entry, done).

Positions: a scalar at its own start; a collection that is a mapping value at its key; a sequence
item at the item; aliased and merged-in nodes at the anchor's definition.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from sys import intern
from typing import Any

from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from compliance.yaml import document
from compliance.yaml.aliases import DONE, MKEY, MSEQ, MVAL, ROOT, SEQ, SKIP, AliasEvents
from compliance.yaml.anchors import (
    A_MAP,
    A_SEQ,
    OPEN,
    Anchor,
    deep_copy,
    graft,
    scalar_anchor,
)
from compliance.yaml.budget import STEP_CHECK, FileBudget, Limits
from compliance.yaml.document import LoadedDocument, LoadProblem, Path, Positions
from compliance.yaml.problems import (
    Abort,
    bool_problem,
    depth_abort,
    merge_problem,
    problem_at,
)
from compliance.yaml.scalars import (
    K_NULL,
    MAP_TAG,
    MERGE,
    MISS,
    NUM_START,
    PLAIN_KEYS,
    PLAIN_VALUES,
    SEQ_TAG,
    STD_OTHER_TAGS,
    STD_SCALAR_TAGS,
    YAML11_BOOL_WORDS,
    go_number,
    key_text,
    number_value,
    scalar_key,
    short_tag,
    tagged_scalar,
    value_of,
)
from compliance.yaml.state import Overflow

# Kinds of collection frames: normal, an inline map that is the value of `<<`, a map inside a
# `<<: [...]` list, and that list itself.
_NORMAL, _MERGE_MAP, _MERGE_SRC, _MERGE_SEQ = range(4)

# String values shorter than this are interned (keys always): copies of a chart or an overlay repeat the
# same words, each a new object from libyaml (issue 15: 11 MB of a 10x load); longer ones are rarely equal.
INTERNED = 64
_NONE: frozenset[Path] = frozenset()

# Builds one document: (get_event, index, limits, problems, overflow, budget) -> (document, stopped at).
BuildDocument = Callable[
    [Callable[[], Any], int, Limits, list[LoadProblem], Overflow, FileBudget], tuple[LoadedDocument, int | None]
]


def skip_node(get_event: Callable[[], Any], room: int) -> Any:
    """Consume the rest of a collection whose start event was just read.

    Returns the mark of the first collection nesting more than ``room`` levels (reading stops
    there: libyaml's scanner is quadratic in flow depth), else None.
    """
    level = 1
    while level:
        ev = get_event()
        cls = ev.__class__
        if cls is MappingStartEvent or cls is SequenceStartEvent:
            level += 1
            if level > room:
                return ev.start_mark
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            level -= 1
    return None


def existing_positions(raw: dict[Path, Any], root: Any) -> dict[Path, Any]:
    """The positions whose path still exists in ``root`` (overwritten subtrees leave stale ones).

    ``raw`` is in first-write order, so a path's parent comes before it: each path is checked
    against its parent's node, not walked from the root (an alias-heavy document has a million)."""
    out: dict[Path, Any] = {}
    nodes: dict[Path, Any] = {(): root}  # existing paths of collections -> the collection
    for path, mark in raw.items():
        if not path:
            out[path] = mark
            continue
        parent = nodes.get(path[:-1])
        if parent is None:
            continue
        part = path[-1]
        if parent.__class__ is dict:
            if part.__class__ is not str or part not in parent:
                continue
        elif part.__class__ is not int or not 0 <= part < len(parent):
            continue
        out[path] = mark
        node = parent[part]
        if node.__class__ is dict or node.__class__ is list:
            nodes[path] = node
    return out


def build_document(
    get_event: Callable[[], Any],
    index: int,
    limits: Limits,
    problems: list[LoadProblem],
    overflow: Overflow,
    budget: FileBudget,
) -> tuple[LoadedDocument, int | None]:
    """Build one document from its events (DocumentStartEvent already consumed), spending ``budget``.

    Returns the document and, if a limit stopped it, the offset in the source where that happened."""
    return DocumentBuilder(get_event, index, limits, problems, overflow, budget).build()


class DocumentBuilder(AliasEvents):
    """The state of one document being built; one method per kind of event (aliases: ``AliasEvents``)."""

    __slots__ = ()

    def __init__(
        self,
        get_event: Callable[[], Any],
        index: int,
        limits: Limits,
        problems: list[LoadProblem],
        overflow: Overflow,
        budget: FileBudget,
    ) -> None:
        self.get_event = get_event
        self.index = index
        self.limits = limits
        self.problems = problems
        self.overflow = overflow
        self.budget = budget
        # Node positions in write order (later wins): path and libyaml mark, as parallel lists.
        self.paths: list[Path] = []
        self.marks: list[Any] = []
        self.templates: list[tuple[Path, Any]] = []  # (path, mark) of plain scalars holding "${"
        self.anchors: dict[str, Any] = {}
        self.stack: list[tuple[Any, ...]] = []  # the enclosing frames, innermost last
        self.mode = ROOT
        self.cur: Any = None  # the open container
        self.cpath: Path = ()
        self.key: Any = None  # pending key in a mapping
        self.kmark: Any = None  # its mark
        self.kmarks: dict[str, Any] = {}  # first mark of each explicit key of the open mapping
        self.fkind = _NORMAL
        self.fanchor: tuple[Any, ...] | None = None  # what the open frame must record when it ends
        self.root: Any = None
        self.nodes = budget.nodes  # counted over the whole file
        self.check_at = min(limits.max_nodes, self.nodes + STEP_CHECK)  # when to sum path steps again
        self.maxd = 0  # deepest level seen since the innermost open anchor started
        self.dirty = False  # a value was overwritten: prune stale positions at the end
        self.grafted = False  # an anchor or a merge key: positions may be out of pre-order
        self.heavy = 0  # nodes brought in by aliases so far
        self.precounted = False

    def build(self) -> tuple[LoadedDocument, int | None]:
        try:
            self._events()
        except Abort as exc:
            # The document is dropped and its events are not read on: the caller resumes at the
            # next document marker (libyaml's scanner is quadratic in flow depth, and libyaml >= 0.2.6
            # refuses deep nesting itself, so skipping event by event is neither cheap nor portable).
            self.problems.append(exc.problem)
            self.budget.close(self.paths, self.nodes)  # what was built was spent, even if dropped
            raw: dict[Path, Any] = {(): self.marks[0]} if self.marks else {}
            return LoadedDocument(None, Positions(raw), frozenset(), self.index), exc.offset
        return self._finish(), None

    def _finish(self) -> LoadedDocument:
        self.budget.close(self.paths, self.nodes)
        templates = self.templates
        if not (self.dirty or self.anchors or self.grafted) and document.COMPACT_POSITIONS and document.PACK_POSITIONS:
            # each node written once, in order: its positions are its marks in pre-order of the value
            plain = frozenset(p for p, _ in templates) if templates else _NONE  # one empty set for all
            return LoadedDocument(self.root, Positions.compact(self.root, self.marks), plain, self.index)
        raw = dict(zip(self.paths, self.marks, strict=True))
        if self.dirty:  # overwritten subtrees leave positions behind: keep only paths that still exist
            raw = existing_positions(raw, self.root)
            # A template still counts only if its scalar is the last thing written at that path.
            plain = frozenset(p for p, m in templates if raw.get(p) is m)
        else:
            plain = frozenset(p for p, _ in templates)
        return LoadedDocument(self.root, Positions(Positions.packed(raw)), plain, self.index)

    # ---- events ----------------------------------------------------------------------------

    def _events(self) -> None:
        """The hot loop, up to the document's end.

        The common events are handled here with the open container and the mode in locals: an
        untagged, unanchored key or value that needs no problem reported, an untagged, unanchored
        container opening as a value or a list item, the end of a container that is neither anchored
        nor merged. Every other event goes to ``_event``, on the state in ``self``."""
        get_event, stack, max_depth = self.get_event, self.stack, self.limits.max_depth
        add_path, add_mark = self.paths.append, self.marks.append
        mode, key, kmark, nodes, check_at = self.mode, self.key, self.kmark, self.nodes, self.check_at
        cur, cpath, kmarks, fkind, fanchor, maxd = (
            self.cur,
            self.cpath,
            self.kmarks,
            self.fkind,
            self.fanchor,
            self.maxd,
        )
        while True:
            ev = get_event()
            cls = ev.__class__
            if cls is ScalarEvent:
                if ev.tag is None and ev.anchor is None:
                    text = ev.value
                    style = ev.style  # "" for a plain scalar
                    if mode == MKEY:
                        if not (text in cur or (not style and (text in PLAIN_KEYS or text[0] in NUM_START))):
                            nodes += 1  # keys count as nodes (the alias pre-count relies on it)
                            key = intern(text)  # keys repeat across files: one string each
                            kmarks[key] = kmark = ev.start_mark
                            mode = MVAL
                            continue
                    elif (mode == MVAL and key is not MERGE) or mode == SEQ:
                        if style:
                            v = text  # quoted or block scalar
                        else:
                            v = PLAIN_VALUES.get(text, MISS)
                            if v is MISS:
                                v = number_value(text) if text[0] in NUM_START else text
                            elif v is not None:  # a YAML 1.1 boolean or an Inf/NaN: a problem to report
                                v = MISS
                        if v is not MISS:
                            if v.__class__ is str and len(v) < INTERNED:
                                v = intern(v)
                            mark = ev.start_mark
                            if mode == MVAL:
                                path = (*cpath, key)
                                cur[key] = v
                                mode = MKEY
                            else:
                                path = (*cpath, len(cur))
                                cur.append(v)
                            if not style and v.__class__ is str and "${" in v:
                                self.templates.append((path, mark))
                            add_path(path)
                            add_mark(mark)
                            nodes += 1
                            if nodes > check_at:
                                self.nodes = nodes  # what a limit stopping here has spent
                                check_at = self.check_at = self.budget.recheck(
                                    self.paths, nodes, self.limits, mark, self.index, path
                                )
                            continue
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                if fanchor is None:  # nothing to record: back to the parent container
                    mode, cur, cpath, kmarks, fkind, fanchor = stack.pop()
                    continue
            elif (cls is MappingStartEvent or cls is SequenceStartEvent) and (
                ev.tag is None
                and ev.anchor is None
                and ((mode == MVAL and key is not MERGE) or mode == SEQ)
                and len(stack) < max_depth
            ):
                new: Any = {} if cls is MappingStartEvent else []
                if mode == MVAL:
                    path = (*cpath, key)
                    cur[key] = new
                    mark = kmark  # a human points at the key line of a nested block
                    mode = MKEY
                else:
                    path = (*cpath, len(cur))
                    cur.append(new)
                    mark = ev.start_mark
                depth = len(stack) + 1
                if depth > maxd:
                    maxd = depth
                nodes += 1
                if nodes > check_at:
                    self.nodes = nodes  # what a limit stopping here has spent
                    check_at = self.check_at = self.budget.recheck(
                        self.paths, nodes, self.limits, ev.start_mark, self.index, path
                    )
                add_path(path)
                add_mark(mark)
                stack.append((mode, cur, cpath, kmarks, fkind, fanchor))
                fkind, fanchor = _NORMAL, None
                if cls is MappingStartEvent:
                    mode, kmarks = MKEY, {}
                else:
                    mode = SEQ
                cur, cpath = new, path
                continue
            self.mode, self.key, self.kmark, self.nodes = mode, key, kmark, nodes
            self.cur, self.cpath, self.kmarks, self.fkind, self.fanchor, self.maxd = (
                cur,
                cpath,
                kmarks,
                fkind,
                fanchor,
                maxd,
            )
            if self._event(ev, cls):
                return
            mode, key, kmark, nodes, check_at = self.mode, self.key, self.kmark, self.nodes, self.check_at
            cur, cpath, kmarks, fkind, fanchor, maxd = (
                self.cur,
                self.cpath,
                self.kmarks,
                self.fkind,
                self.fanchor,
                self.maxd,
            )

    def _event(self, ev: Any, cls: type) -> bool:
        """Any event, on the state in ``self``; True at the document's end."""
        if cls is ScalarEvent:
            if self.mode == MKEY:
                self._key_scalar(ev)
            else:
                self._value_scalar(ev)
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            self._collection_start(ev, cls is MappingStartEvent)
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            self._collection_end(ev, cls is MappingEndEvent)
        elif cls is AliasEvent:
            self._alias(ev)
        elif cls is DocumentEndEvent:
            return True
        return False

    # ---- scalars ----------------------------------------------------------------------------

    def _key_scalar(self, ev: Any) -> None:
        """A scalar where the open mapping expects a key."""
        text = ev.value
        self.nodes += 1  # keys count as nodes (the alias pre-count relies on it)
        if ev.tag is None and not ev.style:
            k = PLAIN_KEYS.get(text)
            if k is None:
                if text[0] in NUM_START:
                    kind, kv = go_number(text)
                    k, err = key_text(kind, kv)
                    if err:
                        self.problems.append(problem_at("YML000", err, ev.start_mark, self.index, (*self.cpath, k)))
                else:
                    k = text
            elif k.__class__ is not str:
                if k is MERGE:
                    self.key = MERGE
                    self.mode = MVAL
                    return
                k, err = key_text(K_NULL, None)  # a null key: always an error
                self.problems.append(problem_at("YML000", err or "", ev.start_mark, self.index, (*self.cpath, k)))
            elif text in YAML11_BOOL_WORDS:
                self.problems.append(bool_problem(text, k == "true", ev.start_mark, self.index, (*self.cpath, k), True))
        else:
            k, err, unknown = scalar_key(text, ev.tag, ev.style)
            if k is MERGE:
                self.key = MERGE
                self.mode = MVAL
                return
            if err:
                self.problems.append(problem_at("YML000", err, ev.start_mark, self.index, (*self.cpath, k)))
            if unknown:
                msg = f"unknown tag {unknown} ignored; value treated as plain"
                self.problems.append(problem_at("YML004", msg, ev.start_mark, self.index, (*self.cpath, k)))
        mark = ev.start_mark
        if k.__class__ is str:
            k = intern(k)
        if k in self.cur:
            self._repeated_key(k, mark, text, None)
        self.kmarks[k] = self.kmark = mark
        self.key = k
        self.mode = MVAL
        if ev.anchor is not None:
            self.anchors[ev.anchor] = scalar_anchor(ev)

    def _value_scalar(self, ev: Any) -> None:
        """A scalar anywhere but a key: a value, a list item, the root, or something refused."""
        mode = self.mode
        if mode == MVAL:
            key = self.key
            if key is MERGE:
                self.problems.append(merge_problem(ev.start_mark, self.index, self.cpath))
                self.mode = MKEY
                return
            path = (*self.cpath, key)
        elif mode == SEQ:
            path = (*self.cpath, len(self.cur))
        elif mode == ROOT:
            path = ()
        elif mode == SKIP:
            self.mode = MKEY
            return
        else:  # a scalar inside `<<: [...]`
            self.problems.append(merge_problem(ev.start_mark, self.index, self.cpath))
            return
        mark = ev.start_mark
        v = self._scalar_value(ev, mark, path)
        if v.__class__ is str and len(v) < INTERNED:
            v = intern(v)
        self.paths.append(path)
        self.marks.append(mark)
        if mode == MVAL:
            self.cur[key] = v
            self.mode = MKEY
        elif mode == SEQ:
            self.cur.append(v)
        else:
            self.root = v
            self.mode = DONE
        nodes = self.nodes = self.nodes + 1
        if nodes > self.check_at:
            self.check_at = self.budget.recheck(self.paths, nodes, self.limits, mark, self.index, path)
        if ev.anchor is not None:
            self.anchors[ev.anchor] = self._scalar_anchor(ev, v)

    def _scalar_value(self, ev: Any, mark: Any, path: Path) -> Any:
        """The value Helm reads for a scalar that is not a key (problems and templates noted on the way)."""
        text, tag = ev.value, ev.tag
        if tag is not None:
            return self._tagged_value(text, tag, mark, path)
        if ev.style:
            return text  # quoted or block scalar
        v = PLAIN_VALUES.get(text, MISS)
        if v is MISS:
            v = number_value(text) if text[0] in NUM_START else text
            if v is text and "${" in text:
                self.templates.append((path, mark))
        elif v is not None:
            self._check_plain_word(text, v, mark, path)
        return v

    def _scalar_anchor(self, ev: Any, value: Any) -> Anchor:
        """What an anchored scalar value records (its value is typed again from the text when aliased)."""
        return scalar_anchor(ev)

    def _check_plain_word(self, text: str, v: Any, mark: Any, path: Path) -> None:
        """A plain value that go-yaml reads as a boolean or a float word."""
        if text in YAML11_BOOL_WORDS:
            self.problems.append(bool_problem(text, v, mark, self.index, path, False))
        elif v.__class__ is float:
            msg = (
                f"'{text}' is a float Inf/NaN: Helm refuses to load values "
                "containing it (JSON cannot encode Inf or NaN)"
            )
            self.problems.append(problem_at("YML000", msg, mark, self.index, path))

    def _tagged_value(self, text: str, tag: str, mark: Any, path: Path) -> Any:
        kind, v, err, unknown = tagged_scalar(text, tag)
        v = value_of(kind, v)
        if unknown:
            msg = f"unknown tag {unknown} ignored; value treated as plain"
            self.problems.append(problem_at("YML004", msg, mark, self.index, path))
        if err:
            self.problems.append(problem_at("YML000", err, mark, self.index, path))
        elif v.__class__ is float and (math.isinf(v) or math.isnan(v)):
            msg = "Inf/NaN: Helm refuses to load values containing it"
            self.problems.append(problem_at("YML000", msg, mark, self.index, path))
        return v

    # ---- collections ------------------------------------------------------------------------

    def _collection_start(self, ev: Any, is_map: bool) -> None:
        new: Any = {} if is_map else []
        kind = _NORMAL
        mark = ev.start_mark
        mode, cur, cpath = self.mode, self.cur, self.cpath
        if mode == MVAL:
            if self.key is MERGE:
                kind = _MERGE_MAP if is_map else _MERGE_SEQ
                path = cpath
            else:
                path = (*cpath, self.key)
                cur[self.key] = new
                mark = self.kmark  # a human points at the key line of a nested block
            parent_mode = MKEY
        elif mode == SEQ:
            path = (*cpath, len(cur))
            cur.append(new)
            parent_mode = SEQ
        elif mode == ROOT:
            path = ()
            self.root = new
            parent_mode = DONE
        elif mode == MSEQ and is_map:
            kind = _MERGE_SRC
            path = cpath
            parent_mode = MSEQ
        else:
            self._refuse_collection(mark)
            return
        stack = self.stack
        depth = len(stack) + 1
        max_depth = self.limits.max_depth
        if depth > max_depth:
            raise depth_abort(max_depth, ev.start_mark, self.index, path)
        if depth > self.maxd:
            self.maxd = depth
        nodes = self.nodes = self.nodes + 1
        if nodes > self.check_at:
            self.check_at = self.budget.recheck(self.paths, nodes, self.limits, ev.start_mark, self.index, path)
        if kind == _NORMAL:
            self.paths.append(path)
            self.marks.append(mark)
        tag = ev.tag
        if tag is not None and tag != MAP_TAG and tag != SEQ_TAG and tag != "!":
            short = short_tag(tag)
            if short not in STD_SCALAR_TAGS and short not in STD_OTHER_TAGS:
                msg = f"unknown tag {short} ignored; value treated as plain"
                self.problems.append(problem_at("YML004", msg, ev.start_mark, self.index, path))
        stack.append((parent_mode, cur, cpath, self.kmarks, self.fkind, self.fanchor))
        anchor = ev.anchor
        if anchor is not None or kind != _NORMAL:
            self.grafted = True  # positions recorded out of pre-order may follow (an alias, a merge)
            if anchor is not None:
                self.anchors[anchor] = OPEN
            self.fanchor = (anchor, len(self.paths), len(self.templates), nodes, depth, self.maxd)
            self.maxd = depth
        else:
            self.fanchor = None
        self.mode = MKEY if is_map else (MSEQ if kind == _MERGE_SEQ else SEQ)
        self.cur = new
        self.cpath = path
        if is_map:
            self.kmarks = {}
        self.fkind = kind

    def _refuse_collection(self, mark: Any) -> None:
        """A collection where none can go (a key, a list item of `<<: [...]` that is not a map, or the
        value of an ignored entry): skip it."""
        mode = self.mode
        if mode == MKEY:
            msg = "invalid map key: a map or list cannot be a key (Helm refuses this file); entry ignored"
            self.problems.append(problem_at("YML000", msg, mark, self.index, self.cpath))
            self.mode = SKIP
        elif mode == MSEQ:
            self.problems.append(merge_problem(mark, self.index, self.cpath))
        else:  # SKIP: the value of an ignored entry
            self.mode = MKEY
        max_depth = self.limits.max_depth
        deep = skip_node(self.get_event, max_depth - len(self.stack))
        if deep is not None:
            raise depth_abort(max_depth, deep, self.index, self.cpath)

    def _collection_end(self, ev: Any, is_map: bool) -> None:
        done = self.cur
        rec = None
        if self.fanchor is not None:
            rec = self._record_anchor(is_map, done)
        kind = self.fkind
        self.mode, self.cur, self.cpath, self.kmarks, self.fkind, self.fanchor = self.stack.pop()
        if kind != _NORMAL and rec is not None:
            if kind == _MERGE_SRC:
                self.cur.append((rec, True))  # built for this merge only: no copy needed
            else:
                self._merge_into_map(kind, rec, done, ev.start_mark)

    def _record_anchor(self, is_map: bool, done: Any) -> Anchor:
        """The frame that ends was anchored or is part of a merge: record its subtree."""
        assert self.fanchor is not None
        name, pstart, tstart, n0, d0, saved = self.fanchor
        paths, cpath = self.paths, self.cpath
        rec = Anchor(A_MAP if is_map else A_SEQ, done, pstart, len(paths), len(cpath))
        rec.tstart, rec.tend = tstart, len(self.templates)
        rec.steps = sum(map(len, paths[pstart:])) - len(cpath) * (len(paths) - pstart)
        rec.count = self.nodes - n0 + 1
        rec.height = self.maxd - d0 + 1
        if name is not None:
            if self.fkind == _MERGE_SEQ:
                self.anchors[name] = None  # no value of its own: an alias is an error
            else:
                self.anchors[name] = rec
        if saved > self.maxd:
            self.maxd = saved
        return rec

    def _merge_into_map(self, kind: int, rec: Anchor, done: Any, mark: Any) -> None:
        """`<<: {...}` was built in place (reappend=False); `<<: [...]` sources apply last to first,
        so earlier ones win, as in go-yaml v2."""
        cur, cpath = self.cur, self.cpath
        srcs = [(rec, True)] if kind == _MERGE_MAP else done[::-1]
        for src, fresh in srcs:
            for k, v in src.value.items():
                if k in cur:
                    self.dirty = True
                cur[k] = v if fresh else deep_copy(v)
            if kind == _MERGE_SEQ:
                extra = len(cpath) * (src.end - src.start) + src.steps
                self.budget.spend(self.paths, extra, self.limits, mark, self.index, cpath)
                graft(self.paths, self.marks, self.templates, src, cpath)
