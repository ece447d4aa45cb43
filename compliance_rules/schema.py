"""The blueprint's `configSchema` against what each cluster deploys (SCH).

`spec.configSchema` is the JSON Schema of the blueprint's configuration: the values the chart
renders with. It is checked against the effective values (chart defaults coalesced with the
overlay, Flux variables substituted), so a default that the overlay fixes is not reported and a
default the overlay breaks is.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

from compliance.engine.context import BlueprintContext, ReleaseContext, is_unknown
from compliance.engine.registry import Scope, rule
from compliance.model.findings import Severity, Violation
from compliance.schema.check import FastValidator, fast_validator
from compliance.schema.guard import confined_validator, scan, schema_problem
from compliance.yaml.spelling import spell
from compliance_rules.controls import CONFIGURATION

# Keywords whose verdict depends only on which keys or how many items exist, never on a leaf's
# value: an unknown (Flux variable) leaf inside the instance cannot change them.
STRUCTURAL = frozenset(
    {
        "required",
        "dependentRequired",
        "minProperties",
        "maxProperties",
        "additionalProperties",
        "propertyNames",
        "minItems",
        "maxItems",
    }
)
# Keywords that only say a key must be present: chart defaults alone leave operator-supplied
# values out by design, so they are judged only where a cluster deploys the chart.
PRESENCE = frozenset({"required", "dependentRequired"})
MAX_MESSAGE = 240


class _Identity:
    """A hashable handle on a schema mapping, equal only to itself (the cache keeps it alive)."""

    __slots__ = ("value",)

    def __init__(self, value: Mapping[str, Any]) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Identity) and other.value is self.value


@functools.lru_cache(maxsize=256)
def _validator(key: _Identity) -> Any:
    """One validator per schema (Draft 2020-12 unless `$schema` says otherwise); None if invalid."""
    fast = fast_validator(key.value)
    return fast if fast is not None else confined_validator(key.value)


def contains_unknown(value: Any) -> bool:
    """True when the value is, or holds anywhere, a Flux variable nobody supplied."""
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def _provable(error: Any) -> bool:
    """False when an unknown value could decide the error."""
    if error.validator in STRUCTURAL:
        return not is_unknown(error.instance)
    return not contains_unknown(error.instance)


def describes(schema: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    """False when the schema declares top-level properties and the values hold none of them.

    Such a schema describes the blueprint's configuration form (which the console maps onto an
    umbrella chart's subchart keys), not the chart's values: there is nothing to compare.
    """
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return True
    return any(key in values for key in properties)


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


@rule(
    "SCH001",
    "Values violate the blueprint's configSchema",
    Severity.ERROR,
    Scope.RELEASE,
    "schema",
    controls=CONFIGURATION,
)
def config_schema(ctx: ReleaseContext) -> Iterator[Violation]:
    """
    ## What it does
    Validates the effective values of each deployment (chart defaults plus the cluster overlay)
    against the blueprint's `spec.configSchema` (JSON Schema, Draft 2020-12 unless `$schema`
    names another draft), and reports each violation at the value that breaks it (a missing
    `required` key at the mapping that lacks it). A violation that depends on a Flux variable
    nobody supplied is not reported: the value is unknown until the cluster substitutes it.
    A chart no cluster deploys is checked on its defaults, except for missing `required` keys
    (operators supply those). A schema none of whose top-level properties appears in the values
    describes the blueprint's configuration form, not the chart's values, and is not applied.

    ## Why it matters
    The schema is the blueprint's contract with operators (and the console's form). A value
    outside it is a configuration the blueprint never promised to support: a typo in an enum
    disables a compliance control, a string where a boolean is expected is always truthy.

    ## Example
    ```yaml
    # configSchema: {properties: {aup: {properties: {enforcement:
    #                 {enum: [provider-strictest, per-channel, "off"]}}}}}
    aup:
      enforcement: strict
    ```

    ## Use instead
    ```yaml
    aup:
      enforcement: provider-strictest
    ```

    ## How to fix
    Change the value to one the schema allows, or extend the schema in the blueprint when the
    new value is really supported.
    """
    blueprint = ctx.blueprint
    schema = blueprint.config_schema if blueprint is not None else None
    values = ctx.values.values
    if not schema or not describes(schema, values) or scan(schema).unresolved:  # SCH002 reports those
        return
    deployed = ctx.release is not None
    validator = _validator(_Identity(schema))
    if validator is None:  # an invalid schema: SCH004 says it is not checked
        return
    try:
        errors = [
            e for e in validator.iter_errors(values) if _provable(e) and (deployed or e.validator not in PRESENCE)
        ]
        errors.sort(key=lambda e: (list(map(str, e.absolute_path)), str(e.validator)))
        if isinstance(validator, FastValidator):
            shown: list[Any] = errors
        else:
            from jsonschema.exceptions import best_match

            shown = [best_match([e]) for e in errors]
    except Exception as failure:  # the validator could not evaluate it: not checked, and said so
        message = f"configSchema not checked for these values: {type(failure).__name__}: {failure}"
        yield ctx.at((), _shorten(message), Severity.INFO)
        return
    for error in shown:
        path = tuple(error.absolute_path)
        yield ctx.at(path, _shorten(f"{error.json_path}: {_as_yaml(error)}"))


def _as_yaml(error: Any) -> str:
    """The validator's message with the values it quotes spelled as YAML (`false`, `[vllm, byok]`),
    not as Python (`False`, `['vllm', 'byok']`): jsonschema writes the instance and the keyword's
    value with `repr`."""
    message = str(error.message)
    for value in (error.instance, error.validator_value):
        if not isinstance(value, str):  # a string's repr is already a YAML single-quoted scalar
            message = message.replace(repr(value), spell(value), 1)  # respell: jsonschema wrote repr
    return message


def _schema_path(path: tuple[str | int, ...]) -> tuple[str | int, ...]:
    return ("spec", "configSchema", *path)


@rule(
    "SCH002", "configSchema reference not resolved", Severity.ERROR, Scope.BLUEPRINT, "schema", controls=CONFIGURATION
)
def unresolved_reference(ctx: BlueprintContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a `$ref` (or `$dynamicRef`, `$recursiveRef`) in `spec.configSchema` that does not
    resolve inside the schema itself, at the reference. Only references into the same document
    resolve: `#/...` JSON pointers (`#/$defs/port`, `#/definitions/port`), anchors, and `$id`s
    embedded in the schema. Nothing is ever fetched or read to resolve a reference: not a URL,
    not a file. A schema with such a reference is not applied (SCH001) until it is fixed.

    ## Why it matters
    The schema comes with the pull request the linter judges. A reference to `http://...` would
    make the CI runner send a request wherever the author likes, `file:///...` would read the
    runner's files, and a reference to a FIFO would hang the gate. A reference that points at
    nothing leaves the values unchecked.

    ## Example
    ```yaml
    configSchema:
      properties:
        port: {$ref: "https://schemas.example.com/port.json"}
    ```

    ## Use instead
    ```yaml
    configSchema:
      $defs:
        port: {type: integer, minimum: 1, maximum: 65535}
      properties:
        port: {$ref: "#/$defs/port"}
    ```

    ## How to fix
    Copy the referenced schema into the blueprint's `configSchema` (under `$defs`) and point
    the reference at it with a `#/...` pointer, or fix the pointer's spelling.
    """
    schema = ctx.blueprint.config_schema
    if not schema:
        return
    for issue in scan(schema).unresolved:
        yield ctx.at_blueprint(_schema_path(issue.path), issue.message)


