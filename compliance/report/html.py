"""The auditor's report: one self-contained HTML page (inline CSS, no script, no external asset).

Pure: `render(data)` turns `ReportData` (with an `AuditScope` under `data.extra["scope"]`) into a string;
it reads no file and asks nothing of git. Every text it writes goes through `html.escape`. Sections, in
reading order: verdict and key figures, posture matrix (clusters x rule families), scope, findings with
their evidence, exceptions with their reasons, the rule catalog with rationale, the input inventory with
SHA-256, how to verify. The compact parts, which keep it a few printed pages, are `compliance.report.html_compact`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import field
from typing import TYPE_CHECKING

from compliance.engine.coverage import NOT_APPLICABLE, NOT_RUN, PASSED
from compliance.model.findings import Finding, Severity, TraceStep
from compliance.records import record
from compliance.report import ReportData, grouped_reasons, not_run_text, releases_text, scanned_text, summary
from compliance.report.html_audit import controls_section, identity_rows, register_table, summary_section
from compliance.report.html_compact import finding_rows, info_table, inventory_section
from compliance.report.html_style import CSS
from compliance.report.html_text import code as _code
from compliance.report.html_text import escape
from compliance.report.html_text import path as _path
from compliance.report.html_text import plural as _plural
from compliance.report.html_text import severity_badge as _severity_badge
from compliance.report.html_text import slug as _slug
from compliance.report.html_text import status_badge as _status_badge

if TYPE_CHECKING:
    from compliance.engine.registry import RuleSpec
    from compliance.evidence.bundle import AuditScope
    from compliance.governance.exceptions import Suppressed
    from compliance.model import InputFile

FAILING = (Severity.ERROR, Severity.WARNING)  # a cell with one of these fails; info alone does not
SEVERITY_MARK = {Severity.ERROR: "✗", Severity.WARNING: "▲", Severity.INFO: "ℹ"}
KIND_LABEL = {
    "values": "chart default",
    "overlay": "cluster overlay",
    "chart": "Chart.yaml",
    "blueprint": "blueprint",
    "dag": "expected DAG",
    "kustomization": "Flux Kustomization",
}
NO_CLUSTER = "Not cluster-specific"
CHANGED_SHOWN = 12  # uncommitted paths listed in the scope; the bundle has them all


# ── the posture matrix ───────────────────────────────────────────────────────


@record
class Cell:
    checks: int  # (rule, blueprint) pairs of this family evaluated for this cluster
    failed: int  # of those, how many produced an error or warning
    counts: dict[Severity, int]
    excepted: int = 0  # findings a governed exception covers (not failing, still shown)
    not_run: dict[str, str] = field(default_factory=dict)  # rule -> why it could not be evaluated here
    not_applicable: dict[str, str] = field(default_factory=dict)  # rule -> what there was none of here

    @property
    def status(self) -> str:
        """fail, pass (applied, nothing failed), not run (could not be evaluated), n/a (nothing to check)."""
        if self.failed:
            return "fail"
        if self.checks:
            return "pass"
        return "not run" if self.not_run else "n/a"


@record
class Posture:
    families: tuple[str, ...]
    rows: tuple[tuple[str | None, tuple[Cell, ...]], ...]  # cluster (None: not cluster-specific), one cell per family


def _applied_nowhere(
    skipped: dict[str, dict[str, str]], state: str, applied: set[tuple[str, str | None]]
) -> dict[str, str]:
    """The rules skipped in `state` that were applied to nothing else in the same cell, with the reason."""
    ran = {rule for rule, _ in applied}
    return {rule: why for rule, why in sorted(skipped.get(state, {}).items()) if rule not in ran}


def _cluster_order(name: str | None) -> tuple[int, str]:
    return (1, "") if name is None else (0, name)


def posture(data: ReportData) -> Posture:
    """Clusters x rule families from the checks that ran (`data.evaluated`) and the findings."""
    family_of = {spec.id: spec.family for spec in data.rules}
    families = tuple(sorted(set(family_of.values())))
    checks: dict[tuple[str | None, str], set[tuple[str, str | None]]] = {}
    failed: dict[tuple[str | None, str], set[tuple[str, str | None]]] = {}
    counts: dict[tuple[str | None, str], Counter[Severity]] = {}
    clusters: set[str | None] = {cluster.name for repo in data.repos for cluster in repo.clusters}
    for rule, blueprint, cluster in data.evaluated:
        clusters.add(cluster)
        checks.setdefault((cluster, family_of.get(rule, "other")), set()).add((rule, blueprint))
    for finding in data.findings:
        key = (finding.cluster, family_of.get(finding.rule, "other"))
        clusters.add(finding.cluster)
        checks.setdefault(key, set()).add((finding.rule, finding.blueprint))
        counts.setdefault(key, Counter())[finding.severity] += 1
        if finding.severity in FAILING:
            failed.setdefault(key, set()).add((finding.rule, finding.blueprint))
    excepted: Counter[tuple[str | None, str]] = Counter()
    for suppressed in data.suppressed:
        finding = suppressed.finding
        key = (finding.cluster, family_of.get(finding.rule, "other"))
        clusters.add(finding.cluster)
        checks.setdefault(key, set()).add((finding.rule, finding.blueprint))
        excepted[key] += 1
    skipped: dict[tuple[str | None, str], dict[str, dict[str, str]]] = {}  # key -> state -> rule -> reason
    for (rule, blueprint, cluster), skip in data.skipped.items():
        if (rule, blueprint, cluster) not in data.evaluated:
            clusters.add(cluster)
            key = (cluster, family_of.get(rule, "other"))
            skipped.setdefault(key, {}).setdefault(skip.state, {}).setdefault(rule, skip.reason)
    if any(key[1] not in families for key in (*checks, *skipped)):
        families = (*families, "other")
    rows = tuple(
        (
            cluster,
            tuple(
                Cell(
                    len(checks.get((cluster, family), set())),
                    len(failed.get((cluster, family), ())),
                    dict(counts.get((cluster, family), Counter())),
                    excepted[(cluster, family)],
                    _applied_nowhere(skipped.get((cluster, family), {}), NOT_RUN, checks.get((cluster, family), set())),
                    _applied_nowhere(
                        skipped.get((cluster, family), {}), NOT_APPLICABLE, checks.get((cluster, family), set())
                    ),
                )
                for family in families
            ),
        )
        for cluster in sorted(clusters, key=_cluster_order)
    )
    return Posture(families, rows)


# ── small pieces ─────────────────────────────────────────────────────────────


def _value(value: object) -> str:
    if value is None:
        return '<span class="muted">no scalar value (a mapping, or absent)</span>'
    return f'<code class="value">{escape(json.dumps(value, ensure_ascii=False, default=str))}</code>'


def _severity_counts(counts: dict[Severity, int], order: tuple[Severity, ...] = tuple(Severity)) -> str:
    parts = [_plural(counts[s], s.value) for s in order if counts.get(s)]
    return " · ".join(parts)


def _prose(text: str) -> str:
    """The docstrings' Markdown subset: paragraphs, `inline code` and fenced blocks."""
    out: list[str] = []
    for index, part in enumerate(re.split(r"^```[^\n]*\n?", text, flags=re.MULTILINE)):
        if index % 2:
            out.append(f"<pre>{escape(part.rstrip())}</pre>")
            continue
        for paragraph in re.split(r"\n\s*\n", part.strip()):
            if paragraph.strip():
                words = escape(" ".join(line.strip() for line in paragraph.splitlines()))
                out.append("<p>" + re.sub(r"`([^`]+)`", r"<code>\1</code>", words) + "</p>")
    return "".join(out)


