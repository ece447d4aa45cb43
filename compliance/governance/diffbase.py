"""`--diff-base REF`: lint the tree at a git ref too, and keep only the findings that are new.

Findings are matched with the base's as a baseline's are (`compliance.governance.comparison`): by
fingerprint, as multisets; the matched ones are "unchanged".

The base tree is written to a temporary folder with git plumbing (`read-tree` into a temporary index
file, `checkout-index --prefix`): the user's working tree, index, HEAD and hooks are never touched,
and unlike `git archive`, `export-ignore` attributes cannot hide files from the comparison.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from compliance.errors import UsageError
from compliance.gitcmd import run_git
from compliance.records import record

NO_COMMIT = "0" * 40  # the base of a repository without commits yet


class DiffBaseError(UsageError):
    """The base cannot be read: not a git repository, an unknown ref, git missing."""


def _git(args: Sequence[str], cwd: str, index_file: str | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return run_git(args, cwd, text=True, index_file=index_file)
    except FileNotFoundError:
        raise DiffBaseError("--diff-base needs git, and git is not installed") from None


@record
class BaseTree:
    path: str | None  # the linted path as of the base commit; None when it did not exist there
    commit: str


@contextmanager
def checkout_base(path: str, ref: str) -> Iterator[BaseTree]:
    """The linted `path` (a folder or file inside a git work tree) as of `ref`, in a temporary folder."""
    real = os.path.realpath(path)
    directory = real if os.path.isdir(real) else os.path.dirname(real)
    top = _git(["rev-parse", "--show-toplevel"], directory)
    if top.returncode != 0 or not top.stdout.strip():
        raise DiffBaseError(f"--diff-base: {path} is not inside a git work tree")
    if ref.startswith("-") or not ref.strip():
        raise DiffBaseError(f"--diff-base: invalid git ref {ref!r}")
    resolved = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], directory)
    unborn = resolved.returncode != 0 and ref == "HEAD"
    if unborn and _git(["symbolic-ref", "--quiet", "HEAD"], directory).returncode == 0:
        # an unborn branch (the repository's first commit, the pre-commit hook's `--diff-base HEAD`):
        # nothing existed before, so every finding is new; git's null object name stands for the base
        yield BaseTree(None, NO_COMMIT)
        return
    if resolved.returncode != 0:
        raise DiffBaseError(
            f"--diff-base: unknown git ref {ref!r} (in a shallow clone, fetch it first: "
            f"git fetch --depth 1 origin {ref})"
        )
    commit = resolved.stdout.strip()
    toplevel = os.path.realpath(top.stdout.strip())
    prefix = os.path.relpath(directory, toplevel).replace(os.sep, "/")
    tree = f"{commit}^{{tree}}" if prefix == "." else f"{commit}:{prefix}"
    with tempfile.TemporaryDirectory(prefix="compliance-base-") as tmp:
        kind = _git(["cat-file", "-t", tree], directory)
        if kind.returncode != 0 or kind.stdout.strip() != "tree":
            yield BaseTree(None, commit)  # the folder is new since the base
            return
        index = os.path.join(tmp, "index")
        checkout = os.path.join(tmp, "tree") + os.sep
        for args in (["read-tree", tree], ["checkout-index", "--all", f"--prefix={checkout}"]):
            done = _git(args, toplevel, index)  # at the top: a subfolder would limit checkout-index to it
            if done.returncode != 0:
                raise DiffBaseError(f"--diff-base: git {args[0]} failed: {done.stderr.strip()}")
        target = os.path.join(checkout, os.path.basename(real)) if real != directory else checkout.rstrip(os.sep)
        yield BaseTree(target if os.path.exists(target) else None, commit)
