"""Provider AUP, audit log, BYOK, reseller disclosure and admin access (AUP, AUD, BYK, RSL, ADM).

The knobs of the gateway contract that decide what the operator owes its upstream providers and
its customers. Each rule applies only where the values carry its knob (or the values are shaped
like the gateway), so ordinary charts produce no findings.
"""

from __future__ import annotations

from collections.abc import Iterator
from numbers import Real
from typing import Any

from compliance.effective.values import go_truthy
from compliance.engine.context import ReleaseContext, is_blank, is_unknown
from compliance.engine.options import minimum_count
from compliance.engine.registry import Scope, rule
from compliance.model import MISSING
from compliance.model.findings import Severity, Violation
from compliance.yaml import Path
from compliance_rules.common import as_yaml, proven_commercial
from compliance_rules.controls import (
    ACCEPTABLE_USE,
    ADMIN_ACCESS,
    AUDIT_LOGGING,
    CREDENTIALS,
    PROMPT_PRIVACY,
    RESELLER_DISCLOSURE,
)
from compliance_rules.gateway import COMMERCIAL_CHANNEL_TYPES, Channel, gateway_or, gateway_release, is_gateway

ENFORCEMENT: Path = ("aup", "enforcement")
AUDIT_ENABLED: Path = ("audit", "enabled")
RETENTION: Path = ("audit", "retentionDays")
PROMPT_CONTENT: Path = ("audit", "logPromptContent")
PROMPT_DISCLOSURE: Path = ("audit", "promptContentDisclosure")
MIN_RETENTION_DAYS = minimum_count(
    "min-audit-retention-days", 730, "Days the audit log must be kept at least (AUD002)."
)
BYOK_SCOPE: Path = ("byok", "scope")
BYOK_SCOPES = ("request-scoped", "never")
DISCLOSURE: Path = ("reseller", "disclosureRequired")
ADMIN_MODE: Path = ("auth", "adminUI", "mode")
ADMIN_HOST: Path = ("ingress", "adminHost")


def _has(ctx: ReleaseContext, section: str) -> bool:
    """The contract applies: gateway-shaped values, or the knob's section is present."""
    return is_gateway(ctx) or ctx.get((section,)) is not MISSING


def _names(channels: list[Channel]) -> str:
    return ", ".join(f"'{channel.name}'" for channel in channels)


