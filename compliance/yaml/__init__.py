"""Loading: YAML text -> Helm-typed Python values with a position for every node.

Helm reads values with go-yaml v2 (YAML 1.1 resolution) through sigs.k8s.io/yaml, then a JSON round
trip: keys become strings and every number becomes a float64. ``load_yaml`` reproduces that
result (reference: helm-flux-yaml-semantics.md, section 4) and records where each node is.

Problems: YML000 parse error or something Helm refuses (Inf/NaN, bad merge, unknown alias, null
key, %YAML 1.2: go-yaml v2 rejects any version but 1.1; the document is still read as 1.1), YML001
YAML 1.1 boolean word (``%YAML 1.1`` or no directive: Helm reads every file as 1.1), YML002 key
collision (last value kept), YML003 a limit (the document becomes None; a file over
``Limits.max_bytes`` is not parsed at all), YML004 unknown tag (the node is read untagged: tags
are never constructed, so ``!!python/object/apply`` and ``!!binary`` stay plain data).

Positions: a scalar at its own start; a collection that is a mapping value at its key; a sequence
item at the item; aliased and merged-in nodes at the anchor's definition.

Design, driven by speed and safety:
- libyaml's C parser produces *events*; we build values in one iterative Python loop. Nothing is
  composed by recursive C code, so input nesting cannot overflow the C stack, and no tag is ever
  constructed (no PyYAML constructor runs at all).
- Positions keep libyaml's own mark objects; ``Mark`` instances are made only when looked up.
- Aliases are expanded eagerly (copies), but once they bring in many nodes the document is
  counted up front, so an alias bomb is refused without being expanded.
- Bounds hold for the whole file, not each document: nodes after alias expansion, and the path
  steps of the positions kept (a node's position is keyed by its full path, so a deep and wide
  document costs nodes x depth). Once a file has spent its budget, the rest is not read.
- A document stopped by a limit is not read on: loading resumes at the next line starting a
  document (``---``) or ending one (``...``), with a fresh parser, so the rest of the stream
  still loads and costs no more than it would without the bad document.
- Same result on every libyaml: since 0.2.6 libyaml refuses ~1000 levels of nesting itself, and
  its scanner reads up to 1024 characters ahead, so its error can arrive before the events that
  lead there. The default ``max_depth`` is below its limit and, when libyaml stops first, the
  text before that point is loaded again: our limit then decides, at the same place as on older
  libyaml. Only a ``max_depth`` raised past ~1000 meets libyaml's limit (YML003 as well).
"""

from __future__ import annotations

import dataclasses
import marshal
import math
import operator
import re
import struct
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml._yaml import CParser
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

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
    # What the file cost (documents dropped at a limit included): a run's total budget adds these up.
    nodes: int = 0
    path_steps: int = 0


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 10 * 1024 * 1024
    # Below libyaml's own limit (1000 levels since 0.2.6), so ours decides on every libyaml version.
    max_depth: int = 500  # collection levels, after alias expansion
    max_nodes: int = 1_000_000  # in the whole file (all its documents), after alias expansion
    # Positions are kept per node by its full path, so they cost nodes x depth: bound that too.
    max_path_steps: int = 10_000_000  # the sum of every node's path length, in the whole file
    # The run's budget, over all its files (compliance/load/budget.py): per-file bounds alone let
    # many files add up (10 files of 1M nodes took 2.3 GB). The 50-copy corpus bench fits.
    max_total_bytes: int = 64 * 1024 * 1024
    max_total_nodes: int = 2_000_000
    max_total_path_steps: int = 20_000_000


# --------------------------------------------------------------------------------------------
# Scalar resolution (go-yaml v2 resolve.go, then the JSON round trip)
# --------------------------------------------------------------------------------------------

_TAG_PREFIX = "tag:yaml.org,2002:"
_MAP_TAG = _TAG_PREFIX + "map"
_SEQ_TAG = _TAG_PREFIX + "seq"
_MERGE_TAG = _TAG_PREFIX + "merge"

# Go value kinds, needed because keys stringify by Go type (int 1000000 -> "1000000" but
# float 1e6 -> "1e+06") while values collapse into one float64 number type.
_K_STR, _K_BOOL, _K_NULL, _K_INT, _K_UINT, _K_FLOAT = range(6)
_KIND_NAMES = ("!!str", "!!bool", "!!null", "!!int", "!!int", "!!float")

_TRUE_WORDS = ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")
_FALSE_WORDS = ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF")
_NULL_WORDS = ("", "~", "null", "Null", "NULL")
_INF, _NAN = math.inf, math.nan
_FLOAT_WORDS = {
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), _INF),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -_INF),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), _NAN),
}
# The YAML 1.1 booleans that YAML 1.2 (and most humans) read as strings: YML001.
_YAML11_BOOL_WORDS = frozenset(("y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO"))
_YAML11_BOOL_WORDS |= frozenset(("on", "On", "ON", "off", "Off", "OFF"))

# go-yaml's exact-lookup table (resolveMap), as (kind, Go value).
_GO_MAP: dict[str, tuple[int, Any]] = {
    **dict.fromkeys(_TRUE_WORDS, (_K_BOOL, True)),
    **dict.fromkeys(_FALSE_WORDS, (_K_BOOL, False)),
    **dict.fromkeys(_NULL_WORDS, (_K_NULL, None)),
    **{w: (_K_FLOAT, f) for w, f in _FLOAT_WORDS.items()},
}
# Hot-path tables: plain value text -> Python value; plain key text -> key string (or sentinel).
_PLAIN_VALUES: dict[str, Any] = {w: v for w, (_, v) in _GO_MAP.items()}


class _Sentinel:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_MISS = _Sentinel("MISS")
_MERGE = _Sentinel("MERGE")  # the `<<` key
_NULL_KEY = _Sentinel("NULL_KEY")  # a null key: stringified "null", but Helm refuses it
_OPEN = _Sentinel("OPEN")  # an anchor whose node is still being built (alias to it = a cycle)

_PLAIN_KEYS: dict[str, Any] = {
    **dict.fromkeys(_TRUE_WORDS, "true"),
    **dict.fromkeys(_FALSE_WORDS, "false"),
    **dict.fromkeys(_NULL_WORDS, _NULL_KEY),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), ".inf"),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), "-.inf"),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), ".nan"),
    "<<": _MERGE,
}

