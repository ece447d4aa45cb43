"""`compliance values`: the command line of `compliance.app.valuesview` (kept light: the CLI imports it)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from compliance.cli.options import PublicVarOption, VarOption


class ValuesFormat(str, Enum):
    yaml = "yaml"
    json = "json"


def values(
    path: Annotated[str, typer.Argument(help="Repository root.")] = ".",
    cluster: Annotated[str | None, typer.Option(help="The cluster (a folder under clusters/).")] = None,
    blueprint: Annotated[
        str | None, typer.Option(help="Blueprint, chart or HelmRelease name (optional when there is one).")
    ] = None,
    against: Annotated[str | None, typer.Option(help="Show what differs from this cluster instead.")] = None,
    output_format: Annotated[ValuesFormat, typer.Option("--format", "-f", help="Output format.")] = ValuesFormat.yaml,
    blame: Annotated[bool, typer.Option(help="Annotate every leaf with the file:line that set it.")] = False,
    var: VarOption = None,
    public_var: PublicVarOption = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the output to FILE.")] = None,
) -> None:
    """Print the effective values one cluster deploys for a blueprint, with the origin of every leaf."""
    from compliance.app.valuesview import show_values
    from compliance.cli.config_command import overrides, run_of
    from compliance.cli.main import redactor

    run = run_of(path, overrides(var=var), None, False, evaluate=False)  # the project config applies, as in lint
    hide = redactor(var, public_var)  # shown, never judged: secrets hidden
    text, warnings = show_values(run, hide, cluster, blueprint, output_format.value, blame, against)
    for warning in warnings:
        typer.echo(f"compliance: warning: {warning}", err=True)
    if output:
        from compliance.output import write_atomic

        write_atomic(output, text)
    else:
        from compliance.output import write_stdout

        write_stdout(text)
