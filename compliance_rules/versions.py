"""Versions: the blueprint, its chart and the overlays that pin it agree (VER).

A blueprint is released as the OCI chart `<chart name>:<Chart.yaml version>`; the catalog shows
`spec.version` of blueprint.yaml. The two must move in lockstep, be SemVer 2.0, and every cluster's
HelmRelease must pin a version expression the chart in the tree satisfies.

Version expressions are read as Flux source-controller reads `spec.chart.spec.version`: an exact
match of the version string first, then a Masterminds/semver v3 constraint (`*`, `1.4.x`,
`>=1.0.0 <2.0.0`, `^1.2`, `~1.2`, `1.0 - 1.4`, `||`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from compliance.effective.substitution import substitute_text
from compliance.engine.context import BlueprintContext, ReleaseContext, RepositoryContext, is_blank, is_unknown
from compliance.engine.registry import Scope, rule
from compliance.model import MISSING, Chart, Repository, format_path
from compliance.model.findings import Severity, TraceStep, Violation
from compliance.model.fixes import Edit, Fix
from compliance.model.semver import parse_version, pin_admits
from compliance.yaml import Path
from compliance.yaml.spelling import spell
from compliance_rules.controls import CHANGE

# semver.org's suggested regular expression (SemVer 2.0.0), ASCII digits only.
SEMVER = re.compile(
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)


def is_semver(text: str) -> bool:
    """True for a strict SemVer 2.0.0 version (no `v` prefix, no missing part, no leading zero)."""
    return SEMVER.fullmatch(text) is not None


def _as_text(value: Any) -> str | None:
    """A version as written, or None when it is absent or not a scalar."""
    if value is MISSING or value is None or isinstance(value, (dict, list, bool)):
        return None
    return str(value)


# ── Rules ───────────────────────────────────────────────────────────────────────────────────


def lockstep_fixes(ctx: BlueprintContext, blueprint_version: str, chart_version: str) -> tuple[Fix, ...]:
    """VER001's fixes: the blueprint takes the chart's version (`--prefer chart`, the default), or the reverse."""
    chart = ctx.chart
    assert chart is not None
    fixes: list[Fix] = []
    for mode, document, path, old, new in (
        ("prefer-chart", ctx.blueprint.document, ("spec", "version"), ctx.blueprint.version, chart_version),
        ("prefer-blueprint", chart.chart_file, ("version",), chart.version, blueprint_version),
    ):
        mark = document.mark(path)
        description = f"set {document.file} {'.'.join(path)} to {new}"
        if mark is None or not isinstance(old, str):
            fixes.append(Fix(description, mode=mode, skipped=f"{'.'.join(path)} is not a version string as written"))
            continue
        fixes.append(Fix(description, (Edit(document.file, mark.line, mark.column, "set-scalar", new, old),), mode))
    return tuple(fixes)


@rule(
    "VER001",
    "Chart version differs from blueprint version",
    Severity.ERROR,
    Scope.BLUEPRINT,
    "versions",
    fix="set blueprint.yaml spec.version to the chart's version (--prefer blueprint: the reverse)",
    controls=CHANGE,
)
def version_lockstep(ctx: BlueprintContext) -> Iterator[Violation]:
    """
    ## What it does
    Compares the chart's `Chart.yaml` `version` with the blueprint's `spec.version`, as written.

    ## Why it matters
    The catalog advertises `spec.version`, but Flux installs the chart version. When they drift,
    operators approve one release and run another, and the release pipeline publishes a card
    that describes a chart nobody built.

    ## Example
    ```yaml
    # platform/newapi/blueprint.yaml          # platform/newapi/chart/Chart.yaml
    spec:                                     name: bp-newapi
      version: 1.0.0                          version: 1.1.0
    ```

    ## Use instead
    ```yaml
    spec:                                     name: bp-newapi
      version: 1.1.0                          version: 1.1.0
    ```

    ## How to fix
    Bump both files in the same change; the chart is the source of truth for what ships.
    `compliance fix` sets `spec.version` to the chart's version; with `--prefer blueprint` it sets the
    chart's `version` instead.
    """
    chart = ctx.chart
    if chart is None:
        return
    blueprint_version = _as_text(ctx.blueprint.version)
    chart_version = _as_text(chart.version)
    if blueprint_version is None or chart_version is None or blueprint_version == chart_version:
        return
    where = chart.chart_file.locate(("version",))
    violation = ctx.at_blueprint(
        ("spec", "version"),
        f"blueprint spec.version {blueprint_version} differs from the chart version "
        f"{chart_version} ({where.path}:{where.line})",
    )
    yield replace(violation, fixes=lockstep_fixes(ctx, blueprint_version, chart_version))


@rule("VER002", "Version is not SemVer 2.0", Severity.ERROR, Scope.BLUEPRINT, "versions", controls=CHANGE)
def version_not_semver(ctx: BlueprintContext) -> Iterator[Violation]:
    """
    ## What it does
    Checks that the blueprint's `spec.version` and its chart's `Chart.yaml` `version` are strict
    SemVer 2.0.0 versions (`MAJOR.MINOR.PATCH`, optional `-prerelease` and `+build`, no `v`
    prefix, no leading zeros). A missing version is reported too.

    ## Why it matters
    Helm and OCI registries order releases by SemVer; Flux resolves `spec.chart.spec.version`
    ranges against it. `1.10` is read by YAML as the number 1.1, and `v1.0` or `1.0` are
    accepted by some tools and rejected by others: upgrades silently pick the wrong release.

    ## Example
    ```yaml
    spec:
      version: v1.2
    ```

    ## Use instead
    ```yaml
    spec:
      version: 1.2.0
    ```

    ## How to fix
    Write the full three-part version, without a `v` prefix.
    """
    written = _as_text(ctx.blueprint.version)
    if written is None or is_blank(written):
        yield ctx.at_blueprint(("spec", "version"), "blueprint has no spec.version")
    elif not is_semver(written):
        yield ctx.at_blueprint(("spec", "version"), f"blueprint spec.version '{written}' is not SemVer 2.0.0")
    chart = ctx.chart
    if chart is None:
        return
    written = _as_text(chart.version)
    if written is None or is_blank(written):
        yield ctx.at_chart(("version",), f"chart {chart.name} has no version in Chart.yaml")
    elif not is_semver(written):
        yield ctx.at_chart(("version",), f"chart {chart.name} version '{written}' is not SemVer 2.0.0")


@rule(
    "VER003",
    "Overlay pins a chart version the chart does not have",
    Severity.WARNING,
    Scope.RELEASE,
    "versions",
    controls=CHANGE,
)
def pinned_version(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Reads the HelmRelease's `spec.chart.spec.version` as Flux does (an exact version, `*`,
    `1.4.x`, `>=1.0.0 <2.0.0`, `^1.2`, `~1.2`, `||`) and warns when the chart version in the
    tree does not satisfy it, when the pin is not a valid expression, and when it is an unquoted
    number (`version: 1.10` is the float 1.1 to YAML; the HelmRelease API wants a string). A pin
    made of Flux variables nobody supplied is not judged, and neither is one whose source is a
    `GitRepository` or `Bucket` (Flux ignores it there). A literal pin that selects none of the tree's
    versions of the chart is FLX007 (the tree's chart is not used for that release, so there is no chart
    here to compare): this rule judges the pins known only once Flux variables are substituted, and an
    unquoted number the chart's version still satisfies.

    ## Why it matters
    The cluster does not run the chart you are reviewing: it keeps the pinned release, so a fix
    merged into the chart never reaches it (or a range silently skips a prerelease).

    ## Example
    ```yaml
    spec:
      chart:
        spec:
          chart: bp-newapi
          version: ${NEWAPI_VERSION}   # --var NEWAPI_VERSION=1.0.x; the chart in the tree is 1.1.0
    ```

    ## Use instead
    ```yaml
    spec:
      chart:
        spec:
          chart: bp-newapi
          version: ${NEWAPI_VERSION}   # --var NEWAPI_VERSION=1.1.x
    ```

    ## How to fix
    Move the pin to the chart's version (or widen the range) when you bump the chart.
    """
    release, chart = ctx.release, ctx.chart
    if release is None or chart is None:
        return
    pin = release.chart_version
    path = ("spec", "chart", "spec", "version")
    if is_unknown(pin):
        yield ctx.unknown(path, pin, in_release=True)  # the pin Flux will ask for is not known: not run
        return
    if pin is MISSING or pin is None or isinstance(pin, (dict, list)):
        return
    if release.document.get(("spec", "chart", "spec", "sourceRef", "kind"), "") in (
        "GitRepository",
        "Bucket",
    ):
        return  # Flux ignores the version of a chart built from a Git or Bucket source
    if not isinstance(pin, str):
        kind = "boolean" if isinstance(pin, bool) else "number"
        yield ctx.at_release(
            path,
            f"chart version pin is the {kind} {spell(pin)}, not a string: unquoted, YAML reads it as "
            f"a {kind} and the HelmRelease API rejects it; quote the version",
        )
        return
    if "$" in pin:
        substituted = substitute_text(pin, ctx.values.substitution)
        if substituted is None:  # unknown variables (or a substitution Flux refuses, FLX001): not run
            yield ctx.unknown(path, pin, in_release=True)
            return
        pin = substituted
    version = _as_text(chart.version)
    parsed = parse_version(version) if version is not None else None
    if version is None or parsed is None:
        return  # VER002 reports a chart version that cannot be ordered
    admitted = pin_admits(pin, version)
    if admitted is None:
        yield ctx.at_release(path, f"chart version pin '{pin}' is not a valid version or range")
    elif not admitted:
        hint = " (a range selects a prerelease only when it names one)" if parsed.pre else ""
        yield ctx.at_release(
            path,
            f"chart version pin '{pin}' does not select {chart.name} {version}, the chart in the tree{hint}",
        )


