"""`compliance report`: the auditor's HTML report and evidence bundle, from the same lint run as `lint`."""

from __future__ import annotations

import os
from typing import Annotated

import typer

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
)


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

    Without --output or --bundle the HTML goes to stdout. Same inputs, same bytes; the time honours SOURCE_DATE_EPOCH.
    """
    from compliance import __version__
    from compliance.app.gaterun import gate_report
    from compliance.app.run import RunRequest, build_run
    from compliance.cli.config_command import overrides
    from compliance.cli.main import _render_setup, redactor, render_bounds
    from compliance.errors import UsageError
    from compliance.evidence import bundle as evidence
    from compliance.report import ReportData
    from compliance.report import html as html_reporter
    from compliance.report import json as json_reporter

    if not os.path.exists(path):
        raise UsageError(f"path does not exist: {path}")
    when, time_source = evidence.generated_at()
    zip_time = evidence.zip_time()
    if today is None and time_source == "SOURCE_DATE_EPOCH":
        today = when.date().isoformat()  # a re-run later judges `until` dates as this one did
    options = overrides(config, select, ignore, None, var, no_inline_suppressions, today)
    hide = redactor(var, public_var)
    cache_dir = _render_setup(renderer, no_cache, None, True)
    request = RunRequest(
        path,
        options,
        tuple(rules or ()),
        trust_repository_rules,
        renderer=renderer.value,
        cache_dir=cache_dir,
        render_bounds=render_bounds(render_timeout, render_memory),
    )
    shared = build_run(request)  # one run: its rules, its renderer, its contexts
    run, settings, specs = shared.lint, shared.settings, shared.specs
    scope = evidence.AuditScope(
        root=run.repo.root,
        path=path,
        git=evidence.git_state(run.repo.root),
        generated_at=when,
        time_source=time_source,
        tool_version=__version__,
        rule_pack=evidence.rule_pack(run.rules),
        select=settings.select,
        ignore=settings.ignore,
        variables=tuple(sorted(settings.variables)),
        rule_paths=tuple(rules or ()),
        inputs=evidence.inventory(run.repo, shared.renderer.label is not None, settings.config_file),
        renderer=shared.renderer.label or f"none ({shared.renderer.why_none or 'not asked for'})",
        config_file=settings.config_file,
        judged_on=settings.today.isoformat(),
    )
    data = ReportData(
        hide.findings(evidence.redact_finding(f) for f in run.findings),
        run.rules,
        run.repo.root,
        (run.repo,),
        evaluated=run.evaluated,
        suppressed=hide.suppressed(evidence.redact_suppressed(s) for s in run.suppressed),
        extra={"scope": scope, "gate": gate_report([run], specs, None)},
    )
    page = html_reporter.render(data)

    written: list[tuple[str, str | bytes]] = []
    if output:
        written.append((output, page))
    if bundle:
        # the values are only shown, never judged: the secret --var values hidden
        files = evidence.bundle_files(
            scope,
            run.repo,
            run.rules,
            run.evaluated,
            data.findings,
            shared.shown_contexts(hide),
            page,
            json_reporter.render(data),
        )
        written.append((bundle, evidence.deterministic_zip(files, zip_time)))
    if not written:
        from compliance.output import write_stdout

        write_stdout(page)
        return
    from compliance.output import write_atomic

    for target, payload in written:
        try:
            write_atomic(target, payload)
        except OSError as error:
            raise UsageError(f"cannot write {target}: {error.strerror or error}") from None
        typer.echo(f"compliance: wrote {target}", err=True)
