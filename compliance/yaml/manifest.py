"""Scalar typing on Flux's apply path: a HelmRelease file as kustomize-controller reads it.

kustomize's kyaml parses every manifest with go-yaml v3, turns the resource into JSON
(`RNode.MarshalJSON`: v3 decode into `interface{}`, then `encoding/json`) and helm-controller reads
`spec.values` back as float64 JSON. So a scalar written literally in the file follows go-yaml v3's
`resolve.go` (shared notes §3 "Apply path"): only `true/True/TRUE/false/False/FALSE` are booleans
(`yes`, `on`, `n` stay strings), a timestamp becomes an RFC 3339 string, `!!binary` is decoded, and
`.inf`/`.nan` fail the build because JSON cannot hold them. A substituted text is re-read with
sigs.k8s.io/yaml (go-yaml v2, YAML 1.1): that is Helm's own typing, `compliance.yaml.load_yaml`.

Numbers follow the convention of `compliance.yaml`: an integral float64 within 2^53 is an `int`.
Tested against the real libraries by `tests/test_manifest_typing.py` (tools/oracle `manifest-scalar`).
"""

from __future__ import annotations

import binascii
import math
import re
from typing import Any

from compliance.yaml.streams import load_yaml

__all__ = [
    "NON_STRING_KEY_ERROR",
    "ManifestError",
    "is_string_key",
    "key_tag",
    "resolve_v3",
    "retype_after_substitution",
    "type_plain_scalar",
    "type_tagged_scalar",
]

# encoding/json's error for a v3 mapping with a key that is not a string: the whole build fails.
NON_STRING_KEY_ERROR = "json: unsupported type: map[interface {}]interface {}"
_MAX_SAFE = 2**53
_INT64 = 2**63
_UINT64 = 2**64
_TAG_PREFIX = "tag:yaml.org,2002:"
_MARSHAL_TIME = "json: error calling MarshalJSON for type time.Time"


class ManifestError(ValueError):
    """The kustomize build (or the post-build re-read) fails on this scalar; `str()` is Go's message."""


# go-yaml v3 resolve.go: the exact-lookup table, reached only for a first character with a hint.
_V3_MAP: dict[str, tuple[str, Any]] = {
    **dict.fromkeys(("true", "True", "TRUE"), ("!!bool", True)),
    **dict.fromkeys(("false", "False", "FALSE"), ("!!bool", False)),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), ("!!null", None)),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), ("!!float", math.nan)),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), ("!!float", math.inf)),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), ("!!float", -math.inf)),
}
_HINT_MAP = frozenset("yYnNtTfFoO~")
_HINT_NUMBER = frozenset("+-0123456789")
_V3_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
# Go's ParseFloat on text starting with ".": digits, `_` between digits, an optional exponent.
_DOT_FLOAT = re.compile(r"\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?")
_DIGITS = {
    2: re.compile(r"[01]+"),
    8: re.compile(r"[0-7]+"),
    10: re.compile(r"[0-9]+"),
    16: re.compile(r"[0-9a-fA-F]+"),
}
_RESOLVABLE = frozenset(("", "!!str", "!!bool", "!!int", "!!float", "!!null", "!!timestamp"))


def _parse_int(s: str) -> int | None:
    """strconv.ParseInt(s, 0, 64), then ParseUint(s, 0, 64) (no sign); `_` already removed."""
    sign = s[:1] if s[:1] in ("+", "-") else ""
    body = s[len(sign) :]
    if not body:
        return None
    base, digits = 10, body
    if body[0] == "0":
        if len(body) >= 3 and body[1] in "bBoOxX":
            base, digits = {"b": 2, "o": 8, "x": 16}[body[1].lower()], body[2:]
        else:  # legacy octal; "0" alone leaves no digits and is 0
            base, digits = 8, body[1:]
            if not digits:
                return 0
    if not _DIGITS[base].fullmatch(digits):
        return None
    n = int(digits, base)
    if sign == "-":
        return -n if n <= _INT64 else None
    if n < _INT64 or (not sign and n < _UINT64):
        return n
    return None


def _parse_float(s: str) -> float | None:
    f = float(s.replace("_", ""))
    return None if math.isinf(f) else f  # ParseFloat's range error: the text stays a string


# --- timestamps: time.Parse with go-yaml v3's four layouts ---------------------------------------------
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _getnum(s: str, fixed: bool) -> tuple[int, str] | None:
    if not s[:1].isdigit() or not s[:1].isascii():
        return None
    if len(s) < 2 or not ("0" <= s[1] <= "9"):
        return None if fixed else (int(s[0]), s[1:])
    return int(s[:2]), s[2:]


