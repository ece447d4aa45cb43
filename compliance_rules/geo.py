"""Geographic AUP: the sanctioned-region baseline and its relaxation (GEO).

The gateway blocks requests from sanctioned regions on commercial-provider channels. The US/EU
export-control baseline (the `sanctioned-baseline` option) may only be reduced with
`geo.sanctionedRegions.allowRelaxation: true` and a justification reviewed by counsel.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from compliance.engine.context import ReleaseContext, is_blank, is_unknown
from compliance.engine.registry import Scope, rule
from compliance.model import MISSING
from compliance.model.findings import Severity, Violation
from compliance.model.fixes import Edit, Fix
from compliance.yaml import Path
from compliance_rules.common import as_yaml, proven_commercial
from compliance_rules.controls import SANCTIONS
from compliance_rules.gateway import COMMERCIAL_CHANNEL_TYPES, SANCTIONED_BASELINE, gateway_or, is_gateway

SANCTIONED: Path = ("geo", "sanctionedRegions")
BLOCK: Path = (*SANCTIONED, "block")
RELAXATION: Path = (*SANCTIONED, "allowRelaxation")
JUSTIFICATION: Path = (*SANCTIONED, "justification")


def _applies(ctx: ReleaseContext) -> bool:
    return is_gateway(ctx) or ctx.get(SANCTIONED) is not MISSING


def _describe_relaxation(value: Any) -> str:
    if value is MISSING or value is None:
        return "allowRelaxation is not set"
    if isinstance(value, str):
        return f"allowRelaxation is the string {as_yaml(value)}, not the boolean true"
    return f"allowRelaxation is {as_yaml(value)}"


def block_fix(ctx: ReleaseContext, missing: list[str]) -> Fix:
    """GEO001's fix: append the missing regions to the block list where it was set."""
    where = ctx.values.locate(BLOCK)
    edit = Edit(where.path, where.line, where.column, "add-items", tuple(missing))
    return Fix(f"add {', '.join(missing)} to geo.sanctionedRegions.block in {where.path}", (edit,))


