"""Suppression comments: `# compliance: ignore[RULE,...] reason="..." until=YYYY-MM-DD` in the raw text.

YAML drops comments, so the loader hands each file's text here along with its loaded documents. A
comment trailing a line covers that line; a comment alone on its line covers the next line that holds
YAML. When the covered line is the key of a mapping or a sequence (or a sequence item), the whole
collection is covered: positions say which lines its nodes stand on. `ignore-file[...]` covers the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from compliance.model import SuppressionComment, YamlDocument

MARKER = "compliance:"
# `#` opens a comment at the start of a line or after whitespace (YAML 1.2 §6.6).
DIRECTIVE = re.compile(r"(?:^|(?<=\s))#\s*compliance:\s*(?P<body>.*)$")
HEAD = re.compile(r"(?P<verb>[A-Za-z-]+)\s*(?:\[(?P<rules>[^\]]*)\])?")
FIELD = re.compile(r"\s*(?P<key>[A-Za-z_-]+)\s*=\s*(?P<value>\"(?:[^\"\\]|\\.)*\"|'[^']*'|[^\s\"']+)")
VERBS = {"ignore": "line", "ignore-file": "file"}
FIELDS = ("reason", "until", "owner", "approver")


def scan(file: str, text: str, documents: tuple[YamlDocument, ...]) -> tuple[SuppressionComment, ...]:
    """Every suppression comment in one file's text."""
    if MARKER not in text:
        return ()
    lines = text.splitlines()
    found: list[SuppressionComment] = []
    literal: set[str] | None = None  # strings in the file's values that contain the marker, built on demand
    for number, line in enumerate(lines, start=1):
        if MARKER not in line:
            continue
        match = DIRECTIVE.search(line)
        if match is None:
            continue
        if literal is None:
            literal = set(_marked_strings(documents))
        text = line[match.start() :].strip().rstrip("\"'").rstrip()  # a quoted string would end in its quote
        if any(text in value for value in literal):
            continue  # inside a quoted or block string, not a comment
        column = match.start() + 1
        trailing = bool(line[: match.start()].strip())
        found.append(_parse(file, number, column, match.group("body"), trailing, lines, documents))
    return tuple(found)


def _parse(
    file: str,
    number: int,
    column: int,
    body: str,
    trailing: bool,
    lines: list[str],
    documents: tuple[YamlDocument, ...],
) -> SuppressionComment:
    def broken(problem: str) -> SuppressionComment:
        return SuppressionComment(file, number, column, "line", (), None, None, None, (0, 0), problem)

    head = HEAD.match(body)
    if head is None or head.group("verb") not in VERBS:
        verb = head.group("verb") if head else body.split(maxsplit=1)[0] if body.strip() else ""
        return broken(f"unknown directive {verb!r} (expected ignore[...] or ignore-file[...])")
    if head.group("rules") is None or not head.group("rules").strip():
        return broken(f"{head.group('verb')} needs rule ids in brackets, e.g. {head.group('verb')}[ATT001]")
    rules = tuple(dict.fromkeys(r.strip().upper() for r in head.group("rules").split(",") if r.strip()))
    fields: dict[str, str] = {}
    rest = body[head.end() :]
    while rest.strip():
        field = FIELD.match(rest)
        if field is None:
            expected = 'reason="...", until=YYYY-MM-DD, owner=..., approver=...'
            return broken(f"cannot read {rest.strip()!r} (expected {expected})")
        key = field.group("key")
        if key not in FIELDS:
            return broken(f"unknown field {key!r} (expected reason, until, owner or approver)")
        fields[key] = _unquote(field.group("value"))
        rest = rest[field.end() :]
    until: date | None = None
    if "until" in fields:
        try:
            until = date.fromisoformat(fields["until"]) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", fields["until"]) else None
        except ValueError:
            until = None
        if until is None:
            return broken(f"until={fields['until']} is not a date (expected YYYY-MM-DD)")
    scope = VERBS[head.group("verb")]
    if scope == "file":
        covers = (1, max(len(lines), 1))
    else:
        target = number if trailing else _next_yaml_line(lines, number)
        covers = _span(documents, target) if target else (0, 0)
    return SuppressionComment(
        file,
        number,
        column,
        scope,
        rules,
        fields.get("reason"),
        until,
        fields.get("owner"),
        covers,
        approver=fields.get("approver"),
    )


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    return value


def _next_yaml_line(lines: list[str], number: int) -> int:
    """The first line after `number` that is neither blank nor a comment (0 when there is none)."""
    for index in range(number, len(lines)):
        stripped = lines[index].strip()
        if stripped and not stripped.startswith("#"):
            return index + 1
    return 0


def _span(documents: tuple[YamlDocument, ...], line: int) -> tuple[int, int]:
    """`line`, or every line of the outermost collection whose position is on `line`."""
    last = line
    for document in documents:
        positions = document.doc.positions
        on_line = [path for path, mark in positions.items() if mark.line == line]
        if not on_line:
            continue
        outer = min(on_line, key=len)
        depth = len(outer)
        for path, mark in positions.items():
            if len(path) > depth and path[:depth] == outer:
                last = max(last, mark.line)
    return line, last


def _marked_strings(documents: tuple[YamlDocument, ...]) -> Iterator[str]:
    for document in documents:
        yield from _strings(document.value)


def _strings(value: Any) -> Iterator[str]:
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if MARKER in item:
                yield item
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
