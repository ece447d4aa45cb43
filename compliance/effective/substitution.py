"""Flux post-build substitution over a HelmRelease's values, scoped as kustomize-controller scopes it.

Which variables a release gets is the model's (`HelmRelease.substitution`, built by `compliance.build`):
the Flux Kustomization whose build yields it. Here: whether substitution runs (`spec.postBuild` set; strategy
`WithVariables` needs a variable, `Always` does not; the `kustomize.toolkit.fluxcd.io/substitute: disabled`
label or annotation opts a resource out), the variables (the Kustomization's over the run's `--var` and
config `variables:`, which supply what the repository does not define), and the text: Flux's own envsubst
(`compliance.effective.envsubst`), the result of an unquoted placeholder retyped as go-yaml v2 reads it.

A name nobody supplied is *unknown* (an `Unresolved` result), not empty: it may come from outside the
repository. A release applied by a cluster folder's own entry (no Flux Kustomization in the repository:
`compliance.build.graph`) gets the run's variables.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.effective.envsubst import (
    UNKNOWN,
    EnvsubstError,
    Func,
    Node,
    Unresolved,
    Variables,
    parse,
    substitute,
)
from compliance.model import HelmRelease, Repository
from compliance.model.flux import SUBSTITUTE_DISABLED, SUBSTITUTE_KEY
from compliance.records import record
from compliance.yaml import Path
from compliance.yaml.manifest import ManifestError, retype_after_substitution

REDACTED = "<redacted>"  # a Secret's value, in what is only shown


class OpenVariables(Mapping[str, Any]):
    """The known variables; every other name is UNKNOWN (nobody supplied it), never unset."""

    def __init__(self, known: Mapping[str, str]) -> None:
        self._known = dict(known)

    def __getitem__(self, name: str) -> Any:
        return self._known.get(name, UNKNOWN)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str)

    def __iter__(self) -> Iterator[str]:
        return iter(self._known)

    def __len__(self) -> int:
        return len(self._known)


@record
class Scope:
    """What substitution a release gets: whether it runs, and with which variables."""

    runs: bool
    variables: Variables
    # whether Flux substitutes at all depends on a source missing from the repository (an optional
    # substituteFrom, with no other variable): every placeholder's result is unknown
    uncertain: bool = False
    strict: bool = False  # every source is known: a variable nobody defines is "not set" (an error when strict)


NONE = Scope(False, OpenVariables({}))


def secret_values(repo: Repository) -> set[str]:
    """Every value a Flux Kustomization or a HelmRelease's valuesFrom in `repo` takes from a Secret: used by
    the rules, never shown."""
    found = {
        applied.variables[name]
        for cluster in repo.clusters
        for release in cluster.releases
        if (applied := release.substitution) is not None
        for name in applied.secret
        if applied.variables.get(name)
    }
    for cluster in repo.clusters:
        for release in cluster.releases:
            for source in release.values_from:
                if source.secret and source.text and source.target_path:
                    found.add(source.text)
                elif source.secret and source.text:
                    found.update(_strings(source.value))
    return found


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str) and value:
        yield value


def disabled(release: HelmRelease) -> bool:
    """The resource opts out with the label or annotation `kustomize.toolkit.fluxcd.io/substitute: disabled`."""
    for field in ("labels", "annotations"):
        marks = release.document.get(("metadata", field), {})
        if isinstance(marks, dict) and marks.get(SUBSTITUTE_KEY) == SUBSTITUTE_DISABLED:
            return True
    return False


def scope(
    release: HelmRelease | None, run_variables: Mapping[str, str], reveal_secrets: bool = True, strict: bool = True
) -> Scope:
    """The substitution Flux runs over `release`; `reveal_secrets=False` shows a Secret's values redacted.

    When the Kustomization's sources are all in the repository, a variable that neither it nor the run
    defines is not set: with `strict` (kustomize-controller v1.9+, Flux v2.9: the default) `${v}` is the
    error `variable not set (strict mode)`, otherwise the empty string. Else it is unknown."""
    if release is None or disabled(release):
        return NONE
    applied = release.substitution
    if applied is None:
        return Scope(True, OpenVariables(run_variables))
    if not applied.runs:
        return NONE
    if applied.problems:  # the Kustomization fails: nothing it would apply can be proved
        return Scope(True, OpenVariables({}))
    if applied.open and not (applied.always or applied.variables):
        return Scope(True, OpenVariables({}), uncertain=True)
    own = {
        name: REDACTED if not reveal_secrets and name in applied.secret else value
        for name, value in applied.variables.items()
    }
    known = {**run_variables, **own}
    if applied.open:
        return Scope(True, OpenVariables(known))
    return Scope(True, known, strict=strict)


@record
class SubstitutionError:
    """A substitution Flux refuses (a parse error), at a values path: the Kustomization fails."""

    path: Path
    message: str


def substitute_values(
    values: Any, prefix: Path, plain: frozenset[Path], applied: Scope
) -> tuple[Any, dict[Path, tuple[str, ...]], tuple[SubstitutionError, ...]]:
    """Every string substituted; an unquoted placeholder's result retyped (go-yaml v2). Returns the values,
    the paths whose result needs unknown variables, and the errors Flux would raise."""
    unresolved: dict[Path, tuple[str, ...]] = {}
    errors: list[SubstitutionError] = []
    if not applied.runs:
        return values, unresolved, ()

    def visit(value: Any, path: Path) -> Any:
        if isinstance(value, dict):
            return {k: visit(v, path + (k,)) for k, v in value.items()}
        if isinstance(value, list):
            return [visit(v, path + (i,)) for i, v in enumerate(value)]
        if not isinstance(value, str) or ("$" not in value and "\x00" not in value):
            return value
        try:
            if applied.uncertain:
                names = _names(parse(value))
                if names:
                    unresolved[path] = names
                    return Unresolved(value, names)
            text = substitute(value, applied.variables, strict=applied.strict)
        except EnvsubstError as error:
            errors.append(SubstitutionError(path, error.message))
            unresolved[path] = ()
            return Unresolved(value, ())
        if isinstance(text, Unresolved):
            unresolved[path] = text.variables
            return text
        if prefix + path in plain:
            try:
                return retype_after_substitution(text)
            except ManifestError as error:
                errors.append(SubstitutionError(path, str(error)))
                unresolved[path] = ()
                return Unresolved(text, ())
        return text

    return visit(values, ()), unresolved, tuple(errors)


def _names(nodes: list[Node]) -> tuple[str, ...]:
    """The variables a parsed text names, in order, each once."""
    names: list[str] = []
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        if isinstance(node, Func):
            if node.param not in names:
                names.append(node.param)
            stack.extend(reversed(node.args))
    return tuple(names)


def substitute_text(text: str, applied: Scope) -> str | None:
    """One string as Flux substitutes it; None when it fails or needs unknown variables."""
    if not applied.runs:
        return text
    if applied.uncertain and "$" in text:
        return None
    try:
        result = substitute(text, applied.variables, strict=applied.strict)
    except EnvsubstError:
        return None
    return None if isinstance(result, Unresolved) else result
