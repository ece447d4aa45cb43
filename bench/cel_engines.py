"""Measure the two CEL engines on the package index: import time, evaluation speed, spec conformance.

Usage: python3 bench/cel_engines.py [--spec CEL_SPEC_CHECKOUT]

- import: a fresh interpreter importing the engine (best of 3): `celpy` (cel-python, pure Python) and the
  native extension of `common-expression-language` loaded alone (`cel/__init__.py` also imports its
  command-line tool, prompt_toolkit, ~0.2 s; `compliance.policy.cel` loads the extension the same way).
- eval: one policy-like expression compiled once, evaluated on 1,000 releases' values (best of 3).
- conformance (`--spec`, a checkout of github.com/google/cel-spec): the `tests/simple/testdata/*.textproto`
  cases whose bindings and expected values are plain CEL values (no protobuf messages, no type
  environment, no container), run through each engine; a case passes when it evaluates to the expected
  value (same Python type family) or fails where an error is expected. Prints the pass rate per file.
Nothing here is a test: it prints figures for docs/policies.md.
"""

from __future__ import annotations

import argparse
import functools
import math
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXPRESSION = (
    "values.audit.enabled == true && values.audit.retentionDays >= 90 && "
    "values.channels.all(c, !c.enabled || has(c.attestation) && c.attestation.kind in ['in-cluster', 'contract'])"
)


def release(i: int) -> dict[str, Any]:
    return {
        "audit": {"enabled": True, "retentionDays": 90 + i % 30},
        "channels": [
            {"name": f"c{n}", "enabled": n % 2 == 0, "attestation": {"kind": "contract", "ref": f"r{n}"}}
            for n in range(6)
        ],
        "geo": {"sanctionedRegions": {"block": ["CU", "IR", "KP", "SY"]}},
    }


@functools.cache
def native() -> Any:
    """The native extension alone, without the package's command-line tool."""
    import importlib.util
    import types

    spec = importlib.util.find_spec("cel")
    assert spec is not None and spec.submodule_search_locations
    package = types.ModuleType("cel")
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules.setdefault("cel", package)
    import cel.cel as engine

    return engine


def import_seconds(statement: str) -> float:
    runs = []
    for _ in range(3):
        code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
        runs.append(float(out.stdout))
    return min(runs)


def evaluators() -> dict[str, Callable[[str], Callable[[dict[str, Any]], Any]]]:
    def rust(source: str) -> Callable[[dict[str, Any]], Any]:
        program = native().compile(source)
        return program.execute

    def python(source: str) -> Callable[[dict[str, Any]], Any]:
        import celpy

        environment = celpy.Environment()
        program = environment.program(environment.compile(source))

        def run(bindings: dict[str, Any]) -> Any:
            return program.evaluate({k: celpy.json_to_cel(v) for k, v in bindings.items()})

        return run

    def rust_extended(source: str) -> Callable[[dict[str, Any]], Any]:
        """As compliance.policy runs it: with the package's extension functions (`cel.stdlib`)."""
        engine = native()
        program = engine.compile(source)
        from cel.stdlib import STDLIB_FUNCTIONS

        return lambda bindings: program.execute(engine.Context(variables=bindings, functions=STDLIB_FUNCTIONS))

    return {
        "common-expression-language 0.10.0": rust,
        "  the same + cel.stdlib extensions": rust_extended,
        "cel-python 0.5.0": python,
    }


def eval_speed() -> None:
    releases = [release(i) for i in range(1000)]
    for name, make in evaluators().items():
        if "stdlib" in name:
            continue
        run = make(EXPRESSION)
        best = math.inf
        for _ in range(3):
            start = time.perf_counter()
            for values in releases:
                assert run({"values": values}) is True or run({"values": values}) == True  # noqa: E712
            best = min(best, time.perf_counter() - start)
        print(f"eval  {name:36} {best * 1000:8.1f} ms / 1,000 releases (x2 evaluations)")


# --- conformance ------------------------------------------------------------------------------------------

TOKEN = re.compile(r"\s+|#[^\n]*|(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')|([{}\[\]:,<>])|([^\s{}\[\]:,<>\"'#]+)")


def _unescape(text: str) -> bytes:
    out = bytearray()
    i = 0
    raw = text.encode("utf-8")
    simple = {ord("n"): 10, ord("t"): 9, ord("r"): 13, ord("a"): 7, ord("b"): 8, ord("f"): 12, ord("v"): 11}
    while i < len(raw):
        ch = raw[i]
        if ch != 0x5C:
            out.append(ch)
            i += 1
            continue
        nxt = raw[i + 1]
        if nxt in simple:
            out.append(simple[nxt])
            i += 2
        elif chr(nxt) in "01234567":
            digits = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
            assert digits
            out.append(int(digits.group(), 8))
            i += 1 + len(digits.group())
        elif nxt in (ord("x"), ord("X")):
            digits = re.match(rb"[0-9a-fA-F]{1,2}", raw[i + 2 : i + 4])
            assert digits
            out.append(int(digits.group(), 16))
            i += 2 + len(digits.group())
        else:
            out.append(nxt)
            i += 2
    return bytes(out)


