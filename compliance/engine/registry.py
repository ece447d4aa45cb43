"""The rule registry: rule metadata, the `@rule` decorator, and rule providers.

Providers: the built-in pack (`compliance_rules`, loaded by the application layer), modules given with
`--rules PATH`, and installed packages that declare the entry-point group `compliance.rules`. `@rule`
only attaches a frozen `RuleDeclaration` to its function; loading a provider imports its modules
(Python's module cache makes a second load cheap) and collects the decorated functions found in them.
A `Registry` holds the rules of one run: the built-ins plus that run's providers, nothing global.
The repository being linted is never a provider (`compliance.engine.trust`): `--rules` inside a linted
root is refused unless trusted explicitly, and entry points declared inside a linted root are not discovered.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import field
from enum import Enum
from types import ModuleType
from typing import Any, TypeVar

from compliance.engine import trust
from compliance.engine.coverage import Applies
from compliance.engine.options import Option
from compliance.errors import UsageError
from compliance.model.findings import Severity, Violation
from compliance.records import record

ENTRY_POINT_GROUP = "compliance.rules"
RULE_ID = re.compile(r"^[A-Z][A-Z0-9]{1,9}[0-9]{3}$")
# a control a rule evidences: FRAMEWORK:ID (`SOC2:CC6.1`, `ISO27001:A.8.9`, `EUAIA:Art.12`; docs/controls.md)
CONTROL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}:[A-Za-z0-9][A-Za-z0-9.()-]{0,31}$")
SECTION = re.compile(r"^## (.+)$", re.MULTILINE)
DECLARATION = "__compliance_rule__"  # the attribute `@rule` sets on a check


def did_you_mean(name: str, rule_ids: Iterable[str], prefixes: bool = False) -> str:
    """` (did you mean ATT001?)` for a mistyped rule id, from the closest known ids (and, where a prefix is
    accepted, id prefixes such as `ATT`) by difflib; '' when nothing is close."""
    import difflib

    ids = set(rule_ids)
    close = difflib.get_close_matches(name.upper(), sorted(ids), n=3, cutoff=0.75)  # COM02: COM002, not COM001
    if prefixes:  # ATX: ATT (short names need a lower cutoff)
        families = sorted({re.sub(r"\d+$", "", rule_id) for rule_id in ids})
        close += difflib.get_close_matches(name.upper(), families, n=1, cutoff=0.6)
    if not close:
        return ""
    return (
        f" (did you mean {close[0]}?)"
        if len(close) == 1
        else f" (did you mean {', '.join(close[:-1])} or {close[-1]}?)"
    )


class Scope(str, Enum):
    """What a rule is given: the whole repository, one blueprint, one blueprint x cluster, or its rendered manifests."""

    REPOSITORY = "repository"
    BLUEPRINT = "blueprint"
    RELEASE = "release"
    RENDERED = "rendered"


class PluginError(UsageError):
    """A rule provider that cannot be loaded or declares an invalid rule."""


Check = Callable[[Any], Iterable[Violation]]
_Result = TypeVar("_Result")


@record
class RuleDeclaration:
    """What `@rule` says about a check; the provider is known only when a registry collects it."""

    id: str
    title: str
    severity: Severity
    scope: Scope
    family: str
    options: tuple[Option, ...] = ()
    fix: str = ""  # what its fix does ("" : not fixable); the fixes ride on its violations
    controls: tuple[str, ...] = ()
    applies: Applies | None = None


@record
class RuleSpec:
    id: str
    title: str
    severity: Severity
    scope: Scope
    family: str
    check: Check
    provider: str
    options: tuple[Option, ...] = ()  # the knobs the rule reads (`compliance.engine.options`)
    fix: str = ""  # what `compliance fix` does for it ("": not fixable)
    controls: tuple[str, ...] = ()  # the compliance controls it evidences, FRAMEWORK:ID (`CONTROL_ID`)
    # None when the rule applies to a context, else why not (`compliance.engine.coverage`); None: always
    applies: Applies | None = None

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.check.__doc__ or "")

    def sections(self) -> dict[str, str]:
        """The docstring's `## Heading` sections (What it does, Why it matters, Example, ...)."""
        doc = self.doc
        parts = SECTION.split(doc)
        found = {"summary": parts[0].strip()}
        for heading, body in zip(parts[1::2], parts[2::2], strict=False):
            found[heading.strip().lower()] = body.strip("\n")
        return found

    @property
    def summary(self) -> str:
        return self.sections().get("what it does", self.title).strip() or self.title


