"""Helm's `--set` parser (`helm.sh/helm/v4/pkg/strvals`), as helm-controller uses it for a valuesFrom `targetPath`.

fluxcd/pkg `chartutil.ReplacePathValue` parses `<targetPath>=<data>`: a value wrapped in quotes is a string
(every leading and trailing quote dropped), otherwise it is typed (`true`/`false`/`null` in any case, `0`, an
integer without a leading zero); `{a,b}` is a list. As on the command line, an unescaped `,` ends the value
and what follows is another `key=value`; `\\` escapes the next character; `a.b` nests maps, `a[0]` indexes a
list. With `literal: true` (`ReplacePathLiteralValue`) the data is stored verbatim as a string.
"""

from __future__ import annotations

from typing import Any

from compliance.yaml import Path


class StrvalsError(ValueError):
    """The text does not parse (the release fails: `failed to merge value`)."""


def set_path(values: dict[str, Any], target_path: str, data: str, literal: bool = False) -> list[Path]:
    """Write `data` at `target_path` in `values`, changed in place with every map on the path (Go shares maps:
    helm-controller's targetPath beats `spec.values` only through a map both hold); the paths written."""
    if literal:
        parser = _Parser(target_path + "=" + data, typed=False, literal=True)
    else:
        quoted = len(data) >= 1 and (data[0] == data[-1] == "'" or data[0] == data[-1] == '"')
        if quoted:
            data = data.strip("'\"")
        parser = _Parser(target_path + "=" + data, typed=not quoted, literal=False)
    written: list[Path] = []
    while not parser.done():
        path = parser.assignment(values)
        if path:
            written.append(path)
    return written


def typed(text: str) -> Any:
    """strvals `typedVal`: bools and null in any case, `0`, an int64 without a leading zero; else the string."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if text == "0":
        return 0
    if text and text[0] != "0":
        body = text[1:] if text[0] in "+-" else text
        if body.isascii() and body.isdigit() and -(2**63) <= int(text) < 2**63:
            return int(text)
    return text


class _Parser:
    def __init__(self, text: str, typed: bool, literal: bool) -> None:
        self.text = text
        self.at = 0
        self.typed = typed
        self.literal = literal

    def done(self) -> bool:
        return self.at >= len(self.text)

    def until(self, stops: str) -> tuple[str, str]:
        """Characters up to one of `stops` (a backslash escapes the next one); the stop found ("" at the end)."""
        out: list[str] = []
        text = self.text
        while self.at < len(text):
            char = text[self.at]
            self.at += 1
            if char == "\\" and not self.literal:
                if self.at < len(text):
                    out.append(text[self.at])
                    self.at += 1
                continue
            if char in stops:
                return "".join(out), char
            out.append(char)
        return "".join(out), ""

    def value(self) -> Any:
        if self.literal:
            rest = self.text[self.at :]
            self.at = len(self.text)
            return rest
        if self.text.startswith("{", self.at):
            self.at += 1
            inner, stop = self.until("}")
            if stop != "}":
                raise StrvalsError("list must terminate with '}'")
            after, _ = self.until(",")
            if after:
                raise StrvalsError(f"unexpected data after list: {after!r}")
            return [self.scalar(item) for item in inner.split(",")] if inner else []
        text, _ = self.until(",")
        return self.scalar(text)

    def scalar(self, text: str) -> Any:
        return typed(text) if self.typed else text

    def assignment(self, values: dict[str, Any]) -> Path:
        """One `key.path=value`: the path it wrote."""
        target: Any = values
        path: list[str | int] = []
        while True:
            key, stop = self.until("=.[,")
            if stop == "=":
                return self._store(target, key, path)
            if stop in ("", ","):
                if key:
                    raise StrvalsError(f'key "{key}" has no value')
                return ()
            if stop == ".":
                target = self._child(target, key, path)
                continue
            index_text, close = self.until("]")
            if close != "]" or not index_text.isdigit():
                raise StrvalsError(f"unable to parse key: invalid index {index_text!r} for {key!r}")
            target = self._indexed(target, key, int(index_text), path)
            if isinstance(target, _Stored):
                return tuple(target)

    def _child(self, target: Any, key: str, path: list[str | int]) -> dict[str, Any]:
        if not isinstance(target, dict):
            raise StrvalsError(f"unable to parse key: {key!r} is not in a map")
        current = target.get(key)
        if key in target and not isinstance(current, dict):
            raise StrvalsError(f'unable to parse key: key map "{key}" has no value')
        inner: dict[str, Any] = current if isinstance(current, dict) else {}
        target[key] = inner  # in place, as Go's maps: a map `values` shares with another is changed there too
        path.append(key)
        return inner

    def _indexed(self, target: Any, key: str, index: int, path: list[str | int]) -> Any:
        """`key[index]`: the list (grown with nulls), and a map at the index when a `.` follows."""
        if not isinstance(target, dict):
            raise StrvalsError(f"unable to parse key: {key!r} is not in a map")
        current = target.get(key)
        items = current if isinstance(current, list) else []
        while len(items) <= index:
            items.append(None)
        target[key] = items
        path.extend((key, index))
        if self.text.startswith("=", self.at):
            self.at += 1
            items[index] = self.value()
            return _Stored(tuple(path))
        if self.text.startswith(".", self.at):
            self.at += 1
            inner = items[index] if isinstance(items[index], dict) else {}
            items[index] = inner
            return inner
        raise StrvalsError(f"unable to parse key: unexpected data after {key}[{index}]")

    def _store(self, target: Any, key: str, path: list[str | int]) -> Path:
        if not isinstance(target, dict):
            raise StrvalsError(f"unable to parse key: {key!r} is not in a map")
        target[key] = self.value()
        return (*path, key)


class _Stored(tuple[Any, ...]):
    """A list element already written (`a[0]=v`): the assignment's path."""
