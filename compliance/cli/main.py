"""The command line: parse options, call the application layer (`compliance.app`), write its `Outcome` out
(`compliance.cli.emit`) and exit with its code. Nothing else.

One handler (`_Commands.main`) maps what a command raises to the exit code: a `compliance.errors.UsageError`
is the user's to fix (its message, exit 2), any other exception is a bug (exit 3, "internal error");
`COMPLIANCE_DEBUG=1` prints the traceback of either.
"""

from __future__ import annotations

import copy
import os
import sys
import traceback
from dataclasses import replace
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer
import typer.core

if TYPE_CHECKING:  # typer vendors click; its Group.parse_args takes that Context
    from typer._click.core import Context as ClickContext

from compliance import __version__
from compliance.app.outcome import EXIT_INTERNAL, EXIT_USAGE
from compliance.cli.clusters_command import clusters as clusters_command
from compliance.cli.config_command import baseline_app, config_command
from compliance.cli.emit import color_wanted, emit, markdown_for_terminal, terminal
from compliance.cli.options import (
    AllowEmptyOption,
    BaselineOption,
    ChartCacheOption,
    ConfigFromName,
    ConfigFromOption,
    ConfigOption,
    FailOnOption,
    FetchDependenciesOption,
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
    overrides,
    redactor,
    render_bounds,
    render_setup,
)
from compliance.cli.report_command import report as report_command
from compliance.cli.test_command import policy_test as policy_test_command
from compliance.cli.values_command import values as values_command
from compliance.cli.verify_command import verify as verify_command
from compliance.cli.whatif_command import whatif as whatif_command
from compliance.errors import UsageError

DEBUG_ENV = "COMPLIANCE_DEBUG"  # =1: print the traceback of an error


def _debugging() -> bool:
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


class _Commands(typer.core.TyperGroup):
    """The one place an error becomes an exit code; refuses a file name that would be read as an option
    (`compliance.engine.trust.option_files`) before any command parses its options: pre-commit appends the
    changed files to the hook's arguments without `--`."""

    def main(self, *args: object, **kwargs: object) -> object:
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

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
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


class ShowSeverity(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


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
    chart_cache: ChartCacheOption = None,
    fetch_dependencies: FetchDependenciesOption = False,
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
    allow_empty: AllowEmptyOption = False,
    show_severity: Annotated[
        ShowSeverity,
        typer.Option(help="Text output lists findings at or above this severity; the summary counts all of them."),
    ] = ShowSeverity.info,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Text output: do not list infos (--show-severity warning).")
    ] = False,
    whatif: Annotated[
        bool, typer.Option("--whatif", help="Add FLX006 infos: Flux variable values that would fail (docs/whatif.md).")
    ] = False,
) -> None:
    """Lint a blueprint repository and report located findings."""
    from compliance.app.lint import LintRequest
    from compliance.app.lint import lint as lint_outcome
    from compliance.app.run import RunRequest
    from compliance.load.budget import input_limits
    from compliance.yaml import Limits

    outputs = _outputs(formats, output)  # first: it removes stale report files before anything can fail
    options = overrides(config, select, ignore, fail_on, var, no_inline_suppressions, today, allow_empty)
    hide = redactor(var, public_var)
    if baseline is not None and diff_base is not None:
        raise UsageError("--baseline and --diff-base cannot be combined")
    if config_from is not None and diff_base is None:
        raise UsageError("--config-from chooses between the --diff-base ref's config and the pull request's")
    if config_from is not None and options.config is not None:
        raise UsageError(f"--config-from and a pinned config ({options.config_origin}) cannot be combined")
    roots = paths or ["."]
    changed = None
    if changed_files:
        from compliance.engine.affected import repo_relative

        changed = repo_relative(".", paths or ())
        roots = ["."]
    for root in roots:
        if not os.path.exists(root):
            raise UsageError(f"path does not exist: {root}")
    if chart_cache is not None and not os.path.isdir(chart_cache):
        raise UsageError(f"--chart-cache: not a directory: {chart_cache}")
    options = replace(options, chart_cache=chart_cache, fetch_dependencies=fetch_dependencies or None)
    cache_dir = render_setup(renderer, no_cache, manifests, bool(paths or changed_files or diff_base))
    shared = RunRequest(
        roots[0],
        options,
        tuple(rules or ()),
        trust_repository_rules,
        changed=tuple(changed) if changed is not None else None,
        renderer=renderer.value,
        cache_dir=cache_dir,
        limits=input_limits(Limits(), max_file_size, max_total_size, max_total_nodes),
        render_bounds=render_bounds(render_timeout, render_memory),
    )
    request = LintRequest(
        shared,
        tuple(roots),
        tuple(outputs),
        hide,
        fail_on=fail_on.value if fail_on is not None else None,
        baseline=baseline,
        diff_base=diff_base,
        config_from=(config_from or ConfigFromName.base).value,
        manifests=manifests,
        color=color_wanted(),
        show_severity="warning" if quiet and show_severity is ShowSeverity.info else show_severity.value,
        whatif=whatif,
    )
    emit(lint_outcome(request))


