"""Dependencies: `dependsOn` edges against the blueprint and the bootstrap DAG (DEP, DAG).

Two sources say what a release waits for: the blueprint's `spec.depends` (what the component needs,
in blueprint names) and, for the bootstrap kit of the `_template` cluster, the expected DAG in
`scripts/expected-bootstrap-deps.yaml` (in HelmRelease names). Its header fixes the semantics:
every HelmRelease of `clusters/_template/bootstrap-kit/` declares exactly the listed set (missing or
extra edges are errors), a slot not on disk yet is "deferred" (info), and the graph of declared plus
actual edges must have no cycle.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace

from compliance.engine.context import ReleaseContext, RepositoryContext
from compliance.engine.registry import Scope, rule
from compliance.model import Blueprint, Cluster, Dependency, ExpectedDag, HelmRelease, Repository
from compliance.model.findings import Severity, Violation
from compliance.model.fixes import Edit, Fix
from compliance.records import record
from compliance.yaml import Path
from compliance_rules.controls import CHANGE

MAX_CYCLES = 50  # per strongly connected component; a tangled graph is reported, not enumerated


# ── DEP: the blueprint's `spec.depends` ─────────────────────────────────────────────────────


def declared_depends(blueprint: Blueprint) -> tuple[Dependency, ...] | None:
    """`spec.depends`, or None when the blueprint does not say (the key is absent)."""
    return None if blueprint.spec.get("depends") is None else blueprint.depends


@record
class _ClusterIndex:
    """What DEP001 asks of a cluster for each of its releases, worked out once per cluster: the names of
    the releases deploying each blueprint, how many releases bear each name, and every release's
    `dependsOn` names."""

    by_blueprint: dict[str, list[str]]
    named: Counter[str]
    edges: dict[str, set[str]]

    @staticmethod
    def of(repo: Repository, cluster: Cluster) -> _ClusterIndex:
        by_blueprint: dict[str, list[str]] = {}
        edges: dict[str, set[str]] = {}
        for release in cluster.releases:
            blueprint = repo.resolve_release(release)[1]
            if blueprint is not None:
                by_blueprint.setdefault(blueprint.name, []).append(release.name)
            edges.setdefault(release.name, set()).update(name for name, _ in release.depends_on)
        return _ClusterIndex(by_blueprint, Counter(r.name for r in cluster.releases), edges)

    def releases_of(self, blueprint_name: str) -> list[str]:
        """Names of the cluster's HelmReleases that deploy `blueprint_name` (else one so named)."""
        names = self.by_blueprint.get(blueprint_name)
        if names:
            return names
        return [blueprint_name] * self.named[blueprint_name]


# The last clusters indexed, by identity (the objects are kept, so an id cannot be reused while cached).
# INDEX_CACHE = 0 indexes the cluster again for every release: the reference the findings test compares.
INDEX_CACHE = 4
_indexed: dict[tuple[int, int], tuple[Repository, Cluster, _ClusterIndex]] = {}


def cluster_index(repo: Repository, cluster: Cluster) -> _ClusterIndex:
    """The cluster's `_ClusterIndex`, built once per cluster of a run rather than once per release."""
    key = (id(repo), id(cluster))
    cached = _indexed.get(key)
    if cached is not None and cached[0] is repo and cached[1] is cluster:
        return cached[2]
    index = _ClusterIndex.of(repo, cluster)
    if INDEX_CACHE > 0:
        while len(_indexed) >= INDEX_CACHE:
            del _indexed[next(iter(_indexed))]
        _indexed[key] = (repo, cluster, index)
    return index


