"""Properties over generated input: random bytes, near-YAML, YAML documents, value trees and overlays.

- No exception escapes `load_yaml`, `load_repository` or the lint pipeline (a rule that raises shows up as
  a "crashed" finding: none may).
- The output is deterministic: the same input twice gives identical findings.
- Every position is inside its input: the line exists, the column is at most the line's length + 1.
- Coalescing agrees with a reference written here from the Helm v4.2 rules in
  helm-flux-yaml-semantics.md §1, independently of compliance.effective.values.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
from pathlib import Path as FsPath
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.app.api import lint_path
from compliance.effective.values import coalesce
from compliance.model.findings import Finding
from compliance.yaml import LoadedFile, load_yaml
from tests.helpers import FIXTURES

# libyaml's line breaks (the loader counts lines as it does)
BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

# Pieces of YAML syntax, glued at random: mostly not YAML, often nearly.
TOKENS = [
    "a", "key", "on", "NO", "~", "1e3", "017", ".inf", "${var}", "é", "日本", ":", ": ", "- ", "-", " ", "  ",
    "\t", "\n", "\r\n", "\r", "[", "]", "{", "}", ", ", "&x ", "*x", "<<: ", "!!str ", "!!binary ", "!t ",
    "!!python/object/apply:os.system ", "? ", "# c", "'", "'q'", '"', '"d\\n"', "|\n  ", ">-\n  ", "---\n",
    "...\n", "%YAML 1.1\n", "%YAML 1.2\n", "%TAG ! tag:x,2000:\n", "\x00", "\ufeff", "\x85", "\u2028", "\x1b[2J",
]  # fmt: skip
near_yaml = st.lists(st.sampled_from(TOKENS), max_size=80).map("".join)

KEYS = ["a", "b", "c", "on", "1", "true", "x.y"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**60), 2**60),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "yes", "NO", "~", "1e3", "${x}", "café", "a: b", "- x", "#", "'"]),
)
trees = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(KEYS), children, max_size=4),
    max_leaves=20,
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A dumped YAML document with a few characters inserted or deleted."""
    text = yaml.safe_dump(draw(trees), default_flow_style=draw(st.sampled_from([None, True, False])))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        else:
            text = text[:at] + text[at + 1 :]
    return text


inputs = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200),
    near_yaml,
    near_yaml.map(lambda text: text.encode("utf-8")),
    trees.map(yaml.safe_dump),
    mutated(),
)


def _lines(data: str | bytes) -> list[str]:
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    return BREAKS.split(text)


def _inside(lines: list[str], line: int, column: int) -> bool:
    return 1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]) + 1


def _flat(value: Any) -> list[str]:
    """A loaded value as a flat list (iterative: values can nest hundreds deep; NaN equals itself)."""
    out: list[str] = []
    todo = [value]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            out.append(f"{{{len(node)}")
            todo.extend(reversed([part for item in node.items() for part in item]))
        elif isinstance(node, list):
            out.append(f"[{len(node)}")
            todo.extend(reversed(node))
        else:
            out.append(f"{type(node).__name__}:{node!r}")
    return out


def _snapshot(loaded: LoadedFile) -> tuple[Any, ...]:
    return (
        loaded.problems,
        [(d.index, _flat(d.value), dict(d.positions), d.plain_templates) for d in loaded.documents],
    )


@settings(max_examples=400, deadline=None)
@given(inputs)
def test_load_yaml_never_raises_is_deterministic_and_stays_inside_the_input(data: str | bytes) -> None:
    first = load_yaml(data)
    assert _snapshot(load_yaml(data)) == _snapshot(first)
    lines = _lines(data)
    for problem in first.problems:
        assert problem.code in ("YML000", "YML001", "YML002", "YML003", "YML004")
        assert _inside(lines, problem.line, problem.column), (problem, len(lines))
        assert 0 <= problem.document <= len(first.documents)
    for document in first.documents:
        for path, mark in document.positions.items():
            assert _inside(lines, mark.line, mark.column), (path, mark)


@settings(max_examples=200, deadline=None)
@given(near_yaml | mutated())
def test_text_and_its_utf8_bytes_load_alike(text: str) -> None:
    assert _snapshot(load_yaml(text)) == _snapshot(load_yaml(text.encode("utf-8")))


# --- the whole pipeline on generated repositories ---------------------------------------------------------

VALUE_KEYS = [
    "channels", "attestation", "kind", "enabled", "endpoint", "type", "name", "accountId", "contractRef", "geo",
    "sanctionedRegions", "block", "allowRelaxation", "audit", "enabled", "retentionDays", "logPromptContent",
    "aup", "enforcement", "byok", "scope", "defaultChannels", "vllm", "qwenPartner", "replicas", "ingress",
    "host", "adminHost", "auth", "adminUI", "mode", "reseller", "disclosureRequired", "catalystIntegration",
    "externalSecret", "remoteRef", "key",
]  # fmt: skip
VALUE_SCALARS = [
    None, True, False, 0, 1, 730, -1, 1.5, "", "x", "IR", "NO", "commercial-contract", "in-cluster", "byok",
    "anthropic", "vllm", "byok-passthrough", "openai-compatible", "http://vllm.vllm.svc:8000", "https://x.example",
    "${cluster}", "request-scoped", "off", "keycloak", "master-key", [], {},
]  # fmt: skip
values = st.recursive(
    st.sampled_from(VALUE_SCALARS),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(VALUE_KEYS), children, max_size=5)
    ),
    max_leaves=30,
)


