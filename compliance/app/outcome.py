"""What a command's application function returns: the texts to write, where, and the exit code.

The application layer decides; the command line (`compliance.cli`) only writes an `Outcome` out
(files atomically, the rest to standard output) and exits with its code, as pre-commit's
`commands/` return an int and conftest's runner returns results for its output step.
"""

from __future__ import annotations

from compliance.records import record

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


@record
class Output:
    content: str | bytes
    target: str | None = None  # a file, written atomically; None: standard output
    note: str | None = None  # said on standard error once it is written ("compliance: wrote FILE")


@record
class Outcome:
    outputs: tuple[Output, ...] = ()  # in this order
    warnings: tuple[str, ...] = ()  # said on standard error before any output
    exit_code: int = EXIT_OK
