"""The audit sections of the HTML report beside the findings: the summary by rule, the control view and the
exceptions register.

Pure, like `compliance.report.html`: data in, escaped HTML out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from compliance.model.findings import Severity
from compliance.report import ReportData
from compliance.report.controls import (
    FAIL,
    NOT_APPLICABLE,
    NOT_RUN_STATUS,
    PASS,
    RuleResult,
    control_results,
    rule_results,
)
from compliance.report.html_text import STATUS_LABEL, STATUS_MARK, code, escape, path, plural, slug, status_badge

if TYPE_CHECKING:
    from compliance.evidence.bundle import AuditScope
    from compliance.governance.exceptions import RegisterEntry

FRAMEWORKS = {"SOC2": "SOC 2 (TSC CC)", "ISO27001": "ISO/IEC 27001:2022 Annex A", "EUAIA": "EU AI Act"}


def _found(result: RuleResult) -> str:
    parts = [plural(result.counts[s], s.value) for s in Severity if result.counts[s]]
    if result.excepted:
        parts.append(f"{result.excepted} excepted")
    return " · ".join(parts) or "none"


def _rule_link(rule: str) -> str:
    return f'<a class="rule-id" href="#rule-{escape(rule)}">{escape(rule)}</a>'


def _rule_lines(results: list[RuleResult]) -> str:
    """The rules with no finding in a line per state: passed; not run, with why; not applicable, with what."""
    clean = [r.spec.id for r in results if r.status == PASS and not (r.counts or r.excepted)]
    lines = [f"Passed with no finding: {', '.join(_rule_link(i) for i in clean)}."] if clean else []
    partly = [r for r in results if r.status in (PASS, FAIL) and r.not_run]
    if partly:  # applied somewhere, but some checks could not be evaluated: named, never counted as passed
        lines.append(
            "Some checks not run: "
            + "; ".join(f"{_rule_link(r.spec.id)} ({plural(r.not_run, 'check')}): {escape(r.reason)}" for r in partly)
            + "."
        )
    for status, label in ((NOT_RUN_STATUS, "Not run (not passed)"), (NOT_APPLICABLE, "Not applicable here")):
        by_reason: dict[str, list[str]] = {}
        for result in results:
            if result.status == status:
                by_reason.setdefault(result.reason, []).append(result.spec.id)
        if by_reason:
            ordered = sorted(by_reason.items())
            groups = "; ".join(f"{', '.join(_rule_link(i) for i in ids)}: {escape(why)}" for why, ids in ordered)
            lines.append(f"{status_badge(status)} {label}: {groups}.")
    return "".join(f'<p class="legend">{line}</p>' for line in lines)


def summary_section(data: ReportData) -> str:
    """A row per rule with findings, failures first; the rules that passed clean, could not run or did not
    apply in a line each (with why and what): one page, whatever the number of rules."""
    results = list(rule_results(data).values())
    shown = sorted(
        (r for r in results if r.counts or r.excepted),
        key=lambda r: (r.status != FAIL, -r.counts[Severity.ERROR], -r.counts[Severity.WARNING], r.spec.id),
    )
    rows = "".join(
        f"<tr><td>{_rule_link(r.spec.id)}</td><td>{escape(r.spec.title)}</td><td>{status_badge(r.status)}</td>"
        f'<td>{escape(_found(r))}</td><td class="num">{r.checks}</td></tr>'
        for r in shown
    )
    return (
        '<section id="by-rule"><h2>Summary by rule</h2>'
        '<table class="by-rule"><thead><tr><th scope="col">Rule</th><th scope="col">Title</th>'
        '<th scope="col">Result</th><th scope="col">Findings</th><th scope="col" class="num">Checks</th></tr>'
        f"</thead><tbody>{rows}</tbody></table>{_rule_lines(results)}</section>"
    )


def controls_section(data: ReportData) -> str:
    """Control -> the rules that evidence it -> their result (docs/controls.md says what each control is)."""
    controls = control_results(data)
    if not controls:
        return ""
    rows: list[str] = []
    for control in controls:
        framework, _, ident = control.control.partition(":")
        rules = " ".join(
            f'{_rule_link(r.spec.id)}&nbsp;<span class="mark-{slug(r.status)}" title="{escape(r.reason)}">'
            f"{STATUS_MARK[r.status]}</span>"
            for r in control.rules
        )
        rows.append(
            f"<tr><td>{escape(FRAMEWORKS.get(framework, framework))}</td><td>{code(ident)}</td>"
            f"<td>{status_badge(control.status)}</td><td>{rules}</td></tr>"
        )
    states = (FAIL, PASS, NOT_RUN_STATUS, NOT_APPLICABLE)
    legend = " · ".join(f"{STATUS_MARK[status]} {STATUS_LABEL[status].lower()}" for status in states)
    return (
        '<section id="controls"><h2>Controls</h2><p>Each control the rules evidence, with the result of every rule '
        "that evidences it: a control fails when one of its rules found an error or warning, and is "
        "<em>not run</em> (not passed) when one of its rules could not be evaluated. A pass is evidence "
        "for the configuration linted, not proof of the whole control.</p>"
        f'<p class="legend">{legend}; the summary by rule says why a rule did not run or apply.</p>'
        '<table class="controls"><thead><tr><th scope="col">Framework</th><th scope="col">Control</th>'
        '<th scope="col">Result</th><th scope="col">Rules</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


STATUS_BADGE = {
    "active": ("st-pass", "✓ Active"),
    "expiring": ("sev-warning", "▲ Expiring"),
    "expired": ("st-fail", "✗ Expired"),
    "invalid": ("st-fail", "✗ Invalid"),
}
STATUS_ORDER = {"expired": 0, "invalid": 1, "expiring": 2, "active": 3}


def _days(entry: RegisterEntry) -> str:
    days = entry.days_left
    if days is None:
        return "no expiry"
    until = entry.suppression.until.isoformat() if entry.suppression.until else ""
    if days < 0:
        return f"{until} ({plural(-days, 'day')} ago)"
    return f"{until} (in {plural(days, 'day')})" if days else f"{until} (today)"


def register_table(entries: tuple[RegisterEntry, ...], judged_on: str) -> str:
    """Every exception, expired ones too: status, who owns and approved it, until when, what it covers."""
    if not entries:
        return "<p>The register is empty: no suppression comment or configured exception.</p>"
    rows: list[str] = []
    ordered = sorted(entries, key=lambda e: (STATUS_ORDER[e.status], e.days_left is None, e.days_left or 0))
    for entry in ordered:
        exception = entry.suppression
        css, label = STATUS_BADGE[entry.status]
        people = [f"owner {escape(exception.owner)}" if exception.owner else '<span class="muted">no owner</span>']
        if exception.approver:
            people.append(f"approved by {escape(exception.approver)}")
        rules = ", ".join(code(rule) for rule in exception.rules) or '<span class="muted">none known</span>'
        reason = escape(exception.reason) or '<span class="muted">no reason</span>'
        rows.append(
            f'<tr><td><span class="badge {css}">{label}</span></td>'
            f"<td>{escape(exception.kind)} {code(exception.label)}<br>{path(str(exception.location))}</td>"
            f"<td>{rules}</td><td>{reason}</td>"
            f"<td>{'<br>'.join(people)}</td><td>{escape(_days(entry))}</td>"
            f'<td class="num">{entry.covered}</td></tr>'
        )
    when = f" on {escape(judged_on)}" if judged_on else ""
    return (
        f"<h3>Exceptions register</h3><p>Every exception in the repository and its configuration, judged{when}: "
        "<em>expiring</em> within the <code>exception-expiry-warning-days</code> option (SUP006), "
        "<em>expired</em> ones no longer suppress (SUP002).</p>"
        '<table class="register"><thead><tr><th scope="col">Status</th><th scope="col">Exception</th>'
        '<th scope="col">Rules</th><th scope="col">Reason</th><th scope="col">Owner / approver</th>'
        '<th scope="col">Until</th><th scope="col" class="num">Findings</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def identity_rows(scope: AuditScope) -> list[tuple[str, str]]:
    """Which repository and which CI run the report is of: the remote (credentials already taken out) and the
    run's identity; the local folder only when there is no remote to name (outside git, or no `origin`)."""
    rows: list[tuple[str, str]] = []
    if scope.git.remote:
        rows.append(("Repository", code(scope.git.remote)))
    else:
        rows.append(("Repository root", code(scope.root)))
    ci = scope.ci
    if ci is not None:
        facts = [f"{escape(ci.system)} run {code(ci.run)} of {code(ci.repository)}"]
        if ci.ref:
            facts.append(f"ref {code(ci.ref)}")
        if ci.sha:
            facts.append(f"commit {code(ci.sha)}")
        if ci.url:
            facts.append(code(ci.url))  # text, not a link: the page links only within itself
        rows.append(("CI run", "<br>".join(facts)))
    return rows
