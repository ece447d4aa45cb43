"""Writing an `Outcome` out: warnings, then each output (a file atomically, else standard output), then exit."""

from __future__ import annotations

import sys

import typer

from compliance.app.outcome import EXIT_OK, Outcome
from compliance.errors import UsageError
from compliance.output import write_atomic, write_stdout


def emit(outcome: Outcome) -> None:
    """Write what the command decided and exit with its code (returns only when that code is 0)."""
    for warning in outcome.warnings:
        typer.echo(warning, err=True)
    for output in outcome.outputs:
        if output.target is None:
            if isinstance(output.content, bytes):
                sys.stdout.buffer.write(output.content)
            else:
                write_stdout(output.content)
            sys.stdout.flush()
        else:
            try:
                write_atomic(output.target, output.content)
            except OSError as error:
                raise UsageError(f"cannot write {output.target}: {error.strerror or error}") from None
        if output.note is not None:
            typer.echo(output.note, err=True)
    if outcome.exit_code != EXIT_OK:
        raise typer.Exit(outcome.exit_code)
