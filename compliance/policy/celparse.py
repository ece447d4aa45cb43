"""A CEL parser for the static checker (`compliance.policy.celtypes`): the expression as a tree whose every
node keeps its offset in the source, so a type error names its line and column in the policy file.

The engine (`common-expression-language`) parses and evaluates, but exposes no syntax tree and no checker;
it parses every expression first, so this parser only sees text the engine accepted. The grammar is CEL's
(github.com/google/cel-spec, doc/langdef.md): a conditional over the binary operators (precedence
climbing), unary `! -`, members (`.f`, `.?f`, `.f(...)`, `[i]`), and primaries (identifiers, calls,
parentheses, list and map literals, literals). What the engine accepts and this parser does not (message construction
`T{f: v}`) raises `Unsupported`: the expression is then not type-checked, never refused for it.

The engine's parser refuses Kubernetes CEL's optional field selection `a.?f`; this one reads it, and
`engine_source` writes the expression back without it (`optional_chain`), for the engine to compile.
"""

from __future__ import annotations

import re

from compliance.records import record

MAX_DEPTH = 200  # the engine's own recursion limit is lower; this one only keeps Python's stack bounded


class Unsupported(Exception):
    """Text this parser does not model (the engine accepted it: it is evaluated, not type-checked)."""


@record
class Node:
    at: int  # offset in the source of what an error about this node points at


@record
class Literal(Node):
    kind: str  # bool, int, uint, double, string, bytes, null
    text: str  # as written (a string literal with its quotes)
    value: object = None  # a string literal's value when it has no escape; else None


@record
class Ident(Node):
    name: str


@record
class Select(Node):  # `at`: the field name
    operand: Node
    field: str
    optional: bool = False  # `operand.?field` (Kubernetes CEL's optional field selection)


@record
class Call(Node):  # `at`: the function name (a namespaced one: its namespace)
    name: str
    target: Node | None  # the receiver of a method call `target.name(args)`
    args: tuple[Node, ...]


@record
class Index(Node):  # `at`: the `[`
    operand: Node
    index: Node


@record
class ListLit(Node):
    items: tuple[Node, ...]


@record
class MapLit(Node):
    entries: tuple[tuple[Node, Node], ...]


@record
class Unary(Node):  # `at`: the operator
    op: str
    operand: Node


@record
class Binary(Node):  # `at`: the operator
    op: str
    left: Node
    right: Node


@record
class Conditional(Node):  # `at`: the `?`
    condition: Node
    then: Node
    otherwise: Node


@record
class Token:
    kind: str  # int, uint, double, string, bytes, ident, op, end
    text: str
    at: int


_TOKEN = re.compile(
    r"""(?P<space>\s+|//[^\n]*)
    |(?P<string>[rRbB]{0,2}(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"(?:[^"\\\n]|\\[\s\S])*"|'(?:[^'\\\n]|\\[\s\S])*'))
    |(?P<double>(?:\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\.\d+(?:[eE][+-]?\d+)?))
    |(?P<uint>(?:0[xX][0-9a-fA-F]+|\d+)[uU])
    |(?P<int>0[xX][0-9a-fA-F]+|\d+)
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>\|\||&&|==|!=|<=|>=|\.\?|[-+*/%!<>?:.,()\[\]{}])""",
    re.VERBOSE,
)


def tokens(source: str) -> list[Token]:
    found: list[Token] = []
    at = 0
    while at < len(source):
        match = _TOKEN.match(source, at)
        if match is None:
            raise Unsupported(f"unexpected character {source[at]!r}")
        kind = match.lastgroup or "op"
        text = match.group(kind)
        if kind == "string" and "b" in text[: len(text) - len(text.lstrip("rRbB"))].lower():
            kind = "bytes"
        if kind != "space":
            found.append(Token(kind, text, at))
        at = match.end()
    found.append(Token("end", "", len(source)))
    return found


