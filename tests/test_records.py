"""`@record` (compliance/records.py) behaves as `dataclasses.dataclass` on the same class body: for every
class in the package (tests/records_twin.py, in a process of its own), for the options and field kinds the
package does not use yet, and the comparison itself notices each property broken on purpose."""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import pkgutil
import subprocess
import sys
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import InitVar, field
from pathlib import Path
from typing import Any, ClassVar

import pytest

from compliance.records import record
from tests.helpers import ROOT
from tests.records_twin import PACKAGES, differences


def _package_dataclasses() -> set[str]:
    names = set()
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            module = importlib.import_module(info.name)
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and value.__module__ == info.name
                    and "__dataclass_fields__" in value.__dict__
                ):
                    names.add(f"{info.name}.{value.__qualname__}")
    return names


def test_every_class_of_the_package_behaves_as_its_stdlib_twin() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.records_twin"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["differences"] == []
    assert report["stdlib_dataclasses"] == [], "make these @record (compliance/records.py): start-up cost"
    assert set(report["compared"]) == _package_dataclasses()


# ── class bodies the package does not have (yet) ─────────────────────────────────────────────────


def _twins(body: Callable[[], type], **options: bool) -> tuple[type, type]:
    """The same body made twice: by @record and by the stdlib, with the same options."""
    stdlib_options = {"frozen": True, "slots": True, **options}
    return record(**options)(body()), dataclasses.dataclass(**stdlib_options)(body())


def _every_kind() -> type:
    class Every:
        required: str
        number: int = 3
        made: tuple[int, ...] = field(default_factory=tuple)
        listed: list[int] = field(default_factory=list, compare=False)  # hashable all the same
        hidden: str = field(default="h", repr=False)
        ignored: int = field(default=0, compare=False)
        unhashed: int = field(default=0, hash=False)
        counted: ClassVar[int] = 0
        later: tuple[int, ...] = field(init=False, default=())
        later_made: tuple[int, ...] = field(init=False, default_factory=tuple)
        named: str = field(default="k", kw_only=True)

    return Every


def _self_named() -> type:
    class Selfish:  # the stdlib names __init__'s first parameter __dataclass_self__ then
        self: int
        other: str = "o"

    return Selfish


def _empty() -> type:
    class Empty:
        """Nothing in it."""

    return Empty


def _post_init() -> type:
    class Derived:
        first: int
        total: int = field(init=False)

        def __post_init__(self) -> None:
            object.__setattr__(self, "total", self.first * 2)

    return Derived


def _explicit_eq() -> type:
    class ByFirst:
        first: int
        second: int = 0

        def __eq__(self, other: object) -> bool:
            return isinstance(other, ByFirst) and other.first == self.first

    return ByFirst


def _explicit_hash() -> type:
    class Hashed:
        first: int

        def __hash__(self) -> int:
            return 7

    return Hashed


BODIES = [_every_kind, _self_named, _empty, _post_init, _explicit_eq, _explicit_hash]
OPTIONS = [
    {},
    {"slots": False},
    {"frozen": False},
    {"frozen": False, "slots": False},
    {"frozen": False, "slots": False, "eq": False},
    {"eq": False},
]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
@pytest.mark.parametrize("body", BODIES, ids=lambda b: b.__name__)
def test_a_body_behaves_as_its_stdlib_twin(body: Callable[[], type], options: dict[str, bool]) -> None:
    ours, theirs = _twins(body, **options)
    assert differences(ours, theirs, pickling=False) == []


def test_a_derived_class_behaves_as_its_stdlib_twin() -> None:
    def base() -> type:
        class Base:
            first: int
            second: str = "s"

        return Base

    def derived(parent: type) -> type:
        class Derived(parent):  # type: ignore[misc,valid-type]
            third: float = 1.5

        return Derived

    for options in ({}, {"slots": False}, {"frozen": False, "slots": False}):
        our_base, their_base = _twins(base, **options)
        ours = record(**options)(derived(our_base))
        theirs = dataclasses.dataclass(**{"frozen": True, "slots": True, **options})(derived(their_base))
        assert differences(ours, theirs, pickling=False) == []
        refused = pytest.raises(dataclasses.FrozenInstanceError) if options.get("frozen", True) else nullcontext()
        with refused:
            ours(1).third = 2.0


def test_equality_and_hash_use_a_tuple_as_the_stdlib_does() -> None:
    """One field compared: the stdlib compares `(a,) == (b,)`, where an identical NaN is equal."""

    def body() -> type:
        class Measured:
            value: float

        return Measured

    ours, theirs = _twins(body)
    nan = math.nan
    assert (ours(nan) == ours(nan)) is (theirs(nan) == theirs(nan)) is True
    assert (ours(nan) == ours(float("nan"))) is (theirs(nan) == theirs(float("nan"))) is False
    assert hash(ours(nan)) == hash(theirs(nan))


def test_a_repr_of_itself_is_shown_as_dots() -> None:
    def body() -> type:
        class Node:
            children: list[Any] = field(default_factory=list)

        return Node

    ours, theirs = _twins(body, frozen=False, slots=False)
    our_node, their_node = ours(), theirs()
    our_node.children.append(our_node)
    their_node.children.append(their_node)
    assert repr(our_node) == repr(their_node)
    assert repr(our_node).endswith("(children=[...])")


def _refusal(make: Callable[[], object]) -> tuple[type[BaseException], str]:
    with pytest.raises(Exception) as raised:
        make()
    return raised.type, str(raised.value)


