"""Policy files: `kind: Policy` documents (apiVersion compliance.policy/v1), read with positions and checked.

A file may hold several documents. Every problem is a `PolicyError` naming file:line:column (exit 2):
an unknown key, a missing field, a CEL expression that does not parse or does not type-check
(`compliance.policy.celtypes`: a variable the scope does not have, no overload for these argument types).
Expressions are compiled here, once per run; `compliance.policy.check` evaluates them.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from compliance.engine.registry import RULE_ID, Scope
from compliance.errors import UsageError
from compliance.model.findings import Severity
from compliance.policy.cel import Read
from compliance.records import record
from compliance.yaml import Path

API_VERSION = "compliance.policy/v1"
MAX_POLICY_BYTES = 1024 * 1024
DOCS = {"what": "What it does", "why": "Why it matters", "example": "Example", "useInstead": "Use instead"}
DOCS_KEYS = (*DOCS, "howToFix")
MACRO_VARIABLE = re.compile(r"\.\s*(?:all|exists|exists_one|existsOne|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")
# what each scope binds (`item` and `index` inside a `forEach` validation)
VARIABLES = {
    Scope.REPOSITORY: ("repository", "blueprints", "clusters"),
    Scope.BLUEPRINT: ("blueprint", "chart"),
    Scope.RELEASE: ("values", "release", "cluster", "blueprint", "chart"),
    Scope.RENDERED: ("object", "values", "release", "cluster", "blueprint", "chart"),
}


class PolicyError(UsageError):
    """A policy or policy test file that cannot be used: its message starts with file:line:column."""


@record
class Expression:
    source: str
    program: Any  # the engine's compiled program
    where: str  # file:line:column of the expression
    reads: tuple[Read, ...]  # the `values` paths it reads (`compliance.policy.cel.reads`)
    item_reads: tuple[Read, ...] = ()  # the paths under `item` it reads (forEach)


@record
class Validation:
    expression: Expression
    message: tuple[str | Expression, ...]  # literal text and `{{ expression }}` parts
    message_expression: Expression | None
    path: Path  # what a finding points at (in values, the blueprint, or the object, by scope)
    for_each: Path | None  # a list whose every item is checked (`item`, `index`); `path` is then under it


@record
class Policy:
    id: str
    title: str
    severity: Severity
    family: str
    controls: tuple[str, ...]
    scope: Scope
    match: Expression | None
    validations: tuple[Validation, ...]
    docs: Mapping[str, str]
    file: str
    where: str  # file:line:column of `metadata.id`


def parse_path(text: str) -> Path:
    """`audit.retentionDays`, `channels[0].name`, `labels["app.kubernetes.io/name"]` as a value path."""
    path: list[str | int] = []
    for match in re.finditer(r"\[(\d+)\]|\[\"([^\"]*)\"\]|\['([^']*)'\]|([^.\[\]]+)", text):
        index, double, single, key = match.groups()
        path.append(int(index) if index is not None else next(p for p in (double, single, key) if p is not None))
    return tuple(path)


class Reader:
    """One policy (or policy test) file's documents, with the positions that error messages name."""

    def __init__(self, file: str) -> None:
        from compliance.yaml import load_manifest

        self.file = file
        try:
            with open(file, "rb") as handle:
                data = handle.read(MAX_POLICY_BYTES + 1)
        except OSError as error:
            raise PolicyError(f"{file}: cannot read: {error.strerror or error}") from None
        if len(data) > MAX_POLICY_BYTES:
            raise PolicyError(f"{file}: larger than {MAX_POLICY_BYTES} bytes; not a policy file")
        self.lines = data.decode("utf-8", errors="replace").splitlines()
        loaded = load_manifest(data)
        for problem in loaded.problems:
            if problem.code in ("YML000", "YML002", "YML003"):
                raise PolicyError(f"{file}:{problem.line}:{problem.column}: {problem.message}")
        self.documents = [(d.value, d.positions) for d in loaded.documents if d.value is not None]

    def where(self, positions: Mapping[Path, Any], path: Path) -> str:
        for end in range(len(path), -1, -1):
            mark = positions.get(path[:end])
            if mark is not None:
                return f"{self.file}:{mark.line}:{mark.column}"
        return f"{self.file}:1:1"

    def error(self, positions: Mapping[Path, Any], path: Path, message: str) -> PolicyError:
        return PolicyError(f"{self.where(positions, path)}: {message}")

    def expression_where(self, positions: Mapping[Path, Any], path: Path, source: str, line: int, column: int) -> str:
        """file:line:column of (`line`, `column`) in the expression `source` at `path`: past a quote, inside a
        literal (`|`) or folded (`>`) block scalar."""
        mark = positions.get(path)
        if mark is None:
            return self.where(positions, path)
        text = self.lines[mark.line - 1] if 0 < mark.line <= len(self.lines) else ""
        start = text[mark.column - 1 : mark.column]
        if start in ("|", ">"):
            offset = sum(len(part) + 1 for part in source.split("\n")[: line - 1]) + column - 1
            return self._in_block(mark.line, source, offset)
        if line > 1:
            return f"{self.file}:{mark.line + line - 1}:{column}"
        quoted = 1 if start in ("'", '"') else 0
        return f"{self.file}:{mark.line}:{mark.column + quoted + column - 1}"

    def _in_block(self, header: int, source: str, offset: int) -> str:
        """The file position of `source[offset]`, a block scalar's value whose header is on line `header`. A block's
        indentation, folding (`>`) and its more-indented lines change only blanks, so the n-th non-blank character
        of the value is the n-th of the block's lines; a position past the last one is just after it."""
        wanted = sum(1 for char in source[:offset] if not char.isspace())
        total = wanted + sum(1 for char in source[offset:] if not char.isspace())
        last = (header, len(self.lines[header - 1]) if 0 < header <= len(self.lines) else 0)
        for seen, (at, col) in enumerate(itertools.islice(self._non_blank(header), total)):
            if seen == wanted:
                return f"{self.file}:{at}:{col}"
            last = (at, col)
        return f"{self.file}:{last[0]}:{last[1] + 1}"

    def _non_blank(self, after: int) -> Iterator[tuple[int, int]]:
        for at in range(after + 1, len(self.lines) + 1):
            for col, char in enumerate(self.lines[at - 1], 1):
                if not char.isspace():
                    yield at, col