@rule(
    "DEP001",
    "dependsOn disagrees with the blueprint's depends",
    Severity.WARNING,
    Scope.RELEASE,
    "dependencies",
    controls=CHANGE,
)
def depends_drift(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Compares a HelmRelease's `spec.dependsOn` with its blueprint's `spec.depends`. Blueprint names
    are mapped to the cluster's HelmReleases that deploy them (falling back to a release of the
    same name). It reports each `dependsOn` entry naming a release the blueprint does not depend
    on (an edge the expected bootstrap DAG lists for the release is a reviewed ordering edge and
    is accepted), and each required (non-`optional`) dependency deployed in the cluster that the
    release does not wait for, directly or through the releases it waits for. A blueprint
    without a `spec.depends` key states nothing and is not compared.

    ## Why it matters
    Flux installs a release as soon as the releases it names are Ready. A missing edge installs
    the component before what it needs (failed hooks, crash loops on first boot); an extra edge
    serializes the bootstrap for nothing, or deadlocks it if the named release never appears.

    ## Example
    ```yaml
    # blueprint.yaml: depends: [{blueprint: bp-cnpg}, {blueprint: bp-keycloak}]
    spec:
      dependsOn:
        - name: bp-cnpg
        - name: bp-gitea
    ```

    ## Use instead
    ```yaml
    spec:
      dependsOn:
        - name: bp-cnpg
        - name: bp-keycloak
    ```

    ## How to fix
    Make `dependsOn` and `spec.depends` say the same thing: add the missing edge, or declare the
    dependency in the blueprint if the release really needs it.
    """
    release, cluster, blueprint = ctx.release, ctx.cluster, ctx.blueprint
    if release is None or cluster is None or blueprint is None:
        return
    depends = declared_depends(blueprint)
    if depends is None:
        return
    entry = ctx.repo.dag.entry(release.name) if ctx.repo.dag is not None else None
    allowed = set(entry.depends_on) if entry is not None else set()
    required: list[tuple[str, list[str]]] = []
    indexed = cluster_index(ctx.repo, cluster)
    for dependency in depends:
        names = [n for n in indexed.releases_of(dependency.blueprint) if n != release.name]
        allowed.update(names or [dependency.blueprint])
        if not dependency.optional and names:
            required.append((dependency.blueprint, names))
    reported: set[str] = set()
    for name, index in release.depends_on:
        if name in allowed or name in reported:
            continue
        reported.add(name)
        yield ctx.at_release(
            ("spec", "dependsOn", index),
            f"{release.name} waits for {name}, but blueprint {blueprint.name} does not depend on it",
        )
    waits_for = _reachable(indexed.edges, release)
    for dependency_name, names in required:
        if not waits_for.intersection(names):
            yield ctx.at_release(
                ("spec", "dependsOn"),
                f"blueprint {blueprint.name} requires {dependency_name}, "
                f"but {release.name} does not wait for {' or '.join(names)}",
            )


def _reachable(edges: dict[str, set[str]], release: HelmRelease) -> set[str]:
    """Every release `release` waits for, directly or through the releases it waits for."""
    seen: set[str] = set()
    todo = [name for name, _ in release.depends_on]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(edges.get(name, ()))
    return seen


# ── DAG: the expected bootstrap DAG of the `_template` cluster ──────────────────────────────


@record
class _Kit:
    """The `_template` bootstrap-kit HelmReleases, by name (the first one wins on a repeat)."""

    releases: dict[str, HelmRelease]
    all: tuple[HelmRelease, ...]


def _kit(repo: Repository) -> _Kit | None:
    if repo.dag is None:
        return None
    template = next((c for c in repo.clusters if c.is_template), None)
    if template is None:
        return None
    kit_dir = f"{template.directory}/bootstrap-kit/"
    releases = tuple(r for r in template.releases if r.document.file.startswith(kit_dir)) or template.releases
    by_name: dict[str, HelmRelease] = {}
    for release in releases:
        by_name.setdefault(release.name, release)
    return _Kit(by_name, releases)


def _missing_edge_path(release: HelmRelease) -> Path:
    return ("spec", "dependsOn") if release.document.mark(("spec", "dependsOn")) else ("metadata", "name")


def _dag_edit(dag: ExpectedDag, path: Path, action: str, value: tuple[object, ...]) -> Edit | None:
    mark = dag.document.mark(path)
    return None if mark is None else Edit(dag.document.file, mark.line, mark.column, action, value)


def dag_edges_fix(dag: ExpectedDag, release: HelmRelease, index: int) -> Fix:
    """DAG001's fix (with --fix-dag): the slot's `depends_on` becomes the release's `dependsOn`."""
    names = tuple(dict.fromkeys(name for name, _ in release.depends_on))
    edit = _dag_edit(dag, ("slots", index, "depends_on"), "set-items", names)
    description = f"set the {release.name} slot's depends_on to [{', '.join(names)}] in {dag.document.file}"
    if edit is None:
        return Fix(description, mode="fix-dag", skipped="the slot has no depends_on list")
    return Fix(description, (edit,), mode="fix-dag")


def dag_slot_fix(dag: ExpectedDag, release: HelmRelease) -> Fix:
    """DAG002's fix (with --fix-dag): a slot for the release, numbered by its file name's prefix (`80-x.yaml`)."""
    names = [name for name in dict.fromkeys(name for name, _ in release.depends_on)]
    number = re.match(r"(\d+)-", release.document.file.rsplit("/", 1)[-1])
    description = f"add a {release.name} slot to {dag.document.file}"
    if number is None:
        return Fix(description, mode="fix-dag", skipped="its file name has no slot number (NN-name.yaml)")
    slot = {"slot": int(number.group(1)), "name": release.name, "depends_on": names}
    edit = _dag_edit(dag, ("slots",), "add-items", (slot,))
    if edit is None:
        return Fix(description, mode="fix-dag", skipped="the DAG file has no slots list")
    return Fix(description, (edit,), mode="fix-dag")


