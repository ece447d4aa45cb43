"""Writing files the user asked for: atomically, so a crash never leaves a truncated file."""

from __future__ import annotations

import os
import sys


def printable(text: str) -> str:
    """Text that encodes as UTF-8: a file name that is not UTF-8 (`\\xff.yaml`, read as a lone surrogate)
    is shown as `\\udcff`, never a crash that leaves the report unwritten."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def write_stdout(text: str) -> None:
    sys.stdout.write(printable(text))


def write_atomic(path: str, data: str | bytes) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    payload = printable(data).encode("utf-8") if isinstance(data, str) else data
    import tempfile  # here: a report to standard output needs none

    fd, temporary = tempfile.mkstemp(prefix=".compliance-", dir=directory)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp creates 0600; a report is an ordinary file
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
