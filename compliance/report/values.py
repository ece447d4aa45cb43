"""Output of `compliance values`: YAML that Helm reads back unchanged, `git blame`-style origins, JSON.

The YAML emitter is our own so that typing is exact: a string Helm (go-yaml v2, YAML 1.1) or a YAML 1.2
reader would take for a bool, number, null or date is double-quoted (`"NO"`, `"1e3"`, `"on"`), numbers
print so every reader sees a number, and blame comments line up after the values.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compliance.effective.origins import Difference, Origin, Side
    from compliance.engine.context import ReleaseContext
    from compliance.model.findings import Location
    from compliance.yaml import Path

Line = tuple[str, "Path | None"]  # text, and the value path whose origin annotates it

# Plain scalars start with a letter, `_` or `/`: digits, signs and dots may read as numbers, and every
# other first character is a YAML indicator.
_PLAIN_START = re.compile(r"[A-Za-z_/]")
# Words some YAML reader (Helm's YAML 1.1, PyYAML, YAML 1.2) reads as bool or null; compared lowercased.
_RESERVED = frozenset(("y", "n", "yes", "no", "on", "off", "true", "false", "null"))
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}
_SIMPLE_KEY = re.compile(r'[^.\[\]"\s]+')
_COMMENT_COLUMN_LIMIT = 80
_SHOWN_VALUE_LIMIT = 60


# ── scalars ──────────────────────────────────────────────────────────────────


def _plain(text: str) -> bool:
    return (
        bool(_PLAIN_START.match(text))
        and text.lower() not in _RESERVED
        and ": " not in text
        and " #" not in text
        and not text.endswith((":", " "))
        and text.isprintable()
    )


def _quoted(text: str) -> str:
    out = ['"']
    for char in text:
        escape = _ESCAPES.get(char)
        if escape is not None:
            out.append(escape)
        elif char.isprintable():
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _number(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    mantissa, e, exponent = text.partition("e")
    if e and "." not in mantissa:  # 1e+20 is a string to YAML 1.1 readers; 1.0e+20 is a float to all
        text = f"{mantissa}.0e{exponent}"
    return text


def scalar(value: Any) -> str:
    """One value as a YAML scalar (empty collections flow-style) that reads back with the same type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, dict):
        return "{}" if not value else _compact(value)
    if isinstance(value, list):
        return "[]" if not value else _compact(value)
    text = str(value)
    return text if _plain(text) else _quoted(text)


def _compact(value: Any) -> str:
    """A short one-line form for comments (what a value overrode)."""
    text = json.dumps(jsonable(value), ensure_ascii=False, separators=(", ", ": "))
    text = "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in text)  # NEL would end a comment
    return text if len(text) <= _SHOWN_VALUE_LIMIT else text[: _SHOWN_VALUE_LIMIT - 1] + "…"


