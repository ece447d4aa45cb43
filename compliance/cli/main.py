"""The command line: parse options, run, pick reporters, choose the exit code. Nothing else.

One handler (`_Commands.main`) maps what a command raises to the exit code: a `compliance.errors.UsageError`
is the user's to fix (its message, exit 2), any other exception is a bug (exit 3, "internal error");
`COMPLIANCE_DEBUG=1` prints the traceback of either.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer
import typer.core

from compliance import __version__
from compliance.cli.config_command import baseline_app, config_command
from compliance.cli.options import (
    BaselineOption,
    ConfigFromName,
    ConfigFromOption,
    ConfigOption,
    FailOnOption,
    IgnoreOption,
    MaxTotalNodesOption,
    MaxTotalSizeOption,
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
from compliance.cli.report_command import report as report_command
from compliance.cli.values_command import values as values_command
from compliance.errors import UsageError
from compliance.evidence.verify import verify as verify_command

if TYPE_CHECKING:
    from compliance.report.redaction import Redactor

if TYPE_CHECKING:
    from compliance.render.bounds import Bounds

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
DEBUG_ENV = "COMPLIANCE_DEBUG"  # =1: print the traceback of an error


def _debugging() -> bool:
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


class _Commands(typer.core.TyperGroup):
    """The one place an error becomes an exit code; refuses a file name that would be read as an option
    (`compliance.engine.trust.option_files`) before any command parses its options: pre-commit appends the
    changed files to the hook's arguments without `--`."""

    def main(self, *args: object, **kwargs: object) -> object:  # type: ignore[override]
        try:
            return super().main(*args, **kwargs)  # type: ignore[arg-type]
        except UsageError as error:
            if _debugging():
                traceback.print_exc()
            typer.echo(f"compliance: error: {error}", err=True)
            sys.exit(EXIT_USAGE)
        except Exception as error:  # a bug: say what broke; the traceback only when asked for
            if _debugging():
                traceback.print_exc()
            typer.echo(f"compliance: internal error: {type(error).__name__}: {error}", err=True)
            if not _debugging():
                typer.echo(f"compliance: set {DEBUG_ENV}=1 to see the traceback, and please report it", err=True)
            sys.exit(EXIT_INTERNAL)

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        from compliance.engine.trust import option_file_message, option_files

        clashes = option_files(args)
        if clashes:
            raise UsageError(option_file_message(clashes[0]))
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_Commands,
    name="compliance",
    help="Policy-as-code compliance linter for Helm-based platform blueprints.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def split_ids(values: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(item.strip() for value in values or () for item in value.split(",") if item.strip())


def parse_variables(pairs: Sequence[str] | None) -> dict[str, str]:
    variables: dict[str, str] = {}
    for number, pair in enumerate(pairs or (), 1):
        name, sep, value = pair.partition("=")
        if not sep or not name:  # never echoed: it may be a secret given without its NAME=
            raise UsageError(f"--var expects NAME=VALUE: --var number {number} has no NAME= (value not shown)")
        variables[name] = value
    return variables


def redactor(var: list[str] | None, public_var: list[str] | None) -> Redactor:
    """What hides the `--var` values not named by `--public-var` in everything shown."""
    from compliance.report.redaction import Redactor

    return Redactor.of(parse_variables(var), split_ids(public_var))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"compliance {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Lint blueprints, charts and cluster overlays for compliance defects."""


def _outputs(formats: list[str] | None, output: str | None) -> list[tuple[str, str | None]]:
    """(format, file or None for stdout) from `--format FORMAT[:FILE]`; `--output` is the file of a bare FORMAT."""
    from compliance.report import REPORTERS

    outputs: list[tuple[str, str | None]] = []
    for value in formats or ["text"]:
        name, sep, file = value.partition(":")
        if name not in REPORTERS:
            raise UsageError(f"unknown format {name!r} in --format {value} (choose from {', '.join(REPORTERS)})")
        if sep and not file:
            raise UsageError(f"--format {value!r} has no file after ':'")
        outputs.append((name, file or None))
    if output is not None:
        bare = [index for index, (_, file) in enumerate(outputs) if file is None]
        if len(bare) != 1:
            raise UsageError("--output is the file of exactly one --format given without ':FILE'")
        outputs[bare[0]] = (outputs[bare[0]][0], output)
    files = [os.path.abspath(file) for _, file in outputs if file]
    if len(set(files)) != len(files):
        raise UsageError("two --format outputs name the same file")
    for file in files:
        if not os.path.isdir(os.path.dirname(file)):
            raise UsageError(f"cannot write {file}: its folder does not exist")
    _remove_stale(files)
    return outputs