def _inputs(data: ReportData) -> tuple[InputFile, ...]:
    """Every file the run read: the scope's inventory (rendered charts' templates too), else the loader's."""
    scope: AuditScope | None = data.extra.get("scope")  # type: ignore[assignment]
    if scope is not None and scope.inputs:
        return scope.inputs
    return tuple(sorted((f for repo in data.repos for f in repo.files), key=lambda f: f.path))


def _timestamp(scope: AuditScope) -> str:
    return scope.generated_at.strftime("%Y-%m-%d %H:%M:%S UTC")


# ── sections ─────────────────────────────────────────────────────────────────


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _checks(data: ReportData) -> int:
    """Checks that ran: every (rule, blueprint, cluster) evaluated, including those with findings."""
    return len(data.evaluated | {(f.rule, f.blueprint, f.cluster) for f in data.findings})


def _verdict(data: ReportData, table: Posture) -> str:
    counts = summary(data.findings)
    failing = [s for s in FAILING if counts[s.value]]
    checks = _checks(data)
    if failing:
        failed = len({(f.rule, f.blueprint, f.cluster) for f in data.findings if f.severity in FAILING})
        rows = [cluster for cluster, cells in table.rows if any(cell.status == "fail" for cell in cells)]
        clusters = [cluster for cluster in rows if cluster is not None]
        where = [("cluster " if len(clusters) == 1 else "clusters ") + _names(clusters)] if clusters else []
        if None in rows:
            where.append("the checks that are not cluster-specific")
        headline = "Fail: " + " and ".join(_plural(counts[s.value], s.value) for s in failing)
        detail = f"{failed} of {_plural(checks, 'check')} failed, in " + ", and in ".join(where) + "."
        css, mark = "fail", "✗"
    else:
        headline = "Pass: no errors or warnings"
        detail = f"All {_plural(checks, 'check')} passed."
        css, mark = "pass", "✓"
    info = counts[Severity.INFO.value]
    if info:
        detail += f" {_plural(info, 'informational finding')} listed below."
    if not_run := not_run_text(data):
        detail += f" Not run (not passed): {not_run}."
    detail += f" Scanned {scanned_text(data)}."
    if data.repos:
        detail += f" {releases_text(data)}."
    if data.suppressed:
        detail += f" {_plural(len(data.suppressed), 'finding')} excepted, with reasons, in section 4."
    return (
        f'<section class="verdict {css}" aria-label="verdict"><div class="verdict-mark">{mark}</div>'
        f'<div><p class="verdict-head">{escape(headline)}</p><p class="verdict-detail">{escape(detail)}</p></div>'
        "</section>"
    )