@rule(
    "DAG001",
    "dependsOn differs from the expected bootstrap DAG",
    Severity.ERROR,
    Scope.REPOSITORY,
    "dependencies",
    fix="with --fix-dag: set the slot's depends_on to the HelmRelease's dependsOn",
    controls=CHANGE,
)
def dag_edges(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    For each HelmRelease of `clusters/_template/bootstrap-kit/` listed in
    `scripts/expected-bootstrap-deps.yaml`, compares its `dependsOn` names with the slot's
    `depends_on` as sets, and reports every extra and every missing edge.

    ## Why it matters
    Every new cluster copies `_template`; the DAG file is the reviewed bootstrap order. A drifted
    edge installs a component before its prerequisites on every fresh cluster, or stalls it.

    ## Example
    ```yaml
    # expected-bootstrap-deps.yaml: {slot: 80, name: bp-newapi, depends_on: [bp-openbao, bp-cnpg]}
    metadata: {name: bp-newapi}
    spec:
      dependsOn: [{name: bp-openbao}]
    ```

    ## Use instead
    ```yaml
    metadata: {name: bp-newapi}
    spec:
      dependsOn: [{name: bp-openbao}, {name: bp-cnpg}]
    ```

    ## How to fix
    Change the HelmRelease, or the DAG file in the same change when the order really changed:
    `compliance fix --fix-dag` sets the slot's `depends_on` to the release's `dependsOn` (only on
    request, since the DAG file is the reviewed source of truth).
    """
    kit = _kit(ctx.repo)
    dag = ctx.repo.dag
    if kit is None or dag is None:
        return
    for release in kit.all:
        entry = dag.entry(release.name)
        if entry is None or kit.releases[release.name] is not release:
            continue
        fixes = (dag_edges_fix(dag, release, entry.index),)
        expected = set(entry.depends_on)
        actual = {name for name, _ in release.depends_on}
        reported: set[str] = set()
        for name, index in release.depends_on:
            if name not in expected and name not in reported:
                reported.add(name)
                violation = ctx.in_document(
                    release.document,
                    ("spec", "dependsOn", index),
                    f"{release.name} depends on {name}, which the expected DAG does not list for it",
                )
                yield replace(violation, fixes=fixes)
        for name in entry.depends_on:
            if name not in actual and name not in reported:
                reported.add(name)
                violation = ctx.in_document(
                    release.document,
                    _missing_edge_path(release),
                    f"{release.name} does not depend on {name}, which the expected DAG lists for it",
                )
                yield replace(violation, fixes=fixes)


@rule(
    "DAG002",
    "Bootstrap HelmRelease missing from the expected DAG",
    Severity.ERROR,
    Scope.REPOSITORY,
    "dependencies",
    fix="with --fix-dag: add a slot with the HelmRelease's dependsOn",
    controls=CHANGE,
)
def dag_unlisted(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a HelmRelease of `clusters/_template/bootstrap-kit/` whose `metadata.name` has no
    slot in `scripts/expected-bootstrap-deps.yaml`.

    ## Why it matters
    Its dependencies were never reviewed against the bootstrap order, and the DAG check cannot
    protect it: the drift detection treats it as an unknown component.

    ## Example
    ```yaml
    # clusters/_template/bootstrap-kit/80-newapi.yaml, with no bp-newapi slot in the DAG
    metadata: {name: bp-newapi}
    ```

    ## Use instead
    ```yaml
    # scripts/expected-bootstrap-deps.yaml
    slots:
      - {slot: 80, name: bp-newapi, depends_on: [bp-openbao, bp-keycloak, bp-cnpg]}
    ```

    ## How to fix
    Add a slot for the release, with the same `depends_on` set as its `dependsOn`.
    `compliance fix --fix-dag` appends one, numbered by the file name's prefix (`80-newapi.yaml`: 80).
    """
    kit = _kit(ctx.repo)
    dag = ctx.repo.dag
    if kit is None or dag is None:
        return
    for release in kit.all:
        if dag.entry(release.name) is None and kit.releases[release.name] is release:
            violation = ctx.in_document(
                release.document,
                ("metadata", "name"),
                f"HelmRelease {release.name} is not declared in the expected bootstrap DAG",
            )
            yield replace(violation, fixes=(dag_slot_fix(dag, release),))


@rule("DAG003", "Expected DAG slot not on disk yet", Severity.INFO, Scope.REPOSITORY, "dependencies")
def dag_deferred(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Notes the slots of `scripts/expected-bootstrap-deps.yaml` with no HelmRelease of that name in
    `clusters/_template/bootstrap-kit/` ("deferred" in the DAG file's own words): one finding, at
    the first such slot, that lists them all, not one per slot.

    ## Why it matters
    Nothing is broken: the DAG declares slots ahead of the change that adds them. The note
    keeps the list of pending slots visible, and catches a release that was renamed.

    ## Example
    ```yaml
    slots:
      - {slot: 36, name: bp-stunner, depends_on: [bp-cilium]}   # no 36-stunner.yaml yet
    ```

    ## Use instead
    ```yaml
    # clusters/_template/bootstrap-kit/36-stunner.yaml
    metadata: {name: bp-stunner}
    spec:
      dependsOn: [{name: bp-cilium}]
    ```

    ## How to fix
    Nothing to fix until the slot lands; if the release exists under another name, rename one.
    """
    kit = _kit(ctx.repo)
    dag = ctx.repo.dag
    if kit is None or dag is None:
        return
    entries = [entry for entry in dag.entries if entry.name not in kit.releases]
    if not entries:
        return
    deferred = [entry.name for entry in entries]
    slots = f"{len(deferred)} slot{'s' if len(deferred) != 1 else ''}"
    note = ctx.in_document(
        dag.document,
        ("slots", entries[0].index),
        f"{slots} of the expected DAG {'have' if len(deferred) != 1 else 'has'} no HelmRelease in the bootstrap kit "
        f"yet (deferred): {', '.join(deferred)}",
    )
    yield replace(note, value_path="slots")  # one standing note: its fingerprint holds as slots land or are added


def _strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's components (iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            successors = graph.get(node, [])
            if child < len(successors):
                work.append((node, child + 1))
                nxt = successors[child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _cycles(graph: dict[str, list[str]], component: list[str]) -> list[list[str]]:
    """Elementary cycles inside one component, each starting at its smallest member, in order."""
    members = set(component)
    found: list[list[str]] = []
    for start in component:
        allowed = {n for n in members if n >= start}
        path = [start]
        work = [iter(sorted(n for n in graph.get(start, []) if n in allowed))]
        while work and len(found) < MAX_CYCLES:
            nxt = next(work[-1], None)
            if nxt is None:
                work.pop()
                path.pop()
            elif nxt == start:
                found.append(list(path))
            elif nxt not in path:
                path.append(nxt)
                work.append(iter(sorted(n for n in graph.get(nxt, []) if n in allowed)))
    return found


@rule(
    "DAG004", "Dependency cycle in the bootstrap DAG", Severity.ERROR, Scope.REPOSITORY, "dependencies", controls=CHANGE
)
def dag_cycle(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Merges the expected DAG's `depends_on` edges with the bootstrap-kit HelmReleases' actual
    `dependsOn` edges and reports each dependency cycle once, at the DAG slot of its first
    member in sorted order, listing the cycle.

    ## Why it matters
    Flux never reconciles a release that waits, directly or not, for itself: every release on
    the cycle, and everything after them, stays pending on every new cluster.

    ## Example
    ```yaml
    slots:
      - {slot: 8, name: bp-openbao, depends_on: [bp-keycloak]}
      - {slot: 9, name: bp-keycloak, depends_on: [bp-openbao]}
    ```

    ## Use instead
    ```yaml
    slots:
      - {slot: 8, name: bp-openbao, depends_on: []}
      - {slot: 9, name: bp-keycloak, depends_on: [bp-openbao]}
    ```

    ## How to fix
    Remove the edge that is not a real install-time prerequisite (often a runtime integration
    that can be configured after both are up).
    """
    kit = _kit(ctx.repo)
    dag = ctx.repo.dag
    if kit is None or dag is None:
        return
    edges: dict[str, set[str]] = {}
    for entry in dag.entries:
        edges.setdefault(entry.name, set()).update(entry.depends_on)
    for name, release in kit.releases.items():
        edges.setdefault(name, set()).update(dep for dep, _ in release.depends_on)
    graph = {node: sorted(targets) for node, targets in edges.items()}
    for component in _strongly_connected(graph):
        if len(component) == 1 and component[0] not in graph.get(component[0], []):
            continue
        for cycle in _cycles(graph, component):
            shown = " -> ".join([*cycle, cycle[0]])
            anchor = next((dag.entry(n) for n in sorted(cycle) if dag.entry(n) is not None), None)
            message = f"dependency cycle: {shown}"
            if anchor is not None:
                yield ctx.in_document(dag.document, ("slots", anchor.index), message)
            else:
                yield ctx.in_document(kit.releases[min(cycle)].document, ("metadata", "name"), message)
