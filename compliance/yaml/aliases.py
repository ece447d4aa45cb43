"""Alias events while a document is built: an alias as a key, as a merge source, or as a value.

Aliases are expanded eagerly as copies, but once they bring in many nodes the document is counted
up front (``aliascount``), so an alias bomb is refused without being expanded.
"""

from __future__ import annotations

from typing import Any

from compliance.yaml.aliascount import PRECOUNT_AFTER
from compliance.yaml.anchors import A_MAP, A_SCALAR, OPEN, Anchor, anchor_value, deep_copy, graft
from compliance.yaml.problems import alias_depth_abort, merge_problem, nodes_abort, problem_at
from compliance.yaml.scalars import MERGE, scalar_key
from compliance.yaml.state import BuilderState

# What the open container expects next (shared with the builder).
ROOT, MKEY, MVAL, SEQ, MSEQ, SKIP, DONE = range(7)


class AliasEvents(BuilderState):
    """The alias handlers of ``DocumentBuilder``, on its state (kept apart to keep each module small)."""

    __slots__ = ()

    def _alias(self, ev: Any) -> None:
        name = ev.anchor
        rec = self._alias_target(name, ev.start_mark)
        mode = self.mode
        if mode == MKEY:
            self._alias_key(name, rec, ev.start_mark)
        elif mode == SKIP:
            self.mode = MKEY
        elif mode == MSEQ or (mode == MVAL and self.key is MERGE):
            self._alias_merge(name, rec, ev.start_mark)
        else:
            self._alias_value(name, rec, ev.start_mark)

    def _alias_target(self, name: str, mark: Any) -> Anchor:
        """The anchor an alias refers to (a null for a missing or open one); an alias bomb stops here."""
        rec = self.anchors.get(name)
        if rec is None or rec is OPEN:
            why = "contains itself" if rec is OPEN else "is not defined"
            msg = f"alias *{name}: anchor {why} (Helm refuses this file); read as null"
            self.problems.append(problem_at("YML000", msg, mark, self.index, self.cpath))
            rec = Anchor(A_SCALAR, None, 0, 0, 0)
            rec.text = "~"
        elif not self.precounted and rec.count > 1:
            # Heavy aliasing: count the whole document once, cheaply, so an alias bomb
            # is refused before we spend time and memory expanding up to the limit.
            self.heavy += rec.count
            if self.heavy > PRECOUNT_AFTER:
                self.precounted = True
                hit = self.overflow(self.index)
                if hit is not None:
                    raise nodes_abort(self.limits.max_nodes, hit[1], hit[0], self.index, ())
        return rec

    def _alias_key(self, name: str, rec: Anchor, mark: Any) -> None:
        if rec.kind != A_SCALAR:
            msg = f"invalid map key: alias *{name} is a map or list (Helm refuses this file); entry ignored"
            self.problems.append(problem_at("YML000", msg, mark, self.index, self.cpath))
            self.mode = SKIP
            return
        self.nodes += 1
        k, err, _ = scalar_key(rec.text, rec.tag, rec.style)
        if k is MERGE:
            self.key = MERGE
            self.mode = MVAL
            return
        if err:
            self.problems.append(problem_at("YML000", err, mark, self.index, (*self.cpath, k)))
        if k in self.cur:
            self._repeated_key(k, mark, rec.text, name)
        self.kmarks[k] = self.kmark = mark
        self.key = k
        self.mode = MVAL

    def _alias_merge(self, name: str, rec: Anchor, mark: Any) -> None:
        """An alias as the value of `<<`, or inside `<<: [...]`: its keys land in the map being built
        (for a list: when the list ends)."""
        mode, cpath = self.mode, self.cpath
        if rec.kind != A_MAP:
            self.problems.append(merge_problem(mark, self.index, cpath))
            if mode == MVAL:
                self.mode = MKEY
            return
        depth = len(self.stack) - (mode == MSEQ)
        limits = self.limits
        if self.nodes + rec.count - 1 > limits.max_nodes:
            raise nodes_abort(limits.max_nodes, name, mark, self.index, cpath)
        if depth + rec.height - 1 > limits.max_depth:
            raise alias_depth_abort(limits.max_depth, name, mark, self.index, cpath)
        self.nodes += rec.count - 1
        if depth + rec.height - 1 > self.maxd:
            self.maxd = depth + rec.height - 1
        if mode == MSEQ:
            self.cur.append((rec, False))
            return
        extra = len(cpath) * (rec.end - rec.start) + rec.steps
        self.budget.spend(self.paths, extra, limits, mark, self.index, cpath)
        cur = self.cur
        for k, v in rec.value.items():
            if k in cur:
                self.dirty = True
            cur[k] = deep_copy(v)
        graft(self.paths, self.marks, self.templates, rec, cpath)
        self.mode = MKEY

    def _alias_value(self, name: str, rec: Anchor, alias_mark: Any) -> None:
        """An alias as a mapping value, a list item or the root: a copy of the anchored node."""
        mode = self.mode
        mark = alias_mark
        if mode == MVAL:
            path = (*self.cpath, self.key)
            if rec.kind != A_SCALAR:
                mark = self.kmark
        elif mode == SEQ:
            path = (*self.cpath, len(self.cur))
        else:
            path = ()
        limits, index, depth = self.limits, self.index, len(self.stack)
        if self.nodes + rec.count > limits.max_nodes:
            raise nodes_abort(limits.max_nodes, name, alias_mark, index, path)
        if depth + rec.height > limits.max_depth:
            raise alias_depth_abort(limits.max_depth, name, alias_mark, index, path)
        if rec.end > rec.start:
            extra = len(path) * (rec.end - rec.start + 1) + rec.steps
            self.budget.spend(self.paths, extra, limits, alias_mark, index, path)
        if rec.kind == A_SCALAR:
            v = anchor_value(rec)
            if rec.tag is None and not rec.style and v.__class__ is str and "${" in rec.text:
                self.templates.append((path, mark))
        else:
            v = deep_copy(rec.value)
        self.paths.append(path)
        self.marks.append(mark)
        graft(self.paths, self.marks, self.templates, rec, path)
        nodes = self.nodes = self.nodes + rec.count
        if nodes > self.check_at:
            self.check_at = self.budget.recheck(self.paths, nodes, limits, alias_mark, index, path)
        if depth + rec.height > self.maxd:
            self.maxd = depth + rec.height
        if mode == MVAL:
            self.cur[self.key] = v
            self.mode = MKEY
        elif mode == SEQ:
            self.cur.append(v)
        else:
            self.root = v
            self.mode = DONE
