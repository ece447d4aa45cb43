"""Secrets kept out of what is shown: text scrubbed of credential shapes, and values hidden by key and shape.

Text (`scrub`, `redact`): what came out of an untrusted process (a Helm render, a tool's error) before it
reaches a report: credentials are masked and the text is bounded. A template can read a file and `fail`
with it, so a message is attacker-chosen text; this is the last line of defence for whatever reached the
render despite the chart snapshot (render.snapshot).

Values (`redact_values`, `secret_at`): a Helm value is replaced by `<redacted>` in the report and the
evidence bundle when its key names a secret, when its parent's key does (`auth.username`), or when the value
itself has a credential's shape wherever it stands (a token, a URL with a password, a PEM block, a long
random string). Keys are read as words (split at camelCase, `_`, `-`, `.`): `password`, `secret`, `token`,
`credentials`, `auth`, `apiKey`, `privateKey`, `connectionString`, `webhookUrl`, … as the key's last word
(`adminPassword`, `authToken`) name a secret; `key` alone does not (`keySize`, `topologyKey`), nor a key
ending in another word (`passwordPolicy`, `tokenTtl`). A key that says where a secret lives (`existingSecret`,
`secretName`, `secretKeyRef`, `adminPasswordKey`) keeps a value that looks like a name, and only its own
value: `existingSecret.password` is hidden. Numbers, booleans, `null` and empty strings are never secrets.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

__all__ = ["MASK", "MESSAGE_LIMIT", "REDACTED", "redact", "redact_values", "scrub", "secret_at", "secret_shaped"]

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


# ── values: by key and by shape ──────────────────────────────────────────────

REDACTED = "<redacted>"
SECRET_WORDS = frozenset(
    {"password", "passwd", "passphrase", "pwd", "pass", "secret", "secrets", "token", "credential", "credentials"}
    | {"auth", "apikey", "htpasswd", "kubeconfig", "dsn", "privatekey", "secretkey", "accesskey", "signingkey"}
    | {"masterkey", "encryptionkey", "sessionkey", "connectionstring", "webhookurl", "webhook"}
)
SECRET_SUFFIXES = ("password", "passwd", "passphrase", "secret", "token", "apikey", "credentials")  # `adminpassword`
REFERENCE_WORDS = frozenset({"ref", "refs", "name", "names", "namespace", "store", "path", "file", "key", "keys"})
# a parent's secrecy does not reach these: `auth.enabled`, `externalSecrets.image`, `secret.annotations`
PLAIN_WORDS = frozenset(
    {"enabled", "create", "image", "repository", "tag", "version", "replicas", "count", "size", "cpu", "memory"}
    | {"port", "host", "hostname", "namespace", "name", "kind", "type", "mode", "level", "format", "annotations"}
    | {"labels", "timeout", "interval", "provider", "method", "algorithm", "scheme", "issuer", "duration"}
)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:-]{0,252}")
_TOKEN_ALPHABET = re.compile(r"[A-Za-z0-9+/=_-]{24,}")
ENTROPY_BITS = 4.0  # per character: random base64 has ~4.5 at 24 characters; hex, UUIDs and words stay below


def _words(key: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", key)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [word.lower() for word in re.split(r"[^A-Za-z0-9]+", spaced) if word]


def names_secret(key: object) -> bool:
    """Whether the key names a secret: its last word, or last two words as one (`apiKey`, `webhookUrl`), is a
    secret's word (`adminPassword`, `authToken`, `secretAccessKey`; not `passwordPolicy` or `tokenTtl`)."""
    if not isinstance(key, str):
        return False
    words = _words(key)
    if not words:
        return False
    head = words[-1]
    if head in SECRET_WORDS or (len(words) > 1 and words[-2] + head in SECRET_WORDS):
        return True
    return any(len(head) > len(suffix) and head.endswith(suffix) for suffix in SECRET_SUFFIXES)


def names_reference(key: object) -> bool:
    """Whether the key names where a secret lives (`existingSecret`, `secretKeyRef`, `passwordKey`), not one."""
    if not isinstance(key, str):
        return False
    words = _words(key)
    if len(words) < 2:
        return False
    if words[0] == "existing":
        return True
    return words[-1] in REFERENCE_WORDS and words[-2] + words[-1] not in SECRET_WORDS


def high_entropy(text: str) -> bool:
    """A long string of token characters with upper case, lower case and digits, as random as a key."""
    if not _TOKEN_ALPHABET.fullmatch(text) or not (
        any(c.isdigit() for c in text) and any(c.islower() for c in text) and any(c.isupper() for c in text)
    ):
        return False
    counts = Counter(text)
    bits = -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())
    return bits >= ENTROPY_BITS


def secret_shaped(text: str) -> bool:
    """Whether the text holds a credential by its shape alone (`scrub`'s patterns, or a long random string)."""
    return any(pattern.search(text) for pattern, _ in _PATTERNS) or high_entropy(text)


def secret_at(keys: Sequence[str], value: Any) -> bool:
    """Whether a scalar `value` at the key path `keys` (list indices left out) is a secret (module docstring)."""
    if value is None or isinstance(value, (bool, int, float)) or value == "":
        return False
    text = str(value)
    if secret_shaped(text):
        return True
    if not keys:
        return False
    leaf = keys[-1]
    if names_reference(leaf):
        return not _NAME.fullmatch(text)  # where a secret lives is a name; anything else is the secret
    if names_secret(leaf):
        return True
    parent = keys[-2] if len(keys) > 1 else None
    return parent is not None and names_secret(parent) and not names_reference(parent) and leaf not in PLAIN_WORDS


def redact_values(value: Any, keys: tuple[str, ...] = ()) -> Any:
    """A JSON-ready copy of `value` with every secret scalar replaced by `<redacted>` (`secret_at`)."""
    if isinstance(value, dict):
        return {str(key): redact_values(item, (*keys, str(key))) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_values(item, keys) for item in value]
    if secret_at(keys, value):
        return REDACTED
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN/Infinity
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)  # strings (Flux-unresolved ones too), dates and anything else YAML produced


def path_keys(value_path: str) -> tuple[str, ...]:
    """The keys of a finding's logical value path (`a.b[0].c` -> a, b, c)."""
    return tuple(key for key in re.split(r"[.\[\]]+", value_path) if key and not key.isdigit())
