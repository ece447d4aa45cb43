"""The rule registry: rule metadata, the `@rule` decorator, and rule providers.

Providers: the built-in pack (`compliance_rules`), modules given with `--rules PATH`, and installed
packages that declare the entry-point group `compliance.rules`. Importing a provider registers its
rules; the registry is the only mutable global in the engine. The repository being linted is never a
provider (`compliance.engine.trust`): `--rules` inside a linted root is refused unless trusted explicitly, and
entry points declared inside a linted root are not discovered.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from compliance.engine import trust
from compliance.errors import UsageError
from compliance.model.findings import Severity, Violation

ENTRY_POINT_GROUP = "compliance.rules"
RULE_ID = re.compile(r"^[A-Z][A-Z0-9]{1,9}[0-9]{3}$")
SECTION = re.compile(r"^## (.+)$", re.MULTILINE)


class Scope(str, Enum):
    """What a rule is given: the whole repository, one blueprint, one blueprint x cluster, or its rendered manifests."""

    REPOSITORY = "repository"
    BLUEPRINT = "blueprint"
    RELEASE = "release"
    RENDERED = "rendered"


class PluginError(UsageError):
    """A rule provider that cannot be loaded or declares an invalid rule."""


Check = Callable[[Any], Iterable[Violation]]


@dataclass(frozen=True, slots=True)
class RuleSpec:
    id: str
    title: str
    severity: Severity
    scope: Scope
    family: str
    check: Check
    provider: str

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


_RULES: dict[str, RuleSpec] = {}
_current_provider = "compliance_rules"


def rule(id: str, title: str, severity: Severity, scope: Scope, family: str) -> Callable[[Check], Check]:
    """Register a check. Its docstring is its documentation (`compliance explain ID`)."""

    def register(check: Check) -> Check:
        if not RULE_ID.match(id):
            raise PluginError(f"{_current_provider}: invalid rule id {id!r} (expected e.g. ABC001)")
        existing = _RULES.get(id)
        redefined = existing is not None and existing.check is not check
        if redefined and (existing.check.__qualname__ != check.__qualname__ or existing.provider != _current_provider):
            raise PluginError(f"{_current_provider}: rule id {id} is already defined by {existing.provider}")
        _RULES[id] = RuleSpec(id, title, Severity(severity), Scope(scope), family, check, _current_provider)
        return check

    return register


def all_rules() -> list[RuleSpec]:
    return [_RULES[key] for key in sorted(_RULES)]


def get_rule(rule_id: str) -> RuleSpec | None:
    return _RULES.get(rule_id.upper())


def _import_as(provider: str, action: Callable[[], Any]) -> Any:
    global _current_provider
    previous, _current_provider = _current_provider, provider
    try:
        return action()
    except PluginError:
        raise
    except Exception as error:  # a plugin may fail in any way; name it and say why
        raise PluginError(f"cannot load rules from {provider}: {type(error).__name__}: {error}") from None
    finally:
        _current_provider = previous


def load_builtin() -> None:
    import compliance_rules

    _import_as("compliance_rules", compliance_rules.load)


def load_path(path: str, roots: Sequence[str] = (), trust_roots: bool = False) -> None:
    """Import rule modules from a .py file or every .py file in a folder.

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
        name = "compliance_plugin_" + re.sub(r"\W", "_", os.path.abspath(file))

        def load(file: str = file, name: str = name) -> None:
            spec = importlib.util.spec_from_file_location(name, file)
            if spec is None or spec.loader is None:
                raise PluginError(f"--rules {file}: not a Python module")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)

        _import_as(file, load)


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


def load_entry_points(roots: Sequence[str] = ()) -> None:
    for name, value in _declared_entry_points(roots):
        provider = f"entry point {name} ({value})"
        shadowed = trust.module_inside(value.partition(":")[0].strip().split(".")[0], roots)
        if shadowed is not None:  # an installed plugin whose module the repository shadows (PYTHONPATH=.)
            raise PluginError(f"{provider}: {shadowed}")
        loaded = _import_as(provider, lambda value=value: _load_entry(value))
        if callable(loaded) and not inspect.isclass(loaded):
            _import_as(provider, loaded)


def iter_family(family: str) -> Iterator[RuleSpec]:
    return (spec for spec in all_rules() if spec.family == family)
