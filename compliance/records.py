"""`@record`: the package's dataclasses, made at a fraction of the stdlib's class-creation cost.

Why: start-up. `@dataclasses.dataclass(frozen=True, slots=True)` writes six methods as source text and
`exec`s each (`__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__`, `__delattr__`), ~0.8 ms a
class; with a hundred classes imported by a plain `compliance lint`, that was a third of a small
repository's run. Here the stdlib still does the field bookkeeping (`dataclasses.dataclass(...,
init=False, repr=False, eq=False)`), so `fields`, `replace`, `asdict`, `is_dataclass` and
`__match_args__` are the stdlib's own; only `__init__` is compiled, once per shape (classes assigning the
same number of fields the same way share its code, renamed), and the other methods are closures over an
`operator.attrgetter` of the fields they use.

Guaranteed equal to the stdlib class made from the same body with the same `frozen`/`slots`/`eq`
(`tests/test_records.py` checks every class in the package): `__init__`'s signature and behaviour
(defaults, `default_factory`, `init=False` fields, `__post_init__`, keyword-only fields), `fields()`,
`__dataclass_params__`, `__doc__`, `repr` (`field(repr=False)`, recursion shown as `...`), `==` and
`hash` (`field(compare=False)`, `field(hash=...)`; a mutable class with `eq` is unhashable), frozen
assignment and deletion raising `dataclasses.FrozenInstanceError`, `__slots__` without `__dict__`,
pickling, the stdlib's refusals (a field without default after one with, a frozen class deriving from a
mutable one and the reverse, a frozen class defining `__setattr__`), and a method the class body defines
itself never being replaced. One deliberate difference: assigning or deleting an attribute that is not a
field of a frozen slotted instance raises `FrozenInstanceError` here, where Python 3.11's stdlib raises a
`TypeError` from `super()` (its methods close over the class it replaced to add the slots).
Not supported (a `TypeError` at class creation, never a different class): `InitVar` pseudo-fields, a field
named like the generated code's own names (`_HAS_DEFAULT_FACTORY`, `_dflt0`...), and the decorator options
no class here uses (`order`, `unsafe_hash`, `init=False`, `repr=False`, `weakref_slot`).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import operator
import sys
from _thread import get_ident
from collections.abc import Callable, Iterable
from types import CellType, CodeType, FunctionType
from typing import Any, TypeVar, cast, overload

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # only type checkers read it

    def dataclass_transform(**_: Any) -> Callable[[Any], Any]:
        return lambda decorated: decorated


__all__ = ["record"]

_Class = TypeVar("_Class", bound=type)
_MISSING = dataclasses.MISSING
# The stdlib's marker for "call the default_factory" (shown as `<factory>` in signatures): `__init__`'s
# signature is only equal to the stdlib's with this very object as the default.
_FACTORY = dataclasses._HAS_DEFAULT_FACTORY  # type: ignore[attr-defined]
_INITVAR = dataclasses._FIELD_INITVAR  # type: ignore[attr-defined]
_PLACEHOLDER_DOC = "\0"  # stops the stdlib computing a docstring from the not yet written __init__


@overload
def record(cls: _Class, /) -> _Class: ...
@overload
def record(*, frozen: bool = True, slots: bool = True, eq: bool = True) -> Callable[[_Class], _Class]: ...
@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def record(
    cls: _Class | None = None, /, *, frozen: bool = True, slots: bool = True, eq: bool = True
) -> _Class | Callable[[_Class], _Class]:
    """`@dataclasses.dataclass(frozen=frozen, slots=slots, eq=eq)`, made cheaply (module docstring).

    Bare `@record` is `frozen=True, slots=True`: the model's default. Mutable state is
    `@record(frozen=False, slots=False)`, spelled out."""

    def wrap(cls: _Class) -> _Class:
        return _make(cls, frozen=frozen, slots=slots, eq=eq)

    return wrap if cls is None else wrap(cls)


def _make(cls: _Class, *, frozen: bool, slots: bool, eq: bool) -> _Class:
    own = cls.__dict__
    class_hash = own.get("__hash__", _MISSING)
    explicit_hash = not (class_hash is _MISSING or (class_hash is None and "__eq__" in own))
    documented = bool(own.get("__doc__"))
    if not documented:
        cls.__doc__ = _PLACEHOLDER_DOC
    # With a dataclass base the stdlib is told the true `frozen`, for its checks (no frozen class from a
    # mutable one, nor the reverse), and writes its two frozen methods; without one there is nothing to check.
    inherits = any(hasattr(base, "__dataclass_fields__") for base in cls.__mro__[1:])
    stdlib_frozen = frozen and inherits
    made: Any = dataclasses.dataclass(cls, init=False, repr=False, eq=False, frozen=stdlib_frozen, slots=slots)
    params = made.__dataclass_params__
    params.init, params.repr, params.eq, params.frozen = True, True, eq, frozen

    all_fields = made.__dataclass_fields__
    if any(f._field_type is _INITVAR for f in all_fields.values()):
        raise TypeError(f"{made.__qualname__}: @record does not support InitVar; use dataclasses.dataclass")
    fields = dataclasses.fields(made)
    own_init = _set(made, "__init__", _init(made, fields, frozen=frozen, slots=slots))
    _set(made, "__repr__", _repr([f.name for f in fields if f.repr]))
    if eq:
        _set(made, "__eq__", _eq(_key([f.name for f in fields if f.compare])))
    if frozen:
        names = tuple(f.name for f in fields)
        for method in (_frozen_setattr(made, names), _frozen_delattr(made, names)):
            if stdlib_frozen:  # the stdlib made them for its inheritance checks; ours, as on every record
                setattr(made, method.__name__, _named(made, method))
            elif _set(made, method.__name__, method):
                raise TypeError(f"Cannot overwrite attribute {method.__name__} in class {made.__name__}")
        if slots and not stdlib_frozen:  # unpickling cannot assign to a frozen slot: the stdlib's state protocol
            _set(made, "__getstate__", _getstate, rename=False)
            _set(made, "__setstate__", _setstate, rename=False)
    if eq and not explicit_hash:  # the stdlib's table: frozen and compared is hashable, mutable is not
        if frozen:
            hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
            made.__hash__ = _named(made, _hash(_key(hashed)))
        else:
            made.__hash__ = None
    if not documented:
        made.__doc__ = _doc(made, fields, own_init=own_init)
    return cast(_Class, made)


def _set(cls: type, name: str, value: Any, *, rename: bool = True) -> bool:
    """The stdlib's rule: a method the class body defines wins. True when it did."""
    if name in cls.__dict__:
        return True
    setattr(cls, name, _named(cls, value) if rename else value)
    return False


