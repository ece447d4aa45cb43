"""`compliance report`: the auditor's HTML report and evidence bundle, from the one shared run.

The run chose the renderer and built the contexts the rules judged; the report and the bundle show
exactly those (`Run.renderer`, `Run.shown_contexts`), never choosing or computing them again.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING

from compliance.app.outcome import Outcome, Output
from compliance.app.run import RunRequest, build_run
from compliance.app.scope import find_root, scoped
from compliance.effective.substitution import secret_values
from compliance.records import record

if TYPE_CHECKING:
    from compliance.report.redaction import Redactor


@record
class ReportRequest:
    run: RunRequest
    hide: Redactor  # what hides the secret --var values in everything shown
    output: str | None = None  # the HTML report's file
    bundle: str | None = None  # the evidence bundle's file (.zip)


def report(request: ReportRequest) -> Outcome:
    """The HTML page (to `output`, else standard output when there is no bundle either) and the bundle."""
    from compliance import __version__
    from compliance.app.api import report_data
    from compliance.app.gaterun import gate_report
    from compliance.evidence import bundle as evidence
    from compliance.report import html as html_reporter
    from compliance.report import json as json_reporter

    git = evidence.git_state(os.path.abspath(request.run.path))
    when, time_source = evidence.generated_at(git=git)
    options = request.run.overrides
    if options.today is None and evidence.reproducible(time_source):
        options = replace(options, today=when.date())  # a re-run later judges `until` dates as this one did
    # a file or subfolder, as with `lint`: its repository evaluated whole, only the findings in the path shown
    root, within = find_root(request.run.path)
    shared = build_run(replace(request.run, path=root, overrides=options))  # one run: rules, renderer, contexts
    run, settings, specs = scoped(shared.lint, within), shared.settings, shared.specs
    if os.path.abspath(request.run.path) != run.repo.root:
        git = evidence.git_state(run.repo.root)
    hide = request.hide.hiding(secret_values(run.repo))  # and the repository's Secret values (Flux substituteFrom)
    scope = evidence.AuditScope(
        root=run.repo.root,
        path=request.run.path,
        git=git,
        generated_at=when,
        time_source=time_source,
        tool_version=__version__,
        rule_pack=evidence.rule_pack(run.rules),
        select=settings.select,
        ignore=settings.ignore,
        variables=tuple(
            sorted(
                [*settings.variables, *(f"{c}:{n}" for c, given in settings.cluster_variables.items() for n in given)]
            )
        ),
        rule_paths=request.run.rule_paths,
        inputs=evidence.inventory(run.repo, shared.renderer.label is not None, settings.config_file),
        renderer=shared.renderer.label or f"none ({shared.renderer.why_none or 'not asked for'})",
        config_file=settings.config_file,
        judged_on=settings.today.isoformat(),
        ci=evidence.ci_run(),
    )
    data = report_data(
        run,
        findings=hide.findings(evidence.redact_finding(f) for f in run.findings),
        suppressed=hide.suppressed(evidence.redact_suppressed(s) for s in run.suppressed),
        extra={"scope": scope, "gate": gate_report([run], specs, None), "register": run.register},
    )
    page = html_reporter.render(data)
    if not request.output and not request.bundle:
        return Outcome((Output(page),))
    written: list[Output] = []
    if request.output:
        written.append(Output(page, request.output, f"compliance: wrote {request.output}"))
    if request.bundle:
        # the values are only shown, never judged: the secret --var values hidden
        files = evidence.bundle_files(
            scope,
            run.repo,
            run.rules,
            run.evaluated,
            run.skipped,
            data.findings,
            shared.shown_contexts(hide),
            page,
            json_reporter.render(data),
        )
        archive = evidence.deterministic_zip(files, evidence.zip_time(when, time_source))
        written.append(Output(archive, request.bundle, f"compliance: wrote {request.bundle}"))
    return Outcome(tuple(written))
