"""`compliance config` (the effective configuration and where each setting came from) and
`compliance baseline create` (today's findings recorded so `lint --baseline` reports only new ones)."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING

from compliance.app.outcome import Outcome, Output
from compliance.app.run import Run, RunRequest, build_run
from compliance.effective.substitution import secret_values
from compliance.errors import UsageError

if TYPE_CHECKING:
    from compliance.report.redaction import Redactor


def run_at(request: RunRequest) -> Run:
    """The shared run of a command over one path, which must exist."""
    if not os.path.exists(request.path):
        raise UsageError(f"path does not exist: {request.path}")
    return build_run(request)


def show_config(request: RunRequest, hide: Redactor) -> Outcome:
    """The settings as `key: value  # source` lines, then each one that weakens the gate."""
    from compliance.governance.gatesettings import assess
    from compliance.settings.describe import describe

    run = run_at(replace(request, evaluate=False))
    settings = replace(
        run.settings,
        variables=hide.variables(run.settings.variables),
        cluster_variables={name: hide.variables(given) for name, given in run.settings.cluster_variables.items()},
    )
    text = describe(settings)
    for weakening in assess(settings, request.path, run.specs).weakenings:  # the list every lint report carries
        text += f"# weakens the gate: {weakening.text}\n"
    return Outcome((Output(text),))


def create_baseline(request: RunRequest, hide: Redactor, target: str | None) -> Outcome:
    """Every current finding by fingerprint, to `target` (default: the root's `.compliance-baseline.json`)."""
    from compliance.governance import baseline

    path = request.path
    linted = run_at(request).lint
    findings = linted.findings
    hide = hide.hiding(secret_values(linted.repo))
    target = target or os.path.join(path if os.path.isdir(path) else os.path.dirname(path), baseline.DEFAULT_NAME)
    count = len(findings)
    note = f"wrote {count} finding{'s' if count != 1 else ''} to {target}"
    return Outcome((Output(baseline.render(hide.findings(findings)), target, note),))
