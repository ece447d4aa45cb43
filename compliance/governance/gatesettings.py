"""What weakens the gate: the one place that judges settings, so every report can say why a run passed.

`assess()` lists the effective settings of a run that make the gate weaker than the defaults (a
`fail-on` that never fails, rules dropped by `select`/`ignore`, `exclude` globs, lowered severities,
config exceptions, rule options weaker than their declared defaults, a baseline) and where each came from.
`changes()` judges a pull request's edit of the config against the base ref's (GATE001): an error
where it weakens the gate, info where it strengthens it, located at the changed line.

Reporters only show the `GateSettings` they are given (`ReportData.extra["gate"]`); they never judge.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterable
from typing import Any

from compliance.engine.registry import RuleSpec, declared_options
from compliance.model.findings import Finding, Location, Severity
from compliance.records import record
from compliance.settings.config import DEFAULT, ConfigException, ConfigFile, Settings

GATE_RULE = "GATE001"
NEVER = "never"
STRICTEST_FIRST = ("info", "warning", "error", NEVER)  # fail-on levels, each failing on less than the one before


@record
class Weakening:
    """One setting that makes the gate weaker than the defaults."""

    setting: str  # fail-on, select, ignore, exclude, severity.ID, exceptions, options.KEY, baseline
    value: str  # as JSON: "never", ["IO003"]
    effect: str  # what it does to the gate, in words
    source: str  # file:line:column, "command line", "COMPLIANCE_CONFIG …", "base REF:…"
    location: Location | None = None  # the same, when it is a file under the linted root (for annotations)

    @property
    def text(self) -> str:
        return f"{self.setting}: {self.value} — {self.effect} (from {self.source})"

    def as_dict(self) -> dict[str, Any]:
        where = self.location
        return {
            "setting": self.setting,
            "value": self.value,
            "effect": self.effect,
            "source": self.source,
            "path": where.path if where else None,
            "line": where.line if where else None,
            "column": where.column if where else None,
        }


@record
class GateSettings:
    """The configuration that governed a run and what in it weakens the gate (what reporters show)."""

    config_file: str | None  # the config read (None: built-in defaults)
    origin: str  # repository, none, --config, COMPLIANCE_CONFIG, base REF
    ignored_config: str | None  # the repository's config, when a pinned or base config governed instead
    weakenings: tuple[Weakening, ...] = ()

    @property
    def headline(self) -> str:
        count = len(self.weakenings)
        return f"the gate is weakened by {count} setting{'' if count == 1 else 's'} (relative to the defaults)"

    @property
    def note(self) -> str | None:
        """One line on who chose the configuration, when it is not simply the repository's."""
        if self.origin in ("repository", "none"):
            return None
        chosen = f"configuration {self.config_file or 'none (defaults)'} from {self.origin}"
        if self.ignored_config is None:
            return chosen
        return f"{chosen}; the repository's {self.ignored_config} is ignored"

    def as_dict(self) -> dict[str, Any]:
        return {
            "config": {"file": self.config_file, "origin": self.origin, "ignored": self.ignored_config},
            "weakened": bool(self.weakenings),
            "weakenings": [w.as_dict() for w in self.weakenings],
        }


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _matches(rule_id: str, names: Iterable[str]) -> bool:
    return any(rule_id.startswith(name.upper()) for name in names)


def _located(root: str, source: str) -> Location | None:
    """`path:line:column` as a Location under `root`; None for the command line, defaults or outside files."""
    parts = source.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    path, line, column = parts[0], int(parts[1]), int(parts[2])
    base = root if os.path.isdir(root) else os.path.dirname(os.path.abspath(root))
    if not os.path.exists(path):  # a base ref's `REF:path` or a display name, not a file of this tree
        return None
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(base))
    if rel.startswith(os.pardir) or os.path.isabs(rel):
        return None
    return Location(rel.replace(os.sep, "/"), line, column)


def _exception_text(entry: ConfigException) -> str:
    scope = [f"{key} {_show(getattr(entry, key))}" for key in ("blueprint", "cluster", "path") if getattr(entry, key)]
    until = f" until {entry.until.isoformat()}" if entry.until else " with no end date"
    return f"suppresses {entry.rule} findings {'for ' + ', '.join(scope) if scope else 'anywhere'}{until}"