# Plain scalars starting with one of these may be numbers (go-yaml hints 'D', 'S' and '.').
_NUM_START = frozenset("0123456789+-.")
_FLOAT_RE = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?").fullmatch
# Text starting with "." goes straight to Go's ParseFloat, which allows "_" between digits.
_DOT_FLOAT_RE = re.compile(r"\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?").fullmatch
_DIGITS_RE: dict[int, Callable[[str], Any]] = {
    2: re.compile(r"[01]+").fullmatch,
    8: re.compile(r"[0-7]+").fullmatch,
    10: re.compile(r"[0-9]+").fullmatch,
    16: re.compile(r"[0-9a-fA-F]+").fullmatch,
}
# go-yaml's timestamp formats; only matters for an explicit !!timestamp tag (plain timestamps
# end up as strings through the number path anyway).
_TIMESTAMP_RE = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:[Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?(?:Z|[-+][0-9]{2}:[0-9]{2})"
    r"| [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?)?"
).fullmatch

_MAX_SAFE = 2**53  # integers up to here survive float64 exactly; we keep them as int
_INT64_MAX = 2**63 - 1
_UINT64_MAX = 2**64 - 1


def _go_parse_int(s: str) -> tuple[int, int] | None:
    """Go ``ParseInt(s, 0, 64)`` then ``ParseUint(s, 0, 64)``: (kind, value) or None."""
    sign = s[0]
    body = s[1:] if sign in "+-" else s
    if not body:
        return None
    if body[0] == "0" and len(body) > 1:
        c = body[1]
        if len(body) > 2 and c in "xX":
            base, digits = 16, body[2:]
        elif len(body) > 2 and c in "oO":
            base, digits = 8, body[2:]
        elif len(body) > 2 and c in "bB":
            base, digits = 2, body[2:]
        else:  # legacy C octal: 017 == 15
            base, digits = 8, body[1:]
    else:
        base, digits = 10, body
    if not _DIGITS_RE[base](digits) or len(digits.lstrip("0")) > 64:
        return None  # >64 significant digits overflows in any base; also avoids huge int()
    n = int(digits, base)
    if sign == "-":
        return (_K_INT, -n) if n <= _INT64_MAX + 1 else None
    if n <= _INT64_MAX:
        return _K_INT, n
    if sign != "+" and n <= _UINT64_MAX:  # ParseUint takes no sign
        return _K_UINT, n
    return None


def _go_number(text: str) -> tuple[int, Any]:
    """Resolve a plain scalar starting with a digit, sign or '.' the way go-yaml v2 does."""
    if text[0] == ".":
        if _DOT_FLOAT_RE(text):
            f = float(text)
            if not math.isinf(f):  # Go's ParseFloat fails on overflow: the text stays a string
                return _K_FLOAT, f
        return _K_STR, text
    plain = text.replace("_", "") if "_" in text else text
    if plain:
        r = _go_parse_int(plain)
        if r is not None:
            return r
        if _FLOAT_RE(plain):
            f = float(plain)
            if not math.isinf(f):
                return _K_FLOAT, f
    return _K_STR, text


def _number_value(text: str) -> Any:
    """A plain value starting with a digit/sign/'.': int, float or the text itself."""
    # Fast path for the common short decimal (< 16 digits is always below 2**53).
    if len(text) < 16 and text.isdigit() and text.isascii() and (text[0] != "0" or len(text) == 1):
        return int(text)
    kind, v = _go_number(text)
    if kind == _K_STR:
        return text
    return _json_number(v)


def _json_number(v: int | float) -> int | float:
    """Helm's number after the JSON round trip: float64; integral and exact -> int for us."""
    if v.__class__ is int:
        return v if -_MAX_SAFE <= v <= _MAX_SAFE else float(v)
    if v.is_integer() and -_MAX_SAFE <= v <= _MAX_SAFE:
        return int(v)
    return v


def _float32(f: float) -> float:
    try:
        return struct.unpack("<f", struct.pack("<f", f))[0]
    except OverflowError:
        return math.copysign(_INF, f)


def _go_float_key(f: float) -> str:
    """sigs.k8s.io/yaml key text: ``strconv.FormatFloat(f, 'g', -1, 32)`` with Inf/NaN renamed."""
    if math.isnan(f):
        return ".nan"
    f32 = _float32(f)
    if math.isinf(f32):
        return ".inf" if f32 > 0 else "-.inf"
    if f32 == 0:
        return "-0" if math.copysign(1.0, f32) < 0 else "0"
    s = ""
    for prec in range(1, 10):  # shortest digits that round-trip through float32
        s = f"{f32:.{prec - 1}e}"
        if _float32(float(s)) == f32:
            break
    mant, _, exp_text = s.partition("e")
    sign = "-" if mant[0] == "-" else ""
    digits = mant.lstrip("-").replace(".", "").rstrip("0") or "0"
    exp = int(exp_text)
    if exp < -4 or exp >= 6:  # Go uses %e style outside this range for shortest 'g'
        frac = "." + digits[1:] if len(digits) > 1 else ""
        return f"{sign}{digits[0]}{frac}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    dp = exp + 1
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= len(digits):
        return sign + digits + "0" * (dp - len(digits))
    return f"{sign}{digits[:dp]}.{digits[dp:]}"


def _resolve_go(text: str) -> tuple[int, Any]:
    """go-yaml v2 ``resolve("", text)`` as (kind, Go value)."""
    hit = _GO_MAP.get(text)
    if hit is not None:
        return hit
    if text[0] in _NUM_START:
        return _go_number(text)
    return _K_STR, text


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG_PREFIX) :] if tag.startswith(_TAG_PREFIX) else tag


_STD_SCALAR_TAGS = frozenset(("!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp"))
# Tags go-yaml knows but does not resolve on a scalar: the value silently stays the text.
_STD_OTHER_TAGS = frozenset(("!!map", "!!seq", "!!merge"))
# Which resolved kinds each tag accepts (go-yaml's deferred check in resolve()).
_TAG_ACCEPTS: dict[str, tuple[int, ...]] = {
    "!!int": (_K_INT, _K_UINT),
    "!!float": (_K_INT, _K_UINT, _K_FLOAT),  # an int is converted to float
    "!!bool": (_K_BOOL,),
    "!!null": (_K_NULL,),
    "!!timestamp": (),
}


