"""The CEL engine: `common-expression-language` (bindings to the Rust `cel` crate), loaded on first use.

Only its native extension is imported: the package's `__init__` also imports its command-line tool
(prompt_toolkit, ~0.2 s), which a lint run has no use for. A run without declarative policies never
imports this engine at all (`compliance.policy.document` calls it only to compile an expression).
docs/policies.md has the figures that chose it over `cel-python`.

`reads` is the static half of the unknown-value contract: the `values` paths an expression can read
(a selector chain `values.a.b["c"][0]`, cut where a method call, a macro or a computed index starts:
that whole subtree is read). A validation that reads a value depending on an unknown Flux variable is
not checked, whatever the engine would make of the variable's literal text.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
import types
from collections.abc import Collection
from typing import Any

from compliance.errors import UsageError
from compliance.records import record
from compliance.yaml import Path

ENGINE = "common-expression-language"


Read = tuple[Path, bool]  # a path an expression reads; True: only whether it is present (`has()`)


class CelError(UsageError):
    """A CEL expression that does not compile: `line`/`column` are 1-based within the expression."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


@functools.cache
def engine() -> Any:
    """The native module `cel.cel` without the `cel` package's `__init__` (and its command-line tool)."""
    loaded = sys.modules.get("cel.cel")
    if loaded is not None:
        return loaded
    spec = importlib.util.find_spec("cel") if "cel" not in sys.modules else sys.modules["cel"].__spec__
    if spec is None or not spec.submodule_search_locations:
        raise UsageError(f"declarative policies need the CEL engine: pip install {ENGINE}")
    if "cel" not in sys.modules:
        package = types.ModuleType("cel")
        package.__path__ = list(spec.submodule_search_locations)
        package.__spec__ = spec
        sys.modules["cel"] = package
    import logging

    import cel.cel as native

    # the engine logs a failing extension function as a warning; the finding it fails says so already
    logger = logging.getLogger("cel")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return native


_POSITION = re.compile(r"<input>:(\d+):(\d+): (.*?)(?:\n|$)")


def compile_expression(source: str) -> Any:
    """A compiled program; a CelError with the position of the first syntax error otherwise. The engine's
    parser refuses the optional field selection `a.?f`: such an expression is compiled as
    `compliance.policy.celparse.engine_source` writes it without (its `source` stays the original)."""
    try:
        return engine().compile(source)
    except (ValueError, TypeError, RuntimeError) as error:
        problem = _syntax_error(error)
    if "'.?'" in problem.message:
        from compliance.policy.celparse import Unsupported, engine_source, parse

        try:
            return engine().compile(engine_source(parse(source)))
        except (Unsupported, ValueError, TypeError, RuntimeError):
            pass  # not an expression this parser reads: the engine's own error stands
    raise problem


def _syntax_error(error: Exception) -> CelError:
    text = str(error)
    found = _POSITION.search(text)
    if found is None:
        return CelError(text.splitlines()[0] if text else type(error).__name__)
    return CelError(found.group(3).strip(), int(found.group(1)), int(found.group(2)))


def regex_error(literal: str) -> str | None:
    """Why the string literal `literal` (as written in CEL) is not a regular expression the engine's
    `matches` compiles, or None: the engine itself is asked (Rust's `regex` syntax, not Python's)."""
    try:
        engine().compile(f'"".matches({literal})').execute()
    except Exception as error:  # the engine raises RuntimeError naming the pattern; nothing else can fail here
        text = " ".join(str(error).split())
        found = re.search(r"\^ error: (.*?)(?:\.? Check function arguments.*)?$", text)
        return found.group(1) if found else text.removeprefix("Function 'matches' error: ") or "does not compile"
    return None


# --- what an expression reads ----------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s+
    |(?P<string>[rRbB]{0,2}(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'))
    |(?P<number>\d+[uU]?)(?![.\deE])
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<other>\S)""",
    re.VERBOSE,
)


@record
class _Token:
    kind: str
    text: str


def _tokens(source: str) -> list[_Token]:
    found = []
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup
        if kind is not None:
            found.append(_Token(kind, match.group(kind)))
    return found


def _literal(token: _Token) -> str | int | None:
    if token.kind == "number":
        return int(token.text.rstrip("uU"))
    if token.kind == "string" and token.text[0] in "'\"":
        body = token.text[3:-3] if token.text[:3] in ('"""', "'''") else token.text[1:-1]
        return None if "\\" in body else body
    return None


def reads(source: str, root: str = "values") -> list[Read]:
    """The paths under the variable `root` that `source` reads: (path, True) when only its presence is
    tested (`has(values.a.b)`), else (path, False): the value and everything beneath it."""
    tokens = _tokens(source)
    found: list[Read] = []
    for index, token in enumerate(tokens):
        if token.kind != "ident" or token.text != root or (index and tokens[index - 1].text == "."):
            continue
        path, end = _chain(tokens, index + 1)
        before = [t.text for t in tokens[max(0, index - 2) : index]]
        presence = before == ["has", "("] and end < len(tokens) and tokens[end].text == ")" and bool(path)
        found.append((tuple(path), presence))
    return found


def _chain(tokens: list[_Token], at: int) -> tuple[list[str | int], int]:
    """The selector chain starting at `at` and the index of the token after it."""
    path: list[str | int] = []
    while at < len(tokens):
        token = tokens[at]
        following = tokens[at + 1 : at + 4]
        if token.text == "." and following[:1] and following[0].text == "?" and len(following) > 1:
            following = following[1:]  # `.?field`: optional selection reads the field as `.field` does
            at += 1
        if token.text == "." and following and following[0].kind == "ident":
            if len(following) > 1 and following[1].text == "(":
                break  # a method or macro on this value: it reads the whole of it
            path.append(following[0].text)
            at += 2
        elif token.text == "[" and len(following) >= 2 and following[1].text == "]":
            key = _literal(following[0])
            if key is None:
                break
            path.append(key)
            at += 3
        else:
            break
    return path, at


def overlaps(read: Read, unknown: Path) -> bool:
    """True when `read` reads the value at `unknown`: a value read covers everything beneath it; a presence
    test (`has()`) depends only on the keys above it (an unknown value is present)."""
    path, presence = read
    if presence:
        return len(unknown) < len(path) and path[: len(unknown)] == unknown
    shorter = min(len(path), len(unknown))
    return path[:shorter] == unknown[:shorter]


def new_context(variables: dict[str, Any], functions: Collection[str] = ()) -> Any:
    """An evaluation context: `variables` converted once, with those of `functions` that the extension
    libraries policy authors expect from Kubernetes CEL provide (strings, lists, math, sets: `cel.stdlib`)."""
    native = engine()
    library = _functions()
    return native.Context(variables=variables, functions={n: library[n] for n in functions if n in library})


def extension_functions() -> frozenset[str]:
    return frozenset(_functions())


@functools.cache
def _functions() -> dict[str, Any]:
    engine()
    from cel.stdlib import STDLIB_FUNCTIONS

    return dict(STDLIB_FUNCTIONS)