class PreferName(str, Enum):
    chart = "chart"
    blueprint = "blueprint"


@app.command()
def fix(
    path: Annotated[str, typer.Argument(help="Repository root to fix.")] = ".",
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    diff: Annotated[bool, typer.Option("--diff", help="Print a unified diff of the fixes; write nothing.")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when a fix would change something (CI); write nothing.")
    ] = False,
    fix_dag: Annotated[
        bool, typer.Option("--fix-dag", help="Also update scripts/expected-bootstrap-deps.yaml (DAG001, DAG002).")
    ] = False,
    prefer: Annotated[
        PreferName, typer.Option(help="VER001: whose version wins, the chart's (default) or the blueprint's.")
    ] = PreferName.chart,
    fail_on: FailOnOption = None,
    var: VarOption = None,
    rules: RulesOption = None,
    trust_repository_rules: TrustRulesOption = False,
    config: ConfigOption = None,
    no_inline_suppressions: NoInlineOption = False,
    today: TodayOption = None,
) -> None:
    """Repair mechanical defects in place, changing only the bytes each fix must; then lint again."""
    from compliance.app.fix import FixRequest
    from compliance.app.fix import fix as fix_outcome
    from compliance.app.run import RunRequest

    if not os.path.isdir(path):
        raise UsageError(f"not a folder: {path}")
    options = overrides(config, select, ignore, fail_on, var, no_inline_suppressions, today)
    run = RunRequest(path, options, tuple(rules or ()), trust_repository_rules, renderer="none")
    request = FixRequest(
        run, diff, check, fix_dag, prefer.value, fail_on=fail_on.value if fail_on is not None else None
    )
    emit(fix_outcome(request))


class RulesFormat(str, Enum):
    text = "text"
    json = "json"


@app.command("rules")
def list_rules(
    rules: Annotated[list[str] | None, typer.Option(help="Also load rule modules from a file or folder.")] = None,
    output_format: Annotated[
        RulesFormat, typer.Option("--format", "-f", help="text: one line per rule; json: every rule's metadata.")
    ] = RulesFormat.text,
) -> None:
    """List every rule: id, default severity, family and title."""
    from compliance.app.rules import list_rules as rules_outcome

    emit(rules_outcome(tuple(rules or ()), output_format.value))


@app.command()
def explain(
    rule_id: Annotated[str, typer.Argument(metavar="ID", help="A rule id, e.g. ATT001.")],
    rules: Annotated[list[str] | None, typer.Option(help="Also load rule modules from a file or folder.")] = None,
) -> None:
    """Print a rule's documentation: what it does, why, examples, how to fix (laid out in a terminal, raw Markdown
    when piped)."""
    from compliance.app.outcome import Outcome, Output
    from compliance.app.rules import explain as explain_outcome

    outcome = explain_outcome(rule_id, tuple(rules or ()))
    if terminal():
        outcome = Outcome(tuple(Output(markdown_for_terminal(str(o.content))) for o in outcome.outputs))
    emit(outcome)


app.command("values")(values_command)
app.command("clusters")(clusters_command)
app.command("config")(config_command)
app.add_typer(baseline_app)
app.command("report")(report_command)
app.command("verify")(verify_command)
app.command("test")(policy_test_command)
app.command("whatif")(whatif_command)


def app_for(args: list[str]) -> typer.Typer:
    """The app with only the command the first argument names: typer builds the click parameters of every
    registered command when it starts (`lint` alone is a third of that). Anything else (no command, an
    option first, a group, `--help`) gets the whole app, so help and errors read as usual."""
    import typer.main

    def name(info: typer.models.CommandInfo) -> str | None:
        callback = info.callback
        return info.name or (typer.main.get_command_name(callback.__name__) if callback is not None else None)

    commands = [info for info in app.registered_commands if args and name(info) == args[0]]
    if len(commands) != 1:
        return app
    slim = copy.copy(app)
    slim.registered_commands = commands
    slim.registered_groups = []
    return slim


def run() -> None:
    try:
        app_for(sys.argv[1:])()  # errors become exit codes in `_Commands.main`
    except KeyboardInterrupt:
        sys.exit(130)
