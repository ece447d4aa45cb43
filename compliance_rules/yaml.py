"""YAML as Helm and Flux read it (YML): parse errors, YAML 1.1 booleans, duplicate keys, bounds, tags,
quoted placeholders.

The loader notices these while parsing, typing each file as the tool that reads it does (a chart's
values as Helm, a HelmRelease or any Flux manifest as kustomize-controller); these rules decide what they
mean where they stand (a `NO` in a region list is an error, elsewhere a warning) and report them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from compliance.effective.substitution import disabled
from compliance.engine.context import RepositoryContext
from compliance.engine.registry import Scope, rule
from compliance.model import Blueprint, FileProblem, Repository
from compliance.model.findings import Severity, Violation
from compliance.model.fixes import Edit, Fix
from compliance.schema import schema_at
from compliance.yaml import Path

REGION_LIST = ("geo", "sanctionedRegions", "block")


def _problems(ctx: RepositoryContext, code: str) -> Iterator[FileProblem]:
    return (p for p in ctx.repo.problems if p.problem.code == code)


def _report(ctx: RepositoryContext, code: str) -> Iterator[Violation]:
    for problem in _problems(ctx, code):
        yield ctx.at(problem.location, problem.problem.message)


@rule("YML000", "File cannot be parsed", Severity.ERROR, Scope.REPOSITORY, "yaml")
def parse_error(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a YAML file that cannot be parsed (syntax error, bytes that are not UTF-8, a NUL byte,
    a value Helm refuses such as `.inf`), at the position the parser stopped. The other files are
    still linted.

    ## Why it matters
    Flux and Helm refuse the whole file: nothing in it deploys, and nothing in it was checked.

    ## Example
    ```yaml
    values:
      ingress:
        host: api.example.com
       tls: true
    ```

    ## Use instead
    ```yaml
    values:
      ingress:
        host: api.example.com
        tls: true
    ```

    ## How to fix
    Fix the syntax at the reported line; `yamllint` shows the context.
    """
    yield from _report(ctx, "YML000")


def _values_context(repo: Repository, file: str) -> tuple[Blueprint | None, Path] | None:
    """For a values.yaml or an overlay file: the blueprint whose schema applies and the values prefix."""
    for blueprint in repo.blueprints:
        if blueprint.chart and any(doc.file == file for doc in blueprint.chart.values):
            return blueprint, ()
        if blueprint.document.file == file:
            return None
    for cluster in repo.clusters:
        for release in cluster.releases:
            if release.document.file == file:
                return repo.resolve_release(release)[1], release.values_prefix
    return None


def _boolean_severity(repo: Repository, problem: FileProblem) -> Severity | None:
    """Error in a region list or an enum; warning elsewhere; None where a boolean is intended."""
    path = problem.problem.path
    file = problem.file
    blueprint = next((b for b in repo.blueprints if b.document.file == file), None)
    if blueprint is not None:
        # inside a configSchema: an enum entry, or the default of a string property, became a boolean
        if len(path) >= 2 and isinstance(path[-1], int) and path[-2] in ("enum", "default"):
            return Severity.ERROR
        if path and path[-1] == "default":
            node = blueprint.document.get(path[:-1], None)
            if isinstance(node, dict) and node.get("type") == "string":
                return Severity.ERROR
        return Severity.WARNING
    located = _values_context(repo, file)
    if located is None:
        return Severity.WARNING
    blueprint, prefix = located
    if path[: len(prefix)] != prefix:
        return Severity.WARNING
    values_path = path[len(prefix) :]
    if values_path[:3] == REGION_LIST:
        return Severity.ERROR
    schema = schema_at(blueprint.config_schema, values_path) if blueprint and blueprint.config_schema else None
    if schema is not None:
        if "enum" in schema:
            return Severity.ERROR
        if schema.get("type") == "boolean":
            return None
    return Severity.WARNING


def quote_fix(problem: FileProblem) -> Fix:
    """YML001's fix: double-quote the plain scalar, so YAML 1.1 reads the string that was written."""
    text = str(problem.problem.detail.get("text", ""))
    edit = Edit(problem.file, problem.problem.line, problem.problem.column, "quote-scalar", expected=text)
    return Fix(f'quote {text} as "{text}"', (edit,))