def _string_value(text: str) -> str | None:
    body = text.lstrip("rRbB")
    raw = "r" in text[: len(text) - len(body)].lower()
    body = body[3:-3] if body[:3] in ('"""', "'''") else body[1:-1]
    return body if raw or "\\" not in body else None


_RELATIONS = {"<", "<=", ">", ">=", "==", "!=", "in"}
_PRECEDENCE = {"||": 1, "&&": 2, **dict.fromkeys(_RELATIONS, 3), "+": 4, "-": 4, "*": 5, "/": 5, "%": 5}
_KEYWORDS = {"true": "bool", "false": "bool", "null": "null"}


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = tokens(source)
        self.at = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def take(self, text: str | None = None) -> Token:
        token = self.token
        if text is not None and token.text != text:
            raise Unsupported(f"expected {text!r} at {token.at}, found {token.text!r}")
        self.at += 1
        return token

    def accept(self, *texts: str) -> Token | None:
        if self.token.kind in ("op", "ident") and self.token.text in texts:
            return self.take()
        return None

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unsupported("expression nested too deeply")
        condition = self.binary()
        question = self.accept("?")
        if question is not None:
            then = self.binary()
            self.take(":")
            condition = Conditional(question.at, condition, then, self.expression())
        self.depth -= 1
        return condition

    def binary(self, minimum: int = 1) -> Node:
        """Precedence climbing over the binary operators (all left-associative)."""
        left = self.unary()
        while True:
            token = self.token
            level = _PRECEDENCE.get(token.text, 0) if token.kind in ("op", "ident") else 0
            if level < minimum:
                return left
            self.take()
            left = Binary(token.at, token.text, left, self.binary(level + 1))

    def unary(self) -> Node:
        operator = self.accept("!", "-")
        if operator is None:
            return self.member(self.primary())
        operand = self.unary()
        if operator.text == "-" and isinstance(operand, Literal) and operand.kind in ("int", "double"):
            return Literal(operator.at, operand.kind, "-" + operand.text)
        return Unary(operator.at, operator.text, operand)

    def member(self, node: Node) -> Node:
        while True:
            optional = self.accept(".?")
            if optional is not None:
                name = self.take()
                if name.kind != "ident":
                    raise Unsupported(f"expected a field name at {name.at}")
                node = Select(name.at, node, name.text, optional=True)
            elif self.accept("."):
                name = self.take()
                if name.kind != "ident":
                    raise Unsupported(f"expected a field name at {name.at}")
                if self.accept("("):
                    node = Call(name.at, name.text, node, self.arguments(")"))
                else:
                    node = Select(name.at, node, name.text)
            elif self.token.text == "[":
                bracket = self.take()
                if self.token.text == "?":
                    raise Unsupported("optional index")
                node = Index(bracket.at, node, self.expression())
                self.take("]")
            elif self.token.text == "{":
                raise Unsupported("message construction")
            else:
                return node

    def arguments(self, closing: str) -> tuple[Node, ...]:
        found: list[Node] = []
        while not self.accept(closing):
            found.append(self.expression())
            if not self.accept(","):
                self.take(closing)
                break
        return tuple(found)

    def primary(self) -> Node:
        token = self.take()
        if token.kind in ("int", "uint", "double"):
            return Literal(token.at, token.kind, token.text)
        if token.kind in ("string", "bytes"):
            return Literal(token.at, token.kind, token.text, _string_value(token.text))
        if token.kind == "ident":
            if token.text in _KEYWORDS:
                return Literal(token.at, _KEYWORDS[token.text], token.text)
            if self.accept("("):
                return Call(token.at, token.text, None, self.arguments(")"))
            return Ident(token.at, token.text)
        if token.text == ".":  # a name from the root container: `.values`
            return self.primary()
        if token.text == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if token.text == "[":
            return ListLit(token.at, self.arguments("]"))
        if token.text == "{":
            return MapLit(token.at, self.entries())
        raise Unsupported(f"unexpected {token.text!r} at {token.at}")

    def entries(self) -> tuple[tuple[Node, Node], ...]:
        found: list[tuple[Node, Node]] = []
        while not self.accept("}"):
            if self.token.text == "?":
                raise Unsupported("optional map entry")
            key = self.expression()
            self.take(":")
            found.append((key, self.expression()))
            if not self.accept(","):
                self.take("}")
                break
        return tuple(found)


