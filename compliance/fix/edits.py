"""One `Edit` -> the character-range replacements that make it, or `Skip` with the reason it cannot be made
byte-minimally. Only the node's own characters (and, to add or remove a block item or entry, its own
lines) are ever replaced."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from compliance.fix.nodes import Node, Tree
from compliance.model.fixes import Edit
from compliance.records import record

PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+/-]*")
_LINE_TAIL = re.compile(r"[ \t]*(#[^\r\n]*)?(\r?\n|$)")


class Skip(Exception):
    """The edit is not made; the message says why."""


@record
class Replace:
    """Characters [start, end) of the (BOM-less) text become `text`."""

    start: int
    end: int
    text: str


def scalar_text(value: str, style: str | None = None) -> str:
    """`value` as YAML text that reads back as that string: plain when safe, else quoted (in `style` if given)."""
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style != '"' and PLAIN.fullmatch(value) and _reads_as(value) == value:
        return value
    return json.dumps(value, ensure_ascii=False)


def _reads_as(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def item_text(item: Any) -> str:
    """A new sequence item: a string, or a mapping in flow style (`{slot: 80, name: x, depends_on: [a]}`)."""
    if isinstance(item, dict):
        return "{" + ", ".join(f"{scalar_text(str(k))}: {item_text(v)}" for k, v in item.items()) + "}"
    if isinstance(item, (list, tuple)):
        return "[" + ", ".join(item_text(v) for v in item) + "]"
    if isinstance(item, bool) or item is None:
        return json.dumps(item)
    if isinstance(item, int):
        return str(item)
    return scalar_text(str(item))


def target(tree: Tree, edit: Edit, kinds: tuple[str, ...]) -> Node:
    """The node the edit names: one of `kinds` starting at its position, or the value of a key starting there."""
    found = tree.at(edit.line, edit.column)
    for node in found:
        if node.kind in kinds and not node.is_key():
            return node
    for node in found:
        if node.kind == "scalar" and node.is_key():
            if "key" in kinds:
                return node
            value = node.value_of_key()
            if value is not None and value.kind in kinds:
                return value
            if value is not None and value.kind == "alias":
                raise Skip(f"the value is the alias *{value.value}: edit its anchor instead")
    if any(node.kind == "alias" for node in found):
        raise Skip("the value is an alias: edit its anchor instead")
    raise Skip(
        f"no {' or '.join(k for k in kinds if k != 'key')} at {edit.path}:{edit.line}:{edit.column} (file changed?)"
    )


def guard(tree: Tree, node: Node) -> None:
    """Refuse what a byte-minimal edit cannot guarantee: shared anchors, merge keys, directives, tags."""
    if len(tree.documents) > 1 and tree.directives:
        raise Skip("a multi-document file with %YAML/%TAG directives")
    for inner in node.walk():
        if inner.anchor is not None and inner.anchor in tree.aliased:
            raise Skip(f"the node holds anchor &{inner.anchor}, which an alias repeats elsewhere")
        if inner.tagged:
            raise Skip("the node has an explicit tag")
    for outer in (node, *node.ancestors()):
        if outer.anchor is not None and outer.anchor in tree.aliased:
            raise Skip(f"the node is inside anchor &{outer.anchor}, which an alias repeats elsewhere")
        if outer.kind == "map" and any(
            k.kind == "scalar" and k.style is None and k.value == "<<" for k, _ in outer.pairs()
        ):
            raise Skip("a merge key (<<) in the mapping: the value may come from elsewhere")
    for inner in node.walk():
        if inner.kind == "scalar" and "${" in inner.value:
            raise Skip("the value comes from a Flux variable (${...})")


def value_start(text: str, node: Node) -> int:
    """Where a scalar's own text starts: libyaml's mark is at its properties (`&anchor`, `!tag`) when it has any."""
    at = node.start
    while at < node.end and text[at] in "&!":
        while at < node.end and not text[at].isspace():
            at += 1
        while at < node.end and text[at].isspace():
            at += 1
    return at


def leaf_end(node: Node) -> int:
    """Where the node's own text ends (a block collection's end event sits at the next token)."""
    if node.kind in ("scalar", "alias") or node.flow or not node.children:
        return node.end
    return max(leaf_end(child) for child in node.children)


def line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def line_end(text: str, index: int) -> int:
    """The end of the line holding `index`, past its line break, when only blanks or a comment follow."""
    match = _LINE_TAIL.match(text, index)
    if match is None:
        raise Skip("something else follows on the same line")
    return match.end()


def resolve(tree: Tree, text: str, edit: Edit) -> list[Replace]:
    action = edit.action
    if action in ("set-scalar", "quote-scalar"):
        return [_scalar(tree, text, edit)]
    if action == "delete-entry":
        return [_delete_entry(tree, text, edit)]
    if action in ("add-items", "set-items"):
        return [_items(tree, text, edit)]
    raise Skip(f"unknown edit action {action!r}")


def _scalar(tree: Tree, text: str, edit: Edit) -> Replace:
    node = target(tree, edit, ("scalar", "key") if edit.action == "quote-scalar" else ("scalar",))
    guard(tree, node)
    if node.value != str(edit.expected):
        raise Skip(f"expected {edit.expected!r} there, found {node.value!r} (file changed?)")
    if edit.action == "quote-scalar":
        if node.style is not None:
            return Replace(node.start, node.start, "")  # already quoted: nothing to do
        return Replace(value_start(text, node), node.end, json.dumps(node.value, ensure_ascii=False))
    if node.style in ("|", ">"):
        raise Skip("a block scalar (| or >)")
    return Replace(value_start(text, node), node.end, scalar_text(str(edit.value), node.style))


def _delete_entry(tree: Tree, text: str, edit: Edit) -> Replace:
    key = target(tree, edit, ("key",))
    value = key.value_of_key()
    mapping = key.parent
    assert mapping is not None and value is not None
    if key.value != str(edit.expected):
        raise Skip(f"expected key {edit.expected!r} there, found {key.value!r} (file changed?)")
    if mapping.flow:
        raise Skip("the key is in a flow mapping ({...})")
    other = next(
        (k for k, _ in mapping.pairs() if edit.other is not None and (k.line + 1, k.column + 1) == edit.other), None
    )
    if other is None or other.value != key.value:
        raise Skip("the later duplicate key is not where the finding says (file changed?)")
    guard(tree, mapping)
    kept = other.value_of_key()
    if kept is None or kept.shape() != value.shape():
        raise Skip("the two values differ: keep the one you mean and delete the other by hand")
    start = line_start(text, key.start)
    if text[start : key.start].strip():
        raise Skip("the key does not start its line")
    return Replace(start, line_end(text, leaf_end(value)), "")


def _items(tree: Tree, text: str, edit: Edit) -> Replace:
    seq = target(tree, edit, ("seq",))
    guard(tree, seq)
    wanted = [item_text(item) for item in edit.value]
    present = {child.value: child for child in seq.children if child.kind == "scalar"}
    if edit.action == "add-items":
        kept = seq.children
        new = [
            t for item, t in zip(edit.value, wanted, strict=True) if not isinstance(item, str) or item not in present
        ]
    else:
        names = {item for item in edit.value if isinstance(item, str)}
        if any(child.kind != "scalar" for child in seq.children):
            raise Skip("the list holds more than names")
        kept = [child for child in seq.children if child.value in names]
        new = [t for item, t in zip(edit.value, wanted, strict=True) if item not in present]
    if seq.flow:
        return _flow_items(text, seq, kept, new)
    return _block_items(text, seq, kept, new)


def _flow_items(text: str, seq: Node, kept: list[Node], new: list[str]) -> Replace:
    if "\n" in text[seq.start : seq.end] or "#" in text[seq.start : seq.end]:
        raise Skip("a flow list over several lines or with comments")
    if kept == seq.children:  # only additions: insert after the last item, the rest untouched
        if not seq.children:
            return Replace(seq.start + 1, seq.end - 1, ", ".join(new))
        at = leaf_end(seq.children[-1])
        return Replace(at, at, "".join(", " + item for item in new))
    items = [text[child.start : leaf_end(child)] for child in kept] + new
    return Replace(seq.start, seq.end, "[" + ", ".join(items) + "]")


def _block_items(text: str, seq: Node, kept: list[Node], new: list[str]) -> Replace:
    children = seq.children
    starts = [line_start(text, child.start) for child in children]
    for start, child in zip(starts, children, strict=True):
        if text[start : child.start].strip() != "-":
            raise Skip("a list item that does not start its own line")
    end = line_end(text, leaf_end(children[-1]))
    first = children[0]
    prefix = text[starts[0] : first.start]
    newline = "\r\n" if text[:end].endswith("\r\n") else "\n"
    segments = [text[start : (starts[i + 1] if i + 1 < len(starts) else end)] for i, start in enumerate(starts)]
    body = "".join(segment for segment, child in zip(segments, children, strict=True) if child in kept)
    if body and not body.endswith("\n"):
        body += newline
    body += "".join(prefix + item + newline for item in new)
    if kept == children:  # only additions: insert after the last item's line
        return Replace(end, end, body[len("".join(segments)) :])
    if not body:
        raise Skip("it would empty the list")
    return Replace(starts[0], end, body)
