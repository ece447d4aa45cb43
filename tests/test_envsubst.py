"""compliance.effective.envsubst against Flux's envsubst (fluxcd/pkg/envsubst v1.8.0).

Hand-written cases for every operator (each also asked of the oracle, so the table itself is proven), then
hypothesis-generated texts compared with `oracle envsubst`, one oracle process per test.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.effective.envsubst import UNKNOWN, EnvsubstError, Unresolved, parse, substitute, validate_names
from tests.oracle import BatchOracle, batch_oracle_or_skip

V = {"a": "hello.world.txt", "e": "", "n": "2", "m": "-3", "u": "héllo wörld", "p": "a/b/c", "s": "x"}

# (text, vars, strict, expected output or ("error", message))
TABLE: list[tuple[str, dict[str, str], bool, Any]] = [
    ("plain $a text", V, False, "plain $a text"),
    ("${a}", V, False, "hello.world.txt"),
    ("$$ $${a} $$$${a} a$$b", V, False, "$ ${a} $${a} a$b"),
    ("${a:-d} ${e:-d} ${zz:-d}", V, False, "hello.world.txt d d"),
    ("${e:=d} ${e=d} ${zz=d} ${a=d}", V, False, "d d d hello.world.txt"),
    ("${e:+x} ${a:+x} ${e:?x} ${a:?x}", V, False, "x hello.world.txt x hello.world.txt"),
    ("${e:-}|${e:=}|${zz:-}", V, False, "||"),
    ("${a-d}", V, False, ("error", "missing closing brace")),
    ("${a+x}", V, False, ("error", "missing closing brace")),
    ("${a?x}", V, False, ("error", "missing closing brace")),
    ("${a", V, False, ("error", "missing closing brace")),
    ("${my-var}", V, False, ("error", "missing closing brace")),
    ("${my.var}", V, False, ("error", "missing closing brace")),
    ("${}", V, False, ("error", "unable to parse variable name")),
    ("${-a}", V, False, ("error", "unable to parse variable name")),
    ("${a:-x", V, False, ("error", "unable to parse substitution within function")),
    ("${e:-${e:-${s}}-y}", V, False, "x-y"),
    ("${zz:=${e}-x}", V, False, "-x"),
    ("${#a} ${#e} ${#u} ${#zz}", V, False, "15 0 13 0"),
    ("${a^} ${a^^} ${u^^} ${u^}", V, False, "Hello.world.txt HELLO.WORLD.TXT HÉLLO WÖRLD Héllo wörld"),
    ("${a,} ${a,,}", {"a": "ÉCOLE Ok"}, False, "éCOLE Ok école ok"),
    ("${a:2} ${a:2:3} ${a:0:1} ${a: -3} ${a:-3}", V, False, "llo.world.txt llo h hello.world.txt hello.world.txt"),
    (
        "${a:${m}} ${a:1:-1} ${a:${n}:${n}} ${a:20} ${a:3:100} ${a:-20:2}",
        V,
        False,
        "txt ello.world.tx ll  lo.world.txt hello.world.txt",
    ),  # `:-20` is a default
    ("${a:x} ${a:1:y} ${a:+1}", V, False, "hello.world.txt hello.world.txt hello.world.txt"),
    ("${a:10:-10}", V, False, ""),
    ("${u:1:1}", V, False, "\udcc3"),  # a byte of "é": Go strings are bytes
    ("${a#*.} ${a##*.} ${a%.*} ${a%%.*}", V, False, "world.txt txt hello.world hello"),
    # `[!h]` is the class {!, h}: the fork's path.Match negates with `^` only
    (
        "${a#h?l} ${a#[a-h]} ${a#[!h]} ${a#[^h]} ${a#nope} ${a##*} ${a%%*}",
        V,
        False,
        "lo.world.txt ello.world.txt ello.world.txt hello.world.txt hello.world.txt  ",
    ),
    ("${p#*/} ${p##*/} ${p%/*} ${p%%/*}", V, False, "b/c c a/b a"),
    ("${a#[}", V, False, "hello.world.txt"),  # a bad pattern leaves the value as it is
    ("${a/l/L} ${a//l/L} ${a/l/} ${a//l/}", V, False, "heLlo.world.txt heLLo.worLd.txt helo.world.txt heo.word.txt"),
    ("${a/l}", V, False, ("error", "bad substitution")),  # the second `/` is required
    (
        "${a/#he/HE} ${a/#xx/HE} ${a/%txt/md} ${a/%xx/md} ${a/#he/}",
        V,
        False,
        "HEllo.world.txt hello.world.txt hello.world.md hello.world.txt hello.world.txt",
    ),  # `/#p/`: 1 arg, no-op
    ("${p//\\//:} ${p/a\\/b/X}", V, False, "a:b:c X/c"),
    ("${a/${e}/X}", V, False, "Xhello.world.txt"),
    ("${a/x}", V, False, ("error", "bad substitution")),
    ("${a#}", V, False, ("error", "unable to parse substitution within function")),
    ("${a^x}", V, False, ("error", "bad substitution")),
    ("${a^,}", V, False, "hello.world.txt"),
    ("${zz} ${zz^^} ${zz:1}", V, False, "  "),
    ("${zz}", V, True, ("error", 'variable not set (strict mode): "zz"')),
    ("${#zz}", V, True, ("error", 'variable not set (strict mode): "zz"')),
    ("${zz/a/b}", V, True, ("error", 'variable not set (strict mode): "zz"')),
    ("${zz:-d} ${zz:=d} ${zz=d} ${zz:+d} ${zz:?d}", V, True, "d d d d d"),
    ("${a:-${zz}}", V, True, ("error", 'variable not set (strict mode): "zz"')),  # args are evaluated first
    ("${a} ${e}", V, True, "hello.world.txt "),
    ("a\x00${a}", V, False, "a"),  # NUL is the scanner's end of text
    ("${a:0:9223372036854775807}", V, False, "hello.world.txt"),
    (
        "${a:1:9223372036854775807}",
        V,
        False,
        ("error", "panic: runtime error: slice bounds out of range [:-9223372036854775808]"),
    ),
    (
        "${my-var:=x}",
        {"my-var": "1"},
        False,
        ("error", f"'my-var' var name is invalid, must match '{'^[_[:alpha:]][_[:alpha:][:digit:]]*$'}'"),
    ),
]


def _case(text: str, variables: dict[str, str], strict: bool) -> dict[str, Any]:
    return {"text": text, "vars": variables, "strict": strict}


def _ours(case: dict[str, Any]) -> dict[str, Any]:
    error = validate_names(case["vars"])
    if error:
        return {"error": error}
    try:
        out = substitute(case["text"], case["vars"], strict=case["strict"])
    except EnvsubstError as exc:
        return {"error": str(exc)}
    return {"bytes": out.encode("utf-8", "surrogateescape")}


def _theirs(answer: dict[str, Any]) -> dict[str, Any]:
    if "error" in answer:
        return {"error": answer["error"]}
    return {"bytes": base64.b64decode(answer.get("bytes", ""))}


@pytest.fixture(scope="module")
def envsubst_oracle() -> Iterator[BatchOracle]:
    oracle = batch_oracle_or_skip("envsubst")
    yield oracle
    print(f"\n[envsubst] {oracle.asked} cases compared with the oracle")
    oracle.close()


@pytest.mark.parametrize(("text", "variables", "strict", "expected"), TABLE)
def test_table(text: str, variables: dict[str, str], strict: bool, expected: Any) -> None:
    got = _ours(_case(text, variables, strict))
    if isinstance(expected, tuple):
        assert got == {"error": expected[1]}
    else:
        assert got == {"bytes": expected.encode("utf-8", "surrogateescape")}


def test_table_is_flux(envsubst_oracle: BatchOracle) -> None:
    for text, variables, strict, _ in TABLE:
        case = _case(text, variables, strict)
        assert _ours(case) == _theirs(envsubst_oracle.ask(case)), case


def test_error_offsets() -> None:
    with pytest.raises(EnvsubstError) as info:
        parse("ok ${a-d}")
    assert info.value.offset == 7 and str(info.value) == "missing closing brace"


def test_validate_names() -> None:
    assert validate_names(["a", "_b", "C9"]) is None
    assert validate_names(["ok", "9x"]) == "'9x' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'"
    assert validate_names(["é"]) is not None  # POSIX [:alpha:] is ASCII


def test_unknown_variables() -> None:
    variables = {"U": UNKNOWN, "K": "k", "E": ""}
    out = substitute("app-${U}.${K}", variables)
    assert isinstance(out, Unresolved) and out == "app-${U}.k" and out.variables == ("U",)
    assert substitute("${U:-web}", variables) == "web"  # a default makes it known: the unset reading
    assert substitute("${K:-${U}}", variables) == "k"
    nested = substitute("${E:-x${U}}", variables)
    assert isinstance(nested, Unresolved) and nested == "x${U}"
    for text in ("${U^^}", "${#U}", "${K/k/${U}}", "${U:1}"):
        got = substitute(text, variables)
        assert isinstance(got, Unresolved) and got == text, text
    assert isinstance(substitute("${U}", variables, strict=True), Unresolved)  # may still be supplied
    assert not isinstance(substitute("${K}", variables), Unresolved)


# ---- generated texts ------------------------------------------------------------------------------------
NAMES = ["a", "b", "E", "_x", "n", "u", "a1", "é", "Z"]
PIECES = list("ab.-_/*?[]^!:#%,{}$\\ xé世0129+=") + ["$$", "${", "}", "😀"]
VALUE_CHARS = "abcAB.-_/ *?0123456789éÉß世😀:"

names = st.sampled_from(NAMES)
literal = st.lists(st.sampled_from(PIECES), max_size=4).map("".join)
numbers = st.sampled_from(
    [
        "0",
        "1",
        "2",
        "-1",
        "-3",
        "10",
        " -1",
        "x",
        "",
        "+2",
        "99999999999999999999",
        "9223372036854775807",
        "-9223372036854775808",
    ]
)
patterns = st.lists(st.sampled_from(list("ab.*?[]^!-/\\é") + ["\\/", "[a-c]", "[!a]"]), max_size=4).map("".join)


def _expr(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        names.map(lambda n: f"${{{n}}}"),
        names.map(lambda n: f"${{#{n}}}"),
        st.tuples(names, st.sampled_from(["^", "^^", ",", ",,", "^,"])).map(lambda t: f"${{{t[0]}{t[1]}}}"),
        st.tuples(names, numbers).map(lambda t: f"${{{t[0]}:{t[1]}}}"),
        st.tuples(names, numbers, numbers).map(lambda t: f"${{{t[0]}:{t[1]}:{t[2]}}}"),
        st.tuples(names, st.sampled_from(["#", "##", "%", "%%"]), patterns).map(lambda t: "${" + "".join(t) + "}"),
        st.tuples(names, st.sampled_from(["/", "//", "/#", "/%"]), patterns, st.sampled_from(["/", ""]), inner).map(
            lambda t: "${" + "".join(t) + "}"
        ),
        st.tuples(names, st.sampled_from([":-", ":=", "=", ":+", ":?", "-", "+", "?"]), inner).map(
            lambda t: "${" + "".join(t) + "}"
        ),
        st.tuples(names, numbers).map(lambda t: f"${{{t[0]}:${{{t[1] or 'n'}}}}}"),
    )


texts = st.recursive(
    literal, lambda inner: st.lists(st.one_of(literal, _expr(inner)), max_size=4).map("".join), max_leaves=6
)
values = st.text(alphabet=VALUE_CHARS, max_size=8)
VALID_NAMES = [n for n in NAMES if n.isascii()]
# Mostly valid names; now and then one Flux refuses (then the whole substitution fails).
variables = st.tuples(
    st.dictionaries(st.sampled_from(VALID_NAMES), values, max_size=5),
    st.sampled_from([None] * 8 + ["my-var", "é"]),
    values,
).map(lambda t: t[0] if t[1] is None else {**t[0], t[1]: t[2]})
# COMPLIANCE_ORACLE_EXAMPLES raises the count for a longer hunt (the default keeps a run to seconds).
SETTINGS = settings(
    max_examples=int(os.environ.get("COMPLIANCE_ORACLE_EXAMPLES", "600")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(text=texts, variables=variables, strict=st.booleans())
def test_generated_texts_match_flux(
    envsubst_oracle: BatchOracle, text: str, variables: dict[str, str], strict: bool
) -> None:
    case = _case(text, variables, strict)
    assert _ours(case) == _theirs(envsubst_oracle.ask(case))


@SETTINGS
@given(text=texts, variables=variables, unknown=st.sets(st.sampled_from(NAMES), max_size=3))
def test_known_results_with_unknowns_match_flux_unset(
    envsubst_oracle: BatchOracle, text: str, variables: dict[str, str], unknown: set[str]
) -> None:
    """Where unknown variables still give a known result, it is Flux's (non-strict) result with them unset.
    (Strict mode differs on purpose: an unknown variable may be supplied, so it is no error for us.)"""
    strict = False
    if validate_names(variables):
        return
    given_vars: dict[str, Any] = {k: v for k, v in variables.items() if k not in unknown}
    with_unknown = {**given_vars, **dict.fromkeys(unknown, UNKNOWN)}
    try:
        ours = substitute(text, with_unknown, strict=strict)
    except EnvsubstError as exc:
        assert _theirs(envsubst_oracle.ask(_case(text, given_vars, strict))) == {"error": str(exc)}
        return
    if isinstance(ours, Unresolved):
        assert set(ours.variables) <= unknown
        return
    answer = _theirs(envsubst_oracle.ask(_case(text, given_vars, strict)))
    assert answer == {"bytes": ours.encode("utf-8", "surrogateescape")}
