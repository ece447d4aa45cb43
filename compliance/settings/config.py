"""The project configuration: `.compliance.yaml` at the linted root (or `[tool.compliance]` in its
pyproject.toml, or `--config FILE`), validated against `SCHEMA`, under the command line's overrides.
The `options:` keys are the ones the loaded rules declare (`compliance.engine.options`): given the
declared options, each is validated against its own schema; without them only the section's shape is.

Precedence: command line > config file > defaults. `Settings.sources` says where each value came from
(`compliance config` prints it). A config that cannot be used is a `ConfigError` naming file:line.

Which config file: one pinned from outside the repository (`--config FILE`, else COMPLIANCE_CONFIG), else
the `--diff-base` ref's (`compliance.app.gaterun`: the pull request does not choose its own gate), else the
repository's. `Settings.config_origin` says which, `Settings.ignored_config` names the repository's when
it did not govern; `compliance.governance.gatesettings` judges what in the result weakens the gate.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import field, replace
from datetime import date, datetime, timezone
from enum import Enum
from fnmatch import fnmatchcase
from typing import Any

from compliance.engine.options import Option, RuleOptions
from compliance.engine.registry import did_you_mean
from compliance.errors import UsageError
from compliance.load.files import inside, read_regular
from compliance.load.globs import path_matches
from compliance.model import format_path
from compliance.model.findings import Finding, Location, Severity
from compliance.records import record
from compliance.yaml import Path

CONFIG_NAME = ".compliance.yaml"
MAX_CONFIG_BYTES = 1024 * 1024  # a config file is a few lines; a bigger one is not ours to read
PYPROJECT_NAME = "pyproject.toml"


class FailOn(str, Enum):
    """The lowest severity that fails a run (`fail-on`, `--fail-on`); `never`: no finding fails it."""

    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


FAIL_ON = tuple(level.value for level in FailOn)
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "compliance project configuration",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "select": _STRINGS,
        "ignore": _STRINGS,
        "severity": {"type": "object", "additionalProperties": {"enum": ["error", "warning", "info"]}},
        "fail-on": {"enum": list(FAIL_ON)},
        "exclude": _STRINGS,
        # NAME: VALUE for every cluster, or CLUSTER: {NAME: VALUE} for that cluster only
        "variables": {
            "type": "object",
            "additionalProperties": {
                "type": ["string", "number", "boolean", "object"],
                "additionalProperties": {"type": ["string", "number", "boolean"]},  # (a mapping's)
            },
        },
        "flux-strict": {"type": "boolean"},
        # rendering: dependency archives (relative to the config file); fetching them (a pinned config only)
        "chart-cache": {"type": "string", "minLength": 1},
        "fetch-dependencies": {"type": "boolean"},
        "options": {"type": "object"},  # the declared options' schemas: `config_schema`
        "policies": _STRINGS,  # declarative policy files or folders, relative to the config file
        "exceptions": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["rule", "reason"],
                "properties": {
                    "rule": {"type": "string", "minLength": 1},
                    "blueprint": {"type": "string", "minLength": 1},
                    "cluster": {"type": "string", "minLength": 1},
                    "path": {"type": "string", "minLength": 1},
                    "reason": {"type": "string", "pattern": r"\S"},
                    "until": {"type": "string", "pattern": DATE_PATTERN},
                    "owner": {"type": "string", "minLength": 1},
                    "approver": {"type": "string", "minLength": 1},
                },
            },
        },
    },
}

DEFAULT = "default"
COMMAND_LINE = "command line"
CONFIG_ENV = "COMPLIANCE_CONFIG"  # a trusted config pinned from outside the repository (CI)


class ConfigError(UsageError):
    """A config file, or a setting in it, that cannot be used (exit 2)."""


def utc_today() -> date:
    return datetime.now(timezone.utc).date()


def parse_date(text: str, what: str) -> date:
    """A YYYY-MM-DD date, or a ConfigError that says what was wrong with `what`."""
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ConfigError(f"{what}: {text!r} is not a date (expected YYYY-MM-DD)")


@record
class ConfigException:
    """A central exception (`exceptions:` in the config) for findings in files that cannot carry comments."""

    rule: str
    reason: str
    location: Location  # where it stands in the config file
    blueprint: str | None = None  # globs; None matches anything
    cluster: str | None = None
    path: str | None = None
    until: date | None = None
    owner: str | None = None
    approver: str | None = None  # who accepted the risk, when not the owner

    def matches(self, finding: Finding) -> bool:
        return (
            finding.rule == self.rule
            and (self.blueprint is None or fnmatchcase(finding.blueprint or "", self.blueprint))
            and (self.cluster is None or fnmatchcase(finding.cluster or "", self.cluster))
            and (self.path is None or path_matches(finding.location.path, self.path))
        )


@record
class Overrides:
    """What the command line says; None (or empty) means "not given", so the config or default applies."""

    config: str | None = None
    config_origin: str = "--config"  # who pinned `config`: "--config" or the COMPLIANCE_CONFIG variable
    governing: BaseConfig | None = None  # --diff-base: the base ref's config governs (`compliance.app.gaterun`)
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    fail_on: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)
    cluster_variables: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # `--var CLUSTER:NAME=VALUE`
    inline_suppressions: bool | None = None
    today: date | None = None
    options: Mapping[str, Any] = field(default_factory=dict)  # rule options given on the command line
    chart_cache: str | None = None  # `--chart-cache DIR`
    fetch_dependencies: bool | None = None  # `--fetch-dependencies`


@record
class Settings:
    """The effective configuration of one lint run."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    fail_on: str = "error"
    exclude: tuple[str, ...] = ()
    policies: tuple[str, ...] = ()  # declarative policy files or folders, as the config file lists them
    variables: Mapping[str, str] = field(default_factory=dict)
    # one cluster's own variables (config `variables: {CLUSTER: {NAME: VALUE}}`, `--var CLUSTER:NAME=VALUE`),
    # over `variables` for that cluster
    cluster_variables: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # Flux's StrictPostBuildSubstitutions (on by default from Flux v2.9): a variable no source defines is
    # an error; false: the empty string (Flux up to v2.8)
    flux_strict: bool = True
    rule_options: RuleOptions = field(default_factory=RuleOptions)
    exceptions: tuple[ConfigException, ...] = ()
    inline_suppressions: bool = True
    today: date = field(default_factory=utc_today)
    config_file: str | None = None  # the file read, as found (None: no config)
    sources: Mapping[str, str] = field(default_factory=dict)  # setting (`variables.NAME`...) -> where from
    config_origin: str = "repository"  # what chose the config: repository, --config, COMPLIANCE_CONFIG, base REF
    ignored_config: str | None = None  # the repository's own config when something else governs the run
    chart_cache: str | None = None  # dependency archives for rendering (`chart_cache_setting`)
    fetch_dependencies: bool = False  # fetch the dependencies nothing provides (network; a pinned config only)

    def variables_in(self, cluster: str) -> dict[str, str]:
        """The run's variables as `cluster` gets them: its own over the others (as `lint` applies them)."""
        return {**self.variables, **self.cluster_variables.get(cluster, {})}

    def variable_source(self, cluster: str, name: str) -> str:
        """Where `name`'s value in `cluster` was given: the config file and line, or the command line."""
        if name in self.cluster_variables.get(cluster, {}):
            return self.sources.get(f"variables.{cluster}.{name}", "--var")
        return self.sources.get(f"variables.{name}", "--var")

    def excluded(self, root: str) -> tuple[str, ...]:
        """The `exclude` globs, plus the config files under the root (they are not input), read or ignored."""
        files = (
            (self.ignored_config,)
            if self.config_origin.startswith("base ")
            else (self.config_file, self.ignored_config)
        )
        found = []
        for file in files:
            if file is None:
                continue
            rel = os.path.relpath(os.path.abspath(file), os.path.abspath(root))
            if not rel.startswith(os.pardir) and not os.path.isabs(rel):
                found.append(rel.replace(os.sep, "/"))
        return (*self.exclude, *found)


