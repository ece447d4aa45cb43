"""`compliance clusters`: what the build stage understood — each cluster's entry, the Flux Kustomizations it
applies (path, who applies it, dependencies, variable sources, whether it builds) and its HelmReleases."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from compliance.app.config import run_at
from compliance.app.outcome import Outcome, Output
from compliance.errors import UsageError

if TYPE_CHECKING:
    from compliance.app.run import RunRequest
    from compliance.model import Cluster, Repository


def clusters(request: RunRequest, output_format: str = "text", name: str | None = None) -> Outcome:
    run = run_at(replace(request, evaluate=False))
    repo = run.lint.repo
    chosen = [c for c in repo.clusters if name is None or c.name == name]
    if name is not None and not chosen:
        known = ", ".join(c.name for c in repo.clusters) or "(none)"
        raise UsageError(f"unknown cluster: {name}; clusters: {known}")
    if output_format == "json":
        text = json.dumps(_document(repo, chosen), indent=2, ensure_ascii=False) + "\n"
    else:
        text = _text(repo, chosen)
    return Outcome((Output(text),))


def _cluster(cluster: Cluster) -> dict[str, Any]:
    return {
        "name": cluster.name,
        "entry": cluster.directory,
        "kustomizations": [
            {
                "name": k.name,
                "file": k.file,
                "path": k.path,
                "appliedBy": k.applied_by,
                "dependsOn": list(k.depends_on),
                "targetNamespace": k.target_namespace,
                "postBuild": bool(k.substitution and k.substitution.post_build),
                "variables": sorted(k.substitution.variables) if k.substitution else [],
                "variableSources": list(k.substitution.sources[1:]) if k.substitution else [],
                "remoteCluster": k.remote,
                "releases": k.releases,
                "error": k.error,
            }
            for k in cluster.kustomizations
        ],
        "releases": [
            {
                "name": r.name,
                "namespace": r.namespace,
                "file": r.document.file,
                "kustomization": r.kustomization,
                "patchedBy": list(dict.fromkeys(w.file for w in r.patches)),
            }
            for r in cluster.releases
        ],
        "problems": [
            {"code": p.code, "message": p.message, "file": p.location.path, "line": p.location.line}
            for p in cluster.problems
        ],
    }


def _document(repo: Repository, chosen: list[Cluster]) -> dict[str, Any]:
    return {
        "clusters": [_cluster(c) for c in chosen],
        "notApplied": [
            {"code": p.code, "message": p.message, "file": p.location.path, "line": p.location.line}
            for p in repo.build_problems
        ],
    }


def _text(repo: Repository, chosen: list[Cluster]) -> str:
    if not chosen:
        return "no clusters: no Flux Kustomization applies itself and there is no clusters/<name>/ folder\n"
    lines: list[str] = []
    for cluster in chosen:
        lines.append(f"{cluster.name}  (entry: {cluster.directory or '.'}, {len(cluster.releases)} HelmReleases)")
        for k in cluster.kustomizations:
            where = f" [{k.file}]" if k.file else " [entry]"
            state = f"  FAILS: {k.error}" if k.error else ""
            lines.append(f"  Kustomization {k.name} -> {k.path or '.'}{where}{state}")
            details = []
            if k.applied_by:
                details.append(f"applied by {k.applied_by}")
            if k.depends_on:
                details.append("depends on " + ", ".join(k.depends_on))
            if k.target_namespace:
                details.append(f"targetNamespace {k.target_namespace}")
            if k.substitution is not None and k.substitution.post_build:
                names = ", ".join(sorted(k.substitution.variables)) or "none"
                sources = ", ".join(k.substitution.sources[1:])
                details.append(f"variables: {names}" + (f" (from {sources})" if sources else ""))
            if k.remote:
                details.append("applied to a remote cluster (spec.kubeConfig)")
            details.append(f"{k.releases} HelmReleases")
            lines.append("    " + "; ".join(details))
        for release in cluster.releases:
            patched = list(dict.fromkeys(w.file for w in release.patches))
            via = f" patched by {', '.join(patched)}" if patched else ""
            lines.append(f"  HelmRelease {release.namespace}/{release.name}  {release.document.file}{via}")
        for problem in cluster.problems:
            lines.append(f"  {problem.code} {problem.location.path}:{problem.location.line}: {problem.message}")
    for problem in repo.build_problems:
        lines.append(f"{problem.code} {problem.location.path}:{problem.location.line}: {problem.message}")
    return "\n".join(lines) + "\n"
