"""The static CEL type check at policy load (compliance/policy/celtypes.py, issue 16): each kind of type error
is exit 2 at its file:line:column, and what the data decides (`dyn`) is never refused: every policy in the
repository loads, and random well-typed expressions over dyn values are accepted."""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.app.api import load_registry
from compliance.errors import UsageError
from compliance.policy.celparse import parse
from compliance.policy.celtypes import check
from tests.helpers import FIXTURES, ROOT, run_process

POLICIES = ROOT / "examples" / "policies"
RELEASE_SCOPE = ("values", "release", "cluster", "blueprint", "chart")


def policy_text(expression: str, scope: str = "release") -> str:
    return (
        "apiVersion: compliance.policy/v1\nkind: Policy\n"
        "metadata: {id: ORG201, title: typed}\n"
        f"spec:\n  scope: {scope}\n  validations:\n    - expression: '{expression}'\n"
    )


def load_error(tmp_path: Path, text: str) -> tuple[Path, str]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(text)
    with pytest.raises(UsageError) as raised:
        load_registry([str(policy)])
    return policy, str(raised.value)


# each: the expression, the text the error points at (its first occurrence), a part of the message
TYPE_ERRORS = [
    ("size(1) > 0", "size", "found no matching overload for 'size' applied to '(int)'"),
    ('values.a == 1 && "a" + 1 == "a1"', "+", "found no matching overload for '_+_' applied to '(string, int)'"),
    ("values.x.startsWith(3)", "startsWith", "found no matching overload for 'startsWith' applied to 'dyn.(int)'"),
    ('values.name.isBlank() || values.x == ""', "isBlank", "unknown function 'isBlank'"),
    ("math.max(values.a, 2) > 0", "math", "unknown function 'math.max'"),
    ('values.x.endsWith("a", "b")', "endsWith", "applied to 'dyn.(string, string)' (expects string.endsWith"),
    ('values.x.lowerAscii(1) == ""', "lowerAscii", "no matching overload for 'lowerAscii' applied to 'dyn.(int)'"),
    ('startsWith(values.x, "a")', "startsWith", "'startsWith' is a method: write x.startsWith(...)"),
    ("valus.audit.enabled == true", "valus", "undeclared variable 'valus' (release scope has blueprint, chart,"),
    ('object.kind == "Deployment"', "object", "undeclared variable 'object'"),
    ('"on" == 1 || values.a == 1', "==", "found no matching overload for '_==_' applied to '(string, int)'"),
    ('values.name.matches("^[a-z")', '"^[a-z"', 'invalid regular expression "^[a-z": unclosed character class'),
    ('release.nme == "gw"', "nme", "undefined field 'nme' of release (it has chart, cluster, name,"),
    ('release.name + 1 == "gw1"', "+", "applied to '(string, int)'"),
    ("[1, 2].all(n, n + 1)", "+", "the predicate of 'all' must be bool, not 'int'"),
    ('values.replicas > 1 && 1 > "3"', '> "3"', "found no matching overload for '_>_' applied to '(int, string)'"),
]


@pytest.mark.parametrize(("expression", "needle", "message"), TYPE_ERRORS)
def test_a_type_error_names_its_file_line_and_column(
    tmp_path: Path, expression: str, needle: str, message: str
) -> None:
    policy, error = load_error(tmp_path, policy_text(expression))
    line = 7  # the expression's line in policy_text; its text starts past `    - expression: '`
    column = len("    - expression: '") + expression.index(needle) + 1
    assert error.startswith(f"{policy}:{line}:{column}: type error: spec.validations[0].expression: "), error
    assert message in error, error


def test_a_type_error_in_a_folded_expression_points_into_its_line(tmp_path: Path) -> None:
    text = policy_text("x").replace("'x'", ">-\n        has(values.a) &&\n        size(values.a) == 1 && size(2) > 0")
    policy, error = load_error(tmp_path, text)
    assert error.startswith(f"{policy}:9:32: type error:"), error  # `size(2)` on the file's line 9


@pytest.mark.parametrize("style", [">-", "|-"])
def test_a_type_error_past_a_more_indented_block_line_points_at_its_text(tmp_path: Path, style: str) -> None:
    """Folding keeps a more-indented line's extra blanks and its line break; a literal block keeps them too."""
    block = f"{style}\n        has(values.a) &&\n          size(values.a) == 1 &&\n        size(2) > 0"
    policy, error = load_error(tmp_path, policy_text("x").replace("'x'", block))
    assert error.startswith(f"{policy}:10:9: type error:"), error  # `size(2)` on the file's line 10
    block = f"{style}\n        has(values.a) &&\n          size(values.a) == 1 && size(2) > 0"
    policy, error = load_error(tmp_path, policy_text("x").replace("'x'", block))
    assert error.startswith(f"{policy}:9:34: type error:"), error