def _figures(data: ReportData) -> str:
    counts = summary(data.findings)
    repo = data.repos[0] if data.repos else None
    figures = [
        (counts["error"], "errors", "sev-error"),
        (counts["warning"], "warnings", "sev-warning"),
        (counts["info"], "info", "sev-info"),
        (len(repo.clusters) if repo else 0, "clusters", ""),
        (len(repo.blueprints) if repo else 0, "blueprints", ""),
        (len(data.rules), "rules", ""),
        (_checks(data), "checks run", ""),
        (len(_inputs(data)), "input files", ""),
    ]
    cells = "".join(
        f'<div class="figure {css}"><span class="figure-n">{n}</span>'
        f'<span class="figure-l">{escape(label)}</span></div>'
        for n, label, css in figures
    )
    return f'<div class="figures">{cells}</div>'


def _scope_section(data: ReportData, scope: AuditScope | None) -> str:
    rows: list[tuple[str, str]] = []
    if scope is None:
        rows.append(("Repository", _code(data.root)))
    else:
        git = scope.git
        rows += identity_rows(scope)  # the remote and the CI run; the local root only when neither is known
        rows.append(
            (
                "Path linted",
                _code(scope.shown_path) + (f" — {_code(git.prefix)} in the git work tree" if git.prefix else ""),
            )
        )
        if git.commit:
            commit = _code(git.commit)
            extra = ", ".join(
                x for x in (f"branch {escape(git.branch)}" if git.branch else "", escape(git.commit_date)) if x
            )
            rows.append(("Git commit", commit + (f' <span class="muted">({extra})</span>' if extra else "")))
            if git.dirty is None:
                tree = '<span class="badge st-n-a">? Unknown</span> git status failed'
            elif git.dirty:
                listed = "".join(f"<li>{_code(path)}</li>" for path in git.changed[:CHANGED_SHOWN])
                if len(git.changed) > CHANGED_SHOWN:
                    listed += (
                        f"<li>… and {len(git.changed) - CHANGED_SHOWN} more (all in the bundle's inputs.json)</li>"
                    )
                tree = (
                    f'<span class="badge sev-warning">▲ Dirty</span> {_plural(len(git.changed), "uncommitted change")} '
                    f"under the linted path: the findings describe these files, not the commit."
                    f'<ul class="changed">{listed}</ul>'
                )
            else:
                tree = '<span class="badge st-pass">✓ Clean</span> the linted files are exactly the commit\'s'
            rows.append(("Working tree", tree))
        else:
            rows.append(("Git commit", f'<span class="muted">{escape(git.note or "unknown")}</span>'))
        rows.append(
            ("Generated", f'{escape(_timestamp(scope))} <span class="muted">({escape(scope.time_source)})</span>')
        )
        rows.append(("Tool", f"compliance {escape(scope.tool_version)}"))
        pack = scope.rule_pack
        providers = ", ".join(escape(p) for p in pack.providers) or "none"
        rows.append(
            ("Rule pack", f"{_code('sha256:' + pack.digest)}<br>{_plural(pack.count, 'rule')} from {providers}")
        )
        selection = []
        if scope.select:
            selection.append("only " + ", ".join(_code(s) for s in scope.select))
        if scope.ignore:
            selection.append("ignoring " + ", ".join(_code(s) for s in scope.ignore))
        if scope.rule_paths:
            selection.append("plus rules from " + ", ".join(_code(s) for s in scope.rule_paths))
        rows.append(("Rule selection", "; ".join(selection) or "every rule"))
        variables = ", ".join(_code(v) for v in scope.variables)
        rows.append(
            (
                "Flux variables given",
                (variables + ' <span class="muted">(values not shown)</span>') if variables else "none",
            )
        )
        config = scope.config_file
        if config and config.startswith(scope.root.rstrip("/") + "/"):
            config = config[len(scope.root.rstrip("/")) + 1 :]  # in the repository: no local path
        rows.append(("Configuration", _code(config) if config else "none (built-in defaults)"))
        rows.append(("Helm rendering", escape(scope.renderer)))
        if scope.judged_on:
            rows.append(("Exceptions judged on", escape(scope.judged_on)))
    rows += _gate_rows(data)
    from compliance.evidence.bundle import inputs_digest

    inputs = _inputs(data)
    rows.append(
        (
            "Inputs",
            f"{_plural(len(inputs), 'file')}, together {_code('sha256:' + inputs_digest(inputs))} "
            '<span class="muted">(SHA-256 of the inventory in <code>sha256sum</code> format)</span>',
        )
    )
    body = "".join(f'<tr><th scope="row">{escape(k)}</th><td>{v}</td></tr>' for k, v in rows)
    return f'<section id="scope"><h2>2. Scope</h2><table class="facts">{body}</table></section>'


