"""The node tree of a YAML text with each node's exact extent, from libyaml's events (the loader's parser).

The loader keeps only where a node starts; an edit needs where it ends too, its style, and what surrounds
it (anchors, merge keys, directives). Nothing is constructed: scalars stay text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import field

import yaml
from yaml._yaml import CParser

from compliance.records import record


@record(frozen=False, slots=False, eq=False)
class Node:
    kind: str  # "scalar", "map", "seq" or "alias"
    start: int  # character offsets into the text
    end: int
    line: int  # 0-based, libyaml's
    column: int
    value: str = ""  # a scalar's text; an alias's anchor name
    style: str | None = None  # a scalar's: None plain, "'", '"', "|", ">"
    flow: bool = False  # a collection in flow style
    anchor: str | None = None
    tagged: bool = False
    parent: Node | None = field(default=None, repr=False)
    children: list[Node] = field(default_factory=list, repr=False)  # a map: key, value, key, value, ...

    def ancestors(self) -> Iterator[Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def walk(self) -> Iterator[Node]:
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def pairs(self) -> list[tuple[Node, Node]]:
        return list(zip(self.children[0::2], self.children[1::2], strict=False))

    def is_key(self) -> bool:
        parent = self.parent
        return parent is not None and parent.kind == "map" and parent.children.index(self) % 2 == 0

    def value_of_key(self) -> Node | None:
        assert self.parent is not None
        index = self.parent.children.index(self)
        return self.parent.children[index + 1] if index + 1 < len(self.parent.children) else None

    def shape(self) -> object:
        """What the node means, style aside: plain scalars are resolved by their text, quoted ones are strings."""
        if self.kind == "scalar":
            return ("plain" if self.style is None else "str", self.value, self.tagged)
        if self.kind == "alias":
            return ("alias", self.value)
        return (self.kind, tuple(child.shape() for child in self.children))


@record(slots=False)
class Tree:
    documents: tuple[Node, ...]
    directives: bool  # some document has a %YAML or %TAG directive
    aliased: frozenset[str]  # anchors some alias refers to

    def nodes(self) -> Iterator[Node]:
        for document in self.documents:
            yield from document.walk()

    def at(self, line: int, column: int) -> list[Node]:
        """The nodes starting at a 1-based line and column (a mapping and its first key share one)."""
        return [node for node in self.nodes() if node.line == line - 1 and node.column == column - 1]


def parse(text: str) -> Tree:
    """The tree of every document in `text`; yaml.YAMLError when libyaml refuses it."""
    documents: list[Node] = []
    stack: list[Node] = []
    directives = False
    aliased: set[str] = set()
    parser = CParser(text)
    try:
        while True:
            event = parser.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                break
            if isinstance(event, yaml.DocumentStartEvent):
                directives = directives or bool(event.version or event.tags)
                continue
            start, end = event.start_mark, event.end_mark
            assert start is not None and end is not None  # libyaml marks every event
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                done = stack.pop()
                done.end = end.index
                if not stack:
                    documents.append(done)
                continue
            if not isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, yaml.CollectionStartEvent)):
                continue
            node = Node("", start.index, end.index, start.line, start.column, anchor=event.anchor)
            if isinstance(event, yaml.ScalarEvent):
                node.kind, node.value, node.style = "scalar", event.value, event.style or None
                node.tagged = event.tag is not None and not event.implicit[0] and not event.implicit[1]
            elif isinstance(event, yaml.AliasEvent):
                node.kind, node.value, node.anchor = "alias", event.anchor or "", None
                aliased.add(event.anchor or "")
            else:
                node.kind = "map" if isinstance(event, yaml.MappingStartEvent) else "seq"
                node.flow = bool(event.flow_style)
                node.tagged = event.tag is not None and not event.implicit
            if stack:
                node.parent = stack[-1]
                stack[-1].children.append(node)
            if node.kind in ("map", "seq"):
                stack.append(node)
            elif not stack:
                documents.append(node)
    finally:
        parser.dispose()
    return Tree(tuple(documents), directives, frozenset(aliased))
