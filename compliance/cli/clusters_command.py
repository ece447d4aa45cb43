"""`compliance clusters`: its options, over `compliance.app.clusters`."""

from __future__ import annotations

from typing import Annotated

import typer

from compliance.cli.emit import emit
from compliance.cli.options import RootArgument, TextOrJson, TextOrJsonOption, VarOption, overrides


def clusters(
    path: RootArgument = ".",
    cluster: Annotated[str | None, typer.Option(help="Show only this cluster.")] = None,
    output_format: TextOrJsonOption = TextOrJson.text,
    var: VarOption = None,
) -> None:
    """List the clusters as Flux builds them: entry, Kustomizations, paths, variable sources, HelmReleases."""
    from compliance.app.clusters import clusters as clusters_outcome
    from compliance.app.run import RunRequest

    emit(clusters_outcome(RunRequest(path, overrides(var=var)), output_format.value, cluster))
