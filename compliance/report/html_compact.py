"""The compact parts of the HTML report, which keep it a few printed pages on a real repository: findings that
carry no value trace as one table row each, informational findings as one row per rule, the input inventory
as one row per component folder.

Nothing is dropped: a row says what a finding's card said (rule, severity, where, message, blueprint,
fingerprint), an info row lists every location with its message, and an inventory entry keeps each file's
kind, size and full SHA-256 (shown as its first 16 hex digits; the rest is the entry's title, and the
evidence bundle's `inputs.sha256` lists them all). Pure, like `compliance.report.html`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from compliance.report.html_text import escape, path, plural, severity_badge

if TYPE_CHECKING:
    from compliance.engine.registry import RuleSpec
    from compliance.model import InputFile
    from compliance.model.findings import Finding

SHORT_DIGEST = 16  # hex digits of a file's SHA-256 printed in the inventory (64 bits)


def _rule_link(rule: str) -> str:
    return f'<a class="rule-id" href="#rule-{escape(rule)}">{escape(rule)}</a>'


def _by_rule(findings: Sequence[Finding]) -> dict[str, list[Finding]]:
    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule, []).append(f)
    return by_rule


def finding_rows(findings: Sequence[Finding], specs: Mapping[str, RuleSpec]) -> str:
    """Findings with no value trace (the location is the whole evidence): under a line naming their rule once,
    one row each with its severity, place, message, blueprint and fingerprint."""
    if not findings:
        return ""
    rows = []
    for rule, found in _by_rule(findings).items():
        title = escape(specs[rule].title) if rule in specs else ""
        rows.append(
            f'<tr class="rule-head"><th colspan="3" scope="rowgroup">{_rule_link(rule)} {title} '
            f'<span class="h-count">{plural(len(found), "finding")}</span></th></tr>'
        )
        rows += [
            f'<tr class="sev-{f.severity.value}"><td>{severity_badge(f.severity)} {path(str(f.location))}</td>'
            f"<td>{escape(f.message)}</td><td>"
            + (f"{escape(f.blueprint)}<br>" if f.blueprint else "")
            + f'<span class="fingerprint" title="fingerprint">{escape(f.fingerprint)}</span></td></tr>'
            for f in found
        ]
    return (
        '<table class="finding-rows"><thead><tr><th scope="col">Where</th><th scope="col">Finding</th>'
        f'<th scope="col">Blueprint, fingerprint</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def info_table(findings: Sequence[Finding], specs: Mapping[str, RuleSpec]) -> str:
    """Informational findings, one row per rule: its title, how many, and every location with its message."""
    if not findings:
        return ""
    rows = []
    for rule, found in _by_rule(findings).items():
        title = escape(specs[rule].title) if rule in specs else ""
        places = "".join(f"<li>{path(str(f.location))} {escape(f.message)}</li>" for f in found)
        rows.append(
            f"<tr><td>{_rule_link(rule)}</td><td>{title}</td>"
            f'<td class="num">{len(found)}</td><td><ul class="places">{places}</ul></td></tr>'
        )
    return (
        '<table class="infos"><thead><tr><th scope="col">ℹ Info</th><th scope="col">Rule</th>'
        f'<th scope="col" class="num">Findings</th><th scope="col">Where and what</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _folder(file_path: str) -> tuple[str, str]:
    """(component folder, path inside it): `platform/vpa` and `chart/values.yaml`; top-level files in `.`."""
    parts = file_path.split("/")
    if len(parts) == 1:
        return ".", file_path
    depth = 2 if len(parts) > 2 else 1
    return "/".join(parts[:depth]), "/".join(parts[depth:])


def inventory_section(files: Sequence[InputFile]) -> str:
    """Every file the run read, one row per component folder (the first two path segments)."""
    folders: dict[str, list[tuple[str, InputFile]]] = {}
    for f in files:
        folder, name = _folder(f.path)
        folders.setdefault(folder, []).append((name, f))
    rows = []
    for folder, entries in folders.items():
        listed = " ".join(
            f'<span class="entry" title="{escape(f.kind)}, {f.size:,} bytes, sha256:{escape(f.sha256)}">'
            f'{escape(name)} <code class="hash">{escape(f.sha256[:SHORT_DIGEST])}</code></span>'
            for name, f in entries
        )
        rows.append(f'<tr><td>{path(folder + "/")}</td><td class="num">{len(entries)}</td><td>{listed}</td></tr>')
    total = sum(f.size for f in files)
    return (
        '<section id="inventory" class="page"><h2>6. Input inventory</h2>'
        f"<p>{plural(len(files), 'file')} read ({total:,} bytes), paths relative to the repository root, by "
        f"folder. Nothing else was read. Each file is shown with the first {SHORT_DIGEST} hex digits of its "
        "SHA-256 (its kind, size and full digest are the entry's tooltip); the evidence bundle's "
        "<code>inputs.sha256</code> and <code>inputs.json</code> list every full digest, and the scope above "
        "gives the SHA-256 of that list.</p>"
        '<table class="inventory"><thead><tr><th scope="col">Folder</th><th scope="col" class="num">Files</th>'
        f'<th scope="col">Files, SHA-256 (first {SHORT_DIGEST} digits)</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )
