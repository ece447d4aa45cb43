"""compliance.yaml: values exactly as Helm (go-yaml v2 + JSON round trip) sees them, with positions.

Expected values come from the measured table in helm-flux-yaml-semantics.md (section 4 and its Appendix).
"""

from __future__ import annotations

import json
import math
import os
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.yaml import Limits as LoaderLimits
from compliance.yaml import LoadedFile, LoadProblem, Mark, load_yaml
from tests.helpers import all_paths


def value_of(scalar: str) -> Any:
    """Load `v: <scalar>` and return the value Helm sees for `v`."""
    loaded = load_yaml(f"v: {scalar}\n")
    assert len(loaded.documents) == 1
    return loaded.documents[0].value["v"]


def codes(loaded: LoadedFile) -> list[str]:
    return [p.code for p in loaded.problems]


def only(loaded: LoadedFile, code: str) -> LoadProblem:
    found = [p for p in loaded.problems if p.code == code]
    assert len(found) == 1, loaded.problems
    return found[0]


def with_peak_memory(function: Callable[..., LoadedFile], *args: Any) -> tuple[LoadedFile, int]:
    """What ``function(*args)`` returns, and the peak of Python memory it allocated meanwhile."""
    tracemalloc.start()
    try:
        return function(*args), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- plain scalars: the Appendix, row by row ---------------------------------------------------

APPENDIX = [
    # (plain scalar, Helm's value, Python type)
    *[(w, True, bool) for w in ("yes", "Yes", "YES", "on", "On", "ON", "y", "Y", "true", "True", "TRUE")],
    *[(w, False, bool) for w in ("no", "No", "NO", "off", "Off", "OFF", "n", "N", "false", "False", "FALSE")],
    *[(w, w, str) for w in ("yEs", "nO", "oN", "tRue", "tRUE")],
    *[(w, None, type(None)) for w in ("~", "null", "Null", "NULL", "")],
    ("0o17", 15, int),
    ("017", 15, int),
    ("0777", 511, int),
    ("0x1F", 31, int),
    ("0b101", 5, int),
    ("1_000", 1000, int),
    ("1e3", 1000, int),
    ("1.0e+3", 1000, int),
    ("0.5e3", 500, int),
    ("1.5e3", 1500, int),
    ("08", 8, int),
    ("+12", 12, int),
    ("-0", 0, int),
    ("0.5", 0.5, float),
    (".5", 0.5, float),
    ("-1.25", -1.25, float),
    ("2001-12-14", "2001-12-14", str),
    ("2001-12-14T21:59:43.10-05:00", "2001-12-14T21:59:43.10-05:00", str),
    ("1:30", "1:30", str),
    ("=", "=", str),
    ("1.2.3", "1.2.3", str),
    ("10m", "10m", str),
    ("0x", "0x", str),
    ("0b102", "0b102", str),
    ("1e400", "1e400", str),  # Go's ParseFloat overflows: the text stays a string
]


@pytest.mark.parametrize(("scalar", "expected", "kind"), APPENDIX)
def test_plain_scalar_resolves_as_helm_does(scalar: str, expected: Any, kind: type) -> None:
    value = value_of(scalar)
    assert value == expected
    assert type(value) is kind


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [('"yes"', "yes"), ("'NO'", "NO"), ('"1e3"', "1e3"), ("'017'", "017"), ('"~"', "~"), ("|\n  yes\n", "yes\n")],
)
def test_quoted_and_block_scalars_are_strings(scalar: str, expected: str) -> None:
    assert value_of(scalar) == expected


@pytest.mark.parametrize("scalar", [".inf", ".Inf", "+.INF", "-.inf", ".nan", ".NaN"])
def test_inf_and_nan_are_floats_that_helm_refuses(scalar: str) -> None:
    loaded = load_yaml(f"a: 1\nv: {scalar}\nb: 2\n")
    value = loaded.documents[0].value
    assert isinstance(value["v"], float) and (math.isinf(value["v"]) or math.isnan(value["v"]))
    assert value["b"] == 2  # loading went on
    problem = only(loaded, "YML000")
    assert (problem.line, problem.column, problem.path) == (2, 4, ("v",))
    assert "refuses" in problem.message and "Inf" in problem.message


