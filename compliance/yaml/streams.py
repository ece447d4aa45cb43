"""Streams: every document of a file, resuming after a document stopped at a limit; ``load_yaml``.

A document stopped by a limit is not read on: loading resumes at the next line starting a document
(``---``) or ending one (``...``), with a fresh parser, so the rest of the stream still loads and
costs no more than it would without the bad document. When libyaml (>= 0.2.6) stops at its own
nesting limit, the text before that point is loaded again, so our limits decide.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import yaml
from yaml.events import DocumentStartEvent, StreamEndEvent

from compliance.yaml.aliascount import alias_overflows
from compliance.yaml.budget import FileBudget, Limits
from compliance.yaml.builder import BuildDocument, build_document
from compliance.yaml.document import LoadedDocument, LoadedFile, LoadProblem, Mark, Positions
from compliance.yaml.problems import Abort, problem_at
from compliance.yaml.source import BREAKS_RE, Source, line_col, nesting_cut, parse_problem

# A line that starts a document ("---") or ends one ("..."): where loading resumes after a limit.
DOC_MARKER_RE = re.compile(r"(?<=[\n\r\x85\u2028\u2029])(?:---|\.\.\.)(?=[ \t\n\r\x85\u2028\u2029]|\Z)")
DEFAULT_LIMITS = Limits()


def load_source(
    source: Source,
    limits: Limits,
    first: int,
    docs: list[LoadedDocument],
    problems: list[LoadProblem],
    budget: FileBudget,
    at_cut: LoadProblem | None = None,
    build: BuildDocument = build_document,
) -> int | None:
    """Load the documents of one source (the first is number ``first``); positions are relative to it.

    Returns the offset in the source where a limit stopped a document, else None (read to the end,
    stopped by a parse error, or the file's budget is spent). Raises ``Abort`` when libyaml's own
    nesting limit is reached (libyaml >= 0.2.6); the source cut there is then loaded with that
    problem as ``at_cut``.
    """
    get_event = source.parser().get_event
    counted: list[dict[int, tuple[Any, str]]] = []
    base = budget.nodes

    def overflow(index: int) -> tuple[Any, str] | None:
        """Where document ``index`` exceeds the node limit through aliases (counted once per source)."""
        if not counted:
            counted.append(alias_overflows(source, limits, first, base))
        return counted[0].get(index)

    if at_cut is not None:
        get_event = stop_at_cut(get_event, source.end - source.start, at_cut)
    index = first
    try:
        while True:
            ev = get_event()
            cls = ev.__class__
            if cls is DocumentStartEvent:
                if ev.version is not None:
                    message = directive_problem(ev.version, build is not build_document)
                    if message:
                        problems.append(problem_at("YML000", message, ev.start_mark, index))
                doc, stopped = build(get_event, index, limits, problems, overflow, budget)
                docs.append(doc)
                index += 1
                if stopped is not None:
                    if not budget.spent(limits):
                        return stopped
                    last = problems[-1]  # the limit that stopped it: nothing more is read
                    problems[-1] = dataclasses.replace(
                        last, message=f"{last.message}; the rest of the file was not read"
                    )
                    return None
            elif cls is StreamEndEvent:
                return None
    except yaml.YAMLError as exc:  # the document being read is dropped; earlier ones stay
        cut = nesting_cut(exc)
        if cut is not None and isinstance(exc, yaml.MarkedYAMLError):  # nesting_cut proved it is marked
            raise Abort(problem_at("YML003", PARSER_NESTING, exc.problem_mark, index), cut) from None
        problems.append(parse_problem(exc, source, index))
    except Abort as exc:  # the cut was reached between documents
        problems.append(exc.problem)
        return exc.offset
    return None


def directive_problem(version: tuple[int, int], manifest: bool) -> str | None:
    """What a `%YAML` directive means: go-yaml v2 (Helm) refuses any version but 1.1; kustomize's kyaml
    splits a manifest at `---` lines itself, so a directive in a manifest fails the Kustomization's build
    (measured with tools/oracle: "did not find expected <document start>" for 1.1, "found incompatible
    YAML document" for 1.2)."""
    major, minor = version
    if manifest:
        return (
            f"%YAML {major}.{minor} directive: kustomize-controller's build of this Kustomization fails "
            "(kyaml: 'MalformedYAMLError'); remove the directive"
        )
    if version != (1, 1):
        return (
            f"%YAML {major}.{minor} directive: Helm's YAML parser (go-yaml v2) "
            "refuses it ('found incompatible YAML document'); read as YAML 1.1"
        )
    return None


PARSER_NESTING = "nesting deeper than the YAML parser's own limit (libyaml >= 0.2.6); document not loaded"


def stop_at_cut(get_event: Callable[[], Any], cut: int, problem: LoadProblem) -> Callable[[], Any]:
    """Events of a source cut where libyaml's nesting limit stopped it: reaching the cut is that limit.

    Only a raised ``Limits.max_depth`` gets here: the default is below libyaml's limit, so the
    document stops at our own limit before the cut."""

    def get() -> Any:
        try:
            ev = get_event()
        except yaml.MarkedYAMLError as exc:  # the text ends at the cut: an error there is the cut's
            if exc.problem_mark is None or exc.problem_mark.index >= cut:
                raise Abort(problem, cut) from None
            raise
        if ev.start_mark.index >= cut or ev.__class__ is StreamEndEvent:
            raise Abort(problem, cut)
        return ev

    return get


def load_stream(
    text: str, limits: Limits, problems: list[LoadProblem], build: BuildDocument = build_document
) -> tuple[list[LoadedDocument], FileBudget]:
    """Every document of the stream. After a document stopped at a limit, loading resumes at the
    next document marker with a fresh parser, so the rest of the file costs no more than it would
    without the bad document, and libyaml's version does not change what is reported."""
    docs: list[LoadedDocument] = []
    source = Source(text, 0, len(text))
    at_cut: LoadProblem | None = None
    lines = 0  # line breaks before source.start
    budget = FileBudget()
    while True:
        first_doc, first_problem, spent = len(docs), len(problems), budget.snapshot()
        try:
            stopped = load_source(source, limits, first_doc, docs, problems, budget, at_cut, build)
        except Abort as exc:
            # libyaml (>= 0.2.6) stopped at its own nesting limit, possibly reading ahead of events we
            # have not handled: load the text before that point again, where our limits decide.
            del docs[first_doc:], problems[first_problem:]
            budget = spent
            source, at_cut = source.cut(exc.offset), exc.problem
            continue
        except UnicodeEncodeError as exc:  # lone surrogates cannot reach libyaml
            line, col = line_col(text[: exc.start])
            problems.append(LoadProblem("YML000", f"text is not valid Unicode: {exc.reason}", line, col))
            return docs, budget
        if lines:  # positions are relative to the source: make them the file's
            docs[first_doc:] = [shift_document(d, lines) for d in docs[first_doc:]]
            problems[first_problem:] = [shift_problem(p, lines) for p in problems[first_problem:]]
        if stopped is None:
            return docs, budget
        marker = DOC_MARKER_RE.search(text, source.start + stopped)
        if marker is None:
            return docs, budget
        lines += sum(1 for _ in BREAKS_RE.finditer(text, source.start, marker.start()))
        source, at_cut = Source(text, marker.start(), len(text)), None


def shift_problem(problem: LoadProblem, lines: int) -> LoadProblem:
    return dataclasses.replace(problem, line=problem.line + lines) if problem.line else problem


def shift_document(doc: LoadedDocument, lines: int) -> LoadedDocument:
    positions = doc.positions
    assert isinstance(positions, Positions)
    return dataclasses.replace(doc, positions=positions.shifted(lines))


def oversize(size: int, limits: Limits) -> LoadedFile:
    message = f"input is {size} bytes, above the limit of {limits.max_bytes}; not parsed"
    return LoadedFile((), (LoadProblem("YML003", message, 1, 1, detail={"bytes": size}),))


def load_yaml(text: str | bytes, limits: Limits = DEFAULT_LIMITS, build: BuildDocument = build_document) -> LoadedFile:
    """Parse a YAML stream into values typed as Helm sees them, with positions and problems.

    Never raises on bad input: parse errors, limits and Helm incompatibilities are problems.
    ``build`` builds each document: Helm's typing by default (``compliance.yaml.manifestload`` passes
    the manifest builder, typing as kustomize-controller does).
    """
    max_bytes = limits.max_bytes
    if isinstance(text, str):
        size = len(text)
        if size * 4 > max_bytes and (size > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes):
            return oversize(max(size, len(text.encode("utf-8", "surrogatepass"))), limits)
        if text[:1] == "\ufeff":
            text = text[1:]
    else:
        data = bytes(text)
        if len(data) > max_bytes:
            return oversize(len(data), limits)
        if data[:3] == b"\xef\xbb\xbf":
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line, col = line_col(data[: exc.start].decode("utf-8"))
            message = f"input is not UTF-8: byte 0x{data[exc.start]:02x} ({exc.reason})"
            return LoadedFile((), (LoadProblem("YML000", message, line, col),))
    problems: list[LoadProblem] = []
    docs, budget = load_stream(text, limits, problems, build)
    budget.spent(limits)  # settles the path steps still pending
    if not docs and not problems:  # nothing but comments/whitespace: one empty document
        docs.append(LoadedDocument(None, Positions({(): Mark(1, 1)}), frozenset(), 0))
    if text and text[-1] not in "\r\n\x85\u2028\u2029":
        # libyaml ends a stream with a line break of its own: what it finds there is at the last character
        end = Mark(*line_col(text))
        for doc in docs:
            if isinstance(doc.positions, Positions):
                doc.positions._end = end
        problems = [
            p if p.line <= end.line else dataclasses.replace(p, line=end.line, column=end.column) for p in problems
        ]
    return LoadedFile(tuple(docs), tuple(problems), budget.nodes, budget.steps)
