"""The domain model: immutable views of blueprints, charts, overlays, clusters and the expected DAG.

Nothing here reads files; `compliance.load.repository` builds these from loaded YAML.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Mapping
from dataclasses import field
from datetime import date
from typing import Any

from compliance.model.findings import Location
from compliance.model.flux import BuildProblem, FluxKustomization, Substitution, ValuesSource, Written
from compliance.model.semver import Version, parse_version, pin_admits, pin_refusal
from compliance.records import record
from compliance.yaml import LoadedDocument, LoadProblem, Mark, Path

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>"})()

TEMPLATE_CLUSTER = "_template"


def text_of(value: Any) -> str:
    """A YAML value as a string field reads it: the string itself, anything else empty."""
    return value if isinstance(value, str) else ""


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


@record
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


@record
class InputFile:
    path: str  # repo-relative, '/'-separated
    sha256: str
    size: int
    kind: str  # blueprint, chart, values, overlay, dag, kustomization, other


@record
class FileProblem:
    """A loader problem tied to its file."""

    file: str
    problem: LoadProblem

    @property
    def location(self) -> Location:
        return Location(self.file, self.problem.line, self.problem.column)


@record
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


@record
class Chart:
    name: str
    version: Any
    directory: str
    chart_file: YamlDocument
    values: tuple[YamlDocument, ...]  # values.yaml documents, merged in order (Helm v4)
    subcharts: tuple[Subchart, ...] = ()  # what Helm loads as its dependencies (compliance.load.subcharts)


@record
class Subchart:
    """A dependency Helm coalesces into its parent: vendored under `charts/` (a folder or a `.tgz`) or
    a `file://` dependency (Flux's source-controller builds those)."""

    key: str  # its alias, else its name: where its values live in the parent's
    chart: Chart
    source: str  # repo-relative folder, `charts/x-1.0.0.tgz`, or the `file://` path
    index: int | None  # its entry in the parent's Chart.yaml `dependencies`, None when only vendored
    condition: str = ""
    tags: tuple[str, ...] = ()
    import_values: tuple[Any, ...] = ()


@record
class Dependency:
    blueprint: str
    optional: bool
    index: int


@record
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


@record
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


@record
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


@record
class DagEntry:
    name: str
    depends_on: tuple[str, ...]
    index: int  # position in the `slots` list


@record
class ExpectedDag:
    document: YamlDocument
    entries: tuple[DagEntry, ...]

    def entry(self, name: str) -> DagEntry | None:
        for entry in self.entries:
            if entry.name == name:
                return entry
        return None


@record
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


@record
class RenderedManifests:
    """A rendered stream. `in_file`: positions are in a file the user gave (`--manifests`), not in memory."""

    source: str  # the stream file as findings name it, `<stdin>`, or the rendered chart's Chart.yaml
    text: str
    objects: tuple[RenderedObject, ...]
    in_file: bool = False
    problems: tuple[RenderProblem, ...] = ()  # documents that are not valid YAML or not objects (RND001)


@record
class RenderProblem:
    """Something rendering reported (RND000..): the rule pack turns these into findings."""

    code: str
    message: str
    location: Location
    value_path: str = ""


@record
class ChartChoice:
    """The chart a HelmRelease installs, from the repository; `note` says why it is not (or what fails)."""

    chart: Chart | None
    note: str = ""
    location: Location | None = None
    # "unavailable" (values checked against nothing), "pinned" (the tree has the chart, but not at a version
    # the pin selects: not used, values checked against nothing), "error" (source-controller fails)
    kind: str = ""
    refused: Chart | None = None  # "pinned": the tree's chart the pin did not select (its blueprint still applies)


def _unavailable(what: str, location: Location) -> ChartChoice:
    return ChartChoice(None, f"{what} not available: values checked against nothing", location, "unavailable")


def _compare(left: Version, right: Version) -> int:
    return left.compare(right)


def _version_key(chart: Chart) -> Any:
    return functools.cmp_to_key(_compare)(parse_version(str(chart.version)) or Version(0, 0, 0))


@record
class Repository:
    root: str  # absolute path of the linted root
    files: tuple[InputFile, ...]
    blueprints: tuple[Blueprint, ...]
    charts: tuple[Chart, ...]
    clusters: tuple[Cluster, ...]
    dag: ExpectedDag | None
    problems: tuple[FileProblem, ...]
    # every loaded document by file; those the model does not hold are parsed again when asked (load.reread)
    documents: Mapping[str, tuple[YamlDocument, ...]]
    suppressions: tuple[SuppressionComment, ...] = ()  # inline exceptions, by file and line
    build_problems: tuple[BuildProblem, ...] = ()  # what no cluster's build explains (an unapplied HelmRelease)
    _index: _Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # lookups by name run once per release: index them, or large repositories go quadratic
        object.__setattr__(self, "_index", _Index.of(self.blueprints, self.charts))

    def blueprint_for_chart(self, chart: Chart) -> Blueprint | None:
        return self._index.blueprint_by_chart.get(id(self.base_chart(chart)))

    def resolve_release(self, release: HelmRelease) -> tuple[Chart | None, Blueprint | None]:
        """The chart and blueprint a release installs (`chart_choice`); the blueprint also by name."""
        choice = self.chart_choice(release)
        chart = choice.chart
        known = chart if chart is not None else choice.refused
        blueprint = self.blueprint_for_chart(known) if known is not None else None
        if blueprint is None:
            by_name = self._index.blueprint_by_name
            blueprint = by_name.get(release.chart_name) or by_name.get(release.name)
        return chart, blueprint

    def chart_choice(self, release: HelmRelease) -> ChartChoice:
        """The repository's chart Flux would install for `release`, or why there is none.

        From a Git or Bucket source, `spec.chart.spec.chart` is the chart's path in the repository (the
        version is not used); from a HelmRepository or OCIRepository, the chart so named whose `version`
        satisfies `spec.chart.spec.version` (a semver range, `*` when absent; the highest that does);
        `spec.chartRef` names an object outside the repository: the chart named as the release, if any.
        `spec.chart.spec.valuesFiles` replace the chart's values.yaml (merged in order)."""
        document = release.document
        ref = document.get(("spec", "chartRef"), None)
        spec = document.get(("spec", "chart", "spec"), {})
        spec = spec if isinstance(spec, dict) else {}
        source = spec.get("sourceRef")
        source = source if isinstance(source, dict) else {}
        kind, name = str(source.get("kind") or ""), str(source.get("name") or "")
        if isinstance(ref, dict):
            where = f"{ref.get('kind', '')}/{ref.get('name', '')}"
            chart = self.chart_named(release.name)
            if chart is None:
                return _unavailable(f"chart from {where} (spec.chartRef)", document.locate(("spec", "chartRef")))
            return ChartChoice(chart)
        if kind in ("GitRepository", "Bucket"):
            path = posixpath.normpath(release.chart_name).lstrip("/")
            chart = self._index.chart_by_directory.get("" if path == "." else path) or self.chart_named(release.name)
            if chart is None:
                at = document.locate(("spec", "chart", "spec", "chart"))
                return _unavailable(f"chart '{release.chart_name}' from {kind}/{name}", at)
            return self._with_values_files(chart, spec, document, "")
        return self._by_version(release, spec, f"{kind or 'HelmRepository'}/{name}")

    def _by_version(self, release: HelmRelease, spec: Mapping[str, Any], where: str) -> ChartChoice:
        """The chart so named whose version the pin selects (the highest). When the pin selects none of them,
        source-controller fetches another version (or fails): the tree's chart is not used ("pinned"). A pin
        made of Flux variables is not known here: the tree's chart is used (VER003 judges it substituted)."""
        candidates = list(self._index.charts_named.get(release.chart_name, ()))
        if not candidates:
            named = self.chart_named(release.chart_name) or self.chart_named(release.name)
            candidates = [named] if named is not None else []
        if not candidates:
            at = release.document.locate(("spec", "chart", "spec", "chart"))
            return _unavailable(f"chart '{release.chart_name}' from {where}", at)
        pinned = spec.get("version")
        pin = "" if pinned is None else str(pinned)
        if "${" in pin:
            return self._with_values_files(candidates[0], spec, release.document, candidates[0].directory)
        key = (release.chart_name, pin)
        if key not in self._index.pinned:  # one choice per chart and pin: every cluster's releases share it
            fitting = [c for c in candidates if pin_admits(pin, str(c.version))]
            self._index.pinned[key] = max(fitting, key=_version_key) if fitting else None
        chart = self._index.pinned[key]
        if chart is None:
            path = ("spec", "chart", "spec", "version") if pinned is not None else ("spec", "chart", "spec", "chart")
            note = pin_refusal(pinned, candidates[0].name, [str(c.version) for c in candidates], where)
            return ChartChoice(None, note, release.document.locate(path), "pinned", candidates[0])
        return self._with_values_files(chart, spec, release.document, chart.directory)

    def _with_values_files(
        self, chart: Chart, spec: Mapping[str, Any], document: YamlDocument, base: str
    ) -> ChartChoice:
        """`valuesFiles` (paths in the source: the repository for a Git source, the chart for a packaged one)."""
        files = spec.get("valuesFiles")
        if not isinstance(files, list) or not files:
            return ChartChoice(chart)
        paths = tuple(posixpath.normpath(posixpath.join(base, str(f))).lstrip("/") for f in files)
        documents: list[YamlDocument] = []
        for index, path in enumerate(paths):
            if path not in self.documents:
                if spec.get("ignoreMissingValuesFiles") is True:
                    continue
                at = document.locate(("spec", "chart", "spec", "valuesFiles", index))
                message = f"valuesFiles entry '{files[index]}' is not in the source ({path}): source-controller fails"
                return ChartChoice(chart, message, at, "error")
            documents.extend(d for d in self.documents[path] if isinstance(d.value, dict))
        key = (id(chart), paths)
        derived = self._index.derived.get(key)
        if derived is None:
            derived = Chart(chart.name, chart.version, chart.directory, chart.chart_file, tuple(documents))
            self._index.derived[key] = derived
            self._index.base[id(derived)] = chart
        return ChartChoice(derived)

    def base_chart(self, chart: Chart) -> Chart:
        """The repository's chart a chart with a release's `valuesFiles` was made from (itself otherwise)."""
        return self._index.base.get(id(chart), chart)

    def charts_called(self, name: str) -> tuple[Chart, ...]:
        """Every chart whose Chart.yaml `name` is `name`, in the repository's order."""
        return self._index.charts_named.get(name, ())

    def chart_in(self, directory: str) -> Chart | None:
        """The chart whose folder is `directory` (repository-relative)."""
        return self._index.chart_by_directory.get(directory)

    def chart_named(self, name: str) -> Chart | None:
        """The first chart so named, else the chart of the first blueprint so named."""
        return self._index.chart_by_name.get(name)


@record
class _Index:
    chart_by_name: Mapping[str, Chart]
    chart_by_directory: Mapping[str, Chart]
    blueprint_by_chart: Mapping[int, Blueprint]
    blueprint_by_name: Mapping[str, Blueprint]
    charts_named: Mapping[str, tuple[Chart, ...]]  # every chart by its own name, in the repository's order
    pinned: dict[tuple[str, str], Chart | None] = field(default_factory=dict)  # (chart name, pin) -> the choice
    derived: dict[tuple[int, tuple[str, ...]], Chart] = field(default_factory=dict)  # charts with valuesFiles
    base: dict[int, Chart] = field(default_factory=dict)  # a derived chart's repository chart, by id

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
        charts_named: dict[str, tuple[Chart, ...]] = {}
        for chart in charts:
            charts_named[chart.name] = (*charts_named.get(chart.name, ()), chart)
        return _Index(chart_by_name, chart_by_directory, blueprint_by_chart, blueprint_by_name, charts_named)