def test_numbers_become_float64_beyond_2_to_the_53() -> None:
    assert value_of(str(2**53)) == 2**53 and type(value_of(str(2**53))) is int
    big = value_of(str(2**53 + 1))
    assert type(big) is float and big == float(2**53)  # float64 cannot hold 2^53+1
    assert value_of("18446744073709551615") == float(2**64)  # ParseUint range
    assert value_of("-9223372036854775808") == float(-(2**63))
    assert value_of("99999999999999999999") == 1e20  # beyond uint64: the float regex takes it
    assert value_of("0xFFFFFFFFFFFFFFFFFF") == "0xFFFFFFFFFFFFFFFFFF"  # hex beyond 64 bits: a string
    assert value_of("1e16") == 1e16 and type(value_of("1e16")) is float


# --- explicit tags ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        ('!!int "12"', 12),
        ("!!int 0x1F", 31),
        ("!!float 1", 1),
        ('!!float "1.5"', 1.5),
        ("!!bool yes", True),
        ('!!bool "off"', False),
        ("!!str 123", "123"),
        ("!!str yes", "yes"),
        ('!!null ""', None),
        ("!!timestamp 2001-12-14", "2001-12-14"),
        ("! 12", "12"),
        ("!<tag:yaml.org,2002:str> 5", "5"),
    ],
)
def test_standard_tags_are_honoured(scalar: str, expected: Any) -> None:
    loaded = load_yaml(f"v: {scalar}\n")
    assert loaded.documents[0].value["v"] == expected
    assert type(loaded.documents[0].value["v"]) is type(expected)
    assert loaded.problems == ()  # an explicit !!bool is not a YML001


def test_tag_that_does_not_fit_is_a_helm_error() -> None:
    loaded = load_yaml("v: !!int abc\n")
    assert loaded.documents[0].value == {"v": "abc"}
    problem = only(loaded, "YML000")
    assert (problem.line, problem.column) == (1, 4)
    assert "!!int" in problem.message


@pytest.mark.parametrize(
    ("text", "tag", "expected"),
    [
        ("v: !foo 123\n", "!foo", "123"),
        ("v: !!binary aGVsbG8=\n", "!!binary", "aGVsbG8="),
        ("v: !!python/str x\n", "!!python/str", "x"),
        ("v: !!set {a, b}\n", "!!set", {"a": None, "b": None}),
        ("v: !local [1, 2]\n", "!local", [1, 2]),
    ],
)
def test_unknown_tags_are_ignored_and_reported(text: str, tag: str, expected: Any) -> None:
    loaded = load_yaml(text)
    assert loaded.documents[0].value == {"v": expected}
    problem = only(loaded, "YML004")
    assert problem.message == f"unknown tag {tag} ignored; value treated as plain"
    assert (problem.line, problem.column, problem.path) == (1, 4, ("v",))


