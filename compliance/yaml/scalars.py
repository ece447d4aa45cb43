"""Scalar typing as Helm sees it: go-yaml v2 resolve.go (YAML 1.1), then the JSON round trip.

Keys become strings by Go type (int 1000000 -> "1000000" but float 1e6 -> "1e+06"); values collapse
into one float64 number type, kept here as int when integral and exact. Tags are never constructed:
an unknown tag leaves the scalar's text.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable
from typing import Any

_TAG_PREFIX = "tag:yaml.org,2002:"
MAP_TAG = _TAG_PREFIX + "map"
SEQ_TAG = _TAG_PREFIX + "seq"
MERGE_TAG = _TAG_PREFIX + "merge"

# Go value kinds, needed because keys stringify by Go type (int 1000000 -> "1000000" but
# float 1e6 -> "1e+06") while values collapse into one float64 number type.
K_STR, K_BOOL, K_NULL, K_INT, K_UINT, K_FLOAT = range(6)
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
YAML11_BOOL_WORDS = frozenset(("y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO"))
YAML11_BOOL_WORDS |= frozenset(("on", "On", "ON", "off", "Off", "OFF"))

# go-yaml's exact-lookup table (resolveMap), as (kind, Go value).
_GO_MAP: dict[str, tuple[int, Any]] = {
    **dict.fromkeys(_TRUE_WORDS, (K_BOOL, True)),
    **dict.fromkeys(_FALSE_WORDS, (K_BOOL, False)),
    **dict.fromkeys(_NULL_WORDS, (K_NULL, None)),
    **{w: (K_FLOAT, f) for w, f in _FLOAT_WORDS.items()},
}
# Hot-path tables: plain value text -> Python value; plain key text -> key string (or sentinel).
PLAIN_VALUES: dict[str, Any] = {w: v for w, (_, v) in _GO_MAP.items()}


class Sentinel:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


MISS = Sentinel("MISS")
MERGE = Sentinel("MERGE")  # the `<<` key
_NULL_KEY = Sentinel("NULL_KEY")  # a null key: stringified "null", but Helm refuses it
OPEN = Sentinel("OPEN")  # an anchor whose node is still being built (alias to it = a cycle)

PLAIN_KEYS: dict[str, Any] = {
    **dict.fromkeys(_TRUE_WORDS, "true"),
    **dict.fromkeys(_FALSE_WORDS, "false"),
    **dict.fromkeys(_NULL_WORDS, _NULL_KEY),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), ".inf"),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), "-.inf"),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), ".nan"),
    "<<": MERGE,
}

# Plain scalars starting with one of these may be numbers (go-yaml hints 'D', 'S' and '.').
NUM_START = frozenset("0123456789+-.")
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
        return (K_INT, -n) if n <= _INT64_MAX + 1 else None
    if n <= _INT64_MAX:
        return K_INT, n
    if sign != "+" and n <= _UINT64_MAX:  # ParseUint takes no sign
        return K_UINT, n
    return None


def go_number(text: str) -> tuple[int, Any]:
    """Resolve a plain scalar starting with a digit, sign or '.' the way go-yaml v2 does."""
    if text[0] == ".":
        if _DOT_FLOAT_RE(text):
            f = float(text)
            if not math.isinf(f):  # Go's ParseFloat fails on overflow: the text stays a string
                return K_FLOAT, f
        return K_STR, text
    plain = text.replace("_", "") if "_" in text else text
    if plain:
        r = _go_parse_int(plain)
        if r is not None:
            return r
        if _FLOAT_RE(plain):
            f = float(plain)
            if not math.isinf(f):
                return K_FLOAT, f
    return K_STR, text


def number_value(text: str) -> Any:
    """A plain value starting with a digit/sign/'.': int, float or the text itself."""
    # Fast path for the common short decimal (< 16 digits is always below 2**53).
    if len(text) < 16 and text.isdigit() and text.isascii() and (text[0] != "0" or len(text) == 1):
        return int(text)
    kind, v = go_number(text)
    if kind == K_STR:
        return text
    return _json_number(v)


def _json_number(v: int | float) -> int | float:
    """Helm's number after the JSON round trip: float64; integral and exact -> int for us."""
    if not isinstance(v, float):  # an int (bool never reaches here)
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


