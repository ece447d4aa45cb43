"""Helm's `--set` parser (`helm.sh/helm/v4/pkg/strvals`), as helm-controller uses it for a valuesFrom `targetPath`.

fluxcd/pkg `chartutil.ReplacePathValue` parses `<targetPath>=<data>`: a value wrapped in quotes is a string
(every leading and trailing quote dropped), otherwise it is typed (`true`/`false`/`null` in any case, `0`, an
integer without a leading zero); `{a,b}` is a list (`{}` is `[""]`, as in Helm). As on the command line, an
unescaped `,` ends the value and what follows is another `key=value`; `\\` escapes the next character; `a.b`
nests maps, `a[0]` indexes a list (`a[0][1]` a list in a list). With `literal: true`
(`ReplacePathLiteralValue`) the data is escaped and parsed as a string: stored verbatim, the path's escapes
still honoured.

The walk follows Go's `parser.key` / `parser.listItem` step by step, sharing what Go shares: a map on the path
is written in place (helm-controller's targetPath beats `spec.values` only through a map both hold), a list is
written in place when the index is inside it and copied when it grows (Go's `setIndex`), so a grown list is not
the one `spec.values` holds.
"""

from __future__ import annotations

from typing import Any

from compliance.yaml import Path

MAX_INDEX = 65536  # strvals.MaxIndex
MAX_NESTING = 30  # strvals.MaxNestedNameLevel
# ReplacePathLiteralValue pre-escapes what `--set` would read as syntax (backslash first)
_LITERAL_ESCAPES = str.maketrans({"\\": "\\\\", ",": "\\,", "[": "\\[", "]": "\\]", "{": "\\{", "}": "\\}"})


class StrvalsError(ValueError):
    """The text does not parse (the release fails: `failed to merge value`)."""


def set_path(values: dict[str, Any], target_path: str, data: str, literal: bool = False) -> list[Path]:
    """Write `data` at `target_path` in `values`, changed in place as Go changes it; the paths written."""
    if literal:
        parser = _Parser(target_path + "=" + data.translate(_LITERAL_ESCAPES), typed=False)
    else:
        quoted = len(data) >= 1 and (data[0] == data[-1] == "'" or data[0] == data[-1] == '"')
        if quoted:
            data = data.strip("'\"")
        parser = _Parser(target_path + "=" + data, typed=not quoted)
    while parser.key(values, 0, ()):
        pass
    return parser.written


def typed(text: str) -> Any:
    """strvals `typedVal`: bools and null in any case, `0`, an int64 without a leading zero; else the string."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if text == "0":
        return 0
    if text and text[0] != "0" and _is_int(text):
        return int(text)
    return text


def _is_int(text: str, bits: int = 64) -> bool:
    """Go's `strconv.ParseInt(text, 10, bits)` succeeds: an optional sign, ASCII digits, in range."""
    body = text[1:] if text[:1] in ("+", "-") else text
    return body.isascii() and body.isdigit() and -(2 ** (bits - 1)) <= int(text) < 2 ** (bits - 1)