def test_python_tags_are_never_constructed(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "pwned"
    payload = f'v: !!python/object/apply:os.system ["touch {marker}"]\n'
    calls: list[str] = []
    monkeypatch.setattr(os, "system", lambda command: calls.append(command) or 0)
    # The payload is live: an unsafe loader calls os.system with it.
    yaml.unsafe_load(payload)
    assert calls == [f"touch {marker}"]
    calls.clear()

    loaded = load_yaml(payload)
    assert calls == []
    assert not marker.exists()
    assert loaded.documents[0].value == {"v": [f"touch {marker}"]}
    assert only(loaded, "YML004").message.startswith("unknown tag !!python/object/apply:os.system")
    loaded = load_yaml(f"v: !!python/object/new:os.system [touch {marker}]\n")
    assert calls == [] and not marker.exists()


# --- keys -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("yes", "true"),
        ("on", "true"),
        ("y", "true"),
        ("NO", "false"),
        ("True", "true"),
        ("1e3", "1000"),
        ("1e6", "1e+06"),  # a float key: Go's %g (32-bit)
        ("1000000", "1000000"),  # an int key: decimal
        ("1.5", "1.5"),
        ("0.1", "0.1"),
        ("0.00001", "1e-05"),
        ("123456789.0", "1.2345679e+08"),
        ("017", "15"),
        ("0x1F", "31"),
        ("1_000", "1000"),
        (".inf", ".inf"),
        ("-.inf", "-.inf"),
        ("2001-12-14", "2001-12-14"),
        ('"yes"', "yes"),
        ("yEs", "yEs"),
    ],
)
def test_keys_resolve_then_stringify(key: str, expected: str) -> None:
    loaded = load_yaml(f"{key}: v\n")
    assert loaded.documents[0].value == {expected: "v"}
    assert list(loaded.documents[0].positions) == [(), (expected,)]


def test_null_key_is_stringified_and_flagged() -> None:
    loaded = load_yaml("~: a\nb: 1\n")
    assert loaded.documents[0].value == {"null": "a", "b": 1}
    assert "null map key" in only(loaded, "YML000").message


def test_keys_colliding_after_resolution_keep_the_last_value() -> None:
    loaded = load_yaml("yes: 1\nother: x\non: 2\n")
    assert loaded.documents[0].value == {"true": 2, "other": "x"}
    problem = only(loaded, "YML002")
    assert (problem.line, problem.column, problem.path) == (3, 1, ("true",))
    assert "'true'" in problem.message and "line 1" in problem.message
    assert problem.detail["first_line"] == 1
    assert loaded.documents[0].positions[("true",)] == Mark(3, 5)  # the surviving value
    # both keys are YAML 1.1 booleans, each reported where it stands
    assert [(p.line, p.detail["text"]) for p in loaded.problems if p.code == "YML001"] == [(1, "yes"), (3, "on")]


def test_exact_duplicate_key_reports_the_later_one_and_drops_stale_positions() -> None:
    loaded = load_yaml("a:\n  x: 1\n  y: 2\nb: 0\na:\n  x: 3\n")
    doc = loaded.documents[0]
    assert doc.value == {"a": {"x": 3}, "b": 0}
    problem = only(loaded, "YML002")
    assert (problem.line, problem.path) == (5, ("a",))
    assert set(doc.positions) == all_paths(doc.value)  # ("a", "y") is gone
    assert doc.positions[("a", "x")] == Mark(6, 6)


# --- YML001 ---------------------------------------------------------------------------------------


def test_yaml11_boolean_in_a_region_list() -> None:
    text = "geo:\n  sanctionedRegions:\n    block: [IR, NO]\n"
    loaded = load_yaml(text)
    assert loaded.documents[0].value == {"geo": {"sanctionedRegions": {"block": ["IR", False]}}}
    problem = only(loaded, "YML001")
    assert problem.path == ("geo", "sanctionedRegions", "block", 1)
    assert (problem.line, problem.column) == (3, 17)
    assert problem.detail == {"text": "NO", "value": False}
    assert problem.message == (
        "plain scalar 'NO' is read by Helm as boolean false (YAML 1.1); quote it if a string was meant"
    )


def test_yml001_only_for_the_yaml11_words() -> None:
    loaded = load_yaml('a: true\nb: "no"\nc: !!bool yes\nd: off\nY: 1\n')
    assert [(p.path, p.detail["text"]) for p in loaded.problems if p.code == "YML001"] == [
        (("d",), "off"),
        (("true",), "Y"),
    ]


# --- positions --------------------------------------------------------------------------------------

POSITIONS_DOC = """\
geo:
  sanctionedRegions:
    block: [IR, NO]
    allow:
      - DE
      - name: FR
        tier: 1
replicas: 3
"""