def jsonable(value: Any) -> Any:
    """The values as JSON data: unresolved `${VAR}` strings stay their literal text."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return _number(value)  # Helm refuses such values; the loader reported them
    return value


def path_text(path: Path) -> str:
    """`geo.sanctionedRegions.block[2]`; a key with dots, brackets or spaces is written `["a.b"]`."""
    out: list[str] = []
    for step in path:
        if isinstance(step, int):
            out.append(f"[{step}]")
        elif _SIMPLE_KEY.fullmatch(step):
            out.append(f".{step}" if out else step)
        else:
            out.append(f"[{json.dumps(step, ensure_ascii=False)}]")
    return "".join(out)


# ── block YAML ───────────────────────────────────────────────────────────────


def block(value: Any, indent: int = 0, path: Path = (), deleted: Mapping[Path, Origin] | None = None) -> list[Line]:
    """Block-style YAML lines for a map or list, each tagged with the value path it shows.

    Keys in `deleted` (removed by a `null`) are shown as comment lines in the map that lost them.
    """
    pad = " " * indent
    lines: list[Line] = []
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{scalar(str(key))}:"
            here = (*path, key)
            if isinstance(item, dict) and item:
                lines.append((head, None))
                lines.extend(block(item, indent + 2, here, deleted))
            elif isinstance(item, list) and item:
                lines.append((head, here))  # a list replaces as a whole: its origin goes on its key
                lines.extend(block(item, indent + 2, here, deleted))
            else:
                lines.append((f"{head} {scalar(item)}", here))
                if isinstance(item, dict):
                    lines.extend(_deleted_lines(indent + 2, here, deleted))
        lines.extend(_deleted_lines(indent, path, deleted))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            here = (*path, index)
            if isinstance(item, (dict, list)) and item:
                nested = block(item, indent + 2, here, deleted)
                first, first_path = nested[0]
                lines.append((f"{pad}- {first[indent + 2 :]}", first_path))
                lines.extend(nested[1:])
            else:
                lines.append((f"{pad}- {scalar(item)}", here))
    return lines


def _deleted_lines(indent: int, parent: Path, deleted: Mapping[Path, Origin] | None) -> list[Line]:
    keys = [path for path in deleted or () if path[:-1] == parent]
    return [(f"{' ' * indent}# {_one_line(scalar(str(path[-1])))}: deleted by null", path) for path in keys]


def document(value: Any, deleted: Mapping[Path, Origin] | None = None) -> list[Line]:
    """A whole values document (an empty one is `{}`)."""
    if isinstance(value, (dict, list)) and value:
        return block(value, deleted=deleted)
    return [(scalar(value if value is not None else {}), ()), *_deleted_lines(0, (), deleted)]


def blame_comment(origin: Origin) -> str:
    parts = [_where(origin.location)]
    if origin.overrode:
        replaced = ", ".join(f"{scalar(o.value)} ({_where(o.location)})" for o in origin.overrode)
        parts.append(f"overrode {replaced}")
    if origin.unresolved:
        parts.append("unresolved " + ", ".join(f"${{{name}}}" for name in origin.unresolved))
    if origin.error:
        parts.append(f"substitution fails: {origin.error}")
    return _one_line("# " + "  ".join(parts))


def _where(location: Location) -> str:
    return f"{location.path}:{location.line}"


def _one_line(text: str) -> str:
    return "".join(char if char.isprintable() else "?" for char in text)


def resolve(lines: list[Line], origins: Mapping[Path, Origin]) -> list[tuple[str, Origin | None]]:
    """Pair each line with the origin of the value it shows (None: no comment)."""
    return [(text, origins.get(path) if path is not None else None) for text, path in lines]


def annotate(lines: list[tuple[str, Origin | None]]) -> str:
    """Join lines, adding each origin as a trailing comment aligned with the others."""
    comments = [blame_comment(origin) if origin is not None else None for _, origin in lines]
    widths = [len(text) for (text, _), c in zip(lines, comments, strict=True) if c is not None]
    column = max((w for w in widths if w <= _COMMENT_COLUMN_LIMIT), default=0)
    out = []
    for (text, _), comment in zip(lines, comments, strict=True):
        out.append(text if comment is None else f"{text.ljust(column)}  {comment}")
    return "\n".join(out) + "\n"


def _plain_text(lines: list[Line]) -> str:
    return "\n".join(text for text, _ in lines) + "\n"


# ── `compliance values` ──────────────────────────────────────────────────────


def _title(context: ReleaseContext) -> str:
    cluster = context.cluster.name if context.cluster is not None else "(chart defaults)"
    return f"{context.name} in cluster {cluster}"


def _layer_files(context: ReleaseContext) -> list[str]:
    return list(dict.fromkeys(layer.file for layer in context.values.layers))


def values_yaml(context: ReleaseContext, blame: bool = False) -> str:
    """The effective values as YAML; with `blame`, every leaf's origin as a trailing comment."""
    from compliance.effective.origins import deletions, origins

    if not blame:
        return _plain_text(document(context.values.values))
    deleted = deletions(context.values)
    lines = document(context.values.values, deleted)
    header = [
        f"# {_one_line(_title(context))}: effective values (Helm v4.2 merge, Flux variables substituted)",
        "# layers, lowest precedence first: " + _one_line(" < ".join(_layer_files(context))),
    ]
    return "\n".join(header) + "\n" + annotate(resolve(lines, {**origins(context.values), **deleted}))


