"""Flux kustomize-controller objects as the model sees them: a Kustomization's post-build substitution.

`compliance.load.repository` builds these (which Kustomization applies a HelmRelease, the variables its
`substitute` and `substituteFrom` give); `compliance.effective.substitution` applies them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from typing import Any

from compliance.model.findings import Location
from compliance.records import record
from compliance.yaml import Mark, Path

SUBSTITUTE_KEY = "kustomize.toolkit.fluxcd.io/substitute"
SUBSTITUTE_DISABLED = "disabled"
NAME_PATTERN = "^[_[:alpha:]][_[:alpha:][:digit:]]*$"  # a variable name Flux accepts (kustomize_varsub.go)
_NAME_RE = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")  # POSIX [:alpha:] in Go's RE2 is ASCII only


def valid_name(name: str) -> bool:
    return _NAME_RE.fullmatch(name) is not None


def invalid_name_message(name: str) -> str:
    return f"'{name}' var name is invalid, must match '{NAME_PATTERN}'"


@record
class SubstitutionProblem:
    """An error Flux raises for the whole Kustomization (a bad variable name, a missing required source)."""

    message: str
    location: Location


@record
class Substitution:
    """The post-build substitution of the Flux Kustomization that applies a HelmRelease.

    `variables`: `substituteFrom` ConfigMaps/Secrets found in the repository, in order, then the inline
    `substitute` (which wins); every value without its newlines, as Flux loads them. `open`: a source is
    missing but optional, so variables may exist that the repository does not show. `secret`: the names
    whose value came from a Secret (used, never shown)."""

    kustomization: str  # namespace/name
    file: str  # where the Kustomization is written
    path: str  # its spec.path, normalized ("" for the root)
    post_build: bool  # spec.postBuild is set: without it, Flux substitutes nothing
    always: bool  # substituteStrategy: Always (else WithVariables: only when a variable exists)
    variables: Mapping[str, str] = field(default_factory=dict)
    secret: frozenset[str] = frozenset()
    open: bool = False
    problems: tuple[SubstitutionProblem, ...] = ()
    sources: tuple[str, ...] = ()  # the files its variables come from (the Kustomization's, its sources')

    @property
    def runs(self) -> bool:
        """Whether Flux substitutes at all (before a resource's own opt-out label)."""
        return self.post_build and (self.always or bool(self.variables) or self.open or bool(self.problems))


@record
class Written:
    """What one kustomize patch wrote into a resource: the subtree it set (a `None` leaf: a key it deleted),
    as a sparse tree from the resource's root, with the positions of what it wrote in `file`."""

    file: str
    value: Any
    positions: Mapping[Path, Mark]


@record
class ValuesSource:
    """One `spec.valuesFrom` entry of a HelmRelease, looked up among its cluster's ConfigMaps and Secrets
    (in the release's namespace), as helm-controller reads it: `data[valuesKey]` (default `values.yaml`).

    `text` is None when the object or its key is not in the repository. Without `target_path`, `value` is the
    text read as Helm values (`problem` says why it cannot be) and `positions` locate its nodes by values path
    in `file`; with one, `positions[()]` is the data key's value."""

    index: int  # position in spec.valuesFrom
    kind: str
    name: str
    key: str
    target_path: str
    optional: bool
    literal: bool
    location: Location  # the entry in the HelmRelease
    text: str | None = None
    file: str = ""
    value: Any = None
    positions: Mapping[Path, Mark] = field(default_factory=dict)
    problem: str = ""  # a reason Flux fails the release on this entry (a missing source that is not optional too)

    @property
    def secret(self) -> bool:
        return self.kind == "Secret"

    @property
    def label(self) -> str:
        return f"valuesFrom {self.kind}/{self.name}"

    @property
    def unknown(self) -> bool:
        """An optional source the repository does not supply: Flux skips it, its values may exist."""
        return self.text is None and self.optional and self.kind in ("ConfigMap", "Secret")

    @property
    def fails(self) -> bool:
        """helm-controller refuses the release on this entry."""
        return bool(self.problem) and not self.unknown


BUILD_FAILS = "FLX003"  # kustomize-controller fails the Kustomization: nothing of it is applied
NOT_MODELLED = "FLX004"  # something the build stage does not model (remote bases, helmCharts, ...)
NOT_APPLIED = "FLX005"  # a HelmRelease no cluster's build applies


@record
class BuildProblem:
    """Something the build stage reports; the rule pack turns these into findings by `code`."""

    code: str
    message: str
    location: Location


@record
class FluxKustomization:
    """A Flux Kustomization a cluster's build applied (`compliance clusters` shows these)."""

    name: str  # namespace/name
    file: str  # where it is written ("" for the entry the tool supplies)
    path: str  # its spec.path, normalized ("" for the root)
    applied_by: str  # the Kustomization whose build yields it ("" for the entry)
    depends_on: tuple[str, ...] = ()
    target_namespace: str = ""
    substitution: Substitution | None = None
    error: str = ""  # why its build fails ("" when it builds)
    remote: bool = False  # spec.kubeConfig: applied to another cluster
    releases: int = 0  # HelmReleases its build yields
    files: frozenset[str] = frozenset()  # every file its build read (resources, kustomizations, patches)

    @property
    def substitutes(self) -> bool:
        """Whether Flux substitutes variables in what it applies (the entry the tool supplies stands for a
        bootstrap Kustomization outside the repository: assumed to, with the run's variables)."""
        return not self.file or (self.substitution is not None and self.substitution.runs)