# --------------------------------------------------------------------------------------------
# Reading the file
# --------------------------------------------------------------------------------------------


@record
class ConfigFile:
    path: str  # as found or given
    data: Mapping[str, Any]
    positions: Mapping[Path, tuple[int, int]]  # (line, column) by path; TOML: best effort
    text: str = ""
    location_path: str | None = None  # the root-relative path findings name (a base ref's config: as in the PR)

    def mark(self, path: Path) -> tuple[int, int]:
        """(line, column) of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            mark = self.positions.get(path[:end])
            if mark is not None:
                return mark
        return (1, 1)

    def where(self, path: Path) -> str:
        line, column = self.mark(path)
        return f"{self.path}:{line}:{column}"

    def where_key(self, path: Path) -> str:
        """Where the key that ends `path` is written (a scalar's position is its value's)."""
        line, column = self.mark(path)
        lines = self.text.splitlines()
        if path and isinstance(path[-1], str) and path in self.positions and 0 < line <= len(lines):
            found = lines[line - 1].find(path[-1])
            if 0 <= found < column - 1:
                column = found + 1
        return f"{self.path}:{line}:{column}"


@record
class BaseConfig:
    """The configuration at the `--diff-base` ref, which governs both trees (None: the base had none)."""

    ref: str
    config: ConfigFile | None


def find_config(root: str, explicit: str | None = None, origin: str = "--config") -> str | None:
    """`--config FILE`, else `.compliance.yaml` at the root, else a pyproject.toml with `[tool.compliance]`."""
    if explicit is not None:
        if not os.path.isfile(explicit):
            named = f"{origin}={explicit}" if origin == CONFIG_ENV else f"{origin} {explicit}"
            raise ConfigError(f"{named}: no such file")
        return explicit
    directory = root if os.path.isdir(root) else os.path.dirname(os.path.abspath(root))
    # found in the linted tree, so untrusted: only a regular file that stays inside the root counts
    real_root = os.path.realpath(directory)
    candidate = os.path.join(directory, CONFIG_NAME)
    if os.path.isfile(candidate) and inside(candidate, real_root):
        return candidate
    pyproject = os.path.join(directory, PYPROJECT_NAME)
    if os.path.isfile(pyproject) and inside(pyproject, real_root):
        import re

        try:
            text = read_regular(pyproject, MAX_CONFIG_BYTES)
        except OSError:
            return None
        if re.search(rb"^\s*\[\[?\s*tool\.compliance(?![\w-])", text, re.MULTILINE):
            return pyproject
    return None


def config_schema(options: Sequence[Option] | None) -> dict[str, Any]:
    """`SCHEMA` with the `options:` section the declared `options` allow (None: any mapping)."""
    if options is None:
        return SCHEMA
    section = {
        "type": "object",
        "additionalProperties": False,
        "properties": {option.name: dict(option.schema) for option in options},
    }
    return {**SCHEMA, "properties": {**SCHEMA["properties"], "options": section}}


def read_config(path: str, options: Sequence[Option] | None = None) -> ConfigFile:
    """Parse and validate a config file (YAML, or TOML's `[tool.compliance]` table); `options` are the
    declared rule options (None: not known, the `options:` values are not checked)."""
    config = _parse(path)
    _validate(config, config_schema(options))
    return config


def _parse(path: str) -> ConfigFile:
    try:
        data = read_regular(path, MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes; not a config file")
    return _read_toml(path, data) if path.endswith(".toml") else _read_yaml(path, data)


def _read_yaml(path: str, data: bytes) -> ConfigFile:
    from compliance.yaml import load_yaml

    loaded = load_yaml(data)
    for problem in loaded.problems:
        if problem.code in ("YML000", "YML002", "YML003"):
            raise ConfigError(f"{path}:{problem.line}:{problem.column}: {problem.message}")
    if len(loaded.documents) > 1:
        raise ConfigError(f"{path}: expected one YAML document, found {len(loaded.documents)}")
    document = loaded.documents[0] if loaded.documents else None
    value = document.value if document is not None else None
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise ConfigError(f"{path}:1:1: the configuration must be a mapping of settings (select:, ignore:, ...)")
    positions = {p: (m.line, m.column) for p, m in document.positions.items()} if document is not None else {}
    return ConfigFile(path, value, positions, data.decode("utf-8", errors="replace"))


def _read_toml(path: str, data: bytes) -> ConfigFile:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    text = data.decode("utf-8", errors="replace")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from None
    table = document.get("tool", {}).get("compliance")
    if table is None:
        raise ConfigError(f"{path}: no [tool.compliance] table")
    return ConfigFile(path, _plain(table), _toml_positions(text, table), text)


def _plain(value: Any) -> Any:
    """TOML dates as the YYYY-MM-DD strings YAML gives."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value.isoformat() if isinstance(value, date) else value


def _toml_positions(text: str, table: Mapping[str, Any]) -> dict[Path, tuple[int, int]]:
    """Best effort: the line of each top-level key of [tool.compliance] (and its sub-tables)."""
    import re

    positions: dict[Path, tuple[int, int]] = {}
    section = ""
    exceptions = -1
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"\s*\[\[?\s*([^\]]+?)\s*\]\]?", line)
        if header:
            section = header.group(1).replace('"', "")
            if section == "tool.compliance":
                positions.setdefault((), (number, 1))
            elif section.startswith("tool.compliance."):
                key = section.removeprefix("tool.compliance.")
                if line.lstrip().startswith("[[") and key == "exceptions":
                    exceptions += 1
                    positions[(key, exceptions)] = (number, 1)
                else:
                    positions.setdefault((key,), (number, 1))
            continue
        assignment = re.match(r"(\s*)\"?([A-Za-z0-9_-]+)\"?\s*=", line)
        if assignment is None:
            continue
        key, column = assignment.group(2), len(assignment.group(1)) + 1
        if section == "tool.compliance" and key in table:
            positions.setdefault((key,), (number, column))
        elif section == "tool.compliance.exceptions" and exceptions >= 0:
            positions.setdefault(("exceptions", exceptions, key), (number, column))
        elif section.startswith("tool.compliance."):
            positions.setdefault((section.removeprefix("tool.compliance."), key), (number, column))
    return positions