def _tagged_scalar(text: str, tag: str) -> tuple[int, Any, str | None, str | None]:
    """An explicitly tagged scalar, as go-yaml v2 decodes it into ``interface{}``.

    Returns (kind, Go value, Helm error or None, unknown tag or None). Unknown tags are never
    constructed: the value is the scalar's text.
    """
    if tag == "!":  # the non-specific tag: a string
        return _K_STR, text, None, None
    short = _short_tag(tag)
    if short not in _STD_SCALAR_TAGS:
        return _K_STR, text, None, (None if short in _STD_OTHER_TAGS else short)
    if short == "!!str":
        return _K_STR, text, None, None
    if short == "!!timestamp" and _TIMESTAMP_RE(text):
        return _K_STR, text, None, None  # go-yaml v2 keeps a timestamp as its original text
    kind, value = _resolve_go(text)
    if kind in _TAG_ACCEPTS[short]:
        if short == "!!float":
            return _K_FLOAT, float(value), None, None
        return kind, value, None, None
    error = f"Helm cannot decode {_KIND_NAMES[kind]} `{text}` as a {short}"
    return kind, value, error, None


def _key_text(kind: int, value: Any) -> tuple[str, str | None]:
    """sigs.k8s.io/yaml's key stringification: (key, Helm error or None)."""
    if kind == _K_STR:
        return value, None
    if kind == _K_BOOL:
        return ("true" if value else "false"), None
    if kind == _K_INT:
        return str(value), None
    if kind == _K_FLOAT:
        return _go_float_key(value), None
    if kind == _K_UINT:
        return str(value), "Helm cannot load a map key above 2^63-1 (unsupported map key type)"
    return "null", "Helm cannot load a null map key (unsupported map key type)"


def _value_of(kind: int, value: Any) -> Any:
    if kind in (_K_INT, _K_UINT, _K_FLOAT):
        return _json_number(value)
    return value


# --------------------------------------------------------------------------------------------
# Positions: libyaml marks, turned into Mark objects only when read
# --------------------------------------------------------------------------------------------


class _Positions(Mapping[Path, Mark]):
    """Read-only path -> Mark mapping; converts libyaml's 0-based marks lazily (and caches)."""

    __slots__ = ("_end", "_lines", "_raw")

    def __init__(self, raw: dict[Path, Any], lines: int = 0) -> None:
        self._raw = raw
        self._lines = lines  # lines before the text libyaml read (it resumed after a bad document)
        self._end: Mark | None = None  # the input's last position, when libyaml may point past it

    def __getitem__(self, path: Path) -> Mark:
        m = self._raw[path]
        if m.__class__ is not Mark:
            m = Mark(m.line + 1 + self._lines, m.column + 1)
            if self._end is not None and m.line > self._end.line:
                m = self._end
            self._raw[path] = m  # same key: safe even during iteration
        return m

    def __contains__(self, path: object) -> bool:
        return path in self._raw

    def __iter__(self) -> Iterator[Path]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __repr__(self) -> str:
        return f"_Positions({dict(self.items())!r})"


# --------------------------------------------------------------------------------------------
# Event loop
# --------------------------------------------------------------------------------------------

# What the current container expects next.
_ROOT, _MKEY, _MVAL, _SEQ, _MSEQ, _SKIP, _DONE = range(7)
# Kinds of collection frames: normal, an inline map that is the value of `<<`, a map inside a
# `<<: [...]` list, and that list itself.
_NORMAL, _MERGE_MAP, _MERGE_SRC, _MERGE_SEQ = range(4)
_A_SCALAR, _A_MAP, _A_SEQ = range(3)


class _Anchor:
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


class _Abort(Exception):
    """Stop building the current document (a limit was hit) at a character offset of the source."""

    def __init__(self, problem: LoadProblem, offset: int) -> None:
        super().__init__(problem.message)
        self.problem = problem
        self.offset = offset


def _limit(message: str, mark: Any, index: int, path: Path = (), **detail: Any) -> _Abort:
    return _Abort(_problem("YML003", message, mark, index, path, **detail), mark.index)


class _Budget:
    """What one file has spent so far, over all its documents: nodes built (aliases expanded) and
    path steps of the positions recorded. Per file, not per document: a stream of many small
    alias bombs, each under the limit, must not add up to an unbounded one."""

    __slots__ = ("counted", "nodes", "pending", "steps")

    def __init__(self) -> None:
        self.nodes = 0
        self.steps = 0  # of the paths summed so far
        self.counted = 0  # paths of the current document already summed into steps
        # Earlier documents' paths not summed yet: small files never need the sum.
        self.pending: list[tuple[list[Path], int]] = []

    def snapshot(self) -> _Budget:
        copy = _Budget()
        copy.nodes, copy.steps, copy.pending = self.nodes, self.steps, list(self.pending)
        return copy

    def close(self, paths: list[Path], nodes: int) -> None:
        """A document is done (loaded or not): what it built stays spent."""
        self.nodes = nodes
        if len(paths) > self.counted:
            self.pending.append((paths, self.counted))
        self.counted = 0

    def _settle(self) -> None:
        for paths, start in self.pending:
            self.steps += sum(map(len, paths[start:]))
        self.pending.clear()

    def spent(self, limits: Limits) -> bool:
        self._settle()
        return self.nodes >= limits.max_nodes or self.steps >= limits.max_path_steps

    def spend(self, paths: list[Path], extra: int, limits: Limits, mark: Any, index: int, path: Path) -> None:
        """Sum the path steps recorded since the last call; stop if ``extra`` more would break the budget."""
        if self.pending:
            self._settle()
        self.steps += sum(map(len, paths[self.counted :]))
        self.counted = len(paths)
        if self.steps + extra > limits.max_path_steps:
            msg = f"node positions would take more than {limits.max_path_steps} path steps (nodes x depth)"
            raise _limit(f"{msg}; document not loaded", mark, index, path, limit="max_path_steps")

    def recheck(self, paths: list[Path], nodes: int, limits: Limits, mark: Any, index: int, path: Path) -> int:
        """The node and path-step limits, every _STEP_CHECK nodes; returns when to check next."""
        if nodes > limits.max_nodes:
            msg = f"the file has more than {limits.max_nodes} nodes; document not loaded"
            raise _limit(msg, mark, index, path, limit="max_nodes")
        self.spend(paths, 0, limits, mark, index, path)
        return min(limits.max_nodes, nodes + _STEP_CHECK)


# Path steps are summed every this many nodes (and before each alias expansion): a cheap sum in C,
# and the memory it lets through between two sums is small.
_STEP_CHECK = 4096


def _depth_abort(limit: int, mark: Any, index: int, path: Path) -> _Abort:
    return _limit(f"nesting deeper than {limit} levels; document not loaded", mark, index, path)


