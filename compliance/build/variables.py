"""Which Flux Kustomization applies a HelmRelease, and the variables its post-build substitution has.

kustomize-controller (fluxcd/pkg `kustomize/kustomize_varsub.go`, shared notes §3): `substituteFrom`
ConfigMaps/Secrets in order (a later one overrides an earlier one), then the inline `substitute` over all
of them; every value has its newlines removed; a missing source is an error unless `optional: true`; one
variable name outside `^[_[:alpha:]][_[:alpha:][:digit:]]*$` fails the whole Kustomization.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import posixpath
from collections.abc import Iterable, Mapping
from typing import Any

from compliance.model import YamlDocument
from compliance.model import text_of as _text
from compliance.model.flux import Substitution, SubstitutionProblem, invalid_name_message, valid_name

Objects = Mapping[tuple[str, str], list[YamlDocument]]  # (kind, name) -> ConfigMaps/Secrets so named


def normalized(spec_path: str) -> str:
    """`./clusters/dev/` -> `clusters/dev`; the root is ""."""
    path = posixpath.normpath("/" + spec_path.strip()).lstrip("/")
    return "" if path == "." else path


def _go_string(value: Any) -> str:
    """A YAML scalar as the string Flux's `map[string]string` holds (the API server types it a string)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def config_objects(documents: Iterable[YamlDocument]) -> dict[tuple[str, str], list[YamlDocument]]:
    out: dict[tuple[str, str], list[YamlDocument]] = {}
    for document in documents:
        value = document.value
        if not isinstance(value, dict) or value.get("apiVersion") != "v1":
            continue
        kind, name = value.get("kind"), document.get(("metadata", "name"), None)
        if kind in ("ConfigMap", "Secret") and isinstance(name, str):
            out.setdefault((kind, name), []).append(document)
    return out


def object_data(document: YamlDocument) -> dict[str, str]:
    """A ConfigMap's `data`, a Secret's `data` (base64) with `stringData` folded in, as the API server does."""
    data: dict[str, str] = {}
    raw = document.get(("data",), {})
    secret = document.get(("kind",), "") == "Secret"
    for key, value in (raw if isinstance(raw, dict) else {}).items():
        text = _go_string(value)
        if secret:
            with contextlib.suppress(binascii.Error, ValueError):
                text = base64.b64decode(text, validate=True).decode("utf-8", "replace")
        data[str(key)] = text
    if secret:
        string_data = document.get(("stringData",), {})
        for key, value in (string_data if isinstance(string_data, dict) else {}).items():
            data[str(key)] = _go_string(value)
    return data


def _find(objects: Objects, kind: str, name: str, namespace: str) -> YamlDocument | None:
    """The object kustomize-controller reads: it looks in the Kustomization's own namespace only, so one written
    in another namespace is not found (one written without a namespace may be applied into it)."""
    candidates = objects.get((kind, name), [])
    same = [d for d in candidates if _text(d.get(("metadata", "namespace"), "")) in (namespace, "")]
    return same[0] if same else None


def substitution(document: YamlDocument, objects: Objects) -> Substitution:
    """The substitution a Kustomization document gives the resources it applies."""
    namespace = _text(document.get(("metadata", "namespace"), "")) or "default"
    name = f"{namespace}/{_text(document.get(('metadata', 'name'), ''))}"
    post_build = document.get(("spec", "postBuild"), None)
    spec_path = normalized(_text(document.get(("spec", "path"), "")))
    base = Substitution(name, document.file, spec_path, False, False, sources=(document.file,))
    if not isinstance(post_build, dict):
        return base
    variables: dict[str, str] = {}
    where: dict[str, tuple[YamlDocument, tuple[Any, ...]]] = {}
    secret: set[str] = set()
    problems: list[SubstitutionProblem] = []
    open_ = False
    files = [document.file]
    sources = post_build.get("substituteFrom")
    for index, source in enumerate(sources if isinstance(sources, list) else []):
        at = ("spec", "postBuild", "substituteFrom", index)
        kind = _text(source.get("kind")) if isinstance(source, dict) else ""
        ref = _text(source.get("name")) if isinstance(source, dict) else ""
        found = _find(objects, kind, ref, namespace) if kind in ("ConfigMap", "Secret") else None
        if found is None:
            if isinstance(source, dict) and source.get("optional") is True:
                open_ = True
                continue
            plural = "secrets" if kind == "Secret" else "configmaps"
            message = f"substitute from '{kind}/{ref}' error: {plural} \"{ref}\" not found"
            problems.append(SubstitutionProblem(message, document.locate(at)))
            continue
        files.append(found.file)
        for key, value in object_data(found).items():
            variables[key] = value.replace("\n", "")
            where[key] = (found, ("data", key))
            (secret.add if kind == "Secret" else secret.discard)(key)
    inline = post_build.get("substitute")
    for key, value in (inline if isinstance(inline, dict) else {}).items():
        variables[str(key)] = _go_string(value).replace("\n", "")
        where[str(key)] = (document, ("spec", "postBuild", "substitute", key))
        secret.discard(str(key))
    for bad in sorted(k for k in variables if not valid_name(k)):
        holder, path = where[bad]
        problems.append(SubstitutionProblem(invalid_name_message(bad), holder.locate(path)))
        break  # Flux stops at the first (in sorted order)
    return Substitution(
        base.kustomization,
        base.file,
        base.path,
        True,
        _text(post_build.get("substituteStrategy")) == "Always",
        variables,
        frozenset(secret),
        open_,
        tuple(problems),
        tuple(dict.fromkeys(files)),
    )
