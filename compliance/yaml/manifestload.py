"""Loading a Flux/Kubernetes manifest as kustomize-controller types it (shared notes §3, "Apply path").

kustomize's kyaml parses every manifest with go-yaml v3 and turns each resource into JSON before
Flux's post-build substitution, so a scalar written literally in a HelmRelease follows go-yaml v3
(``compliance.yaml.manifest``): `yes/no/on/off/y/n` stay strings, a timestamp becomes an RFC 3339
string, `!!binary` is decoded. What makes the build fail is reported as an error: a duplicate key
(YML002, go-yaml v3's `mapping key "a" already defined at line N`), a key that is not a string in a
nested mapping, a value JSON cannot hold (YML000). The re-emission drops the quotes of `"${X}"`, so a
quoted placeholder is retyped after substitution like a plain one: it is a template, and YML005 when
the whole scalar is a placeholder (quoting was meant to keep a string and does not).

Positions, bounds, anchors and merges are the Helm builder's (``compliance.yaml.builder``); only
scalars and keys differ, and every event goes through the general handlers (the Helm hot loop is
kept for values files, which are most of the bytes).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from sys import intern
from typing import Any

from compliance.yaml.aliases import MVAL
from compliance.yaml.anchors import A_SCALAR, Anchor, scalar_anchor
from compliance.yaml.budget import FileBudget, Limits
from compliance.yaml.builder import DocumentBuilder
from compliance.yaml.document import LoadedDocument, LoadedFile, LoadProblem, Path
from compliance.yaml.manifest import NON_STRING_KEY_ERROR, ManifestError, key_tag, type_plain_scalar, type_tagged_scalar
from compliance.yaml.problems import problem_at
from compliance.yaml.scalars import MERGE, STD_OTHER_TAGS, STD_SCALAR_TAGS, short_tag
from compliance.yaml.state import Overflow
from compliance.yaml.streams import DEFAULT_LIMITS, load_yaml

__all__ = ["build_manifest_document", "load_manifest"]

_BUILD_FAILS = "kustomize-controller's build of this Kustomization fails"
_KNOWN_TAGS = frozenset(("!!binary", "!"))


def load_manifest(text: str | bytes, limits: Limits = DEFAULT_LIMITS) -> LoadedFile:
    """Parse a manifest stream typed as kustomize-controller types it, with positions and problems."""
    return load_yaml(text, limits, build_manifest_document)


def build_manifest_document(
    get_event: Callable[[], Any],
    index: int,
    limits: Limits,
    problems: list[LoadProblem],
    overflow: Overflow,
    budget: FileBudget,
) -> tuple[LoadedDocument, int | None]:
    return ManifestBuilder(get_event, index, limits, problems, overflow, budget).build()


# kyaml re-emits each resource (JSONToYAML) and the result is read again: go-yaml v3 writes a string holding
# NEL (U+0085) double-quoted with the NEL raw, where reading folds it as a line break (spaces around it
# trimmed; one break is a space, n breaks are n-1 newlines). Measured with tools/oracle's full build.
_NEL_RUN = re.compile("[ ]*\x85(?:[ ]*\x85)*[ ]*")


def _fold_nel(match: re.Match[str]) -> str:
    breaks = match.group().count("\x85")
    return " " if breaks == 1 else "\n" * (breaks - 1)


def reemitted(text: str) -> str:
    """The string kyaml's re-emission gives back (only NEL changes)."""
    return _NEL_RUN.sub(_fold_nel, text) if "\x85" in text else text


def _retyped(text: str) -> bool:
    """A quoted or block scalar that kyaml re-emits as a plain scalar holding a placeholder."""
    return "${" in text and "\n" not in text and text == text.strip() and ": " not in text and " #" not in text


