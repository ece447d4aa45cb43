"""Rendering problems (RND): what kept a chart from rendering, or what Helm said while it rendered.

The rules on the rendered objects themselves are in `compliance_rules.rendered` (RM); both are the
`rendered` family. The render stage (`compliance.render`) reports these as `RenderProblem`s.
"""

from __future__ import annotations

from collections.abc import Iterator

from compliance.engine.context import ReleaseContext, RenderedContext
from compliance.engine.registry import Scope, rule
from compliance.model.findings import Severity, Violation


def _problems(ctx: RenderedContext, code: str) -> Iterator[Violation]:
    for problem in ctx.problems:
        if problem.code == code:
            yield ctx.at_problem(problem)


@rule("RND000", "No Helm renderer available", Severity.INFO, Scope.RENDERED, "rendered")
def no_renderer(ctx: RenderedContext) -> Iterator[Violation]:
    """
    ## What it does
    Says once per run, at the first chart that has templates, that `--renderer auto` found
    neither the `helm` binary on PATH nor the `helm-python-sdk` package, so charts were checked
    from their values only and no rendered rule ran.

    ## Why it matters
    Templates decide what is deployed; a run that could not render them has not checked that part,
    and should say so rather than look clean.

    ## Example
    ```sh
    compliance lint .          # no helm on PATH, no helm extra installed
    ```

    ## Use instead
    ```sh
    pip install '.[helm]'      # in a checkout of compliance: Helm's Go SDK
    compliance lint .
    ```

    ## How to fix
    Install the `helm` extra from a checkout of compliance (`pip install '.[helm]'`; the
    distribution is `blueprint-compliance`, never `compliance` from PyPI, an unrelated package)
    or put `helm` on PATH; `--renderer none` states that values-only checking is intended.
    """
    yield from _problems(ctx, "RND000")


