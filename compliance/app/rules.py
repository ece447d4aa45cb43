"""`compliance rules` (one line per rule) and `compliance explain ID` (a rule's documentation)."""

from __future__ import annotations

from compliance.app.api import load_rules
from compliance.app.outcome import Outcome, Output
from compliance.errors import UsageError


def list_rules(rule_paths: tuple[str, ...] = ()) -> Outcome:
    """Every rule: id, default severity, family, title, `[fix]` when `compliance fix` repairs it, then the
    controls it evidences (docs/controls.md)."""
    specs = load_rules(rule_paths)
    width = max((len(s.family) for s in specs), default=6)
    lines = [
        f"{spec.id}  {spec.severity.value:<7}  {spec.family:<{width}}  {spec.title}{'  [fix]' if spec.fix else ''}"
        + (f"  [{', '.join(spec.controls)}]" if spec.controls else "")
        + "\n"
        for spec in specs
    ]
    return Outcome((Output("".join(lines)),))


def explain(rule_id: str, rule_paths: tuple[str, ...] = ()) -> Outcome:
    """What the rule does, why, examples, how to fix; a UsageError for an unknown id."""
    import json

    from compliance.app.api import load_registry

    spec = load_registry(rule_paths).get(rule_id)
    if spec is None:
        raise UsageError(f"unknown rule id: {rule_id} (see `compliance rules`)")
    fixable = f"fix: {spec.fix} (`compliance fix`)\n" if spec.fix else ""
    text = (
        f"{spec.id}: {spec.title}\n"
        f"severity: {spec.severity.value}   family: {spec.family}   scope: {spec.scope.value}\n"
        f"provider: {spec.provider}\n{fixable}"
        f"controls: {', '.join(spec.controls) or 'none (see docs/controls.md)'}\n\n"
        f"{spec.doc}\n"
    )
    if spec.options:
        text += "\n## Options (`options:` in .compliance.yaml)\n"
        for option in spec.options:
            default = json.dumps(option.shown(option.default), ensure_ascii=False)
            text += f"- `{option.name}` (default {default}; {option.weaker.value} is weaker): {option.doc}\n"
    return Outcome((Output(text),))
