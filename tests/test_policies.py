"""Declarative policies (YAML + CEL, compliance/policy): loading, evaluation, unknown values, errors, trust,
and the three ports in examples/policies giving the same findings as their Python originals."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compliance.app.api import lint_manifests, lint_path, load_registry
from compliance.errors import UsageError
from compliance.model.findings import Finding
from compliance.settings.config import Overrides
from tests.helpers import FIXTURES, ROOT, position, run, run_process

POLICIES = ROOT / "examples" / "policies"
# every fixture tree with blueprints or releases (the flux-* trees and the hostile ones hold no gateway)
TREES = sorted(p for p in FIXTURES.iterdir() if p.is_dir() and (p / "platform").is_dir()) + [
    ROOT / "examples" / "marketplace"
]

HEAD = """\
apiVersion: compliance.policy/v1
kind: Policy
metadata:
  id: ORG101
  title: Audit log retained at least 400 days
spec:
  scope: release
"""


def same_findings(findings: list[Finding], original: str, port: str) -> tuple[list[tuple], list[tuple]]:
    """The located findings of `original` and of `port`: rule id aside, what every output shows."""

    def key(f: Finding) -> tuple:
        return (
            f.severity.value,
            f.location.path,
            f.location.line,
            f.location.column,
            f.blueprint,
            f.cluster,
            f.value_path,
        )

    # A release checked against no chart (FLX007): both say they could not check, each in its own words and
    # granularity (the rule per key it needs, the port once for its match), never an error
    from compliance.effective.values import CHART_UNKNOWN

    kept = [f for f in findings if not (f.severity.value == "info" and CHART_UNKNOWN in f.message)]
    return [key(f) for f in kept if f.rule == original], [key(f) for f in kept if f.rule == port]


def policy_lint(path: Path, select: tuple[str, ...], rules: tuple[str, ...] = (str(POLICIES),)) -> list[Finding]:
    return list(lint_path(str(path), select=select, rule_paths=rules, trust_repository_rules=True).findings)


def policy_not_run(path: Path, select: tuple[str, ...], rules: tuple[str, ...] = (str(POLICIES),)) -> dict:
    """(rule, cluster) -> why, for each check recorded as not run."""
    run_ = lint_path(str(path), select=select, rule_paths=rules, trust_repository_rules=True)
    return {(r, c): skip.reason for (r, _, c), skip in run_.skipped.items() if skip.state == "not run"}


@pytest.mark.parametrize(("original", "port"), [("BYK001", "PBYK001"), ("NAM001", "PNAM001")])
def test_ports_give_the_findings_of_their_python_originals(original: str, port: str) -> None:
    seen = 0
    for tree in TREES:
        expected, actual = same_findings(policy_lint(tree, (original, port)), original, port)
        assert actual == expected, tree.name
        seen += len(expected)
    assert seen >= 1  # the fixtures do exercise the rule


def test_the_rendered_port_gives_the_findings_of_rm003_on_rendered_streams() -> None:
    seen = 0
    for stream in sorted((FIXTURES / "render-streams").glob("*.yaml")):
        run_ = lint_manifests(str(stream), Overrides(select=("RM003", "PRM003")), (str(POLICIES),), True)
        findings = list(run_.findings)
        expected, actual = same_findings(findings, "RM003", "PRM003")
        assert actual == expected, stream.name
        messages = {f.rule: f.message for f in findings}
        assert messages.get("RM003") == messages.get("PRM003")  # at_object names the object and template alike
        seen += len(expected)
    assert seen >= 1


def test_an_unknown_flux_variable_makes_a_validation_not_run() -> None:
    """gamma's byok.scope is ${BYOK_SCOPE}, supplied by nobody: no finding, the check is not run (never passed),
    as for the Python original BYK001."""
    findings = policy_lint(FIXTURES / "bad-policy", ("PBYK001", "BYK001"))
    assert not [f for f in findings if f.cluster == "gamma"]
    reasons = policy_not_run(FIXTURES / "bad-policy", ("PBYK001", "BYK001"))
    assert reasons[("PBYK001", "gamma")].startswith("values unknown: byok.scope depends on ${BYOK_SCOPE} (read by `")
    assert reasons[("BYK001", "gamma")] == "values unknown: byok.scope depends on ${BYOK_SCOPE}"
    assert {cluster for _, cluster in reasons} == {"gamma"}


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    file = tmp_path / "policies" / name
    file.parent.mkdir(exist_ok=True)
    file.write_text(text)
    return file


def test_a_policy_locates_its_finding_through_provenance_and_fills_its_message(tmp_path: Path) -> None:
    policy = write(
        tmp_path,
        HEAD
        + "  match: 'has(values.audit)'\n"
        + "  validations:\n"
        + "    - expression: 'values.audit.enabled == true && values.audit.retentionDays >= 400'\n"
        + "      message: 'audit log kept {{ values.audit.retentionDays }} days'\n"
        + "      path: audit.retentionDays\n",
    )
    findings = policy_lint(FIXTURES / "bad-policy", ("ORG101",), (str(policy),))
    values = FIXTURES / "bad-policy" / "platform/newapi/chart/values.yaml"
    by_cluster = {f.cluster: f for f in findings}
    assert by_cluster["beta"].message == "audit log kept 365 days"
    assert (by_cluster["beta"].location.line, by_cluster["beta"].location.column) == position(values, "365")
    assert by_cluster["beta"].trace[0].location.path == "platform/newapi/chart/values.yaml"
    # gamma's audit values depend on ${AUDIT_ENABLED} and ${AUDIT_RETENTION_DAYS}: not run
    assert "gamma" not in by_cluster
    reason = policy_not_run(FIXTURES / "bad-policy", ("ORG101",), (str(policy),))[("ORG101", "gamma")]
    assert reason.startswith("values unknown: audit.enabled depends on ${AUDIT_ENABLED}")


def test_a_validation_that_cannot_be_evaluated_fails_closed(tmp_path: Path) -> None:
    policy = write(
        tmp_path, HEAD + "  validations:\n    - expression: 'values.nothing.here > 1'\n      path: nothing\n"
    )
    findings = policy_lint(FIXTURES / "clean", ("ORG101",), (str(policy),))
    assert findings and all(f.severity.value == "error" and "could not evaluate" in f.message for f in findings)


@pytest.mark.parametrize(
    ("body", "needle", "message"),
    [
        ("    - expression: 'values.a.'\n", "values.a.", "Syntax error"),
        ("    - expression: 'valuez.a == 1'\n", "valuez", "undeclared variable 'valuez'"),
        ("    - expression: >-\n        values.a == 1 &&\n        (values.b\n", "(values.b", "Syntax error"),
    ],
)
def test_a_broken_expression_is_exit_2_at_its_file_line_and_column(
    tmp_path: Path, body: str, needle: str, message: str
) -> None:
    policy = write(tmp_path, HEAD + "  validations:\n" + body)
    repo = shutil.copytree(FIXTURES / "clean", tmp_path / "repo")
    result = run_process("lint", str(repo), "--rules", str(policy))
    assert result.returncode == 2, result.stderr
    line, column = position(policy, needle)
    if message == "Syntax error":  # the error sits where the parser stopped: at the end of the text
        text = policy.read_text().splitlines()
        line = max(i for i, t in enumerate(text, 1) if needle in t)
        column = len(text[line - 1]) + 1 if needle.startswith("(") else position(policy, needle)[1] + len(needle)
    assert f"{policy}:{line}:{column}: " in result.stderr, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_policy_cannot_take_a_built_in_rule_id(tmp_path: Path) -> None:
    policy = write(tmp_path, HEAD.replace("ORG101", "BYK001") + "  validations:\n    - expression: 'true'\n")
    with pytest.raises(UsageError, match=rf"{policy}:4:7: rule id BYK001 is already defined by compliance_rules"):
        load_registry([str(policy)])


def test_a_policy_inside_the_linted_repository_needs_trust(tmp_path: Path) -> None:
    repo = shutil.copytree(FIXTURES / "clean", tmp_path / "repo")
    policy = write(repo, HEAD + "  validations:\n    - expression: 'true'\n")
    refused = run_process("lint", str(repo), "--rules", str(policy))
    assert refused.returncode == 2 and "inside the linted repository" in refused.stderr
    trusted = run_process("lint", str(repo), "--rules", str(policy), "--trust-repository-rules", "--select", "ORG101")
    assert trusted.returncode == 0, trusted.stderr


def test_rules_explain_and_suppressions_treat_policies_as_rules(tmp_path: Path) -> None:
    listed = run("rules", "--rules", str(POLICIES))
    assert "PBYK001  error    org" in listed.stdout
    explained = run("explain", "PBYK001", "--rules", str(POLICIES))
    for heading in ("## What it does", "## Why it matters", "## Example", "## Use instead", "## How to fix"):
        assert heading in explained.stdout
    repo = shutil.copytree(FIXTURES / "bad-policy", tmp_path / "repo")
    overlay = repo / "clusters/acme/bootstrap-kit/80-newapi.yaml"
    overlay.write_text(
        overlay.read_text().replace("scope: shared", 'scope: shared  # compliance: ignore[PBYK001] reason="BYOK-12"')
    )
    result = run_process("lint", str(repo), "--rules", str(POLICIES), "--select", "PBYK001", "--format", "json")
    report = json.loads(result.stdout)
    assert [s["finding"]["cluster"] for s in report["suppressed"]] == ["acme"]
    assert "acme" not in [f["cluster"] for f in report["findings"]]


def test_the_cel_engine_is_not_imported_without_policies() -> None:
    code = (
        "import sys; from compliance.app.api import lint_path; "
        f"lint_path({str(FIXTURES / 'clean')!r}); print('cel' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# ── compliance test ────────────────────────────────────────────────────────────────────────────────


def test_the_example_policy_tests_hold() -> None:
    result = run_process("test", str(POLICIES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 cases: 5 passed, 0 failed" in result.stdout


def broken_copy(tmp_path: Path) -> Path:
    """The BYOK policy and its test, the test expecting the finding one line too high."""
    shutil.copytree(POLICIES, tmp_path / "policies", ignore=shutil.ignore_patterns("*_test.yaml"))
    test = tmp_path / "policies" / "byok-scope_test.yaml"
    test.write_text((POLICIES / "byok-scope_test.yaml").read_text().replace("line: 13,", "line: 12,"))
    return test


def test_a_failing_case_shows_expected_against_actual(tmp_path: Path) -> None:
    result = run_process("test", str(broken_copy(tmp_path)))
    assert result.returncode == 1
    assert "FAIL  " in result.stdout and "2 cases: 1 passed, 1 failed" in result.stdout
    assert (
        "- expected, not found: {rule: PBYK001, cluster: acme, path: clusters/acme/gw.yaml, line: 12," in result.stdout
    )
    assert (
        "+ found, not expected: {rule: PBYK001, cluster: acme, blueprint: bp-gw, path: clusters/acme/gw.yaml, line: 13,"
        in (result.stdout)
    )


def test_policy_tests_report_junit_for_ci(tmp_path: Path) -> None:
    from junitparser import Failure, JUnitXml

    report = tmp_path / "policy-tests.xml"
    result = run_process("test", str(broken_copy(tmp_path)), "--format", "junit", "--output", str(report))
    assert result.returncode == 1
    cases = [case for suite in JUnitXml.fromfile(str(report)) for case in suite]
    failed = [case.name for case in cases if any(isinstance(r, Failure) for r in case.result)]
    assert len(cases) == 2 and failed == ["a shared BYOK scope in a cluster fails where the overlay sets it"]


def test_a_broken_policy_test_file_is_exit_2_at_its_line(tmp_path: Path) -> None:
    test = tmp_path / "x_test.yaml"
    test.write_text("apiVersion: compliance.policy/v1\nkind: PolicyTest\npolicies: [nope.yaml]\ncases: []\n")
    result = run_process("test", str(tmp_path))
    assert result.returncode == 2 and f"{test}:3:12: no such policy file: nope.yaml" in result.stderr


# ── policies named in the configuration ────────────────────────────────────────────────────────────


def test_the_config_file_names_policies_relative_to_itself(tmp_path: Path) -> None:
    repo = shutil.copytree(FIXTURES / "bad-policy", tmp_path / "repo")
    shutil.copytree(POLICIES, tmp_path / "ci" / "policies")
    config = tmp_path / "ci" / "compliance.yaml"
    config.write_text("policies: [policies/byok-scope.yaml]\nselect: [PBYK]\n")
    result = run_process("lint", str(repo), "--format", "json", env={"COMPLIANCE_CONFIG": str(config)})
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    found = {(f["rule"], f["cluster"], f["severity"]) for f in report["findings"]}
    assert found == {("PBYK001", "acme", "error"), ("PBYK001", "beta", "error")}
    assert report["coverage"]["by_rule"]["PBYK001"]["not_run"] == 1  # gamma's ${BYOK_SCOPE}
    shown = run_process("config", str(repo), env={"COMPLIANCE_CONFIG": str(config)})
    assert f'policies: ["policies/byok-scope.yaml"]  # {config}:1:1' in shown.stdout


def test_the_repository_config_naming_its_own_policies_needs_trust(tmp_path: Path) -> None:
    repo = shutil.copytree(FIXTURES / "bad-policy", tmp_path / "repo")
    shutil.copy(POLICIES / "byok-scope.yaml", repo / "org-policy.yaml")
    (repo / ".compliance.yaml").write_text("policies: [org-policy.yaml]\n")
    refused = run_process("lint", str(repo), "--select", "PBYK")
    assert refused.returncode == 2 and "org-policy.yaml: policy file inside the linted repository" in refused.stderr
    trusted = run_process("lint", str(repo), "--select", "PBYK", "--trust-repository-rules", "--format", "json")
    assert trusted.returncode == 1 and "PBYK001" in trusted.stdout


def test_the_rule_pack_version_changes_with_a_policy_expression(tmp_path: Path) -> None:
    from compliance.evidence.bundle import rule_pack

    body = "  validations:\n    - expression: 'values.audit.retentionDays >= {}'\n"
    versions = set()
    for days in (90, 0):
        policy = write(tmp_path, HEAD + body.format(days))
        versions.add(rule_pack(load_registry([str(policy)]).rules()).digest)
    assert len(versions) == 2


def test_for_each_item_reads_decide_what_is_not_checked(tmp_path: Path) -> None:
    repo = shutil.copytree(FIXTURES / "bad-policy", tmp_path / "repo")
    overlay = repo / "clusters/gamma/bootstrap-kit/80-newapi.yaml"
    overlay.write_text(overlay.read_text().replace("contractRef: LEGAL-2026-014", "contractRef: ${CONTRACT_REF}"))
    policy = write(
        tmp_path,
        HEAD
        + "  match: 'has(values.channels)'\n"
        + "  validations:\n"
        + "    - forEach: channels\n"
        + "      expression: 'item.name != \"claude\"'\n"
        + "      message: 'channel {{ item.name }} at {{ index }}'\n"
        + "      path: name\n"
        + "    - forEach: channels\n"
        + "      expression: '!has(item.attestation) || item.attestation.contractRef == \"none\"'\n"
        + "      path: attestation.contractRef\n",
    )
    gamma = [f for f in policy_lint(repo, ("ORG101",), (str(policy),)) if f.cluster == "gamma"]
    # the name is known: checked (a violation); the contract reference depends on ${CONTRACT_REF}: not run
    assert [(f.value_path, f.severity.value, f.message) for f in gamma] == [
        ("channels[0].name", "error", "channel claude at 0")
    ]
    assert gamma[0].location.path == "clusters/gamma/bootstrap-kit/80-newapi.yaml"
    # the check failed by the name still says the part it could not evaluate
    reason = policy_not_run(repo, ("ORG101",), (str(policy),))[("ORG101", "gamma")]
    assert reason.startswith("values unknown: channels[0].attestation.contractRef depends on ${CONTRACT_REF}")


def test_a_pull_request_dropping_a_configured_policy_weakens_the_gate(tmp_path: Path) -> None:
    from tests.helpers.gitrepo import commit_all, compliance, init_repo

    shutil.copytree(POLICIES, tmp_path / "org-policies")  # checked out beside the repository, outside it
    repo = init_repo(shutil.copytree(FIXTURES / "clean", tmp_path / "repo"))
    (repo / ".compliance.yaml").write_text("# reviewed\npolicies: [../org-policies/byok-scope.yaml]\n")
    commit_all(repo, "base config")
    (repo / ".compliance.yaml").write_text("# reviewed\n")
    result = compliance("lint", ".", "--diff-base", "HEAD", "-f", "json", cwd=repo)
    assert result.returncode == 1, result.stderr
    gate = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "GATE001"]
    assert [(f["severity"], f["path"]) for f in gate] == [("error", ".compliance.yaml")]
    assert "../org-policies/byok-scope.yaml" in gate[0]["message"] and "no longer run" in gate[0]["message"]
