"""The build stage: what each cluster applies, built as Flux and kustomize build it.

Between loading (documents with positions) and effective values: `build_clusters` finds the clusters
(`graph.entries`), runs kustomize-controller's loop for each (`graph.build_cluster`: Flux Kustomizations,
`kustomize.Build` with patches in `patches`, post-build variables in `variables`), and returns the clusters
with their HelmReleases (each one's document is the patched resource, with the patch files' positions),
plus what no cluster explains. Pure: it reads no file; `compliance.load.repository` calls it.
"""

from __future__ import annotations

from collections.abc import Mapping

from compliance.build.graph import build_cluster, entries, unapplied
from compliance.build.kustomize import Tree
from compliance.model import Cluster, YamlDocument
from compliance.model.flux import BuildProblem


def build_clusters(
    documents: Mapping[str, tuple[YamlDocument, ...]],
    texts: Mapping[str, str] | None = None,
    broken: frozenset[str] = frozenset(),
) -> tuple[tuple[Cluster, ...], tuple[BuildProblem, ...]]:
    """Every cluster of the repository, and the problems no cluster owns (HelmReleases nothing applies).

    `broken`: files the loader could not read whole (already an error finding): built with what was read."""
    tree = Tree(documents, texts or {}, broken)
    clusters: list[Cluster] = []
    used: set[str] = set()
    found = entries(documents)
    entry_paths = {e.path for e in found}
    outside = [
        d
        for file, docs in documents.items()
        if not _under_any(file, entry_paths)
        for d in docs
        if d.get(("kind",), "") in ("ConfigMap", "Secret")
    ]
    for entry in found:
        built = build_cluster(tree, entry, outside)
        clusters.append(built.cluster)
        used |= built.used
    return tuple(sorted(clusters, key=lambda c: c.name)), tuple(unapplied(documents, used))


__all__ = ["build_clusters"]


def _under_any(file: str, folders: set[str]) -> bool:
    """Whether `file` lies in one of `folders` ("" is the root): its own folders looked up, not every entry
    compared (a repository with many clusters and files made that quadratic)."""
    if "" in folders:
        return True
    parts = file.split("/")
    return any("/".join(parts[:depth]) in folders for depth in range(1, len(parts)))
