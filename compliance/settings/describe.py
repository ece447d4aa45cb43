"""`compliance config`: the effective configuration as YAML, each setting followed by where it came from."""

from __future__ import annotations

from datetime import date
from typing import Any

from compliance.settings.config import DEFAULT, Settings


def describe(settings: Settings) -> str:
    """The effective configuration as YAML, each setting followed by where it came from."""
    import json

    def show(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    rows: list[tuple[str, str, str]] = [
        ("select", show(list(settings.select)), settings.sources.get("select", DEFAULT)),
        ("ignore", show(list(settings.ignore)), settings.sources.get("ignore", DEFAULT)),
        ("fail-on", settings.fail_on, settings.sources.get("fail-on", DEFAULT)),
        ("exclude", show(list(settings.exclude)), settings.sources.get("exclude", DEFAULT)),
        ("policies", show(list(settings.policies)), settings.sources.get("policies", DEFAULT)),
        ("flux-strict", show(settings.flux_strict), settings.sources.get("flux-strict", DEFAULT)),
        ("chart-cache", show(settings.chart_cache), settings.sources.get("chart-cache", DEFAULT)),
        ("fetch-dependencies", show(settings.fetch_dependencies), settings.sources.get("fetch-dependencies", DEFAULT)),
        ("inline-suppressions", show(settings.inline_suppressions), settings.sources.get("inline-suppressions", "")),
        ("today", settings.today.isoformat(), settings.sources.get("today", "")),
    ]
    lines = [f"# config file: {settings.config_file or 'none (defaults)'}"]
    if settings.config_origin not in ("repository", "none"):
        lines.append(f"# chosen by: {settings.config_origin}")
    if settings.ignored_config is not None:
        lines.append(f"# ignored: {settings.ignored_config} (the repository's config does not govern this run)")
    lines += [f"{key}: {value}  # {source}" for key, value, source in rows]
    lines.append("severity:" + ("" if settings.severity else " {}  # default"))
    lines += [
        f"  {rule_id}: {level.value}  # {settings.sources.get(f'severity.{rule_id}', '')}"
        for rule_id, level in sorted(settings.severity.items())
    ]
    lines.append("variables:" + ("" if settings.variables or settings.cluster_variables else " {}  # default"))
    lines += [
        f"  {name}: {show(value)}  # {settings.sources.get(f'variables.{name}', '')}"
        for name, value in sorted(settings.variables.items())
    ]
    for cluster, given in sorted(settings.cluster_variables.items()):
        lines.append(f"  {show(cluster)}:  # cluster {cluster} only")
        lines += [
            f"    {name}: {show(value)}  # {settings.sources.get(f'variables.{cluster}.{name}', '')}"
            for name, value in sorted(given.items())
        ]
    lines.append("options:")
    options = settings.rule_options
    declared = {option.name: option for option in options.declared}
    for key in [*declared, *(name for name in options.values if name not in declared)]:
        option = declared.get(key)
        value = option.of(options) if option is not None else options.values[key]
        shown = show(option.shown(value) if option is not None else list(value) if isinstance(value, tuple) else value)
        lines.append(f"  {key}: {shown}  # {settings.sources.get(f'options.{key}', DEFAULT)}")
    lines.append("exceptions:" + ("" if settings.exceptions else " []  # default"))
    for entry in settings.exceptions:
        lines.append(f"  - rule: {entry.rule}  # {settings.config_file}:{entry.location.line}:{entry.location.column}")
        for key in ("blueprint", "cluster", "path", "reason", "until", "owner", "approver"):
            value = getattr(entry, key)
            if value is not None:
                lines.append(f"    {key}: {show(value.isoformat() if isinstance(value, date) else value)}")
    return "\n".join(lines) + "\n"
