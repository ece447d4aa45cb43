"""Chart defaults and what a cluster must supply (DEF, ESO).

The chart ships empty, operator-supplied knobs (the vLLM endpoint, the OpenBao path of the admin
token); the `_template` cluster is what every new cluster copies, and real clusters fill the gaps.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from compliance.effective.values import go_truthy
from compliance.engine.context import ReleaseContext, is_blank, is_unknown
from compliance.engine.registry import Scope, rule
from compliance.model.findings import Severity, Violation
from compliance.yaml import Path
from compliance_rules.attestation import in_cluster_host
from compliance_rules.common import as_yaml
from compliance_rules.controls import CONFIGURATION, CREDENTIALS

VLLM: Path = ("defaultChannels", "vllm")
VLLM_ENABLED: Path = (*VLLM, "enabled")
VLLM_ENDPOINT: Path = (*VLLM, "endpoint")
EXTERNAL_SECRET: Path = ("catalystIntegration", "externalSecret")
ESO_ENABLED: Path = (*EXTERNAL_SECRET, "enabled")
ESO_KEY: Path = (*EXTERNAL_SECRET, "remoteRef", "key")


def _enabled_note(name: str, value: Any) -> str:
    """Explain a truthy `enabled` that is not the boolean true (Go templates test truthiness)."""
    if isinstance(value, str):
        return f" ({name} is the string {as_yaml(value)}, which Helm templates treat as true)"
    if value is not True:
        return f" ({name} is {as_yaml(value)}, which Helm templates treat as true)"
    return ""


@rule(
    "DEF001",
    "Default vLLM channel enabled without an endpoint",
    Severity.ERROR,
    Scope.RELEASE,
    "defaults",
    controls=CONFIGURATION,
)
def vllm_without_endpoint(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports `defaultChannels.vllm.enabled` true (as Helm templates test it: any non-empty string
    counts) with an empty or missing `defaultChannels.vllm.endpoint`.

    ## Why it matters
    The chart fails the render on purpose in that case: the whole release, not just the channel,
    stops deploying.

    ## Example
    ```yaml
    defaultChannels:
      vllm:
        enabled: true
        endpoint: ""
    ```

    ## Use instead
    ```yaml
    defaultChannels:
      vllm:
        enabled: true
        endpoint: http://vllm-bp-vllm.vllm.svc.cluster.local:8000/v1
    ```

    ## How to fix
    Supply the endpoint in the cluster overlay, or leave the channel disabled.
    """
    vllm = ctx.get(VLLM)
    if not isinstance(vllm, dict):
        return
    enabled = vllm.get("enabled")
    endpoint = ctx.get(VLLM_ENDPOINT)
    if is_unknown(enabled):
        if is_blank(endpoint):  # not run: the verdict is the variable's
            yield ctx.unknown(VLLM_ENABLED, enabled, risk="the endpoint is empty: if it renders true, the render fails")
        return
    if not go_truthy(enabled):
        return
    if is_unknown(endpoint):
        yield ctx.unknown(VLLM_ENDPOINT, endpoint)
    elif is_blank(endpoint):
        shown = "empty" if isinstance(endpoint, str) else "missing"
        yield ctx.at(
            VLLM_ENDPOINT,
            f"defaultChannels.vllm is enabled{_enabled_note('enabled', enabled)} but its "
            f"endpoint is {shown}: the chart's render fails",
        )