def _gate_rows(data: ReportData) -> list[tuple[str, str]]:
    """Who chose the configuration and each setting that weakens the gate (`compliance.governance.gatesettings`)."""
    from compliance.governance.gatesettings import GateSettings

    gate = data.extra.get("gate")
    if not isinstance(gate, GateSettings):
        return []
    rows = [("Configuration chosen by", escape(gate.note))] if gate.note else []
    if gate.weakenings:
        items = "".join(
            f"<li>{_code(w.setting)}: {_code(w.value)} — {escape(w.effect)} "
            f'<span class="muted">(from {_code(w.source)})</span></li>'
            for w in gate.weakenings
        )
        badge = f'<span class="badge sev-warning">▲ Weakened</span> {escape(gate.headline)}'
        rows.append(("Gate settings", f'{badge}<ul class="changed">{items}</ul>'))
    else:
        rows.append(("Gate settings", '<span class="badge st-pass">✓ Defaults</span> nothing weakens the gate'))
    return rows


def _posture_section(data: ReportData, table: Posture, cluster_ids: dict[str | None, str]) -> str:
    releases = {cluster.name: len(cluster.releases) for repo in data.repos for cluster in repo.clusters}
    head = "".join(f'<th scope="col"><a href="#family-{_slug(f)}">{escape(f)}</a></th>' for f in table.families)
    rows: list[str] = []
    for cluster, cells in table.rows:
        label = escape(cluster) if cluster is not None else f'<span class="muted">{NO_CLUSTER}</span>'
        if cluster in releases:
            label += f' <span class="row-note">{_plural(releases[cluster], "release")}</span>'
        parts: list[str] = []
        for cell in cells:
            status = cell.status
            details = []
            if status == "fail":
                details.append(f"{cell.failed}/{cell.checks} failed")
            elif status == "pass":
                details.append(_plural(cell.checks, "check"))
            if cell.not_run:
                details.append(f"not run: {grouped_reasons(cell.not_run)}")
            details.append(_severity_counts(cell.counts))
            if cell.excepted:
                details.append(f"{cell.excepted} excepted")
            # what there was none of: on screen here; printed, the summary by rule says it once for the run
            what = grouped_reasons(cell.not_applicable) if status == "n/a" and cell.not_applicable else ""
            parts.append(
                f'<td class="cell st-{_slug(status)}">{_status_badge(status)}'
                + "".join(f' <span class="cell-detail">{escape(d)}</span>' for d in details if d)
                + (f' <span class="cell-detail na-what">{escape(what)}</span>' if what else "")
                + "</td>"
            )
        rows.append(f'<tr><th scope="row"><a href="#{cluster_ids[cluster]}">{label}</a></th>{"".join(parts)}</tr>')
    legend = (
        '<p class="legend">A check is one rule on one blueprint in one cluster; rules about files, blueprints and '
        "the bootstrap DAG are not cluster-specific. "
        f"{_status_badge('fail')} at least one check found an error or warning (<em>failed/run</em>) · "
        f"{_status_badge('pass')} the family's rules applied to something there and ran clean, informational "
        "findings aside · "
        f"{_status_badge('n/a')} nothing there for the family's rules to look at (what is named; printed, in the "
        "summary by rule) · "
        f"{_status_badge('not run')} its rules could not be evaluated there (why is named): not a pass.</p>"
    )
    return (
        '<section id="posture"><h2>1. Posture matrix</h2>'
        f"<p>Clusters × rule families: how each cluster fares on each kind of control.</p>{legend}"
        f'<table class="matrix"><thead><tr><th scope="col">Cluster</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _trace_rows(trace: tuple[TraceStep, ...], kinds: dict[str, str]) -> str:
    rows: list[str] = []
    for step in trace:
        role = "Effective value" if step.role == "set" else escape(step.role.capitalize())
        kind = KIND_LABEL.get(kinds.get(step.location.path, ""), "")
        source = _path(str(step.location)) + (f' <span class="muted">{escape(kind)}</span>' if kind else "")
        rows.append(f"<tr><td>{role}</td><td>{_value(step.value)}</td><td>{source}</td></tr>")
    return "".join(rows)


def _finding(finding: Finding, spec: RuleSpec | None, kinds: dict[str, str]) -> str:
    title = escape(spec.title) if spec else ""
    cluster = escape(finding.cluster) if finding.cluster else f'<span class="muted">{NO_CLUSTER}</span>'
    facts = [
        ("Location", _path(str(finding.location))),
        ("Blueprint", escape(finding.blueprint) if finding.blueprint else '<span class="muted">—</span>'),
        ("Cluster", cluster),
        ("Value path", _code(finding.value_path) if finding.value_path else '<span class="muted">—</span>'),
    ]
    fact_html = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in facts)
    evidence = (
        '<table class="evidence"><thead><tr><th scope="col">Step</th><th scope="col">Value</th>'
        f'<th scope="col">Where</th></tr></thead><tbody>{_trace_rows(finding.trace, kinds)}</tbody></table>'
    )
    return (
        f'<article class="finding sev-{finding.severity.value}">'
        f'<header>{_severity_badge(finding.severity)} <a class="rule-id" href="#rule-{escape(finding.rule)}">'
        f'{escape(finding.rule)}</a> <span class="finding-title">{title}</span>'
        f'<span class="fingerprint" title="fingerprint">{escape(finding.fingerprint)}</span></header>'
        f'<p class="message">{escape(finding.message)}</p>'
        f'<dl class="finding-facts">{fact_html}</dl>{evidence}</article>'
    )


