"""Problems at a libyaml mark (YML000-YML004), and ``Abort``: a limit that stops the current document."""

from __future__ import annotations

from typing import Any

from compliance.yaml.document import LoadProblem, Path


class Abort(Exception):
    """Stop building the current document (a limit was hit) at a character offset of the source."""

    def __init__(self, problem: LoadProblem, offset: int) -> None:
        super().__init__(problem.message)
        self.problem = problem
        self.offset = offset


def limit_abort(message: str, mark: Any, index: int, path: Path = (), **detail: Any) -> Abort:
    return Abort(problem_at("YML003", message, mark, index, path, **detail), mark.index)


def depth_abort(limit: int, mark: Any, index: int, path: Path) -> Abort:
    return limit_abort(f"nesting deeper than {limit} levels; document not loaded", mark, index, path)


def problem_at(code: str, message: str, mark: Any, index: int, path: Path = (), **detail: Any) -> LoadProblem:
    return LoadProblem(code, message, mark.line + 1, mark.column + 1, index, path, detail)


def bool_problem(text: str, value: bool, mark: Any, index: int, path: Path, key: bool) -> LoadProblem:
    what = "key" if key else "scalar"
    word = "true" if value else "false"
    msg = f"plain {what} '{text}' is read by Helm as boolean {word} (YAML 1.1); quote it if a string was meant"
    return problem_at("YML001", msg, mark, index, path, text=text, value=value)


def merge_problem(mark: Any, index: int, path: Path) -> LoadProblem:
    return problem_at(
        "YML000",
        "map merge requires map or sequence of maps as the value (Helm refuses this file)",
        mark,
        index,
        path,
    )


def duplicate_key(key: str, source: str, text: str, first: Any, mark: Any, index: int, path: Path) -> LoadProblem:
    """YML002 at the later key; `first` is the libyaml mark (0-based) of the key it repeats."""
    return problem_at(
        "YML002",
        f"duplicate key '{key}' (from {source}; first at line {first.line + 1}); Helm keeps the last value",
        mark,
        index,
        path,
        key=key,
        text=text,
        first_line=first.line + 1,
    )


def nodes_abort(limit: int, name: str, mark: Any, index: int, path: Path) -> Abort:
    return limit_abort(
        f"alias *{name} takes the file beyond {limit} nodes; document not loaded",
        mark,
        index,
        path,
        alias=name,
        limit="max_nodes",
    )


def alias_depth_abort(limit: int, name: str, mark: Any, index: int, path: Path) -> Abort:
    msg = f"alias *{name} nests the document deeper than {limit} levels; document not loaded"
    return limit_abort(msg, mark, index, path, alias=name)