def origin_dict(origin: Origin) -> dict[str, Any]:
    loc = origin.location
    found: dict[str, Any] = {"path": loc.path, "line": loc.line, "column": loc.column}
    found["overrode"] = [
        {"path": o.location.path, "line": o.location.line, "column": o.location.column, "value": jsonable(o.value)}
        for o in origin.overrode
    ]
    if origin.unresolved:
        found["unresolved"] = list(origin.unresolved)
    if origin.error:
        found["error"] = origin.error
    return found


def _values_report(context: ReleaseContext) -> dict[str, Any]:
    from compliance.effective.origins import deletions, origins

    release = context.release
    return {
        "blueprint": context.name,
        "cluster": context.cluster.name if context.cluster is not None else None,
        "release": {"name": release.name, "namespace": release.namespace} if release is not None else None,
        "layers": _layer_files(context),
        "values": jsonable(context.values.values),
        "origins": {path_text(path): origin_dict(o) for path, o in origins(context.values).items()},
        "deleted": {path_text(path): origin_dict(o) for path, o in deletions(context.values).items()},
    }


def values_json(context: ReleaseContext) -> str:
    return json.dumps(_values_report(context), indent=2, ensure_ascii=False) + "\n"


def cluster_values_json(cluster: str, contexts: list[ReleaseContext]) -> str:
    """`--all`: each release of the cluster, as `values_json` shows one."""
    report = {"cluster": cluster, "releases": [_values_report(context) for context in contexts]}
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def cluster_values_yaml(contexts: list[ReleaseContext], blame: bool = False) -> str:
    """`--all`: one YAML document per release, each headed by what it is."""
    parts = []
    for context in contexts:
        release = context.release
        head = _title(context) + (f" (HelmRelease {release.namespace}/{release.name})" if release is not None else "")
        parts.append(f"---\n# {_one_line(head)}\n{values_yaml(context, blame)}")
    return "".join(parts)


# ── `compliance values --against` ────────────────────────────────────────────


def differences_text(left: ReleaseContext, right: ReleaseContext, found: list[Difference]) -> str:
    """Each difference as `path:` with one entry per cluster, its origin trailing (valid YAML)."""
    assert left.cluster is not None and right.cluster is not None
    count = f"{len(found)} difference{'s' if len(found) != 1 else ''}" if found else "no differences"
    title = f"# {left.name}: cluster {left.cluster.name} against cluster {right.cluster.name}: {count}"
    lines: list[tuple[str, Origin | None]] = [(_one_line(title), None)]
    for difference in found:
        lines.append((scalar(path_text(difference.path)) + ":", None))
        for side in (difference.left, difference.right):
            if not side.present:
                said = "deleted by null" if side.deleted is not None else "(not set)"
                lines.append((f"  # {_one_line(scalar(side.cluster))}: {said}", side.deleted))
                continue
            origins = side.origins or {}
            head = f"  {scalar(side.cluster)}:"
            if isinstance(side.value, (dict, list)) and side.value:
                lines.append((head, origins.get(difference.path)))
                lines.extend(resolve(block(side.value, 4, difference.path), origins))
            else:
                lines.append((f"{head} {scalar(side.value)}", origins.get(difference.path)))
    return annotate(lines)


def _side_dict(side: Side, path: Path) -> dict[str, Any]:
    if not side.present:
        return {"present": False, **({"deleted": origin_dict(side.deleted)} if side.deleted is not None else {})}
    found: dict[str, Any] = {"present": True, "value": jsonable(side.value)}
    origins = side.origins or {}
    if path in origins:
        found["origin"] = origin_dict(origins[path])
    nested = {path_text(p): origin_dict(o) for p, o in origins.items() if p != path}
    if nested:
        found["origins"] = nested
    return found


def differences_json(left: ReleaseContext, right: ReleaseContext, found: list[Difference]) -> str:
    assert left.cluster is not None and right.cluster is not None
    report = {
        "blueprint": left.name,
        "cluster": left.cluster.name,
        "against": right.cluster.name,
        "differences": [
            {
                "path": path_text(d.path),
                "cluster": _side_dict(d.left, d.path),
                "against": _side_dict(d.right, d.path),
            }
            for d in found
        ],
    }
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
