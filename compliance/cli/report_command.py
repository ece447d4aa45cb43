"""`compliance report`: its options, over `compliance.app.report` (the same run as `lint`)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from compliance.cli.emit import emit
from compliance.cli.options import (
    ConfigOption,
    IgnoreOption,
    NoCacheOption,
    NoInlineOption,
    PublicVarOption,
    RendererName,
    RendererOption,
    RenderMemoryOption,
    RenderTimeoutOption,
    RulesOption,
    SelectOption,
    TodayOption,
    TrustRulesOption,
    VarOption,
    overrides,
    redactor,
    rendering_request,
)
from compliance.errors import UsageError


def report(
    path: Annotated[str, typer.Argument(help="Repository root to report on.")] = ".",
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the HTML report to FILE.")] = None,
    bundle: Annotated[
        str | None, typer.Option(help="Write an evidence bundle (.zip): report, findings, hashes, values.")
    ] = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    var: VarOption = None,
    public_var: PublicVarOption = None,
    rules: RulesOption = None,
    trust_repository_rules: TrustRulesOption = False,
    config: ConfigOption = None,
    no_inline_suppressions: NoInlineOption = False,
    today: TodayOption = None,
    renderer: RendererOption = RendererName.auto,
    no_cache: NoCacheOption = False,
    render_timeout: RenderTimeoutOption = None,
    render_memory: RenderMemoryOption = None,
) -> None:
    """Write a self-contained HTML report for auditors (with --bundle, also the evidence to re-verify it).

    Without --output or --bundle the HTML goes to stdout, unless that is a terminal (a usage error: say where).
    Same inputs, same bytes; the time honours SOURCE_DATE_EPOCH.
    """
    from compliance.app.report import ReportRequest
    from compliance.app.report import report as report_outcome

    if not os.path.exists(path):
        raise UsageError(f"path does not exist: {path}")
    if output is None and bundle is None and sys.stdout.isatty():
        raise UsageError(
            "compliance report writes a self-contained HTML page, not for a terminal: "
            "give --output report.html (or --bundle evidence.zip), or redirect standard output"
        )
    options = overrides(config, select, ignore, None, var, no_inline_suppressions, today)
    hide = redactor(var, public_var)
    request = rendering_request(
        path, options, rules, trust_repository_rules, renderer, no_cache, render_timeout, render_memory
    )
    emit(report_outcome(ReportRequest(request, hide, output, bundle)))
