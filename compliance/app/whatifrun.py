"""`compliance whatif` and `lint --whatif`: the what-if of `compliance.app.whatif` over a run, as text, JSON
or info findings (FLX006, "would fail if ...")."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from compliance.app.config import run_at
from compliance.app.outcome import Outcome, Output
from compliance.app.valuesview import ValuesUsageError, select_context
from compliance.app.whatif import (
    DEFAULT_MAX_COMBINATIONS,
    Evaluator,
    Flip,
    WhatIf,
    release_rules,
    what_if,
    would_fail,
)
from compliance.effective.substitution import secret_values
from compliance.engine.evaluate import LintOptions, release_contexts, select_rules
from compliance.model.findings import Finding, Severity
from compliance.records import record

if TYPE_CHECKING:
    from compliance.app.run import Run, RunRequest
    from compliance.model import Cluster, HelmRelease
    from compliance.report.redaction import Redactor

WHATIF_RULE = "FLX006"


@record
class WhatIfQuery:
    cluster: str | None = None
    blueprint: str | None = None
    output_format: str = "text"  # or "json"
    max_combinations: int = DEFAULT_MAX_COMBINATIONS


def _renderer(run: Run) -> tuple[str, str | None]:
    """The renderer name the what-if evaluates with and its label (None: answers not checked by a render)."""
    if run.renderer.name == "none":
        return "none", None
    label = run.renderer.label
    return (run.renderer.name, label) if label is not None else ("none", None)


def _evaluate(run: Run, cluster: Cluster, releases: list[HelmRelease], max_combinations: int) -> WhatIf:
    name, label = _renderer(run)
    # the selected rules; a selection with none a variable can change (`--select FLX006`): every rule not ignored
    specs = release_rules(select_rules(run.specs, run.settings.select, run.settings.ignore)) or release_rules(
        select_rules(run.specs, (), run.settings.ignore)
    )
    known = {spec.id: spec.severity for spec in run.specs}
    evaluator = Evaluator(run.lint.repo, cluster, run.settings, specs, known, name, run.renderer.chosen)
    blueprints = tuple(dict.fromkeys(_blueprint_name(run, r) for r in releases))
    return what_if(evaluator, releases, blueprints, max_combinations, label)


def _blueprint_name(run: Run, release: HelmRelease) -> str:
    chart, blueprint = run.lint.repo.resolve_release(release)
    return blueprint.name if blueprint is not None else chart.name if chart is not None else release.name


def cluster_releases(run: Run, cluster_name: str | None, blueprint: str | None) -> tuple[Cluster, list[HelmRelease]]:
    """The cluster asked for and its releases the what-if covers (one with --blueprint, else all we have)."""
    repo = run.lint.repo
    names = sorted(c.name for c in repo.clusters)
    cluster = next((c for c in repo.clusters if c.name == cluster_name), None)
    if cluster is None:
        said = "--cluster is required" if cluster_name is None else f"unknown cluster: {cluster_name}"
        raise ValuesUsageError(f"{said}; clusters: {', '.join(names) or '(none)'}")
    if blueprint is not None:
        options = LintOptions(
            variables=run.settings.variables_in(cluster.name), strict_substitution=run.settings.flux_strict
        )
        context = select_context(repo, release_contexts(repo, options), cluster.name, blueprint)
        return cluster, [context.release] if context.release is not None else []
    return cluster, [r for r in cluster.releases if repo.resolve_release(r) != (None, None)]


def whatif(request: RunRequest, query: WhatIfQuery, hide: Redactor) -> Outcome:
    """`compliance whatif`: the variables of one cluster and the findings each assignment flips; the values of
    `--var` (unless public) and of the repository's Secrets hidden in what is shown."""
    run = run_at(replace(request, evaluate=False))
    cluster, releases = cluster_releases(run, query.cluster, query.blueprint)
    result = _evaluate(run, cluster, releases, query.max_combinations)
    text = as_json(result) if query.output_format == "json" else as_text(result)
    return Outcome((Output(hide.hiding(secret_values(run.lint.repo)).text(text)),))


def whatif_findings(run: Run, max_combinations: int = DEFAULT_MAX_COMBINATIONS) -> list[Finding]:
    """`lint --whatif`: one info finding per assignment that would add a warning or an error, every cluster."""
    if not any(spec.id == WHATIF_RULE for spec in run.lint.rules):
        return []
    found: list[Finding] = []
    seen: set[tuple[str, Any]] = set()
    for cluster in run.lint.repo.clusters:
        _, releases = cluster_releases(run, cluster.name, None)
        result = _evaluate(run, cluster, releases, max_combinations)
        for flip, finding in would_fail(result):
            what = f"{finding.rule} {finding.severity.value}: {finding.message}"
            message = f"would fail if {assigned(flip, result, finding)}: {what}"
            key = (message, finding.location)
            if key not in seen:
                seen.add(key)
                found.append(replace(finding, rule=WHATIF_RULE, severity=Severity.INFO, message=message, fixes=()))
    return found


