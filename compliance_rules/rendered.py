"""What the cluster really gets: rendering problems and rules on rendered manifests (RND, RM).

The values rules check what a cluster asked for; templates decide what it gets (they compose
channels, skip resources, fail on bad input). With a Helm renderer (`--renderer`, see
docs/rendering.md) every (blueprint, cluster) pair is rendered with its effective values through
Helm's own engine, and `compliance lint --manifests FILE|-` checks a stream rendered elsewhere.
A finding on a rendered object names it (`Kind namespace/name`) and its template, and sits where
the value that fed it was set when that is known, else in the stream file or the template.
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from compliance.engine.context import RenderedContext, is_blank, is_unknown
from compliance.engine.registry import declared_in
from compliance.model import RenderedObject, format_path
from compliance.model.findings import Severity, Violation
from compliance.yaml import Path
from compliance_rules.attestation import ChannelProblem, channel_problems
from compliance_rules.controls import ADMIN_ACCESS, CONTRACTS, CREDENTIALS, SUPPLIERS
from compliance_rules.gateway import (
    Channel,
    RenderedChannels,
    at_channel,
    manifest_rule,
    rendered_channel_lists,
    unserved_channels,
    values_channels,
)
from compliance_rules.policy import ADMIN_HOST, ADMIN_MODE

ATTESTATION_CHECKS = ("ATT001", "ATT002", "ATT003", "ATT004", "CHN001")
CONTRACT_CHECKS = ("COM001", "COM002")
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod")
MASTER_KEY_ENV = "MASTER_KEY"
BYOK = "byok-passthrough"


def _counterparts(ctx: RenderedContext, channels: Sequence[Channel]) -> dict[int, Channel]:
    """Rendered channel index -> the composed values channel it came from (n-th of the same name)."""
    if ctx.release is None:
        return {}
    by_name: dict[str, list[Channel]] = {}
    for channel in values_channels(ctx.release):
        by_name.setdefault(channel.name, []).append(channel)
    seen: Counter[str] = Counter()
    found: dict[int, Channel] = {}
    for channel in channels:
        candidates = by_name.get(channel.name, [])
        if seen[channel.name] < len(candidates):
            found[channel.index] = candidates[seen[channel.name]]
        seen[channel.name] += 1
    return found


def _uncertain(ctx: RenderedContext) -> tuple[set[str], bool]:
    """Names of default channels whose `enabled` depends on unknown Flux variables (the values
    leave them out, the render takes the literal text), and whether one of them has no name."""
    names: set[str] = set()
    unnamed = False
    defaults = ctx.release.get(("defaultChannels",), None) if ctx.release is not None else None
    for block in defaults.values() if isinstance(defaults, dict) else ():
        if isinstance(block, dict) and is_unknown(block.get("enabled")):
            name = block.get("name")
            if name is None:
                unnamed = True
            else:
                names.add(str(name))
    return names, unnamed


def _rendered_channel_problems(ctx: RenderedContext, checks: Sequence[str]) -> Iterator[Violation]:
    uncertain, unnamed = _uncertain(ctx)
    for listed in rendered_channel_lists(ctx):
        if listed.error:
            if checks is ATTESTATION_CHECKS:
                yield ctx.at_object(listed.obj, listed.key, f"rendered channels.yaml cannot be read: {listed.error}")
            continue
        counterparts = _counterparts(ctx, listed.channels)
        for problem in channel_problems(listed.channels, checks):
            if problem.unknown:
                continue  # rendered text is known; an unknown value is the values rules' to record
            counterpart = counterparts.get(problem.channel.index)
            if counterpart is not None and _values_say_so(counterpart, problem):
                continue  # the values rule already reports it where it was set
            if counterpart is None and (unnamed or problem.channel.name in uncertain):
                continue  # rendered only because an unknown variable's literal text is truthy
            yield _channel_violation(ctx, listed, problem, counterpart)


def _values_say_so(counterpart: Channel, problem: ChannelProblem) -> bool:
    return any(
        found.keys == problem.keys and found.message == problem.message
        for found in channel_problems([counterpart], (problem.rule,))
    )


def _declared_severity(rule_id: str) -> Severity | None:
    """The default severity of a rule of this pack (the values rule a rendered finding mirrors)."""
    import compliance_rules

    for module in compliance_rules.modules():
        for _, declaration in declared_in(module):
            if declaration.id == rule_id:
                return declaration.severity
    return None


def _channel_violation(
    ctx: RenderedContext, listed: RenderedChannels, problem: ChannelProblem, counterpart: Channel | None
) -> Violation:
    message = f"{problem.message}, in the rendered channels.yaml (as {problem.rule} checks values)"
    if counterpart is not None and not counterpart.enabled:
        message += "; the values disable this channel but the rendered list does not"
    declared = _declared_severity(problem.rule)
    severity = declared if declared is not Severity.ERROR else None
    values_path = counterpart.path(*problem.keys) if counterpart is not None else None
    return at_channel(ctx, listed, problem.channel, problem.keys, message, severity, values_path)


@manifest_rule("RM001", "Rendered channel fails the attestation checks", Severity.ERROR, controls=SUPPLIERS)
def rendered_attestation(ctx: RenderedContext) -> Iterator[Violation]:
    """
    ## What it does
    Applies the attestation and channel checks (ATT001 to ATT004, CHN001) to the channel list a
    rendered ConfigMap carries in its `channels.yaml` document, which is what the gateway loads.
    Where the values already show the same defect at the same key, the values rule reports it and
    this rule stays quiet; so a finding here means the template dropped or rewrote something
    (an attestation block, a kind, an endpoint), or put a channel the values disable back into
    the live list. ATT004's check keeps its warning severity.

    ## Why it matters
    The attestation contract is about what the gateway routes to. A template that composes,
    filters or re-shapes channels can turn compliant values into a non-compliant deployment.

    ## Example
    ```yaml
    # templates/configmap.yaml writes every channel without its attestation
    channels.yaml: |
      - name: gpt
        type: openai-compatible
        endpoint: https://api.openai.com/v1
    ```

    ## Use instead
    ```yaml
    channels.yaml: |
      - name: gpt
        type: openai-compatible
        endpoint: https://api.openai.com/v1
        attestation: {kind: commercial-contract, accountId: acct-42, contractRef: LEGAL-7}
    ```

    ## How to fix
    Make the template write each channel's `attestation` as the values give it, and honour
    `enabled: false`.
    """
    yield from _rendered_channel_problems(ctx, ATTESTATION_CHECKS)


@manifest_rule("RM006", "Enabled channel missing from the rendered channels", Severity.WARNING, controls=SUPPLIERS)
def dropped_channel(ctx: RenderedContext) -> Iterator[Violation]:
    """
    ## What it does
    Compares the channels the values enable (composed as the chart composes them) with the channel
    list the rendered ConfigMap carries in `channels.yaml`, by name and type (by name alone where the
    template rewrote the type), and reports each enabled channel the render left out. Located where
    the channel is set in the values. Where the dropped channel's values also fail the channel
    checks, RM007 reports it instead (one warning for the channel, not this one and the errors).

    ## Why it matters
    A template that silently skips a channel (for example a partner channel whose contract fields
    are empty) deploys something other than what the overlay says: customers are routed elsewhere,
    and the attestation checks on the values describe a channel that does not exist.

    ## Example
    ```yaml
    # values enable qwenPartner; templates/_helpers.tpl skips it when accountId is empty
    defaultChannels:
      qwenPartner: {enabled: true, endpoint: https://partner.example.com/v1,
                    attestation: {kind: commercial-contract, accountId: "", contractRef: ""}}
    ```

    ## Use instead
    ```yaml
    defaultChannels:
      qwenPartner: {enabled: true, endpoint: https://partner.example.com/v1,
                    attestation: {kind: commercial-contract, accountId: acct-42, contractRef: LEGAL-7}}
    ```

    ## How to fix
    Give the channel what the template needs to render it, or disable it in the values so the
    overlay says what the cluster runs.
    """
    for unserved in unserved_channels(ctx):
        channel, carrier = unserved.channel, unserved.carrier
        yield ctx.at_values(
            channel.source,
            f"channel '{channel.name}' is enabled in the values but the rendered channels.yaml of "
            f"{carrier.ref} (from {carrier.template_file or carrier.template}) does not carry it",
        )


VALUES_CHECKS = (*ATTESTATION_CHECKS, *CONTRACT_CHECKS)  # the values rules a channel's drop can supersede
INCOMPLETE = {"ATT001": "no attestation block", "COM001": "no accountId", "COM002": "no contractRef"}


@manifest_rule(
    "RM007", "Configured channel not served: its values findings never ship", Severity.WARNING, controls=SUPPLIERS
)
def unserved_channel(ctx: RenderedContext) -> Iterator[Violation]:
    """
    ## What it does
    When the chart renders, the rendered output is the truth about channels. For each channel the
    values enable whose values fail the channel checks (ATT001 to ATT004, CHN001, COM001, COM002)
    and that the rendered `channels.yaml` does not carry (matched as RM006 matches), it reports one
    warning, "configured but not served", located where the channel is set in the values, naming why
    the chart drops it where the values say so (an incomplete attestation: no `attestation` block, no
    `accountId`, no `contractRef`). That channel's values findings, and RM006's, are then not
    reported: they describe a channel that never ships. The reason is read from the values, not from
    the template: it is what the values show wrong with the dropped channel.

    Nothing changes where the chart did not render (no renderer, a failed render, a missing
    dependency), where the render has no readable `channels.yaml`, where the same name and type is
    configured twice (which one was dropped cannot be told), or where this rule is not selected: the
    values findings stand. A check whose value is unknown (a Flux variable nobody supplied) stays
    "not run", as without a render.

    ## Why it matters
    The real NewAPI chart fails closed: it leaves out a partner channel whose commercial contract is
    not recorded yet instead of failing the install. Three errors about a violation that never ships
    block a gate for nothing and bury what does ship; one warning keeps the overlay's intent in view
    (the channel the operator switched on does not serve anyone).

    ## Example
    ```yaml
    # MARKETPLACE_ENABLED=true, no contract signed yet: the chart renders no partner channel
    defaultChannels:
      qwenPartner:
        enabled: true
        endpoint: ""
        attestation: {kind: commercial-contract, accountId: "", contractRef: ""}
    ```

    ## Use instead
    ```yaml
    defaultChannels:
      qwenPartner:
        enabled: false       # until the contract is signed; or give what the chart needs to serve it:
        endpoint: https://partner.example.com/v1
        attestation: {kind: commercial-contract, accountId: acct-42, contractRef: LEGAL-7}
    ```

    ## How to fix
    Disable the channel until it can be served, or complete what the chart needs (the attestation)
    so it renders; the channel checks then judge the channel that ships.
    """
    for unserved in unserved_channels(ctx):
        channel, carrier = unserved.channel, unserved.carrier
        problems = [p for p in channel_problems([channel], VALUES_CHECKS) if not p.unknown]
        if not unserved.certain or not problems:
            continue  # RM006 reports the drop; the values findings, if any, stand
        rules = sorted({p.rule for p in problems})
        shown = ", ".join(rules[:-1]) + f" and {rules[-1]}" if len(rules) > 1 else rules[0]
        message = (
            f"channel '{channel.name}' is configured but not served: the chart drops it {_why(problems)}; "
            f"{shown} on its values describe{'' if len(rules) > 1 else 's'} a channel that never ships "
            f"({carrier.ref}, from {carrier.template_file or carrier.template}, does not carry it)"
        )
        supersedes = [(p.rule, format_path(channel.path(*p.keys))) for p in problems]
        supersedes.append((DROPPED_CHANNEL, format_path(channel.source)))
        yield replace(ctx.at_values(channel.source, message), supersedes=tuple(dict.fromkeys(supersedes)))


DROPPED_CHANNEL = "RM006"


def _why(problems: Sequence[ChannelProblem]) -> str:
    """Why the chart drops the channel, as far as its values tell."""
    missing = list(dict.fromkeys(INCOMPLETE[p.rule] for p in problems if p.rule in INCOMPLETE))
    if missing:
        return f"because its attestation is incomplete ({', '.join(missing)})"
    return f"(its values show: {problems[0].message})"


@manifest_rule("RM002", "Rendered commercial channel without account or contract", Severity.ERROR, controls=CONTRACTS)
def rendered_contract(ctx: RenderedContext) -> Iterator[Violation]:
    """
    ## What it does
    Applies the commercial-contract checks (COM001, COM002) to the rendered `channels.yaml`: every
    `commercial-contract` attestation there has a non-empty `accountId` and `contractRef`. As for
    RM001, a defect the values already show is left to the values rules.

    ## Why it matters
    The account and the signed contract are the evidence an auditor asks for; a template that
    omits them (for instance writing only non-empty fields of a rewritten attestation) leaves the
    gateway reselling without it.

    ## Example
    ```yaml
    channels.yaml: |
      - name: claude
        type: anthropic
        attestation: {kind: commercial-contract}
    ```

    ## Use instead
    ```yaml
    channels.yaml: |
      - name: claude
        type: anthropic
        attestation: {kind: commercial-contract, accountId: acct-1, contractRef: LEGAL-9}
    ```

    ## How to fix
    Have the template copy `accountId` and `contractRef` from the values.
    """
    yield from _rendered_channel_problems(ctx, CONTRACT_CHECKS)


# ── ExternalSecrets ──────────────────────────────────────────────────────────


def _feeding_value(ctx: RenderedContext, rendered: Path, value: Any) -> Path | None:
    """The values key that fed a rendered value, when exactly one key of that name holds it."""
    if ctx.release is None:
        return None
    suffix = tuple(step for step in rendered if isinstance(step, str))[-2:]
    matches = [
        path
        for path, leaf in ctx.release.values.leaves()
        if path[-len(suffix) :] == suffix and (leaf == value or (is_blank(leaf) and is_blank(value)))
    ]
    return matches[0] if len(matches) == 1 else None


def _remote_keys(obj: RenderedObject) -> Iterator[tuple[Path, Any]]:
    """(path, value) of every remote key an ExternalSecret reads (`data[].remoteRef.key`, `dataFrom[]`)."""
    data = obj.get(("spec", "data"), [])
    for index, item in enumerate(data if isinstance(data, list) else []):
        if isinstance(item, dict):
            remote = item.get("remoteRef")
            yield ("spec", "data", index, "remoteRef", "key"), remote.get("key") if isinstance(remote, dict) else None
    data_from = obj.get(("spec", "dataFrom"), [])
    for index, item in enumerate(data_from if isinstance(data_from, list) else []):
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("extract"), dict):
            yield ("spec", "dataFrom", index, "extract", "key"), item["extract"].get("key")
        elif "key" in item:  # v1alpha1
            yield ("spec", "dataFrom", index, "key"), item.get("key")


@manifest_rule("RM003", "Rendered ExternalSecret without a remote key", Severity.ERROR, controls=CREDENTIALS)
def external_secret_key(ctx: RenderedContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a rendered ExternalSecret (it is rendered, so it is enabled) with an empty or missing
    `remoteRef.key` in `spec.data[]`, an empty `extract.key` in `spec.dataFrom[]`, or no `data`
    and no `dataFrom` at all. When exactly one values key of the same name holds the same (empty)
    value, the finding sits there, with its trace.

    ## Why it matters
    The External Secrets operator cannot fetch an unnamed secret: the target Secret is never
    created, and whatever mounts it (the admin token Catalyst uses to issue customer keys) never
    starts.

    ## Example
    ```yaml
    kind: ExternalSecret
    spec:
      data:
        - secretKey: ADMIN_API_TOKEN
          remoteRef: {key: ""}
    ```

    ## Use instead
    ```yaml
    kind: ExternalSecret
    spec:
      data:
        - secretKey: ADMIN_API_TOKEN
          remoteRef: {key: catalyst/newapi/admin-token}
    ```

    ## How to fix
    Set the OpenBao path in the cluster overlay (for the gateway chart:
    `catalystIntegration.externalSecret.remoteRef.key`), or disable the ExternalSecret.
    """
    for obj in ctx.objects("ExternalSecret"):
        keys = list(_remote_keys(obj))
        if not keys:
            yield ctx.at_object(
                obj, ("spec",), "ExternalSecret has no spec.data and no spec.dataFrom: it fetches nothing"
            )
        for path, value in keys:
            if is_blank(value) and not is_unknown(value):
                yield ctx.at_object(
                    obj, path, "ExternalSecret has an empty remote key", values_path=_feeding_value(ctx, path, value)
                )