def parse_textproto(text: str) -> dict[str, list[Any]]:
    tokens: list[tuple[str, Any]] = []
    for match in TOKEN.finditer(text):
        if match.group(1):
            tokens.append(("str", _unescape(match.group(1)[1:-1])))
        elif match.group(2):
            tokens.append(("p", match.group(2)))
        elif match.group(3):
            tokens.append(("id", match.group(3)))
    position = 0

    def message(end: str | None) -> dict[str, list[Any]]:
        nonlocal position
        fields: dict[str, list[Any]] = {}
        while position < len(tokens):
            kind, value = tokens[position]
            if kind == "p" and value == end:
                position += 1
                return fields
            if kind == "p" and value in ",;":
                position += 1
                continue
            name = value
            position += 1
            if tokens[position] == ("p", ":"):
                position += 1
            fields.setdefault(name, []).extend(field_values())
        return fields

    def field_values() -> list[Any]:
        nonlocal position
        kind, value = tokens[position]
        if kind == "p" and value == "[":
            position += 1
            items: list[Any] = []
            while tokens[position] != ("p", "]"):
                if tokens[position] == ("p", ","):
                    position += 1
                    continue
                items.extend(field_values())
            position += 1
            return items
        if kind == "p" and value in "{<":
            position += 1
            return [message("}" if value == "{" else ">")]
        position += 1
        if kind == "str":
            while position < len(tokens) and tokens[position][0] == "str":  # adjacent strings concatenate
                value += tokens[position][1]
                position += 1
        return [value]

    return message(None)


class Unsupported(Exception):
    """A case that needs protobuf messages or types this harness does not model."""


def expected_value(value: dict[str, list[Any]]) -> Any:
    (kind, items), *rest = value.items()
    if rest:
        raise Unsupported(kind)
    item = items[0]
    if kind in ("int64_value", "uint64_value"):
        return int(item)
    if kind == "double_value":
        return float(item.lower().replace("infinity", "inf")) if isinstance(item, str) else float(item)
    if kind == "string_value":
        return item.decode("utf-8")
    if kind == "bytes_value":
        return item
    if kind == "bool_value":
        return item == "true"
    if kind == "null_value":
        return None
    if kind == "list_value":
        return [expected_value(v) for v in item.get("values", [])]
    if kind == "map_value":
        return {expected_value(e["key"][0]): expected_value(e["value"][0]) for e in item.get("entries", [])}
    raise Unsupported(kind)


def same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or expected is None:
        return actual is expected or (
            expected is not None and type(actual).__name__ == "BoolType" and actual == expected
        )
    if isinstance(expected, float):
        if not isinstance(actual, float):
            return False
        return (math.isnan(actual) and math.isnan(expected)) or actual == expected
    if isinstance(expected, int):
        return isinstance(actual, int) and not isinstance(actual, bool) and actual == expected
    if isinstance(expected, (str, bytes)):
        return type(actual) is not bool and isinstance(actual, type(expected)) and actual == expected
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(map(same, actual, expected))
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and len(actual) == len(expected)
            and all(k in actual and same(actual[k], v) for k, v in expected.items())
        )
    return False


def cases(spec: Path) -> list[tuple[str, str, dict[str, Any], Any]]:
    """(file/section/test, expression, bindings, expected or Exception) of every case the harness models."""
    found = []
    for file in sorted((spec / "tests" / "simple" / "testdata").glob("*.textproto")):
        for section in parse_textproto(file.read_text(encoding="utf-8")).get("section", []):
            for test in section.get("test", []):
                name = f"{file.stem}/{section['name'][0].decode()}/{test['name'][0].decode()}"
                if {"container", "type_env", "check_only", "typed_result", "unknown", "any_eval_errors"} & set(test):
                    continue
                try:
                    bindings = {
                        b["key"][0].decode(): expected_value(b["value"][0]["value"][0])
                        for b in test.get("bindings", [])
                    }
                    if "eval_error" in test:
                        expected: Any = Exception
                    elif "value" in test:
                        expected = expected_value(test["value"][0])
                    else:
                        expected = True  # a test without a result expects true
                except (Unsupported, KeyError):
                    continue
                found.append((name, test["expr"][0].decode("utf-8"), bindings, expected))
    return found


def conformance(spec: Path) -> None:
    all_cases = cases(spec)
    for engine, make in evaluators().items():
        passed: dict[str, list[int]] = {}
        for name, expression, bindings, expected in all_cases:
            counts = passed.setdefault(name.split("/")[0], [0, 0])
            counts[1] += 1
            try:
                result: Any = make(expression)(bindings)
                if type(result).__name__ == "CELEvalError":
                    result = Exception
            except Exception:
                result = Exception
            counts[0] += (
                result is Exception if expected is Exception else (result is not Exception and same(result, expected))
            )
        total = [sum(c[0] for c in passed.values()), sum(c[1] for c in passed.values())]
        print(f"conformance {engine}: {total[0]}/{total[1]} ({100 * total[0] / total[1]:.1f} %)")
        for file, (ok, n) in sorted(passed.items()):
            print(f"    {file:20} {ok:4}/{n:<4}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", type=Path, help="a checkout of github.com/google/cel-spec")
    args = parser.parse_args()
    print(f"import celpy (cel-python)                 {import_seconds('import celpy') * 1000:6.0f} ms")
    print(f"import cel (common-expression-language)   {import_seconds('import cel') * 1000:6.0f} ms")
    alone = (
        "import importlib.util, sys, types; s = importlib.util.find_spec('cel'); p = types.ModuleType('cel'); "
        "p.__path__ = list(s.submodule_search_locations); sys.modules['cel'] = p; import cel.cel"
    )
    print(f"  its native extension alone              {import_seconds(alone) * 1000:6.0f} ms")
    eval_speed()
    if args.spec:
        conformance(args.spec)


if __name__ == "__main__":
    main()