class ManifestBuilder(DocumentBuilder):
    """``DocumentBuilder`` with go-yaml v3 scalars and keys, and the build's failures as errors."""

    __slots__ = ()

    def _events(self) -> None:
        get_event, handle = self.get_event, self._event
        while True:
            ev = get_event()
            if handle(ev, ev.__class__):
                return

    def _key_scalar(self, ev: Any) -> None:
        text, tag, style = ev.value, ev.tag, ev.style
        self.nodes += 1  # keys count as nodes (the alias pre-count relies on it)
        ktag = key_tag(text, tag, bool(style))
        if ktag == "!!merge" or (text == "<<" and tag is None and not style):
            self.key = MERGE
            self.mode = MVAL
            return
        self._open_key(text, ktag, ev.start_mark, None)
        if ev.anchor is not None:
            self.anchors[ev.anchor] = scalar_anchor(ev)

    def _alias_key(self, name: str, rec: Anchor, mark: Any) -> None:
        """An alias as a key: the anchored scalar's text, typed by go-yaml v3 (a repeat fails the build too)."""
        if rec.kind != A_SCALAR:
            super()._alias_key(name, rec, mark)
            return
        self.nodes += 1
        ktag = key_tag(rec.text, rec.tag, bool(rec.style))
        if ktag == "!!merge" or (rec.text == "<<" and rec.tag is None and not rec.style):
            self.key = MERGE
            self.mode = MVAL
            return
        self._open_key(rec.text, ktag, mark, name)

    def _open_key(self, k: str, ktag: str, mark: Any, alias: str | None) -> None:
        """`k` (typed `ktag` by go-yaml v3) becomes the open mapping's pending key; the build's failures noted."""
        if ktag != "!!str" and len(self.stack) > 1:  # the top level is decoded into map[string]interface{}
            self._non_string_key(k, ktag, mark)
        if k in self.cur:
            self._repeated_key(k, mark, k, alias)
        k = intern(k)  # keys repeat across files: one string each
        self.kmarks[k] = self.kmark = mark
        self.key = k
        self.mode = MVAL

    def _non_string_key(self, text: str, ktag: str, mark: Any) -> None:
        msg = (
            f"key '{text}' is not a string to kustomize ({ktag}): {_BUILD_FAILS} "
            f"('{NON_STRING_KEY_ERROR}'); quote the key"
        )
        self.problems.append(problem_at("YML000", msg, mark, self.index, (*self.cpath, text), text=text))

    def _repeated_key(self, k: str, mark: Any, text: str, alias: str | None) -> None:
        self.dirty = True
        first = self.kmarks.get(k)
        if first is not None:
            line = first.line + 1
            msg = (
                f"duplicate key '{k}' (first at line {line}): {_BUILD_FAILS} "
                f"(go-yaml v3: 'mapping key \"{k}\" already defined at line {line}'); nothing in it is applied"
            )
            path = (*self.cpath, k)
            detail = {"key": k, "text": text, "first_line": line, "manifest": True}
            self.problems.append(problem_at("YML002", msg, mark, self.index, path, **detail))

    def _scalar_anchor(self, ev: Any, value: Any) -> Anchor:
        rec = scalar_anchor(ev)
        rec.value = value  # the kyaml value: an alias must not retype it by Helm's rules
        return rec

    def _scalar_value(self, ev: Any, mark: Any, path: Path) -> Any:
        """The JSON value the build gives the scalar; a template or a problem noted on the way."""
        v = self._kyaml_value(ev, mark, path)
        return reemitted(v) if v.__class__ is str else v

    def _kyaml_value(self, ev: Any, mark: Any, path: Path) -> Any:
        text, tag = ev.value, ev.tag
        try:
            if tag is None and not ev.style:
                v = type_plain_scalar(text)
                if v.__class__ is str and "${" in v:
                    self.templates.append((path, mark))
                return v
            if tag is None:
                if _retyped(text):
                    self.templates.append((path, mark))
                    if text.startswith("${") and text.endswith("}") and ev.style in ("'", '"'):
                        self._quoted_placeholder(text, ev.style, mark, path)
                return text
            short = short_tag(tag)
            if short not in STD_SCALAR_TAGS and short not in STD_OTHER_TAGS and short not in _KNOWN_TAGS:
                msg = f"unknown tag {short} ignored; value treated as plain"
                self.problems.append(problem_at("YML004", msg, mark, self.index, path))
            return type_tagged_scalar(tag, text)
        except ManifestError as exc:
            self.problems.append(problem_at("YML000", f"{_BUILD_FAILS}: {exc}", mark, self.index, path))
            return text

    def _quoted_placeholder(self, text: str, style: str, mark: Any, path: Path) -> None:
        fixed = "${quote}" + text + "${quote}"
        msg = (
            f"quoting {style}{text}{style} does not keep a string: kustomize re-emits the manifest without the "
            f"quotes before substitution, so the substituted value is retyped as YAML 1.1 (yes/on become true, "
            f"0123 becomes 83); write {fixed} with a variable quote: '\"'"
        )
        self.problems.append(problem_at("YML005", msg, mark, self.index, path, text=text, fix=fixed))