def _validate(config: ConfigFile, schema: Mapping[str, Any]) -> None:
    import re

    from compliance.schema.check import fast_validator

    validator: Any = fast_validator(schema)
    if validator is None:  # the schema grew beyond the fast subset
        from jsonschema import Draft202012Validator

        validator = Draft202012Validator(schema)
    problems: list[tuple[tuple[int, int], str]] = []
    for error in validator.iter_errors(config.data):
        path = tuple(error.absolute_path)
        for at, message in _explain(error, path, schema):
            problems.append((config.mark(at), f"{config.where_key(at)}: {format_path(at) or 'config'}: {message}"))
    for index, entry in enumerate(config.data.get("exceptions") or ()):
        until = entry.get("until") if isinstance(entry, dict) else None
        if isinstance(until, str) and re.match(DATE_PATTERN, until):
            at = ("exceptions", index, "until")
            try:
                parse_date(until, "")
            except ConfigError:
                message = f"{config.where_key(at)}: {format_path(at)}: {until!r} is not a date"
                problems.append((config.mark(at), message))
    if problems:
        raise ConfigError("\n".join(message for _, message in sorted(set(problems))))


def _explain(error: Any, path: Path, schema: Mapping[str, Any]) -> list[tuple[Path, str]]:
    """jsonschema's messages, made specific: the unknown key itself, the expected date format."""
    if error.validator == "additionalProperties":
        known = sorted(_properties_at(path, schema))
        extras = [key for key in error.instance if key not in known]
        hint = f" (expected one of: {', '.join(known)})" if known else ""
        return [((*path, key), f"unknown key {key!r}{hint}") for key in extras]
    if error.validator == "pattern" and error.validator_value == DATE_PATTERN:
        return [(path, f"{error.instance!r} is not a date (expected YYYY-MM-DD)")]
    if error.validator in ("minLength", "pattern"):  # the only other pattern: a reason that is not blank
        return [(path, "must not be empty")]
    return [(path, error.message)]


