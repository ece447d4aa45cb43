"""Channel attestation and commercial contracts (ATT, CHN, COM).

Every channel the gateway routes to must say why the operator may resell it: the model runs on the
operator's own hardware (`in-cluster`), a signed reseller contract covers it (`commercial-contract`),
or the customer brings the key (`byok`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from urllib.parse import urlparse

from compliance.engine.context import ReleaseContext, is_blank, is_unknown
from compliance.engine.registry import Scope, rule
from compliance.model.findings import Severity, Violation
from compliance.records import record
from compliance.yaml import Path
from compliance_rules.controls import CONTRACTS, SUPPLIERS
from compliance_rules.gateway import Channel, gateway_release, values_channels

KINDS = ("in-cluster", "commercial-contract", "byok")
TYPES = ("vllm", "openai-compatible", "anthropic", "byok-passthrough")
KINDS_FOR_TYPE = {
    "vllm": ("in-cluster", "commercial-contract"),
    "openai-compatible": ("commercial-contract",),
    "anthropic": ("commercial-contract",),
    "byok-passthrough": ("byok",),
}


def _kinds_for(channel: Channel) -> tuple[str, ...] | None:
    """The attestation kinds the channel's type allows; None for a type we do not know (or a non-string
    one, which must not crash the check: CHN001 reports it)."""
    kind = channel.spec.get("type")
    return KINDS_FOR_TYPE.get(kind) if isinstance(kind, str) else None


def in_cluster_host(endpoint: str) -> bool:
    """True for Kubernetes Service hosts (`*.svc`, `*.svc.cluster.local`)."""
    host = urlparse(endpoint if "//" in endpoint else f"//{endpoint}").hostname or ""
    return host.endswith((".svc", ".svc.cluster.local"))


# ── The checks, on any channel list: from the values (here) or a rendered ConfigMap (rendered.py) ──


@record
class ChannelProblem:
    """One defect of one channel: the rule that states it, where inside the channel, and why."""

    rule: str
    channel: Channel
    keys: Path
    message: str
    unknown: bool = False  # not a problem: the value at `keys` depends on a Flux variable nobody supplied


ChannelCheck = Callable[[Sequence[Channel]], Iterator[ChannelProblem]]
CHECKS: dict[str, ChannelCheck] = {}


def channel_check(rule_id: str) -> Callable[[ChannelCheck], ChannelCheck]:
    def register(check: ChannelCheck) -> ChannelCheck:
        CHECKS[rule_id] = check
        return check

    return register


def channel_problems(channels: Iterable[Channel], rule_ids: Iterable[str] = ()) -> Iterator[ChannelProblem]:
    """The problems of the enabled `channels` under the checks of `rule_ids` (default: all)."""
    enabled = [channel for channel in channels if channel.enabled]
    for rule_id in rule_ids or CHECKS:
        yield from CHECKS[rule_id](enabled)


def _at_values(ctx: ReleaseContext, rule_id: str) -> Iterator[Violation]:
    for problem in channel_problems(values_channels(ctx), (rule_id,)):
        path = problem.channel.path(*problem.keys)
        yield ctx.unknown(path) if problem.unknown else ctx.at(path, problem.message)


def _undecided(rule_id: str, channel: Channel, keys: Path) -> ChannelProblem:
    """The check of `channel` depends on the unknown value at `keys`: the engine records it as not run."""
    return ChannelProblem(rule_id, channel, keys, "", unknown=True)


@channel_check("ATT001")
def _missing_attestation(channels: Sequence[Channel]) -> Iterator[ChannelProblem]:
    for channel in channels:
        if not channel.spec.get("attestation"):
            yield ChannelProblem(
                "ATT001", channel, ("attestation",), f"channel '{channel.name}' has no attestation block"
            )


@channel_check("ATT002")
def _unknown_kind(channels: Sequence[Channel]) -> Iterator[ChannelProblem]:
    for channel in channels:
        attestation = channel.spec.get("attestation")
        if not isinstance(attestation, dict) or not attestation:
            continue
        kind = attestation.get("kind")
        if is_unknown(kind):
            yield _undecided("ATT002", channel, ("attestation", "kind"))
            continue
        if kind in KINDS:
            continue
        shown = "missing" if kind is None else f"'{kind}'"
        yield ChannelProblem(
            "ATT002",
            channel,
            ("attestation", "kind"),
            f"channel '{channel.name}': attestation kind is {shown}; expected one of {', '.join(KINDS)}",
        )


@channel_check("ATT003")
def _kind_mismatch(channels: Sequence[Channel]) -> Iterator[ChannelProblem]:
    for channel in channels:
        attestation = channel.spec.get("attestation")
        kind = attestation.get("kind") if isinstance(attestation, dict) else None
        allowed = _kinds_for(channel)
        if allowed is None or kind not in KINDS or kind in allowed:
            continue
        yield ChannelProblem(
            "ATT003",
            channel,
            ("attestation", "kind"),
            f"channel '{channel.name}' of type {channel.spec.get('type')} cannot be attested "
            f"'{kind}'; expected {' or '.join(allowed)}",
        )


@channel_check("ATT004")
def _in_cluster_outside(channels: Sequence[Channel]) -> Iterator[ChannelProblem]:
    for channel in channels:
        attestation = channel.spec.get("attestation")
        endpoint = channel.spec.get("endpoint")
        if not isinstance(attestation, dict) or attestation.get("kind") != "in-cluster":
            continue
        if "in-cluster" not in (_kinds_for(channel) or ("in-cluster",)):
            continue  # ATT003 already reports the kind as wrong for this type
        if is_unknown(endpoint):
            yield _undecided("ATT004", channel, ("endpoint",))
            continue
        if not isinstance(endpoint, str) or not endpoint.strip():
            continue
        if not in_cluster_host(endpoint):
            yield ChannelProblem(
                "ATT004",
                channel,
                ("endpoint",),
                f"channel '{channel.name}' is attested in-cluster but its endpoint {endpoint} is outside the cluster",
            )


@channel_check("CHN001")
def _channel_shape(channels: Sequence[Channel]) -> Iterator[ChannelProblem]:
    for channel in channels:
        kind = channel.spec.get("type")
        if is_unknown(kind):
            yield _undecided("CHN001", channel, ("type",))
            continue
        if kind not in TYPES:
            shown = "missing" if kind is None else f"'{kind}'"
            yield ChannelProblem(
                "CHN001",
                channel,
                ("type",),
                f"channel '{channel.name}': type is {shown}; expected one of {', '.join(TYPES)}",
            )
        elif kind == "byok-passthrough":
            for key in ("endpoint", "existingSecret"):
                if not is_blank(channel.spec.get(key)):
                    yield ChannelProblem(
                        "CHN001",
                        channel,
                        (key,),
                        f"byok-passthrough channel '{channel.name}' sets {key}; BYOK keys are request-scoped",
                    )
        elif is_blank(channel.spec.get("endpoint")):
            yield ChannelProblem(
                "CHN001", channel, ("endpoint",), f"channel '{channel.name}' of type {kind} has no endpoint"
            )


def _contract_field(rule_id: str, key: str, what: str) -> ChannelCheck:
    def check(channels: Sequence[Channel]) -> Iterator[ChannelProblem]:
        for channel in channels:
            attestation = channel.spec.get("attestation")
            if not isinstance(attestation, dict) or attestation.get("kind") != "commercial-contract":
                continue
            if is_blank(attestation.get(key)):
                yield ChannelProblem(
                    rule_id,
                    channel,
                    ("attestation", key),
                    f"channel '{channel.name}': commercial-contract attestation has no {key} ({what})",
                )

    return channel_check(rule_id)(check)


_contract_field("COM001", "accountId", "the provider account")
_contract_field("COM002", "contractRef", "the signed contract")


# ── The values rules ─────────────────────────────────────────────────────────


@rule(
    "ATT001",
    "Enabled channel without attestation",
    Severity.ERROR,
    Scope.RELEASE,
    "attestation",
    controls=SUPPLIERS,
    applies=gateway_release,
)
def missing_attestation(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports an enabled channel (as the chart composes them: `defaultChannels.qwenPartner`, then
    `channels`, then `defaultChannels.vllm`) that has no `attestation` block.

    ## Why it matters
    The blueprint's contract says every provider channel carries a verifiable attestation; the chart
    refuses to render a Deployment otherwise, so the cluster silently runs no gateway at all.

    ## Example
    ```yaml
    channels:
      - name: gpt
        type: openai-compatible
        endpoint: https://api.openai.com/v1
    ```

    ## Use instead
    ```yaml
    channels:
      - name: gpt
        type: openai-compatible
        endpoint: https://api.openai.com/v1
        attestation: {kind: commercial-contract, accountId: acct-42, contractRef: LEGAL-7}
    ```

    ## How to fix
    Add an `attestation` block whose `kind` says why the operator may resell the channel.
    """
    yield from _at_values(ctx, "ATT001")