def _findings_section(data: ReportData, table: Posture, cluster_ids: dict[str | None, str]) -> str:
    specs = {spec.id: spec for spec in data.rules}
    kinds = {f.path: f.kind for f in _inputs(data)}
    groups: list[str] = []
    for cluster, _ in table.rows:
        found = [f for f in data.findings if f.cluster == cluster]
        found.sort(key=lambda f: (-f.severity.rank, f.rule, *f.sort_key()))
        name = escape(cluster) if cluster is not None else NO_CLUSTER
        counts = Counter(f.severity for f in found)
        heading = f"Cluster {name}" if cluster is not None else name
        tally = _severity_counts(dict(counts)) or "no findings"
        # a finding with a value trace gets its evidence laid out; one without (its location is the evidence)
        # takes a row, and infos one row per rule
        body = "".join(_finding(f, specs.get(f.rule), kinds) for f in found if f.trace and f.severity in FAILING)
        body += finding_rows([f for f in found if not f.trace and f.severity in FAILING], specs)
        body += info_table([f for f in found if f.severity is Severity.INFO], specs)
        groups.append(
            f'<div class="finding-group" id="{cluster_ids[cluster]}"><h3>{heading} '
            f'<span class="h-count">{escape(tally)}</span></h3>{body}</div>'
        )
    intro = (
        "<p>Grouped by cluster, most severe first. <em>Effective value</em> is what the cluster deploys (chart "
        "defaults coalesced with the overlay as Helm does); <em>Overrode</em> rows are the values it replaced. "
        "A finding with no value trace (its location is the evidence) takes one row; informational findings "
        "take one row per rule, listing every location.</p>"
    )
    return f'<section id="findings" class="page"><h2>3. Findings</h2>{intro}{"".join(groups)}</section>'


