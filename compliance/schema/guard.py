"""What a hostile `configSchema` must not do: reach outside its own document, or hang the run.

The schema comes from the pull request being judged. Two things in JSON Schema reach further than
the document and its values:

- `$ref` names a URI. jsonschema, by default, retrieves references it does not know (an
  `http://` request from the CI runner, a `file:///` read of the runner's files, a FIFO that never
  answers). Here only references into the same document resolve: `#/...` JSON pointers, anchors,
  and `$id`s embedded in the schema. `scan` lists every other reference (SCH002) without any I/O,
  and jsonschema is only ever given a registry that refuses to retrieve anything.
- `pattern` and `patternProperties` are regular expressions matched against values the pull
  request also writes. Python's `re` backtracks (`^(a+)+$` on `aaaa…!` never ends), so patterns
  run in RE2, a linear-time engine. A pattern RE2 cannot compile (backreferences, lookaround:
  ECMA-262 features RE2 lacks) is not run at all; `scan` lists it (SCH003) so it is never a silent
  pass.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin

from compliance.records import record

Path = tuple[str | int, ...]

REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
# Where subschemas sit (JSON Schema drafts 4 to 2020-12): a `$ref` anywhere else is data, not a reference.
_ONE = frozenset(
    {
        "additionalItems", "additionalProperties", "contains", "else", "if", "items", "not", "propertyNames",
        "then", "unevaluatedItems", "unevaluatedProperties",
    }
)  # fmt: skip
_MANY = frozenset({"allOf", "anyOf", "oneOf", "prefixItems", "items"})
_NAMED = frozenset({"$defs", "definitions", "dependentSchemas", "dependencies", "patternProperties", "properties"})
# ECMA-262's \uXXXX escape is \x{XXXX} in RE2; an even run of backslashes before it is literal text.
_UNICODE_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u([0-9A-Fa-f]{4})")


@record
class SchemaIssue:
    """A keyword the linter will not act on, at its path inside the schema."""

    path: Path
    message: str


@record
class SchemaScan:
    unresolved: tuple[SchemaIssue, ...]  # references that leave the document or point at nothing
    unchecked: tuple[SchemaIssue, ...]  # patterns (or keywords) that are not evaluated
    skip_unevaluated: bool  # unevaluatedProperties would run patternProperties in `re`: not evaluated


def _subschemas(schema: Mapping[str, Any], path: Path) -> Iterator[tuple[Any, Path]]:
    for key, value in schema.items():
        if key in _ONE and isinstance(value, (dict, bool)):
            yield value, (*path, key)
        elif key in _MANY and isinstance(value, list):
            yield from ((item, (*path, key, i)) for i, item in enumerate(value))
        elif key in _NAMED and isinstance(value, dict):
            yield from ((item, (*path, key, name)) for name, item in value.items() if isinstance(item, dict))


def _walk(schema: Any) -> Iterator[tuple[Mapping[str, Any], Path, str]]:
    """Every subschema that is a mapping, with its path and base URI (`$id`s joined), iteratively."""
    stack: list[tuple[Any, Path, str]] = [(schema, (), "")]
    while stack:
        node, path, base = stack.pop()
        if not isinstance(node, dict):
            continue
        own = node.get("$id")
        if isinstance(own, str) and not own.startswith("#"):
            base = _join(base, own)[0]
        yield node, path, base
        stack.extend((child, child_path, base) for child, child_path in _subschemas(node, path))


def _join(base: str, ref: str) -> tuple[str, str]:
    """(document URI, fragment) of `ref` against `base`, as referencing resolves it; a URI that does
    not parse names no document here."""
    try:
        return urldefrag(urljoin(base, ref))
    except ValueError:  # "http://[::1" and the like
        return "\x00invalid", ""


def _pointer(document: Any, fragment: str) -> bool:
    """Whether the JSON pointer `fragment` (`/a/b`, URI-encoded) names a value inside `document`."""
    node = document
    for raw in unquote(fragment).split("/")[1:]:
        step = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return False
    return True


def _references(schema: Any) -> list[SchemaIssue]:
    nodes = list(_walk(schema))
    resources: dict[str, Any] = {"": schema}
    anchors: set[tuple[str, str]] = set()
    for node, _, base in nodes:
        resources.setdefault(base, node)
        own = node.get("$id")
        if isinstance(own, str) and own.startswith("#"):  # draft 6/7: `$id: "#name"` is an anchor
            anchors.add((base, own[1:]))
        for keyword in ("$anchor", "$dynamicAnchor", "$recursiveAnchor"):
            if isinstance(node.get(keyword), str):
                anchors.add((base, node[keyword]))
    issues: list[SchemaIssue] = []
    for node, path, base in nodes:
        for keyword in REF_KEYWORDS:
            ref = node.get(keyword)
            if keyword not in node:
                continue
            if not isinstance(ref, str):
                issues.append(SchemaIssue((*path, keyword), f"{keyword} is not a string; not resolved"))
                continue
            document, fragment = _join(base, ref)
            if document not in resources:
                why = "leaves the schema (only #/... pointers, anchors and $id inside it resolve)"
                issues.append(SchemaIssue((*path, keyword), f"{keyword} {ref!r} {why}; not retrieved"))
            elif fragment and not (
                _pointer(resources[document], fragment) if fragment.startswith("/") else (document, fragment) in anchors
            ):
                issues.append(SchemaIssue((*path, keyword), f"{keyword} {ref!r} points at nothing in the schema"))
    return sorted(issues, key=lambda i: list(map(str, i.path)))


def _patterns(schema: Any) -> tuple[list[SchemaIssue], bool]:
    unchecked: list[SchemaIssue] = []
    pattern_properties: list[Path] = []
    unevaluated: list[Path] = []
    for node, path, _ in _walk(schema):
        found: list[tuple[str, Path]] = []
        if isinstance(node.get("pattern"), str):
            found.append((node["pattern"], (*path, "pattern")))
        if isinstance(node.get("patternProperties"), dict):
            pattern_properties.append(path)
            found += [(p, (*path, "patternProperties", p)) for p in node["patternProperties"]]
        if "unevaluatedProperties" in node:
            unevaluated.append((*path, "unevaluatedProperties"))
        for pattern, where in found:
            if compile_pattern(pattern) is None:
                why = "uses what the linear-time engine (RE2) cannot run: backreferences, lookaround, ...)"
                unchecked.append(SchemaIssue(where, f"pattern {pattern!r} is not checked (it {why}"))
    skip = bool(pattern_properties and unevaluated)
    if skip:  # jsonschema would match patternProperties with `re` while finding the evaluated keys
        why = "is not checked: with patternProperties in the schema it would need a backtracking engine"
        unchecked += [SchemaIssue(path, f"unevaluatedProperties {why}") for path in unevaluated]
    return sorted(unchecked, key=lambda i: list(map(str, i.path))), skip


@functools.lru_cache(maxsize=64)
def _scan(key: _Key) -> SchemaScan:
    unchecked, skip = _patterns(key.value)
    return SchemaScan(tuple(_references(key.value)), tuple(unchecked), skip)


class _Key:
    """A hashable handle on a schema, equal only to itself (the cache keeps the schema alive)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and other.value is self.value


