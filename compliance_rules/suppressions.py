"""Governed exceptions (SUP): suppressions that cannot be trusted are findings themselves.

A finding can be excepted by a comment on its line (`# compliance: ignore[ID] reason="..."
until=YYYY-MM-DD`), on the line above it, on the key of the mapping that holds it, anywhere in its file
(`# compliance: ignore-file[ID] reason="..."`), or centrally in the project config (`exceptions:`).
An exception needs a reason, lapses at its `until` date, and must still match something; see
[docs/exceptions.md](../exceptions.md). These rules are judged after every other rule has run (they
need the other findings and the date), by `compliance.governance.exceptions`; their checks here only document
them. `--select`/`--ignore`, severity overrides and `--fail-on` treat them like any other rule, but
an exception never suppresses a SUP finding.
"""

from __future__ import annotations

from collections.abc import Iterator

from compliance.engine.context import RepositoryContext
from compliance.engine.options import minimum_count
from compliance.engine.registry import Scope, rule
from compliance.model.findings import Severity, Violation
from compliance_rules.controls import EXCEPTIONS


@rule("SUP001", "Suppression without a reason", Severity.ERROR, Scope.REPOSITORY, "suppressions", controls=EXCEPTIONS)
def without_reason(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a suppression comment with no `reason="..."` (or an empty one). It suppresses nothing:
    the findings it names are still reported.

    ## Why it matters
    An exception is a decision someone has to stand behind. Without a reason an auditor cannot
    tell an accepted risk from a silenced alarm, and nobody can tell later whether it still applies.

    ## Example
    ```yaml
    attestation:
      kind: commercial-contract
      contractRef: ""  # compliance: ignore[COM002]
    ```

    ## Use instead
    ```yaml
    attestation:
      kind: commercial-contract
      contractRef: ""  # compliance: ignore[COM002] reason="contract LEGAL-2026-031 in signature" until=2026-07-31
    ```

    ## How to fix
    Say why the finding is acceptable in `reason="..."`, and set an `until` date for when it must be
    looked at again. Or fix the finding and delete the comment.
    """
    return iter(())  # judged by compliance.governance.exceptions after the other rules


@rule(
    "SUP002", "Suppression past its until date", Severity.ERROR, Scope.REPOSITORY, "suppressions", controls=EXCEPTIONS
)
def expired(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a suppression (inline or in the project config's `exceptions`) whose `until` date has
    passed. It suppresses nothing from the day after that date, so the findings it covered are
    reported again. The date is today's date in UTC unless `--today YYYY-MM-DD` fixes it.

    ## Why it matters
    Temporary exceptions become permanent when nothing forces a second look. An expiry that fails
    the build is the second look.

    ## Example
    ```yaml
    # compliance: ignore[AUD002] reason="retention raised in the Q1 storage migration" until=2026-03-31
    audit:
      retentionDays: 90
    ```

    ## Use instead
    ```yaml
    audit:
      retentionDays: 730
    ```

    ## How to fix
    Fix the finding and delete the suppression, or, if the exception is still justified, renew it
    with a new `until` date and a reason that says why.
    """
    return iter(())  # judged by compliance.governance.exceptions after the other rules


EXPIRY_WARNING_DAYS = minimum_count(
    "exception-expiry-warning-days",
    30,
    "Days before an exception's `until` date from which SUP006 warns and the report's register shows it as expiring.",
)


@rule(
    "SUP006",
    "Exception expires soon",
    Severity.WARNING,
    Scope.REPOSITORY,
    "suppressions",
    options=(EXPIRY_WARNING_DAYS,),
    controls=EXCEPTIONS,
)
def expiring(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Warns about a suppression (inline or in the project config's `exceptions`) whose `until` date is
    within `exception-expiry-warning-days` (default 30) of today. It still suppresses until that date
    has passed; from the day after, SUP002 reports it and the findings it covered come back.

    ## Why it matters
    An expiry that is only noticed when it fails the build leaves no time to renew the exception
    properly (a new review, a new approver) or to fix the findings. A warning a month ahead lets the
    owner do either on their own schedule; the report's exceptions register shows the same status.

    ## Example
    On 2026-06-10, in `.compliance.yaml`:
    ```yaml
    exceptions:
      - rule: COM002
        cluster: "_template"
        reason: "partner contract LEGAL-2026-040 is countersigned per cluster"
        until: "2026-06-30"
    ```

    ## Use instead
    ```yaml
    exceptions:
      - rule: COM002
        cluster: "_template"
        reason: "countersignature moved to Q3, LEGAL-2026-071"
        until: "2026-09-30"
        owner: legal-ops
        approver: ciso
    ```

    ## How to fix
    Fix the findings and delete the suppression, or renew it: a later `until` date, a reason that says
    why it still applies and, where your process asks for one, an `approver=`. To warn earlier or later,
    set `options: {exception-expiry-warning-days: N}` in `.compliance.yaml`.
    """
    return iter(())  # judged by compliance.governance.exceptions after the other rules


@rule("SUP003", "Suppression matched nothing", Severity.WARNING, Scope.REPOSITORY, "suppressions", controls=EXCEPTIONS)
def unused(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Warns about a suppression, or one rule id in it, that matched no finding in this run. Rules
    that were not run (`--select`, `--ignore`) are not held against it.

    ## Why it matters
    A stale exception is a loaded gun: the defect it excused is gone, but the next one on that line
    would be silenced without anybody deciding so.

    ## Example
    ```yaml
    geo:
      sanctionedRegions:
        allowRelaxation: false  # compliance: ignore[GEO002] reason="legacy tenant"
    ```

    ## Use instead
    ```yaml
    geo:
      sanctionedRegions:
        allowRelaxation: false
    ```

    ## How to fix
    Delete the suppression (or the rule id that no longer applies). If it should cover a finding,
    move it onto the finding's line, the line above it, or the key of the mapping that holds it.
    """
    return iter(())  # judged by compliance.governance.exceptions after the other rules


@rule(
    "SUP004", "Suppression names an unknown rule", Severity.ERROR, Scope.REPOSITORY, "suppressions", controls=EXCEPTIONS
)
def unknown_rule(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a rule id in a suppression (inline or in the project config's `exceptions`) that no
    loaded rule has, or that names a SUP rule (exceptions cannot be excepted). The other ids in the
    same suppression still apply.

    ## Why it matters
    A typo (`ATT01`, `COM0002`) suppresses nothing while looking like it does, and an id from a
    removed plugin documents an exception that no longer exists.

    ## Example
    ```yaml
    endpoint: ""  # compliance: ignore[DEF01] reason="vLLM is wired per cluster"
    ```

    ## Use instead
    ```yaml
    endpoint: ""  # compliance: ignore[DEF001] reason="vLLM is wired per cluster"
    ```

    ## How to fix
    Use an id from `compliance rules` (`--rules` plugins included), or delete the suppression.
    """
    return iter(())  # judged by compliance.governance.exceptions after the other rules


@rule("SUP005", "Malformed suppression comment", Severity.ERROR, Scope.REPOSITORY, "suppressions", controls=EXCEPTIONS)
def malformed(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a `# compliance:` comment that cannot be read: an unknown directive, no rule ids in
    brackets, an unknown field, or an `until` that is not a `YYYY-MM-DD` date. It suppresses nothing.

    ## Why it matters
    A suppression that silently fails to parse is either ignored (the author believes a finding is
    excepted when it is not) or, worse, guessed at. Both hide what was decided.

    ## Example
    ```yaml
    # compliance: ignore ATT001 reason="lab cluster" until=31.12.2026
    channels:
      - name: lab
    ```

    ## Use instead
    ```yaml
    # compliance: ignore[ATT001] reason="lab cluster" until=2026-12-31
    channels:
      - name: lab
    ```

    ## How to fix
    Write `# compliance: ignore[ID,ID] reason="..." until=YYYY-MM-DD` (`owner=...` is optional), or
    `# compliance: ignore-file[ID] reason="..."` for the whole file.
    """
    return iter(())  # judged by compliance.governance.exceptions after the other rules
