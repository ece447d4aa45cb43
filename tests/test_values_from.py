"""HelmRelease `spec.valuesFrom` as helm-controller composes it (fluxcd/pkg chartutil `ChartValuesFromReferences`,
shared notes §2): ConfigMaps and Secrets from the cluster's build, `valuesKey`, `targetPath` (Helm's `--set`
parser), `optional`, `spec.values` merged last; provenance at the ConfigMap's line; a Secret's values used by
the rules and never shown; a missing source reported (FLX008) and its values unknown, never absent."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest

from compliance.build.strvals import StrvalsError, set_path
from tests.helpers import ROOT, brief, edit, line_of, lint_fixture, run

KIT = "clusters/acme/bootstrap-kit"
DISCLOSURE = "https://acme.example/legal/terms#prompt-logging"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The marketplace example: cluster acme's gateway has AUD001 (no disclosure) and AUP001 (enforcement off)."""
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "marketplace", root)
    return root


def _values_from(root: Path, entries: str) -> None:
    """Add `spec.valuesFrom` entries (YAML list items, 4 spaces deep) to acme's gateway HelmRelease."""
    hr = root / KIT / "80-newapi.yaml"
    head = "" if "  valuesFrom:\n" in hr.read_text(encoding="utf-8") else "  valuesFrom:\n"
    edit(hr, "  values:\n", f"{head}{entries}  values:\n", 1)


def _write(root: Path, name: str, text: str) -> Path:
    path = root / KIT / name
    path.write_text(text, encoding="utf-8")
    return path


def _acme(root: Path, *rules: str) -> list[tuple[str, str, str, int, str | None]]:
    return [b for b in brief(lint_fixture(root)) if b[0] in rules and b[4] in ("acme", None)]


AUP_TARGET = "    - kind: ConfigMap\n      name: newapi-aup\n      valuesKey: mode\n      targetPath: aup.enforcement\n"
CONFIG_MAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: newapi-values
  namespace: flux-system
