"""Clusters as Flux builds them: entry points, the Kustomization graph, and the HelmReleases each applies.

A cluster is an entry path: the `spec.path` of a Flux Kustomization that applies itself (the
`flux-system` Kustomization `flux bootstrap` writes into `clusters/<name>/flux-system/gotk-sync.yaml`),
else each `clusters/<name>/` folder (the convention every new cluster copies). From the entry,
kustomize-controller's loop: build the path (generating a kustomization where there is none), collect the
objects, build every Flux Kustomization the build yields (breadth first, each once), and give each
HelmRelease the post-build substitution of the Kustomization whose build yields it. `substituteFrom`
ConfigMaps and Secrets are looked up among the objects the cluster's builds yield, as on the cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import field, replace
from typing import Any

from compliance.build.generators import name_hashes
from compliance.build.kustomize import Build, BuildError, Tree
from compliance.build.releases import release_of
from compliance.build.resource import Resource
from compliance.build.valuesfrom import values_sources
from compliance.build.variables import Objects, config_objects, normalized, substitution
from compliance.model import Cluster, HelmRelease, YamlDocument
from compliance.model import text_of as _text
from compliance.model.findings import Location
from compliance.model.flux import (
    BUILD_FAILS,
    NOT_APPLIED,
    NOT_MODELLED,
    BuildProblem,
    FluxKustomization,
    Substitution,
)
from compliance.records import record

FLUX_KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
FLUX_HELM_GROUP = "helm.toolkit.fluxcd.io"
_GIT_SOURCES = ("GitRepository", "OCIRepository", "Bucket")
ENTRY = "flux-system/flux-system"


def _group(document: YamlDocument) -> str:
    api = document.get(("apiVersion",), "")
    return api.split("/", 1)[0] if isinstance(api, str) else ""


def is_flux_kustomization(document: YamlDocument) -> bool:
    return document.get(("kind",), "") == "Kustomization" and _group(document) == FLUX_KUSTOMIZE_GROUP


def is_helm_release(document: YamlDocument) -> bool:
    return document.get(("kind",), "") == "HelmRelease" and _group(document) == FLUX_HELM_GROUP


@record
class Entry:
    name: str
    path: str
    source: str = "flux-system"  # the source that is this repository: the entry's own sourceRef
    source_kind: str = "GitRepository"
    document: YamlDocument | None = None  # the self-applying Kustomization ("" : a convention folder)


def _self_applying(documents: Mapping[str, tuple[YamlDocument, ...]]) -> list[YamlDocument]:
    """Flux Kustomizations from this repository whose path holds their own file: `flux bootstrap`'s
    `flux-system` ones when there are any, else every such Kustomization."""
    found = []
    for file, docs in sorted(documents.items()):
        for document in docs:
            if is_flux_kustomization(document) and document.get(("spec", "sourceRef", "kind"), "") in (
                "",
                *_GIT_SOURCES,
            ):
                path = normalized(_text(document.get(("spec", "path"), "")))
                if path == "" or file.startswith(path + "/"):
                    found.append(document)
    bootstrap = [d for d in found if d.get(("metadata", "name"), "") == "flux-system"]
    return bootstrap or found


def entries(documents: Mapping[str, tuple[YamlDocument, ...]]) -> list[Entry]:
    """The clusters of a repository, in this order: self-applying Flux Kustomizations (the bootstrap's);
    `clusters/<name>/` folders none of them covers — built by the Kustomization that points at the folder
    when one does and nothing in the repository applies it, else as the folder itself; then any other such
    root Kustomization (applied from outside the repository) on its own."""
    found: list[Entry] = []
    for document in _self_applying(documents):
        path = normalized(_text(document.get(("spec", "path"), "")))
        if all(e.path != path for e in found):
            found.append(_entry(_cluster_name(path), path, document))
    conventions: dict[str, str] = {}
    for file in documents:
        located = cluster_of(file)
        if located is not None:
            conventions.setdefault(located[1], located[0])
    kustomizations = [d for _, docs in sorted(documents.items()) for d in docs if is_flux_kustomization(d)]
    targets = {normalized(_text(d.get(("spec", "path"), ""))) for d in kustomizations}
    roots = [
        d
        for d in kustomizations
        if not any(_below(d.file, e.path) for e in found)
        and not any(_below(d.file, folder) for folder in conventions)
        and d.get(("spec", "sourceRef", "kind"), "") in ("", *_GIT_SOURCES)
    ]
    for folder, name in sorted(conventions.items()):
        if any(_below(folder, e.path) or _below(e.path, folder) or folder == e.path for e in found):
            continue
        root = next((d for d in roots if normalized(_text(d.get(("spec", "path"), ""))) == folder), None)
        if root is not None:
            found.append(_entry(name, folder, root))
        elif folder not in targets:
            found.append(Entry(name, folder))
    for root in roots:
        path = normalized(_text(root.get(("spec", "path"), "")))
        if not any(path == e.path or _below(path, e.path) for e in found):
            found.append(_entry(_text(root.get(("metadata", "name"), "")) or path, path, root))
    names = [e.name for e in found]
    return [e if names.count(e.name) == 1 else replace(e, name=e.path) for e in found]


def cluster_of(rel: str, directory: bool = False) -> tuple[str, str] | None:
    """(cluster name, cluster directory) for a path under `clusters/<name>/` (the convention)."""
    parts = rel.split("/")
    dirs = parts if directory else parts[:-1]
    for index, part in enumerate(dirs[:-1]):
        if part == "clusters":
            return parts[index + 1], "/".join(parts[: index + 2])
    return None


def _below(file: str, folder: str) -> bool:
    return folder == "" or file.startswith(folder + "/")


def _entry(name: str, path: str, document: YamlDocument) -> Entry:
    source = _text(document.get(("spec", "sourceRef", "name"), ""))
    kind = _text(document.get(("spec", "sourceRef", "kind"), ""))
    return Entry(name, path, source, kind, document)


def _cluster_name(path: str) -> str:
    parts = path.split("/")
    if "clusters" in parts[:-1]:
        return "/".join(parts[parts.index("clusters") + 1 :])
    return parts[-1] if path else "."


@record(frozen=False, slots=False)
class _Node:
    """A Flux Kustomization in a cluster's graph."""

    name: str
    document: YamlDocument | None
    spec: Mapping[str, Any]
    applied_by: str
    resources: list[Resource] = field(default_factory=list)
    error: str = ""
    files: set[str] = field(default_factory=set)

    @property
    def path(self) -> str:
        return normalized(_text(self.spec.get("path")))


def _spec(document: YamlDocument) -> dict[str, Any]:
    spec = document.get(("spec",), {})
    out = dict(spec) if isinstance(spec, dict) else {}
    out["__document__"] = document
    out["__file__"] = document.file
    return out


def _name(document: YamlDocument) -> str:
    namespace = _text(document.get(("metadata", "namespace"), "")) or "default"
    return f"{namespace}/{_text(document.get(('metadata', 'name'), ''))}"


@record(frozen=False, slots=False)
class ClusterBuild:
    cluster: Cluster
    used: set[str]  # files whose objects some build yields, or that are patches


def build_cluster(tree: Tree, entry: Entry, outside: Iterable[YamlDocument] = ()) -> ClusterBuild:
    """`outside`: ConfigMaps and Secrets in no cluster's folder, for a `substituteFrom` the cluster's own builds
    do not yield (applied, like a root Kustomization from outside the repository, by its bootstrap)."""
    """Build one cluster from its entry path."""
    problems: list[BuildProblem] = []
    nodes: list[_Node] = []
    seen: set[str] = set()
    if entry.document is not None:  # the cluster's own bootstrap Kustomization is what runs
        queue = [_Node(_name(entry.document), entry.document, _spec(entry.document), "")]
    else:
        queue = [_Node(ENTRY, None, {"path": entry.path}, "")]
    used: set[str] = set()
    read: set[str] = set()
    while queue:
        node = queue.pop(0)
        build = Build(tree)
        try:
            if node.path and node.path not in tree.folders:
                raise BuildError(f"kustomization path not found: {node.path}", _node_location(node))
            node.resources = build.folder(node.path, node.spec)
            name_hashes(node.resources)
        except BuildError as error:
            node.error = str(error)
            problems.append(BuildProblem(BUILD_FAILS, f"Kustomization {node.name}: {error}", error.location))
        problems.extend(build.problems)
        used.update(build.read)  # a failing build's files too: they are applied once it builds
        read.update(build.read)
        node.files = build.read
        if not nodes and node.name not in seen:  # the entry: the repository's own (patched) spec is what runs
            own = next((r for r in node.resources if _same_kustomization(r, node.name)), None)
            if own is not None and not node.error and (node.document is None or own.written):
                document = own.built()
                queue.insert(0, _Node(node.name, document, _spec(document), ""))
                seen.add(node.name)
                continue
        seen.add(node.name)
        nodes.append(node)
        for resource in node.resources:
            used.add(resource.document.file)
            if resource.kind == "Kustomization" and resource.group == FLUX_KUSTOMIZE_GROUP:
                document = resource.built()
                name = _name(document)
                if name in seen or any(n.name == name for n in queue):
                    continue
                kind = _text(document.get(("spec", "sourceRef", "kind"), ""))
                source = _text(document.get(("spec", "sourceRef", "name"), ""))
                if not _same_source(kind, source, entry):
                    message = (
                        f"Kustomization {name}: its source {kind}/{source} is not this repository "
                        f"({entry.source_kind}/{entry.source}); its objects are not linted"
                    )
                    problems.append(BuildProblem(NOT_MODELLED, message, document.locate(("spec", "sourceRef"))))
                    continue
                substitutes = node.spec.get("postBuild") or node.document is None  # a supplied entry: assumed to
                if substitutes and _has_placeholder(document.get(("spec",), None)):
                    message = (
                        f"Kustomization {name}: its own spec holds a ${{...}} placeholder that {node.name}'s "
                        "post-build substitution fills in; the spec is read as written"
                    )
                    problems.append(BuildProblem(NOT_MODELLED, message, document.locate(("spec",))))
                queue.append(_Node(name, document, _spec(document), node.name))
    built = [r.built() for n in nodes for r in n.resources if not n.error]
    objects = config_objects([*built, *(d for d in outside if all(d.file != b.file for b in built))])
    releases: list[HelmRelease] = []
    kustomizations: list[FluxKustomization] = []
    for node in nodes:
        applied = substitution(node.document, objects) if node.document is not None else None
        if applied is not None and applied.post_build and applied.problems and not node.error:
            # Flux fails the Kustomization before applying anything (FLX002 reports why)
            node.error = f"post-build variables cannot be loaded: {applied.problems[0].message}"
        count = 0
        for resource in [] if node.error else node.resources:
            if resource.kind == "HelmRelease" and resource.group == FLUX_HELM_GROUP:
                releases.append(_release(resource, entry.name, node.name, applied, objects, tree.texts))
                count += 1
        kustomizations.append(_flux_kustomization(node, applied, count))
    cluster = Cluster(
        entry.name,
        entry.path,
        tuple(sorted(releases, key=lambda r: (r.document.file, r.name, r.namespace))),
        tuple(kustomizations),
        tuple(problems),
        frozenset(read | {k.file for k in kustomizations if k.file}),
    )
    return ClusterBuild(cluster, used)


def _has_placeholder(value: Any) -> bool:
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, dict):
        return any(_has_placeholder(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_placeholder(v) for v in value)
    return False


def _same_source(kind: str, name: str, entry: Entry) -> bool:
    """Whether a sourceRef is this repository: the entry's own source (a missing one is taken to be)."""
    if not kind and not name:
        return True
    if not entry.source_kind and not entry.source:  # the entry names none: any Git source
        return kind in _GIT_SOURCES
    return (kind, name) == (entry.source_kind, entry.source)


def _same_kustomization(resource: Resource, name: str) -> bool:
    return (
        resource.kind == "Kustomization"
        and resource.group == FLUX_KUSTOMIZE_GROUP
        and f"{resource.namespace or 'default'}/{resource.name}" == name
    )


def _node_location(node: _Node) -> Location:
    if node.document is not None:
        return node.document.locate(("spec", "path"))
    return Location(node.path or ".", 1, 1)


def _flux_kustomization(node: _Node, applied: Substitution | None, releases: int) -> FluxKustomization:
    spec = node.spec
    depends = tuple(
        _text(d.get("name")) for d in spec.get("dependsOn", []) or [] if isinstance(d, dict) and d.get("name")
    )
    return FluxKustomization(
        name=node.name,
        file=node.document.file if node.document is not None else "",
        path=node.path,
        applied_by=node.applied_by,
        depends_on=depends,
        target_namespace=_text(spec.get("targetNamespace")),
        substitution=applied,
        error=node.error,
        remote=isinstance(spec.get("kubeConfig"), dict),
        releases=releases,
        files=frozenset(node.files),
    )


def _release(
    resource: Resource,
    cluster: str,
    kustomization: str,
    applied: Substitution | None,
    objects: Objects,
    texts: Mapping[str, str],
) -> HelmRelease:
    document = resource.built()
    release = release_of(document, cluster)
    patched = resource.document if document is not resource.document else None
    return replace(
        release,
        substitution=applied,
        kustomization=kustomization,
        patches=tuple(resource.written),
        unpatched=patched,
        values_from=values_sources(document, objects, texts),
    )


def unapplied(documents: Mapping[str, tuple[YamlDocument, ...]], used: Iterable[str]) -> list[BuildProblem]:
    """HelmReleases no cluster's build applies (and that are not patches): reported, never linted as deployed."""
    used_files = set(used)
    problems = []
    for file, docs in sorted(documents.items()):
        if file in used_files:
            continue
        for document in docs:
            if is_helm_release(document):
                message = (
                    f"HelmRelease {_text(document.get(('metadata', 'name'), ''))} is not applied by any cluster: "
                    "no Flux Kustomization's build includes this file; it is not linted as deployed"
                )
                problems.append(BuildProblem(NOT_APPLIED, message, document.locate(("metadata", "name"))))
    return problems