def _clock(value: str) -> tuple[int, int, int, int, str] | None:
    """`15:4:5.999999999`: hour, minute, second, nanoseconds, rest."""
    parts: list[int] = []
    for i, top in enumerate((24, 60, 60)):
        if i:
            if value[:1] != ":":
                return None
            value = value[1:]
        got = _getnum(value, False)
        if got is None or got[0] >= top:
            return None
        parts.append(got[0])
        value = got[1]
    nsec = 0
    if len(value) >= 2 and value[0] in ".," and "0" <= value[1] <= "9":
        n = 1
        while n < len(value) and "0" <= value[n] <= "9":
            n += 1
        frac = value[1 : min(n, 10)]
        nsec = int(frac) * 10 ** (9 - len(frac))
        value = value[n:]
    return parts[0], parts[1], parts[2], nsec, value


def _zone(value: str) -> tuple[int, str] | None:
    """`Z07:00`: offset seconds, rest."""
    if value[:1] == "Z":
        return 0, value[1:]
    if len(value) < 6 or value[3] != ":" or value[0] not in "+-":
        return None
    hh, mm = _getnum(value[1:3], True), _getnum(value[4:6], True)
    if hh is None or mm is None or hh[1] or mm[1] or hh[0] > 24 or mm[0] > 60:
        return None
    offset = (hh[0] * 60 + mm[0]) * 60
    return (-offset if value[0] == "-" else offset), value[6:]


def _timestamp(s: str) -> str | None:
    """go-yaml v3 parseTimestamp, then time.Time's MarshalJSON (RFC 3339 with nanoseconds)."""
    if len(s) < 5 or not s[:4].isdigit() or not s[:4].isascii() or s[4] != "-":
        return None
    year, value = int(s[:4]), s[5:]
    month = _getnum(value, False)
    if month is None or not 1 <= month[0] <= 12 or month[1][:1] != "-":
        return None
    day = _getnum(month[1][1:], False)
    if day is None:
        return None
    rest = day[1]
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= day[0] <= _DAYS[month[0] - 1] + (1 if month[0] == 2 and leap else 0):
        return None
    clock: tuple[int, int, int, int, str] | None = (0, 0, 0, 0, "")
    offset = 0
    if rest[:1] in ("T", "t"):
        clock = _clock(rest[1:])
        zone = _zone(clock[4]) if clock else None
        if zone is None or zone[1]:
            return None
        offset = zone[0]
    elif rest[:1] == " ":
        clock = _clock(rest.lstrip(" "))  # a layout space matches any run of spaces
        if clock is None or clock[4]:
            return None
    elif rest:
        return None
    assert clock is not None
    if abs(offset) >= 24 * 3600:
        raise ManifestError(f"{_MARSHAL_TIME}: Time.MarshalJSON: timezone hour outside of range [0,23]")
    frac = f".{clock[3]:09d}".rstrip("0") if clock[3] else ""
    zone_text = "Z"
    if offset:
        sign = "-" if offset < 0 else "+"
        minutes = abs(offset) // 60
        zone_text = f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    date = f"{year:04d}-{month[0]:02d}-{day[0]:02d}"
    return f"{date}T{clock[0]:02d}:{clock[1]:02d}:{clock[2]:02d}{frac}{zone_text}"


def resolve_v3(tag: str, text: str) -> tuple[str, Any]:
    """go-yaml v3 `resolve(tag, text)`: (resolved short tag, value). A timestamp's value is its RFC 3339
    JSON text. Raises ManifestError where v3 fails ("cannot decode !!str `x` as a !!int")."""
    tag = _short_tag(tag)
    if tag not in _RESOLVABLE:
        return tag, text
    rtag, value = _resolve_untagged(text, tag)
    if tag in ("", rtag, "!!str"):
        return rtag, value
    if tag == "!!float" and rtag == "!!int" and value < _INT64:  # a uint64 is not converted
        return "!!float", float(value)
    raise ManifestError(f"cannot decode {rtag} `{text}` as a {tag}")


def _resolve_untagged(text: str, tag: str) -> tuple[str, Any]:
    hint = text[:1] if text else "~"
    if tag == "!!str" or not (hint in _HINT_MAP or hint in _HINT_NUMBER or hint == "."):
        return "!!str", text
    hit = _V3_MAP.get(text)
    if hit is not None:
        return hit
    if hint == ".":
        if _DOT_FLOAT.fullmatch(text):
            f = _parse_float(text)
            if f is not None:
                return "!!float", f
    elif hint in _HINT_NUMBER:
        if tag in ("", "!!timestamp"):
            stamp = _timestamp(text)
            if stamp is not None:
                return "!!timestamp", stamp
        plain = text.replace("_", "")
        n = _parse_int(plain)
        if n is not None:
            return "!!int", n
        if _V3_FLOAT.fullmatch(plain):
            f = _parse_float(plain)
            if f is not None:
                return "!!float", f
        # resolve.go's own 0b/0o fallbacks accept nothing ParseInt(s, 0, 64) refused above
    return "!!str", text


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG_PREFIX) :] if tag.startswith(_TAG_PREFIX) else tag