data:
  values.yaml: |
{body}"""


def test_a_disclosure_from_a_config_map_removes_the_false_positive(repo: Path) -> None:
    assert [b[0] for b in _acme(repo, "AUD001")] == ["AUD001"]
    body = f"    audit:\n      promptContentDisclosure: {DISCLOSURE}\n"
    cm = _write(repo, "newapi-values.yaml", CONFIG_MAP.format(body=body))
    _values_from(repo, "    - kind: ConfigMap\n      name: newapi-values\n")
    assert _acme(repo, "AUD001", "FLX008") == []
    shown = run("values", str(repo), "--cluster", "acme", "--blueprint", "bp-newapi", "--blame")
    assert shown.returncode == 0, shown.stderr
    # provenance: the line inside the block scalar
    assert f"{KIT}/newapi-values.yaml:{line_of(cm, 'promptContentDisclosure')}" in shown.stdout


def test_enforcement_off_moved_into_a_config_map_is_caught_at_its_line(repo: Path) -> None:
    edit(repo / KIT / "80-newapi.yaml", '    aup:\n      enforcement: "off"\n', "", 1)
    assert _acme(repo, "AUP001") == []  # the chart's default is strict
    cm = _write(repo, "newapi-values.yaml", CONFIG_MAP.format(body='    aup:\n      enforcement: "off"\n'))
    _values_from(repo, "    - kind: ConfigMap\n      name: newapi-values\n")
    assert _acme(repo, "AUP001") == [
        ("AUP001", "error", f"{KIT}/newapi-values.yaml", line_of(cm, "enforcement"), "acme")
    ]


def test_enforcement_off_moved_into_a_kustomize_patch_is_caught_at_the_patch(repo: Path) -> None:
    edit(repo / KIT / "80-newapi.yaml", '    aup:\n      enforcement: "off"\n', "", 1)
    files = sorted(p.name for p in (repo / KIT).glob("*.yaml"))
    _write(
        repo,
        "kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
        + "".join(f"  - {name}\n" for name in files)
        + "patches:\n  - path: aup-off.yaml\n",
    )
    patch = _write(
        repo,
        "aup-off.yaml",
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: bp-newapi\n"
        '  namespace: flux-system\nspec:\n  values:\n    aup:\n      enforcement: "off"\n',
    )
    assert _acme(repo, "AUP001") == [("AUP001", "error", f"{KIT}/aup-off.yaml", line_of(patch, "enforcement"), "acme")]


def test_a_target_path_beats_spec_values_only_through_a_map_they_share(repo: Path) -> None:
    aup = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: newapi-aup\n  namespace: flux-system\n"
        "data:\n  mode: provider-strictest\n"
    )
    _write(repo, "newapi-aup.yaml", aup)
    _values_from(repo, AUP_TARGET)
    # helm-controller merges spec.values first, then writes the path into spec.values' own `aup` map
    assert _acme(repo, "AUP001") == []


def test_spec_values_win_over_a_config_map_and_a_target_path_whose_parent_it_supplied(repo: Path) -> None:
    # the HelmRelease keeps `enforcement: "off"`: a ConfigMap saying strict does not hide it
    _write(repo, "newapi-values.yaml", CONFIG_MAP.format(body="    aup:\n      enforcement: provider-strictest\n"))
    _values_from(repo, "    - kind: ConfigMap\n      name: newapi-values\n")
    assert [b[0] for b in _acme(repo, "AUP001")] == ["AUP001"]
    # once an earlier entry supplied `aup`, the targetPath writes into a merged copy: spec.values wins again
    aup = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: newapi-aup\n  namespace: flux-system\n"
        "data:\n  mode: provider-strictest\n"
    )
    _write(repo, "newapi-aup.yaml", aup)
    _values_from(repo, AUP_TARGET)
    assert [b[0] for b in _acme(repo, "AUP001")] == ["AUP001"]


def test_a_secret_is_used_by_the_rules_and_never_shown(repo: Path) -> None:
    encoded = base64.b64encode(DISCLOSURE.encode()).decode()
    _write(
        repo,
        "newapi-secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: newapi-secret\n  namespace: flux-system\n"
        f"data:\n  disclosure: {encoded}\n",
    )
    _values_from(
        repo,
        "    - kind: Secret\n      name: newapi-secret\n      valuesKey: disclosure\n"
        "      targetPath: audit.promptContentDisclosure\n",
    )
    assert _acme(repo, "AUD001", "FLX008") == []
    for args in (("values", "--cluster", "acme", "--blueprint", "bp-newapi"), ("lint", "--format", "json")):
        shown = run(*args[:1], str(repo), *args[1:])
        assert DISCLOSURE not in shown.stdout
    shown = run("values", str(repo), "--cluster", "acme", "--blueprint", "bp-newapi")
    assert 'promptContentDisclosure: "<redacted>"' in shown.stdout


def test_a_missing_source_fails_the_release_and_an_optional_one_is_unknown(repo: Path) -> None:
    _values_from(repo, "    - kind: ConfigMap\n      name: nowhere\n")
    hr = repo / KIT / "80-newapi.yaml"
    findings = [f for f in lint_fixture(repo) if f.rule == "FLX008"]
    assert [(f.severity.value, f.location.path, f.location.line) for f in findings] == [
        ("error", f"{KIT}/80-newapi.yaml", line_of(hr, "- kind: ConfigMap"))
    ]
    assert 'configmaps "nowhere" not found' in findings[0].message
    edit(hr, "      name: nowhere\n", "      name: nowhere\n      optional: true\n", 1)
    findings = [f for f in lint_fixture(repo) if f.rule in ("FLX008", "AUD001") and f.cluster in ("acme", None)]
    # the optional source may supply the disclosure: AUD001 cannot be proved, so it is not an error
    assert [(f.rule, f.severity.value) for f in findings] == [("FLX008", "info")]


def test_a_missing_values_key_fails_even_when_the_object_exists(repo: Path) -> None:
    _write(repo, "newapi-values.yaml", CONFIG_MAP.format(body="    replicas: 2\n"))
    _values_from(repo, "    - kind: ConfigMap\n      name: newapi-values\n      valuesKey: other.yaml\n")
    messages = [f.message for f in lint_fixture(repo) if f.rule == "FLX008"]
    assert len(messages) == 1 and "with key 'other.yaml': key not found" in messages[0]


@pytest.mark.parametrize(
    ("path", "data", "literal", "expected"),
    [
        ("a.b", "true", False, {"a": {"b": True, "keep": 1}}),
        ("a.b", "TRUE", False, {"a": {"b": True, "keep": 1}}),
        ("a.b", "0123", False, {"a": {"b": "0123", "keep": 1}}),
        ("a.b", "42", False, {"a": {"b": 42, "keep": 1}}),
        ("a.b", "'42'", False, {"a": {"b": "42", "keep": 1}}),
        ("a.b", "null", False, {"a": {"b": None, "keep": 1}}),
        ("a.b", "{x,2}", False, {"a": {"b": ["x", 2], "keep": 1}}),
        ("a\\.b", "v", False, {"a": {"keep": 1}, "a.b": "v"}),
        ("l[1]", "v", False, {"a": {"keep": 1}, "l": [None, "v"]}),
        ("a.b", "x,c=3", False, {"a": {"b": "x", "keep": 1}, "c": 3}),
        ("a.b", "x,y", True, {"a": {"b": "x,y", "keep": 1}}),
        # found by the oracle (tests/test_oracle_inputs.py, Helm's strvals through `oracle strvals`):
        ("l", "{}", False, {"a": {"keep": 1}, "l": [""]}),  # `{}` is one empty string, not an empty list
        ("l", "{a\\,b,c}", False, {"a": {"keep": 1}, "l": ["a,b", "c"]}),  # an escaped comma inside a list
        ("l[0][1]", "7", False, {"a": {"keep": 1}, "l": [[None, 7]]}),  # a list in a list
        ("a\\.b", "x,y", True, {"a": {"keep": 1}, "a.b": "x,y"}),  # literal: the path's escapes still count
        ("l[0].b", "", False, {"a": {"keep": 1}, "l": []}),  # `.b=` cut by the end: Go keeps the list as it was
        ("a[", "v", False, {"a": {"keep": 1}}),  # an index cut by the end: Go's wrapped io.EOF stops quietly
    ],
)
def test_target_path_is_helm_set_syntax(path: str, data: str, literal: bool, expected: dict[str, object]) -> None:
    values: dict[str, object] = {"a": {"keep": 1}}
    set_path(values, path, data, literal)
    assert values == expected


def test_target_path_refuses_what_helm_refuses() -> None:
    with pytest.raises(StrvalsError, match='key "y" has no value'):
        set_path({}, "a", "x,y")
    with pytest.raises(StrvalsError, match="unable to parse key"):
        set_path({"a": "scalar"}, "a.b", "v")
    with pytest.raises(StrvalsError, match="not a list"):  # Go: interface conversion, string is not []interface{}
        set_path({"a": "scalar"}, "a[0]", "v")


def test_a_target_path_growing_a_list_of_spec_values_writes_a_copy(tmp_path: Path) -> None:
    """Go's setIndex copies a list it grows: the targetPath writes `list[3]` into a new list, the final merge of
    spec.values puts its own `[9]` back (measured with fluxcd/pkg chartutil v1.30.0 through tools/oracle); an
    index inside the list writes spec.values' own list, and wins."""
    for path, expected in (("list[3]", [9]), ("list[0]", ["from-cm"])):
        root = tmp_path / path.replace("[", "_").rstrip("]")
        _small_release(root, f"    - kind: ConfigMap\n      name: v\n      valuesKey: s\n      targetPath: {path}\n")
        shown = run("values", str(root), "--cluster", "c", "--all", "--format", "json")
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["releases"][0]["values"]["list"] == expected