def assess(settings: Settings, root: str, specs: Collection[RuleSpec], baseline: str | None = None) -> GateSettings:
    """The settings of a run that weaken the gate relative to the defaults, each with where it came from."""
    found: list[Weakening] = []
    sources = settings.sources

    def add(setting: str, value: Any, effect: str, source: str | None = None) -> None:
        where = source or sources.get(setting, DEFAULT)
        found.append(Weakening(setting, _show(value), effect, where, _located(root, where)))

    if settings.fail_on == NEVER:
        add("fail-on", NEVER, "no finding fails the run: the exit code is 0 whatever is found")
    ids = [spec.id for spec in specs]
    if settings.select:
        kept = [i for i in ids if _matches(i, settings.select)]
        add("select", list(settings.select), f"runs only {len(kept)} of {len(ids)} rules")
    if settings.ignore:
        skipped = [i for i in ids if _matches(i, settings.ignore)]
        add("ignore", list(settings.ignore), f"skips {len(skipped)} rules: {', '.join(skipped)}")
    for glob in settings.exclude:
        add("exclude", glob, "files matching it are not linted", sources.get("exclude"))
    defaults = {spec.id: spec.severity for spec in specs}
    for rule_id, level in sorted(settings.severity.items()):
        default = defaults.get(rule_id)
        if default is not None and level.rank < default.rank:
            add(f"severity.{rule_id}", level.value, f"{rule_id} findings lowered from {default.value} to {level.value}")
    for entry in settings.exceptions:
        where = f"{settings.config_file}:{entry.location.line}:{entry.location.column}"
        add("exceptions", entry.rule, _exception_text(entry), where)
    for option in settings.rule_options.declared or declared_options(specs):
        value = option.of(settings.rule_options)
        weaker = option.weakened(value, option.default)
        if weaker:
            add(f"options.{option.name}", value, f"weaker than the default: {', '.join(weaker)}")
    if baseline is not None:
        add(
            "baseline",
            baseline,
            "findings recorded in the baseline are neither reported nor fail the run",
            "command line",
        )
    return GateSettings(settings.config_file, settings.config_origin, settings.ignored_config, tuple(found))


# --------------------------------------------------------------------------------------------
# GATE001: the pull request's config compared with the base ref's
# --------------------------------------------------------------------------------------------


@record
class _Change:
    key: tuple[str | int, ...]  # where in the head's config to point (or its nearest ancestor)
    weakens: bool
    message: str


def changes(
    base: Settings, head: Settings, head_config: ConfigFile | None, config_path: str, specs: Collection[RuleSpec]
) -> list[Finding]:
    """GATE001 findings for each difference between the base ref's settings and the pull request's.

    `base`/`head` are each config file resolved without command-line overrides; `config_path` is the
    config's root-relative path (where findings point when the head has no config any more).
    """
    found: list[_Change] = []
    found += _fail_on(base, head)
    found += _rules(base, head, specs)
    found += _excludes(base, head, head_config)
    found += _policies(base, head, head_config)
    found += _severities(base, head, specs)
    found += _exceptions(base, head, head_config)
    found += _options(base, head, specs)
    found += _variables(base, head)
    path = head_config.location_path if head_config and head_config.location_path else config_path
    findings = []
    for change in found:
        line, column = head_config.mark(change.key) if head_config is not None else (1, 1)
        severity = Severity.ERROR if change.weakens else Severity.INFO
        verb = "weakens" if change.weakens else "strengthens"
        message = f"the pull request {verb} the gate's settings: {change.message}"
        setting = ".".join(str(step) for step in change.key)
        findings.append(Finding(GATE_RULE, severity, message, Location(path, line, column), value_path=setting))
    return findings


def _fail_on(base: Settings, head: Settings) -> list[_Change]:
    if base.fail_on == head.fail_on:
        return []
    weakens = STRICTEST_FIRST.index(head.fail_on) > STRICTEST_FIRST.index(base.fail_on)
    return [_Change(("fail-on",), weakens, f"fail-on {base.fail_on} -> {head.fail_on}")]


def _ran(settings: Settings, specs: Collection[RuleSpec]) -> set[str]:
    return {
        spec.id
        for spec in specs
        if (not settings.select or _matches(spec.id, settings.select)) and not _matches(spec.id, settings.ignore)
    }


def _rules(base: Settings, head: Settings, specs: Collection[RuleSpec]) -> list[_Change]:
    if (base.select, base.ignore) == (head.select, head.ignore):
        return []
    before, after = _ran(base, specs), _ran(head, specs)
    key = ("select",) if base.select != head.select else ("ignore",)
    dropped, added = sorted(before - after), sorted(after - before)
    found = []
    if dropped:
        found.append(_Change(key, True, f"{len(dropped)} rules no longer run: {', '.join(dropped)}"))
    if added:
        found.append(_Change(key, False, f"{len(added)} more rules run: {', '.join(added)}"))
    return found