def _problem(code: str, message: str, mark: Any, index: int, path: Path = (), **detail: Any) -> LoadProblem:
    return LoadProblem(code, message, mark.line + 1, mark.column + 1, index, path, detail)


def _bool_problem(text: str, value: bool, mark: Any, index: int, path: Path, key: bool) -> LoadProblem:
    what = "key" if key else "scalar"
    word = "true" if value else "false"
    msg = f"plain {what} '{text}' is read by Helm as boolean {word} (YAML 1.1); quote it if a string was meant"
    return _problem("YML001", msg, mark, index, path, text=text, value=value)


def _deep_copy(value: Any) -> Any:
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


def _scalar_anchor(ev: Any) -> _Anchor:
    rec = _Anchor(_A_SCALAR, _MISS, 0, 0, 0)
    rec.text, rec.tag, rec.style = ev.value, ev.tag, ev.style
    return rec


def _anchor_value(rec: _Anchor) -> Any:
    """The value of an anchored scalar (problems were reported where it was defined)."""
    if rec.value is _MISS:
        if rec.tag is None and not rec.style:
            v = _PLAIN_VALUES.get(rec.text, _MISS)
            rec.value = v if v is not _MISS else _value_of(*_resolve_go(rec.text))
        elif rec.tag is None:
            rec.value = rec.text
        else:
            kind, v, _, _ = _tagged_scalar(rec.text, rec.tag)
            rec.value = _value_of(kind, v)
    return rec.value


def _scalar_key(text: str, tag: str | None, style: str) -> tuple[Any, str | None, str | None]:
    """Key text for a scalar that is not plain-untagged (or for an aliased one).

    Returns (key or _MERGE, Helm error or None, unknown tag or None)."""
    if tag is None:
        if style:
            return text, None, None
        k = _PLAIN_KEYS.get(text)
        if k is _MERGE:
            return _MERGE, None, None
        key, err = _key_text(*_resolve_go(text))
        return key, err, None
    if tag == _MERGE_TAG and text == "<<":
        return _MERGE, None, None
    kind, v, err, unknown = _tagged_scalar(text, tag)
    key, err2 = _key_text(kind, v)
    return key, err or err2, unknown


def _merge_problem(mark: Any, index: int, path: Path) -> LoadProblem:
    return _problem(
        "YML000",
        "map merge requires map or sequence of maps as the value (Helm refuses this file)",
        mark,
        index,
        path,
    )


def _graft(paths: list[Path], marks: list[Any], templates: list[tuple[Path, Any]], rec: _Anchor, dest: Path) -> None:
    """Re-root the positions/templates recorded for an anchor's subtree under ``dest``."""
    start, end, tstart, tend = rec.start, rec.end, rec.tstart, rec.tend
    cut = operator.itemgetter(slice(rec.base, None))
    # map/extend keep the per-node work in C: this is what alias expansion costs.
    paths.extend(map(dest.__add__, map(cut, paths[start:end])))
    marks.extend(marks[start:end])
    if tend > tstart:
        templates.extend([(dest + p[rec.base :], m) for p, m in templates[tstart:tend]])


def _skip_node(get_event: Callable[[], Any], room: int) -> Any:
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


def _existing(raw: dict[Path, Any], root: Any) -> dict[Path, Any]:
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


def _duplicate_key(key: str, source: str, text: str, first: Any, mark: Any, index: int, path: Path) -> LoadProblem:
    """YML002 at the later key; `first` is the libyaml mark (0-based) of the key it repeats."""
    return _problem(
        "YML002",
        f"duplicate key '{key}' (from {source}; first at line {first.line + 1}); Helm keeps the last value",
        mark,
        index,
        path,
        key=key,
        text=text,
        first_line=first.line + 1,
    )


