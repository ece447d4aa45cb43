"""Rendered manifest streams: `helm template` output <-> Kubernetes objects with positions.

Both back ends end in the same text (the helm back end prints it, the SDK's per-template map is
written out the same way), so one parser serves charts we render and streams given with
`--manifests`. The `# Source:` comment Helm writes before every document names its template.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from compliance.model import RenderedManifests, RenderedObject, RenderProblem, YamlDocument
from compliance.model import text_of as _text
from compliance.model.findings import Location
from compliance.yaml import LoadedDocument, load_yaml

SOURCE = re.compile(r"^# Source: (.+?)\s*$")
SEPARATOR = re.compile(r"^---(?:\s|$)")
DOCUMENT_SPLIT = re.compile(r"(?:^|\n)---[ \t]*(?:#[^\n]*)?(?=\n|$)")

PARSE_CODES = ("YML000", "YML003")

# (template name as Helm gives it, kind, n-th object of that kind from it) -> (repo-relative file or None, line)
TemplateLocator = Callable[[str, str, int], tuple[str | None, int]]


def stream_from_templates(rendered: Mapping[str, str]) -> str:
    """`helm template`'s text from a template -> manifest map: `---`, `# Source:`, one document each."""
    out: list[str] = []
    for name in sorted(rendered):
        if name.endswith("NOTES.txt"):
            continue
        for document in DOCUMENT_SPLIT.split(rendered[name]):
            body = document.strip("\n")
            if any(line.strip() and not line.lstrip().startswith("#") for line in body.splitlines()):
                out.append(f"---\n# Source: {name}\n{body}\n")
    return "".join(out)


def _sources_by_line(text: str) -> list[str]:
    """For each 1-based line, the `# Source:` in force there (reset by every `---`); index 0 unused."""
    sources = [""]
    current = ""
    for line in text.splitlines():
        if SEPARATOR.match(line):
            current = ""
        else:
            match = SOURCE.match(line)
            if match:
                current = match.group(1)
        sources.append(current)
    return sources


def parse_stream(
    text: str,
    source: str,
    in_file: bool,
    default_namespace: str = "",
    locate_template: TemplateLocator | None = None,
) -> RenderedManifests:
    """Objects of a manifest stream; a document that does not parse is an RND001 problem."""
    loaded = load_yaml(text)
    sources = _sources_by_line(text)

    def template_at(line: int) -> str:
        return sources[min(max(line, 0), len(sources) - 1)]

    def where(template: str, line: int, column: int) -> Location:
        if in_file or locate_template is None:
            return Location(source, line, column)
        file, _ = locate_template(template, "", 0)
        return Location(file or source, 1, 1)

    problems: list[RenderProblem] = []
    for problem in loaded.problems:
        if problem.code in PARSE_CODES:
            template = template_at(problem.line)
            origin = f"{template} (line {problem.line} of the rendered output)" if template and not in_file else ""
            message = f"rendered output is not valid YAML{' in ' + origin if origin else ''}: {problem.message}"
            problems.append(RenderProblem("RND001", message, where(template, problem.line, problem.column)))
    objects: list[RenderedObject] = []
    seen: dict[tuple[str, str], int] = {}  # (template, kind) -> objects so far: the n-th `kind:` line
    for document in loaded.documents:
        obj = _object(document, source, template_at, default_namespace, locate_template, seen)
        if obj is not None:
            objects.append(obj)
        elif document.value is not None and not (isinstance(document.value, dict) and not document.value):
            mark = document.positions.get(())
            line, column = (mark.line, mark.column) if mark else (1, 1)
            template = template_at(line)
            problems.append(
                RenderProblem(
                    "RND001",
                    f"rendered document {document.index + 1}{' of ' + template if template else ''} is not a "
                    "Kubernetes object (no kind)",
                    where(template, line, column),
                )
            )
    return RenderedManifests(source, text, tuple(objects), in_file, tuple(problems))


def _object(
    document: LoadedDocument,
    source: str,
    template_at: Callable[[int], str],
    default_namespace: str,
    locate_template: TemplateLocator | None,
    seen: dict[tuple[str, str], int],
) -> RenderedObject | None:
    value = document.value
    if not isinstance(value, dict) or not _text(value.get("kind")):
        return None
    kind = value["kind"]
    metadata = value.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    mark = document.positions.get(())
    template = template_at(mark.line if mark else 1)
    nth = seen.get((template, kind), 0)
    seen[(template, kind)] = nth + 1
    template_file, template_line = locate_template(template, kind, nth) if locate_template and template else (None, 1)
    return RenderedObject(
        kind=kind,
        api_version=_text(value.get("apiVersion")),
        namespace=_text(metadata.get("namespace")) or default_namespace,
        name=_text(metadata.get("name")),
        template=template,
        template_file=template_file,
        template_line=template_line,
        document=YamlDocument(source, document),
    )