def duplicate_fix(problem: FileProblem) -> Fix:
    """YML002's fix: delete the earlier entry when both values are equal (block mappings: keys share a column)."""
    detail, where = problem.problem.detail, problem.problem
    first = detail.get("first_line")
    if not isinstance(first, int):
        return Fix("delete the earlier duplicate key", skipped="the earlier key's line is not known")
    key = detail.get("text", detail.get("key"))
    edit = Edit(problem.file, first, where.column, "delete-entry", expected=key, other=(where.line, where.column))
    return Fix(f"delete the earlier '{key}' (line {first}) if its value is the same", (edit,))


@rule(
    "YML001",
    "YAML 1.1 boolean where a string was meant",
    Severity.WARNING,
    Scope.REPOSITORY,
    "yaml",
    fix='quote the scalar (NO -> "NO")',
)
def yaml11_boolean(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a plain scalar that Helm's parser (go-yaml v2, YAML 1.1) reads as a boolean although
    YAML 1.2 and a human read a string: `y Y yes Yes YES n N no No NO on On ON off Off OFF`. It is
    an error inside the sanctioned-region list or where the schema has an enum (the value is then
    certainly wrong), a warning elsewhere, and nothing where the schema says the value is a boolean.
    It applies to the files Helm reads (a chart's `values.yaml`, blueprint cards), not to a
    HelmRelease: kustomize-controller reads manifests with go-yaml v3, where `NO` stays the string
    `"NO"` (a `${VAR}` placeholder is retyped as YAML 1.1 after substitution, though: see YML005).
    It is the one finding at that scalar: what other rules find there because of it (SCH001's
    `false is not of type 'string'` in every cluster) is not reported too; GEO001 names the
    boolean in the region list it checks.

    ## Why it matters
    `block: [IR, KP, NO]` blocks `false`, not Norway; `enforcement: off` is the boolean `false`,
    which matches no enum value, so the chart sees something nobody wrote.

    ## Example
    ```yaml
    geo:
      sanctionedRegions:
        block: [IR, KP, SY, CU, RU-occupied-UA, NO]
    ```

    ## Use instead
    ```yaml
    geo:
      sanctionedRegions:
        block: [IR, KP, SY, CU, RU-occupied-UA, "NO"]
    ```

    ## How to fix
    Quote the scalar (`"NO"`, `"off"`), or write `true`/`false` when a boolean is meant.
    `compliance fix` quotes it.
    """
    for problem in _problems(ctx, "YML001"):
        severity = _boolean_severity(ctx.repo, problem)
        if severity is not None:  # the root cause: SCH001 and others at this scalar are not reported too
            violation = ctx.at(problem.location, problem.problem.message, severity)
            yield replace(violation, fixes=(quote_fix(problem),), root_cause=True)


@rule(
    "YML002",
    "Duplicate mapping key",
    Severity.ERROR,
    Scope.REPOSITORY,
    "yaml",
    fix="delete the earlier key when both values are equal",
)
def duplicate_key(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a mapping key that appears twice. In a file Helm reads (a chart's `values.yaml`) this
    includes keys that only collide after Helm's resolution (`yes:`, `on:` and `y:` all become the
    key `"true"`). In a Flux/Kubernetes manifest (a HelmRelease) the message says that the
    Kustomization's build fails, with go-yaml v3's error (`mapping key "a" already defined at line N`).

    ## Why it matters
    Helm silently keeps the last value: the first one, often the reviewed one, never deploys. In a
    manifest it is worse: kustomize-controller refuses the file, the whole Kustomization stops
    reconciling and nothing in it is applied.

    ## Example
    ```yaml
    audit:
      enabled: true
      retentionDays: 730
      enabled: false
    ```

    ## Use instead
    ```yaml
    audit:
      enabled: true
      retentionDays: 730
    ```

    ## How to fix
    Keep one of the keys. `compliance fix` deletes the earlier one when both values are equal; when they
    differ it leaves both and says so, since only you know which value is meant.
    """
    for problem in _problems(ctx, "YML002"):
        yield replace(ctx.at(problem.location, problem.problem.message), fixes=(duplicate_fix(problem),))


@rule("YML003", "Input exceeds the loader's bounds", Severity.ERROR, Scope.REPOSITORY, "yaml")
def bounds(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a file that is too large, nested too deeply or expands too many aliases (a "billion
    laughs" alias bomb). The file is not evaluated; the rest of the run goes on.
    The run as a whole has a budget too (`--max-total-size`, default 64 MiB of YAML;
    `--max-total-nodes`, default 2 000 000 nodes): the first file that does not fit in what is
    left is reported, naming it and every file after it, which are not read.

    ## Why it matters
    A pull request can carry a hostile file; a linter that hangs or runs out of memory is a
    denial of service on the CI gate.

    ## Example
    ```yaml
    a: &a [x, x, x, x, x, x, x, x, x]
    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
    # ... and so on for nine levels
    ```

    ## Use instead
    ```yaml
    a: [x]
    ```

    ## How to fix
    Remove the construct; values files have no need for exponential aliases or deep nesting.
    """
    yield from _report(ctx, "YML003")


@rule("YML004", "Unknown YAML tag", Severity.WARNING, Scope.REPOSITORY, "yaml")
def unknown_tag(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a tag Helm does not know (`!!python/object/apply:...`, `!!binary`, local `!tags`). The
    tagged value is never constructed; it is read as a plain scalar.

    ## Why it matters
    Tags that construct objects are a classic code-execution vector in YAML tooling, and Helm would
    read the value differently from what the tag suggests.

    ## Example
    ```yaml
    replicas: !!python/object/apply:os.system ["id"]
    ```

    ## Use instead
    ```yaml
    replicas: 2
    ```

    ## How to fix
    Remove the tag.
    """
    yield from _report(ctx, "YML004")


@rule("YML005", "Quoted placeholder retyped after substitution", Severity.WARNING, Scope.REPOSITORY, "yaml")
def quoted_placeholder(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a quoted `"${VAR}"` (or `'${VAR}'`) placeholder in a Flux manifest such as a HelmRelease.
    kustomize-controller parses the manifest, turns it into JSON and writes it back before post-build
    substitution: the quotes are gone by then, and the substituted text is read again with YAML 1.1
    rules (flux2#4154, flux2#4606).

    ## Why it matters
    The quotes look like they keep a string, and do not: with `E=yes`, `enabled: "${E}"` deploys the
    boolean `true`; with `ID=0123`, `id: "${ID}"` deploys the number 83. The chart then sees a type
    nobody wrote, and the schema or the template fails on one cluster only.

    ## Example
    ```yaml
    spec:
      values:
        region: "${REGION}"   # REGION=NO becomes false
    ```

    ## Use instead
    ```yaml
    spec:
      values:
        region: ${quote}${REGION}${quote}   # with substitute: {quote: '"'}
    ```

    ## How to fix
    Define a variable `quote` holding `"` in the Kustomization's `postBuild.substitute` and write
    `${quote}${VAR}${quote}`, so the quotes exist after substitution; or set the value in the chart's
    `values.yaml`, or make sure the variable's value is not a YAML 1.1 boolean, number or null.

    Reported only in files a Flux Kustomization that substitutes (`spec.postBuild`) applies; a cluster
    folder without a Flux Kustomization in the repository is assumed to be substituted by its bootstrap.
    """
    substituted = {f for cluster in ctx.repo.clusters for k in cluster.kustomizations if k.substitutes for f in k.files}
    opted_out = _opted_out(ctx)
    for problem in _problems(ctx, "YML005"):
        if problem.file in substituted and problem.file not in opted_out:
            yield ctx.at(problem.location, problem.problem.message)


def _opted_out(ctx: RepositoryContext) -> set[str]:
    """HelmRelease files whose every applied release opts out of substitution (label or annotation)."""
    enabled: dict[str, bool] = {}  # file -> whether any of its applied releases keeps substitution on
    for cluster in ctx.repo.clusters:
        for release in cluster.releases:
            file = release.document.file
            enabled[file] = enabled.get(file, False) or not disabled(release)
    return {file for file, on in enabled.items() if not on}
