"""A value spelled as YAML for people to read: `false`, `null`, `[IR, KP]`, `{scope: never}`, `'NO'`.

Every rule message and the text report's trace spell values with `spell`, never with Python's `repr`
(`False`, `None`, `['IR', 'KP']`): the user wrote YAML and reads the message next to it.

A string on its own is quoted (`'text'`), so a message can tell the string `'true'` from the boolean
`true`; inside a list or mapping it is plain when YAML 1.1 and 1.2 both read it back as that same string
(`IR`, `in-cluster`), else quoted (`'NO'`, `'1e3'`, `''`).
"""

from __future__ import annotations

import datetime
import json
import math
import re
from typing import Any

_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./-]*")
# words that YAML 1.1 (Helm's go-yaml v2) or 1.2 resolve to a boolean or null, in any of their spellings
_RESOLVED = frozenset(["y", "yes", "n", "no", "true", "false", "on", "off", "null"])


def _quoted(text: str) -> str:
    if text.isprintable():  # YAML single quotes: nothing is escaped but the quote itself
        return "'" + text.replace("'", "''") + "'"
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _string(text: str, nested: bool) -> str:
    if nested and _PLAIN.fullmatch(text) and text.lower() not in _RESOLVED:
        return text
    return _quoted(text)


def _number(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)


def spell(value: Any, nested: bool = False) -> str:
    """`value` as YAML flow text (see the module's docstring); `nested` spells it as a collection's member."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str):
        return _string(value, nested)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{spell(k, True)}: {spell(v, True)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return "[" + ", ".join(spell(item, True) for item in items) + "]"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)