def _properties_at(path: Path, schema: Mapping[str, Any]) -> dict[str, Any]:
    """The `properties` of the schema node that describes `path`."""
    node: Any = schema
    for step in path:
        node = node.get("items", {}) if isinstance(step, int) else node.get("properties", {}).get(step, {})
    return node.get("properties", {})


# --------------------------------------------------------------------------------------------
# Settings: the file under the command line
# --------------------------------------------------------------------------------------------


def configured_policies(root: str, overrides: Overrides = Overrides()) -> tuple[str, ...]:
    """The `policies:` of the config that governs `root` (`load_settings`' choice, read before the rules are
    known: the policies are rules), each relative to that config file's folder."""
    if overrides.config is not None:
        path = find_config(root, overrides.config, overrides.config_origin)
    elif overrides.governing is not None:
        config = overrides.governing.config
        path = config.path if config is not None else None
    else:
        path = find_config(root)
    if path is None:
        return ()
    # parsed, not validated: `load_settings` validates the whole file once the rules are known
    config = _parse(path) if overrides.governing is None else overrides.governing.config
    listed = config.data.get("policies") if config is not None else None
    folder = os.path.dirname(os.path.abspath(path))
    items = listed if isinstance(listed, list) else []  # anything else: load_settings says what is wrong
    return tuple(os.path.join(folder, item) for item in items if isinstance(item, str) and item)


