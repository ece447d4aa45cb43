"""docs/exceptions.md shows real files and real output: every example is checked against the fixture or command.

`<!-- fixture: PATH -->` before a code block: the block is a verbatim excerpt of PATH.
`<!-- output: compliance ARGS -->` before a code block: the block is what that command prints, from the
repository root (`…` lines separate excerpts, which appear in that order); for `baseline create` it is the
file written.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import ROOT, run

DOC = ROOT / "docs" / "exceptions.md"
EXAMPLE = re.compile(r"<!-- (fixture|output): (.+?) -->\n```[a-z]*\n(.*?)```\n", re.S)


def examples() -> list[tuple[str, str, str]]:
    return EXAMPLE.findall(DOC.read_text(encoding="utf-8"))


def contains_in_order(text: str, block: str) -> bool:
    lines = text.splitlines()
    start = 0
    for chunk in re.split(r"^…\n", block, flags=re.M):
        wanted = chunk.splitlines()
        found = next(
            (i for i in range(start, len(lines) - len(wanted) + 1) if lines[i : i + len(wanted)] == wanted), None
        )
        if found is None:
            return False
        start = found + len(wanted)
    return True


def test_the_page_has_examples_of_each_kind() -> None:
    kinds = [kind for kind, _, _ in examples()]
    assert kinds.count("fixture") >= 6 and kinds.count("output") >= 5


@pytest.mark.parametrize(("kind", "target", "block"), examples(), ids=lambda value: str(value)[:60])
def test_each_example_is_true(kind: str, target: str, block: str, tmp_path: Path) -> None:
    if kind == "fixture":
        assert block in (ROOT / target).read_text(encoding="utf-8"), f"not an excerpt of {target}"
        return
    args = target.split()
    assert args[0] == "compliance"
    if args[1:3] == ["baseline", "create"]:
        written = tmp_path / "baseline.json"
        result = run(*args[1:], "--output", str(written))
        assert result.returncode == 0, result.stderr
        assert written.read_text(encoding="utf-8") == block
        return
    result = run(*args[1:], env={"NO_COLOR": "1"})
    assert "Traceback" not in result.stderr
    assert contains_in_order(result.stdout + result.stderr, block), result.stdout + result.stderr
