"""Each `@record` class beside its stdlib twin: `dataclasses.dataclass` applied to the same class body.

`python -m tests.records_twin` watches `compliance.records` before anything else of the package is
imported, copies every class body the moment it reaches `@record` (before the decorator changes it),
makes the stdlib twin from the copy with the same `frozen`/`slots`/`eq`, imports every module of
`compliance` and `compliance_rules`, compares each pair (`differences`) and prints JSON: the classes
compared, the differences, and any dataclass of the package not made by `@record`. A process of its own,
because the package's classes are made once, at import: tests/test_records.py runs it.

`differences(record_class, stdlib_class)` is also what the tests call on class bodies of their own.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import importlib
import inspect
import json
import pathlib
import pickle
import pkgutil
import sys
from collections.abc import Callable
from typing import Any

PACKAGES = ("compliance", "compliance_rules")


class Token:
    """An argument no code path special-cases: equal, hashed and shown by its number; picklable."""

    def __init__(self, number: int) -> None:
        self.number = number

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Token) and other.number == self.number

    def __hash__(self) -> int:
        return hash(("Token", self.number))

    def __repr__(self) -> str:
        return f"Token({self.number})"


def _outcome(action: Callable[[], Any]) -> tuple[Any, ...]:
    """What `action` returned, or which exception it raised with which message."""
    try:
        return ("returned", action())
    except Exception as error:
        return ("raised", type(error).__name__, str(error))


def _value(annotation: Any, seed: int, module: str) -> Any:
    """A value of the annotated type where the type is a simple one (seed 0 and 1 differ), else a Token."""
    resolved: Any = annotation
    if isinstance(annotation, str):
        text = annotation.split("|")[0].strip()  # `X | None`: an X
        try:
            resolved = eval(text, vars(sys.modules[module]))  # the package's own annotations, nothing else
        except Exception:
            resolved = text
    if isinstance(resolved, str):
        head = resolved.split("[")[0]
    else:  # `tuple[str, ...]`: tuple
        head = getattr(getattr(resolved, "__origin__", None) or resolved, "__name__", "")
    if isinstance(resolved, type) and issubclass(resolved, __import__("enum").Enum):
        return list(resolved)[seed % len(resolved)]
    simple: dict[str, Callable[[], Any]] = {
        "str": lambda: f"value{seed}",
        "int": lambda: seed + 1,
        "float": lambda: seed + 0.5,
        "bool": lambda: bool(seed),
        "bytes": lambda: b"%d" % seed,
        "Path": lambda: pathlib.Path(f"path{seed}"),
        "date": lambda: datetime.date(2026, 1, 1 + seed),
        "tuple": lambda: () if seed == 0 else (Token(seed),),
        "Sequence": lambda: () if seed == 0 else (Token(seed),),
        "frozenset": lambda: frozenset() if seed == 0 else frozenset({Token(seed)}),
        "set": lambda: set() if seed == 0 else {Token(seed)},
        "list": lambda: [] if seed == 0 else [Token(seed)],
        "dict": lambda: {} if seed == 0 else {Token(seed): Token(seed)},
        "Mapping": lambda: {} if seed == 0 else {Token(seed): Token(seed)},
        "Counter": lambda: (
            __import__("collections").Counter() if seed == 0 else __import__("collections").Counter(a=seed)
        ),
    }
    return simple[head]() if head in simple else Token(seed)


def _fields(cls: type) -> list[tuple[Any, ...]]:
    return [
        (f.name, f.type, f.default, f.default_factory, f.init, f.repr, f.hash, f.compare, f.metadata, f.kw_only)
        for f in dataclasses.fields(cls)
    ]


def _hash_kind(cls: type) -> str:
    if cls.__hash__ is None:  # type: ignore[comparison-overlap]
        return "unhashable"
    return "identity" if cls.__hash__ is object.__hash__ else "fields"


def differences(record_class: type, stdlib_class: type, *, pickling: bool = True) -> list[str]:
    """Every way `record_class` behaves unlike `stdlib_class` (same body, same options); [] when none.
    `pickling=False` for a class pickle cannot find by name (one defined in a function)."""
    name = f"{record_class.__module__}.{record_class.__qualname__}"
    found: list[str] = []

    def same(what: str, ours: Any, theirs: Any) -> None:
        if ours != theirs:
            found.append(f"{name}: {what}: @record {ours!r} != stdlib {theirs!r}")

    same(
        "__init__ signature",
        str(inspect.signature(record_class.__init__)),
        str(inspect.signature(stdlib_class.__init__)),
    )
    same(
        "__init__ signature object",
        inspect.signature(record_class.__init__) == inspect.signature(stdlib_class.__init__),
        True,
    )
    same("fields", _fields(record_class), _fields(stdlib_class))
    same("__dataclass_params__", repr(record_class.__dataclass_params__), repr(stdlib_class.__dataclass_params__))  # type: ignore[attr-defined]
    same("__match_args__", getattr(record_class, "__match_args__", None), getattr(stdlib_class, "__match_args__", None))
    same("__doc__", record_class.__doc__, stdlib_class.__doc__)
    same("__slots__", record_class.__dict__.get("__slots__"), stdlib_class.__dict__.get("__slots__"))
    same("hash kind", _hash_kind(record_class), _hash_kind(stdlib_class))
    module = record_class.__module__
    init = [f for f in dataclasses.fields(record_class) if f.init]
    required = {
        f.name: _value(f.type, 0, module) for f in init if f.default is f.default_factory is dataclasses.MISSING
    }
    built = _outcome(lambda: (record_class(**required), stdlib_class(**required)))
    if built[0] != "returned":
        found.append(f"{name}: no instance from {required!r}: {built!r}")
        return found
    ours, theirs = built[1]
    same("repr", _outcome(lambda: repr(ours)), _outcome(lambda: repr(theirs)))
    same("has __dict__", hasattr(ours, "__dict__"), hasattr(theirs, "__dict__"))
    same("== an equal instance", ours == record_class(**required), theirs == stdlib_class(**required))
    same("== another type", _outcome(lambda: ours == object()), _outcome(lambda: theirs == object()))
    subclasses = type(record_class.__name__, (record_class,), {}), type(stdlib_class.__name__, (stdlib_class,), {})
    our_sub, their_sub = _outcome(lambda: subclasses[0](**required)), _outcome(lambda: subclasses[1](**required))
    same("an instance of a subclass", _outcome(lambda: repr(our_sub[1])), _outcome(lambda: repr(their_sub[1])))
    same("== an instance of a subclass", _outcome(lambda: ours == our_sub[1]), _outcome(lambda: theirs == their_sub[1]))
    if _hash_kind(stdlib_class) == "fields":
        same("hash", _outcome(lambda: hash(ours)), _outcome(lambda: hash(theirs)))
    for changed in init:  # one field different at a time: compare=False ones leave the instances equal
        arguments = {**required, changed.name: _value(changed.type, 1, module)}
        other = _outcome(lambda a=arguments: (record_class(**a), stdlib_class(**a)))
        if other[0] != "returned":
            same(f"instance with another {changed.name}", other, _outcome(lambda a=arguments: stdlib_class(**a)))
            continue
        our_other, their_other = other[1]
        same(f"== with another {changed.name}", ours == our_other, theirs == their_other)
        same(f"!= with another {changed.name}", ours != our_other, theirs != their_other)
        if _hash_kind(stdlib_class) == "fields":
            same(
                f"hash with another {changed.name}",
                _outcome(lambda o=our_other: hash(o)),
                _outcome(lambda o=their_other: hash(o)),
            )
        same(f"repr with another {changed.name}", repr(our_other), repr(their_other))
        same(
            f"replace({changed.name}=...)",
            _shown(dataclasses.replace, ours, arguments),
            _shown(dataclasses.replace, theirs, arguments),
        )
    same(
        "replace()",
        _outcome(lambda: repr(dataclasses.replace(ours))),
        _outcome(lambda: repr(dataclasses.replace(theirs))),
    )
    same("asdict", _outcome(lambda: dataclasses.asdict(ours)), _outcome(lambda: dataclasses.asdict(theirs)))
    same("astuple", _outcome(lambda: dataclasses.astuple(ours)), _outcome(lambda: dataclasses.astuple(theirs)))
    same("__getstate__", _outcome(lambda: ours.__getstate__()), _outcome(lambda: theirs.__getstate__()))
    same("copy.copy", _outcome(lambda: repr(copy.copy(ours))), _outcome(lambda: repr(copy.copy(theirs))))
    if pickling:
        found += _pickled(name, ours)
    found += _assignments(name, record_class, lambda: record_class(**required), lambda: stdlib_class(**required))
    return found


def _shown(action: Callable[..., Any], instance: Any, arguments: dict[str, Any]) -> tuple[Any, ...]:
    return _outcome(lambda: repr(action(instance, **arguments)))


def _pickled(name: str, ours: Any) -> list[str]:
    """A pickle round trip gives the same instance: same type, and pickled again, the same bytes (the values
    compared by structure, not by `==`, which an object without `__eq__` fails). The twin is not importable
    by name, so only the record is pickled."""
    try:
        data = pickle.dumps(ours)
        back = pickle.loads(data)
        again = pickle.dumps(back)
    except Exception as error:
        return [f"{name}: pickle round trip raised {type(error).__name__}: {error}"]
    if type(back) is not type(ours) or again != data:
        return [f"{name}: pickle round trip gave {back!r}, not {ours!r}"]
    return []


def _assignments(name: str, record_class: type, ours: Callable[[], Any], theirs: Callable[[], Any]) -> list[str]:
    """Assigning and deleting fields: refused alike on a frozen class, done alike on a mutable one."""
    found: list[str] = []
    frozen = record_class.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assigned_to, assigned_to_twin, deleted_from, deleted_from_twin = ours(), theirs(), ours(), theirs()
    for f in dataclasses.fields(record_class):
        value = _value(f.type, 1, record_class.__module__)
        assigned = (
            _outcome(lambda n=f.name, v=value: setattr(assigned_to, n, v)),
            _outcome(lambda n=f.name, v=value: setattr(assigned_to_twin, n, v)),
        )
        deleted = (
            _outcome(lambda n=f.name: delattr(deleted_from, n)),
            _outcome(lambda n=f.name: delattr(deleted_from_twin, n)),
        )
        for what, (our_outcome, their_outcome) in (("assigning", assigned), ("deleting", deleted)):
            if our_outcome != their_outcome:
                found.append(f"{name}: {what} {f.name}: @record {our_outcome!r} != stdlib {their_outcome!r}")
            if frozen and our_outcome[:2] != ("raised", "FrozenInstanceError"):
                found.append(f"{name}: {what} {f.name} of a frozen instance: {our_outcome!r}")
    if repr(assigned_to) != repr(assigned_to_twin):
        found.append(f"{name}: after assignments: @record {assigned_to!r} != stdlib {assigned_to_twin!r}")
    # Another attribute: the stdlib's frozen slotted class refuses it with a TypeError (its __setattr__ and
    # __delattr__ close over the class from before the slots), @record with FrozenInstanceError.
    other = (
        _outcome(lambda: setattr(assigned_to, "not_a_field", 1)),
        _outcome(lambda: setattr(assigned_to_twin, "not_a_field", 1)),
    )
    other_deleted = (
        _outcome(lambda: delattr(assigned_to, "not_a_field")),
        _outcome(lambda: delattr(assigned_to_twin, "not_a_field")),
    )
    for what, (our_outcome, their_outcome) in (("assigning", other), ("deleting", other_deleted)):
        quirk = frozen and "__slots__" in record_class.__dict__ and their_outcome[:2] == ("raised", "TypeError")
        if frozen and our_outcome[:2] != ("raised", "FrozenInstanceError"):
            found.append(f"{name}: {what} another attribute of a frozen instance: {our_outcome!r}")
        elif our_outcome != their_outcome and not quirk:
            found.append(f"{name}: {what} another attribute: @record {our_outcome!r} != stdlib {their_outcome!r}")
    return found


def stdlib_body(cls: type) -> type:
    """A copy of the class body `cls` had before a decorator ran (fresh `field()`s: the stdlib fills them in)."""
    namespace: dict[str, Any] = {}
    for key, value in cls.__dict__.items():
        if key in ("__dict__", "__weakref__"):
            continue
        if isinstance(value, dataclasses.Field):
            value = dataclasses.field(
                default=value.default,
                default_factory=value.default_factory,
                init=value.init,
                repr=value.repr,
                hash=value.hash,
                compare=value.compare,
                metadata=value.metadata,
                kw_only=value.kw_only,
            )
        namespace[key] = value
    namespace["__annotations__"] = dict(inspect.get_annotations(cls))
    twin = type(cls)(cls.__name__, cls.__bases__, namespace)
    twin.__qualname__ = cls.__qualname__
    return twin


def _compare_the_package() -> dict[str, Any]:
    import compliance.records as records

    make = records._make
    pairs: list[tuple[type, type]] = []

    def watched(cls: Any, *, frozen: bool, slots: bool, eq: bool) -> Any:
        body = stdlib_body(cls)
        made = make(cls, frozen=frozen, slots=slots, eq=eq)
        pairs.append((made, dataclasses.dataclass(body, frozen=frozen, slots=slots, eq=eq)))
        return made

    records._make = watched
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            importlib.import_module(info.name)
    made = {id(cls) for cls, _ in pairs}
    stdlib_made = sorted(
        f"{module}.{cls.__qualname__}"
        for module, loaded in list(sys.modules.items())
        if module.split(".")[0] in PACKAGES
        for cls in vars(loaded).values()
        if isinstance(cls, type)
        and cls.__module__ == module
        and "__dataclass_fields__" in cls.__dict__
        and id(cls) not in made
    )
    found = [difference for ours, theirs in pairs for difference in differences(ours, theirs)]
    return {
        "compared": sorted(f"{cls.__module__}.{cls.__qualname__}" for cls, _ in pairs),
        "differences": found,
        "stdlib_dataclasses": stdlib_made,
    }


if __name__ == "__main__":
    if any(name.split(".")[0] in PACKAGES for name in sys.modules):
        raise SystemExit("the package was imported before its classes could be watched")
    json.dump(_compare_the_package(), sys.stdout, indent=1)