class _Parser:
    """Go's `parser` over one `path=value[,path=value...]` line. `key` and `list_item` return False where Go
    returns io.EOF (the line is used up: parsing stops without an error)."""

    def __init__(self, text: str, typed: bool) -> None:
        self.text = text
        self.at = 0
        self.typed = typed
        self.written: list[Path] = []

    def ended(self) -> bool:
        return self.at >= len(self.text)

    def until(self, stops: str) -> tuple[str, str]:
        """Go's `runesUntil`: characters up to one of `stops`, a backslash escaping the next one; the stop
        found, "" when the text ends first."""
        out: list[str] = []
        text = self.text
        while self.at < len(text):
            char = text[self.at]
            self.at += 1
            if char in stops:
                return "".join(out), char
            if char == "\\":
                if self.at >= len(text):
                    break
                char = text[self.at]
                self.at += 1
            out.append(char)
        return "".join(out), ""

    def key(self, data: dict[str, Any], level: int, path: Path) -> bool:
        """`parser.key`: one `name...=value` into `data`."""
        name, last = self.until("=[,.")
        if last == "":
            if name:
                raise StrvalsError(f'key "{name}" has no value')
            return False
        if last == "[":
            index = self.index()
            if index is None:
                return False
            current = data.get(name, [])
            if not isinstance(current, list):
                raise StrvalsError(f'unable to parse key: "{name}" is not a list')
            items, more = self.list_item(current, index, level, (*path, name))
            _set(data, name, items)
            return more
        if last == "=":
            more = not self.ended()  # `name=` at the end: Go stores "" and stops (io.EOF)
            _set(data, name, self.value())
            self._wrote((*path, name))
            return more
        if last == ",":
            _set(data, name, "")
            raise StrvalsError(f'key "{name}" has no value (cannot end with ,)')
        if level + 1 > MAX_NESTING:
            raise StrvalsError(
                f"value name nested level is greater than maximum supported nested level of {MAX_NESTING}"
            )
        inner = data.get(name, {})
        if not isinstance(inner, dict):
            raise StrvalsError(f'unable to parse key: "{name}" is not a map')
        more = self.key(inner, level + 1, (*path, name))
        if more and not inner:
            raise StrvalsError(f'key map "{name}" has no value')
        if inner:
            _set(data, name, inner)
        return more

    def index(self) -> int | None:
        """`keyIndex`: the text up to `]`, read by Go's Atoi; None when the text ends first (Go wraps io.EOF in
        "error parsing index", and the parse loop takes any io.EOF as the end: no error)."""
        text, last = self.until("]")
        if last == "":
            return None
        if not _is_int(text):
            raise StrvalsError(f'error parsing index: invalid index "{text}"')
        return int(text)

    def list_item(self, items: list[Any], index: int, level: int, path: Path) -> tuple[list[Any], bool]:
        """`parser.listItem`: what follows `[index]`; the list to store (a copy when it grew). Where Go
        returns an error or io.EOF from below, the list comes back as it was."""
        if index < 0:
            raise StrvalsError(f"negative {index} index not allowed")
        rest, last = self.until("[.=")
        if rest:
            raise StrvalsError(f'unexpected data at end of array index: "{rest}"')
        if last == "":
            return items, False
        if last == "=":
            value = self.value()
            self._wrote((*path, index))
            return _set_index(items, index, value), True
        if last == "[":
            inner_index = self.index()
            if inner_index is None:
                return items, False
            current = items[index] if index < len(items) else None
            if current is not None and not isinstance(current, list):
                raise StrvalsError(f"unable to parse key: {path}[{index}] is not a list")
            inner, more = self.list_item(current if current is not None else [], inner_index, level, (*path, index))
            return (_set_index(items, index, inner), True) if more else (items, False)
        inner_map: dict[str, Any] = {}
        if index < len(items):
            if not isinstance(items[index], dict):
                items[index] = {}  # Go: "indices out of order", an empty map in place
            inner_map = items[index]
        if not self.key(inner_map, level, (*path, index)):
            return items, False
        return _set_index(items, index, inner_map), True

    def value(self) -> Any:
        """After `=`: a `{a,b}` list, or one scalar up to an unescaped `,` (Go's `valList`, then `val`)."""
        if self.ended():
            return ""
        if self.text[self.at] != "{":
            return self.scalar(self.until(",")[0])
        self.at += 1
        out: list[Any] = []
        while True:
            text, last = self.until(",}")
            if last == "":
                raise StrvalsError("list must terminate with '}'")
            out.append(self.scalar(text))  # so `{}` is [""], as in Helm
            if last == "}":
                if self.text.startswith(",", self.at):
                    self.at += 1
                return out

    def scalar(self, text: str) -> Any:
        return typed(text) if self.typed else text

    def _wrote(self, path: Path) -> None:
        if "" not in path:  # Go's `set` skips an empty key: nothing lands there
            self.written.append(path)


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    if key:  # Go's `set` skips an empty key
        data[key] = value


def _set_index(items: list[Any], index: int, value: Any) -> list[Any]:
    """Go's `setIndex`: in place inside the list, a grown copy past its end."""
    if index > MAX_INDEX:
        raise StrvalsError(f"index of {index} is greater than maximum supported index of {MAX_INDEX}")
    if len(items) <= index:
        items = [*items, *([None] * (index + 1 - len(items)))]
    items[index] = value
    return items
