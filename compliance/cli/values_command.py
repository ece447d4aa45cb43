"""`compliance values`: its options, over `compliance.app.values` (kept light: the CLI imports it)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from compliance.cli.emit import emit
from compliance.cli.options import ClusterOption, PublicVarOption, RootArgument, VarOption, overrides, redactor


class ValuesFormat(str, Enum):
    yaml = "yaml"
    json = "json"


def values(
    path: RootArgument = ".",
    cluster: ClusterOption = None,
    blueprint: Annotated[
        str | None, typer.Option(help="Blueprint, chart or HelmRelease name (optional when there is one).")
    ] = None,
    against: Annotated[str | None, typer.Option(help="Show what differs from this cluster instead.")] = None,
    output_format: Annotated[ValuesFormat, typer.Option("--format", "-f", help="Output format.")] = ValuesFormat.yaml,
    blame: Annotated[bool, typer.Option(help="Annotate every leaf with the file:line that set it.")] = False,
    every: Annotated[
        bool, typer.Option("--all", help="Every release the cluster deploys: one JSON, or one YAML document each.")
    ] = False,
    var: VarOption = None,
    public_var: PublicVarOption = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the output to FILE.")] = None,
) -> None:
    """Print the effective values one cluster deploys for a blueprint, with the origin of every leaf."""
    from compliance.app.run import RunRequest
    from compliance.app.values import ValuesQuery
    from compliance.app.values import values as values_outcome

    request = RunRequest(path, overrides(var=var))
    hide = redactor(var, public_var)  # shown, never judged: secrets hidden
    query = ValuesQuery(cluster, blueprint, against, output_format.value, blame, every)
    emit(values_outcome(request, hide, query, output))