def test_a_body_the_stdlib_refuses_is_refused_alike() -> None:
    def out_of_order() -> type:
        class Broken:
            first: int = 1
            second: str  # type: ignore[misc]

        return Broken

    def frozen_setattr() -> type:
        class Settable:
            first: int

            def __setattr__(self, name: str, value: object) -> None:
                object.__setattr__(self, name, value)

        return Settable

    for body in (out_of_order, frozen_setattr):
        ours = _refusal(lambda body=body: record(body()))
        theirs = _refusal(lambda body=body: dataclasses.dataclass(frozen=True, slots=True)(body()))
        assert ours == theirs

    def base() -> type:
        class Base:
            first: int

        return Base

    def derived(parent: type) -> type:
        class Derived(parent):  # type: ignore[misc,valid-type]
            second: int = 0

        return Derived

    mutable_base, frozen_base = record(frozen=False)(base()), record(base())
    their_mutable, their_frozen = dataclasses.dataclass(slots=True)(base()), dataclasses.dataclass(frozen=True)(base())
    assert _refusal(lambda: record(derived(mutable_base))) == _refusal(
        lambda: dataclasses.dataclass(frozen=True)(derived(their_mutable))
    )
    assert _refusal(lambda: record(frozen=False)(derived(frozen_base))) == _refusal(
        lambda: dataclasses.dataclass(derived(their_frozen))
    )


def test_what_record_does_not_support_is_refused() -> None:
    def with_initvar() -> type:
        class Initialised:
            first: int
            seed: InitVar[int] = 0

        return Initialised

    def with_template_name() -> type:
        class Clashing:
            _HAS_DEFAULT_FACTORY: int

        return Clashing

    for body in (with_initvar, with_template_name):
        with pytest.raises(TypeError, match="@record"):
            record(body())


# ── the comparison notices a broken record ───────────────────────────────────────────────────────


def _frozen_body() -> type:
    class Point:
        x: int
        y: int = 0
        label: str = field(default="", compare=False)

    return Point


def _break_init_default(cls: Any) -> None:
    cls.__init__.__defaults__ = (1, "")


def _break_repr(cls: Any) -> None:
    cls.__repr__ = lambda self: f"{type(self).__qualname__}(x={self.x!r})"


def _break_eq(cls: Any) -> None:
    cls.__eq__ = lambda self, other: type(other) is type(self)


def _break_hash(cls: Any) -> None:
    cls.__hash__ = lambda self: hash((self.x,))


def _break_compare_false(cls: Any) -> None:
    cls.__eq__ = lambda self, other: (self.x, self.y, self.label) == (other.x, other.y, other.label)


def _break_setattr(cls: Any) -> None:
    cls.__setattr__ = object.__setattr__


def _break_delattr(cls: Any) -> None:
    cls.__delattr__ = object.__delattr__


def _break_pickling(cls: Any) -> None:
    del cls.__setstate__


def _break_fields(cls: Any) -> None:
    cls.__dataclass_fields__["label"].repr = False


def _break_doc(cls: Any) -> None:
    cls.__doc__ = "Point(x, y)"


BREAKAGES = [
    (_break_init_default, "__init__ signature"),
    (_break_repr, "repr"),
    (_break_eq, "== with another"),
    (_break_hash, "hash"),
    (_break_compare_false, "== with another label"),
    (_break_setattr, "assigning x"),
    (_break_delattr, "deleting x"),
    (_break_pickling, "pickle round trip"),
    (_break_fields, "fields"),
    (_break_doc, "__doc__"),
]


@pytest.mark.parametrize(("breakage", "noticed_as"), BREAKAGES, ids=[b.__name__ for b, _ in BREAKAGES])
def test_the_comparison_notices_a_broken_record(breakage: Callable[[Any], None], noticed_as: str) -> None:
    ours, theirs = _twins(_frozen_body)
    assert differences(ours, theirs, pickling=False) == []
    breakage(ours)
    module = sys.modules[__name__]
    ours.__qualname__ = theirs.__qualname__ = "_Pickled"  # a name pickle finds, for the pickling breakage
    module._Pickled = ours  # type: ignore[attr-defined]
    try:
        found = differences(ours, theirs, pickling=True)
    finally:
        del module._Pickled  # type: ignore[attr-defined]
    assert any(f": {noticed_as}" in difference for difference in found), found


def test_slots_are_kept() -> None:
    ours, theirs = _twins(_frozen_body)
    assert ours.__slots__ == theirs.__slots__ == ("x", "y", "label")  # type: ignore[attr-defined]
    assert not hasattr(ours(1), "__dict__")
    mutable, _ = _twins(_frozen_body, slots=False)
    assert differences(mutable, theirs, pickling=False), "a class with a __dict__ is not the slotted twin"


def test_mypy_checks_a_records_constructor_and_frozenness(tmp_path: Path) -> None:
    """`dataclass_transform`: mypy reads `@record` classes as dataclasses (frozen unless `frozen=False`)."""
    pytest.importorskip("mypy", reason="mypy is a test dependency: pip install -e '.[test]'")
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import dataclasses\n"
        "from compliance.model.findings import Location\n"
        "from compliance.records import record\n"
        "@record(frozen=False, slots=False)\n"
        "class Counter:\n"
        "    count: int = 0\n"
        "where = Location('a.yaml', 2)\n"
        "moved: Location = dataclasses.replace(where, line=3)\n"
        "Counter().count = 1\n"
        "Location(1)  # line 10: not a str\n"
        "Location('a.yaml', 1, 2, 3)  # line 11: too many\n"
        "where.line = 4  # line 12: frozen\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(probe),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = [line for line in result.stdout.splitlines() if line.startswith(str(probe)) and ": error:" in line]
    lines = sorted({int(line.split(":")[1]) for line in errors})
    assert lines == [10, 11, 12], result.stdout