def parse(source: str) -> Node:
    """The tree of `source` (a CEL expression the engine accepted); `Unsupported` for what it does not model."""
    parser = _Parser(source)
    try:
        node = parser.expression()
    except RecursionError:
        raise Unsupported("expression nested too deeply") from None
    if parser.token.kind != "end":
        raise Unsupported(f"unexpected {parser.token.text!r} at {parser.token.at}")
    return node


def line_column(source: str, offset: int) -> tuple[int, int]:
    """1-based line and column of `offset` in `source`."""
    line = source.count("\n", 0, offset) + 1
    return line, offset - (source.rfind("\n", 0, offset) + 1) + 1


# --- optional field selection, written for the engine ---------------------------------------------------


def optional_chain(node: Node) -> tuple[Node, tuple[Select, ...]] | None:
    """For `base.?f1.f2.?f3`: its base and the selections from the first `.?` on; else None. After a `.?`,
    each selection is optional too: an absent field gives `optional.none()` (cel-spec optionals)."""
    steps: list[Select] = []
    while isinstance(node, Select):
        steps.append(node)
        node = node.operand
    steps.reverse()
    first = next((i for i, step in enumerate(steps) if step.optional), None)
    if first is None:
        return None
    return steps[first].operand, tuple(steps[first:])


_ATOMS = (Ident, Select, Call, Index, ListLit, MapLit)


def engine_source(node: Node) -> str:
    """`node` as CEL the engine compiles: `base.?a.b` becomes
    `(has(base.a) && has(base.a.b)) ? optional.of(base.a.b) : optional.none()`; all else as written."""
    chain = optional_chain(node)
    if chain is not None:
        path = _path(*chain)
        return f"({_present(*chain)} ? optional.of({path}) : optional.none())"
    if isinstance(node, Literal):
        return node.text
    if isinstance(node, Ident):
        return node.name
    if isinstance(node, Select):
        return f"{_operand(node.operand)}.{node.field}"
    if isinstance(node, Call):
        if node.name == "has" and node.target is None and len(node.args) == 1:
            inner = optional_chain(node.args[0])
            if inner is not None:
                return f"({_present(*inner)})"
        args = ", ".join(engine_source(a) for a in node.args)
        return f"{_operand(node.target)}.{node.name}({args})" if node.target is not None else f"{node.name}({args})"
    if isinstance(node, Index):
        return f"{_operand(node.operand)}[{engine_source(node.index)}]"
    if isinstance(node, ListLit):
        return f"[{', '.join(engine_source(item) for item in node.items)}]"
    if isinstance(node, MapLit):
        return "{" + ", ".join(f"{engine_source(k)}: {engine_source(v)}" for k, v in node.entries) + "}"
    if isinstance(node, Unary):
        return f"{node.op}({engine_source(node.operand)})"
    if isinstance(node, Binary):
        return f"({engine_source(node.left)} {node.op} {engine_source(node.right)})"
    assert isinstance(node, Conditional)
    return f"({engine_source(node.condition)} ? {engine_source(node.then)} : {engine_source(node.otherwise)})"


def _operand(node: Node) -> str:
    text = engine_source(node)
    return text if isinstance(node, _ATOMS) and optional_chain(node) is None else f"({text})"


def _path(base: Node, steps: tuple[Select, ...]) -> str:
    return ".".join((_operand(base), *(step.field for step in steps)))


def _present(base: Node, steps: tuple[Select, ...]) -> str:
    return " && ".join(f"has({_path(base, steps[: n + 1])})" for n in range(len(steps)))