def _exception(suppressed: Suppressed) -> str:
    finding, exception = suppressed.finding, suppressed.suppression
    where = _path(str(finding.location)) + (f"<br>cluster {escape(finding.cluster)}" if finding.cluster else "")
    terms = [f"{escape(exception.kind)} exception at {_path(str(exception.location))}"]
    if exception.owner:
        terms.append(f"owner {escape(exception.owner)}")
    terms.append(f"until {exception.until.isoformat()}" if exception.until else "no expiry")
    return (
        f"<tr><td>{_severity_badge(finding.severity)} "
        f'<a class="rule-id" href="#rule-{escape(finding.rule)}">{escape(finding.rule)}</a></td>'
        f"<td>{escape(finding.message)}</td><td>{where}</td>"
        f'<td><p class="reason">{escape(exception.reason)}</p><p class="muted">{" · ".join(terms)}</p></td></tr>'
    )


def _exceptions_section(data: ReportData, scope: AuditScope | None) -> str:
    entries = data.extra.get("register") or ()
    register = register_table(entries, scope.judged_on if scope else "")  # type: ignore[arg-type]
    if not data.suppressed:
        body = "<p>No finding is covered by an exception: every finding above is reported.</p>"
    else:
        rows = "".join(_exception(s) for s in sorted(data.suppressed, key=lambda s: s.finding.sort_key()))
        body = (
            "<p>Findings a governed exception covers: not counted as failures above, never hidden. Each carries "
            "its reason, owner and expiry; an expired one no longer applies.</p>"
            '<table class="exceptions"><thead><tr><th scope="col">Rule</th><th scope="col">Finding</th>'
            '<th scope="col">Where</th><th scope="col">Exception</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
        )
    return f'<section id="exceptions"><h2>4. Exceptions</h2>{body}{register}</section>'


def _catalog_section(data: ReportData) -> str:
    checks = Counter(rule for rule, _, _ in data.evaluated)
    found = Counter(f.rule for f in data.findings)
    excepted = {s.finding.rule for s in data.suppressed}
    failing = Counter(f.rule for f in data.findings if f.severity in FAILING)
    states = data.rule_states()
    families: dict[str, list[RuleSpec]] = {}
    for spec in sorted(data.rules, key=lambda s: s.id):
        families.setdefault(spec.family, []).append(spec)
    parts: list[str] = []
    for family in sorted(families):
        rules: list[str] = []
        quiet_rules: list[str] = []  # no error or warning, no exception: printed as a title line, two columns
        for spec in families[family]:
            sections = spec.sections()
            if found[spec.id]:
                result = f'<span class="badge st-fail">✗ {_plural(found[spec.id], "finding")}</span>'
            elif states[spec.id].state == PASSED:
                result = '<span class="badge st-pass">✓ No findings</span>'
            else:
                state = states[spec.id]
                status = "not run" if state.state == NOT_RUN else "n/a"
                result = f'{_status_badge(status)} <span class="why">{escape(state.reason)}</span>'
            text = "".join(
                f"<div><h5>{escape(label)}</h5>{_prose(sections[key])}</div>"
                for key, label in (
                    ("what it does", "What it checks"),
                    ("why it matters", "Why it matters"),
                    ("how to fix", "How to fix"),
                )
                if sections.get(key)
            ) or _prose(spec.doc or spec.title)
            quiet = not failing[spec.id] and spec.id not in excepted
            (quiet_rules if quiet else rules).append(
                f'<article class="rule{" quiet" if quiet else ""}" id="rule-{escape(spec.id)}">'
                f'<header><span class="rule-id">{escape(spec.id)}</span> '
                f'<span class="rule-title">{escape(spec.title)}</span></header>'
                f'<p class="rule-meta">{_severity_badge(spec.severity)} '
                f'<span class="scope">scope: {escape(spec.scope.value)}</span> '
                f"<span>{_plural(checks[spec.id], 'check')} run</span> {result} "
                f'<span class="muted provider">provider: {escape(spec.provider)}</span></p>'
                f'<div class="rule-text">{text}</div></article>'
            )
        if quiet_rules:
            rules.append(f'<div class="quiet-rules">{"".join(quiet_rules)}</div>')
        parts.append(f'<div id="family-{_slug(family)}"><h3>Family {escape(family)}</h3>{"".join(rules)}</div>')
    intro = (
        "<p>Every rule applied, with what it checks and why. <code>compliance explain ID</code> adds examples. "
        "Printed, the rules with no error or warning and no exception keep their title line only (their result "
        "is in the summary by rule).</p>"
    )
    return f'<section id="catalog" class="page"><h2>5. Rule catalog</h2>{intro}{"".join(parts)}</section>'