def _load_document(
    get_event: Callable[[], Any],
    index: int,
    limits: Limits,
    problems: list[LoadProblem],
    overflow: Callable[[int], tuple[Any, str] | None],
    budget: _Budget,
) -> tuple[LoadedDocument, int | None]:
    """Build one document from its events (DocumentStartEvent already consumed), spending ``budget``.

    Returns the document and, if a limit stopped it, the offset in the source where that happened."""
    max_depth = limits.max_depth
    max_nodes = limits.max_nodes
    plain_values = _PLAIN_VALUES
    plain_keys = _PLAIN_KEYS
    num_start = _NUM_START
    bool_words = _YAML11_BOOL_WORDS
    # Node positions in write order (later wins): path and libyaml mark, as parallel lists.
    paths: list[Path] = []
    marks: list[Any] = []
    add_path = paths.append
    add_mark = marks.append
    templates: list[tuple[Path, Any]] = []  # (path, mark) of plain scalars holding "${"
    anchors: dict[str, Any] = {}
    stack: list[tuple[Any, ...]] = []

    mode = _ROOT
    cur: Any = None  # the open container
    cpath: Path = ()
    key: Any = None  # pending key in a mapping
    kmark: Any = None  # its mark
    kmarks: dict[str, Any] = {}  # first mark of each explicit key of the open mapping
    fkind = _NORMAL
    fanchor: tuple[Any, ...] | None = None
    root: Any = None
    nodes = budget.nodes  # counted over the whole file
    check_at = min(max_nodes, nodes + _STEP_CHECK)  # when to sum path steps (and check nodes) again
    maxd = 0  # deepest level seen since the innermost open anchor started
    dirty = False  # a value was overwritten: prune stale positions at the end
    heavy = 0  # nodes brought in by aliases so far
    precounted = False
    path: Path
    try:
        while True:
            ev = get_event()
            cls = ev.__class__
            if cls is ScalarEvent:
                text = ev.value
                if mode == _MKEY:
                    nodes += 1  # keys count as nodes (the alias pre-count relies on it)
                    if ev.tag is None and not ev.style:
                        k = plain_keys.get(text)
                        if k is None:
                            if text[0] in num_start:
                                kind, kv = _go_number(text)
                                k, err = _key_text(kind, kv)
                                if err:
                                    problems.append(_problem("YML000", err, ev.start_mark, index, (*cpath, k)))
                            else:
                                k = text
                        elif k.__class__ is not str:
                            if k is _MERGE:
                                key = _MERGE
                                mode = _MVAL
                                continue
                            k, err = _key_text(_K_NULL, None)
                            problems.append(_problem("YML000", err, ev.start_mark, index, (*cpath, k)))
                        elif text in bool_words:
                            problems.append(_bool_problem(text, k == "true", ev.start_mark, index, (*cpath, k), True))
                    else:
                        k, err, unknown = _scalar_key(text, ev.tag, ev.style)
                        if k is _MERGE:
                            key = _MERGE
                            mode = _MVAL
                            continue
                        if err:
                            problems.append(_problem("YML000", err, ev.start_mark, index, (*cpath, k)))
                        if unknown:
                            msg = f"unknown tag {unknown} ignored; value treated as plain"
                            problems.append(_problem("YML004", msg, ev.start_mark, index, (*cpath, k)))
                    kmark = ev.start_mark
                    if k in cur:
                        dirty = True
                        first = kmarks.get(k)
                        if first is not None:
                            problems.append(_duplicate_key(k, f"'{text}'", text, first, kmark, index, (*cpath, k)))
                    kmarks[k] = kmark
                    key = k
                    mode = _MVAL
                    if ev.anchor is not None:
                        anchors[ev.anchor] = _scalar_anchor(ev)
                    continue

                if mode == _MVAL:
                    if key is _MERGE:
                        problems.append(_merge_problem(ev.start_mark, index, cpath))
                        mode = _MKEY
                        continue
                    path = (*cpath, key)
                elif mode == _SEQ:
                    path = (*cpath, len(cur))
                elif mode == _ROOT:
                    path = ()
                elif mode == _SKIP:
                    mode = _MKEY
                    continue
                else:  # a scalar inside `<<: [...]`
                    problems.append(_merge_problem(ev.start_mark, index, cpath))
                    continue

                if ev.tag is None and not ev.style:
                    v = plain_values.get(text, _MISS)
                    if v is _MISS:
                        v = _number_value(text) if text[0] in num_start else text
                        if v is text and "${" in text:
                            templates.append((path, ev.start_mark))
                    elif v is not None:
                        if text in bool_words:
                            problems.append(_bool_problem(text, v, ev.start_mark, index, path, False))
                        elif v.__class__ is float:
                            problems.append(
                                _problem(
                                    "YML000",
                                    f"'{text}' is a float Inf/NaN: Helm refuses to load values "
                                    "containing it (JSON cannot encode Inf or NaN)",
                                    ev.start_mark,
                                    index,
                                    path,
                                )
                            )
                elif ev.tag is None:
                    v = text  # quoted or block scalar
                else:
                    kind, v, err, unknown = _tagged_scalar(text, ev.tag)
                    v = _value_of(kind, v)
                    if unknown:
                        msg = f"unknown tag {unknown} ignored; value treated as plain"
                        problems.append(_problem("YML004", msg, ev.start_mark, index, path))
                    if err:
                        problems.append(_problem("YML000", err, ev.start_mark, index, path))
                    elif v.__class__ is float and (math.isinf(v) or math.isnan(v)):
                        msg = "Inf/NaN: Helm refuses to load values containing it"
                        problems.append(_problem("YML000", msg, ev.start_mark, index, path))
                add_path(path)
                add_mark(ev.start_mark)
                if mode == _MVAL:
                    cur[key] = v
                    mode = _MKEY
                elif mode == _SEQ:
                    cur.append(v)
                else:
                    root = v
                    mode = _DONE
                nodes += 1
                if nodes > check_at:
                    check_at = budget.recheck(paths, nodes, limits, ev.start_mark, index, path)
                if ev.anchor is not None:
                    anchors[ev.anchor] = _scalar_anchor(ev)

            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                is_map = cls is MappingStartEvent
                new: Any = {} if is_map else []
                kind = _NORMAL
                mark = ev.start_mark
                if mode == _MVAL:
                    if key is _MERGE:
                        kind = _MERGE_MAP if is_map else _MERGE_SEQ
                        path = cpath
                    else:
                        path = (*cpath, key)
                        cur[key] = new
                        mark = kmark  # a human points at the key line of a nested block
                    parent_mode = _MKEY
                elif mode == _SEQ:
                    path = (*cpath, len(cur))
                    cur.append(new)
                    parent_mode = _SEQ
                elif mode == _ROOT:
                    path = ()
                    root = new
                    parent_mode = _DONE
                elif mode == _MSEQ and is_map:
                    kind = _MERGE_SRC
                    path = cpath
                    parent_mode = _MSEQ
                else:
                    if mode == _MKEY:
                        problems.append(
                            _problem(
                                "YML000",
                                "invalid map key: a map or list cannot be a key "
                                "(Helm refuses this file); entry ignored",
                                mark,
                                index,
                                cpath,
                            )
                        )
                        mode = _SKIP
                    elif mode == _MSEQ:
                        problems.append(_merge_problem(mark, index, cpath))
                    else:  # _SKIP: the value of an ignored entry
                        mode = _MKEY
                    deep = _skip_node(get_event, max_depth - len(stack))
                    if deep is not None:
                        raise _depth_abort(max_depth, deep, index, cpath)
                    continue
                depth = len(stack) + 1
                if depth > max_depth:
                    raise _depth_abort(max_depth, ev.start_mark, index, path)
                if depth > maxd:
                    maxd = depth
                nodes += 1
                if nodes > check_at:
                    check_at = budget.recheck(paths, nodes, limits, ev.start_mark, index, path)
                if kind == _NORMAL:
                    add_path(path)
                    add_mark(mark)
                tag = ev.tag
                if tag is not None and tag != _MAP_TAG and tag != _SEQ_TAG and tag != "!":
                    short = _short_tag(tag)
                    if short not in _STD_SCALAR_TAGS and short not in _STD_OTHER_TAGS:
                        msg = f"unknown tag {short} ignored; value treated as plain"
                        problems.append(_problem("YML004", msg, ev.start_mark, index, path))
                stack.append((parent_mode, cur, cpath, kmarks, fkind, fanchor))
                anchor = ev.anchor
                if anchor is not None or kind != _NORMAL:
                    if anchor is not None:
                        anchors[anchor] = _OPEN
                    fanchor = (anchor, len(paths), len(templates), nodes, depth, maxd)
                    maxd = depth
                else:
                    fanchor = None
                mode = _MKEY if is_map else (_MSEQ if kind == _MERGE_SEQ else _SEQ)
                cur = new
                cpath = path
                kmarks = {} if is_map else kmarks
                fkind = kind

            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                done = cur
                rec = None
                if fanchor is not None:
                    name, pstart, tstart, n0, d0, saved = fanchor
                    rec = _Anchor(
                        _A_MAP if cls is MappingEndEvent else _A_SEQ,
                        done,
                        pstart,
                        len(paths),
                        len(cpath),
                    )
                    rec.tstart, rec.tend = tstart, len(templates)
                    rec.steps = sum(map(len, paths[pstart:])) - len(cpath) * (len(paths) - pstart)
                    rec.count = nodes - n0 + 1
                    rec.height = maxd - d0 + 1
                    if name is not None:
                        if fkind == _MERGE_SEQ:
                            anchors[name] = None  # no value of its own: an alias is an error
                        else:
                            anchors[name] = rec
                    if saved > maxd:
                        maxd = saved
                kind = fkind
                mode, cur, cpath, kmarks, fkind, fanchor = stack.pop()
                if kind != _NORMAL and rec is not None:
                    if kind == _MERGE_SRC:
                        cur.append((rec, True))  # built for this merge only: no copy needed
                    else:
                        # `<<: {...}` was built in place (reappend=False); `<<: [...]` sources
                        # apply last to first, so earlier ones win, as in go-yaml v2.
                        srcs = [(rec, True)] if kind == _MERGE_MAP else done[::-1]
                        for src, fresh in srcs:
                            for k, v in src.value.items():
                                if k in cur:
                                    dirty = True
                                cur[k] = v if fresh else _deep_copy(v)
                            if kind == _MERGE_SEQ:
                                budget.spend(
                                    paths,
                                    len(cpath) * (src.end - src.start) + src.steps,
                                    limits,
                                    ev.start_mark,
                                    index,
                                    cpath,
                                )
                                _graft(paths, marks, templates, src, cpath)

            elif cls is AliasEvent:
                name = ev.anchor
                rec = anchors.get(name)
                mark = ev.start_mark
                if rec is None or rec is _OPEN:
                    why = "contains itself" if rec is _OPEN else "is not defined"
                    problems.append(
                        _problem(
                            "YML000",
                            f"alias *{name}: anchor {why} (Helm refuses this file); read as null",
                            mark,
                            index,
                            cpath,
                        )
                    )
                    rec = _Anchor(_A_SCALAR, None, 0, 0, 0)
                    rec.text = "~"
                elif not precounted and rec.count > 1:
                    # Heavy aliasing: count the whole document once, cheaply, so an alias bomb
                    # is refused before we spend time and memory expanding up to the limit.
                    heavy += rec.count
                    if heavy > _PRECOUNT_AFTER:
                        precounted = True
                        hit = overflow(index)
                        if hit is not None:
                            raise _nodes_abort(max_nodes, hit[1], hit[0], index, ())
                if mode == _MKEY:
                    if rec.kind != _A_SCALAR:
                        problems.append(
                            _problem(
                                "YML000",
                                f"invalid map key: alias *{name} is a map or list "
                                "(Helm refuses this file); entry ignored",
                                mark,
                                index,
                                cpath,
                            )
                        )
                        mode = _SKIP
                        continue
                    nodes += 1
                    k, err, _ = _scalar_key(rec.text, rec.tag, rec.style)
                    if k is _MERGE:
                        key = _MERGE
                        mode = _MVAL
                        continue
                    if err:
                        problems.append(_problem("YML000", err, mark, index, (*cpath, k)))
                    kmark = mark
                    if k in cur:
                        dirty = True
                        first = kmarks.get(k)
                        if first is not None:
                            problems.append(
                                _duplicate_key(k, f"alias *{name}", f"*{name}", first, kmark, index, (*cpath, k))
                            )
                    kmarks[k] = kmark
                    key = k
                    mode = _MVAL
                    continue
                if mode == _SKIP:
                    mode = _MKEY
                    continue
                if mode == _MSEQ or (mode == _MVAL and key is _MERGE):
                    if rec.kind != _A_MAP:
                        problems.append(_merge_problem(mark, index, cpath))
                        if mode == _MVAL:
                            mode = _MKEY
                        continue
                    # a's keys land in the map being built (for a list: when the list ends).
                    depth = len(stack) - (mode == _MSEQ)
                    if nodes + rec.count - 1 > max_nodes:
                        raise _nodes_abort(max_nodes, name, mark, index, cpath)
                    if depth + rec.height - 1 > max_depth:
                        raise _alias_depth_abort(max_depth, name, mark, index, cpath)
                    nodes += rec.count - 1
                    if depth + rec.height - 1 > maxd:
                        maxd = depth + rec.height - 1
                    if mode == _MSEQ:
                        cur.append((rec, False))
                    else:
                        budget.spend(paths, len(cpath) * (rec.end - rec.start) + rec.steps, limits, mark, index, cpath)
                        for k, v in rec.value.items():
                            if k in cur:
                                dirty = True
                            cur[k] = _deep_copy(v)
                        _graft(paths, marks, templates, rec, cpath)
                        mode = _MKEY
                    continue
                if mode == _MVAL:
                    path = (*cpath, key)
                    if rec.kind != _A_SCALAR:
                        mark = kmark
                elif mode == _SEQ:
                    path = (*cpath, len(cur))
                else:
                    path = ()
                if nodes + rec.count > max_nodes:
                    raise _nodes_abort(max_nodes, name, ev.start_mark, index, path)
                if len(stack) + rec.height > max_depth:
                    raise _alias_depth_abort(max_depth, name, ev.start_mark, index, path)
                if rec.end > rec.start:
                    budget.spend(
                        paths, len(path) * (rec.end - rec.start + 1) + rec.steps, limits, ev.start_mark, index, path
                    )
                if rec.kind == _A_SCALAR:
                    v = _anchor_value(rec)
                    if rec.tag is None and not rec.style and v.__class__ is str and "${" in rec.text:
                        templates.append((path, mark))
                else:
                    v = _deep_copy(rec.value)
                add_path(path)
                add_mark(mark)
                _graft(paths, marks, templates, rec, path)
                nodes += rec.count
                if nodes > check_at:
                    check_at = budget.recheck(paths, nodes, limits, ev.start_mark, index, path)
                d = len(stack) + rec.height
                if d > maxd:
                    maxd = d
                if mode == _MVAL:
                    cur[key] = v
                    mode = _MKEY
                elif mode == _SEQ:
                    cur.append(v)
                else:
                    root = v
                    mode = _DONE

            elif cls is DocumentEndEvent:
                break
    except _Abort as exc:
        # The document is dropped and its events are not read on: the caller resumes at the
        # next document marker (libyaml's scanner is quadratic in flow depth, and libyaml >= 0.2.6
        # refuses deep nesting itself, so skipping event by event is neither cheap nor portable).
        problems.append(exc.problem)
        budget.close(paths, nodes)  # what was built was spent, even if dropped
        raw = {(): marks[0]} if marks else {}
        return LoadedDocument(None, _Positions(raw), frozenset(), index), exc.offset

    budget.close(paths, nodes)
    raw = dict(zip(paths, marks, strict=True))
    if dirty:  # overwritten subtrees leave positions behind: keep only paths that still exist
        raw = _existing(raw, root)
    # A template still counts only if its scalar is the last thing written at that path.
    plain = frozenset(p for p, m in templates if raw.get(p) is m) if dirty else frozenset(p for p, _ in templates)
    return LoadedDocument(root, _Positions(raw), plain, index), None


