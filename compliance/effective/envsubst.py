"""Flux's envsubst (fluxcd/pkg/envsubst v1.8.0, a fork of drone/envsubst) as a pure function.

kustomize-controller runs it over each resource's YAML text after the kustomize build (shared notes §3).
The parser is a port of the fork's scanner, quirks included, because its error cases *are* Flux's syntax:
`${v-d}`, `${v+x}` and `${v?x}` are "missing closing brace"; `$$` is `$` everywhere; a NUL byte ends the
text (the scanner's EOF rune is 0). Go strings are bytes, so lengths, offsets and slices count UTF-8 bytes:
the result is decoded with `surrogateescape` so a slice through a character stays lossless.

Our extra: a variable may be `UNKNOWN` (nobody supplied it, e.g. `--var` was not given). A text that needs
an unknown value evaluates to an `Unresolved` string keeping the literal placeholder(s) and the names.
An unknown variable is treated as *unset* by the default operators (`${v:=web}` gives `web`), the way
Flux reads the repository as written; without a default, the result is unknown (strict mode included:
the variable may still be supplied at reconcile time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Final

from compliance.effective import _envsubst_funcs as funcs
from compliance.model.flux import invalid_name_message, valid_name
from compliance.records import record

__all__ = [
    "UNKNOWN",
    "EnvsubstError",
    "Func",
    "Node",
    "Text",
    "Unresolved",
    "evaluate",
    "parse",
    "substitute",
    "validate_names",
]


class Unresolved(str):
    """A string whose final value depends on Flux variables nobody supplied (the literal text is kept)."""

    variables: tuple[str, ...]

    def __new__(cls, text: str, variables: tuple[str, ...]) -> Unresolved:
        obj = super().__new__(cls, text)
        obj.variables = variables
        return obj


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()
"""A variable's value nobody supplied (distinct from the empty string)."""

Variables = Mapping[str, "str | _Unknown"]


class EnvsubstError(ValueError):
    """An error Flux raises; `str()` is Flux's message, `offset` the byte offset in the text (if known)."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


BAD_SUBSTITUTION = "bad substitution"
MISSING_CLOSING_BRACE = "missing closing brace"
PARSE_VARIABLE_NAME = "unable to parse variable name"
PARSE_FUNC_SUBSTITUTION = "unable to parse substitution within function"
PARSE_DEFAULT_FUNCTION = "unable to parse default function"
VAR_NOT_SET = "variable not set (strict mode)"


@record
class Text:
    value: bytes


@record
class Func:
    """`${...}`: `name` is the operator (`""` for `${v}`, `":-"`, `"#"`, `"//"` …); `source` the literal text."""

    param: str
    name: str
    args: tuple[Node, ...]
    source: bytes


Node = Text | Func


def validate_names(names: Iterable[str]) -> str | None:
    """Flux's error for the first provided variable name (in sorted order) it refuses, else None."""
    for name in sorted(names):
        if not valid_name(name):
            return invalid_name_message(name)
    return None


# --------------------------------------------------------------------------------------------------------
# The scanner (parse/scan.go), state and all: `skip` deletes a byte in place, `width` is the last read's.
# --------------------------------------------------------------------------------------------------------
_EOF = 0
_T_ILLEGAL, _T_EOF, _T_IDENT, _T_LBRACK, _T_RBRACK = range(5)
_S_IDENT, _S_LBRACK, _S_RBRACK, _S_ESCAPE = 1, 2, 4, 8
_E_DOLLAR, _E_BACKSLASH = 1, 2
_E_ALL = _E_DOLLAR | _E_BACKSLASH
Accept = Callable[[int, int], bool]


def _is_ident(r: int, i: int) -> bool:
    c = chr(r)
    return c.isalpha() or c.isdecimal() or c == "_"


def _accept_default(r: int, i: int) -> bool:
    return (i == 1 and r == 0x3A) or (i == 2 and r in (0x3D, 0x2D, 0x3F, 0x2B))  # ':' then '=-?+'


def _accept_replace(r: int, i: int) -> bool:
    return (i == 1 and r == 0x2F) or (i == 2 and r in (0x2F, 0x23, 0x25))  # '/' then '/#%'


