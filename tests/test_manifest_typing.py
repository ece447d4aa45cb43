"""compliance.yaml.manifest against kustomize's kyaml (go-yaml v3 → JSON) and Flux's post-build re-read.

Every typing row is written by hand (and asked of the oracle, so the table is proven); hypothesis then
generates scalars, tagged scalars, keys and substituted values, compared with `oracle manifest-scalar`.
"""

from __future__ import annotations

import base64
import math
import os
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from compliance.yaml.manifest import (
    NON_STRING_KEY_ERROR,
    ManifestError,
    is_string_key,
    retype_after_substitution,
    type_plain_scalar,
    type_tagged_scalar,
)
from tests.oracle import BatchOracle, batch_oracle_or_skip


class Err:
    """An expected build failure (with Go's message, or any message when None)."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message


PLAIN: list[tuple[str, Any]] = [
    # booleans: only the YAML 1.2 words; YAML 1.1's stay strings
    *[(w, True) for w in ("true", "True", "TRUE")],
    *[(w, False) for w in ("false", "False", "FALSE")],
    *[(w, w) for w in ("yes", "no", "on", "off", "y", "n", "Y", "N", "Yes", "NO", "Off", "ON", "tRUE", "nO")],
    *[(w, None) for w in ("", "~", "null", "Null", "NULL")],
    ("nULL", "nULL"),
    # integers
    ("0", 0),
    ("-0", 0),
    ("+5", 5),
    ("42", 42),
    ("0o17", 15),
    ("017", 15),
    ("0777", 511),
    ("00", 0),
    ("0b101", 5),
    ("-0b101", -5),
    ("0B11", 3),
    ("0x1F", 31),
    ("0X1f", 31),
    ("+0x10", 16),
    ("1_000", 1000),
    ("0x_1F", 31),
    ("07_7", 63),
    ("0x", "0x"),
    ("0b", "0b"),
    ("0o", "0o"),
    ("0b102", "0b102"),
    ("1,000", "1,000"),
    ("08", 8),
    ("09.5", 9.5),  # not octal: the float rule reads them
    # big integers: float64 precision once helm-controller decodes spec.values
    ("9007199254740993", 9007199254740992.0),
    ("9223372036854775807", 9.223372036854776e18),
    ("18446744073709551615", 1.8446744073709552e19),
    ("-9223372036854775809", -9.223372036854776e18),
    ("99999999999999999999", 1e20),
    # floats
    ("1.5", 1.5),
    ("1.0", 1),
    ("1e3", 1000),
    ("1.0e+3", 1000),
    ("0.5e3", 500),
    ("1.", 1),
    ("1.e5", 100000),
    (".5", 0.5),
    ("-.5", -0.5),
    (".5_5", 0.55),
    ("1e400", "1e400"),
    ("1e-400", 0),
    ("-0.0", 0),
    ("1_0.5", 10.5),
    ("0x1p3", "0x1p3"),
    ("inf", "inf"),
    ("NaN", "NaN"),
    (".iNF", ".iNF"),
    (".inf", Err("json: unsupported value: +Inf")),
    ("+.INF", Err("json: unsupported value: +Inf")),
    ("-.Inf", Err("json: unsupported value: -Inf")),
    (".NaN", Err("json: unsupported value: NaN")),
    # timestamps become RFC 3339 strings
    ("2024-01-02", "2024-01-02T00:00:00Z"),
    ("2024-1-2", "2024-01-02T00:00:00Z"),
    ("2015-02-24 18:19:39", "2015-02-24T18:19:39Z"),
    ("2001-12-14  21:59:43.10", "2001-12-14T21:59:43.1Z"),
    ("2001-12-14t21:59:43.10-05:00", "2001-12-14T21:59:43.1-05:00"),
    ("2001-12-14T21:59:43Z", "2001-12-14T21:59:43Z"),
    ("2001-12-14T21:59:43,5+00:00", "2001-12-14T21:59:43.5Z"),
    ("2001-12-14T21:59:43.1234567891Z", "2001-12-14T21:59:43.123456789Z"),
    ("2001-12-14T21:59:43+05:60", "2001-12-14T21:59:43+06:00"),
    ("2000-02-29", "2000-02-29T00:00:00Z"),
    ("2001-12-14T21:59:43", "2001-12-14T21:59:43"),
    ("2001-12-14 21:59:43Z", "2001-12-14 21:59:43Z"),
    ("1900-02-29", "1900-02-29"),
    ("2001-13-01", "2001-13-01"),
    ("2001-12-14T24:00:00Z", "2001-12-14T24:00:00Z"),
    ("20011-12-14", "20011-12-14"),
    ("2001-12-14T1:2:3+24:00", Err()),  # a zone hour MarshalJSON refuses
    # strings
    ("1:30", "1:30"),
    ("=", "="),
    ("<<", "<<"),
    ("${X}", "${X}"),
    ("héllo", "héllo"),
    ("0.1.2", "0.1.2"),
]

TAGGED: list[tuple[str, str, Any]] = [
    ("!!str", "123", "123"),
    ("!!str", "true", "true"),
    ("!!str", "~", "~"),
    ("!!str", "", ""),
    ("!!int", "0x10", 16),
    ("!!int", "1_000", 1000),
    ("!!int", "08", Err("cannot decode !!float `08` as a !!int")),
    ("!!int", "yes", Err("cannot decode !!str `yes` as a !!int")),
    ("!!float", "3", 3),
    ("!!float", "1.5", 1.5),
    ("!!float", ".inf", Err("json: unsupported value: +Inf")),
    ("!!bool", "true", True),
    ("!!bool", "yes", Err("cannot decode !!str `yes` as a !!bool")),
    ("!!null", "~", None),
    ("!!null", "", None),
    ("!!null", "x", Err("cannot decode !!str `x` as a !!null")),
    ("!!timestamp", "2001-12-14", "2001-12-14T00:00:00Z"),
    ("!!timestamp", "nope", Err("cannot decode !!str `nope` as a !!timestamp")),
    ("!!binary", "aGVsbG8=", "hello"),
    ("!!binary", "aGVsbG8", Err("!!binary value contains invalid base64 data")),
    ("!!binary", "/w==", "\ufffd"),
    ("!foo", "bar", "bar"),
    ("!foo", "1", "1"),
    ("!", "12", 12),
    ("!!python/tuple", "x", "x"),
]

KEYS: list[tuple[str, bool]] = [
    ("a", True),
    ("yes", True),
    ("on", True),
    ("n", True),
    ('"8080"', True),
    ("'true'", True),
    ("!!str 1", True),
    ("8080", False),
    ("true", False),
    ("1.5", False),
    ("2001-12-14", False),
    ("~", False),
    ("null", False),
    ("0x1F", False),
    ("1_000", False),
    ("08", False),
    (".inf", False),
    ("!!int 1", False),
    ("!foo k", False),
    ("<<x", True),
    ("1:30", True),
    ("2001-13-01", True),
]

RETYPE: list[tuple[str, Any]] = [
    ("yes", True),
    ("on", True),
    ("y", True),
    ("NO", False),
    ("off", False),
    ("0x10", 16),
    ("0123", 83),
    ("08", 8.0),
    ("1e3", 1000),
    ("2024-01-02", "2024-01-02"),
    ("~", None),
    ("", None),
    ("a b", "a b"),
    ("text #comment", "text"),
    ("[1, 2]", [1, 2]),
    ("{a: 1}", {"a": 1}),
    (".inf", Err()),
    ("a: b", Err()),
    ("- a", Err()),
    ("'q", Err()),
    ("*x", Err()),
]


def _ours(fn: Any, *args: Any) -> dict[str, Any]:
    try:
        return {"value": fn(*args)}
    except ManifestError as exc:
        return {"error": str(exc)}


def _normal(value: Any) -> Any:
    """JSON numbers as float64 gives them: ints beyond 2^53 compare as floats."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return float(value) if abs(value) > 2**53 else value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) <= 2**53 else value
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return {k: _normal(v) for k, v in value.items()}


