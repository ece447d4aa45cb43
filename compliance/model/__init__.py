"""The domain model: immutable views of blueprints, charts, overlays, clusters and the expected DAG.

Nothing here reads files; `compliance.load.repository` builds these from loaded YAML.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from compliance.model.findings import Location
from compliance.model.flux import BuildProblem, FluxKustomization, Substitution, ValuesSource, Written
from compliance.yaml import LoadedDocument, LoadProblem, Mark, Path

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>"})()

TEMPLATE_CLUSTER = "_template"


def get_path(value: Any, path: Path, default: Any = MISSING) -> Any:
    """The value at `path` inside nested dicts/lists, or `default` when any step is absent."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return default
        elif not isinstance(value, dict) or step not in value:
            return default
        value = value[step]
    return value


def format_path(path: Path) -> str:
    """`("channels", 0, "attestation")` -> `channels[0].attestation`."""
    out: list[str] = []
    for step in path:
        if isinstance(step, int):
            out.append(f"[{step}]")
        else:
            out.append(f".{step}" if out else str(step))
    return "".join(out)


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """One loaded YAML document tied to the repo-relative file it came from."""

    file: str
    doc: LoadedDocument
    # nodes written in another file than `file` (a kustomize patch over this resource), by path
    files: Mapping[Path, str] | None = None

    @property
    def value(self) -> Any:
        return self.doc.value

    def get(self, path: Path, default: Any = MISSING) -> Any:
        return get_path(self.doc.value, path, default)

    def mark(self, path: Path) -> Mark | None:
        return self.doc.positions.get(path)

    def locate(self, path: Path) -> Location:
        """The position of `path`, or of its nearest ancestor that exists."""
        positions = self.doc.positions
        for end in range(len(path), -1, -1):
            mark = positions.get(path[:end])
            if mark is not None:
                return Location(self.file_of(path[:end]), mark.line, mark.column)
        return Location(self.file, 1, 1)

    def file_of(self, path: Path) -> str:
        """The file the node at `path` was written in (a patch's, for a patched node)."""
        return self.files.get(path, self.file) if self.files else self.file


