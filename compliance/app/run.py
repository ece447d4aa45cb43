"""One run of the pipeline, shared by every command: settings, rules, repository, contexts, findings.

`lint`, `report`, `values`, `config` and `baseline create` all take their view of a repository from the
`Run` that `build_run` makes, so they cannot disagree: `values` shows the contexts the rules judged, under
the same project configuration (its Flux `variables:` included), and `report` reuses the renderer the run
chose instead of choosing again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from typing import TYPE_CHECKING

from compliance.app.api import LintRun, lint_path, load_registry, policy_paths
from compliance.engine.context import ReleaseContext
from compliance.engine.evaluate import LintOptions, release_contexts, select_rules
from compliance.engine.registry import Registry, RuleSpec
from compliance.records import record
from compliance.report.redaction import Redactor
from compliance.settings.config import Overrides, Settings, load_settings
from compliance.yaml import Limits

if TYPE_CHECKING:  # the render bounds and back ends are imported only when a chart renders
    from compliance.render.backends import Renderer as Backend
    from compliance.render.bounds import Bounds


@record
class RunRequest:
    """What the command line asks of one run over one repository root."""

    path: str
    overrides: Overrides = field(default_factory=Overrides)
    rule_paths: tuple[str, ...] = ()
    trust_repository_rules: bool = False
    changed: tuple[str, ...] | None = None  # repo-relative changed files: lint only what they affect
    renderer: str = "none"
    cache_dir: str | None = None
    limits: Limits = Limits()
    render_bounds: Bounds | None = None
    evaluate: bool = True  # False: settings, rules and repository only (`config`, `values`)
    registry: Registry | None = None  # the rules already loaded for these rule_paths (else loaded here)


class Renderer:
    """The chart renderer of one run, chosen once and only when first needed: a repository without chart
    templates (or `--renderer none`) never looks one up."""

    __slots__ = ("_bounds", "_chosen", "name")

    def __init__(self, name: str, bounds: Bounds | None = None) -> None:
        self.name = name
        self._bounds = bounds
        self._chosen: tuple[Backend | None, str] | None = None

    def chosen(self) -> tuple[Backend | None, str]:
        """The back end (or None and why); RendererUnavailable when one named explicitly is missing."""
        if self._chosen is None:
            from compliance.render import RendererUnavailable, choose_backend

            backend, why = choose_backend(self.name, self._bounds)
            if backend is None and self.name in ("helm", "sdk"):
                raise RendererUnavailable(why)
            self._chosen = backend, why
        return self._chosen

    @property
    def label(self) -> str | None:
        """ "helm v3.14.0" and the like; None: charts are checked from their values only."""
        backend = self.chosen()[0]
        return " ".join(backend.identity().split(":")[:2]) if backend is not None else None

    @property
    def why_none(self) -> str:
        return self.chosen()[1]


@record
class Run:
    settings: Settings
    specs: tuple[RuleSpec, ...]  # every rule loaded (the selected ones are `lint.rules`)
    lint: LintRun  # repository, selected rules, findings, evaluations and governed suppressions
    renderer: Renderer

    def shown_contexts(self, hide: Redactor) -> list[ReleaseContext]:
        """What each (blueprint, cluster) deploys, as shown to a reader: the secret `--var` values hidden.

        The rules judged the real values; these are only displayed (values view, evidence bundle)."""
        settings = self.settings
        options = LintOptions(
            settings.select,
            settings.ignore,
            hide.variables(settings.variables),
            settings.rule_options,
            reveal_secrets=False,
            strict_substitution=settings.flux_strict,
            cluster_variables={name: hide.variables(given) for name, given in settings.cluster_variables.items()},
        )
        return release_contexts(self.lint.repo, options)


def choose_renderer(name: str, bounds: Bounds | None = None) -> Renderer:
    """The run's renderer for `--renderer NAME`: one named explicitly (helm, sdk) must exist now
    (RendererUnavailable otherwise); `auto` is looked up only when a chart is to be rendered."""
    renderer = Renderer(name, bounds)
    if name in ("helm", "sdk"):
        renderer.chosen()
    return renderer


def validate_selection(specs: Sequence[RuleSpec], settings: Settings) -> None:
    """`--select`/`--ignore` (or the config's) must name rules or prefixes: a SelectionError otherwise."""
    select_rules(specs, settings.select, settings.ignore)


def build_run(request: RunRequest) -> Run:
    """Load the rules and the project configuration, then the repository, then evaluate (when asked)."""
    path, trust = request.path, request.trust_repository_rules
    if request.registry is not None:
        registry = request.registry
    else:
        rule_paths = (*request.rule_paths, *policy_paths((path,), request.overrides))
        registry = load_registry(rule_paths, roots=(path,), trust_repository_rules=trust)
    specs = tuple(registry.rules())
    settings = load_settings(path, request.overrides, set(registry.by_id), registry.options())
    validate_selection(specs, settings)
    renderer = choose_renderer(request.renderer, request.render_bounds)
    if not request.evaluate:
        from compliance.load.repository import load_repository

        repo = load_repository(path, exclude=settings.excluded(path), limits=request.limits)
        return Run(settings, specs, LintRun(repo, (), (), settings=settings), renderer)
    lint = lint_path(
        path,
        rule_paths=request.rule_paths,
        changed=request.changed,
        settings=settings,
        renderer=request.renderer,
        cache_dir=request.cache_dir,
        chart_cache=settings.chart_cache,  # `--chart-cache DIR` or the config's `chart-cache`
        fetch_dependencies=settings.fetch_dependencies,
        limits=request.limits,
        trust_repository_rules=trust,
        render_bounds=request.render_bounds,
        choose_renderer=renderer.chosen,
        specs=specs,
    )
    return Run(settings, specs, lint, renderer)
