"""Flux post-build substitution (FLX): what makes kustomize-controller refuse to build a Kustomization.

kustomize-controller substitutes `${VAR}` in every resource a Kustomization with `spec.postBuild` applies
(fluxcd/pkg `envsubst`). A placeholder it cannot parse, a variable name it refuses or a `substituteFrom`
source that does not exist fails the whole Kustomization: nothing it applies reconciles.
"""

from __future__ import annotations

from collections.abc import Iterator

from compliance.engine.context import ReleaseContext, RepositoryContext
from compliance.engine.registry import Scope, rule
from compliance.model.findings import Severity, Violation
from compliance.model.flux import BUILD_FAILS, NOT_APPLIED, NOT_MODELLED


@rule("FLX001", "Flux cannot substitute a variable placeholder", Severity.ERROR, Scope.RELEASE, "flux")
def substitution_fails(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a value of a HelmRelease that Flux's post-build substitution refuses: a `${` without its
    closing brace, an operator Flux's parser rejects (`${v-d}`, `${v+x}`, `${v?x}`), a name with `-` or
    `.` inside `${}`, a substituted text that changes the shape of the document, or (config
    `flux-strict: true`, the default, as Flux v2.9+) a variable that no source of the Kustomization
    defines, when every source is in the repository: `variable not set (strict mode)`. The message is
    the error kustomize-controller raises.

    ## Why it matters
    One such placeholder fails the whole Flux Kustomization: none of the resources it applies are
    reconciled, not only this release, and the cluster keeps running what it ran before.

    ## Example
    ```yaml
    spec:
      values:
        host: ${DOMAIN-example.com}     # `-` without `:` is not supported: "missing closing brace"
    ```

    ## Use instead
    ```yaml
    spec:
      values:
        host: ${DOMAIN:-example.com}
    ```

    ## How to fix
    Use the operators Flux supports (`${v:-default}`, `${v:=default}`, `${#v}`, `${v^^}`, `${v:1:2}`,
    `${v/a/b}`, `${v#prefix}` …), close every `${`, and write a literal `$` as `$$`. Define every
    variable in the Kustomization's `substitute` or `substituteFrom`, or give it a default.
    """
    release = ctx.release
    if release is None:
        return
    for error in ctx.values.errors:
        yield ctx.at_release(release.values_prefix + error.path, f"post-build substitution fails: {error.message}")


@rule("FLX002", "Flux Kustomization variables cannot be loaded", Severity.ERROR, Scope.REPOSITORY, "flux")
def variables_fail(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a Flux Kustomization whose post-build variables kustomize-controller cannot load: a
    `substituteFrom` ConfigMap or Secret that is not in the repository and not marked `optional: true`,
    or a variable name (an inline `substitute` key or a data key of a referenced ConfigMap or Secret)
    that does not match `^[_[:alpha:]][_[:alpha:][:digit:]]*$`.

    ## Why it matters
    Flux fails the whole Kustomization: none of the resources it applies are reconciled, so its
    HelmReleases are not linted as deployed (`compliance clusters` shows it failing). A missing
    source that is created out of band is fine only when the Kustomization says so (`optional: true`).

    ## Example
    ```yaml
    spec:
      postBuild:
        substitute:
          cluster-name: acme              # `-` is not allowed in a variable name
        substituteFrom:
          - kind: ConfigMap
            name: cluster-vars            # not in the repository
    ```

    ## Use instead
    ```yaml
    spec:
      postBuild:
        substitute:
          CLUSTER_NAME: acme
        substituteFrom:
          - kind: ConfigMap
            name: cluster-vars
            optional: true                # created by the bootstrap, not by this repository
    ```

    ## How to fix
    Rename the variable (letters, digits and `_`, not starting with a digit), commit the ConfigMap or
    Secret, or mark the source `optional: true` when something else creates it.
    """
    seen: set[tuple[str, str, int, int]] = set()
    for cluster in ctx.repo.clusters:
        for kustomization in cluster.kustomizations:
            applied = kustomization.substitution
            if applied is None:
                continue
            for problem in applied.problems:
                key = (problem.message, problem.location.path, problem.location.line, problem.location.column)
                if key not in seen:
                    seen.add(key)
                    yield ctx.at(problem.location, f"Kustomization {applied.kustomization}: {problem.message}")


def _build_problems(ctx: RepositoryContext, code: str) -> Iterator[Violation]:
    """Each build problem once, though every cluster that builds the same files reports it."""
    seen: set[tuple[str, str, int, int]] = set()
    problems = [p for cluster in ctx.repo.clusters for p in cluster.problems] + list(ctx.repo.build_problems)
    for problem in problems:
        key = (problem.message, problem.location.path, problem.location.line, problem.location.column)
        if problem.code == code and key not in seen:
            seen.add(key)
            yield ctx.at(problem.location, problem.message)


@rule("FLX003", "A Flux Kustomization's build fails", Severity.ERROR, Scope.REPOSITORY, "flux")
def build_fails(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a Flux Kustomization that kustomize-controller cannot build: its `spec.path` does not exist,
    a `resources` entry is missing or leaves the repository, two resources have the same identity, a
    patch matches nothing or cannot apply, or a folder Flux generates a kustomization for holds a YAML
    file that is not a Kubernetes object.

    ## Why it matters
    Flux applies nothing of a Kustomization whose build fails, and keeps the last revision that built:
    the cluster does not get this change, and the linter cannot say what it runs. Its HelmReleases are
    not linted as deployed.

    ## Example
    ```yaml
    # apps/production/kustomization.yaml
    resources:
      - ../base/podinfo
    patches:
      - path: podinfo-values.yaml   # names HelmRelease `podinf`: no resource matches
    ```

    ## Use instead
    ```yaml
    patches:
      - path: podinfo-values.yaml   # metadata.name: podinfo, as in ../base/podinfo
    ```

    ## How to fix
    Run `kustomize build` on the folder (or `flux build kustomization NAME --path PATH`) and fix what it
    reports; `compliance clusters` shows which Kustomizations each cluster builds.
    """
    yield from _build_problems(ctx, BUILD_FAILS)


@rule("FLX004", "Part of a cluster's build is not modelled", Severity.INFO, Scope.REPOSITORY, "flux")
def not_modelled(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Names each thing in a cluster's build that the linter does not model: remote bases, Helm chart
    inflation (`helmCharts`), KRM functions (`generators`, `transformers`, `validators`),
    `replacements`, `vars`, `configMapGenerator`/`secretGenerator`, Flux Kustomizations whose source is not
    this repository.

    ## Why it matters
    The linter promises never to be silently wrong: objects those features would create or change are
    not evaluated, so a finding could be missing there. This says where.

    ## Example
    ```yaml
    resources:
      - https://github.com/example/fleet//apps/base?ref=v1.2.0   # fetched by Flux, not by the linter
    ```

    ## Use instead
    ```yaml
    resources:
      - ../base                                                  # in this repository: linted
    ```

    ## How to fix
    Nothing is wrong with the repository. Vendor what must be linted into the repository, or accept the
    gap (`--ignore FLX004`, or an inline `# compliance: ignore[FLX004] reason=...`).
    """
    yield from _build_problems(ctx, NOT_MODELLED)


@rule("FLX005", "A HelmRelease no cluster applies", Severity.INFO, Scope.REPOSITORY, "flux")
def not_applied(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a HelmRelease file that no cluster's build includes: it is not listed in the `resources` of
    the kustomization that would apply it, or lies outside every Flux Kustomization's path.

    ## Why it matters
    It never ships, so the linter does not evaluate it as deployed: findings on it would be noise, and a
    reviewer may believe it is in force. Often it was meant to be listed.

    ## Example
    ```yaml
    # apps/dev/kustomization.yaml
    resources:
      - listed.yaml          # apps/dev/unlisted.yaml is not applied
    ```

    ## Use instead
    ```yaml
    resources:
      - listed.yaml
      - unlisted.yaml
    ```

    ## How to fix
    List the file in its kustomization's `resources`, or delete it if it is obsolete.
    """
    yield from _build_problems(ctx, NOT_APPLIED)


@rule("FLX006", "A Flux variable's value would make the cluster fail", Severity.INFO, Scope.REPOSITORY, "flux")
def would_fail(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    With `compliance lint --whatif`, reports each value of a Flux variable the repository leaves
    free (no Kustomization in it sets the variable, no `--var` gives it) that would add a warning or
    an error: `would fail if MARKETPLACE_ENABLED=true: COM002 error: channel 'qwen': ...`, located
    where that finding would be. The values tried are finite: the blueprint's `configSchema` enum or
    type at the key the variable lands on, `true`/`false`, the empty and a non-empty string, what
    other clusters set; pairs of variables in one block are tried together. See docs/whatif.md.
    Without `--whatif` it reports nothing.

    ## Why it matters
    `clusters/_template` is what every new cluster copies, and its values depend on variables each
    cluster sets at provisioning time. Linting the defaults says nothing about the value a new
    cluster will set; this says, before any cluster sets it, which value would break compliance.

    ## Example
    ```yaml
    defaultChannels:
      qwenPartner:
        enabled: ${MARKETPLACE_ENABLED:-false}
        attestation:
          kind: commercial-contract
          contractRef: ${LLM_PARTNER_CONTRACT_REF:-}   # empty: COM002 once the channel is enabled
    ```

    ## Use instead
    ```yaml
    defaultChannels:
      qwenPartner:
        enabled: false   # a cluster that resells the partner enables it in its own overlay, with its contractRef
    ```

    ## How to fix
    Make the values safe for every value the variable may take (a default that passes, a value that
    does not depend on the variable), or constrain the variable in the blueprint's `configSchema`
    (an `enum`) and document which clusters may set it. `compliance whatif` shows every variable,
    its candidates and what each assignment changes.
    """
    return iter(())  # found by compliance.app.whatifrun for `lint --whatif`


@rule("FLX008", "A valuesFrom source helm-controller cannot read", Severity.ERROR, Scope.REPOSITORY, "flux")
def values_from_missing(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a HelmRelease `spec.valuesFrom` entry that helm-controller cannot read from what the cluster's
    builds apply: a ConfigMap or Secret that is not there (in the release's namespace), a `valuesKey` it does
    not hold (default `values.yaml`), data that is not a map of values, or a `targetPath` that Helm's `--set`
    parser refuses. An entry marked `optional: true` whose source is missing is reported as information:
    its values are unknown, and rules treat every key it could set as unknown, never as absent.

    ## Why it matters
    helm-controller fails the release on such an entry: nothing of this change is installed and the
    cluster keeps the previous revision. An optional source created outside the repository may set any
    value: what the linter checks is not all the release gets.

    ## Example
    ```yaml
    spec:
      valuesFrom:
        - kind: ConfigMap
          name: gateway-values      # no ConfigMap of that name in the release's namespace
    ```

    ## Use instead
    ```yaml
    spec:
      valuesFrom:
        - kind: ConfigMap
          name: gateway-values      # committed next to the release, in its kustomization's resources
    ```

    ## How to fix
    Commit the ConfigMap or Secret (or its `configMapGenerator` with `disableNameSuffixHash: true`: a
    hashed name never matches), fix the `valuesKey`, or mark the entry `optional: true` when something
    outside the repository creates it.
    """
    seen: set[tuple[str, str, int, int]] = set()
    for cluster in ctx.repo.clusters:
        for release in cluster.releases:
            for source in release.values_from:
                if not source.problem:
                    continue
                where = source.location
                key = (source.problem, where.path, where.line, where.column)
                if key in seen:
                    continue
                seen.add(key)
                if source.unknown:
                    skipped = "Flux skips it: the values it would set are unknown"
                    yield ctx.at(where, f"HelmRelease {release.name}: {source.problem}; {skipped}", Severity.INFO)
                else:
                    yield ctx.at(where, f"HelmRelease {release.name}: {source.problem}; the release fails in Flux")


_CHART_SEVERITY = {"unavailable": Severity.INFO, "pinned": Severity.WARNING, "error": Severity.ERROR}


@rule("FLX007", "The chart a HelmRelease installs is not in the repository", Severity.INFO, Scope.REPOSITORY, "flux")
def chart_not_in_repository(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Says, for each HelmRelease a cluster applies, when its values are checked against nothing because the
    chart is not in the repository: it comes from a HelmRepository or OCIRepository that publishes a chart
    the tree does not hold, from `spec.chartRef` (an OCIRepository or HelmChart object), or from a Git
    path that does not exist (information). A warning when the tree holds the chart but not at a version
    the release's `spec.chart.spec.version` selects (an exact version, a range that excludes it, a
    prerelease `*` does not select, a pin that is not a valid range or not a string): source-controller
    fetches the pinned version (or fails), so the tree's chart is not used for that release; the finding
    names the pin and the versions the repository has. A `spec.chart.spec.valuesFiles` entry that is not
    in the source is an error: source-controller fails the chart.

    ## Why it matters
    A release whose chart is not found used to be skipped without a word: its findings vanished and the
    run stayed green; one whose pin the tree's chart does not satisfy was checked against the wrong chart.
    Its own values are still checked, but not against the chart's defaults, schema or templates (not
    rendered): a key the overlay leaves out is unknown (the chart's default could set it), so a check
    that needs it is *not run*, never passed and never failed.

    ## Example
    ```yaml
    spec:
      chart:
        spec:
          chart: ingress-nginx      # from a HelmRepository: not in this repository
          sourceRef: {kind: HelmRepository, name: ingress-nginx}
    ```

    ## Use instead
    ```yaml
    spec:
      chart:
        spec:
          chart: ./charts/ingress   # a chart the repository holds
          sourceRef: {kind: GitRepository, name: flux-system}
    ```

    ## How to fix
    Nothing is wrong with the repository. Vendor the chart to have its values checked against it, or
    accept the gap (`--ignore FLX007`). For the warning, move the pin to the tree's chart version (or
    widen the range) when the chart is bumped, or keep the pin deliberately and accept the warning. For the
    error, fix or remove the `valuesFiles` entry (or set
    `ignoreMissingValuesFiles: true`).
    """
    seen: set[tuple[str, str, int, int]] = set()
    for cluster in ctx.repo.clusters:
        for release in cluster.releases:
            choice = ctx.repo.chart_choice(release)
            if not choice.note or choice.location is None:
                continue
            where = choice.location
            key = (choice.note, where.path, where.line, where.column)
            if key not in seen:
                seen.add(key)
                yield ctx.at(where, f"HelmRelease {release.name}: {choice.note}", _CHART_SEVERITY[choice.kind])
