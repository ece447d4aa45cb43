"""Scrubbing text that came out of an untrusted process (a Helm render, a tool's error) before it
reaches a report: credentials are masked and the text is bounded.

A template can read a file and `fail` with it, so a message is attacker-chosen text; this is the
last line of defence for whatever reached the render despite the chart snapshot (render.snapshot).
"""

from __future__ import annotations

import re

__all__ = ["MASK", "MESSAGE_LIMIT", "redact", "scrub"]

MASK = "***"
MESSAGE_LIMIT = 500  # characters of an untrusted message a finding carries

# (pattern, replacement): the replacement keeps what says what was masked, never the secret
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # PEM blocks, whole (a truncated one too: up to the end of the text)
    (
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*(?:PRIVATE KEY|CERTIFICATE|KEY)[A-Z0-9 ]*-----.*?(?:-----END [A-Z0-9 ]*-----|\Z)",
            re.S,
        ),
        f"-----PEM {MASK}-----",
    ),
    # scheme://user:password@host -> scheme://***@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/@:\"'<>]*:[^\s/@\"'<>]*@"), rf"\1{MASK}@"),
    # Authorization / extraheader values: the scheme and everything after it on the line
    (re.compile(r"(?i)\b(authorization\s*[:=]\s*)(?:basic|bearer|token|digest)?\s*[^\s\"'<>]+"), rf"\1{MASK}"),
    # a credential after Bearer/Basic has digits or padding ("basic authentication" is prose)
    (re.compile(r"(?i)\b(bearer|basic)\s+(?=[A-Za-z._~+/-]*[0-9=])[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {MASK}"),
    # well-known token shapes
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"), MASK),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"), MASK),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), MASK),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), MASK),
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), MASK),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{20,}"), MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*"), MASK),  # JWT
    # key=value / key: value with a secret-sounding key
    (
        re.compile(
            r"(?i)\b((?:[a-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key"
            r"|credentials?))[\"']?\s*[:=]\s*)(?!\*\*\*)(\"[^\"]*\"|'[^']*'|[^\s,;&\"'<>]+)"
        ),
        rf"\1{MASK}",
    ),
)


def scrub(text: str) -> str:
    """``text`` with every credential pattern masked (URLs with a user:password, GitHub/GitLab/Slack
    tokens, AWS key ids, Authorization/Bearer values, PEM blocks, `password=`-style assignments)."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` scrubbed and cut to ``limit`` characters (an ellipsis says it was cut). The cut comes
    after scrubbing, so a secret cannot be split to slip past a pattern."""
    text = scrub(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