def _excludes(base: Settings, head: Settings, config: ConfigFile | None) -> list[_Change]:
    found = []
    listed = list(config.data.get("exclude") or ()) if config is not None else []
    for glob in head.exclude:
        if glob not in base.exclude:
            index = listed.index(glob) if glob in listed else None
            key: tuple[str | int, ...] = ("exclude", index) if index is not None else ("exclude",)
            found.append(_Change(key, True, f"new exclude {_show(glob)}: files matching it are no longer linted"))
    for glob in base.exclude:
        if glob not in head.exclude:
            found.append(_Change(("exclude",), False, f"exclude {_show(glob)} removed"))
    return found


def _policies(base: Settings, head: Settings, config: ConfigFile | None) -> list[_Change]:
    """A declarative policy dropped from `policies:` weakens the gate (its checks no longer run); one added
    strengthens it."""
    listed = list(config.data.get("policies") or ()) if config is not None else []
    found = []
    for entry in base.policies:
        if entry not in head.policies:
            found.append(_Change(("policies",), True, f"policies {_show(entry)} removed: its checks no longer run"))
    for entry in head.policies:
        if entry not in base.policies:
            key: tuple[str | int, ...] = ("policies", listed.index(entry)) if entry in listed else ("policies",)
            found.append(_Change(key, False, f"new policies {_show(entry)}"))
    return found


def _severities(base: Settings, head: Settings, specs: Collection[RuleSpec]) -> list[_Change]:
    defaults = {spec.id: spec.severity for spec in specs}
    found = []
    for rule_id in sorted(set(base.severity) | set(head.severity)):
        default = defaults.get(rule_id)
        before, after = base.severity.get(rule_id, default), head.severity.get(rule_id, default)
        if before is None or after is None or before is after:
            continue
        key = ("severity", rule_id) if rule_id in head.severity else ("severity",)
        found.append(_Change(key, after.rank < before.rank, f"{rule_id} severity {before.value} -> {after.value}"))
    return found


def _identity(entry: ConfigException) -> tuple[str | None, ...]:
    return (entry.rule, entry.blueprint, entry.cluster, entry.path)


def _exceptions(base: Settings, head: Settings, config: ConfigFile | None) -> list[_Change]:
    before = {_identity(e): e for e in base.exceptions}
    after = {_identity(e): e for e in head.exceptions}
    found = []
    for index, entry in enumerate(head.exceptions):
        old = before.get(_identity(entry))
        if old is None:
            found.append(_Change(("exceptions", index), True, f"new exception: {_exception_text(entry)}"))
        elif old.until is not None and (entry.until is None or entry.until > old.until):
            found.append(_Change(("exceptions", index), True, f"exception extended: {_exception_text(entry)}"))
    for identity, entry in before.items():
        if identity not in after:
            found.append(_Change(("exceptions",), False, f"exception removed: {_exception_text(entry)}"))
    return found


def _options(base: Settings, head: Settings, specs: Collection[RuleSpec]) -> list[_Change]:
    found = []
    for option in declared_options(specs):
        key = option.name
        before, after = option.of(base.rule_options), option.of(head.rule_options)
        if before == after:
            continue
        weaker = option.weakened(after, before)
        if weaker:
            found.append(_Change(("options", key), True, f"options.{key} weaker: {', '.join(weaker)}"))
        elif option.strengthened(after, before):
            found.append(_Change(("options", key), False, f"options.{key} stricter"))
    return found


def _every_variable(settings: Settings) -> dict[tuple[str, ...], str]:
    """(NAME,) and (CLUSTER, NAME) (a cluster's own) -> value, as the config file nests them."""
    found: dict[tuple[str, ...], str] = {(name,): value for name, value in settings.variables.items()}
    found.update({(c, n): v for c, given in settings.cluster_variables.items() for n, v in given.items()})
    return found


def _variables(base: Settings, head: Settings) -> list[_Change]:
    """A variable changes the values the rules judge; which way is not knowable, so a reviewer decides."""
    before, after = _every_variable(base), _every_variable(head)
    keys = sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))
    return [
        _Change(("variables", *key), True, f"variables.{'.'.join(key)} changed: the values the rules judge differ")
        for key in keys
    ]
