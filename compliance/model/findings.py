"""Findings: what rules report, located and ordered deterministically."""

from __future__ import annotations

from dataclasses import field
from enum import Enum

from compliance.model.fixes import Fix
from compliance.records import record


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.ERROR: 3, Severity.WARNING: 2, Severity.INFO: 1}


@record
class Location:
    """A repo-relative, '/'-separated path with a 1-based line and column."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@record
class TraceStep:
    """One link in a value's provenance: where it was set, or what it overrode."""

    role: str  # "set" (the effective value) or "overrode" (an earlier value it replaced)
    location: Location
    value: object = None


@record
class Violation:
    """What a rule yields: a message at a location; the engine adds the rest."""

    message: str
    location: Location
    value_path: str = ""
    trace: tuple[TraceStep, ...] = ()
    severity: Severity | None = None  # None: the rule's default severity
    fixes: tuple[Fix, ...] = field(default=(), compare=False)  # what repairs it (compliance.model.fixes)
    # True: this is the root cause of whatever else is reported at `location` (YML001: an unquoted `NO` read
    # as a boolean), and the engine reports only it there (`compliance.engine.evaluate.one_per_root_cause`)
    root_cause: bool = False
    # True: not a finding but why this check could not be evaluated (a value it needs depends on a Flux
    # variable nobody supplied: `ReleaseContext.unknown`); the engine records the check as not run, with
    # `message` as the reason (a check that also found something is failed, and counts this part as not run)
    not_run: bool = False
    # (rule id, value path) of findings, in this violation's blueprint and cluster, that describe what this one
    # explains and are not reported: RM007's channel the chart does not serve supersedes the values findings on
    # that channel, which never ship (`compliance.engine.evaluate.without_superseded`). A rule that is not
    # selected supersedes nothing, so the values findings stand.
    supersedes: tuple[tuple[str, str], ...] = ()


@record
class Finding:
    rule: str
    severity: Severity
    message: str
    location: Location
    blueprint: str | None = None
    cluster: str | None = None
    value_path: str = ""
    trace: tuple[TraceStep, ...] = field(default=())
    fixes: tuple[Fix, ...] = field(default=(), compare=False)  # the rule's repairs (`compliance fix`)

    @property
    def fingerprint(self) -> str:
        """Identity across edits: rule + blueprint + cluster + logical value path + file, never the line.

        Findings without a value path (file-level problems) fall back to the message, which names the key.
        """
        import hashlib

        anchor = self.value_path or self.message
        text = "\x1f".join((self.rule, self.blueprint or "", self.cluster or "", anchor, self.location.path))
        # a file name that is not UTF-8 holds lone surrogates: hash its bytes as they are
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]

    def sort_key(self) -> tuple[str, int, int, str, str, str, str]:
        loc = self.location
        return (
            loc.path,
            loc.line,
            loc.column,
            self.rule,
            self.cluster or "",
            self.blueprint or "",
            self.message,
        )


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Sort deterministically and drop exact repeats (same rule, place, cluster, message)."""
    unique = {f.sort_key(): f for f in findings}
    return [unique[key] for key in sorted(unique)]
