"""Evaluation: build every rule context from the model, run the rules, collect sorted findings.

Rendering is a stage the caller passes in (`RenderStage`, the application layer gives
`compliance.render.rendered_contexts`): the engine imports neither the render stage nor the rule pack.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import field
from typing import TYPE_CHECKING, Protocol

from compliance.effective.values import ChartDefaults, effective_values
from compliance.engine.context import BlueprintContext, ReleaseContext, RenderedContext, RepositoryContext
from compliance.engine.coverage import Evaluation, Skip, not_applicable, not_run
from compliance.engine.options import RuleOptions
from compliance.engine.registry import RuleSpec, Scope, did_you_mean
from compliance.errors import UsageError
from compliance.model import Blueprint, Chart, Cluster, HelmRelease, RenderedManifests, Repository
from compliance.model.findings import Finding, Location, Severity, Violation, sort_findings
from compliance.records import record

if TYPE_CHECKING:
    from compliance.engine.affected import Affected


__all__ = [
    "Evaluation",
    "LintOptions",
    "RenderStage",
    "SelectionError",
    "each_release_context",
    "lint",
    "release_contexts",
    "select_rules",
]

# False keeps every release context until the run ends, as before streaming (the reference the tests compare with).
STREAM_CONTEXTS = True


class RenderStage(Protocol):
    """The render stage: release contexts -> their rendered manifests' contexts (or the `--manifests` stream's).
    `wants` tells, context by context, which ones to hold until the call (the rest are checked and freed)."""

    def wants(self, repo: Repository, context: ReleaseContext, options: LintOptions) -> bool: ...

    def __call__(
        self, repo: Repository, contexts: Sequence[ReleaseContext], options: LintOptions
    ) -> Sequence[RenderedContext]: ...


class SelectionError(UsageError, ValueError):
    """--select/--ignore named something that is not a rule id or prefix."""


@record
class LintOptions:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    variables: Mapping[str, str] = field(default_factory=dict)
    rule_options: RuleOptions = field(default_factory=RuleOptions)
    # --var CLUSTER:NAME=VALUE and a config's per-cluster variables, over `variables` in that cluster
    cluster_variables: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    affected: Affected | None = None  # pre-commit: evaluate only what the changed files affect
    renderer: str = "none"  # auto | helm | sdk | none: render charts for the rendered rules (compliance.render)
    cache_dir: str | None = None  # render cache folder; None: render every time
    chart_cache: str | None = None  # `--chart-cache`: dependency archives as `helm dependency build` leaves them
    fetch_dependencies: bool = False  # `--fetch-dependencies`: fetch the archives nothing provides (network)
    manifests: RenderedManifests | None = None  # `--manifests`: lint this stream instead of rendering
    reveal_secrets: bool = True  # False: values from Secrets (Flux substituteFrom) shown as `<redacted>`
    strict_substitution: bool = True  # Flux's StrictPostBuildSubstitutions (on by default from Flux v2.9)


def select_rules(rules: Iterable[RuleSpec], select: Iterable[str], ignore: Iterable[str]) -> list[RuleSpec]:
    """Rules chosen by id or id prefix (`ATT` selects ATT001..ATT004); unknown names are errors."""
    rules = list(rules)
    ids = [spec.id for spec in rules]
    for name in (*select, *ignore):
        if not any(rule_id.startswith(name.upper()) for rule_id in ids):
            raise SelectionError(f"unknown rule id or prefix: {name}{did_you_mean(name, ids, prefixes=True)}")
    selected = [s for s in rules if not select or any(s.id.startswith(n.upper()) for n in select)]
    return [s for s in selected if not any(s.id.startswith(n.upper()) for n in ignore)]


def release_contexts(repo: Repository, options: LintOptions) -> list[ReleaseContext]:
    """One context per (blueprint, cluster) that deploys it, plus chart defaults for undeployed charts."""
    return list(_contexts(repo, options))


def each_release_context(repo: Repository, options: LintOptions) -> Iterator[ReleaseContext]:
    """`release_contexts` one at a time, cluster by cluster: a context (its effective values) need not
    outlive its checks. What `lint` judges."""
    return _contexts(repo, options)


def _contexts(repo: Repository, options: LintOptions) -> Iterator[ReleaseContext]:
    deployed: set[int] = set()
    defaults: dict[int, ChartDefaults] = {}  # one merge of each chart's values.yaml for all its clusters

    def context(
        blueprint: Blueprint | None,
        chart: Chart | None,
        cluster: Cluster | None,
        release: HelmRelease | None,
        variables: Mapping[str, str],
    ) -> ReleaseContext:
        if id(chart) not in defaults:
            defaults[id(chart)] = ChartDefaults.of(chart)
        values = effective_values(
            chart, release, variables, defaults[id(chart)], options.reveal_secrets, options.strict_substitution
        )
        return ReleaseContext(repo, blueprint, chart, cluster, release, values, options.rule_options)

    for cluster in repo.clusters:
        # the release's Flux Kustomization adds its own (effective_values)
        variables = {**options.variables, **options.cluster_variables.get(cluster.name, {})}
        for release in cluster.releases:
            chart, blueprint = repo.resolve_release(release)
            if chart is None and blueprint is None:
                continue  # a third-party chart we do not have: nothing to evaluate
            if chart is not None:
                deployed.add(id(repo.base_chart(chart)))  # with valuesFiles, a copy of the repository's chart
            if options.affected is not None and not options.affected.release(blueprint, chart, cluster):
                continue
            yield context(blueprint, chart, cluster, release, variables)
    for chart in repo.charts:
        if id(chart) not in deployed:
            blueprint = repo.blueprint_for_chart(chart)
            if options.affected is not None and not options.affected.release(blueprint, chart, None):
                continue
            yield context(blueprint, chart, None, None, options.variables)


def _run(spec: RuleSpec, context: object, primary: Location) -> list[Violation]:
    try:
        return list(spec.check(context))
    except Exception as error:  # a broken rule must not lose the other findings
        message = f"rule {spec.id} ({spec.provider}) crashed: {type(error).__name__}: {error}"
        return [Violation(message, primary, severity=Severity.ERROR)]


def lint(
    repo: Repository,
    rules: Iterable[RuleSpec],
    options: LintOptions = LintOptions(),
    evaluated: set[Evaluation] | None = None,
    render: RenderStage | None = None,
    skipped: dict[Evaluation, Skip] | None = None,
    rendered: set[tuple[str | None, str | None]] | None = None,
) -> list[Finding]:
    """Findings of `rules` on `repo`; `evaluated`, if given, receives every check applied (passing ones too),
    `skipped` every check not applied and why (`compliance.engine.coverage`), `rendered` every (blueprint,
    cluster) whose chart rendered to objects.

    The rendered rules run on what `render` returns; without a render stage (or renderer) they are not run.
    """
    rules = list(rules)
    findings: list[Finding] = []
    causes: set[tuple[str, Location]] = set()  # (rule, place) of each root-cause violation
    superseded: set[Superseded] = set()  # findings another finding explains (`Violation.supersedes`)

    reasons: dict[Skip, Skip] = {}  # one object per distinct reason: a large run skips tens of thousands of checks

    def skip(spec: RuleSpec, why: Skip, blueprint: str | None, cluster: str | None) -> None:
        if skipped is not None:
            skipped.setdefault((spec.id, blueprint, cluster), reasons.setdefault(why, why))

    def check(spec: RuleSpec, context: object, primary: Location, blueprint: str | None, cluster: str | None) -> None:
        why = spec.applies(context) if spec.applies is not None else None
        if why is not None:
            skip(spec, why, blueprint, cluster)
        else:
            emit(spec, _run(spec, context, primary), blueprint, cluster)

    def emit(spec: RuleSpec, violations: Sequence[Violation], blueprint: str | None, cluster: str | None) -> None:
        found = [v for v in violations if not v.not_run]
        unknown = sorted({v.message for v in violations if v.not_run})  # `ReleaseContext.unknown`
        if unknown:  # its verdict depends on values nobody supplied: not run, never passed
            skip(spec, not_run("; ".join(unknown)), blueprint, cluster)
            if not found:
                return  # else failed by what it did find, the part it could not check still said (`not_run`)
        if evaluated is not None:
            evaluated.add((spec.id, blueprint, cluster))
        for v in found:
            if v.root_cause:
                causes.add((spec.id, v.location))
            superseded.update((blueprint, cluster, rule_id, path) for rule_id, path in v.supersedes)
            findings.append(
                Finding(
                    spec.id,
                    v.severity or spec.severity,
                    v.message,
                    v.location,
                    blueprint,
                    cluster,
                    v.value_path,
                    v.trace,
                    v.fixes,
                )
            )

    affected = options.affected
    by_scope = {scope: [s for s in rules if s.scope is scope] for scope in Scope}
    if by_scope[Scope.REPOSITORY]:
        repository_context = RepositoryContext(
            repo if affected is None else affected.narrow(repo), options.rule_options
        )
        whole = RepositoryContext(repo, options.rule_options) if affected is not None else None
        for spec in by_scope[Scope.REPOSITORY]:
            violations = _run(spec, repository_context, Location("."))
            if whole is not None and affected is not None:
                # a root cause in a file the change did not touch still explains a finding in scope (an unquoted
                # NO in values.yaml while a template changed): the scoped run reports what the full run does
                causes.update((spec.id, v.location) for v in _run(spec, whole, Location(".")) if v.root_cause)
                violations = [v for v in violations if affected.repository_finding(v.location.path)]
            emit(spec, violations, None, None)
    for blueprint in repo.blueprints if by_scope[Scope.BLUEPRINT] else ():
        if affected is not None and not affected.blueprint(blueprint):
            continue
        blueprint_context = BlueprintContext(repo, blueprint, options.rule_options)
        primary = blueprint.document.locate(())
        for spec in by_scope[Scope.BLUEPRINT]:
            check(spec, blueprint_context, primary, blueprint.name or None, None)
    rendering = (
        render is not None and by_scope[Scope.RENDERED] and options.manifests is None and options.renderer != "none"
    )
    wanted = by_scope[Scope.RELEASE] or rendering
    # Rendering takes the contexts it wants at once (renders run in parallel); the others are checked and
    # dropped: only their (blueprint, cluster) is kept, for the rendered rules' "not run" entries.
    contexts: list[ReleaseContext] = []
    pairs: list[tuple[str | None, str | None]] = []
    for release_context in each_release_context(repo, options) if wanted else ():
        cluster = release_context.cluster.name if release_context.cluster else None
        if (rendering and render is not None and render.wants(repo, release_context, options)) or not STREAM_CONTEXTS:
            contexts.append(release_context)
        pairs.append((release_context.name or None, cluster))
        if not by_scope[Scope.RELEASE]:
            continue
        primary = release_context.values.locate(())
        for spec in by_scope[Scope.RELEASE]:
            check(spec, release_context, primary, release_context.name or None, cluster)
    if by_scope[Scope.RENDERED] and render is not None and (rendering or options.manifests is not None):
        made = render(repo, contexts, options)
        for spec in by_scope[Scope.RENDERED] if not made else ():  # no chart has templates: nothing to look at
            skip(spec, not_applicable("no chart templates to render"), None, None)
        for rendered_context in made:
            if rendered is not None and rendered_context.manifests.objects:
                rendered.add((rendered_context.blueprint_name, rendered_context.cluster_name))
            for spec in by_scope[Scope.RENDERED]:
                where = rendered_context.blueprint_name, rendered_context.cluster_name
                check(spec, rendered_context, rendered_context.primary, *where)
    elif by_scope[Scope.RENDERED]:  # asked for, but nothing renders: not run (never a pass)
        why = not_run("no renderer (--renderer none)" if render is not None else "no render stage")
        for spec in by_scope[Scope.RENDERED]:
            skip(spec, why, None, None)
            for blueprint_name, cluster_name in pairs:
                skip(spec, why, blueprint_name, cluster_name)
    return sort_findings(without_superseded(one_per_root_cause(findings, causes), superseded))


Superseded = tuple[str | None, str | None, str, str]  # (blueprint, cluster, rule id, value path)


def without_superseded(findings: list[Finding], superseded: set[Superseded]) -> list[Finding]:
    """The findings no other finding of the run supersedes (`Violation.supersedes`): a channel the rendered chart
    does not serve is one RM007 warning, not the values errors about a channel that never ships. Only a finding
    that was reported supersedes, so with its rule not selected (or not run: no render) the others stand."""
    if not superseded:
        return findings
    return [f for f in findings if (f.blueprint, f.cluster, f.rule, f.value_path) not in superseded]


def one_per_root_cause(findings: list[Finding], causes: set[tuple[str, Location]]) -> list[Finding]:
    """One root cause, one finding: where a rule reported a root cause (`Violation.root_cause`: YML001's
    unquoted `NO` that Helm reads as `false`), the findings of other rules at that same place are its
    consequences (SCH001 `false is not of type 'string'`, once per cluster) and are dropped; the most specific
    finding, the one that says how to fix it, stays. Findings elsewhere that are about the value are left to
    recognise the mistyped scalar in their message (GEO001 names the boolean in the list)."""
    if not causes:
        return findings
    places = {location for _, location in causes}
    return [f for f in findings if f.location not in places or (f.rule, f.location) in causes]
