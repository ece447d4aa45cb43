"""A Markdown summary for `$GITHUB_STEP_SUMMARY` or a pull-request comment.

Counts per severity and cluster, then the findings, most severe first: the first rows open, the rest
folded in `<details>`, and the table cut at a size every comment box accepts (the full list is in the
SARIF or JSON report).
"""

from __future__ import annotations

import re
from collections import Counter

from compliance.model.findings import Finding, Severity
from compliance.report import ReportData, coverage_text, not_run_text, releases_text, scanned_text, summary
from compliance.report.common import SourceRoot, docs_base, rule_doc, source_root

OPEN_ROWS = 20  # findings shown before the rest is folded away
MAX_ROWS = 200  # GitHub comments stop at 65,536 characters; a row is a few hundred
LABEL = {Severity.ERROR: "❌ error", Severity.WARNING: "⚠️ warning", Severity.INFO: "ℹ️ info"}
NO_CLUSTER = "(not cluster-specific)"


# every character that starts markup in GitHub Markdown: emphasis, code, links, HTML, tables, math, mentions
CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
MARKUP = re.compile(r"([\\`*_\[\]<>|&~$@#!])")


def escape_cell(text: str, code: bool = False) -> str:
    """Text shown as it is in a table cell (no HTML, links or emphasis), on one line.

    `code`: as a code span when nothing in it can end the span or the cell early (a back-tick, or a
    backslash before the escaped `|`); otherwise as escaped plain text, which nothing can break out of.
    """
    if code and "`" not in text and "\\" not in text:
        return "`" + " ".join(_visible(text).replace("|", "\\|").split()) + "`"
    return " ".join(_visible(MARKUP.sub(r"\\\1", text)).split())


def _visible(text: str) -> str:
    """Control characters (ESC, BEL, ...) shown as `\\xNN`, never passed to a terminal or log."""
    return CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _counts(findings: tuple[Finding, ...]) -> list[str]:
    clusters = sorted({f.cluster for f in findings}, key=lambda c: (c is None, c or ""))
    by_cluster = Counter((f.cluster, f.severity) for f in findings)
    total = summary(findings)
    lines = ["| | " + " | ".join(s.value for s in Severity) + " |", "|---|" + "---:|" * len(Severity)]
    lines.append("| **all** | " + " | ".join(f"**{total[s.value]}**" for s in Severity) + " |")
    for cluster in clusters:
        name = escape_cell(cluster) if cluster is not None else NO_CLUSTER
        lines.append(f"| {name} | " + " | ".join(str(by_cluster[cluster, s]) for s in Severity) + " |")
    return lines


def _table(findings: list[Finding], root: SourceRoot, links: dict[str, str]) -> list[str]:
    lines = ["| severity | rule | location | cluster | message |", "|---|---|---|---|---|"]
    for f in findings:
        rule = f"[{f.rule}]({links[f.rule]})" if f.rule in links else f.rule
        where = escape_cell(f"{root.path(f.location)}:{f.location.line}", code=True)
        cluster = escape_cell(f.cluster or "")
        lines.append(f"| {LABEL[f.severity]} | {rule} | {where} | {cluster} | {escape_cell(f.message)} |")
    return lines


def render(data: ReportData, color: bool = False) -> str:
    findings = data.findings
    counts = summary(findings)
    head = ", ".join(_plural(counts[s.value], s.value) for s in Severity)
    lines = [f"### compliance: {_plural(len(findings), 'finding')} ({head})", ""]
    lines += [f"Scanned {scanned_text(data)}.", ""]
    if data.repos:
        lines += [f"{escape_cell(releases_text(data))}.", ""]
    lines += [f"{coverage_text(data)}.", ""]
    if data.evaluated:
        failed = {(f.rule, f.blueprint, f.cluster) for f in findings}
        passed = len(data.evaluated - failed)
        lines += [f"{passed} of {_plural(len(data.evaluated), 'check')} passed.", ""]
    if not_run := not_run_text(data):
        lines += [f"**Not run** (not passed): {escape_cell(not_run)}.", ""]
    diff = data.extra.get("diff_base")
    if isinstance(diff, dict):
        ref, commit = escape_cell(str(diff["ref"]), code=True), str(diff["commit"])[:12]
        counted = f"{diff['new']} new, {diff['unchanged']} unchanged (not shown), {diff['fixed']} fixed"
        lines += [f"Only findings new since {ref} ({commit}): {counted}.", ""]
    lines += _gate(data)
    base = docs_base()
    links = {spec.id: link for spec in data.rules if (link := rule_doc(spec, base))}
    root = source_root(data.root)
    if findings:
        lines += [*_counts(findings), ""]
        ordered = sorted(findings, key=lambda f: -f.severity.rank)  # stable: path order within a severity
        lines += [*_table(ordered[:OPEN_ROWS], root, links), ""]
        if folded := ordered[OPEN_ROWS:MAX_ROWS]:
            lines += _folded(_plural(len(folded), "more finding"), _table(folded, root, links))
        if len(ordered) > MAX_ROWS:
            hidden = _plural(len(ordered) - MAX_ROWS, "more finding")
            lines += [f"{hidden} not shown: see the SARIF or JSON report.", ""]
    if data.fixed:
        fixed = _table(list(data.fixed[:MAX_ROWS]), root, links)
        lines += _folded(f"{_plural(len(data.fixed), 'finding')} fixed", fixed)
    lines += _controls(data, links)
    return "\n".join(lines)


def _controls(data: ReportData, links: dict[str, str]) -> list[str]:
    """The control view, folded: control -> result -> the rules that evidence it, each with its result."""
    from compliance.report.controls import control_results

    controls = control_results(data)
    if not controls:
        return []
    mark = {"fail": "❌", "pass": "✅", "not run": "⏸️", "n/a": "➖"}  # the posture matrix's states
    rows: list[str] = []  # a list, not a table: the findings' tables stay the only tables
    for control in controls:
        rules = ", ".join(
            (f"[{r.spec.id}]({links[r.spec.id]})" if r.spec.id in links else r.spec.id) + f" {mark[r.status]}"
            for r in control.rules
        )
        state = "not applicable" if control.status == "n/a" else control.status
        rows.append(f"- {mark[control.status]} {escape_cell(control.control, code=True)} {state}: {rules}")
    failing = sum(1 for c in controls if c.status == "fail")
    return _folded(f"Controls: {_plural(len(controls), 'control')} evidenced, {failing} with a failing rule", rows)


def _folded(summary_text: str, body: list[str]) -> list[str]:
    return [f"<details><summary>{summary_text}</summary>", "", *body, "", "</details>", ""]


def _gate(data: ReportData) -> list[str]:
    """Who chose the configuration, and a list of the settings that weaken the gate, with where each came from."""
    from compliance.governance.gatesettings import GateSettings

    gate = data.extra.get("gate")
    if not isinstance(gate, GateSettings):
        return []
    lines = [f"Configuration: {escape_cell(gate.note)}.", ""] if gate.note else []
    if gate.weakenings:  # a list, not a table: the findings' tables stay the only tables
        lines += [f"**⚠️ {escape_cell(gate.headline)}:**", ""]
        lines += [f"- {escape_cell(w.text)}" for w in gate.weakenings]  # config text: escaped, no code spans
        lines.append("")
    return lines
