"""`kustomize build` of one directory over the loaded repository, as kustomize api v0.21.2 (krusty) runs it.

Order (krusty's `accumulateTarget`): resources (files, and folders built recursively), generators,
components, then this kustomization's transformers: strategic-merge patches, `patches`, namespace,
name prefix and suffix, labels, annotations, JSON 6902 patches. A folder without a kustomization file is
an error, except at a Flux Kustomization's path, where Flux generates one (`generated`). Paths never leave
the repository. What is not modelled (remote bases, Helm chart inflation, KRM functions, replacements,
generators reading files the loader does not read …) is reported as FLX004 and the build goes on without it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import field
from typing import Any

from compliance.build.generators import GeneratorError, generate
from compliance.build.patches import PatchError, json6902, strategic_merge
from compliance.build.resource import Resource
from compliance.model import YamlDocument
from compliance.model import text_of as _text
from compliance.model.findings import Location
from compliance.model.flux import NOT_MODELLED, BuildProblem
from compliance.records import record
from compliance.schema.guard import compile_pattern
from compliance.yaml import LoadedDocument, Mark, Path, load_manifest

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Fields that cannot change a HelmRelease or a Flux object (they target containers, replica counts, order).
_NO_EFFECT = frozenset(("images", "replicas", "sortOptions", "buildMetadata", "apiVersion", "kind", "metadata"))
_MODELLED = frozenset(
    (
        "resources",
        "bases",
        "components",
        "patches",
        "patchesStrategicMerge",
        "patchesJson6902",
        "namespace",
        "namePrefix",
        "nameSuffix",
        "commonLabels",
        "labels",
        "commonAnnotations",
        "configMapGenerator",
        "secretGenerator",
        "generatorOptions",
    )
)


class BuildError(Exception):
    """kustomize refuses the build: the Flux Kustomization fails with this message, at this place."""

    def __init__(self, message: str, location: Location) -> None:
        super().__init__(message)
        self.location = location


@record(frozen=False, slots=False)
class Tree:
    """The repository as the build sees it: every loaded YAML document by file, and the folders."""

    documents: Mapping[str, tuple[YamlDocument, ...]]
    texts: Mapping[str, str] = field(default_factory=dict)
    broken: frozenset[str] = frozenset()  # read in part (a loader error): its unreadable documents are skipped
    folders: set[str] = field(init=False)

    def __post_init__(self) -> None:
        folders: set[str] = {""}
        for file in self.documents:
            parts = file.split("/")[:-1]
            for end in range(1, len(parts) + 1):
                folders.add("/".join(parts[:end]))
        self.folders = folders

    def unreadable(self, path: str) -> bool:
        """`path` is, or is below, something the loader could not read."""
        return any(path == b or path.startswith(b + "/") for b in self.broken)

    def kustomization_file(self, folder: str) -> str | None:
        for name in KUSTOMIZATION_FILES:
            candidate = f"{folder}/{name}" if folder else name
            if candidate in self.documents:
                return candidate
        return None

    def below(self, folder: str) -> list[str]:
        """Flux's generated kustomization: every YAML file below `folder` in walk order; a sub-folder with
        its own kustomization file stands for everything in it (kustomize_generator.go `scanManifests`)."""
        prefix = f"{folder}/" if folder else ""
        found: list[str] = []
        skipped: list[str] = []
        entries = sorted(
            {f for f in self.documents if f.startswith(prefix)}
            | {d for d in self.folders if d.startswith(prefix) and d != folder}
        )
        for entry in entries:
            if any(entry.startswith(s + "/") for s in skipped):
                continue
            if entry in self.folders:
                if self.kustomization_file(entry) is not None:
                    found.append(entry)
                    skipped.append(entry)
            elif entry.endswith((".yaml", ".yml")):
                found.append(entry)
        return found


def _is_remote(entry: str) -> bool:
    return "://" in entry or entry.startswith(("github.com/", "gitlab.com/", "git@", "bitbucket.org/"))


@record(frozen=False, slots=False)
class Build:
    """One build's state: the resources in order, and what it reported."""

    tree: Tree
    problems: list[BuildProblem] = field(default_factory=list)
    patch_files: set[str] = field(default_factory=set)  # files read as patches (not resources)
    read: set[str] = field(default_factory=set)  # every file the build read (a change to one changes it)

    def not_modelled(self, location: Location, what: str) -> None:
        self.problems.append(BuildProblem(NOT_MODELLED, what, location))

    # ── entry points ──
    def folder(
        self,
        folder: str,
        flux: Mapping[str, Any] | None = None,
        stack: tuple[str, ...] = (),
        at: Location | None = None,
    ) -> list[Resource]:
        """Build `folder`; `flux` is the Flux Kustomization spec whose path it is (it may generate the
        kustomization, and adds its patches, namespace and name prefix/suffix); `at`: where it is named."""
        at = at or Location(folder or ".", 1, 1)
        if folder in stack:
            raise BuildError(f"cycle: {' -> '.join((*stack, folder))}", at)
        kfile = self.tree.kustomization_file(folder)
        if kfile is not None:
            self.read.add(kfile)
        if kfile is None:
            if flux is None:
                names = ", ".join(repr(n) for n in KUSTOMIZATION_FILES)
                message = f"unable to find one of {names} in directory '{folder or '.'}'"
                raise BuildError(message, at)
            document = None
            spec: dict[str, Any] = {"resources": self.tree.below(folder)}
            spec["resources"] = [posixpath.relpath(r, folder) if folder else r for r in spec["resources"]]
        else:
            document = self.tree.documents[kfile][0] if self.tree.documents[kfile] else None
            value = document.value if document is not None else None
            spec = dict(value) if isinstance(value, dict) else {}
        return self._kustomization(folder, kfile, document, spec, flux, (*stack, folder))

    # ── one kustomization ──
    def _kustomization(
        self,
        folder: str,
        kfile: str | None,
        document: YamlDocument | None,
        spec: dict[str, Any],
        flux: Mapping[str, Any] | None,
        stack: tuple[str, ...],
    ) -> list[Resource]:
        where = _Where(document, kfile or folder or ".")
        for key in spec:
            if key not in _MODELLED and key not in _NO_EFFECT:
                self.not_modelled(where.at((key,)), f"kustomization field '{key}' is not modelled")
        resources: list[Resource] = []
        entries = [*self._list(spec, "resources"), *self._list(spec, "bases")]
        self._accumulate(folder, entries, where, resources, stack)
        self._generators(folder, spec, where, resources)
        components = [(entry, where.at(("components", i))) for i, entry in enumerate(self._list(spec, "components"))]
        if flux is not None:  # spec.components: appended by Flux's generator; missing ones may be ignored
            flux_where = _Where(flux.get("__document__"), _text(flux.get("__file__")) or folder or ".")
            for index, entry in enumerate(_as_list(flux.get("components"))):
                location = flux_where.at(("spec", "components", index))
                if flux.get("ignoreMissingComponents") is True and self._join(folder, entry, location) not in (
                    self.tree.folders
                ):
                    continue
                components.append((entry, location))
        for entry, location in components:
            component = self._join(folder, entry, location)
            if component not in self.tree.folders:
                raise BuildError(f"component '{entry}' not found", location)
            resources = self._component(component, resources, (*stack, component))
        self._transform(folder, spec, where, resources, flux)
        return resources

    def _component(self, folder: str, resources: list[Resource], stack: tuple[str, ...]) -> list[Resource]:
        kfile = self.tree.kustomization_file(folder)
        if kfile is not None:
            self.read.add(kfile)
        if kfile is None:
            raise BuildError(f"no kustomization file in component '{folder}'", Location(folder, 1, 1))
        document = self.tree.documents[kfile][0] if self.tree.documents[kfile] else None
        spec = dict(document.value) if document is not None and isinstance(document.value, dict) else {}
        where = _Where(document, kfile)
        self._accumulate(folder, self._list(spec, "resources"), where, resources, stack)
        self._generators(folder, spec, where, resources)
        self._transform(folder, spec, where, resources, None)
        return resources

    def _accumulate(
        self, folder: str, entries: list[Any], where: _Where, resources: list[Resource], stack: tuple[str, ...]
    ) -> None:
        """Add each entry's resources; two with one identity fail the build (kustomize's accumulator)."""
        seen = {r.id for r in resources}
        for index, entry in enumerate(entries):
            location = where.at(("resources", index))
            for resource in self._resource(folder, entry, location, stack):
                new = resource.id
                if new in seen:
                    at = location if where.document is not None else resource.document.locate(("metadata", "name"))
                    raise BuildError(f"may not add resource with an already registered id: {new}", at)
                seen.add(new)
                resources.append(resource)

    def _list(self, spec: Mapping[str, Any], key: str) -> list[Any]:
        return _as_list(spec.get(key))

    def _join(self, folder: str, entry: Any, location: Location) -> str:
        if not isinstance(entry, str) or not entry:
            raise BuildError(f"invalid entry {entry!r}", location)
        joined = posixpath.normpath(posixpath.join(folder, entry)) if folder else posixpath.normpath(entry)
        if joined == "..":
            joined = "../"
        if joined.startswith("../") or entry.startswith("/"):
            raise BuildError(f"'{entry}' is outside the repository", location)
        return "" if joined == "." else joined

    def _resource(self, folder: str, entry: Any, location: Location, stack: tuple[str, ...]) -> list[Resource]:
        if isinstance(entry, str) and _is_remote(entry):
            self.not_modelled(location, f"remote resource '{entry}' is not fetched: its objects are not linted")
            return []
        path = self._join(folder, entry, location)
        if path in self.tree.documents:
            return self._objects(path, location)
        if path in self.tree.folders:
            return self.folder(path, None, stack, location)
        if self.tree.unreadable(path):
            return []  # the loader's IO finding says why; not a second error
        if not path.endswith((".yaml", ".yml")) and "." in posixpath.basename(path):
            self.not_modelled(location, f"resource '{entry}' is not a YAML file the linter reads")
            return []
        raise BuildError(f"accumulating resources: '{entry}': no such file or directory", location)

    def _objects(self, file: str, location: Location) -> list[Resource]:
        self.read.add(file)
        out = []
        for document in self.tree.documents[file]:
            value = document.value
            if value is None:
                continue
            if isinstance(value, list) and all(isinstance(item, dict) for item in value) and value:
                self.not_modelled(document.locate(()), f"'{file}' holds a list of objects, which is not modelled")
                continue
            if not isinstance(value, dict) or not value.get("kind") or not value.get("apiVersion"):
                if file in self.tree.broken:
                    continue  # the loader's error already fails this build: one finding, not a cascade
                raise BuildError(f"'{file}': missing Resource metadata", document.locate(()))
            kind = value["kind"]
            if kind == "List" and isinstance(value.get("items"), list):
                self.not_modelled(document.locate(("items",)), f"'{file}': a List's items are not modelled")
                continue
            resource = Resource.of(document)
            if not resource.name:
                raise BuildError(f"'{file}': missing metadata.name in {kind}", document.locate(("metadata",)))
            out.append(resource)
        return out

    def _generators(self, folder: str, spec: Mapping[str, Any], where: _Where, resources: list[Resource]) -> None:
        try:
            generate(spec, folder, where.document, self.tree.texts, resources, self.not_modelled)
        except GeneratorError as error:
            raise BuildError(str(error), error.location or where.at(())) from error

    # ── transformers ──
    def _transform(
        self,
        folder: str,
        spec: Mapping[str, Any],
        where: _Where,
        resources: list[Resource],
        flux: Mapping[str, Any] | None,
    ) -> None:
        patches = list(_entries(self._list(spec, "patches"), ("patches",), where))
        smp = list(_entries(self._list(spec, "patchesStrategicMerge"), ("patchesStrategicMerge",), where))
        j6902 = list(_entries(self._list(spec, "patchesJson6902"), ("patchesJson6902",), where))
        namespace, prefix, suffix = (
            _text(spec.get("namespace")),
            _text(spec.get("namePrefix")),
            _text(spec.get("nameSuffix")),
        )
        if flux is not None:  # the Flux Kustomization's own fields, as its generator writes them in
            flux_where = _Where(flux.get("__document__"), _text(flux.get("__file__")) or folder or ".")
            patches += _entries(_as_list(flux.get("patches")), ("spec", "patches"), flux_where)
            smp += _entries(_as_list(flux.get("patchesStrategicMerge")), ("spec", "patchesStrategicMerge"), flux_where)
            j6902 += _entries(_as_list(flux.get("patchesJson6902")), ("spec", "patchesJson6902"), flux_where)
            namespace = _text(flux.get("targetNamespace")) or namespace
            prefix = _text(flux.get("namePrefix")) or prefix
            suffix = _text(flux.get("nameSuffix")) or suffix
        for entry in smp:
            self._strategic_merge_entry(folder, entry, resources)
        for entry in patches:
            self._patch_entry(folder, entry, resources)
        if namespace:
            for resource in resources:
                if resource.kind not in _CLUSTER_SCOPED:
                    resource.set_metadata("namespace", namespace)
        if prefix or suffix:
            for resource in resources:
                if resource.kind not in ("Namespace", "CustomResourceDefinition"):
                    resource.set_metadata("name", f"{prefix}{resource.name}{suffix}")
        self._labels(spec, where, resources)
        for entry in j6902:
            self._json6902_entry(folder, entry, resources)

    def _labels(self, spec: Mapping[str, Any], where: _Where, resources: list[Resource]) -> None:
        sets: list[tuple[str, Any]] = [
            ("labels", spec.get("commonLabels")),
            ("annotations", spec.get("commonAnnotations")),
        ]
        for item in self._list(spec, "labels"):
            if isinstance(item, dict):
                sets.append(("labels", item.get("pairs")))
        for field_name, pairs in sets:
            if not isinstance(pairs, dict) or not pairs:
                continue
            for resource in resources:
                resource.own()
                metadata = resource.value.setdefault("metadata", {})
                target = metadata.setdefault(field_name, {}) if isinstance(metadata, dict) else None
                if isinstance(target, dict):
                    target.update({str(k): "" if v is None else str(v) for k, v in pairs.items()})

    def _patch_source(self, folder: str, entry: _Entry) -> list[tuple[YamlDocument, Path]]:
        """The patch documents of an entry: a file's documents, or the inline text's."""
        if entry.file_ref is not None:
            path = self._join(folder, entry.file_ref, entry.location)
            if path not in self.tree.documents:
                raise BuildError(f"patch file '{entry.file_ref}' not found", entry.location)
            self.patch_files.add(path)
            self.read.add(path)
            return [(d, ()) for d in self.tree.documents[path] if d.value is not None]
        if entry.inline is None:
            raise BuildError("a patch needs a path or a patch", entry.location)
        return [(d, ()) for d in _inline(entry, self.tree.texts) if d.value is not None]

    def _strategic_merge_entry(self, folder: str, entry: _Entry, resources: list[Resource]) -> None:
        for document, base in self._patch_source(folder, entry):
            self._apply_smp(document, base, entry, resources, None)

    def _patch_entry(self, folder: str, entry: _Entry, resources: list[Resource]) -> None:
        for document, base in self._patch_source(folder, entry):
            if isinstance(document.value, list):
                if entry.target is None:
                    raise BuildError("a JSON 6902 patch needs a target", entry.location)
                for resource in _select(resources, entry.target, entry.location):
                    self._json(resource, document, base, entry)
            else:
                self._apply_smp(document, base, entry, resources, entry.target)

    def _json6902_entry(self, folder: str, entry: _Entry, resources: list[Resource]) -> None:
        if entry.target is None:
            raise BuildError("a JSON 6902 patch needs a target", entry.location)
        matched = _select(resources, entry.target, entry.location)
        if not matched:
            raise BuildError(f"no resource matches the JSON 6902 target {entry.target}", entry.location)
        for document, base in self._patch_source(folder, entry):
            for resource in matched:
                self._json(resource, document, base, entry)

    def _json(self, resource: Resource, document: YamlDocument, base: Path, entry: _Entry) -> None:
        try:
            json6902(resource, document.get(base, None), document, base)
        except PatchError as error:
            raise BuildError(f"JSON 6902 patch on {resource.id}: {error}", entry.location) from error

    def _apply_smp(
        self,
        document: YamlDocument,
        base: Path,
        entry: _Entry,
        resources: list[Resource],
        target: Mapping[str, Any] | None,
    ) -> None:
        value = document.get(base, None)
        if not isinstance(value, dict):
            raise BuildError("a strategic merge patch must be a mapping", entry.location)
        if target is not None:
            matched = _select(resources, target, entry.location)
        else:
            patch = (
                Resource.of(document)
                if not base
                else Resource.of(YamlDocument(document.file, LoadedDocument(value, {})))
            )
            matched = [
                r
                for r in resources
                if r.kind == patch.kind
                and r.matches_name(patch.name)
                and (not patch.namespace or r.matches_namespace(patch.namespace))
                and (not patch.group or r.group == patch.group)
            ]
            if not matched:
                message = f"no resource matches strategic merge patch {patch.kind}/{patch.name}"
                raise BuildError(message, entry.location)
        for resource in matched:
            if value.get("$patch") == "delete":
                resources.remove(resource)
                continue
            try:
                strategic_merge(resource, document, base)
            except PatchError as error:
                raise BuildError(str(error), entry.location) from error