# ── Version facts across charts ─────────────────────────────────────────────────────────────


def _dependencies(chart: Chart) -> list[tuple[int, dict[str, Any]]]:
    found = chart.chart_file.get(("dependencies",), [])
    return [(i, d) for i, d in enumerate(found) if isinstance(d, dict)] if isinstance(found, list) else []


def _sibling(repo: Repository, chart: Chart, dependency: dict[str, Any]) -> Chart | None:
    """The repository's chart a dependency names: a `file://` path, else a chart of that name elsewhere."""
    repository = dependency.get("repository")
    if isinstance(repository, str) and repository.startswith("file://"):
        path = posixpath.normpath(posixpath.join(chart.directory, repository[len("file://") :]))
        return repo.chart_in(path)
    name = dependency.get("name")
    return next((c for c in repo.charts_called(name) if c is not chart), None) if isinstance(name, str) else None


@rule(
    "VER004",
    "Umbrella chart pins an in-repo chart at a version it does not have",
    Severity.WARNING,
    Scope.REPOSITORY,
    "versions",
    controls=CHANGE,
)
def sibling_pinned_elsewhere(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Reads every chart's `dependencies:` and, for one that names a chart of this repository (by
    `file://` path or by name), warns when the dependency's `version` (an exact version or a range, as
    Helm reads it) does not select the version that chart's `Chart.yaml` has. The finding sits at the
    pin; its trace names the sibling's `version:` line.

    ## Why it matters
    The umbrella ships the version it pins, not the one in the tree: a fix merged into the sibling chart
    never reaches the clusters that install the umbrella, and reviewers read the wrong chart.

    ## Example
    ```yaml
    # products/catalyst/chart/Chart.yaml
    dependencies:
      - name: bp-crossplane
        version: 1.1.1          # platform/crossplane/chart/Chart.yaml says 1.1.3
    ```

    ## Use instead
    ```yaml
    dependencies:
      - name: bp-crossplane
        version: 1.1.3
    ```

    ## How to fix
    Bump the pin with the sibling chart (or pin a range that holds it), in the same change.
    """
    for chart in ctx.repo.charts:
        for index, dependency in _dependencies(chart):
            pin, sibling = _as_text(dependency.get("version")), _sibling(ctx.repo, chart, dependency)
            version = _as_text(sibling.version) if sibling is not None else None
            if sibling is None or pin is None or version is None or pin_admits(pin, version) is not False:
                continue
            here = chart.chart_file.locate(("dependencies", index, "version"))
            there = sibling.chart_file.locate(("version",))
            message = (
                f"{chart.name} pins dependency {sibling.name} at {pin}, but {sibling.name} in the tree "
                f"({there.path}:{there.line}) is {version}: the umbrella ships another version"
            )
            trace = (TraceStep("set", here, pin), TraceStep("disagrees with", there, version))
            yield Violation(message, here, f"dependencies[{index}].version", trace)


def _restated(value: Any, path: Path = ()) -> Iterator[tuple[Path, str, str]]:
    """(path of `version`, the chart it names, the version) of every map naming a chart and a version."""
    if isinstance(value, dict):
        named = value.get("chart", value.get("name"))
        version = _as_text(value.get("version"))
        if isinstance(named, str) and version is not None:
            yield (*path, "version"), named, version
        for key, item in value.items():
            yield from _restated(item, (*path, key))


@rule(
    "VER005",
    "Values restate a chart dependency's version differently",
    Severity.WARNING,
    Scope.REPOSITORY,
    "versions",
    controls=CHANGE,
)
def dependency_restated(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Finds, in a chart's `values.yaml`, a map that names one of the chart's `dependencies:` (`chart:` or
    `name:`) together with a `version:` (such as `catalystBlueprint.upstream`), and warns when that
    version is not one the dependency's pin selects. The finding sits at the values line; its trace
    names the dependency's `version:` in `Chart.yaml`.

    ## Why it matters
    Such a key is what dashboards, audits and provenance pipelines read to say which upstream chart is
    bundled. When the dependency is bumped and the key is not, every report built on it is wrong.

    ## Example
    ```yaml
    # Chart.yaml: dependencies: [{name: cilium, version: 1.19.3, repository: https://helm.cilium.io}]
    catalystBlueprint:
      upstream: {chart: cilium, version: "1.16.5"}
    ```

    ## Use instead
    ```yaml
    catalystBlueprint:
      upstream: {chart: cilium, version: "1.19.3"}
    ```

    ## How to fix
    Change the values key with the dependency (or derive it in a template from `.Chart.Dependencies`).
    """
    for chart in ctx.repo.charts:
        pins = {
            d.get("name"): (index, _as_text(d.get("version")))
            for index, d in _dependencies(chart)
            if isinstance(d.get("name"), str)
        }
        if not pins:
            continue
        for document in chart.values:
            for path, named, version in _restated(document.value):
                index, pin = pins.get(named, (0, None))
                if pin is None or pin_admits(pin, version) is not False:
                    continue
                here = document.locate(path)
                there = chart.chart_file.locate(("dependencies", index, "version"))
                message = (
                    f"values {format_path(path)} says {named} {version}, but {chart.name}'s Chart.yaml depends on "
                    f"{named} {pin} ({there.path}:{there.line})"
                )
                trace = (TraceStep("set", here, version), TraceStep("disagrees with", there, pin))
                yield Violation(message, here, format_path(path), trace)
