"""A fast validator for the JSON-Schema subset blueprints use, with `jsonschema` as the authority.

Importing `jsonschema` costs more than linting a whole repository, and blueprint schemas use a
small vocabulary (type, enum, properties, required, items, bounds, pattern). Schemas made only of
that vocabulary are checked here; any other schema goes to `jsonschema` itself, confined by
`compliance.schema.guard` (no retrieval). Patterns run in RE2 on both paths: linear time. The errors carry
the attributes of `jsonschema.ValidationError` the rules use, and a property-based test proves
both agree on which keyword fails where.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import field
from typing import Any

from compliance.records import record
from compliance.schema.guard import compile_pattern, matches

SUPPORTED_DRAFTS = (
    "",
    "https://json-schema.org/draft/2020-12/schema",
    "https://json-schema.org/draft/2019-09/schema",
    "http://json-schema.org/draft-07/schema#",
    "http://json-schema.org/draft-07/schema",
)
# Keywords jsonschema evaluates that this module does not: their presence sends a schema to jsonschema.
DELEGATED = frozenset(
    {
        "$ref", "$dynamicRef", "$recursiveRef", "$defs", "definitions", "$id", "$anchor", "allOf", "anyOf",
        "oneOf", "not", "if", "then", "else", "dependentSchemas", "dependentRequired", "dependencies",
        "prefixItems", "additionalItems", "contains", "minContains", "maxContains", "propertyNames",
        "patternProperties", "unevaluatedProperties", "unevaluatedItems", "minProperties", "maxProperties",
        "multipleOf",
    }
)  # fmt: skip
TYPES = {"string", "integer", "number", "boolean", "object", "array", "null"}


@record(frozen=False, slots=False)
class SchemaError:
    """The parts of `jsonschema.ValidationError` that rules read."""

    message: str
    validator: str
    validator_value: Any
    instance: Any
    absolute_path: deque[str | int] = field(default_factory=deque)

    @property
    def path(self) -> deque[str | int]:
        return self.absolute_path

    @property
    def json_path(self) -> str:
        return "$" + "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in self.absolute_path)


def _is_type(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if isinstance(value, bool):
        return False
    if kind == "number":
        return isinstance(value, (int, float))
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _supported(schema: Any) -> bool:
    """True when every keyword at every level is one this module evaluates like jsonschema."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict) or DELEGATED.intersection(schema):
        return False
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
    if not all(k in TYPES for k in kinds):
        return False
    checks = (
        ("enum", lambda v: isinstance(v, list)),
        ("required", lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v)),
        ("properties", lambda v: isinstance(v, dict) and all(_supported(s) for s in v.values())),
        ("items", lambda v: (isinstance(v, (dict, bool))) and _supported(v)),
        ("additionalProperties", lambda v: isinstance(v, (dict, bool)) and _supported(v)),
        ("pattern", lambda v: isinstance(v, str) and compile_pattern(v) is not None),
        ("uniqueItems", lambda v: isinstance(v, bool)),
    )
    for key, valid in checks:
        if key in schema and not valid(schema[key]):
            return False
    numeric = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
    counts = ("minLength", "maxLength", "minItems", "maxItems")
    if any(k in schema and not _number(schema[k]) for k in numeric):
        return False
    return all(k not in schema or (isinstance(schema[k], int) and not isinstance(schema[k], bool)) for k in counts)


def _errors(schema: Any, instance: Any, path: tuple[str | int, ...]) -> Iterator[SchemaError]:
    if schema is True:
        return
    if schema is False:
        yield SchemaError(f"False schema does not allow {instance!r}", "false", False, instance, deque(path))
        return

    def error(keyword: str, message: str) -> SchemaError:
        return SchemaError(message, keyword, schema[keyword], instance, deque(path))

    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_is_type(instance, k) for k in kinds):
            shown = ", ".join(repr(k) for k in kinds)
            yield error("type", f"{instance!r} is not of type {shown}")
    if "enum" in schema and not any(_json_equal(instance, option) for option in schema["enum"]):
        yield error("enum", f"{instance!r} is not one of {schema['enum']!r}")
    if "const" in schema and not _json_equal(instance, schema["const"]):
        yield error("const", f"{schema['const']!r} was expected")
    if _number(instance):
        if "minimum" in schema and instance < schema["minimum"]:
            yield error("minimum", f"{instance!r} is less than the minimum of {schema['minimum']!r}")
        if "maximum" in schema and instance > schema["maximum"]:
            yield error("maximum", f"{instance!r} is greater than the maximum of {schema['maximum']!r}")
        if "exclusiveMinimum" in schema and instance <= schema["exclusiveMinimum"]:
            minimum = schema["exclusiveMinimum"]
            yield error("exclusiveMinimum", f"{instance!r} is less than or equal to the minimum of {minimum!r}")
        if "exclusiveMaximum" in schema and instance >= schema["exclusiveMaximum"]:
            maximum = schema["exclusiveMaximum"]
            yield error("exclusiveMaximum", f"{instance!r} is greater than or equal to the maximum of {maximum!r}")
    if isinstance(instance, str):
        if "minLength" in schema and len(instance) < schema["minLength"]:
            yield error("minLength", f"{instance!r} is too short")
        if "maxLength" in schema and len(instance) > schema["maxLength"]:
            yield error("maxLength", f"{instance!r} is too long")
        if "pattern" in schema and not matches(schema["pattern"], instance):
            yield error("pattern", f"{instance!r} does not match {schema['pattern']!r}")
    if isinstance(instance, list):
        if "minItems" in schema and len(instance) < schema["minItems"]:
            yield error("minItems", f"{instance!r} is too short")
        if "maxItems" in schema and len(instance) > schema["maxItems"]:
            yield error("maxItems", f"{instance!r} is too long")
        if schema.get("uniqueItems") and any(
            _json_equal(a, b) for i, a in enumerate(instance) for b in instance[i + 1 :]
        ):
            yield error("uniqueItems", f"{instance!r} has non-unique elements")
        if "items" in schema:
            for index, item in enumerate(instance):
                yield from _errors(schema["items"], item, (*path, index))
    if isinstance(instance, dict):
        for name in schema.get("required", ()):
            if name not in instance:
                yield error("required", f"{name!r} is a required property")
        properties = schema.get("properties", {})
        for name, subschema in properties.items():
            if name in instance:
                yield from _errors(subschema, instance[name], (*path, name))
        extra_schema = schema.get("additionalProperties")
        if extra_schema is not None:
            extras = [name for name in instance if name not in properties]
            if extra_schema is False and extras:
                listed = ", ".join(repr(name) for name in extras)
                verb = "was" if len(extras) == 1 else "were"
                yield error(
                    "additionalProperties", f"Additional properties are not allowed ({listed} {verb} unexpected)"
                )
            elif isinstance(extra_schema, dict):
                for name in extras:
                    yield from _errors(extra_schema, instance[name], (*path, name))


class FastValidator:
    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema

    def iter_errors(self, instance: Any) -> Iterator[SchemaError]:
        return _errors(self.schema, instance, ())


def fast_validator(schema: Mapping[str, Any]) -> FastValidator | None:
    """A validator for `schema`, or None when it needs jsonschema (other keywords or drafts)."""
    if schema.get("$schema", "") not in SUPPORTED_DRAFTS or not _supported(schema):
        return None
    return FastValidator(schema)