def test_positions_for_every_node() -> None:
    doc = load_yaml(POSITIONS_DOC).documents[0]
    expected = {
        (): (1, 1),
        ("geo",): (1, 1),  # a collection value: the key's position
        ("geo", "sanctionedRegions"): (2, 3),
        ("geo", "sanctionedRegions", "block"): (3, 5),
        ("geo", "sanctionedRegions", "block", 0): (3, 13),
        ("geo", "sanctionedRegions", "block", 1): (3, 17),
        ("geo", "sanctionedRegions", "allow"): (4, 5),
        ("geo", "sanctionedRegions", "allow", 0): (5, 9),
        ("geo", "sanctionedRegions", "allow", 1): (6, 9),  # sequence item: the item node's start
        ("geo", "sanctionedRegions", "allow", 1, "name"): (6, 15),
        ("geo", "sanctionedRegions", "allow", 1, "tier"): (7, 15),
        ("replicas",): (8, 11),  # a scalar value: the scalar's own start
    }
    assert {path: (m.line, m.column) for path, m in doc.positions.items()} == expected
    assert set(doc.positions) == all_paths(doc.value)
    assert doc.positions.get(("nope",)) is None
    assert list(doc.value) == ["geo", "replicas"]  # document order


def test_positions_count_characters_not_bytes() -> None:
    doc = load_yaml("ключ: значение\nb: 1\n".encode()).documents[0]
    assert doc.positions[("ключ",)] == Mark(1, 7)


# --- anchors, aliases, merge keys -----------------------------------------------------------------

ANCHOR_DOC = """\
base: &base
  image: nginx
  ports: [80, 443]
copy: *base
list:
  - *base
"""


def test_aliases_expand_to_independent_copies_positioned_at_the_anchor() -> None:
    doc = load_yaml(ANCHOR_DOC).documents[0]
    base = {"image": "nginx", "ports": [80, 443]}
    assert doc.value == {"base": base, "copy": base, "list": [base]}
    assert doc.value["copy"] is not doc.value["base"]
    assert doc.value["copy"]["ports"] is not doc.value["base"]["ports"]
    assert doc.positions[("copy",)] == Mark(4, 1)  # where the alias is used (key line)
    assert doc.positions[("list", 0)] == Mark(6, 5)  # the alias item
    assert doc.positions[("copy", "image")] == Mark(2, 10)  # inside: the anchor's nodes
    assert doc.positions[("list", 0, "ports", 1)] == Mark(3, 15)
    assert set(doc.positions) == all_paths(doc.value)


MERGE_DOC = """\
defaults: &defaults
  replicas: 1
  image: nginx
  env: dev
extra: &extra
  env: staging
  debug: true
svc:
  <<: *defaults
  env: prod
multi:
  <<: [*extra, *defaults]
late:
  replicas: 5
  <<: *defaults
"""


def test_merge_keys_as_go_yaml_v2() -> None:
    loaded = load_yaml(MERGE_DOC)
    doc = loaded.documents[0]
    assert doc.value["svc"] == {"replicas": 1, "image": "nginx", "env": "prod"}  # explicit key after <<
    assert doc.value["multi"] == {"env": "staging", "debug": True, "replicas": 1, "image": "nginx"}  # earlier wins
    # go-yaml v2 applies `<<` where it stands: a merge after an explicit key overwrites it.
    assert doc.value["late"] == {"replicas": 1, "image": "nginx", "env": "dev"}
    assert codes(loaded) == []  # merges are not duplicate keys
    assert doc.positions[("svc", "image")] == Mark(3, 10)  # merged in: the anchor's definition
    assert doc.positions[("svc", "env")] == Mark(10, 8)  # explicit: its own line
    assert doc.positions[("multi", "env")] == Mark(6, 8)  # from *extra, the earlier source
    assert doc.positions[("late", "replicas")] == Mark(2, 13)
    assert set(doc.positions) == all_paths(doc.value)