def _json_value(tag: str, value: Any) -> Any:
    """encoding/json, then helm-controller's float64 decode."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
        text = "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
        raise ManifestError(f"json: unsupported value: {text}")
    f = float(value)
    return int(f) if f.is_integer() and -_MAX_SAFE <= f <= _MAX_SAFE else f


def type_plain_scalar(text: str) -> Any:
    """The JSON value of a plain (unquoted, untagged) scalar written literally in a manifest."""
    return _json_value(*_resolve_untagged(text, ""))


def _go_string(data: bytes) -> str:
    """`string(data)` through encoding/json: every invalid UTF-8 byte becomes U+FFFD."""
    out: list[str] = []
    i = 0
    while i < len(data):
        c = data[i]
        n = 1 if c < 0x80 else 2 if 0xC2 <= c <= 0xDF else 3 if 0xE0 <= c <= 0xEF else 4 if 0xF0 <= c <= 0xF4 else 0
        if n and i + n <= len(data):
            try:
                out.append(data[i : i + n].decode("utf-8"))
                i += n
                continue
            except UnicodeDecodeError:
                pass
        out.append("\ufffd")
        i += 1
    return "".join(out)


def type_tagged_scalar(tag: str, text: str) -> Any:
    """The JSON value of an explicitly tagged scalar (`!!int 0x10`, `!!binary aGk=`, `!foo x`)."""
    short = _short_tag(tag)
    if short in ("", "!"):  # v3's parser reads the non-specific tag on a plain scalar as no tag
        return type_plain_scalar(text)
    if short == "!!binary":
        return _decode_binary(text)
    return _json_value(*resolve_v3(tag, text))


def key_tag(text: str, tag: str | None = None, quoted: bool = False) -> str:
    """The short tag go-yaml v3 gives a mapping key (`Node.ShortTag`)."""
    if quoted or (tag is not None and _short_tag(tag) == "!!str"):
        return "!!str"
    if tag and tag != "!":
        return _short_tag(tag)
    try:
        return _resolve_untagged(text, "")[0]
    except ManifestError:  # only a timestamp's JSON can fail, and the key's type is known by then
        return "!!timestamp"


def is_string_key(text: str, tag: str | None = None, quoted: bool = False) -> bool:
    """False where the key makes its mapping `map[interface{}]interface{}`: the build then fails with
    NON_STRING_KEY_ERROR (kustomize#3446). `8080:`, `true:`, `1.5:`, `2001-12-14:`, `~:` are not strings;
    `yes:`, `on:`, `"8080":` are."""
    return key_tag(text, tag, quoted) in ("!!str", "!!merge")


# A leading tag as go-yaml v2 scans it: its URI characters include `,[]`, which libyaml refuses in a
# short tag ("did not find expected whitespace"): such a tag is unknown either way, so it reads as `!x`.
_V2_TAG = re.compile(r"!(?:<[^>]*>|[-0-9A-Za-z_;/?:@&=+$,.!~*'()\[\]%]*)")
_BINARY_TAGS = ("!!binary", f"!<{_TAG_PREFIX}binary>")


_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _check_uri_escapes(token: str) -> None:
    """go-yaml v2's `%XX` escapes in a tag: hex octets forming UTF-8."""
    for part in _ESCAPES.split(token):
        if "%" in part:
            raise ManifestError("did not find URI escaped octet")
    for run in _ESCAPES.findall(token):
        try:
            bytes.fromhex(run.replace("%", "")).decode("utf-8")
        except UnicodeDecodeError:
            raise ManifestError("incorrect UTF-8 octet in a tag URI escape") from None


def _decode_binary(text: str) -> str:
    try:
        data = binascii.a2b_base64(text.replace("\r", "").replace("\n", "").encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ManifestError("!!binary value contains invalid base64 data") from None
    return _go_string(data)


def retype_after_substitution(text: str) -> Any:
    """The value sigs.k8s.io/yaml (go-yaml v2, YAML 1.1, then JSON) reads for `k: <text>`, where `text` is
    what an unquoted `${VAR}` placeholder became: Helm's own typing (`compliance.yaml.load_yaml`), except
    for what that loader leaves to Helm's side on purpose or reads with libyaml's stricter scanner: a
    leading `!!binary` tag (v2 decodes it) and a short tag holding `,[]`."""
    tag = _V2_TAG.match(text)
    binary = False
    if tag and text[tag.end() : tag.end() + 1] in ("", " ", "\t"):
        token = tag.group()
        binary = token in _BINARY_TAGS
        if binary:
            text = "!!str" + text[tag.end() :]
        elif not token.startswith("!<") and any(c in token for c in ",[]"):
            _check_uri_escapes(token)
            text = "!x" + text[tag.end() :]
    value = _retype(text)
    if binary and isinstance(value, str):
        return _decode_binary(value)
    return value


def _retype(text: str) -> Any:
    loaded = load_yaml(f"k: {text}\n")
    errors = [p for p in loaded.problems if p.code in ("YML000", "YML003")]
    if errors:
        raise ManifestError(errors[0].message)
    doc = loaded.documents[0].value if loaded.documents else None
    if not isinstance(doc, dict) or "k" not in doc:
        raise ManifestError(f"the substituted text changes the document's shape: {doc!r}")
    return doc["k"]
