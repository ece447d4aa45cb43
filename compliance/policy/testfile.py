"""Policy tests: `kind: PolicyTest` documents in `*_test.yaml` files beside the policies they test.

```yaml
apiVersion: compliance.policy/v1
kind: PolicyTest
policies: [byok-scope.yaml]          # relative to this file
cases:
  - name: shared keys fail
    repository: fixtures/shared      # a small repository next to the test (or `manifests: a stream`)
    variables: {BYOK_SCOPE: never}   # optional Flux variables (as --var)
    expect:
      - {rule: PBYK001, cluster: acme, path: clusters/acme/gw.yaml, line: 12}
```
An expected finding names its `rule` and any of cluster, blueprint, path, line, column, severity,
valuePath and message (a substring); a case holds when its expectations and the policies' findings
match one to one. Problems in the file are `PolicyError`s at file:line:column (exit 2).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from compliance.policy.document import API_VERSION, PolicyError, Reader, is_test_file
from compliance.records import record
from compliance.yaml import Path

EXPECT_KEYS = ("rule", "cluster", "blueprint", "path", "line", "column", "severity", "valuePath", "message")


@record
class Case:
    name: str
    repository: str | None  # absolute paths
    manifests: str | None
    variables: Mapping[str, str]
    expect: tuple[Mapping[str, Any], ...]
    where: str


@record
class PolicyTest:
    file: str
    policies: tuple[str, ...]  # absolute paths
    cases: tuple[Case, ...]


def policy_test_files(path: str) -> list[str]:
    """`path` itself, or every `*_test.yaml` under a folder (sorted; hidden folders skipped)."""
    if not os.path.exists(path):
        raise PolicyError(f"{path}: no such file or directory")
    if not os.path.isdir(path):
        return [path]
    found = []
    for directory, folders, files in os.walk(path):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        found += [os.path.join(directory, name) for name in sorted(files) if is_test_file(name)]
    return found


def read_tests(file: str) -> list[PolicyTest]:
    reader = Reader(file)
    base = os.path.dirname(os.path.abspath(file))
    tests = []
    for value, positions in reader.documents:
        if not isinstance(value, dict) or value.get("kind") != "PolicyTest" or value.get("apiVersion") != API_VERSION:
            raise reader.error(positions, (), f"expected apiVersion: {API_VERSION} and kind: PolicyTest")
        unknown = set(value) - {"apiVersion", "kind", "policies", "cases"}
        if unknown:
            raise reader.error(positions, (sorted(unknown)[0],), f"unknown key {sorted(unknown)[0]!r}")
        policies = value.get("policies")
        if not isinstance(policies, list) or not policies or not all(isinstance(p, str) for p in policies):
            raise reader.error(positions, ("policies",), "policies must be a non-empty list of policy files")
        for index, policy in enumerate(policies):
            if not os.path.exists(os.path.join(base, policy)):
                raise reader.error(positions, ("policies", index), f"no such policy file: {policy}")
        cases = value.get("cases")
        if not isinstance(cases, list) or not cases:
            raise reader.error(positions, ("cases",), "cases must be a non-empty list")
        tests.append(
            PolicyTest(
                file,
                tuple(os.path.join(base, p) for p in policies),
                tuple(_case(reader, positions, base, index, case) for index, case in enumerate(cases)),
            )
        )
    return tests


def _case(reader: Reader, positions: Mapping[Path, Any], base: str, index: int, case: Any) -> Case:
    at: Path = ("cases", index)
    if not isinstance(case, dict):
        raise reader.error(positions, at, "a case must be a mapping")
    for key in case:
        if key not in ("name", "repository", "manifests", "variables", "expect"):
            raise reader.error(positions, (*at, key), f"unknown key {key!r}")
    name = case.get("name")
    if not isinstance(name, str) or not name.strip():
        raise reader.error(positions, (*at, "name"), "a case needs a name")
    targets = [key for key in ("repository", "manifests") if isinstance(case.get(key), str)]
    if len(targets) != 1:
        raise reader.error(positions, at, "a case needs exactly one of repository or manifests")
    target = os.path.join(base, case[targets[0]])
    if not os.path.exists(target):
        raise reader.error(positions, (*at, targets[0]), f"no such {targets[0]}: {case[targets[0]]}")
    variables = case.get("variables", {})
    if not isinstance(variables, dict):
        raise reader.error(positions, (*at, "variables"), "variables must be a mapping")
    expect = case.get("expect", [])
    if not isinstance(expect, list):
        raise reader.error(positions, (*at, "expect"), "expect must be a list of findings")
    for number, item in enumerate(expect):
        where = (*at, "expect", number)
        if not isinstance(item, dict) or not isinstance(item.get("rule"), str):
            raise reader.error(positions, where, "an expected finding is a mapping with at least a rule")
        for key in item:
            if key not in EXPECT_KEYS:
                raise reader.error(positions, (*where, key), f"unknown key {key!r} (expected {', '.join(EXPECT_KEYS)})")
    return Case(
        name,
        target if targets[0] == "repository" else None,
        target if targets[0] == "manifests" else None,
        {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in variables.items()},
        tuple(expect),
        reader.where(positions, at),
    )