def load_settings(
    root: str,
    overrides: Overrides = Overrides(),
    rule_ids: Collection[str] = (),
    options: Sequence[Option] | None = None,
) -> Settings:
    """The effective settings for linting `root`; `rule_ids` (every loaded rule) checks ids in the file,
    `options` (what the loaded rules declare) the `options:` section.

    A pinned config (`--config`, COMPLIANCE_CONFIG) wins, then the base ref's (`--diff-base`), then the
    repository's own; when one of the first two governs, the repository's is not read, only named.
    """
    if overrides.config is not None:
        path = find_config(root, overrides.config, overrides.config_origin)
        config = read_config(path, options) if path is not None else None
        origin, ignored = overrides.config_origin, find_config(root)
    elif overrides.governing is not None:
        config, ignored = overrides.governing.config, find_config(root)
        origin = f"base {overrides.governing.ref}"
    else:
        path = find_config(root)
        config = read_config(path, options) if path is not None else None
        origin, ignored = "repository" if path is not None else "none", None
    settings = resolve(root, config, overrides, rule_ids, options)
    pinned = overrides.config is not None  # --config / COMPLIANCE_CONFIG: chosen outside the repository
    settings = _rendering(root, settings, config, overrides, pinned)
    return replace(settings, config_origin=origin, ignored_config=ignored)