def _verify_section(scope: AuditScope | None) -> str:
    from compliance.evidence.bundle import reproduce_command

    command = escape(reproduce_command(scope, "--output report.html")) if scope else "compliance report PATH"
    commit = f" at commit <code>{escape(scope.git.commit[:12])}</code>" if scope and scope.git.commit else ""
    return (
        '<section id="verify"><h2>7. How to verify</h2><ol>'
        f"<li>Check out the repository{commit} and compare the inventory above with <code>sha256sum</code> (each "
        "file's first 16 digits; the full digest is its tooltip), or run <code>sha256sum -c inputs.sha256</code> "
        "at the repository root with the file from the evidence bundle (<code>compliance report --bundle</code>), "
        "whose SHA-256 the scope gives.</li>"
        f"<li>Re-create this report byte for byte: <code>{command}</code> (plus the options of the original run) "
        "with the same tool version and rule pack, at the same path, gives an identical file.</li>"
        "</ol></section>"
    )


def render(data: ReportData, color: bool = False) -> str:
    """The whole page. `color` is ignored: the page is always in colour, and every colour has a text label."""
    scope: AuditScope | None = data.extra.get("scope")  # type: ignore[assignment]
    table = posture(data)
    cluster_ids = {cluster: f"cluster-{index}" for index, (cluster, _) in enumerate(table.rows)}
    repo_name = scope.name if scope else data.root.rstrip("/").rsplit("/", 1)[-1]
    title = f"Compliance report — {repo_name}"
    subtitle = []
    if scope:
        git = scope.git
        if scope.ci is not None:
            subtitle.append(scope.ci.describe())
        if git.commit:
            subtitle.append(f"commit {git.commit[:12]}" + (" (uncommitted changes)" if git.dirty else ""))
        else:
            subtitle.append(git.note or "not a git repository")
        subtitle.append(f"generated {_timestamp(scope)}")
        subtitle.append(f"compliance {scope.tool_version}")
        subtitle.append(f"rule pack {scope.rule_pack.digest[:12]}")
    toc = "".join(
        f'<a href="#{anchor}">{label}</a>'
        for anchor, label in (
            ("posture", "1. Posture matrix"),
            ("by-rule", "Summary by rule"),
            ("controls", "Controls"),
            ("scope", "2. Scope"),
            ("findings", "3. Findings"),
            ("exceptions", "4. Exceptions"),
            ("catalog", "5. Rule catalog"),
            ("inventory", "6. Input inventory"),
            ("verify", "7. How to verify"),
        )
    )
    footer = (
        f"compliance {escape(scope.tool_version)} · rule pack sha256:{escape(scope.rule_pack.digest)} · "
        f"{escape(_timestamp(scope))}"
        if scope
        else "compliance"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        '<header class="masthead"><div class="eyebrow">Compliance evidence report</div>'
        f'<h1>{escape(repo_name)}</h1><p class="sub">{escape(" · ".join(subtitle))}</p></header>'
        f'{_verdict(data, table)}{_figures(data)}<nav class="toc">{toc}</nav>'
        f"{_posture_section(data, table, cluster_ids)}{summary_section(data)}{controls_section(data)}"
        f"{_scope_section(data, scope)}"
        f"{_findings_section(data, table, cluster_ids)}{_exceptions_section(data, scope)}"
        f"{_catalog_section(data)}{inventory_section(_inputs(data))}"
        f"{_verify_section(scope)}<footer>{footer}</footer></body></html>\n"
    )
