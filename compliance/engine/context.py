"""What a rule is given. Contexts locate values so rules never deal with files or positions."""

from __future__ import annotations

import re
from dataclasses import field
from typing import Any

from compliance.effective.envsubst import Unresolved
from compliance.effective.values import EffectiveValues, unknown_sources
from compliance.engine.options import RuleOptions
from compliance.model import (
    MISSING,
    Blueprint,
    Chart,
    Cluster,
    HelmRelease,
    RenderedManifests,
    RenderedObject,
    RenderProblem,
    Repository,
    YamlDocument,
    format_path,
)
from compliance.model.findings import Location, Severity, Violation
from compliance.records import record
from compliance.yaml import Path

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")  # a Flux variable in text not yet substituted


def is_unknown(value: Any) -> bool:
    """True for values that depend on Flux variables nobody supplied."""
    return isinstance(value, Unresolved)


def is_blank(value: Any) -> bool:
    """Absent, null or an empty/whitespace string (an unknown value is not blank)."""
    if value is MISSING or value is None:
        return True
    return isinstance(value, str) and not is_unknown(value) and not value.strip()


def _violation(document: YamlDocument, path: Path, message: str, severity: Severity | None) -> Violation:
    return Violation(message, document.locate(path), format_path(path), (), severity)


@record
class RepositoryContext:
    repo: Repository
    options: RuleOptions = field(default_factory=RuleOptions)

    def at(self, location: Location, message: str, severity: Severity | None = None, value_path: str = "") -> Violation:
        return Violation(message, location, value_path, (), severity)

    def in_document(
        self, document: YamlDocument, path: Path, message: str, severity: Severity | None = None
    ) -> Violation:
        return _violation(document, path, message, severity)


@record
class BlueprintContext:
    repo: Repository
    blueprint: Blueprint
    options: RuleOptions = field(default_factory=RuleOptions)

    @property
    def chart(self) -> Chart | None:
        return self.blueprint.chart

    def at_blueprint(self, path: Path, message: str, severity: Severity | None = None) -> Violation:
        return _violation(self.blueprint.document, path, message, severity)

    def at_chart(self, path: Path, message: str, severity: Severity | None = None) -> Violation:
        assert self.chart is not None
        return _violation(self.chart.chart_file, path, message, severity)


@record
class ReleaseContext:
    """One blueprint (or bare chart) as one cluster deploys it; `cluster` is None for chart defaults."""

    repo: Repository
    blueprint: Blueprint | None
    chart: Chart | None
    cluster: Cluster | None
    release: HelmRelease | None
    values: EffectiveValues
    options: RuleOptions = field(default_factory=RuleOptions)

    @property
    def name(self) -> str:
        if self.blueprint is not None and self.blueprint.name:
            return self.blueprint.name
        if self.chart is not None:
            return self.chart.name
        return self.release.name if self.release else ""

    def get(self, path: Path, default: Any = MISSING) -> Any:
        return self.values.get(path, default)

    def at(self, path: Path, message: str, severity: Severity | None = None) -> Violation:
        """A violation located where the value at `path` was set, with its trace."""
        return Violation(message, self.values.locate(path), format_path(path), self.values.trace(path), severity)

    def at_release(self, path: Path, message: str, severity: Severity | None = None) -> Violation:
        assert self.release is not None
        return _violation(self.release.document, path, message, severity)

    def unknown(self, path: Path, value: Any = MISSING, in_release: bool = False, risk: str = "") -> Violation:
        """What a rule yields when its verdict depends on `value` (the value at `path`, in the release's values
        or, `in_release`, in the HelmRelease itself), unknown because it depends on a Flux variable nobody
        supplied: not a finding, the engine records this check as *not run: values unknown* (never passed).
        `risk` says what the value would cause if it took the wrong value ("if it renders true, the render
        fails"): part of the not-run reason every output shows, so the condition is not lost."""
        if value is MISSING:
            value = self.release.document.get(path) if in_release and self.release else self.get(path)
        variables = getattr(value, "variables", ()) or (_VARIABLE.findall(value) if isinstance(value, str) else ())
        names = unknown_sources(variables)
        where = self.release.document.locate(path) if in_release and self.release else self.values.locate(path)
        message = f"values unknown: {format_path(path)} depends on {names}" + (f" ({risk})" if risk else "")
        return Violation(message, where, format_path(path), not_run=True)


@record
class RenderedContext:
    """One release's rendered manifests (`release` is its values side), or a stream given with `--manifests`.

    Findings name the object and its template, and sit where the values that fed it were set when
    the rule knows that value, else in the stream file (`--manifests`), else in the template.
    """

    manifests: RenderedManifests
    release: ReleaseContext | None = None
    problems: tuple[RenderProblem, ...] = ()
    options: RuleOptions = field(default_factory=RuleOptions)
    # what rules derive from the manifests, parsed once per context and shared between rules (a rule
    # pack's cache, keyed by its own names; the engine never reads it)
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def blueprint_name(self) -> str | None:
        return (self.release.name or None) if self.release is not None else None

    @property
    def cluster_name(self) -> str | None:
        cluster = self.release.cluster if self.release is not None else None
        return cluster.name if cluster is not None else None

    @property
    def primary(self) -> Location:
        if self.release is not None:
            return self.release.values.locate(())
        return Location(self.manifests.source)

    def objects(self, *kinds: str) -> list[RenderedObject]:
        return [obj for obj in self.manifests.objects if not kinds or obj.kind in kinds]

    def at_problem(self, problem: RenderProblem) -> Violation:
        return Violation(problem.message, problem.location, problem.value_path)

    def at_values(self, path: Path, message: str, severity: Severity | None = None) -> Violation:
        assert self.release is not None
        return self.release.at(path, message, severity)

    def at_object(
        self,
        obj: RenderedObject,
        path: Path,
        message: str,
        severity: Severity | None = None,
        values_path: Path | None = None,
    ) -> Violation:
        """A violation on `obj` at `path`, named by object and template, located as the class says."""
        message = f"{message} ({obj.ref}, rendered from {obj.template_file or obj.template or self.manifests.source})"
        if values_path is not None and self.release is not None:
            values = self.release.values
            return Violation(
                message, values.locate(values_path), format_path(values_path), values.trace(values_path), severity
            )
        value_path = f"{obj.kind}/{obj.name}:{format_path(path)}"
        if self.manifests.in_file:
            return Violation(message, obj.document.locate(path), value_path, (), severity)
        return Violation(message, self._template_location(obj), value_path, (), severity)

    def _template_location(self, obj: RenderedObject) -> Location:
        if obj.template_file is not None:
            return Location(obj.template_file, obj.template_line)
        chart = self.release.chart if self.release is not None else None
        return chart.chart_file.locate(()) if chart is not None else Location(self.manifests.source)
