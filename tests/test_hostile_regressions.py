"""Inputs that once broke the loader (fuzzing, property tests, a libyaml upgrade), kept under
fixtures/hostile/regressions/, with every hostile fixture: the fuzz target's oracle holds on each."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest

from compliance.yaml import load_yaml
from tests.helpers import FIXTURES, ROOT, all_paths

HOSTILE = FIXTURES / "hostile"
INPUTS = sorted([*HOSTILE.glob("*.yaml"), *(HOSTILE / "regressions").iterdir()])


def _oracle() -> Callable[[bytes], None]:
    spec = importlib.util.spec_from_file_location("fuzz_loader", ROOT / "fuzz" / "fuzz_loader.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.check


@pytest.mark.parametrize("path", INPUTS, ids=[p.name for p in INPUTS])
def test_fuzz_oracle_holds(path: Path) -> None:
    _oracle()(path.read_bytes())


def test_end_of_input_without_a_line_break_is_inside_the_input() -> None:
    # libyaml ends the stream on a line of its own: an error there was reported one line past the file.
    for name, column in (("eof-inside-flow-sequence.yaml", 2), ("eof-inside-flow-sequence-2.yaml", 7)):
        problem = load_yaml((HOSTILE / "regressions" / name).read_bytes()).problems[0]
        assert (problem.code, problem.line, problem.column) == ("YML000", 1, column)


@pytest.mark.parametrize(
    ("name", "column"), [("libyaml-own-nesting-limit.yaml", 501), ("libyaml-own-block-nesting-limit.yaml", 1001)]
)
def test_libyaml_own_nesting_limit_does_not_decide(name: str, column: int) -> None:
    # libyaml >= 0.2.6 refuses these itself (reading ahead of the events): the result must not change with it.
    loaded = load_yaml((HOSTILE / "regressions" / name).read_bytes())
    assert [d.value for d in loaded.documents] == [None, {"after": 1}]
    assert [(p.code, p.line, p.column, p.message) for p in loaded.problems] == [
        ("YML003", 1, column, "nesting deeper than 500 levels; document not loaded")
    ]


def test_alias_expansion_over_duplicate_keys_keeps_exactly_the_existing_positions() -> None:
    # Found by the fuzzer (a libFuzzer timeout): aliases expanded ~680 000 nodes in a document whose
    # duplicate keys forced the stale-position prune, which walked every path from the root (now it
    # checks each path against its parent; bench/bench_hostile.py shows the time).
    data = (HOSTILE / "regressions" / "alias-bomb-with-duplicate-keys.yaml").read_bytes()
    document = load_yaml(data).documents[0]
    assert len(document.positions) == 679_021
    assert set(document.positions) == all_paths(document.value)  # exactly the paths that still exist
