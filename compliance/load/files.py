"""Reading files of an untrusted tree: regular files only, never through a link out of the root, never
more than asked. A FIFO or a device named `x.yaml` must not block a run, and a link to `/etc/passwd`
must not print it."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator

# A source line shown in a report comes from a file at most this large (the loader's default cap).
SOURCE_LIMIT = 10 * 1024 * 1024


def read_regular(path: str, size: int) -> bytes:
    """Up to ``size`` bytes of a regular file; OSError for anything else, raised before a read can block.

    It asks for what the file holds and one byte more (a buffer of ``size`` for every file would cost a
    10 MiB allocation per file), then for the rest up to ``size`` only if the file grew meanwhile."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as handle:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        data = handle.read(min(size, status.st_size + 1))
        if status.st_size < len(data) < size:  # it grew since fstat (or reports no size, as /proc does)
            data += handle.read(size - len(data))
        return data


def inside(path: str, root: str) -> bool:
    """Whether ``path``, links resolved, is ``root`` or under it (``root`` already resolved)."""
    target = os.path.realpath(path)
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def read_inside(root: str, rel: str, size: int = SOURCE_LIMIT) -> bytes | None:
    """The file ``rel`` under ``root`` if it is a regular file there of at most ``size`` bytes, else None."""
    path = os.path.join(root, rel)
    if not inside(path, os.path.realpath(root)):
        return None
    try:
        data = read_regular(path, size + 1)
    except OSError:
        return None
    return data if len(data) <= size else None


def folders(start: str) -> Iterator[tuple[str, list[os.DirEntry[str]] | OSError, list[str]]]:
    """Each folder under ``start`` once, depth first by name: (folder, its entries by name or the error
    reading it, a list the caller fills with the subfolders to enter). A folder reached again through a
    link is not listed again, so link loops end."""
    seen: set[str] = set()
    stack = [start]
    while stack:
        folder = stack.pop()
        real = os.path.realpath(folder)
        if real in seen:
            continue
        seen.add(real)
        entries: list[os.DirEntry[str]] | OSError
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            entries = error
        enter: list[str] = []
        yield folder, entries, enter
        stack.extend(reversed(enter))