def _rendering(
    root: str, settings: Settings, config: ConfigFile | None, overrides: Overrides, pinned: bool
) -> Settings:
    """`chart-cache` and `fetch-dependencies`. A config the repository supplies (its own, or the --diff-base
    ref's) is repository content: its `chart-cache` must stay inside the linted root (it cannot make us read
    elsewhere), and it cannot turn on network fetches (the pull request would choose the URLs we contact)."""
    sources = dict(settings.sources)
    data: Mapping[str, Any] = config.data if config is not None else {}
    cache: str | None = overrides.chart_cache
    sources["chart-cache"] = COMMAND_LINE if cache is not None else DEFAULT
    if cache is None and config is not None and isinstance(data.get("chart-cache"), str):
        folder = os.path.dirname(os.path.abspath(config.path))
        cache = os.path.normpath(os.path.join(folder, data["chart-cache"]))
        where = config.where_key(("chart-cache",))
        sources["chart-cache"] = where
        base = root if os.path.isdir(root) else os.path.dirname(os.path.abspath(root))
        if not pinned and not inside(cache, os.path.realpath(base)):
            raise ConfigError(
                f"{where}: chart-cache: {data['chart-cache']!r} is outside the linted repository; a config the "
                "repository supplies may only name a folder inside it (give --chart-cache DIR or --config FILE)"
            )
        if not os.path.isdir(cache):
            raise ConfigError(f"{where}: chart-cache: not a directory: {cache}")
    fetch = overrides.fetch_dependencies
    sources["fetch-dependencies"] = COMMAND_LINE if fetch is not None else DEFAULT
    if fetch is None and config is not None and "fetch-dependencies" in data:
        where = config.where_key(("fetch-dependencies",))
        if not pinned and data["fetch-dependencies"]:
            raise ConfigError(
                f"{where}: fetch-dependencies: a config the repository supplies cannot turn on network fetches "
                "(give --fetch-dependencies, or set it in a config pinned with --config or COMPLIANCE_CONFIG)"
            )
        fetch, sources["fetch-dependencies"] = bool(data["fetch-dependencies"]), where
    return replace(settings, chart_cache=cache, fetch_dependencies=bool(fetch), sources=sources)


def resolve(
    root: str,
    config: ConfigFile | None,
    overrides: Overrides,
    rule_ids: Collection[str],
    options: Sequence[Option] | None = None,
) -> Settings:
    data: Mapping[str, Any] = config.data if config is not None else {}
    sources: dict[str, str] = {}

    def origin(key: str, given: Any, path: Path | None = None) -> Any:
        """The command line's value if given, else the file's, else None (the caller's default)."""
        if given is not None:
            sources[key] = COMMAND_LINE
            return given
        if config is not None and key in data:
            sources[key] = config.where_key(path or (key,))
            return data[key]
        sources[key] = DEFAULT
        return None

    def checked_ids(key: str, names: Any) -> tuple[str, ...]:
        names = tuple(names or ())
        if sources[key] not in (DEFAULT, COMMAND_LINE) and rule_ids and config is not None:
            for index, name in enumerate(names):
                if not any(rule_id.startswith(name.upper()) for rule_id in rule_ids):
                    hint = did_you_mean(name, rule_ids, prefixes=True)
                    raise ConfigError(
                        f"{config.where_key((key, index))}: {key}: unknown rule id or prefix {name!r}{hint}"
                    )
        return names

    select = checked_ids("select", origin("select", overrides.select))
    ignore = checked_ids("ignore", origin("ignore", overrides.ignore))
    fail_on = origin("fail-on", overrides.fail_on) or "error"
    exclude = tuple(origin("exclude", None) or ())
    policies = tuple(origin("policies", None) or ())  # loaded before the rules: `configured_policies`
    flux_strict = origin("flux-strict", None) is not False

    severity: dict[str, Severity] = {}
    for rule_id, level in (data.get("severity") or {}).items():
        assert config is not None
        if rule_ids and rule_id.upper() not in rule_ids:
            hint = did_you_mean(rule_id, rule_ids)
            raise ConfigError(f"{config.where_key(('severity', rule_id))}: severity: unknown rule id {rule_id!r}{hint}")
        severity[rule_id.upper()] = Severity(level)
        sources[f"severity.{rule_id.upper()}"] = config.where_key(("severity", rule_id))

    variables, cluster_variables = _variables(config, overrides, sources)

    declared = {option.name: option for option in options or ()}
    option_values: dict[str, Any] = {}
    for key, value in (data.get("options") or {}).items():
        assert config is not None
        option = declared.get(key)
        option_values[key] = option.convert(value) if option is not None else _undeclared(value)
        sources[f"options.{key}"] = config.where_key(("options", key))
    for key, value in overrides.options.items():  # `--allow-empty` and the like
        option_values[key] = value
        sources[f"options.{key}"] = COMMAND_LINE
    for key in declared:
        sources.setdefault(f"options.{key}", DEFAULT)

    exceptions = tuple(_exceptions(root, config)) if config is not None else ()
    sources["exceptions"] = config.where_key(("exceptions",)) if config is not None and exceptions else DEFAULT
    inline = overrides.inline_suppressions is not False
    sources["inline-suppressions"] = COMMAND_LINE if overrides.inline_suppressions is not None else DEFAULT
    sources["today"] = COMMAND_LINE if overrides.today is not None else "default (today's date, UTC)"
    return Settings(
        select=select,
        ignore=ignore,
        severity=severity,
        fail_on=fail_on,
        exclude=exclude,
        policies=policies,
        variables=variables,
        cluster_variables=cluster_variables,
        flux_strict=flux_strict,
        rule_options=RuleOptions(option_values, tuple(declared.values())),
        exceptions=exceptions,
        inline_suppressions=inline,
        today=overrides.today or utc_today(),
        config_file=config.path if config is not None else None,
        sources=sources,
    )


