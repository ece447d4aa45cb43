"""`compliance fix` on copies of fixtures and of the real corpus: the finding goes, nothing new appears,
only the intended lines change (byte for byte), a second run changes nothing; and what it refuses."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.app.api import lint_path
from compliance.fix import apply, plan
from compliance.model.findings import Finding, Location, Severity
from compliance.model.fixes import Edit, Fix
from tests.helpers import FIXTURES, run

VALUES = "platform/gw/chart/values.yaml"
BLUEPRINT = "platform/gw/blueprint.yaml"
CHART = "platform/gw/chart/Chart.yaml"

# fixtures/fix-layout's values.yaml after `compliance fix`: the earlier equal `enabled` goes, NO is quoted, the
# missing baseline regions are appended; `off` in a shared anchor, `extra` beside a merge key and `level` (two
# different values) stay.
VALUES_FIXED = """\
# gw defaults: every fixable defect, with comments and layout a fix must keep
audit:
  retentionDays: 730
  enabled: true
logging:
  level: info
  level: debug
geo:
  sanctionedRegions:
    block:
      - IR   # Iran
      - KP
      # Syria
      - SY
      - "NO"
      - CU
      - RU-occupied-UA
    allowRelaxation: false
shared: &shared
  mode: off
copy: *shared
merged:
  <<: {extra: 0}
  extra: 1
  extra: 1