_ACCEPT_ALL: Accept = lambda r, i: True  # noqa: E731
_NOT_CLOSING: Accept = lambda r, i: r != 0x7D  # noqa: E731
_NOT_SLASH: Accept = lambda r, i: r != 0x2F  # noqa: E731
_SLASH: Accept = lambda r, i: r == 0x2F  # noqa: E731
_COLON: Accept = lambda r, i: r == 0x3A  # noqa: E731
_ONE_COLON: Accept = lambda r, i: i == 1 and r == 0x3A  # noqa: E731
_ONE_EQUAL: Accept = lambda r, i: i == 1 and r == 0x3D  # noqa: E731
_ONE_HASH: Accept = lambda r, i: r == 0x23 and i == 1  # noqa: E731
_HASH_FUNC: Accept = lambda r, i: r == 0x23 and i < 3  # noqa: E731
_PERCENT_FUNC: Accept = lambda r, i: r == 0x25 and i < 3  # noqa: E731
_CASING: Accept = lambda r, i: r in (0x2C, 0x5E) and i < 3  # noqa: E731
_NOT_COLON_CLOSE: Accept = lambda r, i: r not in (0x3A, 0x7D)  # noqa: E731


def _next_special(buf: bytearray, pos: int) -> int:
    """The index of the next `$` or NUL byte (neither occurs inside a UTF-8 sequence), or the end."""
    dollar, nul = buf.find(b"$", pos), buf.find(b"\x00", pos)
    ends = [i for i in (dollar, nul) if i >= 0]
    return min(ends) if ends else len(buf)


class _Scanner:
    def __init__(self, buf: bytes) -> None:
        self.buf = bytearray(buf)
        self.pos = self.start = self.width = 0
        self.mode = 0
        self.escape = 0
        self.accept: Accept = _ACCEPT_ALL
        self.skipped = 0  # bytes deleted by skip(), all before pos: the original offset is pos + skipped

    def offset(self) -> int:
        return self.pos + self.skipped

    def read(self) -> int:
        if self.pos >= len(self.buf):
            self.width = 0
            return _EOF
        r, w = funcs.decode_rune(self.buf, self.pos)
        self.width = w
        self.pos += w
        return r

    def unread(self) -> None:
        self.pos -= self.width

    def skip(self) -> None:
        del self.buf[self.pos - 1]
        self.skipped += 1

    def peek(self) -> int:
        r = self.read()
        self.unread()
        return r

    def string(self) -> bytes:
        return bytes(self.buf[self.start : self.pos])

    def scan(self) -> int:
        self.start = self.pos
        r = self.read()
        if r == _EOF:
            return _T_EOF
        if self._lbrack(r):
            return _T_LBRACK
        if self.mode & _S_RBRACK and r == 0x7D:
            return _T_RBRACK
        if self._ident(r):
            return _T_IDENT
        return _T_ILLEGAL

    def _ident(self, r: int) -> bool:
        if not self.mode & _S_IDENT:
            return False
        if self._escaped(r):
            self.skip()
        elif not self.accept(r, self.pos - self.start):
            return False
        while True:
            if self.accept is _ACCEPT_ALL:  # literal text: nothing but `$` or NUL can end or edit the token
                self.pos = _next_special(self.buf, self.pos)
            r = self.read()
            if r == _EOF:
                self.unread()
                return True
            if self._lbrack(r):
                self.unread()
                self.unread()
                return True
            if self._escaped(r):
                self.skip()
                continue
            if not self.accept(r, self.pos - self.start):
                self.unread()
                return True

    def _lbrack(self, r: int) -> bool:
        if not self.mode & _S_LBRACK:
            return False
        if r == 0x24:
            if self.read() == 0x7B:
                return True
            self.unread()
        return False

    def _escaped(self, r: int) -> bool:
        if not self.mode & _S_ESCAPE:
            return False
        if r == 0x24 and self.escape & _E_DOLLAR and self.peek() == 0x24:
            return True
        return r == 0x5C and bool(self.escape & _E_BACKSLASH) and self.peek() in (0x2F, 0x5C)


