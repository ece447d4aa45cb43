"""`compliance values`: what one cluster deploys for one blueprint, from the shared run (its project config
applies, as in `lint`); the selection and origins are `compliance.app.valuesview`'s."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from compliance.app.config import run_at
from compliance.app.outcome import Outcome, Output
from compliance.app.valuesview import show_values
from compliance.records import record

if TYPE_CHECKING:
    from compliance.app.run import RunRequest
    from compliance.report.redaction import Redactor


@record
class ValuesQuery:
    cluster: str | None = None
    blueprint: str | None = None
    against: str | None = None  # show what differs from this cluster instead
    output_format: str = "yaml"  # or "json"
    blame: bool = False  # annotate every leaf with the file:line that set it
    every: bool = False  # every release of the cluster (`--all`), not one blueprint


def values(request: RunRequest, hide: Redactor, query: ValuesQuery, output: str | None = None) -> Outcome:
    """The values as text (to `output`, else standard output), with warnings about the files they came from."""
    run = run_at(replace(request, evaluate=False))
    text, warnings = show_values(
        run, hide, query.cluster, query.blueprint, query.output_format, query.blame, query.against, query.every
    )
    return Outcome((Output(text, output),), tuple(f"compliance: warning: {warning}" for warning in warnings))
