"""`compliance whatif`: its options, over `compliance.app.whatifrun` (kept light: the CLI imports it)."""

from __future__ import annotations

from typing import Annotated

import typer

from compliance.cli.emit import emit
from compliance.cli.options import (
    ClusterOption,
    PublicVarOption,
    RendererName,
    RendererOption,
    RootArgument,
    TextOrJson,
    TextOrJsonOption,
    VarOption,
    overrides,
    redactor,
)

DEFAULT_MAX_COMBINATIONS = 200  # compliance.app.whatif's, repeated so the CLI does not import it


def whatif(
    path: RootArgument = ".",
    cluster: ClusterOption = None,
    blueprint: Annotated[
        str | None, typer.Option(help="Blueprint, chart or HelmRelease name (default: every release of the cluster).")
    ] = None,
    var: VarOption = None,
    public_var: PublicVarOption = None,
    output_format: TextOrJsonOption = TextOrJson.text,
    max_combinations: Annotated[
        int, typer.Option(min=0, help="Evaluate at most this many pair assignments (the output says when it is hit).")
    ] = DEFAULT_MAX_COMBINATIONS,
    renderer: RendererOption = RendererName.none,
) -> None:
    """Which values of the cluster's Flux variables would add or remove findings, compared with the defaults."""
    from compliance.app.run import RunRequest
    from compliance.app.whatifrun import WhatIfQuery
    from compliance.app.whatifrun import whatif as whatif_outcome

    request = RunRequest(path, overrides(var=var), renderer=renderer.value)
    query = WhatIfQuery(cluster, blueprint, output_format.value, max_combinations)
    emit(whatif_outcome(request, query, redactor(var, public_var)))