_CLUSTER_SCOPED = frozenset(
    (
        "Namespace",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleBinding",
        "PersistentVolume",
        "StorageClass",
        "PriorityClass",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "APIService",
        "ClusterIssuer",
    )
)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@record(frozen=False, slots=False)
class _Where:
    document: YamlDocument | None
    file: str

    def at(self, path: Path) -> Location:
        return self.document.locate(path) if self.document is not None else Location(self.file, 1, 1)


@record(frozen=False, slots=False)
class _Entry:
    location: Location
    file_ref: str | None
    inline: str | None
    target: Mapping[str, Any] | None
    holder: YamlDocument | None  # where an inline patch is written
    holder_path: Path


def _entries(items: Iterable[Any], path: Path, where: _Where) -> Iterable[_Entry]:
    for index, item in enumerate(items):
        at = (*path, index)
        location = where.at(at)
        if isinstance(item, str):  # patchesStrategicMerge: a file, or the patch itself
            inline = "\n" in item or ":" in item
            yield _Entry(location, None if inline else item, item if inline else None, None, where.document, at)
        elif isinstance(item, dict):
            target = item.get("target") if isinstance(item.get("target"), dict) else None
            patch = item.get("patch")
            yield _Entry(
                location,
                _text(item.get("path")) or None,
                patch if isinstance(patch, str) else None,
                target,
                where.document,
                (*at, "patch"),
            )