@rule(
    "GEO001",
    "Sanctioned-region baseline not blocked",
    Severity.ERROR,
    Scope.RELEASE,
    "geo",
    options=(SANCTIONED_BASELINE, COMMERCIAL_CHANNEL_TYPES),
    fix="add the missing baseline regions to the block list",
    controls=SANCTIONS,
    applies=gateway_or(SANCTIONED),
)
def baseline_not_blocked(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Checks that `geo.sanctionedRegions.block` contains every region of the sanctioned baseline
    (`IR`, `KP`, `SY`, `CU`, `RU-occupied-UA`) unless `geo.sanctionedRegions.allowRelaxation` is
    the boolean `true`. It is an error when a commercial channel (`openai-compatible`,
    `anthropic`) is enabled and a warning otherwise. Only string items count: an unquoted `NO`,
    `no` or `off` is a YAML 1.1 boolean to Helm, not a region code.

    ## Why it matters
    Serving sanctioned regions through a commercial provider breaks US/EU export controls and the
    provider's terms; the operator, as reseller, carries the liability.

    ## Example
    ```yaml
    geo:
      sanctionedRegions:
        block: [IR, KP, SY, NO]
        allowRelaxation: false
    ```

    ## Use instead
    ```yaml
    geo:
      sanctionedRegions:
        block: [IR, KP, SY, CU, RU-occupied-UA, "NO"]
        allowRelaxation: false
    ```

    ## How to fix
    Add the missing regions to the block list (extending it is always allowed, quote `"NO"`).
    Reduce it only with `allowRelaxation: true` and a justification reviewed by counsel.
    `compliance fix` appends the missing regions to the list the finding points at.
    """
    if not _applies(ctx):
        return
    relaxation = ctx.get(RELAXATION)
    if relaxation is True:
        return  # GEO002 reviews the relaxation
    block = ctx.get(BLOCK)
    baseline = SANCTIONED_BASELINE.of(ctx.options)
    if is_unknown(block):
        yield ctx.unknown(BLOCK, block)
        return
    items = block if isinstance(block, list) else []
    codes = {item for item in items if isinstance(item, str) and not is_unknown(item)}
    missing = [region for region in baseline if region not in codes]
    if not missing:
        return
    unknown_items = [item for item in items if is_unknown(item)]
    if is_unknown(relaxation):
        yield ctx.unknown(RELAXATION, relaxation, risk=f"the block list lacks {', '.join(missing)}")
        return
    if unknown_items:
        index = items.index(unknown_items[0])
        risk = f"the list lacks {', '.join(missing)} unless it is this item"
        yield ctx.unknown((*BLOCK, index), unknown_items[0], risk=risk)
        return
    if block is MISSING or block is None:
        shown = "geo.sanctionedRegions.block is not set"
    elif not isinstance(block, list):
        shown = f"geo.sanctionedRegions.block is not a list ({as_yaml(block)})"
    else:
        shown = "geo.sanctionedRegions.block"
    notes = [_describe_relaxation(relaxation)]
    booleans = [item for item in items if isinstance(item, bool)]
    if booleans:
        notes.append(
            f"{', '.join(str(b).lower() for b in booleans)} in the list is a boolean to Helm "
            "(an unquoted NO/no/off/on): quote region codes"
        )
    commercial = proven_commercial(ctx)
    if commercial:
        names = ", ".join(f"'{channel.name}'" for channel in commercial)
        notes.append(f"commercial channel {names} enabled")
        severity = None
    else:
        severity = Severity.WARNING
    violation = ctx.at(
        BLOCK,
        f"{shown} misses sanctioned baseline region(s) {', '.join(missing)} ({'; '.join(notes)})",
        severity,
    )
    yield replace(violation, fixes=(block_fix(ctx, missing),)) if isinstance(block, list) else violation


@rule(
    "GEO002",
    "Sanctioned-region relaxation without justification",
    Severity.ERROR,
    Scope.RELEASE,
    "geo",
    controls=SANCTIONS,
)
def relaxation_unjustified(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports `geo.sanctionedRegions.allowRelaxation: true` without a non-empty
    `geo.sanctionedRegions.justification` (error). With a justification it reports an info so the
    relaxation stays visible to reviewers.

    ## Why it matters
    The blueprint allows reducing the export-control baseline only with a recorded justification
    reviewed by counsel; an unexplained relaxation cannot be audited.

    ## Example
    ```yaml
    geo:
      sanctionedRegions:
        block: [IR, KP, SY, CU]
        allowRelaxation: true
    ```

    ## Use instead
    ```yaml
    geo:
      sanctionedRegions:
        block: [IR, KP, SY, CU]
        allowRelaxation: true
        justification: "LEGAL-2026-031: humanitarian exemption, reviewed by counsel 2026-03-02"
    ```

    ## How to fix
    Record the justification (with its legal review reference), or set `allowRelaxation: false`
    and restore the baseline.
    """
    relaxation = ctx.get(RELAXATION)
    justification = ctx.get(JUSTIFICATION)
    if is_unknown(relaxation):
        if not isinstance(justification, str) or is_blank(justification):
            risk = "no justification is recorded: if it renders true, the relaxation is unjustified"
            yield ctx.unknown(RELAXATION, relaxation, risk=risk)
        return
    if relaxation is not True:
        return
    if is_unknown(justification):
        yield ctx.unknown(JUSTIFICATION, justification)
    elif isinstance(justification, str) and not is_blank(justification):
        yield ctx.at(
            RELAXATION,
            f"sanctioned-region baseline relaxed with justification: {as_yaml(justification.strip())}; "
            "keep the counsel review on record",
            Severity.INFO,
        )
    else:
        shown = "is empty" if justification not in (MISSING, None) else "is missing"
        if justification not in (MISSING, None) and not isinstance(justification, str):
            shown = f"is not text ({as_yaml(justification)})"
        yield ctx.at(
            RELAXATION,
            f"geo.sanctionedRegions.allowRelaxation is true but geo.sanctionedRegions.justification {shown}",
        )
