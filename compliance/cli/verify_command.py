"""`compliance verify BUNDLE`: its argument, over `compliance.app.verify`."""

from __future__ import annotations

from typing import Annotated

import typer

from compliance.cli.emit import emit


def verify(bundle: Annotated[str, typer.Argument(metavar="BUNDLE", help="An evidence bundle (.zip).")]) -> None:
    """Check every member of an evidence bundle against its manifest (exit 0 intact, 1 bad members, 2 unreadable)."""
    from compliance.app.verify import verify as verify_outcome

    emit(verify_outcome(bundle))