def _typed(value: Any) -> Any:
    """A comparable form that tells True from 1 and 1 from 1.5."""
    value = _normal(value)
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    return (type(value).__name__, value)


def _same(ours: dict[str, Any], theirs: dict[str, Any], messages: bool = True) -> bool:
    if "error" in ours or "error" in theirs:
        if not messages:
            return ("error" in ours) == ("error" in theirs)
        return ours.get("error") == theirs.get("error")
    return _typed(ours["value"]) == _typed(theirs["value"])


def _expect(got: dict[str, Any], expected: Any) -> None:
    if isinstance(expected, Err):
        assert "error" in got, got
        if expected.message is not None:
            assert got["error"] == expected.message
    else:
        assert "value" in got, got
        assert _typed(got["value"]) == _typed(expected)
        if isinstance(expected, float) and not math.isinf(expected):
            assert isinstance(got["value"], float) or expected.is_integer()


@pytest.fixture(scope="module")
def scalar_oracle() -> Iterator[BatchOracle]:
    oracle = batch_oracle_or_skip("manifest-scalar")
    yield oracle
    print(f"\n[manifest-scalar] {oracle.asked} cases compared with the oracle")
    oracle.close()


def _plain_theirs(oracle: BatchOracle, text: str) -> dict[str, Any]:
    return oracle.ask({"yaml": f"k: {text}"})


