"""`--diff-base REF`: lint the tree at a git ref too, and keep only the findings that are new.

Findings are matched by `Finding.fingerprint` (rule, blueprint, cluster, value path, file; never the
line), as multisets: when a fingerprint occurs n times in the base and m times now, the first
min(n, m) occurrences in report order are unchanged, the later ones now are new, the later ones in
the base are fixed.

The base tree is written to a temporary folder with git plumbing (`read-tree` into a temporary index
file, `checkout-index --prefix`): the user's working tree, index, HEAD and hooks are never touched,
and unlike `git archive`, `export-ignore` attributes cannot hide files from the comparison.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from compliance.errors import UsageError
from compliance.gitcmd import run_git
from compliance.model.findings import Finding, sort_findings


class DiffBaseError(UsageError):
    """The base cannot be read: not a git repository, an unknown ref, git missing."""


@dataclass(frozen=True, slots=True)
class Comparison:
    ref: str
    commit: str  # the full hash REF resolved to
    new: tuple[Finding, ...]
    unchanged: tuple[Finding, ...]
    fixed: tuple[Finding, ...]

    def summary(self) -> dict[str, object]:
        """What reporters show about the comparison (`ReportData.extra["diff_base"]`)."""
        return {
            "ref": self.ref,
            "commit": self.commit,
            "new": len(self.new),
            "unchanged": len(self.unchanged),
            "fixed": len(self.fixed),
        }


def compare(current: Iterable[Finding], base: Iterable[Finding], ref: str = "", commit: str = "") -> Comparison:
    current, base = sort_findings(list(current)), sort_findings(list(base))
    current_count = Counter(f.fingerprint for f in current)
    base_count = Counter(f.fingerprint for f in base)

    def split(findings: list[Finding], other: Counter[str]) -> tuple[list[Finding], list[Finding]]:
        seen: Counter[str] = Counter()
        matched: list[Finding] = []
        unmatched: list[Finding] = []
        for finding in findings:
            seen[finding.fingerprint] += 1
            (matched if seen[finding.fingerprint] <= other[finding.fingerprint] else unmatched).append(finding)
        return matched, unmatched

    unchanged, new = split(current, base_count)
    _, fixed = split(base, current_count)
    return Comparison(ref, commit, tuple(new), tuple(unchanged), tuple(fixed))


def merge(comparisons: Sequence[Comparison]) -> Comparison:
    """One comparison for several linted roots (the first root's commit names the base)."""
    first = comparisons[0]
    return Comparison(
        first.ref,
        first.commit,
        tuple(sort_findings([f for c in comparisons for f in c.new])),
        tuple(sort_findings([f for c in comparisons for f in c.unchanged])),
        tuple(sort_findings([f for c in comparisons for f in c.fixed])),
    )


def _git(args: Sequence[str], cwd: str, index_file: str | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return run_git(args, cwd, text=True, index_file=index_file)
    except FileNotFoundError:
        raise DiffBaseError("--diff-base needs git, and git is not installed") from None


@dataclass(frozen=True, slots=True)
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


def against_base(
    root: str, ref: str, current: Sequence[Finding], lint: Callable[[str], Sequence[Finding]]
) -> Comparison:
    """Compare `current` (the findings on `root` now) with `lint` run on `root` as of `ref`."""
    with checkout_base(root, ref) as base:
        base_findings = lint(base.path) if base.path is not None else ()
    return compare(current, base_findings, ref, base.commit)
