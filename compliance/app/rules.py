"""`compliance rules` (one line per rule) and `compliance explain ID` (a rule's documentation)."""

from __future__ import annotations

from compliance.app.api import load_rules
from compliance.app.outcome import Outcome, Output
from compliance.engine.registry import did_you_mean, metadata
from compliance.errors import UsageError


def list_rules(rule_paths: tuple[str, ...] = (), output_format: str = "text") -> Outcome:
    """Every rule: id, default severity, family, title, `[fix]` when `compliance fix` repairs it, then the
    controls it evidences (docs/controls.md); `json`: its metadata with its summary and options."""
    specs = load_rules(rule_paths)
    if output_format == "json":
        import json

        rules = [
            {
                **metadata(spec),
                "summary": " ".join(spec.summary.split()),
                "options": [option.name for option in spec.options],
            }
            for spec in specs
        ]
        return Outcome((Output(json.dumps({"rules": rules}, indent=2, ensure_ascii=False) + "\n"),))
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

    registry = load_registry(rule_paths)
    spec = registry.get(rule_id) or registry.get(rule_id.upper())
    if spec is None:
        hint = did_you_mean(rule_id, (s.id for s in registry.rules()))
        raise UsageError(f"unknown rule id: {rule_id}{hint} (see `compliance rules`)")
    fixable = f"fix: {spec.fix} (`compliance fix`)\n" if spec.fix else ""
    text = (  # Markdown: raw when piped, laid out in a terminal (`compliance.cli.emit.markdown_for_terminal`)
        f"# {spec.id}: {spec.title}\n\n"
        f"severity: {spec.severity.value} · family: {spec.family} · scope: {spec.scope.value}"
        f" · provider: {spec.provider}\n\n{fixable}"
        f"controls: {', '.join(spec.controls) or 'none (see docs/controls.md)'}\n\n"
        f"{spec.doc}\n"
    )
    if spec.options:
        text += "\n## Options (`options:` in .compliance.yaml)\n"
        for option in spec.options:
            default = json.dumps(option.shown(option.default), ensure_ascii=False)
            text += f"- `{option.name}` (default {default}; {option.weaker.value} is weaker): {option.doc}\n"
    return Outcome((Output(text),))
