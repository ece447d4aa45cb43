"""`compliance test PATH`: run declarative policy tests, over `compliance.app.policytest`."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from compliance.cli.emit import emit


class TestFormat(str, Enum):
    text = "text"
    junit = "junit"


def policy_test(
    path: Annotated[str, typer.Argument(metavar="PATH", help="A *_test.yaml file, or a folder searched for them.")],
    output_format: Annotated[TestFormat, typer.Option("--format", help="text, or JUnit XML for CI.")] = TestFormat.text,
    output: Annotated[str | None, typer.Option("--output", help="Write the report to FILE (atomically).")] = None,
) -> None:
    """Run policy tests (*_test.yaml): exit 0 when every case holds, 1 when one does not, 2 for a bad file."""
    from compliance.app.policytest import policy_tests

    emit(policy_tests(path, output_format.value, output))
