"""The command line: parse options, run, pick reporters, choose the exit code. Nothing else."""

from __future__ import annotations

import os
import sys
from enum import Enum
from typing import Annotated

import typer

from compliance import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

app = typer.Typer(
    name="compliance",
    help="Policy-as-code compliance linter for Helm-based platform blueprints.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


def usage_error(message: str) -> typer.Exit:
    typer.echo(f"compliance: error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


def _split(values: list[str] | None) -> tuple[str, ...]:
    return tuple(item.strip() for value in values or () for item in value.split(",") if item.strip())


def _variables(pairs: list[str] | None) -> dict[str, str]:
    variables: dict[str, str] = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise usage_error(f"--var expects NAME=VALUE, got {pair!r}")
        variables[name] = value
    return variables


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


@app.command()
def lint(
    paths: Annotated[list[str] | None, typer.Argument(help="Repository roots (or files) to lint.")] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Report format.")] = OutputFormat.text,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the report to FILE.")] = None,
    fail_on: Annotated[FailOn, typer.Option(help="Lowest severity that fails the run.")] = FailOn.error,
    select: Annotated[list[str] | None, typer.Option(help="Only these rule ids or prefixes.")] = None,
    ignore: Annotated[list[str] | None, typer.Option(help="Skip these rule ids or prefixes.")] = None,
    var: Annotated[list[str] | None, typer.Option(help="Flux variable NAME=VALUE.")] = None,
    rules: Annotated[list[str] | None, typer.Option(help="Load rule modules from a file or folder.")] = None,
) -> None:
    """Lint a blueprint repository and report located findings."""
    from compliance.api import LintRun, lint_path
    from compliance.engine import SelectionError
    from compliance.findings import Severity, sort_findings
    from compliance.registry import PluginError
    from compliance.reporters import ReportData, reporter
    from compliance.repository import InputError

    variables = _variables(var)
    roots = paths or ["."]
    for root in roots:
        if not os.path.exists(root):
            raise usage_error(f"path does not exist: {root}")
    runs: list[LintRun] = []
    try:
        for root in roots:
            runs.append(lint_path(root, _split(select), _split(ignore), variables, rules or ()))
    except (PluginError, SelectionError, InputError) as error:
        raise usage_error(str(error)) from None
    findings = sort_findings([f for run in runs for f in run.findings])
    data = ReportData(
        findings=tuple(findings),
        rules=runs[0].rules,
        root=runs[0].repo.root,
        repos=tuple(run.repo for run in runs),
    )
    color = output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    report = reporter(output_format.value).render(data, color)
    if output:
        from compliance.output import write_atomic

        write_atomic(output, report)
    else:
        sys.stdout.write(report)
    if fail_on is not FailOn.never:
        threshold = Severity(fail_on.value).rank
        if any(f.severity.rank >= threshold for f in findings):
            raise typer.Exit(EXIT_FINDINGS)


@app.command("rules")
def list_rules(
    rules: Annotated[list[str] | None, typer.Option(help="Also load rule modules from a file or folder.")] = None,
) -> None:
    """List every rule: id, default severity, family and title."""
    from compliance.api import load_rules
    from compliance.registry import PluginError

    try:
        specs = load_rules(rules or ())
    except PluginError as error:
        raise usage_error(str(error)) from None
    width = max((len(s.family) for s in specs), default=6)
    for spec in specs:
        typer.echo(f"{spec.id}  {spec.severity.value:<7}  {spec.family:<{width}}  {spec.title}")


@app.command()
def explain(
    rule_id: Annotated[str, typer.Argument(metavar="ID", help="A rule id, e.g. ATT001.")],
    rules: Annotated[list[str] | None, typer.Option(help="Also load rule modules from a file or folder.")] = None,
) -> None:
    """Print a rule's documentation: what it does, why, examples, how to fix."""
    from compliance.api import load_rules
    from compliance.registry import PluginError, get_rule

    try:
        load_rules(rules or ())
    except PluginError as error:
        raise usage_error(str(error)) from None
    spec = get_rule(rule_id)
    if spec is None:
        raise usage_error(f"unknown rule id: {rule_id} (see `compliance rules`)")
    typer.echo(f"{spec.id}: {spec.title}")
    typer.echo(f"severity: {spec.severity.value}   family: {spec.family}   scope: {spec.scope.value}")
    typer.echo(f"provider: {spec.provider}\n")
    typer.echo(spec.doc)


def run() -> None:
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # never a traceback for the user; say what broke
        typer.echo(f"compliance: internal error: {type(error).__name__}: {error}", err=True)
        sys.exit(EXIT_INTERNAL)