# --------------------------------------------------------------------------------------------------------
# The parser (parse/parse.go)
# --------------------------------------------------------------------------------------------------------
class _Parser:
    def __init__(self, text: bytes) -> None:
        self.s = _Scanner(text)
        self.source = text  # the original bytes: a Func keeps its literal text (the scanner edits its copy)

    def fail(self, message: str) -> EnvsubstError:
        return EnvsubstError(message, self.s.offset())

    def parse_any(self) -> list[Node]:
        nodes: list[Node] = []
        s = self.s
        while True:  # parseAny's right recursion, as a loop
            s.accept = _ACCEPT_ALL
            s.mode = _S_IDENT | _S_LBRACK | _S_ESCAPE
            s.escape = _E_DOLLAR
            token = s.scan()
            if token == _T_IDENT:
                nodes.append(Text(s.string()))
            elif token == _T_EOF:
                return nodes
            elif token == _T_LBRACK:
                nodes.append(self.parse_func(s.offset() - 2))
            else:
                raise self.fail(BAD_SUBSTITUTION)

    def _func(self, start: int, param: str, name: str, args: list[Node]) -> Func:
        return Func(param, name, tuple(args), self.source[start : self.s.offset()])

    def parse_func(self, start: int) -> Func:
        s = self.s
        s.escape = _E_ALL
        if s.peek() == 0x23:  # '#'
            return self._len_func(start)
        s.accept = _is_ident
        s.mode = _S_IDENT
        if s.scan() != _T_IDENT:
            raise self.fail(PARSE_VARIABLE_NAME)
        name = s.string().decode("utf-8")
        nxt = s.peek()
        if nxt == 0x3A:  # ':'
            s.read()
            r = s.peek()
            s.unread()
            if r in (0x3D, 0x2D, 0x3F, 0x2B):
                return self._default_func(start, name)
            return self._substr_func(start, name)
        if nxt == 0x3D:  # '='
            return self._default_func(start, name)
        if nxt in (0x2C, 0x5E):  # ',' '^'
            return self._operator_only(start, name, _CASING)
        if nxt == 0x2F:  # '/'
            return self._replace_func(start, name)
        if nxt in (0x23, 0x25):  # '#' '%'
            return self._remove_func(start, name, _HASH_FUNC if nxt == 0x23 else _PERCENT_FUNC)
        s.accept = _is_ident
        s.mode = _S_RBRACK
        if s.scan() != _T_RBRACK:
            raise self.fail(MISSING_CLOSING_BRACE)
        return self._func(start, name, "", [])

    def _param(self, accept: Accept, mode: int) -> Node:
        s = self.s
        s.accept = accept
        s.mode = mode | _S_LBRACK
        token = s.scan()
        if token == _T_LBRACK:
            return self.parse_func(s.offset() - 2)
        if token in (_T_IDENT, _T_RBRACK):
            return Text(s.string())
        raise self.fail(PARSE_FUNC_SUBSTITUTION)

    def _operator(self, accept: Accept, message: str = BAD_SUBSTITUTION) -> str:
        s = self.s
        s.accept = accept
        s.mode = _S_IDENT
        if s.scan() != _T_IDENT:
            raise self.fail(message)
        return s.string().decode("utf-8")

    def _close(self) -> None:
        self.s.mode = _S_RBRACK
        if self.s.scan() != _T_RBRACK:
            raise self.fail(BAD_SUBSTITUTION)

    def _substr_func(self, start: int, name: str) -> Func:
        s = self.s
        op = self._operator(_ONE_COLON)
        args = [self._param(_NOT_COLON_CLOSE, _S_IDENT)]
        s.accept = _COLON
        s.mode = _S_IDENT | _S_RBRACK
        token = s.scan()
        if token == _T_RBRACK:
            return self._func(start, name, op, args)
        if token != _T_IDENT:
            raise self.fail(BAD_SUBSTITUTION)
        args.append(self._param(_NOT_CLOSING, _S_IDENT))
        self._close()
        return self._func(start, name, op, args)

    def _remove_func(self, start: int, name: str, accept: Accept) -> Func:
        op = self._operator(accept)
        args = [self._param(_NOT_CLOSING, _S_IDENT)]
        self._close()
        return self._func(start, name, op, args)

    def _replace_func(self, start: int, name: str) -> Func:
        s = self.s
        op = self._operator(_accept_replace)
        args = [self._param(_NOT_SLASH, _S_IDENT | _S_ESCAPE)]
        self._operator(_SLASH)  # the delimiter
        if s.peek() != 0x7D:
            args.append(self._param(_NOT_CLOSING, _S_IDENT | _S_ESCAPE))
        self._close()
        return self._func(start, name, op, args)

    def _default_func(self, start: int, name: str) -> Func:
        s = self.s
        accept = _ONE_EQUAL if s.peek() == 0x3D else _accept_default
        op = self._operator(accept, PARSE_DEFAULT_FUNCTION)
        args: list[Node] = []
        while s.peek() != 0x7D:
            args.append(self._param(_NOT_CLOSING, _S_IDENT))
        self._close()
        return self._func(start, name, op, args)

    def _operator_only(self, start: int, name: str, accept: Accept) -> Func:
        op = self._operator(accept)
        self._close()
        return self._func(start, name, op, [])

    def _len_func(self, start: int) -> Func:
        op = self._operator(_ONE_HASH)
        param = self._operator(_is_ident)
        self._close()
        return self._func(start, param, op, [])


