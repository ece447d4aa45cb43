"""Planning and applying the fixes that findings carry: each edit becomes a byte-range replacement of the
file as it is on disk, checked against what the rule saw, and every other line of the file stays
byte-identical (CRLF, BOM, comments, indentation, quoting): `verify` proves it before anything is written.

A fix is applied whole or not at all; a fix whose edits overlap another's waits for the next round.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import field

import yaml

from compliance.fix.edits import Replace, Skip, resolve
from compliance.fix.nodes import Tree, parse
from compliance.model.findings import Finding
from compliance.model.fixes import Edit, Fix
from compliance.records import record

BOM = b"\xef\xbb\xbf"


@record
class Change:
    """Bytes [start, end) of `path` become `inserted`; lines and columns (1-based, code points) for SARIF."""

    path: str
    start: int
    end: int
    inserted: bytes
    start_line: int
    start_column: int
    end_line: int
    end_column: int


@record
class Planned:
    """One finding's fix, resolved against the files: its changes, or why it is skipped."""

    finding: Finding
    fix: Fix
    changes: tuple[Change, ...] = ()
    skipped: str = ""


@record(frozen=False, slots=False)
class Applied:
    """What applying planned fixes gives: the new bytes of each file, and the fixes made and left."""

    files: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)  # path -> (before, after)
    made: list[Planned] = field(default_factory=list)
    skipped: list[Planned] = field(default_factory=list)


class Source:
    """One file as it is on disk, its node tree parsed once."""

    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self.data = data
        self.bom = BOM if data.startswith(BOM) else b""
        self.text = _text(data)
        self._tree: Tree | None = None

    @property
    def tree(self) -> Tree:
        if self._tree is None:
            self._tree = parse(self.text)
        return self._tree

    def byte(self, index: int) -> int:
        return len(self.bom) + len(self.text[:index].encode("utf-8"))

    def line_column(self, index: int) -> tuple[int, int]:
        return self.text.count("\n", 0, index) + 1, index - (self.text.rfind("\n", 0, index) + 1) + 1

    def change(self, replace: Replace) -> Change:
        (line, column), (end_line, end_column) = self.line_column(replace.start), self.line_column(replace.end)
        inserted = replace.text.encode("utf-8")
        return Change(
            self.path, self.byte(replace.start), self.byte(replace.end), inserted, line, column, end_line, end_column
        )


def chosen(fixes: Sequence[Fix], modes: Iterable[str]) -> Fix | None:
    """The fix the command line's modes pick: the first offered in them ("" is always offered)."""
    allowed = {"", *modes}
    return next((fix for fix in fixes if fix.mode in allowed), None)


def inside_root(root: str, path: str) -> str | None:
    """Why `path` may not be edited (outside the root, or reached through a link), or None."""
    real_root = os.path.realpath(root)
    full = os.path.join(real_root, *path.split("/"))
    if os.path.commonpath([real_root, os.path.realpath(full)]) != real_root or ".." in path.split("/"):
        return "the file is outside the linted root"
    step = real_root
    for part in path.split("/"):
        step = os.path.join(step, part)
        if os.path.islink(step):
            return "the file is reached through a symbolic link"
    if not os.path.isfile(full):
        return "the file does not exist"
    return None


class Sources:
    """The files fixes edit, read once each; `problem(path)` says why one cannot be edited."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._read: dict[str, Source | str] = {}

    def get(self, path: str) -> Source:
        if path not in self._read:
            self._read[path] = self._load(path)
        found = self._read[path]
        if isinstance(found, str):
            raise Skip(found)
        return found

    def _load(self, path: str) -> Source | str:
        refused = inside_root(self.root, path)
        if refused is not None:
            return refused
        try:
            with open(os.path.join(self.root, *path.split("/")), "rb") as handle:
                source = Source(path, handle.read())
            source.tree  # noqa: B018 - parsed now, so a file libyaml refuses is skipped here
        except UnicodeDecodeError:
            return "the file is not UTF-8"
        except yaml.YAMLError as error:
            return f"the file does not parse: {str(error).splitlines()[0]}"
        except OSError as error:
            return f"cannot read the file: {error.strerror or error}"
        return source


def plan(
    root: str, findings: Iterable[Finding], modes: Iterable[str] = (), sources: Sources | None = None
) -> list[Planned]:
    """Every finding's chosen fix, resolved into changes (or skipped, saying why)."""
    sources = sources or Sources(root)
    modes = tuple(modes)
    planned: list[Planned] = []
    for finding in findings:
        fix = chosen(finding.fixes, modes)
        if fix is None:
            continue
        if fix.skipped:
            planned.append(Planned(finding, fix, skipped=fix.skipped))
            continue
        try:
            changes = tuple(_resolve(sources, edit) for edit in fix.edits)
        except Skip as why:
            planned.append(Planned(finding, fix, skipped=str(why)))
            continue
        planned.append(Planned(finding, fix, tuple(c for c in changes if c is not None)))
    return planned