def rule(
    id: str,
    title: str,
    severity: Severity,
    scope: Scope,
    family: str,
    options: Sequence[Option] = (),
    fix: str = "",
    controls: Sequence[str] = (),
    applies: Applies | None = None,
) -> Callable[[Check], Check]:
    """Declare a check. Its docstring is its documentation (`compliance explain ID`); `options` are the
    knobs it reads; `fix` says what its fix does when its violations carry one (`Violation.fixes`,
    `compliance.model.fixes`); `controls` the compliance controls its result evidences (`FRAMEWORK:ID`,
    docs/controls.md); `applies(context)` says when a context has nothing for it to look at (a Skip; None:
    it applies), so reports say "not applicable" instead of counting a pass. Nothing is registered here:
    a registry collects the check from its module."""
    declaration = RuleDeclaration(
        id,
        title,
        Severity(severity),
        Scope(scope),
        family,
        tuple(options),
        fix,
        tuple(dict.fromkeys(controls)),
        applies,
    )

    def declare(check: Check) -> Check:
        setattr(check, DECLARATION, declaration)
        return check

    return declare


def family_rule(scope: Scope, family: str) -> Callable[..., Callable[[Check], Check]]:
    """`@rule` with the scope and family fixed, for a module whose rules share them (`id, title, severity, ...`)."""
    return functools.partial(rule, scope=scope, family=family)


def declared_in(module: ModuleType) -> list[tuple[Check, RuleDeclaration]]:
    """The checks `module` itself defines with `@rule` (not ones it imports from elsewhere)."""
    found: list[tuple[Check, RuleDeclaration]] = []
    for value in list(vars(module).values()):
        if not inspect.isfunction(value) or value.__module__ != module.__name__:
            continue
        declaration = getattr(value, DECLARATION, None)
        if isinstance(declaration, RuleDeclaration):
            found.append((value, declaration))
    return found


@record
class Registry:
    """The rules of one run, by id, and the options they declare in load order (providers in load order,
    modules in provider order, rules in module order: the order `compliance config` lists them)."""

    by_id: Mapping[str, RuleSpec] = field(default_factory=dict)
    declared: tuple[Option, ...] = ()

    def rules(self) -> list[RuleSpec]:
        return [self.by_id[key] for key in sorted(self.by_id)]

    def get(self, rule_id: str) -> RuleSpec | None:
        return self.by_id.get(rule_id.upper())

    def family(self, name: str) -> list[RuleSpec]:
        return [spec for spec in self.rules() if spec.family == name]

    def options(self) -> tuple[Option, ...]:
        return self.declared

    def controls(self) -> dict[str, list[str]]:
        """Control -> the ids of the rules that evidence it, both sorted."""
        return controls_of(self.rules())


def controls_of(specs: Iterable[RuleSpec]) -> dict[str, list[str]]:
    """Control -> the ids of the rules among `specs` that evidence it, both sorted."""
    found: dict[str, list[str]] = {}
    for spec in sorted(specs, key=lambda s: s.id):
        for control in spec.controls:
            found.setdefault(control, []).append(spec.id)
    return {control: found[control] for control in sorted(found, key=control_order)}


def control_order(control: str) -> tuple[str, tuple[tuple[int, str], ...]]:
    """Framework, then the id's numbers as numbers (`A.8.9` before `A.8.15`)."""
    framework, _, ident = control.partition(":")
    parts = re.findall(r"\d+|\D+", ident)
    return framework, tuple((int(p), "") if p.isdigit() else (-1, p) for p in parts)


def metadata(spec: RuleSpec) -> dict[str, Any]:
    """A rule's identity as data (`compliance rules --format json`, the evidence bundle's rules.json): with
    the controls it evidences and what its fix does ("" when not fixable)."""
    return {
        "id": spec.id,
        "title": spec.title,
        "severity": spec.severity.value,
        "family": spec.family,
        "scope": spec.scope.value,
        "provider": spec.provider,
        "controls": list(spec.controls),
        "fix": spec.fix,
    }


def declared_options(specs: Iterable[RuleSpec]) -> tuple[Option, ...]:
    """Every option `specs` declare, each once, by name (without a registry at hand)."""
    found: dict[str, Option] = {}
    for spec in specs:
        for option in spec.options:
            found.setdefault(option.name, option)
    return tuple(found[name] for name in sorted(found))