def test_a_message_placeholder_and_match_are_checked_too(tmp_path: Path) -> None:
    match = "  match: 'has(values.a) && values.a.size() > \"1\"'\n"
    text = policy_text("true").replace("  validations:", match + "  validations:")
    policy, error = load_error(tmp_path, text)
    assert error.startswith(f"{policy}:6:44: type error: spec.match: "), error
    message = "      message: 'kept {{ values.days + \"d\" }} and {{  size(true) }}'"
    policy, error = load_error(tmp_path, policy_text("true") + message + "\n")
    column = message.index("size(true)") + 1  # in the placeholder, counted from the line's start
    assert error.startswith(f"{policy}:8:{column}: type error: spec.validations[0].message: "), error
    assert "found no matching overload for 'size' applied to '(bool)'" in error, error


def test_a_type_error_is_exit_2_without_a_traceback(tmp_path: Path) -> None:
    policy = tmp_path / "policies" / "typed.yaml"
    policy.parent.mkdir()
    policy.write_text(policy_text("size(1) > 0"))
    repo = shutil.copytree(FIXTURES / "clean", tmp_path / "repo")
    result = run_process("lint", str(repo), "--rules", str(policy))
    assert result.returncode == 2, result.stderr
    assert f"{policy}:7:20: type error: " in result.stderr and "Traceback" not in result.stderr


def test_every_policy_in_the_repository_loads() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from bench_policies import write_policies
    finally:
        sys.path.remove(str(ROOT / "bench"))
    registry = load_registry([str(POLICIES)])
    assert {"PBYK001", "PNAM001", "PRM003"} <= {rule.id for rule in registry.rules()}
    for whole_values in (False, True):
        folder = Path(__import__("tempfile").mkdtemp())
        try:
            count = write_policies(folder, whole_values)
            assert len([r for r in load_registry([str(folder)]).rules() if r.id.startswith("BENCH")]) == count
        finally:
            shutil.rmtree(folder)


# what the data decides is dyn: none of these may be refused
DYN_ACCEPTED = [
    ("values.a + 1 > 2", "release"),
    ('values.a + "x" == "yx"', "release"),
    ("values.a.b.c.startsWith(values.prefix)", "release"),
    ('blueprint.spec.x[0].y.size() > 0 && chart.name != ""', "blueprint"),
    ("values.channels.all(c, c.weight * 2 > 1.5 && c.name in values.allowed)", "release"),
    ("values.l.map(x, x.n).filter(n, n > 1).size() == values.count", "release"),
    ("(values.l + [1])[0] + values.a == 3", "release"),
    ("(values.l + ['a'])[0] + 1 == 3", "release"),
    ("type(values.x) == string ? values.x.size() > 0 : values.x > 0", "release"),
    ("values.enabled ? values.a : 1", "release"),
    ('release.cluster == null || release.cluster.startsWith("eu-")', "release"),
    ('release.version != null && string(release.version).matches("^1[.]")', "release"),
    ("math.greatest(values.a, 1) >= math.least([values.b, 2]) && math.abs(values.c) < 10", "release"),
    ("values.tags.distinct().size() == values.tags.size() && sets.contains(values.tags, ['a'])", "release"),
    ('values.csv.split(",").join("-").lowerAscii().trim() != "" && values.s.charAt(0) == "a"', "release"),
    ("values.l.first().orValue(0) >= 0 && optional.of(values.a).hasValue()", "release"),
    ('{"a": values.x, "b": 1}.exists(k, k == values.key) && [values.a, "b"][1] == "b"', "release"),
    ('object.kind == "Deployment" && object.spec.replicas >= 2 && has(object.metadata.labels)', "rendered"),
    ('clusters.all(c, c.size() < 64) && blueprints.exists(b, b.metadata.name == "x")', "repository"),
    ('repository.root != "" && blueprints[0].spec.size() + clusters.size() > 0', "repository"),
    ("int(values.a) + int(values.b) == 1 && uint(values.c) > 0u && double(values.d) < 1.5", "release"),
    ('timestamp(values.date) < timestamp("2030-01-01T00:00:00Z") && duration(values.ttl) > duration("1h")', "release"),
]


@pytest.mark.parametrize(("expression", "scope"), DYN_ACCEPTED)
def test_dyn_paths_are_accepted(tmp_path: Path, expression: str, scope: str) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(policy_text(expression.replace("'", "''"), scope))
    load_registry([str(policy)])


