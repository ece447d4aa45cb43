"""The programmatic entry point: load rules and a repository, evaluate, return findings."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import field, replace
from typing import TYPE_CHECKING, Any

from compliance.engine import trust
from compliance.engine.coverage import Skip
from compliance.engine.evaluate import Evaluation, LintOptions, lint, select_rules
from compliance.engine.options import RuleOptions
from compliance.engine.registry import Registry, RegistryBuilder, RuleSpec
from compliance.governance.exceptions import Governed, RegisterEntry, Suppressed, govern
from compliance.load.repository import load_repository
from compliance.model import Repository
from compliance.model.findings import Finding
from compliance.records import record
from compliance.render import RenderStep
from compliance.report import ReportData

if TYPE_CHECKING:  # the render bounds and back ends are imported only when a chart renders
    from compliance.render.backends import Renderer
    from compliance.render.bounds import Bounds
from compliance.settings.config import Overrides, Settings, configured_policies, load_settings
from compliance.yaml import Limits


@record
class LintRun:
    repo: Repository
    rules: tuple[RuleSpec, ...]
    findings: tuple[Finding, ...]
    evaluated: frozenset[Evaluation] = frozenset()  # every (rule, blueprint, cluster) checked, passing or not
    suppressed: tuple[Suppressed, ...] = ()  # findings a governed exception covers (not in `findings`)
    settings: Settings | None = None  # the effective configuration the run used
    register: tuple[RegisterEntry, ...] = ()  # every exception with its status (`governance.exceptions`)
    skipped: Mapping[Evaluation, Skip] = field(default_factory=dict)  # checks not applied, and why
    rendered: frozenset[tuple[str | None, str | None]] = frozenset()  # (blueprint, cluster) rendered to objects


def report_data(run: LintRun, **shown: Any) -> ReportData:
    """What the reporters are given of one run: its findings, rules, checks applied and skipped, renders;
    `shown` replaces fields (the findings as shown, redacted; `extra`)."""
    data = ReportData(
        run.findings,
        run.rules,
        run.repo.root,
        (run.repo,),
        evaluated=run.evaluated,
        skipped=run.skipped,
        rendered=run.rendered,
        suppressed=run.suppressed,
    )
    return replace(data, **shown) if shown else data


def load_registry(
    rule_paths: Iterable[str] = (),
    entry_points: bool = True,
    roots: Sequence[str] = (),
    trust_repository_rules: bool = False,
) -> Registry:
    """A fresh registry: the built-in pack, then `--rules` paths (Python modules, declarative policies in YAML:
    `compliance.policy`), then installed `compliance.rules` entry points.

    `roots` are the folders being linted: they and the git checkouts holding them are hostile content,
    never a rule provider. A rule path inside one is a PluginError unless `trust_repository_rules`;
    entry points declared inside one are skipped (or, if their module would be imported from inside
    one, a PluginError), again unless trusted.
    """
    import compliance_rules

    builder = RegistryBuilder()
    builder.add_modules(compliance_rules.PROVIDER, compliance_rules.modules())
    roots = trust.untrusted_roots(roots)
    for path in rule_paths:
        policy_file = path.endswith((".yaml", ".yml")) and not os.path.isdir(path)
        if not policy_file:
            builder.add_path(path, roots, trust_repository_rules)
        if policy_file or (os.path.isdir(path) and _has_yaml(path)):
            from compliance.policy import add_policies  # the CEL engine loads only with a policy

            add_policies(builder, path, roots, trust_repository_rules)
    if entry_points:  # trusting the repository's rules trusts its distributions too
        builder.add_entry_points(() if trust_repository_rules else roots)
    return builder.build()


def policy_paths(roots: Iterable[str], overrides: Overrides | None = None) -> tuple[str, ...]:
    """The policy files the configs governing `roots` name (`policies:`), each once."""
    found: list[str] = []
    for root in roots:
        found += [p for p in configured_policies(root, overrides or Overrides()) if p not in found]
    return tuple(found)


def _has_yaml(folder: str) -> bool:
    return any(name.endswith((".yaml", ".yml")) for name in os.listdir(folder))


def load_rules(
    rule_paths: Iterable[str] = (),
    entry_points: bool = True,
    roots: Sequence[str] = (),
    trust_repository_rules: bool = False,
) -> list[RuleSpec]:
    """The rules of `load_registry(...)`, sorted by id."""
    return load_registry(rule_paths, entry_points, roots, trust_repository_rules).rules()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Load with the cyclic garbage collector paused, then freeze what is alive (`gc.freeze`: collections
    skip it until `gc.unfreeze`, at the end of the run). The loaded model is long-lived and holds no
    reference cycles, yet a 50x load paid ~11 full collections that freed almost nothing: a third of
    the run. Refcounting still frees frozen objects; unfreezing lets cycles among them be collected."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def lint_path(
    path: str,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    variables: Mapping[str, str] | None = None,
    rule_paths: Iterable[str] = (),
    rule_options: RuleOptions | None = None,
    changed: Iterable[str] | None = None,
    settings: Settings | None = None,
    renderer: str = "none",
    cache_dir: str | None = None,
    limits: Limits = Limits(),
    trust_repository_rules: bool = False,
    render_bounds: Bounds | None = None,
    choose_renderer: Callable[[], tuple[Renderer | None, str]] | None = None,
    specs: Sequence[RuleSpec] | None = None,
    chart_cache: str | None = None,
    fetch_dependencies: bool = False,
) -> LintRun:
    """Lint the repository at `path`; with `changed` (repo-relative files), only what those files affect.

    `renderer` (auto, helm, sdk, none) renders charts for the rendered rules, cached in `cache_dir`,
    each render under `render_bounds` (time, memory: beyond them, RND004); `chart_cache` holds dependency
    archives as `helm dependency build` leaves them (`<name>-<version>.tgz`); `fetch_dependencies` fetches the
    ones nothing provides from their chart repositories (compliance.render.fetch).
    `limits` bound what one file may cost (size, nesting, alias expansion): beyond them, YML003.

    `settings` (a project config under the command line: `lint_project`) replaces select, ignore,
    variables and rule_options. Inline suppressions in the repository apply either way.
    """
    if settings is None:
        settings = Settings(
            tuple(select), tuple(ignore), variables=dict(variables or {}), rule_options=rule_options or RuleOptions()
        )
    if specs is None:  # a run that already loaded its rules passes them: one registry per run
        specs = load_rules(rule_paths, roots=(path,), trust_repository_rules=trust_repository_rules)
    rules = select_rules(specs, settings.select, settings.ignore)
    with _collector_paused():
        repo = load_repository(path, exclude=settings.excluded(path), limits=limits)
    try:
        affected = None
        if changed is not None:
            from compliance.engine.affected import affected_by

            affected = affected_by(repo, changed)
        options = LintOptions(
            settings.select,
            settings.ignore,
            dict(settings.variables),
            settings.rule_options,
            affected=affected,
            strict_substitution=settings.flux_strict,
            cluster_variables=settings.cluster_variables,
            renderer=renderer,
            cache_dir=cache_dir,
            chart_cache=chart_cache,
            fetch_dependencies=fetch_dependencies,
        )
        evaluated: set[Evaluation] = set()
        skipped: dict[Evaluation, Skip] = {}
        rendered: set[tuple[str | None, str | None]] = set()
        # `choose_renderer`: the run's one choice for `renderer`; else the render stage chooses under
        # `render_bounds`. Either way only once a chart has templates to render.
        render = RenderStep(choose_renderer, render_bounds)
        findings = lint(repo, rules, options, evaluated, render=render, skipped=skipped, rendered=rendered)
        known, ran = {s.id: s.severity for s in specs}, {s.id for s in rules}
        # a partial run (`changed`) cannot tell that a suppression matched nothing
        governed = govern(findings, repo.suppressions, settings, known, ran, judge_unused=changed is None)
        return _lint_run(repo, rules, governed, evaluated, settings, skipped, rendered)
    finally:
        gc.unfreeze()


def _lint_run(
    repo: Repository,
    rules: Sequence[RuleSpec],
    governed: Governed,
    evaluated: set[Evaluation],
    settings: Settings,
    skipped: dict[Evaluation, Skip],
    rendered: set[tuple[str | None, str | None]] | None = None,
) -> LintRun:
    return LintRun(
        repo,
        tuple(rules),
        governed.findings,
        frozenset(evaluated),
        governed.suppressed,
        settings,
        governed.register,
        skipped,
        frozenset(rendered or ()),
    )


def lint_project(
    path: str,
    overrides: Overrides | None = None,
    rule_paths: Iterable[str] = (),
    changed: Iterable[str] | None = None,
    renderer: str = "none",
    cache_dir: str | None = None,
    limits: Limits = Limits(),
    trust_repository_rules: bool = False,
    render_bounds: Bounds | None = None,
) -> LintRun:
    """Lint `path` as the command line does: its project config (`compliance.settings.config`) under `overrides`."""
    rule_paths = (*rule_paths, *policy_paths((path,), overrides))
    registry = load_registry(rule_paths, roots=(path,), trust_repository_rules=trust_repository_rules)
    settings = load_settings(path, overrides or Overrides(), set(registry.by_id), registry.options())
    return lint_path(
        path,
        specs=registry.rules(),
        rule_paths=rule_paths,
        changed=changed,
        settings=settings,
        renderer=renderer,
        cache_dir=cache_dir,
        limits=limits,
        trust_repository_rules=trust_repository_rules,
        render_bounds=render_bounds,
    )


def lint_manifests(
    stream: str,
    overrides: Overrides | None = None,
    rule_paths: Iterable[str] = (),
    trust_repository_rules: bool = False,
) -> LintRun:
    """Lint a rendered manifest stream (`helm template` output) with the rendered rules: a file, or `-`
    for standard input. Findings sit in the stream file (`<stdin>` for standard input)."""
    import os
    import sys

    from compliance.engine.registry import Scope
    from compliance.load.repository import InputError
    from compliance.render.stream import parse_stream

    # the config comes from the working directory, so it is a linted root as much as the stream's folder
    roots = (".",) if stream == "-" else (".", stream)
    registry = load_registry(rule_paths, roots=roots, trust_repository_rules=trust_repository_rules)
    specs = registry.rules()
    settings = load_settings(".", overrides or Overrides(), set(registry.by_id), registry.options())
    rules = [s for s in select_rules(specs, settings.select, settings.ignore) if s.scope is Scope.RENDERED]
    if stream == "-":
        root, source, text = os.getcwd(), "<stdin>", sys.stdin.read()
    else:
        try:
            with open(stream, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError as error:
            raise InputError(f"--manifests {stream}: {error.strerror or error}") from None
        root, source = os.path.dirname(os.path.abspath(stream)), os.path.basename(stream)
    manifests = parse_stream(text, source, in_file=True)
    repo = Repository(root, (), (), (), (), None, (), {})
    options = LintOptions(settings.select, settings.ignore, rule_options=settings.rule_options, manifests=manifests)
    evaluated: set[Evaluation] = set()
    skipped: dict[Evaluation, Skip] = {}
    findings = lint(repo, rules, options, evaluated, render=RenderStep(), skipped=skipped)
    known = {s.id: s.severity for s in specs}
    governed = govern(findings, (), settings, known, {s.id for s in rules}, judge_unused=False)
    return _lint_run(repo, rules, governed, evaluated, settings, skipped)