def _inline(entry: _Entry, texts: Mapping[str, str]) -> list[YamlDocument]:
    """An inline patch's documents, positioned at their lines in the file that holds the text."""
    assert entry.inline is not None
    loaded = load_manifest(entry.inline)
    holder = entry.holder
    mark = holder.mark(entry.holder_path) if holder is not None else None
    file = holder.file if holder is not None else entry.location.path
    return [
        YamlDocument(
            file,
            LoadedDocument(
                doc.value,
                embedded_positions(doc.positions, texts.get(file), mark, entry.location.line),
                doc.plain_templates,
                doc.index,
            ),
        )
        for doc in loaded.documents
    ]


def embedded_positions(
    positions: Mapping[Path, Mark], text: str | None, mark: Mark | None, line: int
) -> dict[Path, Mark]:
    """Positions of YAML parsed from a string scalar written at `mark` in a file holding `text` (a block
    scalar's content starts on the next line, at its indentation); without a mark, from `line`."""
    line_offset, column_offset = (mark.line, mark.column - 1) if mark is not None else (line, 0)
    block = False
    if mark is not None and text is not None:
        lines = text.splitlines()
        if 0 < mark.line <= len(lines) and lines[mark.line - 1][mark.column - 1 :].lstrip().startswith(("|", ">")):
            block = True
            if mark.line < len(lines):  # content starts on the next line, at its indentation
                following = lines[mark.line]
                column_offset = len(following) - len(following.lstrip(" "))
    if block:
        return {path: Mark(line_offset + at.line, column_offset + at.column) for path, at in positions.items()}
    return {path: Mark(line_offset + at.line - 1, column_offset + at.column + 1) for path, at in positions.items()}


