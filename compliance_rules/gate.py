"""The gate's own settings (GATE): a pull request must not switch off the check that judges it.

With `--diff-base REF` the configuration at `REF` (the base branch, already reviewed) governs the
run, and the pull request's own `.compliance.yaml` (or `[tool.compliance]`) does not; every change the
pull request makes to it is reported here, at the changed line, so a reviewer sees it. See
[docs/ci.md](../ci.md#a-gate-the-pull-request-cannot-turn-off). These findings are judged by
`compliance.governance.gatesettings` when the run has a base to compare with; the check here only documents
them. `--select`, `--ignore`, severity overrides and exceptions do not apply to them: they are about
the settings that would.
"""

from __future__ import annotations

from collections.abc import Iterator

from compliance.engine.context import RepositoryContext
from compliance.engine.registry import Scope, rule
from compliance.model.findings import Severity, Violation
from compliance_rules.controls import GATE


@rule("GATE001", "Pull request changes the gate's settings", Severity.ERROR, Scope.REPOSITORY, "gate", controls=GATE)
def settings_changed(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    With `--diff-base REF`, compares the project configuration of the pull request with the one at
    `REF` and reports each difference at its line in the pull request's config file: an **error**
    when the change weakens the gate (a `fail-on` that fails on less, rules dropped by `select` or
    `ignore`, a new `exclude` glob, a lowered severity, a new or extended exception, a rule option
    below the base's, a changed Flux variable), **info** when it strengthens it.

    ## Why it matters
    The configuration decides the verdict. A one-line `fail-on: never` or `exclude: ["**"]` in the
    pull request would turn seven errors into a green check if the pull request's own config governed
    its own gate. The base branch's config governs instead, and the change is put in front of the
    reviewer rather than silently taking effect after the merge.

    ## Example
    ```yaml
    # .compliance.yaml in the pull request (the base branch has none)
    fail-on: never
    exclude: ["clusters/**"]
    ```

    ## Use instead
    ```yaml
    # the fix, not the settings: keep the config, fix or except the finding where it stands
    # compliance: ignore[COM002] reason="contract LEGAL-2026-031 in signature" until=2026-07-31
    ```

    ## How to fix
    If the change is not intended, revert it. If it is, make it a reviewed decision: land the
    config change in its own pull request, where this error is what the reviewer (a code owner of
    `.compliance.yaml`) accepts before merging; from then on the base branch carries it. A CI job
    can also let the pull request's config govern with `--config-from head` (the change is still
    reported, and every output states the weakened settings), or pin a trusted config outside the
    repository with `--config FILE` or `COMPLIANCE_CONFIG`.
    """
    return iter(())  # judged by compliance.governance.gatesettings when the run has a base (--diff-base)