def _remove_stale(files: list[str]) -> None:
    """Remove the report files this run is asked to write, before it can fail: a stale `summary.md` or
    `results.sarif` (one the pull request committed) must never be published as this run's result."""
    for file in files:
        try:
            if not os.path.isdir(file):
                os.unlink(file)
        except FileNotFoundError:
            pass
        except OSError as error:
            raise UsageError(f"cannot replace {file}: {error.strerror or error}") from None


def _write_reports(reports: list[tuple[str | None, str]]) -> None:
    """Each file atomically, the rest to stdout, in the order the formats were given."""
    from compliance.output import write_atomic, write_stdout

    for file, report in reports:
        if file is None:
            write_stdout(report)
            continue
        try:
            write_atomic(file, report)
        except OSError as error:
            raise UsageError(f"cannot write {file}: {error.strerror or error}") from None


def _render_setup(renderer: RendererName, no_cache: bool, manifests: str | None, other_inputs: bool) -> str | None:
    """The render cache folder (None: no cache); usage errors for what cannot be done."""
    if manifests is not None and other_inputs:
        raise UsageError("--manifests lints one stream: it takes no PATHS, --files or --diff-base")
    if manifests is not None:  # the stream is not rendered, but a renderer asked for must exist all the same
        from compliance.app.run import choose_renderer

        choose_renderer(renderer.value)
    if no_cache or renderer is RendererName.none:
        return None
    from compliance.render.cache import default_cache_dir

    return default_cache_dir()


def render_bounds(seconds: float | None, memory_mb: int | None) -> Bounds:
    """`--render-timeout`/`--render-memory` over the defaults of compliance.render.bounds."""
    from compliance.render.bounds import Bounds

    default = Bounds()
    return Bounds(seconds if seconds is not None else default.seconds, memory_mb or default.memory_mb)