@pytest.mark.parametrize(("text", "expected"), PLAIN)
def test_plain_table(text: str, expected: Any) -> None:
    _expect(_ours(type_plain_scalar, text), expected)


@pytest.mark.parametrize(("tag", "text", "expected"), TAGGED)
def test_tagged_table(tag: str, text: str, expected: Any) -> None:
    _expect(_ours(type_tagged_scalar, tag, text), expected)


@pytest.mark.parametrize(("key", "expected"), KEYS)
def test_keys_table(key: str, expected: bool) -> None:
    quoted = key[:1] in "'\""
    tag, _, text = key.partition(" ") if key.startswith("!") else (None, "", key)
    assert is_string_key(text.strip("'\"") if quoted else text, tag, quoted) is expected


@pytest.mark.parametrize(("text", "expected"), RETYPE)
def test_retype_table(text: str, expected: Any) -> None:
    _expect(_ours(retype_after_substitution, text), expected)


def test_tables_are_flux(scalar_oracle: BatchOracle) -> None:
    for text, _ in PLAIN:
        assert _same(_ours(type_plain_scalar, text), _plain_theirs(scalar_oracle, text)), text
    for tag, text, _ in TAGGED:
        theirs = scalar_oracle.ask({"yaml": f"k: {tag} {text}"})
        assert _same(_ours(type_tagged_scalar, tag, text), theirs, messages=False), (tag, text, theirs)
    for key, expected in KEYS:
        theirs = scalar_oracle.ask({"yaml": f"k:\n  {key}: v"})
        assert ("error" not in theirs) is expected, (key, theirs)
        if not expected and key not in ("~", "null"):  # a null key fails earlier, in kyaml's own re-read
            assert theirs["error"] == NON_STRING_KEY_ERROR
    for text, _ in RETYPE:
        for quote in ("", '"'):
            theirs = scalar_oracle.ask({"yaml": f"k: {quote}${{X}}{quote}", "vars": {"X": text}})
            assert _same(_ours(retype_after_substitution, text), theirs, messages=False), (text, quote, theirs)


# ---- generated scalars ----------------------------------------------------------------------------------
WORDS = [w for w, _ in PLAIN] + ["Yes", "yES", "oN", "~~", ".", "-", "+", "+.", "-.", "e3", "0e", "0.e", "1e+", "_1"]
digits2 = st.integers(0, 99).map(str)
timestamps = st.builds(
    lambda y, mo, d, sep, h, mi, s, frac, zone: (
        f"{y}-{mo}-{d}{sep}{h}:{mi}:{s}{frac}{zone}" if sep else f"{y}-{mo}-{d}"
    ),
    st.sampled_from(["2001", "2000", "1900", "0000", "9999", "201"]),
    st.sampled_from(["1", "02", "12", "13", "0", "002"]),
    st.sampled_from(["1", "09", "28", "29", "30", "31", "32"]),
    st.sampled_from(["", "T", "t", " ", "  ", "x"]),
    digits2,
    digits2,
    st.sampled_from(["0", "59", "60", "5"]),
    st.sampled_from(["", ".1", ",25", ".1234567891", ".", ".x"]),
    st.sampled_from(["", "Z", "+05:00", "-23:59", "+24:00", "+00:60", "+5:00", "+0500", "z"]),
)
plain_scalars = st.one_of(
    st.sampled_from(WORDS),
    st.text(alphabet="0123456789+-._eExXoObB", min_size=1, max_size=10),
    st.text(alphabet="0123456789abcdefABCDEF_", min_size=1, max_size=24).map(lambda s: "0x" + s),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=False).map(repr),
    timestamps,
)