@rule(
    "AUP001",
    "Provider AUP enforcement off with commercial channels",
    Severity.ERROR,
    Scope.RELEASE,
    "policy",
    options=(COMMERCIAL_CHANNEL_TYPES,),
    controls=ACCEPTABLE_USE,
    applies=gateway_release,
)
def aup_off(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports `aup.enforcement: off` while a commercial channel (`openai-compatible`, `anthropic`) is
    enabled. An unquoted `off` is the boolean `false` to Helm; it is treated as `off` too.

    ## Why it matters
    Every commercial provider binds its reseller to its acceptable-use policy. With enforcement off
    the operator forwards requests the provider forbids and risks the account and the contract.
    `off` is only meant for gateways serving open-weight in-cluster models.

    ## Example
    ```yaml
    aup:
      enforcement: off
    channels:
      - {name: claude, type: anthropic, endpoint: https://api.anthropic.com,
         attestation: {kind: commercial-contract, accountId: acct-1, contractRef: LEGAL-9}}
    ```

    ## Use instead
    ```yaml
    aup:
      enforcement: provider-strictest
    ```

    ## How to fix
    Set `aup.enforcement` to `provider-strictest` (or `per-channel`), or disable the commercial
    channels.
    """
    enforcement = ctx.get(ENFORCEMENT)
    commercial = proven_commercial(ctx)
    if not commercial:
        return
    if is_unknown(enforcement):
        yield ctx.unknown(ENFORCEMENT, enforcement, risk="a commercial channel is enabled: it must not be off")
    elif enforcement is False:
        yield ctx.at(
            ENFORCEMENT,
            "aup.enforcement is the boolean false (an unquoted off is a YAML 1.1 boolean to Helm), "
            f"treated as off, while commercial channel {_names(commercial)} is enabled",
        )
    elif enforcement == "off":
        yield ctx.at(
            ENFORCEMENT,
            f"aup.enforcement is off while commercial channel {_names(commercial)} is enabled",
        )


@rule(
    "AUD001",
    "Prompt content logged without customer disclosure",
    Severity.ERROR,
    Scope.RELEASE,
    "policy",
    controls=PROMPT_PRIVACY,
)
def prompt_content_undisclosed(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports `audit.logPromptContent: true` without a non-empty `audit.promptContentDisclosure`
    (where the customer terms disclose that prompts are stored).

    ## Why it matters
    Prompts carry customer data. Storing them without telling the customer breaks the customer
    ToS and privacy law; the blueprint allows it only with explicit disclosure.

    ## Example
    ```yaml
    audit:
      logPromptContent: true
    ```

    ## Use instead
    ```yaml
    audit:
      logPromptContent: true
      promptContentDisclosure: https://example.com/legal/terms#prompt-logging
    ```

    ## How to fix
    Keep `logPromptContent: false` (metadata only), or record where the customer terms disclose
    prompt logging in `audit.promptContentDisclosure`.
    """
    logged = ctx.get(PROMPT_CONTENT)
    disclosure = ctx.get(PROMPT_DISCLOSURE)
    if is_unknown(disclosure) or (isinstance(disclosure, str) and not is_blank(disclosure)):
        return
    if is_unknown(logged):
        yield ctx.unknown(PROMPT_CONTENT, logged, risk="no audit.promptContentDisclosure is recorded")
    elif logged is True:
        if disclosure is MISSING or disclosure is None:
            shown = "missing"
        elif isinstance(disclosure, str):
            shown = "empty"
        else:
            shown = f"not text ({as_yaml(disclosure)})"
        yield ctx.at(
            PROMPT_CONTENT,
            f"audit.logPromptContent is true but audit.promptContentDisclosure is {shown}",
        )


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    return float(value)


@rule(
    "AUD002",
    "Audit log disabled or retained too briefly",
    Severity.ERROR,
    Scope.RELEASE,
    "policy",
    options=(MIN_RETENTION_DAYS,),
    controls=AUDIT_LOGGING,
    applies=gateway_or(("audit",)),
)
def audit_retention(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports `audit.enabled` false (error) and, while the audit log is on, an `audit.retentionDays`
    below the minimum retention (730 days by default; warning). `audit.enabled` is read as the
    chart's templates read it, so a missing, empty or `0` value is off.

    ## Why it matters
    The audit log is the operator's evidence of who used which upstream provider for what; reseller
    contracts and regulators ask for it long after the fact.

    ## Example
    ```yaml
    audit:
      enabled: true
      retentionDays: 90
    ```

    ## Use instead
    ```yaml
    audit:
      enabled: true
      retentionDays: 730
    ```

    ## How to fix
    Keep `audit.enabled: true` and retain the log for at least the minimum retention.
    """
    if not _has(ctx, "audit"):
        return
    enabled = ctx.get(AUDIT_ENABLED)
    if is_unknown(enabled):
        yield ctx.unknown(AUDIT_ENABLED, enabled)
    elif not go_truthy(enabled):
        shown = "is not set" if enabled is MISSING or enabled is None else f"is {as_yaml(enabled)}"
        yield ctx.at(AUDIT_ENABLED, f"audit.enabled {shown}: the audit log is off")
        return
    minimum = MIN_RETENTION_DAYS.of(ctx.options)
    days = ctx.get(RETENTION)
    if is_unknown(days):
        yield ctx.unknown(RETENTION, days)
        return
    number = _as_number(days)
    if number is not None and number < minimum:
        yield ctx.at(
            RETENTION,
            f"audit.retentionDays is {as_yaml(number)}, below the minimum retention of {minimum} days",
            Severity.WARNING,
        )


@rule(
    "BYK001",
    "BYOK keys not request-scoped",
    Severity.ERROR,
    Scope.RELEASE,
    "policy",
    controls=CREDENTIALS,
    applies=gateway_or(("byok",)),
)
def byok_scope(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a `byok.scope` other than `request-scoped` or `never`.

    ## Why it matters
    A customer's own key may only pass through the request it came with. Persisting, caching or
    sharing it aggregates customer keys: the operator then resells access on its customers'
    accounts, which their providers' terms forbid.

    ## Example
    ```yaml
    byok:
      scope: shared
    ```

    ## Use instead
    ```yaml
    byok:
      scope: request-scoped
    ```

    ## How to fix
    Set `byok.scope` to `request-scoped`, or `never` to disable BYOK.
    """
    if not _has(ctx, "byok"):
        return
    scope = ctx.get(BYOK_SCOPE)
    if is_unknown(scope):
        yield ctx.unknown(BYOK_SCOPE, scope)
        return
    if isinstance(scope, str) and scope in BYOK_SCOPES:
        return
    if scope is MISSING or scope is None:
        shown = "is not set"
    elif isinstance(scope, bool):
        shown = f"is the boolean {str(scope).lower()} (an unquoted no/off/yes/on)"
    else:
        shown = f"is {as_yaml(scope)}"
    yield ctx.at(BYOK_SCOPE, f"byok.scope {shown}; expected {' or '.join(BYOK_SCOPES)}")


@rule(
    "RSL001",
    "Reseller disclosure disabled with commercial channels",
    Severity.ERROR,
    Scope.RELEASE,
    "policy",
    options=(COMMERCIAL_CHANNEL_TYPES,),
    controls=RESELLER_DISCLOSURE,
    applies=gateway_release,
)
def reseller_undisclosed(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports `reseller.disclosureRequired: false` while a commercial channel (`openai-compatible`,
    `anthropic`) is enabled.

    ## Why it matters
    Reseller terms require the operator to tell its customers which upstream providers serve their
    requests (the `/legal/llm-providers` page). Turning the disclosure off hides a third-party data
    flow from customers.

    ## Example
    ```yaml
    reseller:
      disclosureRequired: false
    channels:
      - {name: gpt, type: openai-compatible, endpoint: https://api.openai.com/v1,
         attestation: {kind: commercial-contract, accountId: acct-42, contractRef: LEGAL-7}}
    ```

    ## Use instead
    ```yaml
    reseller:
      disclosureRequired: true
    ```

    ## How to fix
    Set `reseller.disclosureRequired: true` and publish the providers page.
    """
    required = ctx.get(DISCLOSURE)
    commercial = proven_commercial(ctx)
    if not commercial:
        return
    if is_unknown(required):
        yield ctx.unknown(DISCLOSURE, required, risk="a commercial channel is enabled: it must be true")
    elif required is False:
        yield ctx.at(
            DISCLOSURE,
            f"reseller.disclosureRequired is false while commercial channel {_names(commercial)} is enabled",
        )


@rule(
    "ADM001",
    "Master-key admin UI on a public host",
    Severity.ERROR,
    Scope.RELEASE,
    "policy",
    controls=ADMIN_ACCESS,
)
def master_key_admin(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports `auth.adminUI.mode: masterKey` while `ingress.adminHost` is set, i.e. the admin UI is
    published on an ingress host.

    ## Why it matters
    `masterKey` is a static bootstrap credential with no per-person identity, MFA or revocation.
    Exposed on a public host it gives whoever learns it full control of channels, keys and credits.

    ## Example
    ```yaml
    auth:
      adminUI:
        mode: masterKey
    ingress:
      adminHost: admin.example.com
    ```

    ## Use instead
    ```yaml
    auth:
      adminUI:
        mode: keycloak
        keycloak: {issuer: https://auth.example.com/realms/ops}
    ingress:
      adminHost: admin.example.com
    ```

    ## How to fix
    Migrate the admin UI to `keycloak` before publishing `adminHost`, or leave `adminHost` empty
    during bootstrap.
    """
    mode = ctx.get(ADMIN_MODE)
    host = ctx.get(ADMIN_HOST)
    if not isinstance(host, str) or is_blank(host):
        return
    if is_unknown(mode):
        yield ctx.unknown(ADMIN_MODE, mode, risk="ingress.adminHost is set: it must not be masterKey")
    elif mode == "masterKey":
        if is_unknown(host):
            risk = "auth.adminUI.mode is masterKey: if it renders non-empty, the master-key admin UI is public"
            yield ctx.unknown(ADMIN_HOST, host, risk=risk)
        else:
            yield ctx.at(
                ADMIN_MODE,
                f"auth.adminUI.mode is masterKey while ingress.adminHost is {as_yaml(host.strip())}: "
                "the admin UI is published behind a static master key",
            )
