"""Rule options: knobs a rule declares next to itself (as yamllint's CONF/DEFAULT), set under `options:` in
the project config.

A rule lists its `Option`s in `@rule(..., options=...)`; the registry collects them, configuration
validation and `compliance explain` read them from there, and `compliance.governance.gatesettings`
judges a value against the declared default in the declared `weaker` direction. A rule reads its value
with `OPTION.of(ctx.options)`: the configured value, else the default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field
from enum import Enum
from typing import Any

from compliance.records import record


class Weaker(str, Enum):
    """Which way a change of the option weakens the gate."""

    FEWER_ITEMS = "fewer items"  # a list: each item dropped from the default weakens
    LOWER = "lower"  # a number: a value below the default weakens
    ENABLED = "enabled"  # a switch: turning it on weakens


@record
class Option:
    name: str  # the key under `options:` in the project config, e.g. min-audit-retention-days
    schema: Mapping[str, Any]  # JSON schema of the configured value (file:line errors come from it)
    default: Any
    doc: str
    weaker: Weaker
    convert: Callable[[Any], Any]  # the configured (YAML) value as the type rules read

    def of(self, options: RuleOptions) -> Any:
        """The value a run uses: the configured one, else the default."""
        return options.values.get(self.name, self.default)

    def shown(self, value: Any) -> Any:
        """The value as plain JSON data (sets sorted)."""
        if isinstance(value, frozenset):
            return sorted(value)
        return list(value) if isinstance(value, tuple) else value

    def weakened(self, value: Any, reference: Any) -> list[str]:
        """What in `value` is weaker than `reference` (empty: as strict or stricter)."""
        if self.weaker is Weaker.LOWER:
            return [f"{value} < {reference}"] if value < reference else []
        if self.weaker is Weaker.ENABLED:
            return ["true"] if value and not reference else []
        return [str(item) for item in sorted(set(reference) - set(value))]

    def strengthened(self, value: Any, reference: Any) -> bool:
        if self.weaker is Weaker.LOWER:
            return bool(value > reference)
        if self.weaker is Weaker.ENABLED:
            return bool(reference and not value)
        return bool(set(value) - set(reference))


_STRINGS: Mapping[str, Any] = {"type": "array", "items": {"type": "string", "minLength": 1}}


def string_list(name: str, default: tuple[str, ...], doc: str) -> Option:
    """A list of names where dropping one weakens the gate."""
    return Option(name, _STRINGS, default, doc, Weaker.FEWER_ITEMS, tuple)


def string_set(name: str, default: frozenset[str], doc: str) -> Option:
    """A set of names where dropping one weakens the gate."""
    return Option(name, _STRINGS, default, doc, Weaker.FEWER_ITEMS, frozenset)


def minimum_count(name: str, default: int, doc: str) -> Option:
    """A non-negative integer where a lower value weakens the gate."""
    return Option(name, {"type": "integer", "minimum": 0}, default, doc, Weaker.LOWER, int)


def switch(name: str, doc: str) -> Option:
    """A boolean, off by default, where turning it on weakens the gate."""
    return Option(name, {"type": "boolean"}, False, doc, Weaker.ENABLED, bool)


@record
class RuleOptions:
    """The option values of one run, by option name; an option not listed has its declared default.

    `declared` are the options the run's rules declare, when known (configuration, `compliance config`
    and the gate's judgement list them); rules never need it.
    """

    values: Mapping[str, Any] = field(default_factory=dict)
    declared: tuple[Option, ...] = ()
