"""The HTML report's smallest pieces: escaping (every text the page writes goes through `escape`), counts,
anchors, code spans and severity badges, shared by its sections (`html`, `html_audit`)."""

from __future__ import annotations

import re

from compliance.model.findings import Severity

SEVERITY_MARK = {Severity.ERROR: "✗", Severity.WARNING: "▲", Severity.INFO: "ℹ"}
# the coverage states as the posture matrix, the summary by rule and the control view show them
STATUS_MARK = {"fail": "✗", "pass": "✓", "n/a": "–", "not run": "⊘"}
STATUS_LABEL = {"fail": "Fail", "pass": "Pass", "n/a": "Not applicable", "not run": "Not run"}
_BREAKS = {"\r": "&#13;", "\n": "&#10;", "\u2028": "&#8232;", "\u2029": "&#8233;"}
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def escape(text: str) -> str:
    """HTML-escaped text on one physical line: a page printed to a CI log can never start a runner command."""
    from html import escape as html_escape  # here: text and JSON reports escape no HTML

    escaped = _CONTROL.sub("\ufffd", html_escape(text))
    return re.sub("[\r\n\u2028\u2029]", lambda match: _BREAKS[match.group()], escaped)


def plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def severity_badge(severity: Severity) -> str:
    return f'<span class="badge sev-{severity.value}">{SEVERITY_MARK[severity]} {severity.value.capitalize()}</span>'


def status_badge(status: str) -> str:
    """ "✓ Pass", "✗ Fail", "– Not applicable", "⊘ Not run" as a badge."""
    return f'<span class="badge st-{slug(status)}">{STATUS_MARK[status]} {STATUS_LABEL[status]}</span>'


def code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def path(text: str) -> str:
    """A file path that wraps after a '/' rather than mid-name."""
    return '<code class="path">' + escape(text).replace("/", "/<wbr>") + "</code>"