# Aliases may bring in this many nodes before the document is counted up front.
_PRECOUNT_AFTER = 4096


def _alias_overflows(source: _Source, limits: Limits, first: int, base: int) -> dict[int, tuple[Any, str]]:
    """Count the nodes of every document with aliases expanded, building nothing.

    Returns, per document index (the source's first document is ``first``), (mark, name) of the
    alias that takes the file's count (``base`` before the source) past ``limits.max_nodes``. The
    count follows ``_load_document``'s rules (keys count; a merged map adds its size minus one),
    erring high only on input that already has YML000 problems (collection keys, bad merges). One
    pass serves the whole source, so many documents cannot make this quadratic; it stops where
    ``_load_document`` would (parse error, nesting deeper than the limit).
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
                    merge_next = ev.value == "<<" and (ev.tag == _MERGE_TAG or (ev.tag is None and not ev.style))
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
        cut = _nesting_cut(exc)
        if cut is not None:  # libyaml's own limit, maybe read ahead of events we counted: recount the text before it
            return _alias_overflows(source.cut(cut), limits, first, base)
        return found


def _nodes_abort(limit: int, name: str, mark: Any, index: int, path: Path) -> _Abort:
    return _limit(
        f"alias *{name} takes the file beyond {limit} nodes; document not loaded",
        mark,
        index,
        path,
        alias=name,
        limit="max_nodes",
    )


def _alias_depth_abort(limit: int, name: str, mark: Any, index: int, path: Path) -> _Abort:
    msg = f"alias *{name} nests the document deeper than {limit} levels; document not loaded"
    return _limit(msg, mark, index, path, alias=name)


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------

_BREAKS_RE = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _line_col(prefix: str) -> tuple[int, int]:
    """1-based line/column just after ``prefix``, counting line breaks as libyaml does."""
    line = 1
    start = 0
    for m in _BREAKS_RE.finditer(prefix):
        line += 1
        start = m.end()
    return line, len(prefix) - start + 1


def _parse_problem(exc: yaml.YAMLError, source: _Source, index: int) -> LoadProblem:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        message = exc.problem or "invalid YAML"
        if exc.context:
            message = f"{message} ({exc.context})"
        return LoadProblem("YML000", message, line, col, index)
    if isinstance(exc, yaml.reader.ReaderError):
        # libyaml reports a byte offset into the UTF-8 text it was given.
        prefix = source.text[source.start : source.end].encode("utf-8")[: exc.position].decode("utf-8", "ignore")
        line, col = _line_col(prefix)
        char = exc.character
        code = f" #x{char:04x}" if isinstance(char, int) else ""
        return LoadProblem("YML000", f"{exc.reason}{code}", line, col, index)
    return LoadProblem("YML000", str(exc), 1, 1, index)


# A line that starts a document ("---") or ends one ("..."): where loading resumes after a limit.
_DOC_MARKER_RE = re.compile(r"(?<=[\n\r\x85\u2028\u2029])(?:---|\.\.\.)(?=[ \t\n\r\x85\u2028\u2029]|\Z)")
# libyaml >= 0.2.6 refuses nesting past its own limit (1000 levels) with this scanner error.
_LIBYAML_NESTING = "exceeded maximum nesting depth"


def _nesting_cut(exc: yaml.YAMLError) -> int | None:
    """The character offset where libyaml stopped at its own nesting limit, or None for other errors."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem == _LIBYAML_NESTING and exc.problem_mark is not None:
        return exc.problem_mark.index
    return None


