"""What a set of changed files affects: the contexts a pre-commit run evaluates, and only those.

The whole repository is loaded (cheap: one parse per file); evaluation, the costly part, is limited:
- a blueprint, or any file in its chart's folder (`Chart.yaml`, `values.yaml`, templates for the
  rendered rules), affects that blueprint and every cluster deploying it;
- a file under `clusters/<name>/` (an overlay, a Flux `Kustomization`), or a `Kustomization` whose
  `spec.path` is the cluster, affects every release of that cluster (`dependsOn` is a cluster-wide graph);
- an overlay of the `_template` cluster, or the expected DAG, affects the repository-wide DAG checks;
  the expected DAG also affects every cluster (its edges are accepted by the `dependsOn` checks).
File-level findings (the loader's problems: YAML syntax, duplicate keys, ...) are reported for the
changed files only.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable
from dataclasses import replace

from compliance.build.graph import cluster_of
from compliance.load.repository import DAG_FILE_NAME
from compliance.model import Blueprint, Chart, Cluster, Repository
from compliance.records import record


@record
class Affected:
    files: frozenset[str]  # the changed files, repo-relative and '/'-separated
    blueprints: frozenset[str] = frozenset()  # blueprint files: their blueprint and release contexts run
    charts: frozenset[str] = frozenset()  # chart directories: every context of the chart runs
    clusters: frozenset[str] = frozenset()  # cluster names: every release of the cluster runs
    dag: bool = False  # repository-wide checks (the expected DAG) report everything they find
    # overlays of releases that install (or, by their pin, refuse) a changed chart: whether the pin selects
    # the chart is a repository-scope finding (FLX007) at the overlay, and a chart's version bump changes it
    pinning: frozenset[str] = frozenset()

    def blueprint(self, blueprint: Blueprint) -> bool:
        chart = blueprint.chart
        return blueprint.document.file in self.blueprints or (chart is not None and chart.directory in self.charts)

    def release(self, blueprint: Blueprint | None, chart: Chart | None, cluster: Cluster | None) -> bool:
        return (
            (cluster is not None and cluster.name in self.clusters)
            or (chart is not None and chart.directory in self.charts)
            or (blueprint is not None and blueprint.document.file in self.blueprints)
        )

    def repository_finding(self, path: str) -> bool:
        """Whether a repository-scope finding located in `path` is in scope."""
        return self.dag or in_scope(path, self.files) or path in self.pinning

    def narrow(self, repo: Repository) -> Repository:
        """The repository as repository-scope rules see it: loader problems of the changed files only."""
        return replace(repo, problems=tuple(p for p in repo.problems if p.file in self.files))


def in_scope(path: str, scope: Iterable[str]) -> bool:
    """Whether `path` (repo-relative, '/'-separated) is one of the files or under one of the folders of
    `scope`: what a pre-commit run (changed files) or a scoped lint (`compliance lint clusters/acme`) reports."""
    return any(path == item or path.startswith(item.rstrip("/") + "/") for item in scope)


def repo_relative(root: str, paths: Iterable[str]) -> tuple[str, ...]:
    """`paths` (relative to the working directory, or absolute) as '/'-separated paths under `root`.

    Paths outside `root` are dropped: they cannot affect it.
    """
    base = os.path.realpath(root)
    found: list[str] = []
    for path in paths:
        rel = os.path.relpath(os.path.realpath(path), base)
        if rel != os.curdir and not rel.startswith(os.pardir + os.sep) and rel != os.pardir:
            found.append(rel.replace(os.sep, "/"))
    return tuple(found)


def _under(path: str, directory: str) -> bool:
    return not directory or path.startswith(directory + "/")


def affected_by(repo: Repository, changed: Iterable[str]) -> Affected:
    """The contexts that files changed in `repo` (repo-relative paths) affect."""
    files = frozenset(changed)
    blueprints = {b.document.file for b in repo.blueprints if b.document.file in files}
    charts = {c.directory for c in repo.charts if any(_under(f, c.directory) for f in files)}
    clusters: set[str] = set()
    dag_path = repo.dag.document.file if repo.dag is not None else None
    dag_changed = any(f == dag_path or f.rsplit("/", 1)[-1] == DAG_FILE_NAME for f in files)
    kit_changed = False
    for cluster in repo.clusters:
        inside = [f for f in files if _under(f, cluster.directory)]
        if inside or not files.isdisjoint(cluster.sources):
            clusters.add(cluster.name)
        if cluster.is_template:  # an overlay changed, or deleted (no longer loaded), is part of the bootstrap kit
            release_files = {r.document.file for r in cluster.releases}
            kit_changed = any(f in release_files or f not in repo.documents for f in inside)
    for document in (d for f in files for d in repo.documents.get(f, ())):
        target = document.get(("spec", "path"), None)
        if document.get(("kind",), None) == "Kustomization" and isinstance(target, str):
            located = cluster_of(posixpath.normpath(target), directory=True)
            if located is not None:
                clusters.add(located[0])
    for cluster in repo.clusters:  # a Kustomization or a substituteFrom ConfigMap/Secret its releases read
        applied = (r.substitution for r in cluster.releases if r.substitution is not None)
        if any(not files.isdisjoint(s.sources) for s in applied):
            clusters.add(cluster.name)
    if dag_changed:
        clusters.update(c.name for c in repo.clusters)
    pinning: set[str] = set()
    if charts:
        for release in (r for cluster in repo.clusters for r in cluster.releases):
            choice = repo.chart_choice(release)
            chart = choice.chart if choice.chart is not None else choice.refused
            if chart is not None and repo.base_chart(chart).directory in charts:
                pinning.add(release.document.file)
    return Affected(
        files,
        frozenset(blueprints),
        frozenset(charts),
        frozenset(clusters),
        dag_changed or kit_changed,
        frozenset(pinning),
    )