def read_policies(file: str, in_folder: bool = False) -> list[Policy]:
    """Every `kind: Policy` document of `file`, compiled. A folder's YAML file that declares no document of
    this apiVersion is not a policy file (`in_folder`): it is skipped."""
    reader = Reader(file)
    if in_folder and not any(isinstance(v, dict) and v.get("apiVersion") == API_VERSION for v, _ in reader.documents):
        return []
    policies = []
    for value, positions in reader.documents:
        if not isinstance(value, dict) or value.get("kind") != "Policy" or value.get("apiVersion") != API_VERSION:
            raise reader.error(positions, (), f"expected apiVersion: {API_VERSION} and kind: Policy")
        policies.append(_policy(reader, value, positions))
    return policies


_TOP = {"apiVersion", "kind", "metadata", "spec"}
_METADATA = {"id", "title", "severity", "family", "controls"}
_SPEC = {"scope", "match", "validations", "docs"}
_VALIDATION = {"expression", "message", "messageExpression", "path", "forEach"}


def _keys(reader: Reader, positions: Mapping[Path, Any], path: Path, value: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise reader.error(positions, path, f"{_name(path)} must be a mapping")
    for key in value:
        if key not in allowed:
            raise reader.error(
                positions, (*path, key), f"unknown key {key!r} (expected one of {', '.join(sorted(allowed))})"
            )
    return value


def _name(path: Path) -> str:
    from compliance.model import format_path

    return format_path(path) or "the document"


def _text(reader: Reader, positions: Mapping[Path, Any], path: Path, value: Any, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise reader.error(positions, path, f"{_name(path)} must be a non-empty string")
    return value


def _policy(reader: Reader, value: dict[str, Any], positions: Mapping[Path, Any]) -> Policy:
    _keys(reader, positions, (), value, _TOP)
    metadata = _keys(reader, positions, ("metadata",), value.get("metadata"), _METADATA)
    spec = _keys(reader, positions, ("spec",), value.get("spec"), _SPEC)
    rule_id = _text(reader, positions, ("metadata", "id"), metadata.get("id"))
    if not RULE_ID.match(rule_id):
        raise reader.error(positions, ("metadata", "id"), f"invalid rule id {rule_id!r} (expected e.g. ORG001)")
    severity = metadata.get("severity", "error")
    if severity not in [s.value for s in Severity]:
        raise reader.error(positions, ("metadata", "severity"), "severity must be error, warning or info")
    controls = metadata.get("controls", [])
    if not isinstance(controls, list) or not all(isinstance(c, str) for c in controls):
        raise reader.error(positions, ("metadata", "controls"), "controls must be a list of strings")
    scope_name = spec.get("scope")
    if scope_name not in [s.value for s in Scope]:
        raise reader.error(positions, ("spec", "scope"), "scope must be repository, blueprint, release or rendered")
    scope = Scope(scope_name)
    validations = spec.get("validations")
    if not isinstance(validations, list) or not validations:
        raise reader.error(positions, ("spec", "validations"), "spec.validations must be a non-empty list")
    compile_ = _Compiler(reader, positions, scope)
    match = compile_(("spec", "match"), spec["match"]) if spec.get("match") is not None else None
    docs = _keys(reader, positions, ("spec", "docs"), spec.get("docs", {}), set(DOCS_KEYS))
    return Policy(
        rule_id,
        _text(reader, positions, ("metadata", "title"), metadata.get("title")),
        Severity(severity),
        _text(reader, positions, ("metadata", "family"), metadata.get("family", "policy")),
        tuple(controls),
        scope,
        match,
        tuple(_validation(reader, positions, compile_, index, item) for index, item in enumerate(validations)),
        {key: _text(reader, positions, ("spec", "docs", key), text) for key, text in docs.items()},
        reader.file,
        reader.where(positions, ("metadata", "id")),
    )


def _validation(
    reader: Reader, positions: Mapping[Path, Any], compile_: _Compiler, index: int, item: Any
) -> Validation:
    at: Path = ("spec", "validations", index)
    item = _keys(reader, positions, at, item, _VALIDATION)
    for_each = item.get("forEach")
    if for_each is not None:
        for_each = parse_path(_text(reader, positions, (*at, "forEach"), for_each))
    expression = compile_((*at, "expression"), item.get("expression"), for_each is not None)
    message_expression = (
        compile_((*at, "messageExpression"), item["messageExpression"], for_each is not None)
        if item.get("messageExpression") is not None
        else None
    )
    message = _text(reader, positions, (*at, "message"), item.get("message"), required=False)
    parts: list[str | Expression] = []
    last = 0
    for found in re.finditer(r"\{\{(.*?)\}\}", message):
        inner = found.group(1)
        start = found.start(1) + len(inner) - len(inner.lstrip())  # an error's position is the message's
        parts += [
            message[last : found.start()],
            compile_((*at, "message"), inner.strip(), for_each is not None, (message, start)),
        ]
        last = found.end()
    parts.append(message[last:])
    path = parse_path(_text(reader, positions, (*at, "path"), item["path"])) if item.get("path") is not None else ()
    return Validation(expression, tuple(p for p in parts if p != ""), message_expression, path, for_each)


class _Compiler:
    """Compiles and type-checks a policy's expressions, each error located in the file."""

    def __init__(self, reader: Reader, positions: Mapping[Path, Any], scope: Scope) -> None:
        self.reader, self.positions, self.scope = reader, positions, scope
        self.within: tuple[str, int] | None = None

    def __call__(
        self, path: Path, source: Any, item: bool = False, within: tuple[str, int] | None = None
    ) -> Expression:
        """The compiled expression `source` at `path`; `within`: the scalar holding it (a message's
        `{{ }}` placeholder) and its offset there, which error positions count from."""
        from compliance.policy.cel import CelError, compile_expression, reads

        reader, positions = self.reader, self.positions
        source = _text(reader, positions, path, source)
        self.within = within
        try:
            program = compile_expression(source)
        except CelError as error:
            where = self._where(path, source, error.line, error.column)
            raise PolicyError(f"{where}: {_name(path)}: {error.message}") from None
        self._check_types(path, source, program, item)
        return Expression(
            source, program, reader.where(positions, path), tuple(reads(source)), tuple(reads(source, "item"))
        )

    def _where(self, path: Path, source: str, line: int, column: int) -> str:
        """file:line:column of (`line`, `column`) in the expression `source` at `path`."""
        if self.within is not None:
            from compliance.policy.celparse import line_column

            scalar, start = self.within
            offset = sum(len(text) + 1 for text in source.split("\n")[: line - 1]) + column - 1
            source, (line, column) = scalar, line_column(scalar, start + offset)
        return self.reader.expression_where(self.positions, path, source, line, column)

    def _check_types(self, path: Path, source: str, program: Any, item: bool) -> None:
        """The static type check (`compliance.policy.celtypes`): exit 2 at the first error's position."""
        from compliance.policy.cel import regex_error
        from compliance.policy.celparse import Unsupported, line_column, parse
        from compliance.policy.celtypes import CelTypeError, check

        names = (*VARIABLES[self.scope], *(("item", "index") if item else ()))
        hint = f" ({self.scope.value} scope has {', '.join(sorted(names))})"
        try:
            tree = parse(source)
        except Unsupported:  # what the checker does not model is evaluated unchecked; its variables still are
            self._check_variables(path, source, program, names, hint)
            return
        try:
            check(tree, names, hint, lambda literal: regex_error(literal.text))
        except CelTypeError as error:
            line, column = line_column(source, error.at)
            raise PolicyError(
                f"{self._where(path, source, line, column)}: type error: {_name(path)}: {error.message}"
            ) from None

    def _check_variables(self, path: Path, source: str, program: Any, names: tuple[str, ...], hint: str) -> None:
        """Without a tree (`Unsupported`): only the variables the engine reports, against the scope's."""
        from compliance.policy.celtypes import NAMESPACES, TYPE_NAMES

        bound = set(MACRO_VARIABLE.findall(source))
        for name in program.variables():  # `math.greatest(...)`: the engine reports `math` as a variable
            if name not in names and name not in bound and name not in TYPE_NAMES and name not in NAMESPACES:
                where = self._where(path, source, *_position(source, name))
                raise PolicyError(f"{where}: type error: {_name(path)}: undeclared variable {name!r}{hint}")


def _position(source: str, name: str) -> tuple[int, int]:
    found = re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", source)
    offset = found.start() if found else 0
    line = source.count("\n", 0, offset) + 1
    return line, offset - (source.rfind("\n", 0, offset) + 1) + 1


def policy_files(path: str) -> list[str]:
    """`path` itself, or the policy files of a folder: `*.yaml`/`*.yml`, not the `*_test.yaml` tests."""
    if not os.path.isdir(path):
        return [path]
    return sorted(
        os.path.join(path, name)
        for name in os.listdir(path)
        if name.endswith((".yaml", ".yml")) and not is_test_file(name) and not name.startswith((".", "_"))
    )


def is_policy_path(path: str) -> bool:
    return path.endswith((".yaml", ".yml"))


def is_test_file(name: str) -> bool:
    return name.endswith(("_test.yaml", "_test.yml"))


def sorted_unique(files: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    found = []
    for file in files:
        real = os.path.realpath(file)
        if real not in seen:
            seen.add(real)
            found.append(file)
    return found
