"""Discovery and classification: a directory tree -> a `Repository` model.

Files are classified by content (`kind`, `apiVersion`) and by the few names Helm fixes
(`Chart.yaml`, `values.yaml`). Go templates under a chart's `templates/` are never parsed as YAML.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import field
from typing import Any

from compliance.build import build_clusters
from compliance.load.budget import InputBudget
from compliance.load.comments import scan as scan_comments
from compliance.load.files import folders, inside, read_regular
from compliance.load.globs import any_matches
from compliance.load.reread import FileRead, FileTexts, InputError, LoadedDocuments
from compliance.load.subcharts import link_subcharts
from compliance.model import (
    MISSING,
    Blueprint,
    Chart,
    DagEntry,
    Dependency,
    ExpectedDag,
    FileProblem,
    InputFile,
    Repository,
    SuppressionComment,
    YamlDocument,
)
from compliance.model import text_of as _text
from compliance.records import record
from compliance.yaml import Limits, LoadProblem, Path, load_manifest, load_yaml

YAML_SUFFIXES = (".yaml", ".yml")
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv"})
DAG_FILE_NAME = "expected-bootstrap-deps.yaml"


# False keeps every file's text from the first read, True every document (the reference tests/test_streaming.py
# compares with).
KEEP_TEXTS = False
KEEP_DOCUMENTS = False


@record(frozen=False, slots=False)
class _Collected:
    reads: dict[str, FileRead] = field(default_factory=dict)
    files: list[InputFile] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    documents: dict[str, tuple[YamlDocument, ...]] = field(default_factory=dict)
    suppressions: dict[str, tuple[SuppressionComment, ...]] = field(default_factory=dict)
    texts: FileTexts = field(init=False)

    def __post_init__(self) -> None:
        self.texts = FileTexts(self.reads)


def _is_chart_dir(directory: str) -> bool:
    return os.path.isfile(os.path.join(directory, "Chart.yaml"))


def _input_problem(collected: _Collected, code: str, rel: str, message: str) -> None:
    """IO001/IO002 (compliance_rules/inputs.py): what the walk could not or would not read, at that path."""
    collected.problems.append(FileProblem(rel or ".", LoadProblem(code, message, 1, 1)))


def _why(error: OSError, path: str) -> str:
    """A read failure in words: a link to nothing and a file deleted mid-walk say so."""
    if error.errno == errno.ELOOP:
        return "symbolic link loop"
    if isinstance(error, FileNotFoundError):
        return "broken symbolic link" if os.path.islink(path) else "it vanished while the tree was read"
    return error.strerror or str(error)


def _descends(name: str, chart_dir: bool) -> bool:
    """Whether the walk enters a folder of this name (charts' templates are Go templates, not YAML)."""
    if name in SKIPPED_DIRS or name.startswith("."):
        return False
    return not (chart_dir and name in ("templates", "charts"))


def _walk(root: str, collected: _Collected) -> Iterator[str]:
    """Yield YAML files under root, never leaving it through a link and never looping."""
    real_root = os.path.realpath(root)
    for directory, entries, enter in folders(root):
        if isinstance(entries, OSError):
            message = f"cannot read directory: {_why(entries, directory)}"
            _input_problem(collected, "IO002", _relative(directory, root), message)
            continue
        chart_dir = _is_chart_dir(directory)
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:  # a link loop, or gone since the listing: reading it (if YAML) says which
                is_dir = False
            walked = _descends(entry.name, chart_dir) if is_dir else entry.name.endswith(YAML_SUFFIXES)
            if entry.is_symlink() and not inside(entry.path, real_root):
                if walked:  # only what the walk would have read is worth a word
                    message = "symbolic link leaves the linted root; not followed"
                    _input_problem(collected, "IO001", _relative(entry.path, root), message)
                continue
            if walked and is_dir:
                enter.append(entry.path)
            elif walked:
                yield entry.path


_API_VERSION_RE = re.compile(rb"^apiVersion:[ \t]*\S", re.MULTILINE)
_KIND_RE = re.compile(rb"^kind:[ \t]*[\"']?([A-Za-z0-9]+)", re.MULTILINE)
# Kinds no controller reads as a Kubernetes object: typed as Helm types files.
_NOT_MANIFESTS = frozenset((b"Blueprint",))


def is_manifest(path: str, data: bytes, root: str, charts: dict[str, bool]) -> bool:
    """Whether kustomize-controller reads this file (typed by go-yaml v3, then JSON) rather than Helm:
    a file whose documents have a top-level `apiVersion` and `kind` (not a blueprint card), outside any
    chart directory (Chart.yaml, values*.yaml and the rest of a chart are Helm's). `charts` caches the
    chart-directory test per folder."""
    name = os.path.basename(path)
    if name == "Chart.yaml" or name.startswith("values"):
        return False
    kinds = _KIND_RE.findall(data)
    if not kinds or any(k in _NOT_MANIFESTS for k in kinds) or not _API_VERSION_RE.search(data):
        return False
    directory = os.path.dirname(path)
    while True:
        chart = charts.get(directory)
        if chart is None:
            chart = charts[directory] = _is_chart_dir(directory)
        if chart:
            return False
        if directory == root or len(directory) <= len(root):
            return True
        parent = os.path.dirname(directory)
        if parent == directory:
            return True
        directory = parent


def _relative(path: str, root: str) -> str:
    rel = os.path.relpath(path, root)
    return "" if rel == "." else rel.replace(os.sep, "/")


def _read_files(root: str, paths: Iterable[str], limits: Limits, collected: _Collected) -> None:
    budget = InputBudget(limits)
    remaining = iter(paths)
    charts: dict[str, bool] = {}
    for path in remaining:
        rel = _relative(path, root) or os.path.basename(path)
        try:
            data = read_regular(path, limits.max_bytes + 1)  # one byte more tells "too large"
        except OSError as error:
            _input_problem(collected, "IO002", rel, f"cannot read file: {_why(error, path)}")
            continue
        narrowed = budget.file_limits()
        manifest = is_manifest(path, data, root, charts)
        load = load_manifest if manifest else load_yaml
        loaded = load(data, narrowed) if budget.fits(len(data)) else None
        if loaded is None or not budget.spend(len(data), loaded, narrowed):
            # the run's budget is spent: this file and every later one are named, not read
            skipped = [_relative(p, root) or os.path.basename(p) for p in remaining]
            collected.problems.append(FileProblem(rel, budget.exhausted(len(data), skipped)))
            return
        digest = hashlib.sha256(data).hexdigest()
        documents = collected.documents[rel] = tuple(YamlDocument(rel, doc) for doc in loaded.documents)
        collected.problems.extend(FileProblem(rel, problem) for problem in loaded.problems)
        collected.files.append(InputFile(rel, digest, len(data), "other"))
        collected.reads[rel] = FileRead(path, digest, manifest, narrowed, limits.max_bytes + 1)
        if b"\x00" not in data:
            text = data.decode("utf-8", errors="replace")
            comments = scan_comments(rel, text, documents)
            if comments:
                collected.suppressions[rel] = comments
            collected.texts.add(rel, text if KEEP_TEXTS else None)


def _api_group(document: YamlDocument) -> str:
    value = document.value
    if not isinstance(value, dict):
        return ""
    api = value.get("apiVersion")
    return api.split("/", 1)[0] if isinstance(api, str) else ""


def _kind(document: YamlDocument) -> str:
    value = document.value
    kind = value.get("kind") if isinstance(value, dict) else None
    return kind if isinstance(kind, str) else ""


def source_text(texts: Mapping[str, str], document: YamlDocument, path: Path) -> Any:
    """A scalar as written in the file (Chart.yaml's version is a Go string: `1.10` stays `1.10`)."""
    value = document.get(path)
    if value is MISSING or isinstance(value, (str, dict, list)) or value is None:
        return value
    mark = document.mark(path)
    text = texts.get(document.file)
    if mark is None or text is None:
        return value
    lines = text.splitlines()
    if mark.line > len(lines):
        return value
    token = lines[mark.line - 1][mark.column - 1 :].split("#", 1)[0].strip()
    return token or value


def load_repository(
    root: str, include: Iterable[str] | None = None, limits: Limits = Limits(), exclude: Iterable[str] = ()
) -> Repository:
    """Load the tree under `root` (or only the `include` files) into the model, skipping `exclude` globs."""
    if not os.path.exists(root):
        raise InputError(f"path does not exist: {root}")
    collected = _Collected()
    if not os.path.isdir(root):  # a file (or a FIFO, a device: refused when read)
        files: Iterable[str] = [root]
        base = os.path.dirname(os.path.abspath(root))
    else:
        if not os.access(root, os.R_OK | os.X_OK):
            raise InputError(f"cannot read directory: {root}")
        base = root
        files = include if include is not None else _walk(root, collected)
    exclude = tuple(exclude)
    if exclude:
        files = [f for f in files if not any_matches(_relative(f, base), exclude)]
    _read_files(base, files, limits, collected)
    return _build(os.path.abspath(base), collected)


def _build(root: str, collected: _Collected) -> Repository:
    charts_by_dir: dict[str, Chart] = {}
    blueprint_docs: list[YamlDocument] = []
    dag_doc: YamlDocument | None = None
    kinds: dict[str, str] = {}
    docs = collected.documents
    texts = collected.texts
    suppressions = collected.suppressions

    for rel, documents in docs.items():
        name = rel.rsplit("/", 1)[-1]
        directory = rel.rsplit("/", 1)[0] if "/" in rel else ""
        if name == "Chart.yaml" and documents and isinstance(documents[0].value, dict):
            chart_doc = documents[0]
            values_rel = f"{directory}/values.yaml" if directory else "values.yaml"
            values = tuple(d for d in docs.get(values_rel, ()) if isinstance(d.value, dict))
            charts_by_dir[directory] = Chart(
                name=_text(chart_doc.get(("name",), "")) or directory.rsplit("/", 1)[-1],
                version=source_text(texts, chart_doc, ("version",)),
                directory=directory,
                chart_file=chart_doc,
                values=values,
            )
            kinds[rel] = "chart"
            if values_rel in docs:
                kinds[values_rel] = "values"
            continue
        for document in documents:
            kind, group = _kind(document), _api_group(document)
            if kind == "Blueprint":
                blueprint_docs.append(document)
                kinds[rel] = "blueprint"
            elif kind == "HelmRelease" and group == "helm.toolkit.fluxcd.io":
                kinds[rel] = "overlay"
            elif kind == "Kustomization" and group in ("kustomize.toolkit.fluxcd.io", "kustomize.config.k8s.io"):
                kinds.setdefault(rel, "kustomization")
        if name == DAG_FILE_NAME or (
            documents
            and isinstance(documents[0].value, dict)
            and isinstance(documents[0].value.get("slots"), list)
            and rel.startswith("scripts/")
        ):
            dag_doc = documents[0] if documents else None
            kinds[rel] = "dag"

    charts_by_dir = link_subcharts(root, charts_by_dir, Limits())
    blueprints = tuple(_blueprint(d, charts_by_dir, texts) for d in blueprint_docs)
    # read in part or not at all (an error finding already): the build does not fail again on them
    broken = frozenset(p.file for p in collected.problems if p.problem.code in ("YML000", "YML003", "IO001", "IO002"))
    clusters, build_problems = build_clusters(docs, texts, broken)
    dag = _dag(dag_doc) if dag_doc is not None else None
    by_file = LoadedDocuments(docs, collected.reads)
    if not KEEP_DOCUMENTS:  # what the model holds stays alive through it; the rest is read again if asked
        by_file.drop(set(docs))
    files = tuple(
        InputFile(f.path, f.sha256, f.size, kinds.get(f.path, "other"))
        for f in sorted(collected.files, key=lambda f: f.path)
    )
    return Repository(
        root=root,
        files=files,
        blueprints=tuple(sorted(blueprints, key=lambda b: (b.name, b.directory))),
        charts=tuple(sorted(charts_by_dir.values(), key=lambda c: c.directory)),
        clusters=clusters,
        dag=dag,
        problems=tuple(collected.problems),
        documents=by_file,
        suppressions=tuple(comment for rel in sorted(suppressions) for comment in suppressions[rel]),
        build_problems=build_problems,
    )


def _blueprint(document: YamlDocument, charts_by_dir: dict[str, Chart], texts: Mapping[str, str]) -> Blueprint:
    rel = document.file
    directory = rel.rsplit("/", 1)[0] if "/" in rel else ""
    chart_ref = _text(document.get(("spec", "manifests", "chart"), "")) or "chart"
    chart_dir = os.path.normpath(os.path.join(directory, chart_ref)).replace(os.sep, "/")
    chart_dir = "" if chart_dir == "." else chart_dir
    schema = document.get(("spec", "configSchema"), None)
    depends_raw = document.get(("spec", "depends"), [])
    depends: list[Dependency] = []
    for index, item in enumerate(depends_raw if isinstance(depends_raw, list) else []):
        if isinstance(item, str) and item.strip():  # short form: `depends: [bp-cert-manager]`
            depends.append(Dependency(item, False, index))
        elif isinstance(item, dict) and isinstance(item.get("blueprint"), str):
            depends.append(Dependency(item["blueprint"], bool(item.get("optional", False)), index))
    return Blueprint(
        name=_text(document.get(("metadata", "name"), "")),
        version=source_text(texts, document, ("spec", "version")),
        directory=directory,
        document=document,
        chart=charts_by_dir.get(chart_dir),
        config_schema=schema if isinstance(schema, dict) else None,
        depends=tuple(depends),
    )


def _dag(document: YamlDocument) -> ExpectedDag:
    slots = document.get(("slots",), [])
    entries: list[DagEntry] = []
    for index, slot in enumerate(slots if isinstance(slots, list) else []):
        if not isinstance(slot, dict) or not isinstance(slot.get("name"), str):
            continue
        deps = slot.get("depends_on") or []
        entries.append(
            DagEntry(
                slot["name"], tuple(d for d in deps if isinstance(d, str)) if isinstance(deps, list) else (), index
            )
        )
    return ExpectedDag(document, tuple(entries))