def _select(resources: list[Resource], target: Mapping[str, Any], location: Location) -> list[Resource]:
    """kustomize's patch target selector: group, version, kind, name (a regex), namespace, label and
    annotation selectors (equality only; set-based selectors are not modelled)."""

    def regex(field_name: str) -> Any:
        """The selector field as a regular expression, run by RE2 (linear time: the pattern comes from the
        repository under review; kustomize's own are Go's RE2 too)."""
        text = target.get(field_name)
        if not isinstance(text, str) or not text:
            return None
        compiled = compile_pattern(f"^(?:{text})$")
        if compiled is None:
            raise BuildError(f"patch target {field_name} {text!r} is not a valid regular expression", location)
        return compiled

    name, namespace, kind = regex("name"), regex("namespace"), regex("kind")
    group, version = regex("group"), regex("version")
    out = []
    for resource in resources:
        if kind and not kind.match(resource.kind):
            continue
        if group and not group.match(resource.group):
            continue
        if version and not version.match(resource.version):
            continue
        if name and not (name.match(resource.name) or name.match(resource.original_name)):
            continue
        if namespace and not (namespace.match(resource.namespace) or namespace.match(resource.original_namespace)):
            continue
        if not _selects(target.get("labelSelector"), resource.metadata.get("labels")):
            continue
        if not _selects(target.get("annotationSelector"), resource.metadata.get("annotations")):
            continue
        out.append(resource)
    return out


def _selects(selector: Any, labels: Any) -> bool:
    if not isinstance(selector, str) or not selector.strip():
        return True
    labels = labels if isinstance(labels, dict) else {}
    for term in selector.split(","):
        term = term.strip()
        if "!=" in term:
            key, value = (p.strip() for p in term.split("!=", 1))
            if str(labels.get(key, "")) == value and key in labels:
                return False
        elif "=" in term:
            key, value = (p.strip() for p in term.replace("==", "=").split("=", 1))
            if key not in labels or str(labels[key]) != value:
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True
