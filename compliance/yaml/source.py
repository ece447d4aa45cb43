"""The text one libyaml parser reads, and turning libyaml's errors into problems."""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml._yaml import CParser

from compliance.yaml.document import LoadProblem

BREAKS_RE = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def line_col(prefix: str) -> tuple[int, int]:
    """1-based line/column just after ``prefix``, counting line breaks as libyaml does."""
    line = 1
    start = 0
    for m in BREAKS_RE.finditer(prefix):
        line += 1
        start = m.end()
    return line, len(prefix) - start + 1


def parse_problem(exc: yaml.YAMLError, source: Source, index: int) -> LoadProblem:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        message = exc.problem or "invalid YAML"
        if exc.context:
            message = f"{message} ({exc.context})"
        return LoadProblem("YML000", message, line, col, index)
    if isinstance(exc, yaml.reader.ReaderError):
        # libyaml reports a byte offset into the UTF-8 text it was given.
        prefix = source.text[source.start : source.end].encode("utf-8")[: exc.position].decode("utf-8", "ignore")
        line, col = line_col(prefix)
        char = exc.character
        code = f" #x{char:04x}" if isinstance(char, int) else ""
        return LoadProblem("YML000", f"{exc.reason}{code}", line, col, index)
    return LoadProblem("YML000", str(exc), 1, 1, index)


# libyaml >= 0.2.6 refuses nesting past its own limit (1000 levels) with this scanner error.
_LIBYAML_NESTING = "exceeded maximum nesting depth"


def nesting_cut(exc: yaml.YAMLError) -> int | None:
    """The character offset where libyaml stopped at its own nesting limit, or None for other errors."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem == _LIBYAML_NESTING and exc.problem_mark is not None:
        return exc.problem_mark.index
    return None


class Chunks:
    """A file-like view of ``text[pos:end]``: a parser can start late in a large file without a copy."""

    __slots__ = ("end", "pos", "text")

    def __init__(self, text: str, pos: int, end: int) -> None:
        self.text, self.pos, self.end = text, pos, end

    def read(self, size: int = -1, /) -> str:
        pos = self.pos
        self.pos = self.end if size < 0 else min(pos + size, self.end)
        return self.text[pos : self.pos]


class Source:
    """The part of the text one libyaml parser reads: from a line start to the end, or to a cut."""

    __slots__ = ("end", "start", "text")

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text, self.start, self.end = text, start, end

    def parser(self) -> Any:
        if self.start == 0 and self.end == len(self.text):
            return CParser(self.text)
        return CParser(Chunks(self.text, self.start, self.end))

    def cut(self, offset: int) -> Source:
        return Source(self.text, self.start, self.start + offset)