FixKey = tuple[str, str, int, int, str, str]


def fix_key(finding: Finding) -> FixKey:
    """A finding's identity for its offered fix, unchanged by redaction (which may rewrite the message)."""
    loc = finding.location
    return (finding.rule, loc.path, loc.line, loc.column, finding.cluster or "", finding.blueprint or "")


def offered(root: str, findings: Iterable[Finding]) -> dict[FixKey, Planned]:
    """The fix each finding offers without options (what `lint --format sarif` shows), by `fix_key`."""
    sources = Sources(root)
    return {fix_key(p.finding): p for p in plan(root, findings, ("prefer-chart",), sources) if p.changes}


def _resolve(sources: Sources, edit: Edit) -> Change | None:
    source = sources.get(edit.path)
    (replace,) = resolve(source.tree, source.text, edit)
    if replace.start == replace.end and not replace.text:
        return None  # already as wanted
    return source.change(replace)


def apply(root: str, planned: Sequence[Planned], sources: Sources | None = None) -> Applied:
    """The new bytes of every file the fixes change; overlapping fixes after the first wait for a next round."""
    sources = sources or Sources(root)
    result = Applied()
    taken: dict[str, list[Change]] = {}
    seen: set[tuple[Change, ...]] = set()
    for item in planned:
        if item.skipped:
            result.skipped.append(item)
            continue
        if item.changes in seen:  # the same repair for another cluster or blueprint: made once
            result.made.append(item)
            continue
        if any(_overlaps(change, taken.get(change.path, ())) for change in item.changes):
            result.skipped.append(Planned(item.finding, item.fix, (), "it overlaps another fix: run fix again"))
            continue
        seen.add(item.changes)
        for change in item.changes:
            taken.setdefault(change.path, []).append(change)
        result.made.append(item)
    for path, changes in sorted(taken.items()):
        before = sources.get(path).data
        after = _splice(before, changes)
        why = verify(before, after, changes)
        if why is not None:  # a bug guard: never write what the check refuses
            result.made = [p for p in result.made if all(c.path != path for c in p.changes)]
            result.skipped += [
                Planned(p.finding, p.fix, (), why) for p in planned if any(c.path == path for c in p.changes)
            ]
            continue
        result.files[path] = (before, after)
    return result


def _overlaps(change: Change, others: Iterable[Change]) -> bool:
    for other in others:
        if change.start < other.end and other.start < change.end:
            return True
        if change.start == other.start and (change.start == change.end or other.start == other.end):
            return True  # two insertions (or an insertion and a deletion) at one place: order unknown
    return False


def _splice(data: bytes, changes: Sequence[Change]) -> bytes:
    out = data
    for change in sorted(changes, key=lambda c: c.start, reverse=True):
        out = out[: change.start] + change.inserted + out[change.end :]
    return out


def verify(before: bytes, after: bytes, changes: Sequence[Change]) -> str | None:
    """None when every line outside the edited lines is byte-identical, in place, and the result still parses.

    The lines a change touches (from the line of its first byte to the line of its last) may differ; every
    run of other lines must be found in `after` byte for byte where the changes before it have shifted it.
    """
    lines = before.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    touched: set[int] = set()
    for change in changes:
        first = before.count(b"\n", 0, change.start)
        touched.update(range(first, before.count(b"\n", 0, max(change.start, change.end - 1)) + 1))
    ordered = sorted(changes, key=lambda c: c.start)
    for number, line in enumerate(lines):
        if number in touched:
            continue
        at = starts[number]
        shift = sum(len(c.inserted) - (c.end - c.start) for c in ordered if c.end <= at and c.start < at)
        shift += sum(len(c.inserted) for c in ordered if c.start == c.end == at)
        if after[at + shift : at + shift + len(line)] != line:
            return f"the edit would change line {number + 1}, which it does not target"
    if len(after) - len(before) != sum(len(c.inserted) - (c.end - c.start) for c in changes):
        return "the edit would change more than it says"
    try:
        documents = len(parse(_text(after)).documents)
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        return f"the edited file would not parse: {str(error).splitlines()[0]}"
    if documents != len(parse(_text(before)).documents):
        return "the edit would change the number of documents"
    return None


def _text(data: bytes) -> str:
    return data.removeprefix(BOM).decode("utf-8")