@app.command()
def lint(
    paths: Annotated[list[str] | None, typer.Argument(help="Repository roots (or files) to lint.")] = None,
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT[:FILE]",
            help="Report format (text, json, sarif, github, markdown, junit), to FILE or stdout; repeatable.",
        ),
    ] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write the report of the --format given without a FILE here.")
    ] = None,
    fail_on: FailOnOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    var: VarOption = None,
    public_var: PublicVarOption = None,
    rules: RulesOption = None,
    trust_repository_rules: TrustRulesOption = False,
    config: ConfigOption = None,
    baseline: BaselineOption = None,
    no_inline_suppressions: NoInlineOption = False,
    today: TodayOption = None,
    diff_base: Annotated[
        str | None, typer.Option(metavar="REF", help="Report and fail only on findings new since this git ref.")
    ] = None,
    config_from: ConfigFromOption = None,
    changed_files: Annotated[
        bool, typer.Option("--files", help="PATHS are changed files (pre-commit): lint what they affect in '.'.")
    ] = False,
    renderer: RendererOption = RendererName.auto,
    no_cache: NoCacheOption = False,
    render_timeout: RenderTimeoutOption = None,
    render_memory: RenderMemoryOption = None,
    manifests: Annotated[
        str | None,
        typer.Option(metavar="FILE", help="Lint a rendered manifest stream (`helm template` output; - for stdin)."),
    ] = None,
    max_file_size: Annotated[
        int | None,
        typer.Option(metavar="BYTES", min=1, help="Largest YAML file read (default 10 MiB); a larger one is YML003."),
    ] = None,
    max_total_size: MaxTotalSizeOption = None,
    max_total_nodes: MaxTotalNodesOption = None,
) -> None:
    """Lint a blueprint repository and report located findings."""
    from compliance.app.api import LintRun, load_rules
    from compliance.app.gaterun import gate_report, lint_against_base
    from compliance.app.run import RunRequest, build_run
    from compliance.cli.config_command import apply_baseline, fails, overrides
    from compliance.engine.affected import repo_relative
    from compliance.governance.comparison import Comparison, merge
    from compliance.load.budget import input_limits
    from compliance.model.findings import Finding, sort_findings
    from compliance.report import ReportData, reporter
    from compliance.settings.config import Overrides
    from compliance.yaml import Limits

    outputs = _outputs(formats, output)  # first: it removes stale report files before anything can fail
    fail_level = fail_on.value if fail_on is not None else None
    options = overrides(config, select, ignore, fail_on, var, no_inline_suppressions, today)
    hide = redactor(var, public_var)
    if baseline is not None and diff_base is not None:
        raise UsageError("--baseline and --diff-base cannot be combined")
    if config_from is not None and diff_base is None:
        raise UsageError("--config-from chooses between the --diff-base ref's config and the pull request's")
    if config_from is not None and options.config is not None:
        raise UsageError(f"--config-from and a pinned config ({options.config_origin}) cannot be combined")
    config_from = config_from or ConfigFromName.base
    roots = paths or ["."]
    changed = repo_relative(".", paths or ()) if changed_files else None
    if changed_files:
        roots = ["."]
    for root in roots:
        if not os.path.exists(root):
            raise UsageError(f"path does not exist: {root}")
    cache_dir = _render_setup(renderer, no_cache, manifests, bool(paths or changed_files or diff_base))

    limits = input_limits(Limits(), max_file_size, max_total_size, max_total_nodes)
    bounds = render_bounds(render_timeout, render_memory)

    def lint_root(root: str, options: Overrides) -> LintRun:
        if manifests is not None:
            from compliance.app.api import lint_manifests

            return lint_manifests(manifests, options, rules or (), trust_repository_rules)
        request = RunRequest(
            root,
            options,
            tuple(rules or ()),
            trust_repository_rules,
            changed=tuple(changed) if changed is not None else None,
            renderer=renderer.value,
            cache_dir=cache_dir,
            limits=limits,
            render_bounds=bounds,
        )
        return build_run(request).lint

    runs: list[LintRun] = []
    comparisons: list[Comparison] = []
    gate: list[Finding] = []
    specs = load_rules(rules or (), roots=roots, trust_repository_rules=trust_repository_rules)
    for root in roots:
        if diff_base is None:
            runs.append(lint_root(root, options))
            continue
        governed = lint_against_base(root, diff_base, options, config_from.value, lint_root, specs)
        runs.append(governed.run)
        comparisons.append(governed.comparison)
        gate += governed.gate
    findings = sort_findings([f for run in runs for f in run.findings])
    diff = merge(comparisons) if comparisons else None
    if diff is not None:  # only new findings are reported and counted, and the pull request's config changes
        findings = sort_findings([*diff.new, *gate])
    known = apply_baseline(baseline, findings) if baseline is not None else None
    if known is not None:  # likewise: only findings the baseline does not record
        findings = list(known.new)
    compared = diff or known
    extra: dict[str, object] = compared.summary() if compared is not None else {}
    extra["gate"] = gate_report(runs, specs, baseline)
    data = ReportData(  # what is shown: secret --var values hidden (the verdict below judges the real findings)
        findings=hide.findings(findings),
        rules=runs[0].rules + tuple(s for s in specs if gate and s.id == "GATE001" and s not in runs[0].rules),
        root=runs[0].repo.root,
        repos=tuple(run.repo for run in runs),
        evaluated=frozenset().union(*(run.evaluated for run in runs)),
        fixed=hide.findings(compared.fixed if compared is not None else ()),
        suppressed=hide.suppressed(
            sorted((s for run in runs for s in run.suppressed), key=lambda s: s.finding.sort_key())
        ),
        extra=extra,
    )
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    reports = [(file, reporter(name).render(data, color and file is None)) for name, file in outputs]
    _write_reports(reports)
    if fails(runs, findings, fail_level):
        raise typer.Exit(EXIT_FINDINGS)


@app.command("rules")
def list_rules(
    rules: Annotated[list[str] | None, typer.Option(help="Also load rule modules from a file or folder.")] = None,
) -> None:
    """List every rule: id, default severity, family and title."""
    from compliance.app.api import load_rules

    specs = load_rules(rules or ())
    width = max((len(s.family) for s in specs), default=6)
    for spec in specs:
        typer.echo(f"{spec.id}  {spec.severity.value:<7}  {spec.family:<{width}}  {spec.title}")


@app.command()
def explain(
    rule_id: Annotated[str, typer.Argument(metavar="ID", help="A rule id, e.g. ATT001.")],
    rules: Annotated[list[str] | None, typer.Option(help="Also load rule modules from a file or folder.")] = None,
) -> None:
    """Print a rule's documentation: what it does, why, examples, how to fix."""
    from compliance.app.api import load_rules
    from compliance.engine.registry import get_rule

    load_rules(rules or ())
    spec = get_rule(rule_id)
    if spec is None:
        raise UsageError(f"unknown rule id: {rule_id} (see `compliance rules`)")
    typer.echo(f"{spec.id}: {spec.title}")
    typer.echo(f"severity: {spec.severity.value}   family: {spec.family}   scope: {spec.scope.value}")
    typer.echo(f"provider: {spec.provider}\n")
    typer.echo(spec.doc)


app.command("values")(values_command)
app.command("config")(config_command)
app.add_typer(baseline_app)
app.command("report")(report_command)
app.command("verify")(verify_command)


def run() -> None:
    try:
        app()  # errors become exit codes in `_Commands.main`
    except KeyboardInterrupt:
        sys.exit(130)