def _undeclared(value: Any) -> Any:
    """An option no loaded rule declares (settings resolved without a registry): lists become tuples."""
    return tuple(value) if isinstance(value, list) else value


def _variables(
    config: ConfigFile | None, overrides: Overrides, sources: dict[str, str]
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(every cluster's, each cluster's own) Flux variables: the config's, then the command line's over them."""
    variables: dict[str, str] = {}
    clusters: dict[str, dict[str, str]] = {}
    data = config.data if config is not None else {}
    for name, value in (data.get("variables") or {}).items():
        assert config is not None
        if isinstance(value, dict):  # a cluster's own
            for key, item in value.items():
                clusters.setdefault(name, {})[key] = _variable_text(item)
                sources[f"variables.{name}.{key}"] = config.where_key(("variables", name, key))
        else:
            variables[name] = _variable_text(value)
            sources[f"variables.{name}"] = config.where_key(("variables", name))
    for name, value in overrides.variables.items():
        variables[name] = value
        sources[f"variables.{name}"] = COMMAND_LINE
    for cluster, given in overrides.cluster_variables.items():
        for name, value in given.items():
            clusters.setdefault(cluster, {})[name] = value
            sources[f"variables.{cluster}.{name}"] = COMMAND_LINE
    return variables, clusters


def _variable_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _exceptions(root: str, config: ConfigFile) -> list[ConfigException]:
    base = root if os.path.isdir(root) else os.path.dirname(os.path.abspath(root))
    rel = config.location_path or os.path.relpath(os.path.abspath(config.path), os.path.abspath(base))
    rel = rel.replace(os.sep, "/")
    found: list[ConfigException] = []
    for index, entry in enumerate(config.data.get("exceptions") or ()):
        line, column = config.mark(("exceptions", index))
        until = entry.get("until")
        found.append(
            ConfigException(
                rule=entry["rule"].strip().upper(),
                reason=entry["reason"],
                location=Location(rel, line, column),
                blueprint=entry.get("blueprint"),
                cluster=entry.get("cluster"),
                path=entry.get("path"),
                until=parse_date(until, config.where(("exceptions", index, "until"))) if until else None,
                owner=entry.get("owner"),
                approver=entry.get("approver"),
            )
        )
    return found
