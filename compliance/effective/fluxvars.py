"""Flux post-build variable substitution (`${VAR}`, `${VAR:-default}`, `${VAR:=default}`, `$${...}`).

Semantics follow fluxcd/pkg envsubst (see shared notes §3): the default operators use the default when
the value is empty, `$$` escapes `$`, and a plain (unquoted) scalar is re-typed by YAML 1.1 after
substitution. A variable with no value and no default is *unknown*: the result is an `Unresolved`
string that keeps the literal text, so rules can tell "not provable" from "empty".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")


class Unresolved(str):
    """A string whose final value depends on Flux variables nobody supplied."""

    variables: tuple[str, ...]

    def __new__(cls, text: str, variables: tuple[str, ...]) -> Unresolved:
        obj = super().__new__(cls, text)
        obj.variables = variables
        return obj


def is_unknown(value: object) -> bool:
    return isinstance(value, Unresolved)


def _find_close(text: str, start: int) -> int:
    """Index of the `}` closing the `${` whose body starts at `start`, or -1."""
    depth = 1
    index = start
    while index < len(text):
        if text.startswith("${", index):
            depth += 1
            index += 2
            continue
        if text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return -1


def substitute(text: str, variables: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """Expand `${...}` in text; returns the result and the names that had no value at all."""
    out: list[str] = []
    missing: list[str] = []
    index = 0
    while index < len(text):
        if text.startswith("$$", index):
            out.append("$")
            index += 2
            continue
        if not text.startswith("${", index):
            out.append(text[index])
            index += 1
            continue
        close = _find_close(text, index + 2)
        if close < 0:
            out.append(text[index:])
            missing.append(text[index:])
            break
        body = text[index + 2 : close]
        name_match = _NAME.match(body)
        name = name_match.group(0) if name_match else body
        rest = body[len(name) :]
        value = variables.get(name)
        if rest.startswith((":-", ":=")) or rest.startswith("="):
            default_text = rest[2:] if rest.startswith(":") else rest[1:]
            if value:
                out.append(value)
            else:
                expanded, inner_missing = substitute(default_text, variables)
                out.append(expanded)
                missing.extend(inner_missing)
        elif rest == "" and value is not None:
            out.append(value)
        else:
            # no value and no default, or an operator we do not model: the result is unknown
            out.append(text[index : close + 1])
            missing.append(name)
        index = close + 1
    return "".join(out), tuple(missing)
