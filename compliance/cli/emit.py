"""Writing an `Outcome` out: warnings, then each output (a file atomically, else standard output), then exit."""

from __future__ import annotations

import os
import sys

import typer

from compliance.app.outcome import EXIT_OK, Outcome
from compliance.errors import UsageError
from compliance.output import write_atomic, write_stdout


def color_forced() -> bool:
    """`FORCE_COLOR` set to anything but '' (force-color.org): colour where standard output is no terminal (CI logs)."""
    return bool(os.environ.get("FORCE_COLOR")) and not color_refused()


def color_refused() -> bool:
    """`NO_COLOR` set to anything but '' (no-color.org): no colour, whatever else says; it wins over FORCE_COLOR."""
    return bool(os.environ.get("NO_COLOR"))


def terminal() -> bool:
    """Standard output is a terminal, or FORCE_COLOR says to write as if it were."""
    return sys.stdout.isatty() or color_forced()


def color_wanted() -> bool:
    """Colour on standard output: FORCE_COLOR forces it, NO_COLOR refuses it, else a terminal gets it."""
    return not color_refused() and terminal()


def markdown_for_terminal(text: str) -> str:
    """Markdown laid out for a terminal by rich (headings, lists, code blocks), coloured when colour is wanted."""
    import io
    import shutil

    from rich.console import Console
    from rich.markdown import Markdown

    buffer = io.StringIO()
    width = min(shutil.get_terminal_size((100, 24)).columns, 120)
    color = color_wanted()
    Console(file=buffer, force_terminal=color, no_color=not color, width=width).print(Markdown(text))
    return buffer.getvalue()


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