def resolve_go(text: str) -> tuple[int, Any]:
    """go-yaml v2 ``resolve("", text)`` as (kind, Go value)."""
    hit = _GO_MAP.get(text)
    if hit is not None:
        return hit
    if text[0] in NUM_START:
        return go_number(text)
    return K_STR, text


def short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG_PREFIX) :] if tag.startswith(_TAG_PREFIX) else tag


STD_SCALAR_TAGS = frozenset(("!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp"))
# Tags go-yaml knows but does not resolve on a scalar: the value silently stays the text.
STD_OTHER_TAGS = frozenset(("!!map", "!!seq", "!!merge"))
# Which resolved kinds each tag accepts (go-yaml's deferred check in resolve()).
_TAG_ACCEPTS: dict[str, tuple[int, ...]] = {
    "!!int": (K_INT, K_UINT),
    "!!float": (K_INT, K_UINT, K_FLOAT),  # an int is converted to float
    "!!bool": (K_BOOL,),
    "!!null": (K_NULL,),
    "!!timestamp": (),
}


def tagged_scalar(text: str, tag: str) -> tuple[int, Any, str | None, str | None]:
    """An explicitly tagged scalar, as go-yaml v2 decodes it into ``interface{}``.

    Returns (kind, Go value, Helm error or None, unknown tag or None). Unknown tags are never
    constructed: the value is the scalar's text.
    """
    if tag == "!":  # the non-specific tag: a string
        return K_STR, text, None, None
    short = short_tag(tag)
    if short not in STD_SCALAR_TAGS:
        return K_STR, text, None, (None if short in STD_OTHER_TAGS else short)
    if short == "!!str":
        return K_STR, text, None, None
    if short == "!!timestamp" and _TIMESTAMP_RE(text):
        return K_STR, text, None, None  # go-yaml v2 keeps a timestamp as its original text
    kind, value = resolve_go(text)
    if kind in _TAG_ACCEPTS[short]:
        if short == "!!float":
            return K_FLOAT, float(value), None, None
        return kind, value, None, None
    error = f"Helm cannot decode {_KIND_NAMES[kind]} `{text}` as a {short}"
    return kind, value, error, None


def key_text(kind: int, value: Any) -> tuple[str, str | None]:
    """sigs.k8s.io/yaml's key stringification: (key, Helm error or None)."""
    if kind == K_STR:
        return value, None
    if kind == K_BOOL:
        return ("true" if value else "false"), None
    if kind == K_INT:
        return str(value), None
    if kind == K_FLOAT:
        return _go_float_key(value), None
    if kind == K_UINT:
        return str(value), "Helm cannot load a map key above 2^63-1 (unsupported map key type)"
    return "null", "Helm cannot load a null map key (unsupported map key type)"


def value_of(kind: int, value: Any) -> Any:
    if kind in (K_INT, K_UINT, K_FLOAT):
        return _json_number(value)
    return value


def scalar_key(text: str, tag: str | None, style: str) -> tuple[Any, str | None, str | None]:
    """Key text for a scalar that is not plain-untagged (or for an aliased one).

    Returns (key or MERGE, Helm error or None, unknown tag or None)."""
    if tag is None:
        if style:
            return text, None, None
        k = PLAIN_KEYS.get(text)
        if k is MERGE:
            return MERGE, None, None
        key, err = key_text(*resolve_go(text))
        return key, err, None
    if tag == MERGE_TAG and text == "<<":
        return MERGE, None, None
    kind, v, err, unknown = tagged_scalar(text, tag)
    key, err2 = key_text(kind, v)
    return key, err or err2, unknown