def _named(cls: type, method: Any) -> Any:
    method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
    return method


def _init(cls: type, fields: Iterable[dataclasses.Field[Any]], *, frozen: bool, slots: bool) -> Any:
    """`__init__` as the stdlib writes it: the same parameters, defaults, annotations, body and globals.

    Its code comes from a template shared by every class of the same shape (how many parameters, which
    fields are assigned and how), with the placeholder names renamed to this class's fields: one compile
    per shape, not per class."""
    fields = list(fields)
    self_name = "__dataclass_self__" if "self" in {f.name for f in fields} else "self"
    positional = [f for f in fields if f.init and not f.kw_only]
    keyword = [f for f in fields if f.init and f.kw_only]
    seen_default = False
    for f in positional:
        if not (f.default is _MISSING and f.default_factory is _MISSING):
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
    parameters = [*positional, *keyword]
    index = {f.name: number for number, f in enumerate(parameters)}
    steps: list[tuple[str, int]] = []  # per assigned field: how, and from which parameter
    cells: dict[str, Any] = {"__dataclass_builtins_object__": object, "_HAS_DEFAULT_FACTORY": _FACTORY}
    names: dict[str, str] = {f"_p{number}": f.name for number, f in enumerate(parameters)}
    for f in fields:
        if f.default_factory is not _MISSING:
            how = "factory_or_argument" if f.init else "factory"
            cells[f"_dflt{len(steps)}"] = f.default_factory
        elif f.init:
            how = "argument"
        elif slots and f.default is not _MISSING:  # a slot has no class attribute to fall back on
            how = "default"
            cells[f"_dflt{len(steps)}"] = f.default
        else:
            continue
        names[f"_a{len(steps)}"] = f.name
        steps.append((how, index.get(f.name, -1)))
    if not cells.keys().isdisjoint(names.values()):
        raise TypeError(f"{cls.__qualname__}: a field is named like one of @record's own names")
    post_init = hasattr(cls, "__post_init__")
    template = _template(self_name, len(positional), len(keyword), tuple(steps), frozen=frozen, post_init=post_init)
    code = template.replace(
        co_varnames=tuple(names.get(name, name) for name in template.co_varnames),
        co_names=tuple(names.get(name, name) for name in template.co_names),
        co_consts=tuple(names.get(c, c) if type(c) is str else c for c in template.co_consts),
    )
    module = sys.modules.get(cls.__module__)
    closure = tuple(CellType(cells[name]) for name in code.co_freevars) or None
    defaults = tuple(_FACTORY if f.default is _MISSING else f.default for f in positional if _has_default(f))
    function = FunctionType(code, module.__dict__ if module is not None else {}, None, defaults or None, closure)
    keyword_defaults = {f.name: _FACTORY if f.default is _MISSING else f.default for f in keyword if _has_default(f)}
    function.__kwdefaults__ = keyword_defaults or None
    function.__annotations__ = {**{f.name: f.type for f in parameters}, "return": None}
    return function