@rule("SCH003", "configSchema pattern not checked", Severity.INFO, Scope.BLUEPRINT, "schema")
def unchecked_pattern(ctx: BlueprintContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a `pattern` or `patternProperties` regular expression in `spec.configSchema` that
    the linter does not run, at the pattern. Patterns run in RE2, a linear-time engine; a
    pattern that needs backtracking (backreferences such as `\\1`, lookahead `(?=`, lookbehind
    `(?<=`) is skipped: values are not checked against it, and a key it would match is not
    reported as an additional property. `unevaluatedProperties` is skipped likewise in a schema
    that uses `patternProperties`.

    ## Why it matters
    A backtracking engine takes exponential time on patterns such as `^(a+)+$` against a long
    value: a pull request could hang the CI gate. A check that is skipped must say so, or a
    value that breaks the pattern would pass unnoticed.

    ## Example
    ```yaml
    configSchema:
      properties:
        password: {type: string, pattern: "^(?=.*[0-9]).{12,}$"}
    ```

    ## Use instead
    ```yaml
    configSchema:
      properties:
        password: {type: string, pattern: "[0-9]", minLength: 12}
    ```

    ## How to fix
    Rewrite the pattern without backreferences or lookaround (split it into several keywords,
    as above), or accept that it is not checked by the linter.
    """
    schema = ctx.blueprint.config_schema
    if not schema:
        return
    for issue in scan(schema).unchecked:
        yield ctx.at_blueprint(_schema_path(issue.path), issue.message)


@rule(
    "SCH004",
    "configSchema is not a valid JSON Schema",
    Severity.WARNING,
    Scope.BLUEPRINT,
    "schema",
    controls=CONFIGURATION,
)
def invalid_schema(ctx: BlueprintContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a `spec.configSchema` that is not a valid JSON Schema for its dialect (Draft 2020-12
    unless `$schema` says otherwise), at the schema, with the validator's reason. Such a schema
    is not applied: SCH001 checks nothing against it.

    ## Why it matters
    A schema that cannot be used checks nothing, and the catalog form or the deployment that
    relies on it accepts any value. Without this finding the values would look checked.

    ## Example
    ```yaml
    configSchema:
      properties:
        replicas: {type: integer, minimum: "one"}
    ```

    ## Use instead
    ```yaml
    configSchema:
      properties:
        replicas: {type: integer, minimum: 1}
    ```

    ## How to fix
    Correct the keyword the message names (its value has the wrong type, or it is not part of the
    dialect); check the schema with any JSON Schema validator.
    """
    schema = ctx.blueprint.config_schema
    if not schema or fast_validator(schema) is not None or scan(schema).unresolved:
        return
    problem = schema_problem(schema)
    if problem is not None:
        yield ctx.at_blueprint(("spec", "configSchema"), f"configSchema is not valid, so it is not applied: {problem}")
