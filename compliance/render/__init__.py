"""Rendering: each (blueprint, cluster) pair through Helm's own template engine, for the rendered rules.

The values are the effective values the release rules see (`compliance.effective.values`), the release
name and namespace come from the HelmRelease. Only charts with a `templates/` directory or dependencies
are rendered, so a repository of values-only charts costs nothing. Renders run in parallel and are
cached (`compliance.render.cache`). Helm is given a private copy of the chart's own files
(`compliance.render.snapshot`: never `.git/`, never a link out of the chart) and runs in a bounded
process (`compliance.render.bounds`). A render that fails is an RND001 problem carrying Helm's
message (scrubbed of credentials, `compliance.redact`) at the template and line Helm names; dependencies
nothing provides (compliance.render.dependencies, compliance.render.fetch) are RND002; a render stopped by a
bound is RND004.
See docs/rendering.md.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from compliance.engine.context import ReleaseContext, RenderedContext
from compliance.engine.options import RuleOptions
from compliance.errors import UsageError
from compliance.model import Chart, RenderedManifests, RenderProblem, Repository
from compliance.model.findings import Location

if TYPE_CHECKING:  # the back ends are imported only when a chart has templates to render
    from compliance.engine.evaluate import LintOptions
    from compliance.render.backends import Renderer, RenderOutput, RenderRequest
    from compliance.render.bounds import Bounds
    from compliance.render.cache import RenderCache
    from compliance.render.snapshot import Snapshot
    from compliance.render.stream import TemplateLocator

__all__ = [
    "RenderStep",
    "RendererUnavailable",
    "context_for",
    "has_templates",
    "helm_values",
    "missing_dependencies",
    "rendered_contexts",
    "renders",
]

DEFAULT_RELEASE = ("release-name", "default")  # what `helm template` uses without a HelmRelease
# patterns of Helm's messages, compiled (and cached by `re`) only when a render fails or warns
TEMPLATE_REF = r"(?P<template>[\w.-]+/(?:charts/[\w.-]+/)*templates/[^\s:()\"'<>]+)(?::(?P<line>\d+))?"
TEMPLATE_REF_COLUMN = r":(?P<column>\d+)"
SKIPPED_VALUE = r"skipped value for (?P<path>[\w.-]+)"


class RendererUnavailable(UsageError, ValueError):
    """`--renderer helm|sdk` was asked for and is not installed."""


def context_for(
    manifests: RenderedManifests,
    release: ReleaseContext | None,
    problems: Sequence[RenderProblem],
    options: RuleOptions,
) -> RenderedContext:
    every = (*problems, *manifests.problems)
    return RenderedContext(manifests, release, every, options)


def choose_backend(name: str, bounds: Bounds | None) -> tuple[Renderer | None, str]:
    """The back end `--renderer NAME` gets under `bounds` (the defaults when None), or None and why."""
    from compliance.render.backends import choose
    from compliance.render.bounds import Bounds

    return choose(name, bounds or Bounds())


class RenderStep:
    """The render stage as `compliance.engine.evaluate.lint` takes it: `wants` says, as the engine checks each
    release context, whether to hold it for the renders (the engine frees the others at once), and calling it
    renders what was held (`rendered_contexts`). The back end is chosen once, by `choose` (the run's choice) or
    under `bounds`, and only when a chart has templates to render."""

    def __init__(
        self, choose: Callable[[], tuple[Renderer | None, str]] | None = None, bounds: Bounds | None = None
    ) -> None:
        self._choose = choose
        self._bounds = bounds
        self._choice: tuple[Renderer | None, str] | None = None
        self._held = 0

    def _chosen(self, name: str) -> tuple[Renderer | None, str]:
        if self._choice is None:
            self._choice = self._choose() if self._choose is not None else choose_backend(name, self._bounds)
        return self._choice

    def wants(self, repo: Repository, context: ReleaseContext, options: LintOptions) -> bool:
        """Whether `context` renders: its chart has templates, and a back end is there to render it. With none,
        only the first such context is held: it places the one RND000 (or `--renderer NAME`'s usage error)."""
        if options.manifests is not None or options.renderer == "none":
            return False
        if context.chart is None or not renders(repo.root, context.chart):
            return False
        if self._held and self._chosen(options.renderer)[0] is None:
            return False
        self._held += 1
        return True

    def __call__(
        self, repo: Repository, contexts: Sequence[ReleaseContext], options: LintOptions
    ) -> list[RenderedContext]:
        return rendered_contexts(repo, contexts, options, lambda: self._chosen(options.renderer))


def rendered_contexts(
    repo: Repository,
    contexts: Sequence[ReleaseContext],
    options: LintOptions,
    choose: Callable[[], tuple[Renderer | None, str]] | None = None,
    bounds: Bounds | None = None,
) -> list[RenderedContext]:
    """One context per rendered pair (or for the `--manifests` stream); [] when nothing is rendered.

    `choose` gives the run's back end for `options.renderer` (or None and why), chosen once per run and
    only asked for when a chart has templates; without it the stage chooses one itself under `bounds`
    (the Python API's lint_path called without a run)."""
    if options.manifests is not None:
        return [context_for(options.manifests, None, (), options.rule_options)]
    if options.renderer == "none":
        return []
    pairs = [c for c in contexts if c.chart is not None and renders(repo.root, c.chart)]
    if not pairs:
        return []
    renderer, why = choose() if choose is not None else choose_backend(options.renderer, bounds)
    if renderer is None:
        if options.renderer != "auto":
            raise RendererUnavailable(why)
        chart = pairs[0].chart
        assert chart is not None
        problem = RenderProblem("RND000", why, chart.chart_file.locate(()))
        empty = RenderedManifests(chart.chart_file.file, "", ())
        return [context_for(empty, None, (problem,), options.rule_options)]
    import tempfile

    from compliance.render.cache import RenderCache

    cache = RenderCache(options.cache_dir) if options.cache_dir else None
    # the charts' private copies (compliance.render.snapshot) live as long as this run's renders
    with tempfile.TemporaryDirectory(prefix="compliance-charts-") as snapshots:
        caches, reasons = _dependencies(repo, pairs, options, snapshots)
        job = _Job(repo, renderer, cache, options.rule_options, snapshots, caches)
        try:
            workers = min(len(pairs), os.cpu_count() or 1)
            if workers == 1:
                return [job.run(pair) for pair in pairs] + _unvendored(repo, pairs, options, caches, reasons)
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="render") as pool:
                return list(pool.map(job.run, pairs)) + _unvendored(repo, pairs, options, caches, reasons)
        finally:
            renderer.close()


def _dependencies(
    repo: Repository, pairs: Sequence[ReleaseContext], options: LintOptions, private: str
) -> tuple[tuple[str, ...], dict[tuple[str, int], str]]:
    """The folders dependency archives are looked up in, and, with `--fetch-dependencies`, why each dependency
    that could not be fetched was not (compliance.render.fetch). Fetched archives go to the chart cache, unless
    it is inside the linted repository (never written to) or there is none: then to a run-private folder."""
    caches: tuple[str, ...] = (options.chart_cache,) if options.chart_cache else ()
    if not options.fetch_dependencies:
        return caches, {}
    from compliance.load.files import inside
    from compliance.render.fetch import Fetcher, fetch_missing

    into = options.chart_cache
    if into is None or inside(into, os.path.realpath(repo.root)):
        into = os.path.join(private, "fetched")
        os.makedirs(into, exist_ok=True)
        caches = (*caches, into)
    charts = list({id(pair.chart): pair.chart for pair in pairs if pair.chart is not None}.values())
    return caches, fetch_missing(repo.root, charts, caches, Fetcher(into))


def _unvendored(
    repo: Repository,
    pairs: Sequence[ReleaseContext],
    options: LintOptions,
    caches: tuple[str, ...] = (),
    reasons: Mapping[tuple[str, int], str] | None = None,
) -> list[RenderedContext]:
    """RND002 once per chart, not once per cluster that deploys it: a dependency missing from `charts/` is the
    chart's, at one line of its Chart.yaml (a context of its own, like RND000's, with no cluster); with
    `--fetch-dependencies`, the message says why it was not fetched."""
    contexts: list[RenderedContext] = []
    charts = {id(pair.chart): pair.chart for pair in pairs if pair.chart is not None}
    for chart in charts.values():
        problems = [
            RenderProblem(
                "RND002",
                f"chart {chart.name} declares dependency '{name}' but neither charts/ nor the chart cache "
                "provides it; the chart was not rendered "
                + (
                    f"(not fetched: {(reasons or {})[(chart.directory, index)]})"
                    if (chart.directory, index) in (reasons or {})
                    else "(run `helm dependency build`, or give the archives with --chart-cache DIR, or "
                    "--fetch-dependencies)"
                ),
                chart.chart_file.locate(("dependencies", index, "name")),
                f"dependencies[{index}]",
            )
            for index, name in missing_dependencies(repo.root, chart, caches)
        ]
        if problems:
            empty = RenderedManifests(chart.chart_file.file, "", ())
            contexts.append(context_for(empty, None, problems, options.rule_options))
    return contexts


def has_templates(root: str, chart: Chart) -> bool:
    return os.path.isdir(os.path.join(root, chart.directory, "templates"))


def renders(root: str, chart: Chart) -> bool:
    """Whether Helm has templates to render: the chart's own, or a dependency's (a wrapper chart whose only
    content is an upstream chart renders that chart's templates)."""
    if has_templates(root, chart):
        return True
    from compliance.render.dependencies import declared

    return bool(declared(chart)) or os.path.isdir(os.path.join(root, chart.directory, "charts"))


def helm_values(context: ReleaseContext) -> dict[str, Any]:
    """The effective values as a values file: a key the overlay deleted with `null` stays `null`,
    so Helm's own coalescing with the chart defaults deletes it again."""
    from compliance.effective.values import merge_maps

    defaults: Any = {}
    for layer in context.values.layers:
        if layer.label in ("chart", "subchart"):
            defaults = merge_maps(defaults, layer.value)
    return _with_deletions(context.values.values, defaults)


def _with_deletions(values: Any, defaults: Any) -> Any:
    if not isinstance(values, dict) or not isinstance(defaults, dict):
        return values
    out = dict(values)
    for key, default in defaults.items():
        if key not in values:
            out[key] = None
        elif isinstance(default, dict):
            out[key] = _with_deletions(values[key], default)
    return out


def missing_dependencies(
    root: str, chart: Chart, chart_cache: str | tuple[str, ...] | None = None
) -> list[tuple[int, str]]:
    """(index in Chart.yaml `dependencies`, name) of each dependency that `charts/`, a `file://` folder or
    the chart cache does not provide (compliance.render.dependencies)."""
    from compliance.render.dependencies import provided

    return provided(root, chart, chart_cache)[1]


class _Job:
    """Renders pairs of one run; everything per chart (digest, template files) is computed once."""

    def __init__(
        self,
        repo: Repository,
        renderer: Renderer,
        cache: RenderCache | None,
        options: RuleOptions,
        snapshots: str,
        chart_cache: tuple[str, ...] = (),
    ) -> None:
        self.repo = repo
        self.chart_cache = chart_cache
        self.renderer = renderer
        self.cache = cache
        self.options = options
        self.snapshots = snapshots
        self._identity: str | None = None
        self._snapshots: dict[str, Snapshot] = {}
        self._snapshot_lock = threading.Lock()
        self._templates: dict[str, list[str] | None] = {}

    def identity(self) -> str:
        """The renderer's name and version, asked only when a cache key is needed (it costs an import)."""
        if self._identity is None:
            self._identity = self.renderer.identity()
        return self._identity

    def run(self, context: ReleaseContext) -> RenderedContext:
        chart = context.chart
        assert chart is not None
        source = chart.chart_file.file
        if missing_dependencies(self.repo.root, chart, self.chart_cache):  # not rendered; RND002 (`_unvendored`)
            return context_for(RenderedManifests(source, "", ()), context, (), self.options)
        snapshot = self._snapshot(chart)
        if snapshot.problem is not None:  # Helm reads the whole chart folder: a FIFO would hang it, a link leak a file
            problem = RenderProblem("RND001", f"chart not rendered: {snapshot.problem}", chart.chart_file.locate(()))
            return context_for(RenderedManifests(source, "", ()), context, [problem], self.options)
        release, namespace = (
            (context.release.release_name, context.release.target_namespace or "default")
            if context.release is not None
            else DEFAULT_RELEASE
        )
        import json

        try:
            values_json = json.dumps(helm_values(context), sort_keys=True, allow_nan=False)
        except ValueError as error:
            problem = RenderProblem("RND001", f"values cannot be given to Helm: {error}", chart.chart_file.locate(()))
            return context_for(RenderedManifests(source, "", ()), context, [problem], self.options)
        from compliance.render.backends import RenderRequest

        output = self._render(snapshot, RenderRequest(snapshot.directory, release, namespace, values_json))
        locate = self._locator(chart)
        problems = [self._warning(context, chart, self._message(snapshot, warning)) for warning in output.warnings]
        if output.exceeded:
            problems.insert(0, RenderProblem("RND004", output.exceeded, chart.chart_file.locate(())))
            return context_for(RenderedManifests(source, "", ()), context, problems, self.options)
        if output.error:
            message = self._message(snapshot, output.error)
            problems.insert(0, RenderProblem("RND001", message, self._error_location(chart, message)))
            return context_for(RenderedManifests(source, "", ()), context, problems, self.options)
        from compliance.render.stream import parse_stream

        manifests = parse_stream(output.stream, source, False, namespace, locate)
        return context_for(manifests, context, problems, self.options)

    def _snapshot(self, chart: Chart) -> Snapshot:
        """The chart's private copy, made once per run (compliance.render.snapshot)."""
        with self._snapshot_lock:
            if chart.directory not in self._snapshots:
                from compliance.render.dependencies import provided
                from compliance.render.snapshot import Snapshot, take

                into = os.path.join(self.snapshots, str(len(self._snapshots)))
                extra, _, problems = provided(self.repo.root, chart, self.chart_cache)
                snapshot = take(self._absolute(chart), self.repo.root, into, extra)
                if problems and snapshot.problem is None:
                    snapshot = Snapshot("", "", "; ".join(problems))
                self._snapshots[chart.directory] = snapshot
            return self._snapshots[chart.directory]

    def _message(self, snapshot: Snapshot, text: str) -> str:
        """What Helm said, on one line, naming no temporary folder, scrubbed of credentials and bounded:
        a template can `fail` with any text it can reach."""
        from compliance.redact import redact

        text = text.replace(snapshot.directory + os.sep, "").replace(snapshot.directory, ".")
        return redact(" ".join(line.strip() for line in text.splitlines() if line.strip()))

    def _absolute(self, chart: Chart) -> str:
        return os.path.join(self.repo.root, chart.directory) if chart.directory else self.repo.root

    def _render(self, snapshot: Snapshot, request: RenderRequest) -> RenderOutput:
        if self.cache is None:
            return self.renderer.render(request)
        from compliance.render.cache import entry_key

        bounds = self.renderer.bounds.key()
        key = entry_key(
            self.identity(), snapshot.digest, request.values_json, request.release_name, request.namespace, bounds
        )
        entry = self.cache.get(key)
        if entry is not None:
            from compliance.render.backends import RenderOutput

            return RenderOutput(
                str(entry.get("stream", "")), str(entry.get("error", "")), tuple(entry.get("warnings", ()))
            )
        output = self.renderer.render(request)
        if not output.exceeded:  # a bound hit may be the machine's load: the next run tries again
            self.cache.put(key, {"stream": output.stream, "error": output.error, "warnings": list(output.warnings)})
        return output

    def _template_lines(self, rel: str) -> list[str] | None:
        """The lines of a regular file of the repository (never read through a link out of it)."""
        if rel not in self._templates:
            from compliance.load.files import read_inside

            data = read_inside(self.repo.root, rel)
            self._templates[rel] = data.decode("utf-8", errors="replace").splitlines() if data is not None else None
        return self._templates[rel]

    def _template_file(self, chart: Chart, template: str) -> str | None:
        """`bp-newapi/templates/x.yaml` (Helm names the chart, not its folder) -> repo-relative path.
        The name comes from Helm's message, which a template can write (`fail "x/templates/../../.."`):
        a name that leaves the chart folder names no file."""
        import posixpath

        _, _, inside = template.partition("/")
        normal = posixpath.normpath(inside) if inside else ""
        if not normal or normal.startswith(("../", "/")) or normal == "..":
            return None
        rel = f"{chart.directory}/{normal}" if chart.directory else normal
        return rel if self._template_lines(rel) is not None else None

    def _locator(self, chart: Chart) -> TemplateLocator:
        def locate(template: str, kind: str, nth: int) -> tuple[str | None, int]:
            """The template file and the line of its `nth` `kind: <kind>` (else of the first, else 1)."""
            rel = self._template_file(chart, template)
            lines = self._template_lines(rel) if rel is not None else None
            if rel is None or lines is None or not kind:
                return rel, 1
            pattern = re.compile(rf"^\s*kind:\s*[\"']?{re.escape(kind)}[\"']?\s*(?:#.*)?$")
            found = [i + 1 for i, line in enumerate(lines) if pattern.match(line)]
            return rel, found[nth] if nth < len(found) else found[0] if found else 1

        return locate

    def _error_location(self, chart: Chart, message: str) -> Location:
        """The innermost template position Helm's message names, when that file is in the repository."""
        matches = list(re.finditer(TEMPLATE_REF, message))
        with_line = [m for m in matches if m.group("line")]
        for match in reversed(with_line or matches):
            rel = self._template_file(chart, match.group("template"))
            lines = self._template_lines(rel) if rel is not None else None
            if rel is None or lines is None:
                continue
            line = int(match.group("line") or 1)
            if not 1 <= line <= len(lines):
                return Location(rel, 1, 1)
            column_match = re.compile(TEMPLATE_REF_COLUMN).match(message, match.end()) if match.group("line") else None
            column = int(column_match.group("column")) if column_match else 1
            return Location(rel, line, column if 1 <= column <= len(lines[line - 1]) + 1 else 1)
        return chart.chart_file.locate(())

    def _warning(self, context: ReleaseContext, chart: Chart, warning: str) -> RenderProblem:
        """A warning Helm printed; `skipped value for chart.a.b` is located where `a.b` was set."""
        match = re.search(SKIPPED_VALUE, warning)
        if match:
            _, _, dotted = match.group("path").partition(".")
            path = tuple(dotted.split(".")) if dotted else ()
            if path:
                return RenderProblem("RND003", warning, context.values.locate(path), ".".join(path))
        return RenderProblem("RND003", warning, self._error_location(chart, warning))


RENDERED = "rendered with output"
RENDERED_EMPTY = "rendered empty"  # Helm rendered it and it produced no object (a stub dependency, all gated off)


def chart_outcomes(repo: Repository, made: Sequence[RenderedContext]) -> dict[str, tuple[str, str]]:
    """Per chart folder, what rendering made of it: (RENDERED | RENDERED_EMPTY | "refused" | "dependency
    missing" | "nothing to render", why). A chart counts as rendered when every pair of it rendered; one
    refused pair (RND001, RND004) makes it refused, with Helm's first message."""
    by_chart: dict[str, list[RenderedContext]] = {}
    for context in made:
        chart = context.release.chart if context.release is not None else None
        if chart is not None:
            by_chart.setdefault(repo.base_chart(chart).directory, []).append(context)
    missing = {
        problem.location.path.rsplit("/", 1)[0] if "/" in problem.location.path else ""
        for context in made
        for problem in context.problems
        if problem.code == "RND002"
    }
    outcomes: dict[str, tuple[str, str]] = {}
    for chart in repo.charts:
        contexts = by_chart.get(chart.directory, [])
        problems = [p for c in contexts for p in (*c.problems, *c.manifests.problems) if p.code in ("RND001", "RND004")]
        if chart.directory in missing:
            outcomes[chart.directory] = ("dependency missing", "RND002")
        elif problems:
            outcomes[chart.directory] = ("refused", f"{problems[0].code}: {problems[0].message}")
        elif not contexts:
            outcomes[chart.directory] = ("nothing to render", "no templates and no dependencies")
        elif any(c.manifests.objects for c in contexts):
            outcomes[chart.directory] = (RENDERED, f"{sum(len(c.manifests.objects) for c in contexts)} objects")
        else:
            outcomes[chart.directory] = (RENDERED_EMPTY, "Helm rendered no object")
    return outcomes