def scan(schema: Mapping[str, Any]) -> SchemaScan:
    """The references that do not resolve inside `schema` and the patterns that will not run. No I/O."""
    return _scan(_Key(schema))


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> Any | None:
    """`pattern` (ECMA-262 syntax) compiled by RE2, or None when RE2 cannot run it."""
    import re2  # a few ms, and only for schemas that have a pattern

    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern on stderr
    options.never_capture = True  # only "does it match" is asked
    try:
        return re2.compile(_UNICODE_ESCAPE.sub(r"\1\\x{\2}", pattern), options)
    except re2.error:
        return None


def matches(pattern: str, text: str) -> bool | None:
    """ECMA-262 `pattern` semantics (search, unanchored) in linear time; None when it cannot run."""
    compiled = compile_pattern(pattern)
    return None if compiled is None else compiled.search(text) is not None


# --------------------------------------------------------------------------------------------
# jsonschema, confined: no retrieval, patterns in RE2
# --------------------------------------------------------------------------------------------


def _refuse(uri: str) -> Any:
    """The registry's retrieve hook: nothing outside the schema is ever fetched or read."""
    from referencing.exceptions import NoSuchResource

    # referencing marks its attrs classes with a private `__dataclass_transform__` mypy does not read
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and matches(pattern, instance) is False:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if matches(pattern, key):  # a pattern that cannot run matches nothing (SCH003 says so)
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(validator: Any, extra_schema: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """jsonschema's additionalProperties with RE2 patterns; a pattern that cannot run covers any key
    (the rule reports only what it can prove)."""
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    extras = [k for k in instance if k not in properties and not any(matches(p, k) is not False for p in patterns)]
    if validator.is_type(extra_schema, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], extra_schema, path=extra)
    elif not extra_schema and extras:
        joined = ", ".join(repr(each) for each in sorted(extras))
        if patterns:
            verb = "does" if len(extras) == 1 else "do"
            listed = ", ".join(repr(each) for each in sorted(patterns))
            yield ValidationError(f"{joined} {verb} not match any of the regexes: {listed}")
        else:
            verb = "was" if len(extras) == 1 else "were"
            yield ValidationError(f"Additional properties are not allowed ({joined} {verb} unexpected)")


def _not_evaluated(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
    return iter(())


@functools.lru_cache(maxsize=16)
def _confined_class(cls: type, skip_unevaluated: bool) -> type:
    from jsonschema.validators import extend

    keywords: dict[str, Callable[..., Iterator[Any]]] = {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
    }
    if skip_unevaluated:
        keywords["unevaluatedProperties"] = _not_evaluated
    return extend(cls, keywords)


def schema_problem(schema: Mapping[str, Any]) -> str | None:
    """Why `schema` is not a valid JSON Schema for its dialect (jsonschema's message), or None."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    cls = validator_for(schema, default=Draft202012Validator)
    try:
        cls.check_schema(schema)  # type: ignore[arg-type]  # any mapping is accepted (see confined_validator)
    except SchemaError as error:
        where = "/".join(str(part) for part in error.path) or "(the schema)"
        return f"{where}: {error.message}"
    return None


def confined_validator(schema: Mapping[str, Any]) -> Any | None:
    """A jsonschema validator for `schema` that retrieves nothing and runs patterns in RE2; None if
    the schema is invalid."""
    from jsonschema import Draft202012Validator  # ~80 ms: only for schemas beyond the fast subset
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for
    from referencing import Registry

    cls = validator_for(schema, default=Draft202012Validator)
    try:
        # types-jsonschema's Validator protocol asks for a dict; every validator class takes any mapping
        cls.check_schema(schema)  # type: ignore[arg-type]
    except SchemaError:
        return None
    confined = _confined_class(cls, scan(schema).skip_unevaluated)
    # `retrieve` is an attrs field alias referencing's stub hides from mypy (see `_refuse`)
    return confined(schema, registry=Registry(retrieve=_refuse))  # type: ignore[call-arg]
