"""The programmatic entry point: load rules and a repository, evaluate, return findings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from compliance import registry
from compliance.context import RuleOptions
from compliance.engine import LintOptions, lint, select_rules
from compliance.findings import Finding
from compliance.model import Repository
from compliance.registry import RuleSpec
from compliance.repository import load_repository


@dataclass(frozen=True, slots=True)
class LintRun:
    repo: Repository
    rules: tuple[RuleSpec, ...]
    findings: tuple[Finding, ...]


def load_rules(rule_paths: Iterable[str] = (), entry_points: bool = True) -> list[RuleSpec]:
    """The built-in pack, then `--rules` paths, then installed `compliance.rules` entry points."""
    registry.load_builtin()
    for path in rule_paths:
        registry.load_path(path)
    if entry_points:
        registry.load_entry_points()
    return registry.all_rules()


def lint_path(
    path: str,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    variables: Mapping[str, str] | None = None,
    rule_paths: Iterable[str] = (),
    rule_options: RuleOptions | None = None,
) -> LintRun:
    rules = select_rules(load_rules(rule_paths), tuple(select), tuple(ignore))
    repo = load_repository(path)
    options = LintOptions(tuple(select), tuple(ignore), dict(variables or {}), rule_options or RuleOptions())
    return LintRun(repo, tuple(rules), tuple(lint(repo, rules, options)))