@rule("RND001", "Chart does not render", Severity.ERROR, Scope.RENDERED, "rendered")
def render_failure(ctx: RenderedContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a (blueprint, cluster) pair whose chart Helm refuses to render with that cluster's
    effective values, with Helm's own message, at the template file, line and column Helm names
    (else at `Chart.yaml`). Rendered output that is not valid YAML, or a document that is not a
    Kubernetes object, is reported here too (for `--manifests`, at its line in the stream).

    ## Why it matters
    Flux's helm-controller runs the same engine: the release fails to install or upgrade, and the
    cluster keeps running whatever it had (or nothing). Linters that drop such a chart silently
    report a clean run.

    ## Example
    ```yaml
    # templates/_helpers.tpl
    {{- if and .Values.defaultChannels.vllm.enabled (not .Values.defaultChannels.vllm.endpoint) }}
    {{- fail "defaultChannels.vllm.enabled=true but defaultChannels.vllm.endpoint is empty" }}
    {{- end }}
    # clusters/acme/.../80-newapi.yaml
    defaultChannels: {vllm: {enabled: true}}
    ```

    ## Use instead
    ```yaml
    defaultChannels:
      vllm: {enabled: true, endpoint: http://vllm.vllm.svc.cluster.local:8000/v1}
    ```

    ## How to fix
    Read Helm's message: supply the value the template asks for, or fix the template at the line
    named.
    """
    yield from _problems(ctx, "RND001")


@rule("RND002", "Chart dependency not vendored", Severity.WARNING, Scope.RENDERED, "rendered")
def missing_dependency(ctx: RenderedContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a dependency declared in `Chart.yaml` (`dependencies:`) that has neither a folder nor a
    `<name>-<version>.tgz` under the chart's `charts/`, at its entry in `Chart.yaml`. The chart is
    not rendered (Helm refuses it), so its rendered rules did not run.

    ## Why it matters
    `helm template` and `helm install` stop with "found in Chart.yaml, but missing in charts/
    directory"; what the subchart would deploy cannot be checked.

    ## Example
    ```yaml
    dependencies:
      - {name: postgresql, version: 15.5.0, repository: oci://registry-1.docker.io/bitnamicharts}
    # and no charts/postgresql-15.5.0.tgz
    ```

    ## Use instead
    ```sh
    helm dependency build platform/newapi/chart   # vendors charts/postgresql-15.5.0.tgz
    ```

    ## How to fix
    Vendor the dependency (`helm dependency build`) or remove it from `Chart.yaml`.
    """
    yield from _problems(ctx, "RND002")


@rule("RND003", "Helm warned while rendering", Severity.INFO, Scope.RENDERED, "rendered")
def render_warning(ctx: RenderedContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports each warning Helm printed while rendering a pair, for example a value that replaces a
    chart default of another shape (`skipped value for bp-newapi.geo: Not a table`), located at
    the value it names when it names one. The chart is still rendered and checked.

    ## Why it matters
    Helm ignores such values: the cluster gets the chart default, not what the overlay says.

    ## Example
    ```yaml
    # chart default: geo: {sanctionedRegions: {...}}
    geo: off
    ```

    ## Use instead
    ```yaml
    geo:
      sanctionedRegions: {block: [IR, KP, SY, CU, RU-occupied-UA]}
    ```

    ## How to fix
    Give the value the shape the chart expects, or remove it.
    """
    yield from _problems(ctx, "RND003")


@rule("RND004", "Render exceeded its time or memory bound", Severity.ERROR, Scope.RENDERED, "rendered")
def render_bound(ctx: RenderedContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a (blueprint, cluster) pair whose render was stopped because it ran longer than
    `--render-timeout` (default 60 s), needed more memory than `--render-memory` (default
    2048 MB) or printed more than 64 MiB, at the chart's `Chart.yaml`. Each render runs in its
    own process under these bounds; the other pairs are rendered and checked as usual.

    ## Why it matters
    Templates are programs: nested `until` loops or `randBytes` with a huge count would hang the
    gate or kill it without a word, and a pull request could use that to stop the check. The
    same chart would also stall or crash Flux's helm-controller.

    ## Example
    ```yaml
    # templates/slow.yaml
    {{- range until 10000 }}{{ range until 10000 }}{{ range until 10000 }}{{ end }}{{ end }}{{ end }}
    # templates/big.yaml
    data: {{ randBytes 100000000000 | quote }}
    ```

    ## Use instead
    ```yaml
    {{- range .Values.replicas }}   # loops bounded by real data
    data: {{ randBytes 32 | quote }}
    ```

    ## How to fix
    Make the template's loops and generated data proportional to its values. If a legitimate
    chart needs more, raise `--render-timeout SECONDS` or `--render-memory MB` for that run.
    """
    yield from _problems(ctx, "RND004")


@rule("RND005", "Values Helm refuses to give a subchart", Severity.ERROR, Scope.RELEASE, "rendered")
def subchart_type_mismatch(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a value that is not a map where a subchart's values go (the key named after the
    subchart, or its `alias`): Helm's `type mismatch on <subchart>`. Found from the values alone,
    with or without a renderer, where the value was set.

    ## Why it matters
    Helm refuses to coalesce the values: `helm install`, `helm template` and Flux's helm-controller
    all fail, so the release does not deploy at all (the cluster keeps its previous version).

    ## Example
    ```yaml
    # Chart.yaml: dependencies: [{name: postgresql, alias: db, repository: file://../postgresql}]
    spec:
      values:
        db: postgres.internal     # a string where the subchart's map goes
    ```

    ## Use instead
    ```yaml
    spec:
      values:
        db:
          host: postgres.internal
    ```

    ## How to fix
    Put the setting under the subchart's key as a map (`db: {host: ...}`), or rename the parent's
    own key so it does not collide with a dependency's name or alias. To turn the subchart off, use
    its `condition` (`db: {enabled: false}`) or `tags`, not `db: false`.
    """
    for error in ctx.values.chart_errors:
        yield ctx.at(error.path, error.message)


# ── Channels: the attestation checks of compliance_rules/attestation.py on the rendered list ─
