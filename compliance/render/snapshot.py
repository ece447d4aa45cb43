"""What Helm is given: a private copy of exactly the chart's own files, and the hash of that copy.

Helm reads the whole chart folder (`.Files.Get` reaches any file of it) and follows symbolic links.
Rendering the repository's folder in place would let a chart at the repository root read
`.git/config` (a CI token) or, through a link, anything the link reaches. So the chart is copied
into a private temporary folder first:

- regular files only, read without blocking (a FIFO or device makes the chart unrenderable);
- never a `.git` entry, at any depth, nor a link into one;
- links are followed only while they stay inside the chart folder (as Helm follows them, so a
  `templates/` that is a link is rendered and hashed); a link that leaves it makes the chart
  unrenderable, with a message that says which;
- bounded in files and bytes (a folder of links to folders must not copy forever).

Helm applies `.helmignore` (copied along) to the copy exactly as it would to the original. The
cache key hashes the same bytes that are copied, each name and content length-prefixed, so two
different charts cannot share a key and nothing changes between hashing and rendering.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Sequence

from compliance.load.files import inside, read_regular
from compliance.records import record

MAX_FILES = 10_000
MAX_BYTES = 100 * 1024 * 1024  # Helm's own cap on a decompressed chart


@record
class Snapshot:
    directory: str  # the private copy Helm renders ("" when `problem` says why there is none)
    digest: str  # of every copied file, names and bytes length-prefixed
    problem: str | None = None  # why the chart cannot be rendered


class _Refused(Exception):
    """A chart entry Helm must not be given; the message names it."""


def _frame(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def _shown(rel: str) -> str:
    """A file name as a message shows it: quoted when it holds a newline or another control character."""
    import json

    return rel if rel.isprintable() else json.dumps(rel)


def _collect(chart_dir: str, root: str) -> list[tuple[str, bytes]]:
    """(chart-relative name, bytes) of every file Helm may read, sorted by name."""
    real_root, real_chart = os.path.realpath(root), os.path.realpath(chart_dir)
    if not inside(chart_dir, real_root) or ".git" in os.path.relpath(real_chart, real_root).split(os.sep):
        raise _Refused("the chart folder is a link out of the repository or into .git")
    found: list[tuple[str, bytes]] = []
    total = 0
    # (folder on disk, its chart-relative name, real folders above it: a link back to one is a loop)
    stack: list[tuple[str, str, frozenset[str]]] = [(chart_dir, "", frozenset({real_chart}))]
    while stack:
        folder, prefix, above = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            raise _Refused(f"{prefix or '.'}: cannot read folder ({error.strerror or error})") from None
        subfolders: list[tuple[str, str, frozenset[str]]] = []
        for entry in entries:
            if entry.name == ".git":
                continue  # never given to Helm: it holds the CI's credentials
            rel = f"{prefix}{entry.name}"
            real = os.path.realpath(entry.path)
            if entry.is_symlink():
                if not inside(entry.path, real_root):
                    raise _Refused(f"{_shown(rel)}: symbolic link leaves the repository")
                if not inside(entry.path, real_chart):
                    raise _Refused(f"{_shown(rel)}: symbolic link leaves the chart folder")
                if ".git" in os.path.relpath(real, real_chart).split(os.sep):
                    raise _Refused(f"{_shown(rel)}: symbolic link into .git")
            try:
                mode = os.stat(entry.path).st_mode
            except OSError:
                raise _Refused(f"{_shown(rel)}: broken symbolic link or link loop") from None
            if stat.S_ISDIR(mode):
                if real in above:
                    raise _Refused(f"{_shown(rel)}: symbolic link loop")
                subfolders.append((entry.path, f"{rel}/", above | {real}))
                continue
            if not stat.S_ISREG(mode):
                raise _Refused(f"{_shown(rel)}: not a regular file (a FIFO, socket or device)")
            try:
                data = read_regular(entry.path, MAX_BYTES - total + 1)
            except OSError as error:
                raise _Refused(f"{_shown(rel)}: cannot read ({error.strerror or error})") from None
            total += len(data)
            found.append((rel, data))
            if total > MAX_BYTES or len(found) > MAX_FILES:
                raise _Refused(f"chart holds more than {MAX_FILES} files or {MAX_BYTES // 2**20} MiB")
        stack.extend(reversed(subfolders))
    found.sort(key=lambda item: item[0])
    return found


def digest_of(files: list[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256(_frame(str(len(files)).encode()))
    for rel, data in files:
        digest.update(_frame(rel.encode("utf-8", "surrogateescape")))
        digest.update(_frame(data))
    return digest.hexdigest()


def collect_files(chart_dir: str, root: str) -> tuple[list[tuple[str, bytes]], str | None]:
    """The files a copy of ``chart_dir`` holds, or why it cannot be copied."""
    try:
        return _collect(chart_dir, root), None
    except _Refused as refused:
        return [], str(refused)


def take(chart_dir: str, root: str, into: str, extra: Sequence[tuple[str, bytes]] = ()) -> Snapshot:
    """Copy the chart at ``chart_dir`` (inside repository ``root``) into the new folder ``into``, with
    ``extra`` files (its dependencies, compliance.render.dependencies) added."""
    try:
        files = _collect(chart_dir, root)
    except _Refused as refused:
        return Snapshot("", "", str(refused))
    if extra:
        taken = {rel for rel, _ in files}
        files = sorted([*files, *((rel, data) for rel, data in extra if rel not in taken)], key=lambda item: item[0])
    os.makedirs(into, mode=0o700)
    for rel, data in files:
        target = os.path.join(into, *rel.split("/"))
        os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
        with open(target, "xb") as handle:
            handle.write(data)
    return Snapshot(into, digest_of(files))