def _to_bytes(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")


def parse(text: str | bytes) -> list[Node]:
    """The text as nodes; raises `EnvsubstError` with Flux's message (and the byte offset where it stopped)."""
    raw = _to_bytes(text)
    if b"$" not in raw and b"\x00" not in raw:  # the common case: nothing to scan
        return [Text(raw)] if raw else []
    return _Parser(raw).parse_any()


# --------------------------------------------------------------------------------------------------------
# Evaluation (template.go, funcs.go)
# --------------------------------------------------------------------------------------------------------
@record
class _Pending:
    """A piece whose value depends on unknown variables: its literal text and those names."""

    literal: bytes
    names: tuple[str, ...]


Piece = bytes | _Pending
_DEFAULT_OPS = frozenset(("-", "+", "=", "?", ":-", ":+", ":=", ":?"))


def _join(pieces: list[Piece]) -> Piece:
    if all(isinstance(p, bytes) for p in pieces):
        return b"".join(pieces)  # type: ignore[arg-type]
    literal = b"".join(p.literal if isinstance(p, _Pending) else p for p in pieces)
    names: list[str] = []
    for p in pieces:
        if isinstance(p, _Pending):
            names.extend(n for n in p.names if n not in names)
    return _Pending(literal, tuple(names))


def _eval_func(node: Func, variables: Variables, strict: bool) -> Piece:
    args = [_eval_nodes((a,), variables, strict) for a in node.args]
    value = variables.get(node.param) if node.param in variables else None
    exists = node.param in variables or not strict
    if not exists and node.name not in _DEFAULT_OPS:
        raise EnvsubstError(f'{VAR_NOT_SET}: "{node.param}"')
    if node.name in _DEFAULT_OPS or node.name == "":
        if isinstance(value, str) and value:
            return _to_bytes(value)
        if node.name == "":
            if value is UNKNOWN:
                return _Pending(node.source, (node.param,))
            return b""
        return _join(args) if args else b""  # `${v:=}`: no args, the (empty) value itself
    if value is UNKNOWN and all(isinstance(a, bytes) for a in args):
        panics = {_panic(node.name, sample, args) for sample in (b"", b"x" * 64)}  # type: ignore[arg-type]
        if len(panics) == 1 and None not in panics:  # `${u:1:<MaxInt64>}` panics whatever `u` holds
            raise EnvsubstError(str(panics.pop()))
    if value is UNKNOWN or any(isinstance(a, _Pending) for a in args):
        names: tuple[str, ...] = (node.param,) if value is UNKNOWN else ()
        for a in args:
            if isinstance(a, _Pending):
                names += tuple(n for n in a.names if n not in names)
        return _Pending(node.source, names)
    current = _to_bytes(value) if isinstance(value, str) else b""
    try:
        return funcs.apply(node.name, current, [a for a in args if isinstance(a, bytes)])
    except funcs.Panic as exc:  # `${v:1:<MaxInt64>}` overflows pos+len: Flux's controller panics there
        raise EnvsubstError(str(exc)) from None


def _panic(name: str, value: bytes, args: list[bytes]) -> str | None:
    """The panic Flux's controller hits applying `name` to `value`, if any."""
    try:
        funcs.apply(name, value, args)
    except funcs.Panic as exc:
        return str(exc)
    return None


def _eval_nodes(nodes: Iterable[Node], variables: Variables, strict: bool) -> Piece:
    pieces: list[Piece] = []
    for node in nodes:
        pieces.append(node.value if isinstance(node, Text) else _eval_func(node, variables, strict))
    return _join(pieces)


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def evaluate(nodes: Iterable[Node], variables: Variables, *, strict: bool = False) -> str:
    """The substituted text, or an `Unresolved` one (literal placeholders kept) when an unknown value is
    needed. Raises `EnvsubstError` for `variable not set (strict mode): "v"`."""
    result = _eval_nodes(nodes, variables, strict)
    if isinstance(result, _Pending):
        return Unresolved(_decode(result.literal), result.names)
    return _decode(result)


def substitute(text: str, variables: Variables, *, strict: bool = False) -> str:
    """`envsubst.Eval(text, mapper)` as kustomize-controller calls it (after the names are validated)."""
    if "$" not in text and "\x00" not in text:
        return text
    return evaluate(parse(text), variables, strict=strict)
