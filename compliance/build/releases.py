"""A HelmRelease object as the model sees it: its identity, chart reference and dependencies."""

from __future__ import annotations

from typing import Any

from compliance.model import HelmRelease, YamlDocument


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def release_of(document: YamlDocument, cluster: str | None) -> HelmRelease:
    """The release a (built) HelmRelease document describes, in `cluster`."""
    name = _text(document.get(("metadata", "name"), ""))
    namespace = _text(document.get(("metadata", "namespace"), ""))
    target = _text(document.get(("spec", "targetNamespace"), "")) or namespace
    chart_name = _text(document.get(("spec", "chart", "spec", "chart"), "")) or name
    release_name = _text(document.get(("spec", "releaseName"), ""))
    if not release_name:
        release_name = f"{target}-{name}" if document.get(("spec", "targetNamespace"), "") else name
    depends: list[tuple[str, int]] = []
    raw = document.get(("spec", "dependsOn"), [])
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        dep = item.get("name") if isinstance(item, dict) else item
        if isinstance(dep, str):
            depends.append((dep, index))
    return HelmRelease(
        name=name,
        namespace=namespace,
        cluster=cluster,
        document=document,
        chart_name=chart_name,
        chart_version=document.get(("spec", "chart", "spec", "version")),
        release_name=release_name,
        target_namespace=target,
        depends_on=tuple(depends),
    )