def test_inline_merge_and_merge_errors() -> None:
    loaded = load_yaml("a:\n  <<: {p: 1, q: 2}\n  q: 3\nb:\n  <<: 5\n  z: 1\n")
    assert loaded.documents[0].value == {"a": {"p": 1, "q": 3}, "b": {"z": 1}}
    problem = only(loaded, "YML000")
    assert (problem.line, problem.column) == (5, 7)
    assert "map merge requires" in problem.message


def test_undefined_and_recursive_aliases_are_errors_not_crashes() -> None:
    loaded = load_yaml("a: *nope\nb: &b [1, *b]\nc: 2\n")
    assert loaded.documents[0].value == {"a": None, "b": [1, None], "c": 2}
    assert [(p.code, p.line, p.column) for p in loaded.problems] == [("YML000", 1, 4), ("YML000", 2, 11)]


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9)]
    text = "\n".join(lines) + "\n---\nnext: ok\n"
    loaded, peak = with_peak_memory(load_yaml, text)
    assert peak < 16 * 2**20  # refused from a count: expanding up to the limit first takes ~150 MB
    assert loaded.documents[0].value is None
    assert loaded.documents[1].value == {"next": "ok"}  # the next document still loads
    problem = only(loaded, "YML003")
    # Keys and values count: l0..l4 bring 123 460 nodes, `l5: [` two more, and each *l4 adds
    # 111 111, so the 8th *l4 on line 6 (column 10 + 7 * 5) is the one that crosses 1 000 000.
    assert (problem.line, problem.column, problem.document) == (6, 45, 0)
    assert problem.detail["alias"] == "l4"
    assert "1000000 nodes" in problem.message


def test_node_limit_counts_expanded_aliases() -> None:
    text = "a: &a [1, 2, 3]\nb: [*a, *a]\n"
    assert codes(load_yaml(text, LoaderLimits(max_nodes=20))) == []
    loaded = load_yaml(text, LoaderLimits(max_nodes=12))
    assert loaded.documents[0].value is None
    problem = only(loaded, "YML003")
    assert (problem.line, problem.column) == (2, 9)  # the second *a
    loaded = load_yaml("[" + "1, " * 100 + "1]", LoaderLimits(max_nodes=50))
    assert codes(loaded) == ["YML003"] and loaded.documents[0].value is None


def test_node_limit_holds_for_the_whole_file_not_each_document() -> None:
    """Many small alias bombs, each far below the limit, must not add up to an unbounded one."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 4)]  # 11 1xx nodes each
    stream = "---\n".join(["\n".join(lines) + "\n"] * 2_000)  # 2 000 documents: 22 million nodes
    loaded, peak = with_peak_memory(load_yaml, stream, LoaderLimits(max_nodes=100_000))
    assert peak < 64 * 2**20
    # 8 x 11 1xx nodes load; the next documents each stop at the alias that would cross the limit,
    # until what they built on the way uses it up: the rest of the file is not read.
    assert [d.value is None for d in loaded.documents] == [False] * 8 + [True] * 3
    assert [(p.code, p.document, p.line) for p in loaded.problems] == [
        ("YML003", 8, 43),
        ("YML003", 9, 47),
        ("YML003", 10, 51),
    ]
    assert loaded.problems[0].message == "alias *l1 takes the file beyond 100000 nodes; document not loaded"
    assert loaded.problems[-1].message == (
        "the file has more than 100000 nodes; document not loaded; the rest of the file was not read"
    )


def test_collections_count_as_nodes() -> None:
    loaded = load_yaml("[" + "[], " * 60 + "[]]", LoaderLimits(max_nodes=50))
    assert [(p.code, p.message) for p in loaded.problems] == [
        ("YML003", "the file has more than 50 nodes; document not loaded; the rest of the file was not read")
    ]


def test_positions_of_deep_and_wide_documents_are_bounded() -> None:
    """Every node's position is keyed by its full path: nodes x depth is what they cost, and is bounded."""
    text = "[" * 400 + "1, " * 100_000 + "1" + "]" * 400  # 40 million path steps
    loaded, peak = with_peak_memory(load_yaml, text)
    assert peak < 160 * 2**20  # all positions kept would be ~350 MB
    assert [d.value for d in loaded.documents] == [None]
    problem = only(loaded, "YML003")
    assert problem.message.startswith("node positions would take more than 10000000 path steps")
    assert codes(load_yaml(text, LoaderLimits(max_path_steps=50_000_000))) == []
    # aliases are counted before they are copied
    anchored = "a: &a " + "[" * 300 + "1, " * 100 + "1" + "]" * 300 + "\nb: [" + ", ".join(["*a"] * 200) + "]\n"
    problem = only(load_yaml(anchored, LoaderLimits(max_path_steps=1_000_000)), "YML003")
    assert problem.message.startswith("node positions would take more than 1000000 path steps")