def _is_plain(text: str, tag: str = "") -> bool:
    """`k: <tag> <text>` is one mapping whose value is a plain scalar reading back as `text`."""
    try:
        events = list(yaml.parse(f"k: {tag} {text}" if tag else f"k: {text}", Loader=yaml.CSafeLoader))
    except yaml.YAMLError:
        return False
    scalars = [e for e in events if isinstance(e, yaml.ScalarEvent)]
    return len(events) == 8 and len(scalars) == 2 and scalars[1].style in (None, "") and scalars[1].value == text


def _is_plain_key(key: str) -> bool:
    try:
        events = list(yaml.parse(f"k:\n  {key}: v", Loader=yaml.CSafeLoader))
    except yaml.YAMLError:
        return False
    scalars = [e for e in events if isinstance(e, yaml.ScalarEvent)]
    return len(events) == 11 and len(scalars) == 3 and scalars[1].style in (None, "") and scalars[1].value == key


# COMPLIANCE_ORACLE_EXAMPLES raises the count for a longer hunt (the default keeps a run to seconds).
SETTINGS = settings(
    max_examples=int(os.environ.get("COMPLIANCE_ORACLE_EXAMPLES", "500")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(text=plain_scalars)
def test_generated_plain_scalars_match_kyaml(scalar_oracle: BatchOracle, text: str) -> None:
    assume(_is_plain(text))
    assert _same(_ours(type_plain_scalar, text), _plain_theirs(scalar_oracle, text))


TAGS = ["!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp", "!!binary", "!foo", "!"]
binary_texts = st.one_of(
    st.binary(max_size=12).map(lambda b: base64.b64encode(b).decode()), st.text("aGk=/+", max_size=8)
)


@SETTINGS
@given(tag=st.sampled_from(TAGS), text=st.one_of(plain_scalars, binary_texts))
def test_generated_tagged_scalars_match_kyaml(scalar_oracle: BatchOracle, tag: str, text: str) -> None:
    assume(_is_plain(text, tag) and text)
    theirs = scalar_oracle.ask({"yaml": f"k: {tag} {text}"})
    ours = _ours(type_tagged_scalar, tag, text)
    assert _same(ours, theirs, messages=False)
    if "error" in ours:  # v3's message, inside its "yaml: unmarshal errors: line N: …" wrapper
        assert ours["error"] in theirs["error"]


@SETTINGS
@given(key=plain_scalars)
def test_generated_keys_match_kyaml(scalar_oracle: BatchOracle, key: str) -> None:
    assume(_is_plain_key(key) and key != "<<")  # `<<` is a merge (it needs a mapping value), not a key
    theirs = scalar_oracle.ask({"yaml": f"k:\n  {key}: v"})
    assert is_string_key(key) is ("error" not in theirs)


TAG_PREFIXES = ["", "!foo ", "!!str ", "!!int ", "!!float ", "!!bool ", "!!binary ", "![ ", "!a,b ", "!<x> ", "! "]
substituted = st.one_of(
    plain_scalars,
    st.text(alphabet="ab 01:#-[]{},'\"!&*|>?%@`~.yesnoYN", max_size=8),
    st.tuples(st.sampled_from(TAG_PREFIXES), st.one_of(plain_scalars, binary_texts)).map("".join),
)


@SETTINGS
@given(text=substituted, quote=st.sampled_from(["", '"', "'"]))
def test_generated_substitutions_match_flux(scalar_oracle: BatchOracle, text: str, quote: str) -> None:
    """`k: ${X}` (quoted or not: re-emission drops the quotes) with X=text, after Flux's substitution."""
    theirs = scalar_oracle.ask({"yaml": f"k: {quote}${{X}}{quote}", "vars": {"X": text}})
    assert _same(_ours(retype_after_substitution, text), theirs, messages=False), theirs