@rule(
    "DEF002",
    "Template cluster wires the default vLLM channel outside the cluster",
    Severity.ERROR,
    Scope.RELEASE,
    "defaults",
    controls=CONFIGURATION,
)
def template_external_vllm(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    In the `clusters/_template` cluster only, reports `defaultChannels.vllm` enabled with an
    endpoint whose host is not a Kubernetes Service (`*.svc`, `*.svc.cluster.local`).

    ## Why it matters
    Every new cluster copies `_template`. An enabled third-party endpoint there silently wires a
    fresh cluster's customers to someone else's host, with no contract or attestation review.

    ## Example
    ```yaml
    # clusters/_template/bootstrap-kit/80-newapi.yaml
    defaultChannels:
      vllm:
        enabled: true
        endpoint: https://llm-api.example.com/v1
    ```

    ## Use instead
    ```yaml
    # clusters/_template/bootstrap-kit/80-newapi.yaml
    defaultChannels:
      vllm:
        enabled: ${SOVEREIGN_VLLM_ENABLED:-false}
        endpoint: http://vllm-bp-vllm.vllm.svc.cluster.local:8000/v1
    ```

    ## How to fix
    Keep the channel disabled in `_template` (clusters opt in in their own overlay), or point it at
    the in-cluster vLLM Service.
    """
    if ctx.cluster is None or not ctx.cluster.is_template:
        return
    vllm = ctx.get(VLLM)
    if not isinstance(vllm, dict):
        return
    enabled = vllm.get("enabled")
    endpoint = ctx.get(VLLM_ENDPOINT)
    if not isinstance(endpoint, str) or is_blank(endpoint):
        return
    if is_unknown(enabled):
        if not is_unknown(endpoint) and not in_cluster_host(endpoint):
            risk = f"if it renders true, every new cluster routes customers to {endpoint} outside the cluster"
            yield ctx.unknown(VLLM_ENABLED, enabled, risk=risk)
        return
    if not go_truthy(enabled):
        return
    if is_unknown(endpoint):
        yield ctx.unknown(VLLM_ENDPOINT, endpoint)
    elif not in_cluster_host(endpoint):
        yield ctx.at(
            VLLM_ENDPOINT,
            "the _template cluster enables defaultChannels.vllm"
            f"{_enabled_note('enabled', enabled)} with endpoint {endpoint} outside the "
            "cluster: every new cluster would route customers to it",
        )


@rule(
    "ESO001",
    "Admin-token ExternalSecret without an OpenBao path",
    Severity.ERROR,
    Scope.RELEASE,
    "defaults",
    controls=CREDENTIALS,
)
def external_secret_without_key(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    In a real cluster (not `_template`, not the chart defaults), reports
    `catalystIntegration.externalSecret.enabled` true with an empty
    `catalystIntegration.externalSecret.remoteRef.key`.

    ## Why it matters
    The chart ships the key empty on purpose: each cluster must name the OpenBao path of the admin
    token. Without it the ExternalSecret never syncs, Catalyst cannot issue customer keys and
    sign-ups fail.

    ## Example
    ```yaml
    # clusters/acme/bootstrap-kit/80-newapi.yaml
    catalystIntegration:
      externalSecret:
        enabled: true
    ```

    ## Use instead
    ```yaml
    # clusters/acme/bootstrap-kit/80-newapi.yaml
    catalystIntegration:
      externalSecret:
        enabled: true
        remoteRef:
          key: catalyst/newapi/admin-token
    ```

    ## How to fix
    Set `catalystIntegration.externalSecret.remoteRef.key` in the cluster overlay, or disable the
    ExternalSecret if the token Secret is provisioned another way.
    """
    if ctx.cluster is None or ctx.cluster.is_template:
        return
    external = ctx.get(EXTERNAL_SECRET)
    if not isinstance(external, dict):
        return
    enabled = external.get("enabled")
    key = ctx.get(ESO_KEY)
    if is_unknown(key):
        if go_truthy(enabled) or is_unknown(enabled):
            yield ctx.unknown(ESO_KEY, key)
        return
    if not is_blank(key):
        return
    if is_unknown(enabled):
        risk = "remoteRef.key is empty: if it renders true, the token never syncs"
        yield ctx.unknown(ESO_ENABLED, enabled, risk=risk)
    elif go_truthy(enabled):
        yield ctx.at(
            ESO_KEY,
            f"catalystIntegration.externalSecret is enabled{_enabled_note('enabled', enabled)} but "
            f"remoteRef.key is empty in cluster {ctx.cluster.name}: the admin token never syncs",
        )