# --- limits -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["[" * 100_000 + "]" * 100_000, "{a: " * 100_000 + "}" * 100_000, "- " * 100_000 + "x\n"],
    ids=["flow-seq", "flow-map", "block-seq"],
)
def test_100000_levels_of_nesting_is_a_limit_problem_not_a_crash(text: str) -> None:
    loaded = load_yaml(text + "\n---\nafter: 1\n")
    assert [d.value for d in loaded.documents] == [None, {"after": 1}]
    problem = only(loaded, "YML003")
    assert problem.message == "nesting deeper than 500 levels; document not loaded"
    assert (problem.line, problem.document) == (1, 0)
    # lines still count from the file's start
    assert loaded.documents[1].positions[("after",)] == Mark(text.count("\n") + 3, 8)


def test_deep_block_mapping_is_a_limit_problem_and_later_documents_load() -> None:
    deep = "".join(" " * i + f"k{i}:\n" for i in range(1200))
    loaded = load_yaml(deep + "---\nafter: yes\n")
    assert [d.value for d in loaded.documents] == [None, {"after": True}]
    problem = only(loaded, "YML003")
    assert (problem.line, problem.column, problem.document) == (501, 501, 0)
    assert (only(loaded, "YML001").line, only(loaded, "YML001").document) == (1202, 1)


@pytest.mark.parametrize("depth", [999, 1000, 1001, 1200])
def test_limit_decides_below_libyaml_own_nesting_limit(depth: int) -> None:
    """libyaml >= 0.2.6 refuses ~1000 levels itself (its scanner reads ahead); ours always decides first."""
    for text in ("[" * depth + "]" * depth, "- " * depth + "x\n", "a: " + "{b: " * depth + "}" * depth):
        for limit in (500, min(depth - 1, 998)):
            loaded = load_yaml(text + "\n---\nnext: 1\n", LoaderLimits(max_depth=limit))
            assert [d.value for d in loaded.documents] == [None, {"next": 1}]
            problem = only(loaded, "YML003")
            assert problem.message == f"nesting deeper than {limit} levels; document not loaded"


def test_raised_depth_limit_meets_libyaml_own_limit_gracefully() -> None:
    text = "[" * 1500 + "]" * 1500 + "\n---\nnext: 1\n"
    loaded = load_yaml(text, LoaderLimits(max_depth=2000))
    assert loaded.documents[-1].value == {"next": 1}
    if tuple(int(p) for p in yaml._yaml.get_version_string().split(".")) >= (0, 2, 6):
        problem = only(loaded, "YML003")
        assert "YAML parser's own limit" in problem.message
        assert loaded.documents[0].value is None
    else:
        assert loaded.problems == ()


