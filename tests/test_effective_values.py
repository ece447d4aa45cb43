"""Effective values per (chart, cluster) on fixtures/merge: Helm's merge, Flux variables, provenance."""

from __future__ import annotations

from compliance.effective.envsubst import Unresolved
from compliance.engine.context import ReleaseContext
from compliance.engine.evaluate import LintOptions, release_contexts
from compliance.load.repository import load_repository
from tests.helpers import FIXTURES, line_of

FIXTURE = FIXTURES / "merge"
VALUES = "platform/app/chart/values.yaml"


def contexts(strict: bool = True, **variables: str) -> dict[str | None, ReleaseContext]:
    repo = load_repository(str(FIXTURE))
    options = LintOptions(variables=variables, strict_substitution=strict)
    return {c.cluster.name if c.cluster else None: c for c in release_contexts(repo, options)}


def test_helm_merge_of_defaults_and_overlay() -> None:
    values = contexts()["east"].values.values
    # `"${TAG}"` with TAG=2.0: kustomize drops the quotes before substitution, so Flux retypes it (YML005)
    assert values["image"] == {"repository": "registry.example/app", "tag": 2}
    assert values["ports"] == [8080]  # lists replace
    assert "probe" not in values  # null deletes the default
    assert "nothing" not in values  # a default null is dropped (Helm v4.2)
    assert values["features"] == 5  # the overlay wins a type conflict
    assert values["flags"]["region"] is False  # `NO` is a boolean to Helm


def test_flux_variables_from_the_cluster_kustomization() -> None:
    values = contexts()["east"].values.values
    assert values["flags"]["debug"] is True  # plain `${DEBUG}` is re-typed after substitution
    assert values["flags"]["quoted"] is True  # quoting the placeholder does not keep a string (YML005)
    assert values["replicas"] == 3
    assert values["fallback"] == "fallback"


def test_a_variable_no_source_defines_is_not_set() -> None:
    # east's Kustomization (clusters/east/flux/sync.yaml) has every source in the repository and no DOMAIN.
    # Before issue 12 `app.${DOMAIN}` was unknown; Flux v2.9 (strict, the default) fails the Kustomization,
    # Flux up to v2.8 (non-strict) substitutes the empty string.
    strict = contexts()["east"].values
    host = strict.values["host"]
    assert isinstance(host, Unresolved) and host == "app.${DOMAIN}"
    assert [(e.path, e.message) for e in strict.errors] == [(("host",), 'variable not set (strict mode): "DOMAIN"')]
    lenient = contexts(strict=False)["east"].values
    assert lenient.values["host"] == "app." and lenient.errors == ()
    given = contexts(DOMAIN="east.example")["east"].values  # --var supplies what the repository does not
    assert given.values["host"] == "app.east.example" and given.errors == ()


def test_command_line_variables_apply_where_the_repository_has_none() -> None:
    west = contexts(TAG="2.0", DOMAIN="west.example")["west"].values
    assert west.values["image"]["tag"] == 2  # unquoted `${TAG}` with 2.0 becomes the number 2, as in Flux
    assert west.values["host"] == "app.west.example"
    east = contexts(TAG="9.9")["east"].values
    assert east.values["image"]["tag"] == 2  # the cluster's own substitute (2.0) wins over --var


def test_every_leaf_knows_where_it_was_set_and_what_it_overrode() -> None:
    east = contexts()["east"].values
    overlay = "clusters/east/apps/app.yaml"
    trace = east.trace(("image", "tag"))
    assert [(s.role, s.location.path, s.location.line) for s in trace] == [
        ("set", overlay, line_of(FIXTURE / overlay, "tag:")),
        ("overrode", VALUES, line_of(FIXTURE / VALUES, 'tag: "1.1"')),
        ("overrode", VALUES, line_of(FIXTURE / VALUES, 'tag: "1.0"')),
    ]
    assert east.locate(("image", "repository")).line == line_of(FIXTURE / VALUES, "repository:")
    # a missing key is located at the nearest mapping that exists
    assert east.locate(("flags", "absent")) == east.locate(("flags",))


def test_multi_document_values_merge_in_order_for_undeployed_defaults() -> None:
    west = contexts()["west"].values
    assert west.trace(("image", "repository"))[0].location.line == line_of(FIXTURE / VALUES, "repository:")
