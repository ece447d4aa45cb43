"""Today's findings compared with known ones (a baseline file, or the tree at a `--diff-base` ref).

Findings are matched by `Finding.fingerprint` (rule, blueprint, cluster, value path, file; never the
line), as multisets: when a fingerprint occurs n times among the known findings and m times now, the
first min(n, m) occurrences in report order are matched, the later ones now are new, the later known
ones are fixed. Baseline and diff-base share this class; only the name of what was compared against
differs, and with it the key of `summary()` (`baseline`, `diff_base`: README's JSON output).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from compliance.model.findings import Finding, sort_findings
from compliance.records import record


@record
class Against:
    """What the findings were compared with: a baseline file, or a git ref and the commit it resolved to."""

    kind: str  # "baseline" or "diff_base": the key of `Comparison.summary()`
    ref: str = ""
    commit: str = ""


BASELINE = Against("baseline")


def diff_base(ref: str, commit: str) -> Against:
    return Against("diff_base", ref, commit)


# How each kind calls a matched finding in its summary (the documented JSON keys).
_MATCHED_KEY = {"baseline": "known", "diff_base": "unchanged"}


@record
class Comparison:
    against: Against
    new: tuple[Finding, ...]  # not among the known findings: what the run reports
    matched: tuple[Finding, ...]  # found now and known: not reported
    fixed: tuple[Finding, ...]  # known, no longer found

    def summary(self) -> dict[str, object]:
        """What reporters show about it, keyed as `ReportData.extra` (`baseline` or `diff_base`)."""
        source: dict[str, object] = {}
        if self.against.kind == "diff_base":
            source = {"ref": self.against.ref, "commit": self.against.commit}
        counts = {"new": len(self.new), _MATCHED_KEY[self.against.kind]: len(self.matched), "fixed": len(self.fixed)}
        return {self.against.kind: source | counts}


def compare(current: Iterable[Finding], known: Iterable[Finding], against: Against = BASELINE) -> Comparison:
    """Match `current` with `known` as multisets of fingerprints, in report order."""
    # sorted, not deduplicated: a baseline's entries have no line, so n identical ones are n entries
    current, known = sorted(current, key=Finding.sort_key), sorted(known, key=Finding.sort_key)
    current_count = Counter(f.fingerprint for f in current)
    known_count = Counter(f.fingerprint for f in known)

    def split(findings: list[Finding], other: Counter[str]) -> tuple[list[Finding], list[Finding]]:
        seen: Counter[str] = Counter()
        matched: list[Finding] = []
        unmatched: list[Finding] = []
        for finding in findings:
            seen[finding.fingerprint] += 1
            (matched if seen[finding.fingerprint] <= other[finding.fingerprint] else unmatched).append(finding)
        return matched, unmatched

    matched, new = split(current, known_count)
    _, fixed = split(known, current_count)
    return Comparison(against, tuple(new), tuple(matched), tuple(fixed))


def merge(comparisons: Sequence[Comparison]) -> Comparison:
    """One comparison for several linted roots (the first root's names what was compared against)."""
    return Comparison(
        comparisons[0].against,
        tuple(sort_findings([f for c in comparisons for f in c.new])),
        tuple(sort_findings([f for c in comparisons for f in c.matched])),
        # a multiset, as `compare` made it: n identical known findings gone are n fixed (a baseline's have no line)
        tuple(sorted((f for c in comparisons for f in c.fixed), key=Finding.sort_key)),
    )
