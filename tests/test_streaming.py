"""Issue 15, memory: what the run no longer holds changes no finding.

The run keeps compact positions (packed marks in pre-order, the path mapping made only when needed:
`compliance.yaml.document.COMPACT_POSITIONS`), checks each release context and drops it
(`compliance.engine.evaluate.STREAM_CONTEXTS`), keeps no file's text (`compliance.load.repository.KEEP_TEXTS`)
and no document the model does not hold (`KEEP_DOCUMENTS`: the others are parsed again when asked).
With the four switched off the run is the whole-repository one it was before; the JSON reports of both are
compared on scaled copies of fixtures and of the corpus made here, and every YAML file of the fixtures, the
examples and the corpus answers every position lookup the same both ways.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest

import compliance.engine.evaluate as evaluate
import compliance.load.repository as repository
import compliance.yaml.document as document
from compliance.load.repository import load_repository
from compliance.load.reread import FileRead, FileTexts, InputError, LoadedDocuments
from compliance.yaml import Limits, load_manifest, load_yaml
from compliance.yaml.document import Positions, preorder_index, preorder_paths
from tests.helpers import FIXTURES, ROOT, lint_json_switched

# fixtures that are a repository with blueprints and clusters (what a scaled copy multiplies)
SCALED = ("bad-deps", "flux-build", "flux-chart-sources", "flux-values-from", "report-ci", "suppressions")


def _scaled(source: Path, dest: Path, copies: int) -> None:
    """`copies` copies of `source` as one repository, as bench/bench_lint.py scales the corpus: every
    `platform/<bp>` and `clusters/<c>` again with a `-copyK` suffix, anything else once."""
    dest.mkdir(parents=True)
    for entry in sorted(source.iterdir()):
        if entry.name in ("platform", "clusters") and entry.is_dir():
            for item in sorted(entry.iterdir()):
                for k in range(1, copies + 1):
                    target = dest / entry.name / (item.name if k == 1 else f"{item.name}-copy{k}")
                    (shutil.copytree if item.is_dir() else shutil.copy2)(item, target)
        elif entry.is_dir():
            shutil.copytree(entry, dest / entry.name)
        else:
            shutil.copy2(entry, dest / entry.name)


def _streaming_and_whole(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    whole = (
        (document, "COMPACT_POSITIONS", False),
        (evaluate, "STREAM_CONTEXTS", False),
        (repository, "KEEP_TEXTS", True),
        (repository, "KEEP_DOCUMENTS", True),
    )
    return lint_json_switched(path, tmp_path, monkeypatch, whole)


@pytest.mark.parametrize("name", SCALED)
def test_a_scaled_fixture_reports_the_same_streaming_and_whole(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    _scaled(FIXTURES / name, repo, copies=3)
    assert (repo / "clusters").is_dir() or (repo / "platform").is_dir()
    streaming, whole = _streaming_and_whole(repo, tmp_path, monkeypatch)
    assert streaming["findings"], "a fixture with findings: the comparison must compare something"
    assert streaming == whole


def test_the_scaled_corpus_reports_the_same_streaming_and_whole(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    _scaled(corpus / "snapshot-2026-04-30", repo, copies=2)
    streaming, whole = _streaming_and_whole(repo, tmp_path, monkeypatch)
    assert any("-copy2/" in f["path"] for f in streaming["findings"]), "the copy is linted too"
    assert streaming == whole


def _yaml_files(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _compare_positions(files: list[Path], monkeypatch: pytest.MonkeyPatch) -> int:
    """Every document of `files`, loaded both ways: the same value, templates and position for every path
    (and for paths that are not there). Returns how many documents were compact."""
    compact = 0
    monkeypatch.setattr(document, "COMPACT_LOOKUPS", 1 << 30)  # every lookup by walking the value
    for file in files:
        data = file.read_bytes()
        for load in (load_yaml, load_manifest):
            monkeypatch.setattr(document, "COMPACT_POSITIONS", True)
            small = load(data)
            monkeypatch.setattr(document, "COMPACT_POSITIONS", False)
            whole = load(data)
            assert small.problems == whole.problems, file
            for mine, reference in zip(small.documents, whole.documents, strict=True):
                expected = dict(reference.positions.items())
                positions = mine.positions
                assert isinstance(positions, Positions)
                compact += positions._raw is None
                assert len(positions) == len(expected), file
                for path, mark in expected.items():
                    assert positions.get(path) == mark and path in positions, (file, path)
                for path in list(expected)[:20]:
                    for missing in ((*path, "absent"), (*path, 1 << 20), (*path, -1)):
                        assert positions.get(missing) is None and missing not in positions, (file, missing)
                assert mine.plain_templates == reference.plain_templates, file
                assert dict(positions.items()) == expected, file  # the mapping made from the value
    return compact


def test_compact_positions_are_the_positions_on_every_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    files = _yaml_files(FIXTURES, ROOT / "examples")
    assert len(files) > 100
    assert _compare_positions(files, monkeypatch) > 100


def test_compact_positions_are_the_positions_on_the_corpus(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _compare_positions(_yaml_files(corpus), monkeypatch) > 100


def test_documents_with_anchors_merges_or_repeated_keys_keep_their_mapping() -> None:
    """What is not written once, in order, keeps the mapping the builder made (and is still right)."""
    anchored = load_yaml(b"a: &x {b: 1}\nc: *x\n").documents[0]
    merged = load_yaml(b"a: {b: 1}\nc:\n  <<: {d: 2}\n  e: 3\n").documents[0]
    repeated = load_yaml(b"a: 1\na: 2\n").documents[0]
    plain = load_yaml(b"a: {b: [1, {c: 2}]}\nd: x\n").documents[0]
    for doc in (anchored, merged, repeated):
        assert isinstance(doc.positions, Positions) and doc.positions._raw is not None
    assert isinstance(plain.positions, Positions) and plain.positions._raw is None
    assert plain.positions[("a", "b", 1, "c")].line == 1 and plain.positions[("d",)].line == 2
    assert anchored.positions[("c", "b")].line == 1 and repeated.positions[("a",)].line == 2


def test_preorder_index_is_the_index_of_the_path() -> None:
    value = {"a": {"b": [1, {"c": 2}, []]}, "d": "x", "e": {}}
    paths = preorder_paths(value)
    assert paths[0] == () and len(paths) == len(set(paths)) == 9
    for index, path in enumerate(paths):
        assert preorder_index(value, path) == index
    for missing in (("z",), ("a", "b", 3), ("a", "b", -1), ("d", "x"), ("a", "b", "0")):
        assert preorder_index(value, missing) is None


def test_what_is_read_again_is_what_was_read(tmp_path: Path) -> None:
    """Documents and texts the load did not keep come back as they were; a file changed since is an
    InputError (the build reads a configMapGenerator's file as text, a release's `valuesFiles` as documents)."""
    (tmp_path / "clusters" / "a").mkdir(parents=True)
    values = tmp_path / "clusters" / "a" / "values-extra.yaml"
    values.write_text("replicas: 2\nimage: {tag: v1}\n", encoding="utf-8")
    repo = load_repository(str(tmp_path))
    documents = repo.documents
    assert isinstance(documents, LoadedDocuments) and not documents._kept  # nothing held for this file
    assert list(documents) == ["clusters/a/values-extra.yaml"] and "clusters/a/values-extra.yaml" in documents
    (again,) = documents["clusters/a/values-extra.yaml"]
    assert again.value == {"replicas": 2, "image": {"tag": "v1"}} and again.locate(("image", "tag")).line == 2
    assert documents["clusters/a/values-extra.yaml"][0] is again  # read once
    with pytest.raises(KeyError):
        documents["clusters/a/other.yaml"]
    repo = load_repository(str(tmp_path))
    values.write_text("replicas: 3\n", encoding="utf-8")
    with pytest.raises(InputError, match="changed while it was being linted"):
        repo.documents["clusters/a/values-extra.yaml"]
    read = FileRead(str(values), hashlib.sha256(values.read_bytes()).hexdigest(), False, Limits(), 1 << 20)
    texts = FileTexts({"values.yaml": read})
    texts.add("values.yaml")
    assert "values.yaml" in texts and "other.yaml" not in texts and list(texts) == ["values.yaml"]
    assert texts["values.yaml"] == "replicas: 3\n"
    values.write_text("replicas: 4\n", encoding="utf-8")
    texts = FileTexts({"values.yaml": read})
    texts.add("values.yaml")
    with pytest.raises(InputError, match="changed while it was being linted"):
        texts["values.yaml"]


def test_the_render_stage_holds_only_the_contexts_it_renders(tmp_path: Path) -> None:
    """The engine frees each release context once checked unless the render stage wants it: one whose chart
    has templates, and, with no back end to render them, only the first (it places RND000)."""
    from compliance.engine.evaluate import LintOptions, release_contexts
    from compliance.render import RenderStep, rendered_contexts, renders

    shutil.copytree(FIXTURES / "render", tmp_path / "repo")
    plain = tmp_path / "repo/platform/plain/chart"  # a values-only chart: nothing to render
    plain.mkdir(parents=True)
    (plain / "Chart.yaml").write_text("apiVersion: v2\nname: bp-plain\nversion: 0.1.0\n")
    (plain / "values.yaml").write_text("replicas: 1\n")
    repo = load_repository(str(tmp_path / "repo"))
    options = LintOptions(renderer="auto")
    contexts = release_contexts(repo, options)
    renderable = [c for c in contexts if c.chart is not None and renders(repo.root, c.chart)]
    assert 1 < len(renderable) < len(contexts)

    def no_backend() -> tuple[None, str]:
        return None, "no back end here"

    without = RenderStep(no_backend)
    held = [c for c in contexts if without.wants(repo, c, options)]
    assert held == renderable[:1]
    # what the held context gives is what every context gave before the stage chose what to hold
    whole = rendered_contexts(repo, contexts, options, no_backend)
    assert [c.problems for c in without(repo, held, options)] == [c.problems for c in whole]
    assert [p.code for c in whole for p in c.problems] == ["RND000"]

    backend = RenderStep(lambda: (object(), ""))  # type: ignore[arg-type,return-value]
    assert [c for c in contexts if backend.wants(repo, c, options)] == renderable
    off = RenderStep(no_backend)
    assert not [c for c in contexts if off.wants(repo, c, LintOptions(renderer="none"))]