class _Chunks:
    """A file-like view of ``text[pos:end]``: a parser can start late in a large file without a copy."""

    __slots__ = ("end", "pos", "text")

    def __init__(self, text: str, pos: int, end: int) -> None:
        self.text, self.pos, self.end = text, pos, end

    def read(self, size: int) -> str:
        pos = self.pos
        self.pos = min(pos + size, self.end)
        return self.text[pos : self.pos]


class _Source:
    """The part of the text one libyaml parser reads: from a line start to the end, or to a cut."""

    __slots__ = ("end", "start", "text")

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text, self.start, self.end = text, start, end

    def parser(self) -> Any:
        if self.start == 0 and self.end == len(self.text):
            return CParser(self.text)
        return CParser(_Chunks(self.text, self.start, self.end))

    def cut(self, offset: int) -> _Source:
        return _Source(self.text, self.start, self.start + offset)


def _load_source(
    source: _Source,
    limits: Limits,
    first: int,
    docs: list[LoadedDocument],
    problems: list[LoadProblem],
    budget: _Budget,
    at_cut: LoadProblem | None = None,
) -> int | None:
    """Load the documents of one source (the first is number ``first``); positions are relative to it.

    Returns the offset in the source where a limit stopped a document, else None (read to the end,
    stopped by a parse error, or the file's budget is spent). Raises ``_Abort`` when libyaml's own
    nesting limit is reached (libyaml >= 0.2.6); the source cut there is then loaded with that
    problem as ``at_cut``.
    """
    get_event = source.parser().get_event
    counted: list[dict[int, tuple[Any, str]]] = []
    base = budget.nodes

    def overflow(index: int) -> tuple[Any, str] | None:
        """Where document ``index`` exceeds the node limit through aliases (counted once per source)."""
        if not counted:
            counted.append(_alias_overflows(source, limits, first, base))
        return counted[0].get(index)

    if at_cut is not None:
        get_event = _stop_at_cut(get_event, source.end - source.start, at_cut)
    index = first
    try:
        while True:
            ev = get_event()
            cls = ev.__class__
            if cls is DocumentStartEvent:
                if ev.version is not None and ev.version != (1, 1):
                    major, minor = ev.version
                    problems.append(
                        _problem(
                            "YML000",
                            f"%YAML {major}.{minor} directive: Helm's YAML parser (go-yaml v2) "
                            "refuses it ('found incompatible YAML document'); read as YAML 1.1",
                            ev.start_mark,
                            index,
                        )
                    )
                doc, stopped = _load_document(get_event, index, limits, problems, overflow, budget)
                docs.append(doc)
                index += 1
                if stopped is not None:
                    if not budget.spent(limits):
                        return stopped
                    last = problems[-1]  # the limit that stopped it: nothing more is read
                    problems[-1] = dataclasses.replace(
                        last, message=f"{last.message}; the rest of the file was not read"
                    )
                    return None
            elif cls is StreamEndEvent:
                return None
    except yaml.YAMLError as exc:  # the document being read is dropped; earlier ones stay
        cut = _nesting_cut(exc)
        if cut is not None:
            raise _Abort(_problem("YML003", _PARSER_NESTING, exc.problem_mark, index), cut) from None
        problems.append(_parse_problem(exc, source, index))
    except _Abort as exc:  # the cut was reached between documents
        problems.append(exc.problem)
        return exc.offset
    return None