# ── property: random well-typed expressions over dyn values are accepted ───────────────────────────────────

DYN = ["values.a", "values.a.b", 'values["k"].c', "values.l[0]", "blueprint.spec", "chart.name", "release.version"]
DYN += ["values.?a.?b.orValue(values.c)", "blueprint.?spec.x.value()"]
KINDS = ("bool", "int", "string", "ints", "strings")  # ints, strings: lists of them
LEAVES = {
    "bool": ["true", "false"],
    "int": ["1", "-2", "release.name.size()"],
    "string": ['"a"', "release.name"],
    "ints": ["[1, 2]", "[]"],
    "strings": ['["a"]', 'release.name.split("-")'],
}


def expression(rng: random.Random, kind: str, depth: int, bound: tuple[tuple[str, str], ...] = ()) -> str:
    """A random expression that CEL types as `kind` (or as dyn, where a dyn value flows in)."""
    if depth <= 0 or rng.random() < 0.25:
        return rng.choice([*LEAVES[kind], *DYN, *(name for name, of in bound if of in (kind, "dyn"))])

    def sub(kind_: str) -> str:
        return expression(rng, kind_, depth - 1, bound)

    def macro(template: str, body: str) -> str:
        ranges = [("ints", "int"), ("strings", "string"), ("", "dyn")]
        range_, element = rng.choice(ranges)
        target = sub(range_) if range_ else rng.choice(DYN)
        name = rng.choice(["x", "item_", "v"])
        inner = expression(rng, body, depth - 1, (*bound, (name, element)))
        return template.format(target, name, inner)

    def compare() -> str:
        kind_ = rng.choice(["int", "string"])
        return f"({sub(kind_)} {rng.choice(['<', '<=', '>', '>=', '==', '!='])} {sub(kind_)})"

    forms = {
        "bool": [
            compare,
            lambda: f"({sub('bool')} {rng.choice(['&&', '||'])} {sub('bool')})",
            lambda: f"!({sub('bool')})",
            lambda: f"{sub('string')}.{rng.choice(['startsWith', 'endsWith', 'contains'])}({sub('string')})",
            lambda: f'{sub("string")}.matches("^[a-z]+$")',
            lambda: f"has({rng.choice(DYN)}.field)",
            lambda: f"({sub('string')} in {sub('strings')})",
            lambda: f"({sub('int')} in {sub('ints')})",
            lambda: macro("{0}." + rng.choice(["all", "exists", "exists_one"]) + "({1}, {2})", "bool"),
            lambda: f"(type({sub('int')}) == int)",
        ],
        "int": [
            lambda: f"({sub('int')} {rng.choice(['+', '-', '*', '/', '%'])} {sub('int')})",
            lambda: f"size({sub(rng.choice(['string', 'ints', 'strings']))})",
            lambda: f"{sub('string')}.indexOf({sub('string')})",
            lambda: f"int({sub(rng.choice(['int', 'string']))})",
            lambda: f"math.abs({sub('int')})",
            lambda: f"({sub('bool')} ? {sub('int')} : {sub('int')})",
            lambda: f"{sub('ints')}[{sub('int')}]",
        ],
        "string": [
            lambda: f"({sub('string')} + {sub('string')})",
            lambda: f"{sub('string')}.{rng.choice(['lowerAscii', 'upperAscii', 'trim'])}()",
            lambda: f"string({sub('int')})",
            lambda: f"{sub('string')}.substring({sub('int')})",
            lambda: f'{sub("strings")}.join("-")',
            lambda: f"{sub('string')}.replace({sub('string')}, {sub('string')})",
            lambda: f"{sub('strings')}[{sub('int')}]",
        ],
        "ints": [
            lambda: f"[{sub('int')}, {sub('int')}]",
            lambda: f"({sub('ints')} + {sub('ints')})",
            lambda: macro("{0}.map({1}, {2})", "int"),
            lambda: f"{sub('ints')}.distinct()",
        ],
        "strings": [
            lambda: f"{sub('string')}.split({sub('string')})",
            lambda: macro("{0}.map({1}, {2})", "string"),
            lambda: f"{sub('strings')}.filter(s, s.size() > 0)",
            lambda: f"{sub('strings')}.sort()",
        ],
    }
    return rng.choice(forms[kind])()


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(st.randoms(use_true_random=False), st.sampled_from(KINDS))
def test_random_well_typed_expressions_over_dyn_values_are_accepted(rng: random.Random, kind: str) -> None:
    from compliance.policy.cel import compile_expression

    source = expression(rng, kind, 4)
    compile_expression(source)  # the engine parses it (what the checker sees is valid CEL)
    check(parse(source), RELEASE_SCOPE)  # raises CelTypeError on a refusal


