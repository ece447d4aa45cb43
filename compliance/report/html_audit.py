"""The audit sections of the HTML report that stand beside the findings: the exceptions register.

Pure, like `compliance.report.html`: data in, escaped HTML out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from compliance.report.html_text import code, escape, path, plural

if TYPE_CHECKING:
    from compliance.governance.exceptions import RegisterEntry

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