@rule(
    "ATT002",
    "Unknown attestation kind",
    Severity.ERROR,
    Scope.RELEASE,
    "attestation",
    controls=SUPPLIERS,
    applies=gateway_release,
)
def unknown_kind(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports an attestation whose `kind` is missing or not one of `in-cluster`,
    `commercial-contract`, `byok`.

    ## Why it matters
    Auditors and the chart's render gate only understand these three kinds; anything else is an
    attestation nobody can verify.

    ## Example
    ```yaml
    attestation: {kind: trusted}
    ```

    ## Use instead
    ```yaml
    attestation: {kind: in-cluster}
    ```

    ## How to fix
    Use the kind that matches how the channel is provided.
    """
    yield from _at_values(ctx, "ATT002")


@rule(
    "ATT003",
    "Attestation kind does not fit the channel type",
    Severity.ERROR,
    Scope.RELEASE,
    "attestation",
    controls=SUPPLIERS,
    applies=gateway_release,
)
def kind_mismatch(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Checks the attestation kind against the channel type: `vllm` takes `in-cluster` or
    `commercial-contract`; `openai-compatible` and `anthropic` take `commercial-contract`;
    `byok-passthrough` takes `byok`.

    ## Why it matters
    A commercial API attested as `in-cluster` hides a third-party data flow and a reseller contract
    from the audit trail.

    ## Example
    ```yaml
    channels:
      - {name: claude, type: anthropic, endpoint: https://api.anthropic.com,
         attestation: {kind: in-cluster}}
    ```

    ## Use instead
    ```yaml
    channels:
      - {name: claude, type: anthropic, endpoint: https://api.anthropic.com,
         attestation: {kind: commercial-contract, accountId: acct-1, contractRef: LEGAL-9}}
    ```

    ## How to fix
    Attest what the channel really is, or change its type.
    """
    yield from _at_values(ctx, "ATT003")


@rule(
    "ATT004",
    "In-cluster attestation on an endpoint outside the cluster",
    Severity.WARNING,
    Scope.RELEASE,
    "attestation",
    controls=SUPPLIERS,
    applies=gateway_release,
)
def in_cluster_outside(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Warns when a channel attested `in-cluster` points at an endpoint whose host is not a
    Kubernetes Service (`*.svc` or `*.svc.cluster.local`).

    ## Why it matters
    `in-cluster` means the operator owns the weights and the hardware. A relay to someone else's
    host is, per the blueprint, a `commercial-contract` and needs an account and a signed contract.

    ## Example
    ```yaml
    defaultChannels:
      vllm: {enabled: true, endpoint: https://llm-api.example.com, attestation: {kind: in-cluster}}
    ```

    ## Use instead
    ```yaml
    defaultChannels:
      vllm: {enabled: true, endpoint: http://vllm.vllm.svc.cluster.local:8000/v1,
             attestation: {kind: in-cluster}}
    ```

    ## How to fix
    Point the channel at the in-cluster Service, or attest it as `commercial-contract`.
    """
    yield from _at_values(ctx, "ATT004")


@rule(
    "CHN001",
    "Malformed channel",
    Severity.ERROR,
    Scope.RELEASE,
    "attestation",
    controls=SUPPLIERS,
    applies=gateway_release,
)
def channel_shape(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Checks each enabled channel's shape: its `type` is one of `vllm`, `openai-compatible`,
    `anthropic`, `byok-passthrough`; every type but `byok-passthrough` names an `endpoint`; a
    `byok-passthrough` channel has neither an `endpoint` nor an `existingSecret`.

    ## Why it matters
    An unknown type is routed nowhere; a missing endpoint fails at request time; a BYOK channel with
    a stored endpoint or key is no longer request-scoped: customer keys would be aggregated.

    ## Example
    ```yaml
    channels:
      - {name: byok, type: byok-passthrough, existingSecret: shared-key, attestation: {kind: byok}}
    ```

    ## Use instead
    ```yaml
    channels:
      - {name: byok, type: byok-passthrough, attestation: {kind: byok}}
    ```

    ## How to fix
    Use a known type; give non-BYOK channels an endpoint; remove endpoint and secret from BYOK ones.
    """
    yield from _at_values(ctx, "CHN001")


@rule(
    "COM001",
    "Commercial contract without an account",
    Severity.ERROR,
    Scope.RELEASE,
    "attestation",
    controls=CONTRACTS,
    applies=gateway_release,
)
def contract_account(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a `commercial-contract` attestation with an empty or missing `accountId`.

    ## Why it matters
    The provider-side account is how an auditor ties traffic to a paid contract; without it the
    channel may be running on a personal or trial account that forbids resale.

    ## Example
    ```yaml
    attestation: {kind: commercial-contract, accountId: "", contractRef: LEGAL-7}
    ```

    ## Use instead
    ```yaml
    attestation: {kind: commercial-contract, accountId: acct-42, contractRef: LEGAL-7}
    ```

    ## How to fix
    Set `accountId` to the provider account that holds the reseller terms.
    """
    yield from _at_values(ctx, "COM001")


@rule(
    "COM002",
    "Commercial contract without a contract reference",
    Severity.ERROR,
    Scope.RELEASE,
    "attestation",
    controls=CONTRACTS,
    applies=gateway_release,
)
def contract_reference(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a `commercial-contract` attestation with an empty or missing `contractRef`.

    ## Why it matters
    The reference to the signed reseller terms is the evidence counsel reviewed them.

    ## Example
    ```yaml
    attestation: {kind: commercial-contract, accountId: acct-42}
    ```

    ## Use instead
    ```yaml
    attestation: {kind: commercial-contract, accountId: acct-42, contractRef: LEGAL-7}
    ```

    ## How to fix
    Set `contractRef` to the internal document reference of the signed contract.
    """
    yield from _at_values(ctx, "COM002")