def _overlay(tree: Any) -> str:
    release = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "bp-newapi", "namespace": "flux-system"},
        "spec": {
            "releaseName": "newapi",
            "chart": {"spec": {"chart": "bp-newapi", "version": "1.1.0"}},
            "values": tree,
        },
    }
    return yaml.safe_dump(release, sort_keys=False)


file_texts = st.one_of(values.map(_overlay), values.map(yaml.safe_dump), near_yaml, mutated())
TARGETS = [
    "clusters/acme/bootstrap-kit/80-newapi.yaml",
    "clusters/_template/bootstrap-kit/80-newapi.yaml",
    "platform/newapi/chart/values.yaml",
    "platform/newapi/blueprint.yaml",
    "scripts/expected-bootstrap-deps.yaml",
    "clusters/acme/bootstrap-kit/99-extra.yaml",
]
repos = st.dictionaries(
    st.sampled_from(TARGETS), st.one_of(file_texts, st.binary(max_size=100)), min_size=1, max_size=3
)


def _checked(findings: tuple[Finding, ...], root: FsPath, files: set[str]) -> None:
    for finding in findings:
        assert "crashed" not in finding.message, finding
        path, line, column = finding.location.path, finding.location.line, finding.location.column
        assert path in files, finding
        assert _inside(_lines((root / path).read_bytes()), line, column), finding
        for step in finding.trace:
            assert step.location.path in files, finding
            assert _inside(_lines((root / step.location.path).read_bytes()), step.location.line, step.location.column)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(repos)
def test_lint_pipeline_never_raises_is_deterministic_and_locates_inside_its_inputs(contents: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = FsPath(folder) / "repo"
        shutil.copytree(FIXTURES / "clean", root)
        for rel, content in contents.items():
            target = root / rel
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8", errors="surrogatepass")
        first = lint_path(str(root))
        second = lint_path(str(root))
        assert first.findings == second.findings
        assert [f.fingerprint for f in first.findings] == [f.fingerprint for f in second.findings]
        _checked(first.findings, root, {f.path for f in first.repo.files})


# --- coalescing against a reference written from the notes (§1, Helm v4.2) ------------------------------


def reference_coalesce(defaults: dict[str, Any], user: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """Helm v4.2 `CoalesceValues(defaults, user)`, rule by rule from helm-flux-yaml-semantics.md §1."""
    result: dict[str, Any] = {}
    for key in sorted(set(defaults) | set(user)):
        if key not in user:  # a default the user leaves alone; v4.2 drops its nulls (cleanNilValues)
            if defaults[key] is not None:
                result[key] = reference_clean(defaults[key])
        elif key not in defaults:  # a user key with no default: kept as given, nulls included (v4.2)
            result[key] = user[key]
        elif user[key] is None:  # a user null deletes the default key...
            if depth > 0 and defaults[key] is None:
                # ...except nested over a null default, where it stays null: not in §1, measured on Helm
                # v4.2.3 (docstring of compliance.effective.values; the SDK equivalence test proves it).
                result[key] = None
        elif isinstance(user[key], dict) and isinstance(defaults[key], dict):  # maps merge, user wins per key
            result[key] = reference_coalesce(defaults[key], user[key], depth + 1)
        else:  # lists and scalars replace; on a type conflict the user value is kept
            result[key] = user[key]
    return result


def reference_clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: reference_clean(v) for k, v in value.items() if v is not None}
    return value


# Few keys, many nulls, maps against scalars and lists: the cases where merges differ.
merge_scalars = st.one_of(st.none(), st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["", "s"]))
merge_trees = st.recursive(
    merge_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from("abc"), children, max_size=3),
    max_leaves=15,
)
merge_maps = st.dictionaries(st.sampled_from("abcd"), merge_trees, max_size=4)


@settings(max_examples=1000, deadline=None)
@given(merge_maps, merge_maps)
def test_coalesce_agrees_with_the_reference(defaults: dict[str, Any], user: dict[str, Any]) -> None:
    assert coalesce(defaults, user) == reference_coalesce(defaults, user)


@settings(max_examples=300, deadline=None)
@given(merge_maps)
def test_overlay_made_from_the_defaults_agrees_too(defaults: dict[str, Any]) -> None:
    """Overlays that hit the defaults' own keys: every default nulled, kept, or replaced by its own subtree."""
    for choice in range(3):
        user = {k: None if choice == 0 else (v if choice == 1 else {"a": v}) for k, v in defaults.items()}
        assert coalesce(defaults, user) == reference_coalesce(defaults, user)


def test_reference_matches_the_notes_example() -> None:
    """The worked example of §1 (after the -f files are merged), and nulls at top level and nested."""
    chart = {"image": {"repo": "x", "tag": "1"}, "ports": [80, 443], "probe": {"path": "/"}}
    user = {"image": {"tag": "3"}, "ports": [1], "probe": None}
    assert reference_coalesce(chart, user) == {"image": {"repo": "x", "tag": "3"}, "ports": [1]}
    assert coalesce(chart, user) == reference_coalesce(chart, user)
    assert reference_coalesce({"a": None, "b": {"c": None, "d": 1}}, {"e": None, "b": {"f": None}}) == {
        "b": {"d": 1, "f": None},
        "e": None,
    }
    assert math.isclose(reference_coalesce({"a": 1.5}, {})["a"], 1.5)
