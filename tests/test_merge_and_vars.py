"""Helm coalescing and Flux substitution, checked against the verified notes (shared/notes)."""

from __future__ import annotations

from compliance.effective.envsubst import Unresolved, substitute
from compliance.effective.substitution import OpenVariables
from compliance.effective.values import coalesce, go_truthy, merge_maps


def test_coalesce_matches_the_notes_example() -> None:
    chart = {"image": {"repo": "x", "tag": "1"}, "ports": [80, 443], "probe": {"path": "/"}}
    user = merge_maps({"image": {"tag": "2"}, "ports": [1]}, {"image": {"tag": "3"}, "probe": None})
    assert coalesce(chart, user) == {"image": {"repo": "x", "tag": "3"}, "ports": [1]}


def test_user_null_deletes_a_default_key_at_any_depth() -> None:
    chart = {"a": {"b": 1, "c": 2}}
    assert coalesce(chart, {"a": {"b": None}}) == {"a": {"c": 2}}


def test_user_null_without_a_default_is_kept_as_null_helm_4_2() -> None:
    assert coalesce({"a": {"b": 1}}, {"a": {"x": None}, "top": None}) == {"a": {"b": 1, "x": None}, "top": None}


def test_default_null_left_alone_is_dropped_helm_4_2() -> None:
    assert coalesce({"a": {"b": None, "c": 1}, "d": None}, {}) == {"a": {"c": 1}}


def test_type_conflicts_keep_the_user_value() -> None:
    assert coalesce({"a": {"b": 1}}, {"a": 5}) == {"a": 5}
    assert coalesce({"a": 5}, {"a": {"b": 1}}) == {"a": {"b": 1}}


def test_lists_replace_and_are_never_merged() -> None:
    assert coalesce({"l": [{"a": 1}, {"b": 2}]}, {"l": [{"c": 3}]}) == {"l": [{"c": 3}]}


def test_file_merge_keeps_nulls() -> None:
    assert merge_maps({"a": 1, "b": {"c": 1}}, {"a": None, "b": {"d": 2}}) == {"a": None, "b": {"c": 1, "d": 2}}


def _sub(text: str, variables: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """Flux's envsubst with every name not given unknown, as the product runs it."""
    result = substitute(text, OpenVariables(variables))
    return str(result), result.variables if isinstance(result, Unresolved) else ()


def test_substitute_default_operators_use_the_default_when_empty() -> None:
    variables = {"SET": "v", "EMPTY": ""}
    assert _sub("${SET}", variables) == ("v", ())
    assert _sub("${EMPTY:-d}", variables) == ("d", ())
    assert _sub("${UNSET:=d}", variables) == ("d", ())
    assert _sub("${UNSET=d}", variables) == ("d", ())
    assert _sub("${UNSET:-}", variables) == ("", ())
    assert _sub("api.${SET}.example", variables) == ("api.v.example", ())


def test_substitute_escapes_and_nested_defaults() -> None:
    assert _sub("$${HOST}", {}) == ("${HOST}", ())
    assert _sub("a$$b", {}) == ("a$b", ())
    assert _sub("${a:=${b}-x}", {"b": "B"}) == ("B-x", ())
    assert _sub("$var", {"var": "no"}) == ("$var", ())


def test_substitute_reports_variables_without_any_value() -> None:
    text, missing = _sub("api.${SOVEREIGN_FQDN}", {})
    assert text == "api.${SOVEREIGN_FQDN}"
    assert missing == ("SOVEREIGN_FQDN",)
    unknown = Unresolved(text, missing)
    assert isinstance(unknown, str) and unknown.variables == ("SOVEREIGN_FQDN",)


def test_string_operators_are_substituted_not_unknown() -> None:
    # before issue 12 these were reported as unresolved; Flux evaluates them
    variables = {"v": "api.example.com"}
    assert _sub("${#v}", variables) == ("15", ())
    assert _sub("${v^^}", variables) == ("API.EXAMPLE.COM", ())
    assert _sub("${v:1:2}", variables) == ("pi", ())
    assert _sub("${v/a/b}", variables) == ("bpi.example.com", ())
    assert _sub("${v#*.}", variables) == ("example.com", ())
    assert _sub("${u^^}", variables) == ("${u^^}", ("u",))  # an unknown operand stays unknown


def test_go_truthiness() -> None:
    assert not any(go_truthy(v) for v in (None, False, 0, "", [], {}))
    assert all(go_truthy(v) for v in (True, 1, "false", [0], {"a": 1}))
