"""The catalog card and naming (CRD, NAM).

The console and the marketplace render a blueprint from its `spec.card`; a `listed` blueprint is
offered to customers, so it also says what it is (`category`), under which terms (`license`) and who
answers for it (`spec.owner.team`). A blueprint is published as the chart of the same name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from compliance.engine.context import BlueprintContext, is_blank
from compliance.engine.options import string_list
from compliance.engine.registry import Scope, rule
from compliance.model.findings import Severity, Violation
from compliance.yaml import Path
from compliance_rules.controls import INVENTORY

REQUIRED_CARD_FIELDS = string_list(
    "required-card-fields", ("title", "summary"), "Card fields every blueprint must fill in (CRD001)."
)
LISTED_CARD_FIELDS = string_list(
    "listed-card-fields",
    ("category", "license"),
    "Card fields a blueprint listed in the catalog must also fill in (CRD001).",
)

CARD: Path = ("spec", "card")
OWNER: Path = ("spec", "owner")


def _field(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@rule(
    "CRD001",
    "Blueprint card is incomplete",
    Severity.ERROR,
    Scope.BLUEPRINT,
    "card",
    options=(REQUIRED_CARD_FIELDS, LISTED_CARD_FIELDS),
    controls=INVENTORY,
)
def card_fields(ctx: BlueprintContext) -> Iterator[Violation]:
    """
    ## What it does
    Checks that `spec.card` has a non-empty `title` and `summary`. A blueprint with
    `spec.visibility: listed` also needs `spec.card.category`, `spec.card.license` and
    `spec.owner.team`. Each missing field is reported at the mapping that should hold it.
    (The fields are the `required-card-fields` and `listed-card-fields` options.)

    ## Why it matters
    The console shows the title and summary on every card; a listed blueprint is sold to
    customers, who filter by category, must see the upstream license they accept, and need an
    owning team behind the support and security contact.

    ## Example
    ```yaml
    spec:
      card:
        title: NewAPI
      visibility: listed
    ```

    ## Use instead
    ```yaml
    spec:
      card:
        title: NewAPI
        summary: Multi-tenant LLM marketplace gateway.
        category: ai-runtime
        license: MIT
      visibility: listed
      owner:
        team: ai-platform
    ```

    ## How to fix
    Fill in the missing fields (a `description` does not replace `summary`).
    """
    spec = ctx.blueprint.spec
    card = spec.get("card")
    listed = spec.get("visibility") == "listed"
    fields = list(REQUIRED_CARD_FIELDS.of(ctx.options))
    if listed:
        fields += [f for f in LISTED_CARD_FIELDS.of(ctx.options) if f not in fields]
    required = REQUIRED_CARD_FIELDS.of(ctx.options)
    for key in fields:
        if not is_blank(_field(card, key)):
            continue
        why = " (required for a listed blueprint)" if key not in required else ""
        if key == "summary" and not is_blank(_field(card, "description")):
            why = " (it has a description; the console reads summary)"
        yield ctx.at_blueprint(CARD, f"blueprint {ctx.blueprint.name} card has no {key}{why}")
    if listed and is_blank(_field(spec.get("owner"), "team")):
        yield ctx.at_blueprint(OWNER, f"listed blueprint {ctx.blueprint.name} has no spec.owner.team")


@rule("NAM001", "Blueprint and chart names differ", Severity.WARNING, Scope.BLUEPRINT, "card", controls=INVENTORY)
def name_mismatch(ctx: BlueprintContext) -> Iterator[Violation]:
    """
    ## What it does
    Warns when the blueprint's `metadata.name` differs from its chart's `Chart.yaml` `name`.

    ## Why it matters
    Clusters install the chart by name (`spec.chart.spec.chart`) from the OCI registry, while
    the catalog, `spec.depends` and the bootstrap DAG speak blueprint names. When the two
    differ, dependency resolution and tooling that maps one to the other guess, and guess wrong.

    ## Example
    ```yaml
    # platform/alloy/blueprint.yaml           # platform/alloy/chart/Chart.yaml
    metadata:                                 name: bp-alloy
      name: alloy
    ```

    ## Use instead
    ```yaml
    metadata:                                 name: bp-alloy
      name: bp-alloy
    ```

    ## How to fix
    Rename the blueprint to its chart's name (the `bp-` prefix is the convention).
    """
    chart = ctx.chart
    name = ctx.blueprint.name
    if chart is None or not name:
        return
    chart_name = chart.chart_file.get(("name",), None)
    if not isinstance(chart_name, str) or is_blank(chart_name) or chart_name == name:
        return
    where = chart.chart_file.locate(("name",))
    yield ctx.at_blueprint(
        ("metadata", "name"),
        f"blueprint name {name} differs from its chart name {chart_name} ({where.path}:{where.line})",
    )
