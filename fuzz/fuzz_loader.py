"""Coverage-guided fuzz target for the YAML loader (atheris / libFuzzer). See fuzz/README.md.

`check(data)` is the oracle, also run by tests/test_hostile_regressions.py on every input under
fixtures/hostile/regressions/: loading never raises, never hangs (libFuzzer's -timeout), stays bounded
in memory (-rss_limit_mb), reads bytes and the same text alike, and places every problem and node
inside the input.
"""

from __future__ import annotations

import re
import sys
from typing import Any

# libyaml's line breaks: the loader counts lines as it does.
_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _inside(lines: list[str], line: int, column: int) -> bool:
    return 1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]) + 1


def _summary(loaded: Any) -> tuple[Any, ...]:
    """What must not depend on how the input was given: problems and each document's positions."""
    return loaded.problems, [(d.index, dict(d.positions)) for d in loaded.documents]


def check(data: bytes) -> None:
    from compliance.yaml import Limits, load_yaml

    # A tenth of the node budget: the same code paths, at a cost libFuzzer's -timeout does not mistake for
    # a hang under coverage instrumentation (bench/bench_hostile.py measures the real limits).
    limits = Limits(max_nodes=100_000, max_path_steps=1_000_000)
    loaded = load_yaml(data, limits)
    lines = _BREAKS.split(data.decode("utf-8", errors="replace").removeprefix("\ufeff"))
    for problem in loaded.problems:
        assert _inside(lines, problem.line, problem.column), problem
    for document in loaded.documents:
        for path, mark in document.positions.items():
            assert _inside(lines, mark.line, mark.column), (path, mark)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    assert _summary(load_yaml(text, limits)) == _summary(loaded), "text and its bytes load differently"


def main() -> None:
    import atheris

    with atheris.instrument_imports():
        import compliance.yaml  # noqa: F401  (instrumented for coverage feedback)

    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