# ── shown ────────────────────────────────────────────────────────────────────


def assigned(flip: Flip, result: WhatIf | None = None, finding: Finding | None = None) -> str:
    """`A=x and B=y`, with the other variables named at the finding's place and their defaults (`with
    SOVEREIGN_VLLM_ENDPOINT "" (its default)`): what the finding needs besides the assignment."""
    said = " and ".join(f"{name}={_quoted(value)}" for name, value in flip.assignment)
    if result is None or finding is None:
        return said
    names = {name for name, _ in flip.assignment}
    held = [
        f"{v.name} {_quoted(v.default)} (its default)"
        for v in result.variables
        if v.name not in names and v.fixed is None and any(r.location == finding.location for r in v.references)
    ]
    return f"{said} with {', '.join(held)}" if held else said


def _quoted(value: str | None) -> str:
    if value is None:
        return "(no default)"
    return json.dumps(value) if value == "" or any(c in value for c in " \"'#:") else value


def _finding(finding: Finding) -> str:
    return f"{finding.rule} {finding.severity.value} at {finding.location}: {finding.message}"


def as_text(result: WhatIf) -> str:
    lines = [
        f"what-if for cluster {result.cluster} ({', '.join(result.blueprints) or 'no blueprint'}): "
        f"{len(result.variables)} Flux variable(s), {result.evaluated} evaluation(s)"
    ]
    lines.append("")
    lines.append("variables:")
    for variable in result.variables:
        lines.append(f"  {variable.name}  default {_quoted(variable.default)}")
        for ref in variable.references:
            path = ".".join(str(k) for k in ref.path)
            lines.append(f"    referenced at {ref.location} ({ref.release}: {path}, default {_quoted(ref.default)})")
        if variable.fixed is not None:
            lines.append(f"    not varied: {variable.fixed}")
        else:
            tried = ", ".join(f"{_quoted(c.value)} ({c.why})" for c in variable.candidates)
            lines.append(f"    candidates: {tried or '(none)'}")
    paired = "pairs (compared with what the two single assignments predict)"
    for title, flips in (("single assignments", result.singles), (paired, result.pairs)):
        lines.append("")
        lines.append(f"{title}:" if flips else f"{title}: no finding changes")
        for flip in flips:
            lines.append(f"  {assigned(flip)}:")
            for finding in flip.appeared:
                held = assigned(flip, result, finding)[len(assigned(flip)) :]
                note = f"  ({held.strip()})" if held else ""
                if finding in flip.contradicted:
                    note += "  [the rendered chart contradicts this: its templates drop the channel]"
                lines.append(f"    + {_finding(finding)}{note}")
            lines.extend(f"    - {_finding(finding)}" for finding in flip.disappeared)
    lines.append("")
    lines.append(
        f"pairs: {result.pairs_evaluated} of {result.pair_combinations} combination(s) evaluated"
        + (f" (--max-combinations {result.max_combinations} reached)" if result.capped else "")
    )
    if result.rendered is None:
        lines.append(
            "rendered chart: not checked (no renderer); a channel the chart's templates drop may make an answer wrong"
        )
    else:
        lines.append(f"rendered chart: every answer checked with {result.rendered}")
    return "\n".join(lines) + "\n"


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "message": finding.message,
        "path": finding.location.path,
        "line": finding.location.line,
        "column": finding.location.column,
        "blueprint": finding.blueprint,
        "cluster": finding.cluster,
    }


def _flip_json(flip: Flip) -> dict[str, Any]:
    return {
        "assignment": dict(flip.assignment),
        "appeared": [_finding_json(f) | {"contradicted_by_render": f in flip.contradicted} for f in flip.appeared],
        "disappeared": [_finding_json(f) for f in flip.disappeared],
    }


def as_json(result: WhatIf) -> str:
    data = {
        "cluster": result.cluster,
        "blueprints": list(result.blueprints),
        "variables": [
            {
                "name": v.name,
                "default": v.default,
                "fixed": v.fixed,
                "references": [
                    {
                        "release": r.release,
                        "values_path": list(r.path),
                        "path": r.location.path,
                        "line": r.location.line,
                        "default": r.default,
                    }
                    for r in v.references
                ],
                "candidates": [{"value": c.value, "why": c.why} for c in v.candidates],
            }
            for v in result.variables
        ],
        "singles": [_flip_json(f) for f in result.singles],
        "pairs": [_flip_json(f) for f in result.pairs],
        "evaluated": result.evaluated,
        "pair_combinations": result.pair_combinations,
        "pairs_evaluated": result.pairs_evaluated,
        "max_combinations": result.max_combinations,
        "capped": result.capped,
        "rendered": result.rendered,
    }
    return json.dumps(data, indent=2) + "\n"
