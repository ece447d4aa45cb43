"""Governed exceptions, applied after evaluation: suppressions, central exceptions, severity overrides.

Inline comments (read by the loader into `Repository.suppressions`) and the config's `exceptions`
become `Suppression`s. Each must have a reason, name known rules and be within its `until` date, or
it suppresses nothing and is a SUP finding itself; one that matched nothing is SUP003, one whose `until`
date is within the `exception-expiry-warning-days` option (default 30) is SUP006. A suppressed finding is
kept, with the suppression that took it, so every report can show it; the register lists every exception
with its status (active, expiring, expired), the expired ones too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date

from compliance.engine.registry import did_you_mean
from compliance.model import SuppressionComment
from compliance.model.findings import Finding, Location, Severity, sort_findings
from compliance.records import record
from compliance.settings.config import ConfigException, Settings
from compliance_rules.suppressions import EXPIRY_WARNING_DAYS

SUP_PREFIX = "SUP"
KIND_ORDER = {"inline": 0, "file": 1, "config": 2}  # the most specific suppression is the one shown


@record
class Suppression:
    kind: str  # "inline" (a line or a mapping), "file" (ignore-file) or "config" (the config's exceptions)
    rules: tuple[str, ...]
    reason: str
    until: date | None
    owner: str | None
    location: Location  # where the suppression stands
    label: str  # how messages name it: `ignore[ATT001]`, `exception for ATT001`
    approver: str | None = None


ACTIVE, EXPIRING, EXPIRED, INVALID = "active", "expiring", "expired", "invalid"


@record
class RegisterEntry:
    """One exception as the register lists it: its status on the day judged, and what it covered."""

    suppression: Suppression
    status: str  # ACTIVE, EXPIRING (within the warning window), EXPIRED, or INVALID (no reason, no known rule)
    days_left: int | None  # until its `until` date (negative: expired); None without one
    covered: int  # findings it suppressed in this run


@record
class Suppressed:
    """A finding that a valid suppression covers: not reported as a finding, never lost."""

    finding: Finding
    suppression: Suppression


@record
class Governed:
    findings: tuple[Finding, ...]  # what is reported (SUP findings included), sorted
    suppressed: tuple[Suppressed, ...]
    register: tuple[RegisterEntry, ...] = ()  # every exception, in the order they stand


@record(frozen=False)
class _Candidate:
    suppression: Suppression
    covers: Callable[[Finding], bool]
    scope: str  # how SUP003 says where it looked
    used: set[str] = dataclasses.field(default_factory=set)
    covered: int = 0  # findings it covers
    usable: bool = True


def govern(
    findings: Iterable[Finding],
    comments: Iterable[SuppressionComment],
    settings: Settings,
    known: Mapping[str, Severity],
    evaluated: Collection[str],
    judge_unused: bool = True,
) -> Governed:
    """Apply suppressions to `findings`; `known` maps every loaded rule id to its default severity,
    `evaluated` are the ids that ran.

    SUP findings are emitted only for SUP rules among `evaluated` (so `--select/--ignore` apply to them);
    SUP003 (matched nothing) only when `judge_unused` (a run that evaluated everything it could).
    """
    problems: list[Finding] = []

    def report(rule_id: str, message: str, location: Location) -> None:
        severity = known.get(rule_id)
        if severity is not None and rule_id in evaluated:
            problems.append(Finding(rule_id, severity, message, location))

    candidates: list[_Candidate] = []
    for comment in comments if settings.inline_suppressions else ():
        candidate = _from_comment(comment, report)
        if candidate is not None:
            candidates.append(candidate)
    candidates += [_from_config(entry) for entry in settings.exceptions]
    window = EXPIRY_WARNING_DAYS.of(settings.rule_options)
    every = candidates
    candidates = [c for c in candidates if _vet(c, known, settings.today, report, window)]

    kept: list[Finding] = []
    suppressed: list[Suppressed] = []
    for finding in findings:
        hits = [] if finding.rule.startswith(SUP_PREFIX) else _hits(candidates, finding)
        if not hits:
            kept.append(finding)
            continue
        for candidate in hits:
            candidate.used.add(finding.rule)
            candidate.covered += 1
        shown = min(hits, key=lambda c: KIND_ORDER[c.suppression.kind])
        suppressed.append(Suppressed(finding, shown.suppression))
    for candidate in candidates if judge_unused else ():
        suppression = candidate.suppression
        for rule_id in suppression.rules:
            if rule_id not in candidate.used and rule_id in evaluated:
                message = f"{suppression.label}: no {rule_id} finding {candidate.scope}; remove it"
                report("SUP003", message, suppression.location)
    severity = settings.severity
    return Governed(
        tuple(sort_findings([_overridden(f, severity) for f in kept + problems])),
        tuple(
            sorted(
                (Suppressed(_overridden(s.finding, severity), s.suppression) for s in suppressed),
                key=lambda s: s.finding.sort_key(),
            )
        ),
        tuple(_entry(candidate, settings.today, window) for candidate in every),
    )


def _entry(candidate: _Candidate, today: date, window: int) -> RegisterEntry:
    until = candidate.suppression.until
    days = (until - today).days if until is not None else None
    if days is not None and days < 0:
        status = EXPIRED
    elif not candidate.usable:
        status = INVALID
    else:
        status = EXPIRING if days is not None and days <= window else ACTIVE
    return RegisterEntry(candidate.suppression, status, days, candidate.covered)


def _hits(candidates: list[_Candidate], finding: Finding) -> list[_Candidate]:
    return [c for c in candidates if finding.rule in c.suppression.rules and c.covers(finding)]


def _overridden(finding: Finding, severity: Mapping[str, Severity]) -> Finding:
    level = severity.get(finding.rule)
    return finding if level is None or level is finding.severity else dataclasses.replace(finding, severity=level)


def _from_comment(comment: SuppressionComment, report: Callable[[str, str, Location], None]) -> _Candidate | None:
    location = Location(comment.file, comment.line, comment.column)
    if comment.problem:
        report("SUP005", f"malformed suppression: {comment.problem}", location)
        return None
    verb = "ignore-file" if comment.scope == "file" else "ignore"
    kind = "file" if comment.scope == "file" else "inline"
    suppression = Suppression(
        kind,
        comment.rules,
        comment.reason or "",
        comment.until,
        comment.owner,
        location,
        f"{verb}[{','.join(comment.rules)}]",
        comment.approver,
    )
    first, last = comment.covers

    def covers(finding: Finding) -> bool:
        return finding.location.path == comment.file and first <= finding.location.line <= last

    # no line numbers in messages: a SUP finding's fingerprint must survive edits above it
    scope = {"file": "in this file", "inline": "where it stands"}[kind] if first else "(no YAML line follows it)"
    return _Candidate(suppression, covers, scope)


def _from_config(entry: ConfigException) -> _Candidate:
    suppression = Suppression(
        "config",
        (entry.rule,),
        entry.reason,
        entry.until,
        entry.owner,
        entry.location,
        f"exception for {entry.rule}",
        entry.approver,
    )
    globs = (("blueprint", entry.blueprint), ("cluster", entry.cluster), ("path", entry.path))
    scope = ", ".join(f"{key} {value}" for key, value in globs if value)
    return _Candidate(suppression, entry.matches, f"for {scope}" if scope else "anywhere")


def _vet(
    candidate: _Candidate,
    known: Collection[str],
    today: date,
    report: Callable[[str, str, Location], None],
    window: int,
) -> bool:
    """Report what is wrong with a suppression; True when it may still suppress (for its known rules)."""
    suppression = candidate.suppression
    where, label = suppression.location, suppression.label
    usable = True
    if not suppression.reason.strip():
        report("SUP001", f"{label} has no reason; it suppresses nothing", where)
        usable = False
    if suppression.until is not None and today > suppression.until:
        expired = suppression.until.isoformat()
        report("SUP002", f"{label} expired on {expired}; the findings it covered are reported again", where)
        usable = False
    elif usable and suppression.until is not None and (suppression.until - today).days <= window:
        ends = suppression.until.isoformat()  # no day count in the message: its fingerprint must not change daily
        report("SUP006", f"{label} expires on {ends}, within {window} days: renew or fix before then", where)
    valid: list[str] = []
    for rule_id in suppression.rules:
        if rule_id.startswith(SUP_PREFIX):
            report("SUP004", f"{label}: {rule_id} is not suppressible (exceptions are governed, not excepted)", where)
        elif rule_id not in known:
            hint = did_you_mean(rule_id, known)
            report("SUP004", f"{label}: unknown rule id {rule_id}{hint} (see `compliance rules`)", where)
        else:
            valid.append(rule_id)
    candidate.suppression = dataclasses.replace(suppression, rules=tuple(valid))
    candidate.usable = usable and bool(valid)
    return candidate.usable