# ── The admin UI behind the master key ───────────────────────────────────────


def _hosts(obj: RenderedObject) -> Iterator[tuple[Path, str]]:
    if obj.kind == "Ingress":
        rules = obj.get(("spec", "rules"), [])
        for index, item in enumerate(rules if isinstance(rules, list) else []):
            if isinstance(item, dict) and isinstance(item.get("host"), str):
                yield ("spec", "rules", index, "host"), item["host"]
        tls = obj.get(("spec", "tls"), [])
        for index, item in enumerate(tls if isinstance(tls, list) else []):
            hosts = item.get("hosts") if isinstance(item, dict) else None
            for position, host in enumerate(hosts if isinstance(hosts, list) else []):
                if isinstance(host, str):
                    yield ("spec", "tls", index, "hosts", position), host
    elif obj.kind == "HTTPRoute":
        hostnames = obj.get(("spec", "hostnames"), [])
        for index, host in enumerate(hostnames if isinstance(hostnames, list) else []):
            if isinstance(host, str):
                yield ("spec", "hostnames", index), host


def _containers(obj: RenderedObject) -> Iterator[dict[str, Any]]:
    spec = obj.get(("spec",), {})
    for path in (("template", "spec"), ("jobTemplate", "spec", "template", "spec"), ()):
        pod = spec
        for step in path:
            pod = pod.get(step, {}) if isinstance(pod, dict) else {}
        if isinstance(pod, dict) and ("containers" in pod or "initContainers" in pod):
            for key in ("initContainers", "containers"):
                items = pod.get(key)
                yield from (c for c in (items if isinstance(items, list) else []) if isinstance(c, dict))
            return


