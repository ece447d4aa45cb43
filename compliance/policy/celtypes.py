"""The static CEL type checker run when a policy loads, as Kubernetes' CEL compile step runs cel-go's checker.

Each expression is checked against the variables its policy's scope declares (`declarations`): their types
where this tool fixes them (`release.name` is a string, `index` an int, `clusters` a list of strings) and
`dyn` where the data decides (`values.a.b`, `blueprint`, `item`). `dyn` makes everything computed from it
`dyn`, and a `dyn` argument matches any overload: only what is wrong whatever the data is refused (a type
mismatch between literals or fixed fields, an unknown function or arity, an undeclared variable, an
undefined field of a fixed record, a regular expression literal that does not compile). The function
table is the engine's (`common-expression-language`, probed: `int(true)` and `string(true)` fail there
and are refused here) with the extension functions `compliance.policy.cel` registers, each called as a
method or as a function as the engine allows. A number compares with a number of another type (`1 == 1.0`
is true in the engine); `null` compares with anything.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

from compliance.policy.celparse import (
    Binary,
    Call,
    Conditional,
    Ident,
    Index,
    ListLit,
    Literal,
    MapLit,
    Node,
    Select,
    Unary,
    optional_chain,
)
from compliance.records import record as frozen_record  # `record` here is the CEL record type below


@frozen_record
class Type:
    kind: str  # dyn, null, bool, int, uint, double, string, bytes, timestamp, duration, type, list, map,
    # optional; an upper-case letter is a type parameter of an overload
    params: tuple[Type, ...] = ()
    fields: tuple[tuple[str, Type], ...] = ()  # a record: a map(string, dyn) with these known fields
    name: str = ""  # a record's name, as messages show it

    def __str__(self) -> str:
        if self.fields:
            return self.name
        if self.params:
            return f"{self.kind}({', '.join(map(str, self.params))})"
        return "null_type" if self.kind == "null" else self.kind

    def field(self, name: str) -> Type | None:
        return next((t for n, t in self.fields if n == name), None)


def parse_type(text: str) -> Type:
    """`list(A)`, `map(string, dyn)`, `int`... as a Type."""
    text = text.strip()
    if "(" not in text:
        return Type(text)
    kind, inner = text[:-1].split("(", 1)
    params, depth, start = [], 0, 0
    for at, char in enumerate(inner):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            params.append(inner[start:at])
            start = at + 1
    params.append(inner[start:])
    return Type(kind.strip(), tuple(parse_type(p) for p in params))


DYN, NULL, BOOL, INT, UINT, DOUBLE, STRING, BYTES, TYPE = map(
    Type, ("dyn", "null", "bool", "int", "uint", "double", "string", "bytes", "type")
)
NUMBERS = {"int", "uint", "double"}
ORDERED = NUMBERS | {"bool", "string", "bytes", "timestamp", "duration"}
TYPE_NAMES = {"bool", "int", "uint", "double", "string", "bytes", "list", "map", "null_type", "type", "optional_type"}
MACROS = {"all": 2, "exists": 2, "exists_one": 2, "existsOne": 2, "filter": 2, "map": 3}


def record(title: str, **fields: Type) -> Type:
    return Type("map", (STRING, DYN), tuple(fields.items()), title)


# --- the function table ------------------------------------------------------------------------------------

METHOD, GLOBAL, BOTH = "method", "function", "method or function"


@frozen_record
class Function:
    style: str  # METHOD (`x.f(y)`), GLOBAL (`f(x, y)`) or BOTH; a method's receiver is its first parameter
    overloads: tuple[tuple[tuple[Type, ...], Type], ...]
    variadic: bool = False  # any number (at least one) of arguments of any type, or one list


def _function(style: str, *signatures: str, variadic: bool = False) -> Function:
    overloads = []
    for signature in signatures:
        params, result = signature.split("->")
        inner = params.strip()[1:-1]
        overloads.append((parse_type(f"x({inner})").params if inner else (), parse_type(result)))
    return Function(style, tuple(overloads), variadic)


_GETTERS = ("getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear")
_CLOCK = ("getHours", "getMinutes", "getSeconds", "getMilliseconds")
_LIST_ONE = ("(list(A)) -> list(A)",)


@functools.cache
def functions() -> Mapping[str, Function]:
    """Every function an expression may call: CEL's standard ones the engine has, and the extension
    libraries `compliance.policy.cel` registers (strings, lists, math, sets, base64, optional)."""
    table = {
        "size": _function(BOTH, "(string) -> int", "(bytes) -> int", "(list(A)) -> int", "(map(K, V)) -> int"),
        "contains": _function(BOTH, "(string, string) -> bool", "(list(A), A) -> bool", "(map(K, V), K) -> bool"),
        "startsWith": _function(METHOD, "(string, string) -> bool"),
        "endsWith": _function(METHOD, "(string, string) -> bool"),
        "matches": _function(METHOD, "(string, string) -> bool"),
        "int": _function(GLOBAL, "(int) -> int", "(uint) -> int", "(double) -> int", "(string) -> int"),
        "uint": _function(GLOBAL, "(int) -> uint", "(uint) -> uint", "(double) -> uint", "(string) -> uint"),
        "double": _function(GLOBAL, "(int) -> double", "(uint) -> double", "(double) -> double", "(string) -> double"),
        "string": _function(
            GLOBAL, *(f"({t}) -> string" for t in ("string", "int", "uint", "double", "bytes", "timestamp", "duration"))
        ),
        "bytes": _function(GLOBAL, "(string) -> bytes", "(bytes) -> bytes"),
        "bool": _function(BOTH, "(bool) -> bool", "(string) -> bool"),
        "timestamp": _function(GLOBAL, "(string) -> timestamp", "(timestamp) -> timestamp"),
        "duration": _function(GLOBAL, "(string) -> duration", "(duration) -> duration"),
        "dyn": _function(GLOBAL, "(A) -> dyn"),
        "type": _function(GLOBAL, "(A) -> type"),
        "optional.of": _function(GLOBAL, "(A) -> optional(A)"),
        "optional.ofNonZeroValue": _function(GLOBAL, "(A) -> optional(A)"),
        "optional.none": _function(GLOBAL, "() -> optional(dyn)"),
        "hasValue": _function(METHOD, "(optional(A)) -> bool"),
        "value": _function(METHOD, "(optional(A)) -> A"),
        "orValue": _function(METHOD, "(optional(A), A) -> A"),
        "or": _function(METHOD, "(optional(A), optional(A)) -> optional(A)"),
        # strings
        "charAt": _function(BOTH, "(string, int) -> string"),
        "indexOf": _function(BOTH, "(string, string) -> int", "(string, string, int) -> int"),
        "lastIndexOf": _function(BOTH, "(string, string) -> int", "(string, string, int) -> int"),
        "substring": _function(BOTH, "(string, int) -> string", "(string, int, int) -> string"),
        "replace": _function(BOTH, "(string, string, string) -> string", "(string, string, string, int) -> string"),
        "split": _function(BOTH, "(string, string) -> list(string)", "(string, string, int) -> list(string)"),
        "join": _function(BOTH, "(list(string)) -> string", "(list(string), string) -> string"),
        "lowerAscii": _function(BOTH, "(string) -> string"),
        "upperAscii": _function(BOTH, "(string) -> string"),
        "trim": _function(BOTH, "(string) -> string"),
        "reverse": _function(BOTH, "(string) -> string", *_LIST_ONE),
        "strings.quote": _function(GLOBAL, "(string) -> string"),
        # lists
        "distinct": _function(BOTH, *_LIST_ONE),
        "sort": _function(BOTH, *_LIST_ONE),
        "flatten": _function(BOTH, "(list(A)) -> list(dyn)", "(list(A), int) -> list(dyn)"),
        "slice": _function(BOTH, "(list(A), int, int) -> list(A)"),
        "first": _function(BOTH, "(list(A)) -> optional(A)"),
        "last": _function(BOTH, "(list(A)) -> optional(A)"),
        "lists.range": _function(GLOBAL, "(int) -> list(int)"),
        "min": _function(BOTH, variadic=True),
        "max": _function(BOTH, variadic=True),
        "sum": _function(BOTH, variadic=True),
        # math, sets, base64
        "math.greatest": _function(GLOBAL, variadic=True),
        "math.least": _function(GLOBAL, variadic=True),
        "math.sqrt": _function(GLOBAL, "(int) -> double", "(uint) -> double", "(double) -> double"),
        "math.bitNot": _function(GLOBAL, "(int) -> int", "(uint) -> uint"),
        "math.bitShiftLeft": _function(GLOBAL, "(int, int) -> int", "(uint, int) -> uint"),
        "math.bitShiftRight": _function(GLOBAL, "(int, int) -> int", "(uint, int) -> uint"),
        "base64.encode": _function(GLOBAL, "(bytes) -> string"),
        "base64.decode": _function(GLOBAL, "(string) -> bytes"),
    }
    for name in ("abs", "sign"):
        table[f"math.{name}"] = _function(GLOBAL, "(int) -> int", "(uint) -> uint", "(double) -> double")
    for name in ("ceil", "floor", "round", "trunc"):
        table[f"math.{name}"] = _function(GLOBAL, "(int) -> double", "(double) -> double")
    for name in ("isNaN", "isInf", "isFinite"):
        table[f"math.{name}"] = _function(GLOBAL, "(int) -> bool", "(double) -> bool")
    for name in ("bitOr", "bitAnd", "bitXor"):
        table[f"math.{name}"] = _function(GLOBAL, "(int, int) -> int", "(uint, uint) -> uint")
    for name in ("contains", "equivalent", "intersects"):
        table[f"sets.{name}"] = _function(GLOBAL, "(list(A), list(A)) -> bool")
    for name in _GETTERS:
        table[name] = _function(METHOD, "(timestamp) -> int")
    for name in _CLOCK:
        table[name] = _function(METHOD, "(timestamp) -> int", "(duration) -> int")
    return table


NAMESPACES = {name.split(".")[0] for name in functions() if "." in name}

_ARITHMETIC = ("(int, int) -> int", "(uint, uint) -> uint", "(double, double) -> double")
_CROSS = ("int, double", "double, int", "int, uint", "uint, int", "uint, double", "double, uint")
OPERATORS = {
    "+": _function(
        GLOBAL,
        *_ARITHMETIC,
        "(string, string) -> string",
        "(bytes, bytes) -> bytes",
        "(list(A), list(A)) -> list(A)",
        "(list(A), list(B)) -> list(dyn)",  # the engine concatenates lists of different types
        "(timestamp, duration) -> timestamp",
        "(duration, duration) -> duration",
    ),
    "-": _function(
        GLOBAL,
        *_ARITHMETIC,
        "(timestamp, timestamp) -> duration",
        "(timestamp, duration) -> timestamp",
        "(duration, duration) -> duration",
    ),
    "*": _function(GLOBAL, *_ARITHMETIC),
    "/": _function(GLOBAL, *_ARITHMETIC),
    "%": _function(GLOBAL, "(int, int) -> int", "(uint, uint) -> uint"),
    "<": _function(GLOBAL, *(f"({t}, {t}) -> bool" for t in sorted(ORDERED)), *(f"({p}) -> bool" for p in _CROSS)),
    "in": _function(GLOBAL, "(A, list(A)) -> bool", "(K, map(K, V)) -> bool"),
    "&&": _function(GLOBAL, "(bool, bool) -> bool"),
    "!": _function(GLOBAL, "(bool) -> bool"),
    "-_": _function(GLOBAL, "(int) -> int", "(double) -> double"),
    "[]": _function(GLOBAL, "(list(A), int) -> A", "(list(A), uint) -> A", "(map(K, V), K) -> V"),
}
OPERATORS.update({op: OPERATORS["<"] for op in ("<=", ">", ">=")})
OPERATORS["||"] = OPERATORS["&&"]


# --- matching ----------------------------------------------------------------------------------------------


def _bind(param: Type, arg: Type, bound: dict[str, Type]) -> bool:
    """Whether `arg` can be passed as `param`, binding the type parameters in `bound`."""
    if param.kind[:1].isupper():
        known = bound.get(param.kind)
        if known is None or known == arg:
            bound[param.kind] = arg
            return True
        if comparable(known, arg):  # `dyn` on either side (or two numbers): the parameter is dyn from now on
            bound[param.kind] = known if arg.kind == "null" else arg if known.kind == "null" else DYN
            return True
        return False
    if arg.kind == "dyn" or param.kind == "dyn":
        for inner in param.params:  # what `dyn` stands for is unknown: so are the parameters it would bind
            _unbind(inner, bound)
        return True
    if param.kind != arg.kind or len(param.params) != len(arg.params):
        return False
    return all(_bind(p, a, bound) for p, a in zip(param.params, arg.params, strict=True))


def _unbind(param: Type, bound: dict[str, Type]) -> None:
    if param.kind[:1].isupper():
        bound[param.kind] = DYN
    for inner in param.params:
        _unbind(inner, bound)


def substitute(result: Type, bound: Mapping[str, Type]) -> Type:
    if result.kind[:1].isupper():
        return bound.get(result.kind, DYN)
    return Type(result.kind, tuple(substitute(p, bound) for p in result.params)) if result.params else result


def comparable(left: Type, right: Type) -> bool:
    """`left == right` can be true: same type (parameters alike), `dyn` or `null` on a side, two numbers."""
    if "dyn" in (left.kind, right.kind) or "null" in (left.kind, right.kind) or left.kind[:1].isupper():
        return True
    if left.kind in NUMBERS and right.kind in NUMBERS:
        return True
    if left.kind != right.kind or len(left.params) != len(right.params):
        return False
    return all(comparable(a, b) for a, b in zip(left.params, right.params, strict=True))


def resolve(function: Function, args: tuple[Type, ...]) -> Type | None:
    """The result type of calling `function` with `args`; None when no overload takes them. Several
    overloads matching a `dyn` argument give their common result, else `dyn`."""
    if function.variadic:
        return DYN if args else None
    results = []
    for params, result in function.overloads:
        bound: dict[str, Type] = {}
        if len(params) == len(args) and all(_bind(p, a, bound) for p, a in zip(params, args, strict=True)):
            results.append(substitute(result, bound))
    if not results:
        return None
    if all(arg.kind != "dyn" for arg in args):  # known types: the first overload that takes them
        return results[0]
    return results[0] if all(r == results[0] for r in results) else DYN


def shown(function: Function, name: str) -> str:
    """The overloads of `function` as an author writes them: `string.startsWith(string) -> bool`."""
    if function.variadic:
        return f"{name}(x, ...)"
    forms = []
    for params, result in function.overloads:
        if function.style == METHOD:
            forms.append(f"{params[0]}.{name}({', '.join(map(str, params[1:]))}) -> {result}")
        else:
            forms.append(f"{name}({', '.join(map(str, params))}) -> {result}")
    return "; ".join(forms)


class CelTypeError(Exception):
    """A type error at `at`, the offset in the expression of what it names."""

    def __init__(self, message: str, at: int) -> None:
        super().__init__(message)
        self.message, self.at = message, at


RegexCheck = Callable[[Literal], str | None]  # a regex literal's compile error, or None


def list_of(item: Type) -> Type:
    return Type("list", (item,))


# what each variable is, wherever a scope declares it (compliance.policy.document.VARIABLES)
VARIABLES = {
    "values": Type("map", (STRING, DYN)),
    "release": record("release", name=STRING, namespace=STRING, chart=STRING, version=DYN, cluster=DYN),
    "cluster": DYN,
    "blueprint": DYN,
    "chart": DYN,
    "object": Type("map", (STRING, DYN)),
    "repository": record("repository", root=STRING),
    "blueprints": list_of(DYN),
    "clusters": list_of(STRING),
    "item": DYN,
    "index": INT,
}


def _applied(args: tuple[Type, ...], method: bool) -> str:
    if method:
        return f"{args[0]}.({', '.join(map(str, args[1:]))})"
    return f"({', '.join(map(str, args))})"


class Checker:
    """Types one expression's tree against `variables`; raises CelTypeError at the first error."""

    def __init__(self, variables: Mapping[str, Type], undeclared_hint: str = "", regex: RegexCheck | None = None):
        self.variables, self.hint, self.regex = variables, undeclared_hint, regex
        self.locals: list[tuple[str, Type]] = []  # macro variables, innermost last

    def check(self, node: Node) -> Type:
        if isinstance(node, Literal):
            return Type(node.kind)
        if isinstance(node, Ident):
            return self._ident(node)
        if isinstance(node, Select):
            return self._select(node)
        if isinstance(node, Call):
            return self._call(node)
        if isinstance(node, Index):
            return self._index(node)
        if isinstance(node, Binary):
            return self._binary(node)
        if isinstance(node, Unary):
            args = (self.check(node.operand),)
            return self._resolve(OPERATORS["!" if node.op == "!" else "-_"], f"{node.op}_", args, node.at)
        if isinstance(node, Conditional):
            return self._conditional(node)
        if isinstance(node, ListLit):
            return list_of(self._join([self.check(item) for item in node.items]))
        if isinstance(node, MapLit):
            return self._map(node)
        raise CelTypeError(f"unexpected {type(node).__name__}", node.at)

    def _lookup(self, name: str) -> Type | None:
        for bound, type_ in reversed(self.locals):
            if bound == name:
                return type_
        return self.variables.get(name)

    def _ident(self, node: Ident) -> Type:
        found = self._lookup(node.name)
        if found is not None:
            return found
        if node.name in TYPE_NAMES:
            return TYPE
        raise CelTypeError(f"undeclared variable {node.name!r}{self.hint}", node.at)

    def _field(self, operand: Type, field: str, at: int) -> Type:
        if operand.kind == "dyn":
            return DYN
        if operand.fields:
            found = operand.field(field)
            if found is None:
                known = ", ".join(sorted(n for n, _ in operand.fields))
                raise CelTypeError(f"undefined field {field!r} of {operand} (it has {known})", at)
            return found
        if operand.kind == "map" and operand.params[0].kind in ("string", "dyn"):
            return operand.params[1]
        raise CelTypeError(f"type '{operand}' does not support field selection ({field!r})", at)

    def _select(self, node: Select) -> Type:
        chain = optional_chain(node)
        if chain is None:
            return self._field(self.check(node.operand), node.field, node.at)
        base, steps = chain
        found = self.check(base)
        if found.kind == "optional":
            raise CelTypeError(
                f"'.?' selects in a map, not in '{found}': write .value().?{steps[0].field}", steps[0].at
            )
        for step in steps:
            found = self._field(found, step.field, step.at)
        return Type("optional", (found,))

    def _call(self, node: Call) -> Type:
        if node.target is None and node.name == "has" and len(node.args) == 1 and isinstance(node.args[0], Select):
            self._select(node.args[0])
            return BOOL
        if node.target is not None and node.name in MACROS and node.args and isinstance(node.args[0], Ident):
            return self._macro(node)
        target = node.target
        if isinstance(target, Ident) and self._lookup(target.name) is None and target.name in NAMESPACES:
            name = f"{target.name}.{node.name}"
            function = functions().get(name)
            if function is None:
                raise CelTypeError(f"unknown function {name!r}", target.at)
            return self._apply(name, function, tuple(self.check(a) for a in node.args), False, target.at, node)
        function = functions().get(node.name)
        if function is None:
            raise CelTypeError(f"unknown function {node.name!r}", node.at)
        args = tuple(self.check(a) for a in ((target, *node.args) if target is not None else node.args))
        return self._apply(node.name, function, args, target is not None, node.at, node)

    def _apply(self, name: str, function: Function, args: tuple[Type, ...], method: bool, at: int, node: Call) -> Type:
        if method and function.style == GLOBAL:
            raise CelTypeError(f"{name!r} is a function, not a method: write {name}(...)", at)
        if not method and function.style == METHOD:
            raise CelTypeError(f"{name!r} is a method: write x.{name}(...) ({shown(function, name)})", at)
        result = resolve(function, args)
        if result is None:
            raise CelTypeError(
                f"found no matching overload for {name!r} applied to '{_applied(args, method)}' "
                f"(expects {shown(function, name)})",
                at,
            )
        if name == "matches" and self.regex is not None:
            pattern = node.args[-1]
            if isinstance(pattern, Literal) and pattern.kind == "string":
                problem = self.regex(pattern)
                if problem is not None:
                    raise CelTypeError(f"invalid regular expression {pattern.text}: {problem}", pattern.at)
        return result

    def _macro(self, node: Call) -> Type:
        name, variable = node.name, node.args[0]
        assert node.target is not None and isinstance(variable, Ident)
        arity = (2, 3) if name == "map" else (2,)
        if len(node.args) not in arity:
            shape = "(v, transform) or (v, predicate, transform)" if name == "map" else "(v, predicate)"
            raise CelTypeError(f"the {name!r} macro takes {shape}, not {len(node.args)} arguments", node.at)
        range_ = self.check(node.target)
        if range_.kind == "dyn":
            element = DYN
        elif range_.kind in ("list", "map"):
            element = range_.params[0]
        else:
            raise CelTypeError(f"the {name!r} macro needs a list or a map, not '{range_}'", node.at)
        self.locals.append((variable.name, element))
        try:
            if name == "map":
                if len(node.args) == 3:
                    self._predicate(name, node.args[1])
                return list_of(self.check(node.args[-1]))
            self._predicate(name, node.args[1])
            return list_of(element) if name == "filter" else BOOL
        finally:
            self.locals.pop()

    def _predicate(self, name: str, node: Node) -> None:
        found = self.check(node)
        if found.kind not in ("bool", "dyn"):
            raise CelTypeError(f"the predicate of {name!r} must be bool, not '{found}'", node.at)

    def _index(self, node: Index) -> Type:
        operand, index = self.check(node.operand), self.check(node.index)
        if operand.fields and isinstance(node.index, Literal) and isinstance(node.index.value, str):
            return self._field(operand, node.index.value, node.index.at)
        if operand.kind == "dyn":
            return DYN
        return self._resolve(OPERATORS["[]"], "_[_]", (operand, index), node.at)

    def _binary(self, node: Binary) -> Type:
        left, right = self.check(node.left), self.check(node.right)
        if node.op in ("==", "!="):
            if not comparable(left, right):
                raise CelTypeError(
                    f"found no matching overload for '_{node.op}_' applied to '({left}, {right})'", node.at
                )
            return BOOL
        return self._resolve(OPERATORS[node.op], f"_{node.op}_", (left, right), node.at)

    def _resolve(self, function: Function, name: str, args: tuple[Type, ...], at: int) -> Type:
        result = resolve(function, args)
        if result is None:
            raise CelTypeError(f"found no matching overload for '{name}' applied to '{_applied(args, False)}'", at)
        return result

    def _conditional(self, node: Conditional) -> Type:
        condition = self.check(node.condition)
        then, otherwise = self.check(node.then), self.check(node.otherwise)
        if condition.kind not in ("bool", "dyn"):
            applied = f"({condition}, {then}, {otherwise})"
            raise CelTypeError(f"found no matching overload for '_?_:_' applied to '{applied}'", node.at)
        return then if then == otherwise else DYN

    def _map(self, node: MapLit) -> Type:
        keys = []
        for key, _ in node.entries:
            found = self.check(key)
            if found.kind not in ("int", "uint", "bool", "string", "dyn"):
                raise CelTypeError(f"a map key must be int, uint, bool or string, not '{found}'", key.at)
            keys.append(found)
        values = [self.check(value) for _, value in node.entries]
        return Type("map", (self._join(keys), self._join(values)))

    @staticmethod
    def _join(types: list[Type]) -> Type:
        return types[0] if types and all(t == types[0] for t in types) else DYN


def check(node: Node, names: tuple[str, ...], undeclared_hint: str = "", regex: RegexCheck | None = None) -> Type:
    """The type of `node` with the variables `names` declared; CelTypeError at its first type error."""
    return Checker({name: VARIABLES.get(name, DYN) for name in names}, undeclared_hint, regex).check(node)
