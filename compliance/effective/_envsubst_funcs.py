"""envsubst's string operators (fluxcd/pkg/envsubst funcs.go and path/match.go) on Go strings, i.e. bytes.

Kept apart from the parser so each stays small. Exactness notes: lengths and offsets count bytes; Go's
`[]rune` conversion (used to reverse for `%`/`%%`) and `strings.ToUpper` turn an invalid byte into U+FFFD;
case mapping is Unicode *simple* case mapping (Go's `unicode.ToUpper`), not Python's full mapping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

_RUNE_ERROR = 0xFFFD
_INT64 = 2**63


class Panic(ValueError):
    """Go panicked (a slice out of range from an overflowing `${v:pos:len}`)."""


def decode_rune(buf: bytes | bytearray, i: int) -> tuple[int, int]:
    """One rune the way Go's unicode/utf8 reads it: an invalid byte is U+FFFD of width 1."""
    c = buf[i]
    if c < 0x80:
        return c, 1
    n = 2 if 0xC2 <= c <= 0xDF else 3 if 0xE0 <= c <= 0xEF else 4 if 0xF0 <= c <= 0xF4 else 0
    if n and i + n <= len(buf):
        try:
            return ord(bytes(buf[i : i + n]).decode("utf-8")), n
        except UnicodeDecodeError:
            pass
    return _RUNE_ERROR, 1


def runes(s: bytes) -> list[int]:
    out: list[int] = []
    i = 0
    while i < len(s):
        r, n = decode_rune(s, i)
        out.append(r)
        i += n
    return out


def encode(rs: Iterable[int]) -> bytes:
    return "".join(map(chr, rs)).encode("utf-8")


# Simple mappings where Python's full mapping has several characters (SpecialCasing.txt).
_UPPER_SPECIAL = {
    **{r: r + 8 for start in (0x1F80, 0x1F90, 0x1FA0) for r in range(start, start + 8)},
    0x1FB3: 0x1FBC,
    0x1FC3: 0x1FCC,
    0x1FF3: 0x1FFC,
}
_LOWER_SPECIAL = {0x130: 0x69}


def _upper(r: int) -> int:
    u = chr(r).upper()
    return ord(u) if len(u) == 1 else _UPPER_SPECIAL.get(r, r)


def _lower(r: int) -> int:
    u = chr(r).lower()
    return ord(u) if len(u) == 1 else _LOWER_SPECIAL.get(r, r)


def _map(s: bytes, fn: Callable[[int], int]) -> bytes:
    if s.isascii():
        return s.upper() if fn is _upper else s.lower()
    return encode([fn(r) for r in runes(s)])


def _first(s: bytes, fn: Callable[[int], int]) -> bytes:
    if not s:
        return s
    r, n = decode_rune(s, 0)
    return chr(fn(r)).encode("utf-8") + s[n:]


_ATOI = re.compile(rb"[+-]?[0-9]+")


def _atoi(b: bytes) -> int | None:
    """strconv.Atoi: optional sign, decimal digits, int64 range."""
    if not _ATOI.fullmatch(b):
        return None
    v = int(b)
    return v if -_INT64 <= v < _INT64 else None


def _wrap64(v: int) -> int:
    return (v + _INT64) % (2 * _INT64) - _INT64


def to_substr(s: bytes, args: list[bytes]) -> bytes:
    if not args:
        return s
    pos = _atoi(args[0])
    if pos is None:
        return s
    size = len(s)
    if pos < 0:
        pos = max(size + pos, 0)
    if len(args) == 1:
        return s[pos:] if pos < size else b""
    length = _atoi(args[1])
    if length is None:
        return s
    if length < 0:
        end = size + length
        return b"" if end < pos else s[pos:end]
    end = _wrap64(pos + length)
    if end >= size:
        return s[pos:] if pos < size else b""
    if end < pos:
        raise Panic(f"panic: runtime error: slice bounds out of range [:{end}]")  # Go's message for s[pos:end<0]
    return s[pos:end]


def _replace(s: bytes, old: bytes, new: bytes, n: int) -> bytes:
    """strings.Replace; an empty `old` matches at the start and after each UTF-8 sequence."""
    if old:
        return s.replace(old, new, n)
    out = [new]
    i, count = 0, 1
    while i < len(s) and (n < 0 or count < n):
        _, w = decode_rune(s, i)
        out.append(s[i : i + w] + new)
        i += w
        count += 1
    out.append(s[i:])
    return b"".join(out)


# ---- path.Match (the fork: a trailing `*` matches everything, `/` included) -------------------------
class _BadPattern(Exception):
    pass


def _scan_chunk(pattern: bytes) -> tuple[bool, bytes, bytes]:
    star = False
    while pattern[:1] == b"*":
        pattern = pattern[1:]
        star = True
    inrange = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == 0x5C:  # '\\'
            if i + 1 < len(pattern):
                i += 1
        elif c == 0x5B:
            inrange = True
        elif c == 0x5D:
            inrange = False
        elif c == 0x2A and not inrange:
            break
        i += 1
    return star, pattern[:i], pattern[i:]


