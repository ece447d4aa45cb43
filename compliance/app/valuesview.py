"""What one cluster deploys for one blueprint: selection, the origin of every leaf, cluster differences.

The values are `ReleaseContext.values` from `engine.release_contexts`, the very object the rules evaluate,
so `compliance values` and the rules cannot disagree. `compliance.report.values` renders what this
module computes; `compliance.app.values` makes the command's outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from compliance.effective.envsubst import Unresolved
from compliance.effective.origins import Difference, Side, deleted_at, deletions, origins
from compliance.errors import UsageError
from compliance.model import MISSING

if TYPE_CHECKING:
    from compliance.app.run import Run
    from compliance.engine.context import ReleaseContext
    from compliance.model import Repository
    from compliance.report.redaction import Redactor
    from compliance.yaml import Path


class ValuesUsageError(UsageError, ValueError):
    """The cluster or blueprint asked for does not exist (the message lists those that do)."""


# ── selection ────────────────────────────────────────────────────────────────


def select_context(
    repo: Repository, contexts: list[ReleaseContext], cluster: str | None, blueprint: str | None
) -> ReleaseContext:
    """The one (blueprint, cluster) context the user named; anything else is a usage error."""
    in_cluster = cluster_contexts(repo, contexts, cluster)
    if blueprint is None:
        blueprints = {c.blueprint.name for c in contexts if c.blueprint is not None}
        if len(in_cluster) == 1:
            return in_cluster[0]
        if len(blueprints) == 1:
            blueprint = next(iter(blueprints))
        else:
            names = _listing(sorted({_label(c) for c in in_cluster}))
            raise ValuesUsageError(f"cluster {cluster} deploys several blueprints; pick one with --blueprint: {names}")
    matches = [c for c in in_cluster if blueprint in _names(c)]
    if len(matches) > 1:  # one chart installed by several HelmReleases: the release name decides
        matches = [c for c in matches if c.release is not None and c.release.name == blueprint] or matches
    if len(matches) == 1:
        return matches[0]
    if not matches:
        names = _listing(sorted({_label(c) for c in in_cluster}))
        raise ValuesUsageError(f"cluster {cluster} deploys no blueprint or chart {blueprint}; it deploys: {names}")
    releases = _listing(sorted(f"{c.release.name} ({c.release.document.file})" for c in matches if c.release))
    raise ValuesUsageError(f"{blueprint} is installed by several HelmReleases in {cluster}; name one: {releases}")


def cluster_contexts(repo: Repository, contexts: list[ReleaseContext], cluster: str | None) -> list[ReleaseContext]:
    """Every context of the cluster the user named (an unknown or missing cluster is a usage error)."""
    clusters = sorted(c.name for c in repo.clusters)
    if cluster is None or cluster not in clusters:
        said = "--cluster is required" if cluster is None else f"unknown cluster: {cluster}"
        raise ValuesUsageError(f"{said}; clusters: {_listing(clusters)}")
    return [c for c in contexts if c.cluster is not None and c.cluster.name == cluster]


def _names(context: ReleaseContext) -> set[str]:
    """What --blueprint may say for a context: blueprint, chart or HelmRelease name."""
    names = {context.name}
    if context.blueprint is not None:
        names.add(context.blueprint.name)
    if context.chart is not None:
        names.add(context.chart.name)
    if context.release is not None:
        names.add(context.release.name)
    return names - {""}


def _label(context: ReleaseContext) -> str:
    release = context.release
    if release is not None and release.name != context.name:
        return f"{context.name} (HelmRelease {release.name})"
    return context.name


def _listing(names: list[str]) -> str:
    return ", ".join(names) if names else "(none)"


# ── differences between two clusters ─────────────────────────────────────────


def differences(left: ReleaseContext, right: ReleaseContext) -> list[Difference]:
    """What differs between two contexts: maps recurse, lists of equal length compare item by item."""
    assert left.cluster is not None and right.cluster is not None
    found: list[Difference] = []
    deleted = {id(left): deletions(left.values), id(right): deletions(right.values)}

    def side(context: ReleaseContext, path: Path, value: Any) -> Side:
        assert context.cluster is not None
        if value is MISSING:
            return Side(context.cluster.name, False, deleted=deleted_at(deleted[id(context)], path))
        return Side(context.cluster.name, True, value, origins(context.values, path))

    def visit(path: Path, a: Any, b: Any) -> None:
        only = b if a is MISSING else a if b is MISSING else None  # a value present on one side only
        if isinstance(a, dict) and isinstance(b, dict) and (a or b):
            for key in [*a, *(k for k in b if k not in a)]:
                visit((*path, key), a.get(key, MISSING), b.get(key, MISSING))
        elif isinstance(a, list) and isinstance(b, list) and a and len(a) == len(b):
            for index, (item_a, item_b) in enumerate(zip(a, b, strict=True)):
                visit((*path, index), item_a, item_b)
        elif isinstance(only, dict) and only:  # a map on one side only: one entry per key
            for key, item in only.items():
                visit((*path, key), MISSING if a is MISSING else item, item if a is MISSING else MISSING)
        elif typed(a) != typed(b):
            found.append(Difference(path, side(left, path, a), side(right, path, b)))

    visit((), left.values.values, right.values.values)
    return found


def typed(value: Any) -> Any:
    """A comparable form in which `true` is not `1` and an unresolved `${X}` is not the string `${X}`."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", float(value))  # Helm has one number type, float64
    if isinstance(value, Unresolved):
        return ("unresolved", str(value))
    if isinstance(value, dict):
        return ("map", frozenset((k, typed(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(typed(v) for v in value))
    return (type(value).__name__, value)


# ── the command's output ─────────────────────────────────────────────────────


def render_values(
    root: str,
    cluster: str | None,
    blueprint: str | None = None,
    output_format: str = "yaml",
    blame: bool = False,
    variables: Mapping[str, str] | None = None,
    against: str | None = None,
    every: bool = False,
) -> tuple[str, list[str]]:
    """The command's output for a repository root (its project config applies), and warnings about the files
    it read; `variables` are shown as given; `every`: all the cluster's releases (`--all`)."""
    from compliance.app.run import RunRequest, build_run
    from compliance.report.redaction import Redactor
    from compliance.settings.config import Overrides

    run = build_run(RunRequest(root, Overrides(variables=dict(variables or {})), evaluate=False))
    return show_values(run, Redactor.of({}), cluster, blueprint, output_format, blame, against, every)


def show_values(
    run: Run,
    hide: Redactor,
    cluster: str | None,
    blueprint: str | None = None,
    output_format: str = "yaml",
    blame: bool = False,
    against: str | None = None,
    every: bool = False,
) -> tuple[str, list[str]]:
    """What `run` deploys for one (blueprint, cluster), or with `every` for each release of the cluster, as
    text in `output_format`, and load warnings."""
    from compliance.report import values as report

    repo = run.lint.repo
    contexts = run.shown_contexts(hide)
    if every:
        if blueprint is not None or against is not None:
            raise ValuesUsageError("--all shows every release of the cluster: it takes no --blueprint or --against")
        chosen_all = cluster_contexts(repo, contexts, cluster)
        warnings = list(dict.fromkeys(w for c in chosen_all for w in _warnings(repo, c)))
        if output_format == "json":
            return report.cluster_values_json(cluster or "", chosen_all), warnings
        return report.cluster_values_yaml(chosen_all, blame), warnings
    chosen = select_context(repo, contexts, cluster, blueprint)
    warnings = _warnings(repo, chosen)
    if against is None:
        if output_format == "json":
            return report.values_json(chosen), warnings
        return report.values_yaml(chosen, blame), warnings
    other = _counterpart(repo, contexts, against, chosen)
    warnings += [w for w in _warnings(repo, other) if w not in warnings]
    found = differences(chosen, other)
    if output_format == "json":
        return report.differences_json(chosen, other, found), warnings
    return report.differences_text(chosen, other, found), warnings


def _counterpart(
    repo: Repository, contexts: list[ReleaseContext], cluster: str, chosen: ReleaseContext
) -> ReleaseContext:
    """The same blueprint in another cluster: by HelmRelease name first, then by blueprint name."""
    names = [chosen.release.name] if chosen.release is not None else []
    error: ValuesUsageError | None = None
    for name in dict.fromkeys([*names, chosen.name]):
        try:
            return select_context(repo, contexts, cluster, name)
        except ValuesUsageError as failure:
            error = failure
    assert error is not None
    raise error


def _warnings(repo: Repository, context: ReleaseContext) -> list[str]:
    """Load problems in the files these values came from (their values may be incomplete)."""
    files = {layer.file for layer in context.values.layers}
    return [f"{p.location}: {p.problem.message} ({p.problem.code})" for p in repo.problems if p.file in files]