"""


def _copy(tmp_path: Path, source: Path) -> Path:
    target = tmp_path / source.name
    shutil.copytree(source, target, symlinks=True)
    return target


def _findings(root: Path) -> list[Finding]:
    return list(lint_path(str(root)).findings)


def _fingerprints(findings: list[Finding]) -> Counter[tuple[str, ...]]:
    """What a finding is, wherever it moved (a YML002 message names the line of the first key)."""
    return Counter(
        (f.rule, f.location.path, f.cluster or "", re.sub(r"line \d+", "line N", f.value_path or f.message))
        for f in findings
    )


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _changed(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    return {name for name in before if before[name] != after.get(name)} | (set(after) - set(before))


def test_fix_repairs_only_the_intended_lines(tmp_path: Path) -> None:
    root = _copy(tmp_path, FIXTURES / "fix-layout")
    before_files, before = _snapshot(root), _findings(root)
    result = run("fix", str(root))
    assert result.returncode == 1, result.stdout  # `level` (two values) is an error that is left
    assert "not fixed platform/gw/chart/values.yaml:7:3: YML002" in result.stdout  # where it is now
    assert "the two values differ" in result.stdout
    assert "inside anchor &shared" in result.stdout and "a merge key (<<)" in result.stdout
    after_files = _snapshot(root)
    assert _changed(before_files, after_files) == {VALUES, BLUEPRINT}
    assert after_files[VALUES].decode() == VALUES_FIXED
    assert after_files[BLUEPRINT] == before_files[BLUEPRINT].replace(b'version: "1.2.0"', b'version: "1.3.0"')
    after = _findings(root)
    assert not _fingerprints(after) - _fingerprints(before)  # nothing new
    gone = {(f.rule, f.location.line) for f in before} - {(f.rule, f.location.line) for f in after}
    assert {rule for rule, _ in gone} >= {"VER001", "GEO001", "YML001", "YML002"}
    left = {(f.rule, f.location.path, f.location.line) for f in after if f.rule in ("YML001", "YML002")}
    assert left == {("YML002", VALUES, 7), ("YML001", VALUES, 20), ("YML002", VALUES, 25)}
    again = run("fix", str(root), "--check")  # idempotent: nothing more to fix
    assert again.returncode == 0 and "nothing to fix" in again.stdout
    assert _snapshot(root) == after_files


def test_crlf_and_bom_survive(tmp_path: Path) -> None:
    root = _copy(tmp_path, FIXTURES / "fix-layout")
    values = root / VALUES
    original = b"\xef\xbb\xbf" + values.read_bytes().replace(b"\n", b"\r\n")
    values.write_bytes(original)
    assert run("fix", str(root), "--select", "YML,GEO").returncode == 1
    assert values.read_bytes() == b"\xef\xbb\xbf" + VALUES_FIXED.encode().replace(b"\n", b"\r\n")


def test_diff_and_check_write_nothing(tmp_path: Path) -> None:
    root = _copy(tmp_path, FIXTURES / "fix-layout")
    before = _snapshot(root)
    diff = run("fix", str(root), "--diff")
    assert diff.returncode == 0
    assert f"--- a/{VALUES}\n+++ b/{VALUES}\n" in diff.stdout
    assert '-      - NO\n+      - "NO"\n+      - CU\n+      - RU-occupied-UA\n' in diff.stdout
    assert '-  version: "1.2.0"   # bumped by the release job\n+  version: "1.3.0"   # bumped' in diff.stdout
    check = run("fix", str(root), "--check")
    assert check.returncode == 1 and f"+++ b/{BLUEPRINT}" in check.stdout
    assert _snapshot(root) == before


def test_select_and_prefer_blueprint(tmp_path: Path) -> None:
    root = _copy(tmp_path, FIXTURES / "fix-layout")
    before = _snapshot(root)
    result = run("fix", str(root), "--select", "VER001", "--prefer", "blueprint")
    assert result.returncode == 0, result.stdout
    after = _snapshot(root)
    assert _changed(before, after) == {CHART}
    assert after[CHART] == before[CHART].replace(b"version: 1.3.0  #", b"version: 1.2.0  #")


def test_dag_is_fixed_only_when_asked(tmp_path: Path) -> None:
    root = _copy(tmp_path, FIXTURES / "bad-dag")
    dag = "scripts/expected-bootstrap-deps.yaml"
    before_files, before = _snapshot(root), _findings(root)
    run("fix", str(root), "--select", "DAG001,DAG002")
    assert _snapshot(root) == before_files
    run("fix", str(root), "--select", "DAG001,DAG002", "--fix-dag")
    after_files = _snapshot(root)
    assert _changed(before_files, after_files) == {dag}
    old, new = before_files[dag].decode().splitlines(), after_files[dag].decode().splitlines()
    assert [n for n, (a, b) in enumerate(zip(old, new, strict=False)) if a != b] == [4, 10, 13]
    assert new[4] == "    depends_on: [bp-keycloak]"  # the kit's bp-openbao waits for bp-keycloak
    assert new[len(old) :] == ["  - {slot: 17, name: bp-valkey, depends_on: [bp-openbao]}"]
    after = _findings(root)
    assert not [f for f in after if f.rule in ("DAG001", "DAG002")]
    assert not _fingerprints(after) - _fingerprints(before)


@pytest.mark.parametrize(
    ("snapshot", "rules", "unfixed"),
    [
        ("snapshot-2026-04-30", {"VER001", "YML001", "YML002"}, set()),
        # 80a-newapi-host-seams.yaml: no slot number in its name, so no slot is made up for it
        ("newapi-latest", {"DAG002"}, {("DAG002", "clusters/_template/bootstrap-kit/80a-newapi-host-seams.yaml")}),
    ],
)
def test_corpus_copy(
    tmp_path: Path, corpus: Path, snapshot: str, rules: set[str], unfixed: set[tuple[str, str]]
) -> None:
    root = _copy(tmp_path, corpus / snapshot)
    before_files, before = _snapshot(root), _findings(root)
    assert {f.rule for f in before if f.fixes} >= rules
    run("fix", str(root), "--fix-dag")
    after_files, after = _snapshot(root), _findings(root)
    assert not _fingerprints(after) - _fingerprints(before)
    assert {(f.rule, f.location.path) for f in after if f.fixes} == unfixed
    intended: dict[str, set[int]] = {}
    for finding in before:
        for fix in finding.fixes:
            for edit in fix.edits:
                intended.setdefault(edit.path, set()).update({edit.line, finding.location.line})
    for name in _changed(before_files, after_files):
        old, new = before_files[name].splitlines(keepends=True), after_files[name].splitlines(keepends=True)
        prefix = next((n for n, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
        suffix = next((n for n, (a, b) in enumerate(zip(old[::-1], new[::-1], strict=False)) if a != b), 0)
        changed = set(range(prefix + 1, len(old) - suffix + 1))  # 1-based lines of the original that differ
        assert changed <= intended[name] | {max(intended[name]) + 1}, (name, changed)
    assert run("fix", str(root), "--fix-dag", "--check").returncode == 0  # a second run changes nothing


def _finding(path: str, edit: Edit) -> Finding:
    return Finding("YML001", Severity.WARNING, "m", Location(path, edit.line, edit.column), fixes=(Fix("f", (edit,)),))


@pytest.mark.parametrize(
    ("text", "edit", "reason"),
    [
        ("a: &x NO\nb: *x\n", Edit("v.yaml", 1, 4, "quote-scalar", expected="NO"), "anchor &x"),
        ("a: *x\n", Edit("v.yaml", 1, 4, "quote-scalar", expected="NO"), ""),
        (
            "b: &x {c: 1}\na:\n  <<: *x\n  c: 2\n  c: 2\n",
            Edit("v.yaml", 4, 3, "delete-entry", "c", "c", (5, 3)),
            "merge",
        ),
        ("%YAML 1.1\n---\na: NO\n---\nb: 1\n", Edit("v.yaml", 3, 4, "quote-scalar", expected="NO"), "directives"),
        ("a: ${REGION}\n", Edit("v.yaml", 1, 4, "set-scalar", "x", "${REGION}"), "Flux variable"),
        ("a: yes\n", Edit("v.yaml", 1, 4, "quote-scalar", expected="NO"), "file changed"),
        ("a: {b: 1, b: 1}\n", Edit("v.yaml", 1, 5, "delete-entry", expected="b", other=(1, 11)), "flow mapping"),
        ("a: |\n  text\n", Edit("v.yaml", 1, 4, "set-scalar", "x", "text\n"), "block scalar"),
        ("a: 1\n", Edit("../v.yaml", 1, 4, "set-scalar", "2", "1"), "outside the linted root"),
    ],
)
def test_what_cannot_be_fixed_byte_minimally_is_skipped(tmp_path: Path, text: str, edit: Edit, reason: str) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "v.yaml").write_text(text)
    (tmp_path / "v.yaml").write_text(text)
    (planned,) = plan(str(tmp_path / "root"), [_finding(edit.path, edit)])
    assert planned.skipped and reason in planned.skipped, planned.skipped
    assert not apply(str(tmp_path / "root"), [planned]).files


def test_a_file_behind_a_link_is_not_edited(tmp_path: Path) -> None:
    (tmp_path / "root" / "real").mkdir(parents=True)
    (tmp_path / "root" / "real" / "v.yaml").write_text("a: NO\n")
    (tmp_path / "root" / "linked").symlink_to(tmp_path / "root" / "real")
    edit = Edit("linked/v.yaml", 1, 4, "quote-scalar", expected="NO")
    (planned,) = plan(str(tmp_path / "root"), [_finding(edit.path, edit)])
    assert "symbolic link" in planned.skipped


def test_an_unused_anchor_stays_where_it_is(tmp_path: Path) -> None:
    (tmp_path / "v.yaml").write_bytes(b"a: &x NO  # kept\nb: 1\n")
    edit = Edit("v.yaml", 1, 4, "quote-scalar", expected="NO")
    applied = apply(str(tmp_path), plan(str(tmp_path), [_finding(edit.path, edit)]))
    assert applied.files["v.yaml"][1] == b'a: &x "NO"  # kept\nb: 1\n'


def test_lint_sarif_offers_the_fix(tmp_path: Path, sarif_schema: dict[str, object]) -> None:
    from tests.test_reporters_sarif import resolve, validate

    root = _copy(tmp_path, FIXTURES / "fix-layout")
    result = run("lint", str(root), "--format", "sarif")
    log = json.loads(result.stdout)
    validate(log, sarif_schema)
    sarif_run = log["runs"][0]
    offered = {r["ruleId"]: r["fixes"] for r in sarif_run["results"] if "fixes" in r}
    assert set(offered) == {"VER001", "YML001", "YML002", "GEO001"}  # not the ones fix refuses
    (change,) = offered["YML001"][0]["artifactChanges"]
    path = resolve(sarif_run, {"artifactLocation": change["artifactLocation"]})
    data = path.read_bytes()
    (replacement,) = change["replacements"]
    region = replacement["deletedRegion"]
    start, end = region["byteOffset"], region["byteOffset"] + region["byteLength"]
    assert data[start:end] == b"NO" and replacement["insertedContent"]["text"] == '"NO"'
    line = data.splitlines()[region["startLine"] - 1].decode()
    assert line[region["startColumn"] - 1 : region["endColumn"] - 1] == "NO"


NOISE = st.sampled_from(["", "# note", "  # indented note", "#", "# NO: not a region", "   "])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before=st.lists(NOISE, max_size=3),
    between=st.lists(NOISE, max_size=2),
    after=st.lists(NOISE, max_size=3),
    trailing=st.sampled_from(["", "  # Norway", " #x"]),
    indent=st.sampled_from(["  ", "    "]),
    flow=st.booleans(),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_layout_noise_around_a_fixable_defect_survives(
    before: list[str], between: list[str], after: list[str], trailing: str, indent: str, flow: bool, newline: str
) -> None:
    """Random comments, blank lines, indentation, list style and line breaks around `NO`: only `NO` changes."""
    regions = ["IR", "KP", "SY", "CU", "RU-occupied-UA"]
    if flow:
        listing = [f"{indent * 2}block: [{', '.join(regions)}, {{}}]{trailing}"]
    else:
        listing = [f"{indent * 2}block:", *(f"{indent * 2}{indent}- {r}" for r in regions[:2]), *between]
        listing += [*(f"{indent * 2}{indent}- {r}" for r in regions[2:]), f"{indent * 2}{indent}- {{}}{trailing}"]
    lines = [*before, "geo:", *between, f"{indent}sanctionedRegions:", *listing, *after, "replicas: 1"]
    text = newline.join(lines) + newline
    with tempfile.TemporaryDirectory() as folder:
        root = Path(shutil.copytree(FIXTURES / "fix-layout", Path(folder) / "repo"))
        values = root / VALUES
        values.write_bytes(text.replace("{}", "NO").encode())
        result = run("fix", str(root), "--select", "YML001")
        assert result.returncode == 0, result.stdout
        assert values.read_bytes() == text.replace("{}", '"NO"').encode()
        assert not [f for f in _findings(root) if f.rule == "YML001" and f.location.path == VALUES]