def test_nesting_up_to_the_limit_loads() -> None:
    for text, depth in (("[" * 500 + "x" + "]" * 500, 500), ("- " * 500 + "x\n", 500)):
        loaded = load_yaml(text)
        assert loaded.problems == ()
        node = loaded.documents[0].value
        for _ in range(depth - 1):
            node = node[0]
        assert node == ["x"]
        assert loaded.documents[0].positions[(0,) * depth] == Mark(1, (depth + 1) if text[0] == "[" else 2 * depth + 1)
        assert codes(load_yaml(text, LoaderLimits(max_depth=depth - 1))) == ["YML003"]


def test_aliases_of_deep_anchors_copy_without_recursion() -> None:
    # Text nests 900 levels at most, but aliases stack three anchors: 2701 levels, deeper than
    # marshal's own limit, which exercises the iterative copy (and stays below libyaml's limit).
    depth = 900
    text = "a: &a " + "[" * depth + "x" + "]" * depth + "\n"
    text += "b: &b " + "[" * depth + "*a" + "]" * depth + "\n"
    text += "c: " + "[" * depth + "*b" + "]" * depth + "\n"
    doc = load_yaml(text, LoaderLimits(max_depth=3 * depth + 2)).documents[0]
    node = doc.value["c"]
    for _ in range(3 * depth - 1):
        node = node[0]
    assert node == ["x"]
    assert doc.value["c"][0] is not doc.value["b"][0]
    assert codes(load_yaml(text, LoaderLimits(max_depth=3 * depth))) == ["YML003"]


def test_oversize_input_is_not_parsed() -> None:
    limits = LoaderLimits(max_bytes=100)
    loaded = load_yaml("a: " + "x" * 200, limits)
    assert loaded.documents == ()
    assert [(p.code, p.line, p.column) for p in loaded.problems] == [("YML003", 1, 1)]
    assert codes(load_yaml(b"a: " + b"x" * 200, limits)) == ["YML003"]
    assert codes(load_yaml("a: " + "é" * 60, limits)) == ["YML003"]  # 63 characters but 123 bytes
    assert codes(load_yaml("a: " + "x" * 90, limits)) == []


# --- malformed input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("a:\n  b: 1\n c: 2\n", 3, 2, "did not find expected key"),
        ("a: [1, 2\nb: 3\n", 2, 2, "did not find expected ',' or ']'"),
        ("a: b: c\n", 1, 5, "mapping values are not allowed"),
        ("a: 'open\n", 2, 1, "unexpected end of stream"),
        ("a: 1\n\tb: 2\n", 2, 1, "tab character"),
    ],
)
def test_malformed_yaml_reports_libyaml_position_and_message(text: str, line: int, column: int, words: str) -> None:
    loaded = load_yaml(text)
    assert loaded.documents == ()
    problem = only(loaded, "YML000")
    assert (problem.line, problem.column, problem.document) == (line, column, 0)
    assert words in problem.message


def test_error_in_third_document_keeps_the_first_two() -> None:
    loaded = load_yaml("a: yes\n---\nb: 2\n---\nc: 3\nd: e: f\n---\ng: 5\n")
    assert [(d.index, d.value) for d in loaded.documents] == [(0, {"a": True}), (1, {"b": 2})]
    error = only(loaded, "YML000")
    assert (error.document, error.line, error.column) == (2, 6, 5)
    assert error.message == "mapping values are not allowed in this context"
    assert only(loaded, "YML001").document == 0


def test_multi_document_stream_indexes_documents_and_problems() -> None:
    loaded = load_yaml("a: 1\n---\n# only a comment\n---\nb: off\n")
    assert [(d.index, d.value) for d in loaded.documents] == [(0, {"a": 1}), (1, None), (2, {"b": False})]
    assert only(loaded, "YML001").document == 2
    assert loaded.documents[2].positions[("b",)] == Mark(5, 4)


def test_comment_only_file_is_one_empty_document() -> None:
    loaded = load_yaml("# nothing here\n")
    assert [(d.index, d.value) for d in loaded.documents] == [(0, None)]
    assert loaded.problems == ()