_PARSER_NESTING = "nesting deeper than the YAML parser's own limit (libyaml >= 0.2.6); document not loaded"


def _stop_at_cut(get_event: Callable[[], Any], cut: int, problem: LoadProblem) -> Callable[[], Any]:
    """Events of a source cut where libyaml's nesting limit stopped it: reaching the cut is that limit.

    Only a raised ``Limits.max_depth`` gets here: the default is below libyaml's limit, so the
    document stops at our own limit before the cut."""

    def get() -> Any:
        try:
            ev = get_event()
        except yaml.MarkedYAMLError as exc:  # the text ends at the cut: an error there is the cut's
            if exc.problem_mark is None or exc.problem_mark.index >= cut:
                raise _Abort(problem, cut) from None
            raise
        if ev.start_mark.index >= cut or ev.__class__ is StreamEndEvent:
            raise _Abort(problem, cut)
        return ev

    return get


def _load_stream(text: str, limits: Limits, problems: list[LoadProblem]) -> tuple[list[LoadedDocument], _Budget]:
    """Every document of the stream. After a document stopped at a limit, loading resumes at the
    next document marker with a fresh parser, so the rest of the file costs no more than it would
    without the bad document, and libyaml's version does not change what is reported."""
    docs: list[LoadedDocument] = []
    source = _Source(text, 0, len(text))
    at_cut: LoadProblem | None = None
    lines = 0  # line breaks before source.start
    budget = _Budget()
    while True:
        first_doc, first_problem, spent = len(docs), len(problems), budget.snapshot()
        try:
            stopped = _load_source(source, limits, first_doc, docs, problems, budget, at_cut)
        except _Abort as exc:
            # libyaml (>= 0.2.6) stopped at its own nesting limit, possibly reading ahead of events we
            # have not handled: load the text before that point again, where our limits decide.
            del docs[first_doc:], problems[first_problem:]
            budget = spent
            source, at_cut = source.cut(exc.offset), exc.problem
            continue
        except UnicodeEncodeError as exc:  # lone surrogates cannot reach libyaml
            line, col = _line_col(text[: exc.start])
            problems.append(LoadProblem("YML000", f"text is not valid Unicode: {exc.reason}", line, col))
            return docs, budget
        if lines:  # positions are relative to the source: make them the file's
            docs[first_doc:] = [_shift_document(d, lines) for d in docs[first_doc:]]
            problems[first_problem:] = [_shift_problem(p, lines) for p in problems[first_problem:]]
        if stopped is None:
            return docs, budget
        marker = _DOC_MARKER_RE.search(text, source.start + stopped)
        if marker is None:
            return docs, budget
        lines += sum(1 for _ in _BREAKS_RE.finditer(text, source.start, marker.start()))
        source, at_cut = _Source(text, marker.start(), len(text)), None


def _shift_problem(problem: LoadProblem, lines: int) -> LoadProblem:
    return dataclasses.replace(problem, line=problem.line + lines) if problem.line else problem


def _shift_document(doc: LoadedDocument, lines: int) -> LoadedDocument:
    positions = doc.positions
    assert isinstance(positions, _Positions)
    return dataclasses.replace(doc, positions=_Positions(positions._raw, positions._lines + lines))


def _oversize(size: int, limits: Limits) -> LoadedFile:
    message = f"input is {size} bytes, above the limit of {limits.max_bytes}; not parsed"
    return LoadedFile((), (LoadProblem("YML003", message, 1, 1, detail={"bytes": size}),))


def load_yaml(text: str | bytes, limits: Limits = Limits()) -> LoadedFile:
    """Parse a YAML stream into values typed as Helm sees them, with positions and problems.

    Never raises on bad input: parse errors, limits and Helm incompatibilities are problems.
    """
    max_bytes = limits.max_bytes
    if isinstance(text, str):
        size = len(text)
        if size * 4 > max_bytes and (size > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes):
            return _oversize(max(size, len(text.encode("utf-8", "surrogatepass"))), limits)
        if text[:1] == "\ufeff":
            text = text[1:]
    else:
        data = bytes(text)
        if len(data) > max_bytes:
            return _oversize(len(data), limits)
        if data[:3] == b"\xef\xbb\xbf":
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line, col = _line_col(data[: exc.start].decode("utf-8"))
            message = f"input is not UTF-8: byte 0x{data[exc.start]:02x} ({exc.reason})"
            return LoadedFile((), (LoadProblem("YML000", message, line, col),))
    problems: list[LoadProblem] = []
    docs, budget = _load_stream(text, limits, problems)
    budget.spent(limits)  # settles the path steps still pending
    if not docs and not problems:  # nothing but comments/whitespace: one empty document
        docs.append(LoadedDocument(None, _Positions({(): Mark(1, 1)}), frozenset(), 0))
    if text and text[-1] not in "\r\n\x85\u2028\u2029":
        # libyaml ends a stream with a line break of its own: what it finds there is at the last character
        end = Mark(*_line_col(text))
        for doc in docs:
            if isinstance(doc.positions, _Positions):
                doc.positions._end = end
        problems = [
            p if p.line <= end.line else dataclasses.replace(p, line=end.line, column=end.column) for p in problems
        ]
    return LoadedFile(tuple(docs), tuple(problems), budget.nodes, budget.steps)
