"""The fast schema validator agrees with jsonschema (the authority) wherever it claims a schema."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from compliance.schema.check import fast_validator

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from([0.0, 1.0, 2.5, -1.5]),
    st.sampled_from(["", "a", "off", "IR", "abc", "x1"]),
)
instances = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), inner, max_size=4)
    ),
    max_leaves=12,
)
types = st.sampled_from(["string", "integer", "number", "boolean", "object", "array", "null"])
leaf_schemas = st.fixed_dictionaries(
    {},
    optional={
        "type": st.one_of(types, st.lists(types, min_size=1, max_size=3, unique=True)),
        "enum": st.lists(scalars, min_size=1, max_size=4),
        "const": scalars,
        "minimum": st.integers(-3, 3),
        "maximum": st.integers(-3, 3),
        "exclusiveMinimum": st.sampled_from([-1, 0, 1.5]),
        "exclusiveMaximum": st.sampled_from([-1, 0, 1.5]),
        "minLength": st.integers(0, 3),
        "maxLength": st.integers(0, 3),
        "pattern": st.sampled_from(["^a", "[0-9]", "^(IR|KP)$"]),
        "minItems": st.integers(0, 3),
        "maxItems": st.integers(0, 3),
        "uniqueItems": st.booleans(),
        "description": st.just("annotation only"),
        "default": scalars,
    },
)
schemas = st.recursive(
    leaf_schemas,
    lambda inner: st.fixed_dictionaries(
        {},
        optional={
            "type": types,
            "properties": st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3),
            "required": st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=3, unique=True),
            "items": inner,
            "additionalProperties": st.one_of(st.booleans(), inner),
        },
    ),
    max_leaves=8,
)


def outcome(errors: Any) -> list[tuple[tuple[Any, ...], str]]:
    return sorted((tuple(map(str, e.absolute_path)), str(e.validator)) for e in errors)


@settings(max_examples=400, deadline=None)
@given(schemas, instances)
def test_fast_validator_agrees_with_jsonschema(schema: dict[str, Any], instance: Any) -> None:
    fast = fast_validator(schema)
    assert fast is not None, schema  # the strategy only builds schemas of the supported subset
    expected = outcome(Draft202012Validator(schema).iter_errors(instance))
    assert outcome(fast.iter_errors(instance)) == expected


def test_schemas_beyond_the_subset_are_left_to_jsonschema() -> None:
    assert fast_validator({"anyOf": [{"type": "string"}]}) is None
    assert fast_validator({"properties": {"a": {"$ref": "#/$defs/x"}}, "$defs": {"x": {}}}) is None
    assert fast_validator({"$schema": "http://json-schema.org/draft-04/schema#"}) is None
    assert fast_validator({"type": "strin"}) is None
    assert fast_validator({"properties": {"a": {"type": "string", "x-ui": "ignored"}}}) is not None


def test_error_messages_and_paths_read_like_jsonschema() -> None:
    schema = {"properties": {"geo": {"properties": {"block": {"items": {"type": "string"}}}}}}
    fast = fast_validator(schema)
    assert fast is not None
    (error,) = fast.iter_errors({"geo": {"block": ["IR", False]}})
    (reference,) = Draft202012Validator(schema).iter_errors({"geo": {"block": ["IR", False]}})
    assert (error.message, error.json_path) == (reference.message, reference.json_path)