def test_bytes_that_are_not_utf8() -> None:
    loaded = load_yaml(b"a: 1\nb\xc3\xa9: \xff\n")
    assert loaded.documents == ()
    problem = only(loaded, "YML000")
    assert (problem.line, problem.column) == (2, 5)
    assert "0xff" in problem.message


def test_nul_byte() -> None:
    loaded = load_yaml("a: 1\nbé: x\x00\n")
    problem = only(loaded, "YML000")
    assert (problem.line, problem.column) == (2, 6)
    assert "control characters" in problem.message
    assert codes(load_yaml(b"a: \x00\n")) == ["YML000"]


def test_lone_surrogate_in_str_is_a_problem_not_an_exception() -> None:
    problem = only(load_yaml("a: 1\nb: \ud800\n"), "YML000")
    assert (problem.line, problem.column) == (2, 4)


@pytest.mark.parametrize("data", [b"\xef\xbb\xbfa: 1\r\nb:\r\n  - yes\r\n", "\ufeffa: 1\r\nb:\r\n  - yes\r\n"])
def test_bom_and_crlf(data: str | bytes) -> None:
    loaded = load_yaml(data)
    doc = loaded.documents[0]
    assert doc.value == {"a": 1, "b": [True]}
    assert doc.positions[("a",)] == Mark(1, 4)
    assert doc.positions[("b", 0)] == Mark(3, 5)
    assert (only(loaded, "YML001").line, only(loaded, "YML001").column) == (3, 5)


def test_yaml_directive_12_is_read_as_helm_reads_11() -> None:
    loaded = load_yaml("%YAML 1.2\n---\na: yes\n")
    assert loaded.documents[0].value == {"a": True}
    assert "YAML 1.2" in only(loaded, "YML000").message
    assert codes(load_yaml("%YAML 1.1\n---\na: yes\n")) == ["YML001"]


# --- plain templates, determinism --------------------------------------------------------------------


def test_plain_templates() -> None:
    text = 'a: ${cluster}\nb: "${quoted}"\nc: app-${env}-x\nd: |\n  ${block}\ne:\n  - ${one}\n  - x\nf: 12\n'
    doc = load_yaml(text).documents[0]
    assert doc.value["e"] == ["${one}", "x"]
    assert doc.plain_templates == frozenset({("a",), ("c",), ("e", 0)})
    doc = load_yaml("t: &t ${x}\nu: *t\nm: &m\n  k: ${y}\nw:\n  <<: *m\n").documents[0]
    assert doc.plain_templates == frozenset({("t",), ("u",), ("m", "k"), ("w", "k")})
    assert load_yaml("a: ${x}\na: 1\n").documents[0].plain_templates == frozenset()


def test_deterministic() -> None:
    first, second = load_yaml(MERGE_DOC), load_yaml(MERGE_DOC.encode())
    assert first.documents[0].value == second.documents[0].value
    assert dict(first.documents[0].positions) == dict(second.documents[0].positions)
    assert first.problems == second.problems
    assert list(first.documents[0].value["multi"]) == list(second.documents[0].value["multi"])


def _json_values() -> st.SearchStrategy[Any]:
    # JSON escapes non-ASCII; astral characters would become surrogate escapes, which YAML
    # (libyaml and go-yaml alike) rejects.
    text = st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)), max_size=8)
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**53), max_value=2**53),
        st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
        text,
    )
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
        max_leaves=25,
    )


@settings(max_examples=200, deadline=None)
@given(_json_values())
def test_json_round_trips_with_a_position_for_every_node(value: Any) -> None:
    """JSON is YAML: quoted strings stay strings, numbers and booleans keep their values."""
    for text in (json.dumps(value), json.dumps(value, indent=2)):
        loaded = load_yaml(text)
        assert loaded.problems == ()
        doc = loaded.documents[0]
        assert doc.value == value
        assert set(doc.positions) == all_paths(doc.value)
        assert doc.plain_templates == frozenset()