def _has_default(f: dataclasses.Field[Any]) -> bool:
    return f.default is not _MISSING or f.default_factory is not _MISSING


@functools.cache  # a handful of shapes: most classes are a few fields assigned from their parameters
def _template(
    self_name: str, positional: int, keyword: int, steps: tuple[tuple[str, int], ...], *, frozen: bool, post_init: bool
) -> CodeType:
    """The code of an `__init__` whose parameters are `_p0`, `_p1`..., assigning the fields `_a0`, `_a1`...
    the way the stdlib's generated text does (`dataclasses._field_init`)."""
    parameters = [self_name, *(f"_p{n}" for n in range(positional))]
    if keyword:
        parameters += ["*", *(f"_p{n}" for n in range(positional, positional + keyword))]
    body = []
    for step, (how, parameter) in enumerate(steps):
        value = {
            "argument": f"_p{parameter}",
            "factory_or_argument": f"_dflt{step}() if _p{parameter} is _HAS_DEFAULT_FACTORY else _p{parameter}",
            "factory": f"_dflt{step}()",
            "default": f"_dflt{step}",
        }[how]
        if frozen:
            body.append(f"__dataclass_builtins_object__.__setattr__({self_name},'_a{step}',{value})")
        else:
            body.append(f"{self_name}._a{step}={value}")
    if post_init:
        body.append(f"{self_name}.__post_init__()")
    free = ["__dataclass_builtins_object__", "_HAS_DEFAULT_FACTORY", *(f"_dflt{n}" for n in range(len(steps)))]
    lines = "\n".join(f"  {line}" for line in body or ["pass"])
    text = f"def __create_fn__({', '.join(free)}):\n def __init__({','.join(parameters)}):\n{lines}\n return __init__"
    module = compile(text, "<string>", "exec", dont_inherit=True)  # not under this module's `annotations` future
    return _code_named("__init__", _code_named("__create_fn__", module))


def _code_named(name: str, parent: CodeType) -> CodeType:
    return next(c for c in parent.co_consts if isinstance(c, CodeType) and c.co_name == name)


def _key(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of `names`' values, as the stdlib's `(self.a,self.b,)` (a 1-tuple too: `==` on tuples
    compares identical items as equal, NaN included, which a bare value would not)."""
    if len(names) > 1:
        return operator.attrgetter(*names)
    if names:
        get = operator.attrgetter(names[0])
        return lambda instance: (get(instance),)
    return lambda instance: ()


def _repr(names: list[str]) -> Callable[[Any], str]:
    key = _key(names)
    prefixes = [f"{name}=" for name in names]
    running: set[tuple[int, int]] = set()

    def __repr__(self: Any) -> str:
        guard = id(self), get_ident()
        if guard in running:  # a record that contains itself: the stdlib's `...`
            return "..."
        running.add(guard)
        try:
            shown = ", ".join([prefix + repr(value) for prefix, value in zip(prefixes, key(self), strict=True)])
            return f"{self.__class__.__qualname__}({shown})"
        finally:
            running.discard(guard)

    return __repr__


def _eq(key: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    return __eq__


def _hash(key: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(key(self))

    return __hash__


def _frozen_setattr(cls: Any, names: tuple[str, ...]) -> Callable[[Any, str, Any], None]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    return __setattr__


def _frozen_delattr(cls: Any, names: tuple[str, ...]) -> Callable[[Any, str], None]:
    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __delattr__


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, f.name) for f in dataclasses.fields(self)]


def _setstate(self: Any, state: list[Any]) -> None:
    for f, value in zip(dataclasses.fields(self), state, strict=False):  # as the stdlib
        object.__setattr__(self, f.name, value)  # the class is frozen


def _doc(cls: type, fields: Iterable[dataclasses.Field[Any]], *, own_init: bool) -> str:
    """The stdlib's docstring for an undocumented class, `Name(a: 'int', b: 'str' = '')`, written without
    building an `inspect.Signature` (most of the cost of a small class) when `__init__` is ours."""
    if own_init or type(cls) is not type or any("__new__" in base.__dict__ for base in cls.__mro__[:-1]):
        try:
            return cls.__name__ + str(inspect.signature(cls)).replace(" -> None", "")
        except (TypeError, ValueError):
            return cls.__name__
    parts: list[str] = []
    for f in fields:
        if not f.init:
            continue
        if f.kw_only and "*" not in parts:
            parts.append("*")
        part = f"{f.name}: {inspect.formatannotation(f.type)}"
        if f.default is not _MISSING:
            part += f" = {f.default!r}"
        elif f.default_factory is not _MISSING:
            part += f" = {_FACTORY!r}"
        parts.append(part)
    return f"{cls.__name__}({', '.join(parts)})".replace(" -> None", "")