class RegistryBuilder:
    """Collects the rules of one run's providers, in load order; `build()` freezes them."""

    def __init__(self) -> None:
        self._specs: dict[str, RuleSpec] = {}
        self._options: dict[str, tuple[Option, str]] = {}

    def build(self) -> Registry:
        return Registry(dict(self._specs), tuple(option for option, _ in self._options.values()))

    def add_modules(self, provider: str, modules: Iterable[ModuleType]) -> None:
        for module in modules:
            for check, declaration in declared_in(module):
                self._add(provider, check, declaration)

    def add_rule(self, provider: str, check: Check, declaration: RuleDeclaration) -> None:
        """One rule that no module declares with `@rule` (a declarative policy: `compliance.policy`)."""
        self._add(provider, check, declaration)

    def _add(self, provider: str, check: Check, declaration: RuleDeclaration) -> None:
        rule_id = declaration.id
        if not RULE_ID.match(rule_id):
            raise PluginError(f"{provider}: invalid rule id {rule_id!r} (expected e.g. ABC001)")
        existing = self._specs.get(rule_id)
        if existing is not None and existing.check is check:
            return  # the same module reached through two providers (a package and its entry point)
        if existing is not None:
            raise PluginError(f"{provider}: rule id {rule_id} is already defined by {existing.provider}")
        for control in declaration.controls:
            if not isinstance(control, str) or not CONTROL_ID.match(control):
                raise PluginError(f"{provider}: {rule_id} declares control {control!r} (expected e.g. SOC2:CC6.1)")
        for option in declaration.options:
            known = self._options.get(option.name)
            if known is not None and known[0] != option:
                raise PluginError(f"{provider}: option {option.name} is already declared differently by {known[1]}")
            self._options.setdefault(option.name, (option, provider))
        d = declaration
        self._specs[rule_id] = RuleSpec(
            d.id, d.title, d.severity, d.scope, d.family, check, provider, d.options, d.fix, d.controls, d.applies
        )

    def add_path(self, path: str, roots: Sequence[str] = (), trust_roots: bool = False) -> None:
        """Rule modules from a .py file or every .py file in a folder.

        A path resolving inside one of the linted `roots` is refused unless `trust_roots`: it is code from
        the change under review (`compliance.engine.trust`).
        """
        if not os.path.exists(path):
            raise PluginError(f"--rules {path}: no such file or directory")
        if not trust_roots:
            refused = trust.rule_path_inside(path, roots)
            if refused is not None:
                raise PluginError(refused)
        files = (
            sorted(os.path.join(path, n) for n in os.listdir(path) if n.endswith(".py") and not n.startswith("_"))
            if os.path.isdir(path)
            else [path]
        )
        for file in files:
            module = _guarded(file, functools.partial(_import_file, file))
            self.add_modules(file, [module])

    def add_entry_points(self, roots: Sequence[str] = ()) -> None:
        """Installed `compliance.rules` entry points: the rules of the modules they import.

        An entry point names a module, or a callable that imports the provider's modules; the rules
        collected are those of every loaded module of the entry's top-level package.
        """
        for name, value in _declared_entry_points(roots):
            provider = f"entry point {name} ({value})"
            package = value.partition(":")[0].strip().split(".")[0]
            shadowed = trust.module_inside(package, roots)
            if shadowed is not None:  # an installed plugin whose module the repository shadows (PYTHONPATH=.)
                raise PluginError(f"{provider}: {shadowed}")
            loaded = _guarded(provider, functools.partial(_load_entry, value))
            if callable(loaded) and not inspect.isclass(loaded):
                _guarded(provider, loaded)
            modules = [
                module
                for module_name, module in sorted(sys.modules.items())
                if isinstance(module, ModuleType) and (module_name == package or module_name.startswith(package + "."))
            ]
            self.add_modules(provider, modules)


def _guarded(provider: str, action: Callable[[], _Result]) -> _Result:
    """Run `action` for `provider`: any failure is a PluginError that names the provider and says why."""
    try:
        return action()
    except PluginError:
        raise
    except Exception as error:  # a plugin may fail in any way; name it and say why
        raise PluginError(f"cannot load rules from {provider}: {type(error).__name__}: {error}") from None


def _import_file(file: str) -> ModuleType:
    """The module of a rule file, imported once per process (Python's module cache)."""
    name = "compliance_plugin_" + re.sub(r"\W", "_", os.path.abspath(file))
    cached = sys.modules.get(name)
    if cached is not None:
        return cached
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise PluginError(f"--rules {file}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]  # a broken file fails again next time, not half-loaded
        raise
    return module


def _declared_entry_points(roots: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(name, "module:attr") of every `compliance.rules` entry point on sys.path, but none declared in a
    folder inside a linted root (a `*.dist-info` the repository under review ships: `compliance.engine.trust`).

    Reads the `entry_points.txt` files directly: `importlib.metadata` costs ~60 ms per run to
    import and scan, more than linting a small repository.
    """
    import glob

    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for directory in sys.path:
        if not os.path.isdir(directory) or (roots and trust.untrusted_location(directory, roots)):
            continue
        for pattern in ("*.dist-info", "*.egg-info"):
            for path in sorted(glob.glob(os.path.join(directory, pattern, "entry_points.txt"))):
                distribution = os.path.basename(os.path.dirname(path)).split("-", 1)[0].lower()
                if distribution in seen:
                    continue  # the first distribution of a name on sys.path wins, as in importlib.metadata
                seen.add(distribution)
                found.extend(_group_entries(path))
    return found


def _group_entries(path: str) -> list[tuple[str, str]]:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return []
    if f"[{ENTRY_POINT_GROUP}]" not in text:
        return []
    entries: list[tuple[str, str]] = []
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == ENTRY_POINT_GROUP and "=" in line:
            name, _, value = line.partition("=")
            entries.append((name.strip(), value.split("[", 1)[0].strip()))
    return entries


def _load_entry(value: str) -> Any:
    module_name, _, attribute = value.partition(":")
    loaded: Any = importlib.import_module(module_name.strip())
    for part in filter(None, attribute.strip().split(".")):
        loaded = getattr(loaded, part)
    return loaded