def _master_key(ctx: RenderedContext) -> str:
    """Why the admin UI runs with the master key, or "" when nothing says so."""
    if ctx.release is not None and ctx.release.get(ADMIN_MODE, None) == "masterKey":
        return f"auth.adminUI.mode is masterKey at {ctx.release.values.locate(ADMIN_MODE)}"
    for obj in ctx.objects(*WORKLOADS):
        for container in _containers(obj):
            env = container.get("env")
            if any(
                isinstance(e, dict) and e.get("name") == MASTER_KEY_ENV for e in (env if isinstance(env, list) else [])
            ):
                return f"{obj.ref} sets {MASTER_KEY_ENV}"
    return ""


@manifest_rule(
    "RM004", "Admin host routed while the admin UI uses the master key", Severity.ERROR, controls=ADMIN_ACCESS
)
def admin_host_with_master_key(ctx: RenderedContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a rendered Ingress rule/TLS host or HTTPRoute hostname for the admin host while the
    admin UI runs in `masterKey` mode. The admin host is the values' `ingress.adminHost`, or any
    host whose first label is `admin` (the blueprint's `admin.<host>` convention, which is all a
    stream given with `--manifests` tells). `masterKey` mode is `auth.adminUI.mode: masterKey` in
    the values, or a rendered workload container with a `MASTER_KEY` environment variable.

    ## Why it matters
    The master key is a static bootstrap credential with no per-person identity, MFA or
    revocation. A route to the admin UI makes it reachable by whoever learns the key. The values
    rule ADM001 sees the settings; this rule sees the route the templates actually produce.

    ## Example
    ```yaml
    kind: Ingress
    spec:
      rules:
        - host: admin.example.com     # and auth.adminUI.mode: masterKey
    ```

    ## Use instead
    ```yaml
    auth:
      adminUI:
        mode: keycloak
        keycloak: {issuer: https://auth.example.com/realms/ops}
    ```

    ## How to fix
    Switch the admin UI to `keycloak` before routing its host, or do not render the admin route
    while bootstrapping with the master key.
    """
    routes = [obj for obj in ctx.objects("Ingress", "HTTPRoute")]
    if not routes:
        return
    evidence = _master_key(ctx)
    if not evidence:
        return
    admin_host = ctx.release.get(ADMIN_HOST, None) if ctx.release is not None else None
    admin_host = admin_host if isinstance(admin_host, str) and not is_blank(admin_host) else None
    for obj in routes:
        reported: set[str] = set()
        for path, host in _hosts(obj):
            if host in reported or (host != admin_host and host.split(".", 1)[0] != "admin"):
                continue
            reported.add(host)
            values_path = ADMIN_HOST if host == admin_host else None
            yield ctx.at_object(
                obj,
                path,
                f"host {host} routes to the admin UI while it runs in masterKey mode ({evidence})",
                values_path=values_path,
            )


# ── BYOK keys stored in a Secret ─────────────────────────────────────────────


def _byok_channels(ctx: RenderedContext) -> dict[str, Channel]:
    """BYOK channels by name: the rendered lists', then the values' (which know where they were set)."""
    found: dict[str, Channel] = {}
    for listed in rendered_channel_lists(ctx):
        for channel in listed.channels:
            if channel.spec.get("type") == BYOK:
                found.setdefault(channel.name, channel)
    if ctx.release is not None:
        for channel in values_channels(ctx.release):
            if channel.spec.get("type") == BYOK:
                found[channel.name] = channel
    return found


def _literal(value: Any, encoded: bool) -> bool:
    if not isinstance(value, str) or not value.strip():
        return False
    if not encoded:
        return True
    try:
        return bool(base64.b64decode(value, validate=True).strip())
    except (binascii.Error, ValueError):
        return True  # not base64: the apiserver rejects it, but it is still a literal in the manifest


@manifest_rule("RM005", "Literal API key for a BYOK channel in a rendered Secret", Severity.ERROR, controls=CREDENTIALS)
def byok_key_in_secret(ctx: RenderedContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a rendered Secret that carries a non-empty literal value (`data` or `stringData`) for
    a `byok-passthrough` channel: the Secret is the one the channel names (`existingSecret`, or
    `keySecretRef` in the rendered list), or its key starts with the channel's name followed by
    `-`, `_` or `.`.

    ## Why it matters
    BYOK keys are the customer's own and request-scoped: taken from each request, never stored.
    A key in a Secret is aggregated: every request through the channel spends that one customer's
    key, and the key sits in git and in etcd.

    ## Example
    ```yaml
    kind: Secret
    metadata: {name: byok-keys}
    stringData:
      byok-api-key: sk-live-1234
    ```

    ## Use instead
    ```yaml
    channels:
      - {name: byok, type: byok-passthrough, attestation: {kind: byok}}   # no Secret at all
    ```

    ## How to fix
    Remove the Secret (and the channel's `existingSecret`); BYOK channels take the key from the
    request.
    """
    channels = _byok_channels(ctx)
    if not channels:
        return
    refs: dict[str, tuple[Channel, str]] = {}  # Secret name -> the channel naming it and the key it does so in
    for referring in channels.values():
        for key in ("existingSecret", "keySecretRef"):
            ref = referring.spec.get(key)
            if isinstance(ref, str) and ref.strip():
                refs[ref.strip()] = (referring, key)
    for obj in ctx.objects("Secret"):
        for field, encoded in (("data", True), ("stringData", False)):
            entries = obj.get((field,), {})
            for key, value in entries.items() if isinstance(entries, dict) else ():
                owner = refs.get(obj.name)
                channel = owner[0] if owner else _named_in(channels, str(key))
                if channel is None or not _literal(value, encoded):
                    continue
                from_values = ctx.release is not None and channel in values_channels(ctx.release)
                values_path = channel.path(owner[1]) if owner and from_values else None
                yield ctx.at_object(
                    obj,
                    (field, key),
                    f"Secret key {key} holds a literal API key for byok-passthrough channel '{channel.name}'",
                    values_path=values_path,
                )


def _named_in(channels: dict[str, Channel], key: str) -> Channel | None:
    lowered = key.lower()
    for name, channel in channels.items():
        if any(lowered.startswith(f"{name.lower()}{sep}") for sep in "-_."):
            return channel
    return None