def _get_esc(chunk: bytes) -> tuple[int, bytes, bool]:
    """(rune, rest, error) like getEsc, which returns its results even with an error."""
    if not chunk or chunk[0] in (0x2D, 0x5D):
        return 0, chunk, True
    if chunk[0] == 0x5C:
        chunk = chunk[1:]
        if not chunk:
            return 0, chunk, True
    r, n = decode_rune(chunk, 0)
    bad = r == _RUNE_ERROR and n == 1
    rest = chunk[n:]
    return r, rest, bad or not rest


def _match_chunk(chunk: bytes, s: bytes) -> tuple[bytes, bool]:
    """(rest, ok); raises _BadPattern where matchChunk returns an error."""
    while chunk:
        if not s:
            return b"", False
        c = chunk[0]
        if c == 0x5B:  # '['
            r, n = decode_rune(s, 0)
            s = s[n:]
            chunk = chunk[1:]
            negated = bool(chunk) and chunk[0] == 0x5E
            if negated:
                chunk = chunk[1:]
            match = False
            nrange = 0
            while True:
                if chunk and chunk[0] == 0x5D and nrange > 0:
                    chunk = chunk[1:]
                    break
                lo, chunk, bad = _get_esc(chunk)
                if bad:
                    raise _BadPattern
                hi = lo
                if chunk[0] == 0x2D:
                    hi, chunk, bad = _get_esc(chunk[1:])
                    if bad:
                        raise _BadPattern
                if lo <= r <= hi:
                    match = True
                nrange += 1
            if match == negated:
                return b"", False
        elif c == 0x3F:  # '?'
            _, n = decode_rune(s, 0)
            s = s[n:]
            chunk = chunk[1:]
        else:
            if c == 0x5C:
                chunk = chunk[1:]
                if not chunk:
                    raise _BadPattern
            if chunk[0] != s[0]:
                return b"", False
            s = s[1:]
            chunk = chunk[1:]
    return s, True


def match(pattern: bytes, name: bytes) -> bool:
    """path.Match of the fork; raises _BadPattern for Go's ErrBadPattern."""
    while pattern:
        star, chunk, pattern = _scan_chunk(pattern)
        if star and not chunk:
            return True
        try:
            t, ok = _match_chunk(chunk, name)
            bad = False
        except _BadPattern:
            t, ok, bad = b"", False, True
        if ok and (not t or pattern):
            name = t
            continue
        if bad:
            raise _BadPattern
        if not star:
            return False
        for i in range(len(name)):
            t, ok = _match_chunk(chunk, name[i + 1 :])  # an error here propagates, as in Go
            if ok:
                if not pattern and t:
                    continue
                name = t
                break
        else:
            return False
    return not name


def _trim_shortest(s: bytes, pat: bytes) -> bytes:
    shortest = b""
    for i in range(len(s)):
        try:
            if match(pat, s[: len(s) - i]):
                shortest = s[: len(s) - i]
        except _BadPattern:
            return s
    return s[len(shortest) :] if shortest else s


def _trim_longest(s: bytes, pat: bytes) -> bytes:
    for i in range(len(s)):
        try:
            if match(pat, s[: len(s) - i]):
                return s[len(s) - i :]
        except _BadPattern:
            return s
    return s


def _reverse(s: bytes) -> bytes:
    return encode(runes(s)[::-1])


def apply(name: str, s: bytes, args: list[bytes]) -> bytes:
    """lookupFunc(name, len(args))(s, args...)."""
    if name == ",":
        return _first(s, _lower)
    if name == ",,":
        return _map(s, _lower)
    if name == "^":
        return _first(s, _upper)
    if name == "^^":
        return _map(s, _upper)
    if name == "#" and not args:
        return str(len(s)).encode()
    if name in ("#", "##"):
        return (_trim_shortest if name == "#" else _trim_longest)(s, args[0]) if args else s
    if name in ("%", "%%"):
        if not args:
            return s
        trim = _trim_shortest if name == "%" else _trim_longest
        return _reverse(trim(_reverse(s), _reverse(args[0])))
    if name == ":":
        return to_substr(s, args)
    if name in ("/", "//"):
        if not args:
            return s
        return _replace(s, args[0], args[1] if len(args) > 1 else b"", 1 if name == "/" else -1)
    if name == "/#":
        return _replace(s, args[0], args[1], 1) if len(args) == 2 and s.startswith(args[0]) else s
    if name == "/%":
        return s[: len(s) - len(args[0])] + args[1] if len(args) == 2 and s.endswith(args[0]) else s
    # toDefault: the default operators and any other name
    return b"".join(args) if not s and args else s