@dataclass(frozen=True, slots=True)
class InputFile:
    path: str  # repo-relative, '/'-separated
    sha256: str
    size: int
    kind: str  # blueprint, chart, values, overlay, dag, kustomization, other


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A loader problem tied to its file."""

    file: str
    problem: LoadProblem

    @property
    def location(self) -> Location:
        return Location(self.file, self.problem.line, self.problem.column)


@dataclass(frozen=True, slots=True)
class SuppressionComment:
    """A `# compliance: ignore[...]` or `ignore-file[...]` comment, as written (compliance.load.comments reads them)."""

    file: str
    line: int
    column: int
    scope: str  # "line" (the next/own line, or the mapping it opens) or "file"
    rules: tuple[str, ...]
    reason: str | None
    until: date | None
    owner: str | None
    covers: tuple[int, int]  # first and last line covered; (0, 0) when nothing follows the comment
    problem: str = ""  # why the comment cannot be read; it then suppresses nothing
    approver: str | None = None  # who accepted the risk, when not the owner


@dataclass(frozen=True, slots=True)
class Chart:
    name: str
    version: Any
    directory: str
    chart_file: YamlDocument
    values: tuple[YamlDocument, ...]  # values.yaml documents, merged in order (Helm v4)


@dataclass(frozen=True, slots=True)
class Dependency:
    blueprint: str
    optional: bool
    index: int


@dataclass(frozen=True, slots=True)
class Blueprint:
    name: str
    version: Any
    directory: str
    document: YamlDocument
    chart: Chart | None
    config_schema: Mapping[str, Any] | None
    depends: tuple[Dependency, ...]

    @property
    def spec(self) -> Mapping[str, Any]:
        spec = self.document.get(("spec",), {})
        return spec if isinstance(spec, dict) else {}


@dataclass(frozen=True, slots=True)
class HelmRelease:
    name: str
    namespace: str
    cluster: str | None
    document: YamlDocument
    chart_name: str
    chart_version: Any  # MISSING when not pinned
    release_name: str
    target_namespace: str
    depends_on: tuple[tuple[str, int], ...]  # (release name, index in spec.dependsOn)

    values_prefix: Path = ("spec", "values")
    # the Flux Kustomization that applies it (the deepest whose spec.path holds the file); None: none in the
    # repository, so the run's variables (`--var`, config) are substituted as the cluster convention assumes
    substitution: Substitution | None = None
    kustomization: str = ""  # namespace/name of the Flux Kustomization whose build yields it ("" by convention)
    # what kustomize patches wrote over the resource file, in order (`document` is the patched result)
    patches: tuple[Written, ...] = ()
    unpatched: YamlDocument | None = None  # the resource as its file holds it, when patches changed it
    values_from: tuple[ValuesSource, ...] = ()  # spec.valuesFrom, resolved against the cluster's objects

    @property
    def values(self) -> Any:
        values = self.document.get(self.values_prefix, None)
        return values if isinstance(values, dict) else {}


@dataclass(frozen=True, slots=True)
class Cluster:
    name: str
    directory: str  # the entry path Flux builds the cluster from (`clusters/<name>` by convention)
    releases: tuple[HelmRelease, ...]
    kustomizations: tuple[FluxKustomization, ...] = ()  # what the build applied, entry first
    problems: tuple[BuildProblem, ...] = ()  # builds that fail, what the build stage does not model
    sources: frozenset[str] = frozenset()  # every file its build read: a change to one can change the cluster

    @property
    def is_template(self) -> bool:
        """The profile every new cluster copies (`clusters/_template`), however its name was disambiguated."""
        return self.name == TEMPLATE_CLUSTER or self.directory.rsplit("/", 1)[-1] == TEMPLATE_CLUSTER


@dataclass(frozen=True, slots=True)
class DagEntry:
    name: str
    depends_on: tuple[str, ...]
    index: int  # position in the `slots` list


@dataclass(frozen=True, slots=True)
class ExpectedDag:
    document: YamlDocument
    entries: tuple[DagEntry, ...]

    def entry(self, name: str) -> DagEntry | None:
        for entry in self.entries:
            if entry.name == name:
                return entry
        return None


@dataclass(frozen=True, slots=True)
class RenderedObject:
    """One Kubernetes object of a rendered manifest stream (`helm template` output or `--manifests`)."""

    kind: str
    api_version: str
    namespace: str
    name: str
    template: str  # Helm's `# Source:` path, e.g. `bp-newapi/templates/configmap.yaml`; "" when the stream has none
    template_file: str | None  # that template as a repo-relative path, when it is in the linted repository
    template_line: int  # line of the object's `kind:` in `template_file` (1 when not found)
    document: YamlDocument  # the object with its positions in the stream; `document.file` names the stream

    @property
    def ref(self) -> str:
        """`Kind namespace/name`, how findings name the object."""
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    def get(self, path: Path, default: Any = MISSING) -> Any:
        return self.document.get(path, default)


@dataclass(frozen=True, slots=True)
class RenderedManifests:
    """A rendered stream. `in_file`: positions are in a file the user gave (`--manifests`), not in memory."""

    source: str  # the stream file as findings name it, `<stdin>`, or the rendered chart's Chart.yaml
    text: str
    objects: tuple[RenderedObject, ...]
    in_file: bool = False
    problems: tuple[RenderProblem, ...] = ()  # documents that are not valid YAML or not objects (RND001)


@dataclass(frozen=True, slots=True)
class RenderProblem:
    """Something rendering reported (RND000..): the rule pack turns these into findings."""

    code: str
    message: str
    location: Location
    value_path: str = ""


@dataclass(frozen=True, slots=True)
class Repository:
    root: str  # absolute path of the linted root
    files: tuple[InputFile, ...]
    blueprints: tuple[Blueprint, ...]
    charts: tuple[Chart, ...]
    clusters: tuple[Cluster, ...]
    dag: ExpectedDag | None
    problems: tuple[FileProblem, ...]
    documents: Mapping[str, tuple[YamlDocument, ...]]  # every loaded document by file
    suppressions: tuple[SuppressionComment, ...] = ()  # inline exceptions, by file and line
    build_problems: tuple[BuildProblem, ...] = ()  # what no cluster's build explains (an unapplied HelmRelease)
    _index: _Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # lookups by name run once per release: index them, or large repositories go quadratic
        object.__setattr__(self, "_index", _Index.of(self.blueprints, self.charts))

    def blueprint_for_chart(self, chart: Chart) -> Blueprint | None:
        return self._index.blueprint_by_chart.get(id(chart))

    def resolve_release(self, release: HelmRelease) -> tuple[Chart | None, Blueprint | None]:
        """The chart (by `spec.chart.spec.chart`, else `metadata.name`) and blueprint a release installs.

        From a Git or Bucket source, `spec.chart.spec.chart` is the chart's path in the repository."""
        source = release.document.get(("spec", "chart", "spec", "sourceRef", "kind"), "")
        if source in ("GitRepository", "Bucket"):
            path = posixpath.normpath(release.chart_name).lstrip("/")
            chart = self._index.chart_by_directory.get("" if path == "." else path)
        else:
            chart = None
        chart = chart or self.chart_named(release.chart_name) or self.chart_named(release.name)
        blueprint = self.blueprint_for_chart(chart) if chart is not None else None
        if blueprint is None:
            by_name = self._index.blueprint_by_name
            blueprint = by_name.get(release.chart_name) or by_name.get(release.name)
        return chart, blueprint

    def chart_named(self, name: str) -> Chart | None:
        """The first chart so named, else the chart of the first blueprint so named."""
        return self._index.chart_by_name.get(name)


@dataclass(frozen=True, slots=True)
class _Index:
    chart_by_name: Mapping[str, Chart]
    chart_by_directory: Mapping[str, Chart]
    blueprint_by_chart: Mapping[int, Blueprint]
    blueprint_by_name: Mapping[str, Blueprint]

    @staticmethod
    def of(blueprints: tuple[Blueprint, ...], charts: tuple[Chart, ...]) -> _Index:
        chart_by_name: dict[str, Chart] = {}
        for blueprint in reversed(blueprints):  # first wins: fill in reverse, earlier overwrite later
            if blueprint.chart is not None:
                chart_by_name[blueprint.name] = blueprint.chart
        for chart in reversed(charts):  # a chart's own name wins over a blueprint's
            chart_by_name[chart.name] = chart
        blueprint_by_chart: dict[int, Blueprint] = {}
        blueprint_by_name: dict[str, Blueprint] = {}
        for blueprint in reversed(blueprints):
            if blueprint.chart is not None:
                blueprint_by_chart[id(blueprint.chart)] = blueprint
            blueprint_by_name[blueprint.name] = blueprint
        chart_by_directory = {chart.directory: chart for chart in charts}
        return _Index(chart_by_name, chart_by_directory, blueprint_by_chart, blueprint_by_name)