def test_a_target_path_over_a_scalar_of_spec_values_fails_the_release(tmp_path: Path) -> None:
    """`list[0]` where spec.values says `list: "012"`: the path parses alone, Helm's parser refuses it on the
    composed values, and helm-controller fails the release, `optional` or not (found by the oracle)."""
    _small_release(
        tmp_path,
        "    - kind: ConfigMap\n      name: v\n      valuesKey: s\n      targetPath: list[0]\n      optional: true\n",
        user='    list: "012"\n',
    )
    findings = [f for f in lint_fixture(tmp_path) if f.rule == "FLX008"]
    assert [f.severity.value for f in findings] == ["error"]
    assert "failed to merge value" in findings[0].message and "the release fails in Flux" in findings[0].message


def test_an_optional_target_path_the_repository_lacks_leaves_a_scalar_it_cannot_cross(tmp_path: Path) -> None:
    """An unknown `nested.b` over `nested: true`: were the source there, Flux would fail the release; as it is
    not, `nested` is `true` (the oracle's answer), not a map made up around an unknown."""
    _small_release(
        tmp_path,
        "    - kind: ConfigMap\n      name: gone\n      targetPath: nested.b\n      optional: true\n",
        user="    nested: true\n",
    )
    shown = run("values", str(tmp_path), "--cluster", "c", "--all", "--format", "json")
    assert json.loads(shown.stdout)["releases"][0]["values"]["nested"] is True


def _small_release(root: Path, entries: str, user: str = "    list: [9]\n") -> None:
    """Chart `demo` (list: [1, 2]), cluster `c`, ConfigMap `v` (key `s`: from-cm) and release `r` in `apps`."""
    files = {
        "charts/demo/Chart.yaml": "apiVersion: v2\nname: demo\nversion: 1.0.0\n",
        "charts/demo/values.yaml": "list: [1, 2]\nnested:\n  a: chart\n",
        "clusters/c/apps/v.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: v\n  namespace: apps\n"
        "data:\n  s: from-cm\n",
        "clusters/c/apps/r.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: r\n"
        "  namespace: apps\nspec:\n  chart:\n    spec:\n      chart: demo\n      sourceRef:\n"
        "        kind: HelmRepository\n        name: demo\n  valuesFrom:\n" + entries + "  values:\n" + user,
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
