"""`--diff-base REF` with the base's configuration governing, and the gate report every output carries.

The pull request must not choose the settings that judge it: by default (`--config-from base`) the
configuration at REF governs the linting of both trees, the pull request's own config is only read
to compare (GATE001, `compliance.governance.gatesettings.changes`). A pinned config (`--config FILE`,
COMPLIANCE_CONFIG) governs both trees and makes the repository's config irrelevant, so it is not compared.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from compliance.app.api import LintRun
from compliance.engine.options import Option
from compliance.engine.registry import RuleSpec, declared_options
from compliance.governance.gatesettings import GateSettings, Weakening, assess, changes
from compliance.model.findings import Finding
from compliance.records import record
from compliance.settings.config import (
    CONFIG_NAME,
    BaseConfig,
    ConfigError,
    ConfigFile,
    Overrides,
    find_config,
    read_config,
    resolve,
)

if TYPE_CHECKING:  # imported where used: a lint without --diff-base never compares
    from compliance.governance.comparison import Comparison

CONFIG_FROM = ("base", "head")


@record
class BaseRun:
    run: LintRun  # the pull request's tree, under the governing settings
    comparison: Comparison
    gate: tuple[Finding, ...]  # GATE001: the pull request's changes to the config


def _folder(path: str) -> str:
    return path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))


def _relative(file: str, root: str) -> str:
    return os.path.relpath(os.path.abspath(file), os.path.abspath(_folder(root))).replace(os.sep, "/")


def read_base_config(base_path: str | None, ref: str, options: Sequence[Option] | None = None) -> ConfigFile | None:
    """The config of the base tree, named `REF:path` (its temporary checkout is no name for a reader)."""
    found = find_config(base_path) if base_path is not None else None
    if base_path is None or found is None:
        return None
    rel = _relative(found, base_path)
    try:
        config = read_config(found, options)
    except ConfigError as error:
        raise ConfigError(str(error).replace(found, f"{ref}:{rel}")) from None
    return replace(config, path=f"{ref}:{rel}", location_path=rel)


def read_head_config(root: str, options: Sequence[Option] | None = None) -> ConfigFile | None:
    found = find_config(root)
    if found is None:
        return None
    return replace(read_config(found, options), location_path=_relative(found, root))


def gate_changes(root: str, base: ConfigFile | None, specs: Collection[RuleSpec]) -> list[Finding]:
    """GATE001 for each change the pull request (the tree at `root`) makes to the base's config."""
    options = declared_options(specs)
    head = read_head_config(root, options)
    rule_ids = {spec.id for spec in specs}
    before = resolve(root, base, Overrides(), rule_ids, options)
    after = resolve(root, head, Overrides(), rule_ids, options)
    shown = head or base
    path = shown.location_path if shown is not None and shown.location_path else CONFIG_NAME
    return changes(before, after, head, path, specs)


def lint_against_base(
    root: str,
    ref: str,
    options: Overrides,
    config_from: str,
    lint: Callable[[str, Overrides], LintRun],
    specs: Collection[RuleSpec],
) -> BaseRun:
    """Lint `root` and `root` as of `ref` under one configuration, and judge the config's changes."""
    from compliance.governance.comparison import compare, diff_base
    from compliance.governance.diffbase import checkout_base

    pinned = options.config is not None
    with checkout_base(root, ref) as base:
        base_config = read_base_config(base.path, ref, declared_options(specs))
        if not pinned and config_from == "base":
            options = replace(options, governing=BaseConfig(ref, base_config))
        run = lint(root, options)
        base_findings = lint(base.path, options).findings if base.path is not None else ()
    gate = () if pinned else tuple(gate_changes(root, base_config, specs))
    return BaseRun(run, compare(run.findings, base_findings, diff_base(ref, base.commit)), gate)


def gate_report(runs: Sequence[LintRun], specs: Collection[RuleSpec], baseline: str | None) -> GateSettings | None:
    """What every output says about the settings: the first root's config, the weakenings of every root."""
    assessed = [assess(run.settings, run.repo.root, specs, baseline) for run in runs if run.settings is not None]
    if not assessed:
        return None
    seen: dict[tuple[str, str, str], Weakening] = {}
    for report in assessed:
        for weakening in report.weakenings:
            seen.setdefault((weakening.setting, weakening.value, weakening.source), weakening)
    return replace(assessed[0], weakenings=tuple(seen.values()))
