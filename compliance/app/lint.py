"""`compliance lint`: one run per root (and per base tree with `--diff-base`), governed, reported, judged.

The command line has parsed and checked the options; this decides what is reported (only new findings
against a baseline or a diff base), builds the one `ReportData` every format renders, and chooses the
exit code from the findings that are reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from compliance.app.api import LintRun, lint_manifests, load_registry, policy_paths
from compliance.app.gaterun import gate_report, lint_against_base
from compliance.app.outcome import EXIT_FINDINGS, EXIT_OK, Outcome, Output
from compliance.app.run import RunRequest, build_run
from compliance.app.scope import find_root, located_in, scoped
from compliance.effective.substitution import secret_values
from compliance.governance.gatesettings import STRICTEST_FIRST
from compliance.model.findings import Finding, Severity, sort_findings
from compliance.records import record
from compliance.report import ReportData, reporter

if TYPE_CHECKING:  # comparing and baselines are imported where used: a plain lint does neither
    from compliance.engine.registry import RuleSpec
    from compliance.governance.comparison import Comparison
    from compliance.report.redaction import Redactor
    from compliance.settings.config import Overrides


@record
class LintRequest:
    run: RunRequest  # what every root's run shares (its `path` is replaced by each root)
    roots: tuple[str, ...]
    outputs: tuple[tuple[str, str | None], ...]  # (format, file; None: standard output), in the order given
    hide: Redactor  # what hides the secret --var values in everything shown
    fail_on: str | None = None  # the command line's; None: each run's config decides
    baseline: str | None = None  # a baseline file: report only findings it does not record
    diff_base: str | None = None  # a git ref: report only findings new since it
    config_from: str = "base"  # with diff_base: whose config governs ("base" or "head")
    manifests: str | None = None  # lint this rendered stream instead of the roots ("-": stdin)
    color: bool = False  # for the formats written to standard output
    show_severity: str = "info"  # the text format lists findings at or above it (the summary counts them all)
    whatif: bool = False  # add FLX006 infos: the Flux variable values that would add a warning or an error


@record
class _Linted:
    runs: tuple[LintRun, ...]
    findings: list[Finding]  # what is reported (and judged)
    compared: Comparison | None  # against the diff base or the baseline
    gate: tuple[Finding, ...]  # GATE001: the pull request's changes to the config


def lint(request: LintRequest) -> Outcome:
    configured = () if request.manifests is not None else policy_paths(request.roots, request.run.overrides)
    registry = load_registry(
        (*request.run.rule_paths, *configured),
        roots=request.roots,
        trust_repository_rules=request.run.trust_repository_rules,
    )
    specs = registry.rules()
    linted = _lint_roots(replace(request, run=replace(request.run, registry=registry)), specs)
    runs, findings, compared, gate = linted.runs, linted.findings, linted.compared, linted.gate
    extra: dict[str, object] = compared.summary() if compared is not None else {}
    extra["gate"] = gate_report(runs, specs, request.baseline)
    if any(name == "sarif" for name, _ in request.outputs):  # SARIF `fixes`: what code scanning can offer
        from compliance.fix import offered

        extra["fixes"] = {key: p for run in runs for key, p in offered(run.repo.root, run.findings).items()}
    extra["show_severity"] = request.show_severity
    hide = request.hide.hiding(v for run in runs for v in secret_values(run.repo))
    data = ReportData(  # what is shown: secret --var values hidden (the verdict below judges the real findings)
        findings=hide.findings(findings),
        rules=runs[0].rules + tuple(s for s in specs if gate and s.id == "GATE001" and s not in runs[0].rules),
        root=runs[0].repo.root,
        repos=tuple(run.repo for run in runs),
        evaluated=runs[0].evaluated if len(runs) == 1 else frozenset().union(*(run.evaluated for run in runs)),
        skipped=runs[0].skipped if len(runs) == 1 else {c: why for run in runs for c, why in run.skipped.items()},
        rendered=frozenset().union(*(run.rendered for run in runs)),
        fixed=hide.findings(compared.fixed if compared is not None else ()),
        suppressed=hide.suppressed(
            sorted((s for run in runs for s in run.suppressed), key=lambda s: s.finding.sort_key())
        ),
        extra=extra,
        fail_on=threshold(runs, request.fail_on),
    )
    outputs = tuple(
        Output(reporter(name).render(data, request.color and file is None), file) for name, file in request.outputs
    )
    return Outcome(outputs, exit_code=EXIT_FINDINGS if fails(runs, findings, request.fail_on) else EXIT_OK)


def _lint_roots(request: LintRequest, specs: Sequence[RuleSpec]) -> _Linted:
    """Every root linted (against its base tree with --diff-base); the findings that are reported."""

    def lint_root(root: str, options: Overrides) -> LintRun:
        if request.manifests is not None:
            run = request.run
            return lint_manifests(request.manifests, options, run.rule_paths, run.trust_repository_rules)
        built = build_run(replace(request.run, path=root, overrides=options))
        if not request.whatif:
            return built.lint
        from compliance.app.whatifrun import whatif_findings

        return replace(built.lint, findings=tuple(sort_findings([*built.lint.findings, *whatif_findings(built)])))

    runs: list[LintRun] = []
    comparisons: list[Comparison] = []
    gate: list[Finding] = []
    options = request.run.overrides
    for path in request.roots:
        # a file or subfolder: its repository evaluated whole, only the findings in `path` reported
        root, scope = find_root(path) if request.manifests is None else (path, None)
        if request.diff_base is None:
            runs.append(scoped(lint_root(root, options), scope))
            continue
        governed = lint_against_base(root, request.diff_base, options, request.config_from, lint_root, specs)
        runs.append(scoped(governed.run, scope))
        against = governed.comparison
        if scope is not None:
            new, matched, fixed = (located_in(found, scope) for found in (against.new, against.matched, against.fixed))
            against = replace(against, new=new, matched=matched, fixed=fixed)
        comparisons.append(against)
        gate += governed.gate
    findings = sort_findings([f for run in runs for f in run.findings])
    compared = None
    if comparisons:
        from compliance.governance.comparison import merge

        compared = merge(comparisons)
    if compared is not None:  # only new findings are reported and counted, and the pull request's config changes
        findings = sort_findings([*compared.new, *gate])
    if request.baseline is not None:  # likewise: only findings the baseline does not record
        from compliance.governance import baseline as baselines

        compared = baselines.compare(findings, baselines.load(request.baseline))
        findings = list(compared.new)
    return _Linted(tuple(runs), findings, compared, tuple(gate))


def _run_threshold(run: LintRun | None, fail_on: str | None) -> str:
    """The fail-on level of one run: the command line's, else its config's."""
    if fail_on is not None:
        return fail_on
    return run.settings.fail_on if run is not None and run.settings is not None else "error"


def threshold(runs: Sequence[LintRun], fail_on: str | None) -> str:
    """The strictest fail-on level of the runs: what the reports call a failure."""
    return min((_run_threshold(run, fail_on) for run in runs), key=STRICTEST_FIRST.index, default="error")


def fails(runs: Sequence[LintRun], reported: Sequence[Finding], fail_on: str | None) -> bool:
    """True when a reported finding is at or above its run's fail-on (the command line's, else its config's)."""
    owner = {id(f): run for run in runs for f in run.findings}
    strictest = threshold(runs, fail_on)
    for finding in reported:
        run = owner.get(id(finding))
        level = _run_threshold(run, fail_on) if run is not None else strictest
        if level != "never" and finding.severity.rank >= Severity(level).rank:
            return True
    return False