# ── optional field selection `.?` (Kubernetes CEL), which the engine's parser refuses ────────────────────

# cel-spec tests/simple/testdata/optionals.textproto cases on maps, and what they give
OPTIONALS = [
    ("{}.?x.hasValue()", False),
    ("{'x': {'y': 'z'}}.?x.y.value()", "z"),
    ("has({}.?x.y)", False),
    ("has({'x': {'y': 'z'}}.?x.y)", True),
    ("{'null_key': dyn(null)}.?null_key.hasValue()", True),
    ("{}.?null_key.invalid.hasValue()", False),
    ("{'c': {'dashed-index': 'goodbye'}}.?c.missing.orValue('default')", "default"),
    ("{'a': {'b': 1}}.?a.?b.orValue(7) + {'a': {}}.?a.?b.orValue(7)", 8),
]


@pytest.mark.parametrize(("source", "expected"), OPTIONALS)
def test_optional_field_selection_evaluates_as_cel_spec_says(source: str, expected: object) -> None:
    from compliance.policy.cel import compile_expression, new_context

    assert compile_expression(source).execute(new_context({})) == expected
    check(parse(source), ())


def test_optional_selection_on_a_present_null_fails_as_cel_spec_says() -> None:
    from compliance.policy.cel import compile_expression, new_context

    with pytest.raises(TypeError):  # cel-spec: "no such key"
        compile_expression("{'null_key': dyn(null)}.?null_key.invalid.hasValue()").execute(new_context({}))


def test_a_policy_with_optional_selection_finds_what_its_has_form_finds(tmp_path: Path) -> None:
    from compliance.app.api import lint_path

    def findings(expression: str) -> list[tuple[object, ...]]:
        policy = tmp_path / "policies" / "audit.yaml"
        policy.parent.mkdir(exist_ok=True)
        policy.write_text(policy_text(expression) + "      path: audit.retentionDays\n")
        run = lint_path(str(FIXTURES / "bad-policy"), select=("ORG201",), rule_paths=(str(policy),))
        found = sorted((f.cluster, f.severity.value, f.location.path, f.location.line) for f in run.findings)
        not_run = sorted(cluster or "" for (_, _, cluster), skip in run.skipped.items() if skip.state == "not run")
        return [*found, ("not run", *not_run)]

    optional = findings("values.?audit.?retentionDays.orValue(0) >= 400")
    guarded = findings("has(values.audit) && has(values.audit.retentionDays) && values.audit.retentionDays >= 400")
    assert optional == guarded
    assert {row[1] for row in optional[:-1]} == {"error"}
    assert optional[-1] == ("not run", "gamma")  # gamma's value is unknown: not run, never a pass or a violation


@pytest.mark.parametrize(
    ("expression", "needle", "message"),
    [
        ('release.?nme.orValue("") == ""', "nme", "undefined field 'nme' of release"),
        ("values.?a + 1 > 2", "+", "applied to '(optional(dyn), int)'"),
        ("values.l.first().?x.hasValue()", "x", "'.?' selects in a map, not in 'optional(dyn)'"),
    ],
)
def test_optional_selection_is_type_checked(tmp_path: Path, expression: str, needle: str, message: str) -> None:
    policy, error = load_error(tmp_path, policy_text(expression))
    column = len("    - expression: '") + expression.index(needle) + 1
    assert error.startswith(f"{policy}:7:{column}: type error: "), error
    assert message in error, error


def test_namespaced_extension_functions_the_checker_accepts_evaluate(tmp_path: Path) -> None:
    from compliance.app.api import lint_path

    calls = 'math.greatest(values.a, 2) == 2 && sets.contains(["a"], ["a"]) && base64.encode(b"a") == "YQ=="'
    calls += " && lists.range(2).size() == 2 && optional.of(1).orValue(0) == 1"

    def messages(expression: str) -> list[str]:
        policy = tmp_path / "policies" / "ns.yaml"
        policy.parent.mkdir(exist_ok=True)
        policy.write_text(policy_text(expression).replace("values.a", "dyn(1)"))
        run = lint_path(str(FIXTURES / "clean"), select=("ORG201",), rule_paths=(str(policy),))
        return [f.message for f in run.findings]

    assert messages(calls) == []
    refused = messages(f"!({calls})")
    assert refused and all(m == "typed" for m in refused), refused  # false, not "could not evaluate"
