"""The evidence bundle under a hostile repository, and `compliance verify BUNDLE`.

Only regular files inside the root are hashed as inputs; every cluster gets its own values file; a file
name cannot add a line to `inputs.sha256`; an edited, added or removed member fails `compliance verify`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from compliance.app.api import lint_path
from compliance.evidence import bundle as evidence
from compliance.evidence.verify import MANIFEST, parse_manifest
from tests.helpers import FIXTURES, run
from tests.helpers.gitrepo import git, git_env, init_repo

EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}


def _bundle(root: Path, out: Path) -> Path:
    result = run("report", str(root), "--bundle", str(out), env=EPOCH)
    assert result.returncode == 0, result.stderr
    return out


def test_links_out_of_the_root_are_never_hashed_as_inputs(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "render", root)
    templates = root / "platform/newapi/chart/templates"
    os.symlink("/etc/passwd", templates / "passwd.yaml")
    os.symlink("/proc/self/environ", root / "platform/newapi/chart/environ")
    os.symlink("../values.yaml", templates / "inside-link.yaml")  # a link that stays in the root is an input
    repo = lint_path(str(root)).repo
    paths = {f.path for f in evidence.inventory(repo, rendered=True)}
    assert "platform/newapi/chart/templates/_helpers.tpl" in paths or any("templates/" in p for p in paths)
    assert "platform/newapi/chart/templates/inside-link.yaml" in paths
    assert not {p for p in paths if p.endswith(("passwd.yaml", "environ"))}


def test_every_cluster_has_its_own_values_file(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", root)
    for name in ("acme~eu", "acme_eu", "%41cme", "Acme"):
        shutil.copytree(root / "clusters/acme", root / "clusters" / name)
    with zipfile.ZipFile(_bundle(root, tmp_path / "evidence.zip")) as archive:
        files = {n: json.loads(archive.read(n)) for n in archive.namelist() if n.startswith("values/clusters/")}
    by_cluster = {data["cluster"]: name for name, data in files.items()}
    assert set(by_cluster) == {"_template", "acme", "acme~eu", "acme_eu", "%41cme", "Acme"}
    assert len(set(by_cluster.values())) == len(by_cluster)  # one file each: no cluster overwrote another
    assert by_cluster["acme~eu"] == "values/clusters/acme%7Eeu.json"
    assert all("/" not in name.removeprefix("values/clusters/") and "/." not in name for name in files)


def test_a_file_name_cannot_add_a_line_to_inputs_sha256(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", root)
    forged = "x.yaml\n" + "0" * 64 + "  y.yaml"  # the line it would forge
    (root / forged).write_text("a: 1\n", encoding="utf-8")
    (root / "back\\slash.yaml").write_text("b: 1\n", encoding="utf-8")
    with zipfile.ZipFile(_bundle(root, tmp_path / "evidence.zip")) as archive:
        sums = archive.read("inputs.sha256").decode("utf-8")
        listed = json.loads(archive.read("inputs.json"))["files"]
    assert len(sums.splitlines()) == len(listed)  # a line per input, none injected
    assert "0" * 64 not in [line.split("  ")[0] for line in sums.splitlines()]
    assert forged in {f["path"] for f in listed}
    if shutil.which("sha256sum"):
        check = subprocess.run(["sha256sum", "-c", "-"], input=sums.encode(), cwd=root, capture_output=True)
        assert check.returncode == 0, check.stdout + check.stderr


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("verify")
    shutil.copytree(FIXTURES / "report-ci", base / "repo")
    return _bundle(base / "repo", base / "evidence.zip")


def _rewrite(source: Path, target: Path, change: dict[str, bytes | None]) -> Path:
    """A copy of the bundle with members replaced (bytes), removed (None) or added."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            if name not in change:
                new.writestr(name, old.read(name))
        for name, data in change.items():
            if data is not None:
                new.writestr(name, data)
    return target


def test_verify_accepts_the_bundle_as_written(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        manifest = parse_manifest(archive.read(MANIFEST).decode())
        assert set(manifest) == set(archive.namelist()) - {MANIFEST}
    result = run("verify", str(bundle))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(manifest)} members match" in result.stdout


def test_verify_names_every_edited_added_or_removed_member(bundle: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        findings = json.loads(archive.read("findings.json"))
        page = archive.read("report.html")
    findings["findings"] = []  # the edit a holder would make to hide the findings
    edited = _rewrite(
        bundle,
        tmp_path / "edited.zip",
        {
            "findings.json": json.dumps(findings).encode(),
            "report.html": page.replace(b"error", b"pass"),
            "checks.json": None,
            "extra.txt": b"added later",
        },
    )
    result = run("verify", str(edited))
    assert result.returncode == 1
    problems = result.stdout.splitlines()
    assert len(problems) == 4
    assert any("'findings.json': modified" in line for line in problems)
    assert any("'report.html': modified" in line for line in problems)
    assert any("'checks.json': missing" in line for line in problems)
    assert any("'extra.txt': not in the manifest" in line for line in problems)


def test_an_unreadable_bundle_is_a_usage_error(bundle: Path, tmp_path: Path) -> None:
    (tmp_path / "not.zip").write_bytes(b"PK\x03\x04 not really")
    assert run("verify", str(tmp_path / "not.zip")).returncode == 2
    assert run("verify", str(tmp_path / "missing.zip")).returncode == 2
    no_manifest = _rewrite(bundle, tmp_path / "no-manifest.zip", {MANIFEST: None})
    result = run("verify", str(no_manifest))
    assert result.returncode == 2 and MANIFEST in result.stderr
    broken = _rewrite(bundle, tmp_path / "broken.zip", {MANIFEST: b"not a sha256sum line\n"})
    assert run("verify", str(broken)).returncode == 2


# ── reproducible without SOURCE_DATE_EPOCH ───────────────────────────────────


def _bundle_at(root: Path, out: Path, clock: datetime, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """The bundle written in-process with the wall clock reading `clock` (and no SOURCE_DATE_EPOCH)."""
    from typer.testing import CliRunner

    from compliance.cli.main import app

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.setattr(evidence, "_clock", lambda: clock)
    for name, value in git_env().items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["report", str(root), "--bundle", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def test_a_clean_commit_re_creates_the_bundle_byte_for_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "report-ci", root)
    init_repo(root)
    commit = git(root, "rev-parse", "HEAD")
    committed = datetime.fromisoformat(git(root, "log", "-1", "--format=%cI")).astimezone(timezone.utc)
    first = _bundle_at(root, tmp_path / "a.zip", datetime(2030, 1, 1, tzinfo=timezone.utc), monkeypatch)
    later = _bundle_at(root, tmp_path / "b.zip", datetime(2031, 6, 9, 12, tzinfo=timezone.utc), monkeypatch)
    assert first == later
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        scope = json.loads(archive.read("inputs.json"))["scope"]
        readme = archive.read("README.txt").decode()
        page = archive.read("report.html").decode()
        stamps = {info.date_time for info in archive.infolist()}
        modes = {info.external_attr >> 16 for info in archive.infolist()}
        names = archive.namelist()
    assert scope["generated_at"] == committed.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert scope["time_source"] == evidence.COMMIT_TIME
    assert scope["exceptions_judged_on"] == committed.date().isoformat()  # not the clock's day either
    zip_stamp = (*committed.timetuple()[:5], committed.second // 2 * 2)  # zip keeps even seconds
    assert stamps == {zip_stamp} and modes == {0o100644} and names == sorted(names)
    assert f"on a clean checkout of commit {commit}" in readme and "SOURCE_DATE_EPOCH=" not in readme
    assert f"compliance report . --output report.html   (on a clean checkout of commit {commit})" in page


def test_a_dirty_tree_keeps_the_clock_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "report-ci", root)
    init_repo(root)
    (root / "notes.yaml").write_text("a: 1\n", encoding="utf-8")
    clock = datetime(2030, 1, 1, tzinfo=timezone.utc)
    _bundle_at(root, tmp_path / "a.zip", clock, monkeypatch)
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        scope = json.loads(archive.read("inputs.json"))["scope"]
        readme = archive.read("README.txt").decode()
        stamps = {info.date_time for info in archive.infolist()}
    assert scope["generated_at"] == "2030-01-01T00:00:00Z"
    assert scope["time_source"].startswith("system clock: uncommitted changes")
    assert stamps == {evidence.ZIP_EPOCH}  # never the clock
    assert f"SOURCE_DATE_EPOCH={int(clock.timestamp())} compliance report" in readme


def test_source_date_epoch_wins_over_the_commit_time(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "report-ci", root)
    init_repo(root)
    with zipfile.ZipFile(_bundle(root, tmp_path / "evidence.zip")) as archive:
        scope = json.loads(archive.read("inputs.json"))["scope"]
    assert (scope["generated_at"], scope["time_source"]) == ("2026-01-01T00:00:00Z", "SOURCE_DATE_EPOCH")


def test_checks_json_lists_a_check_both_applied_and_not_run_both_ways() -> None:
    """Two HelmReleases of one blueprint in a cluster share a check's key: one checked, the other's values
    unknown. checks.json must not say only "applied" (the not-run half was once dropped)."""
    from compliance.engine.coverage import not_applicable, not_run

    key = ("GEO001", "bp-newapi", "acme")
    skipped = {
        key: not_run("values unknown: ${REGION}"),
        ("ATT001", "bp-newapi", "acme"): not_applicable("no channels"),
    }
    rows = json.loads(evidence.checks_json({key, ("ATT001", "bp-newapi", "beta")}, [], skipped))
    assert [(r["rule"], r["cluster"], r["state"]) for r in rows] == [
        ("ATT001", "acme", "not applicable"),
        ("ATT001", "beta", "applied"),
        ("GEO001", "acme", "applied"),
        ("GEO001", "acme", "not run"),
    ]
    # a not-applicable skip of an applied key is still only "applied": the rule looked at something there
    rows = json.loads(evidence.checks_json({key}, [], {key: not_applicable("no channels")}))
    assert [r["state"] for r in rows] == ["applied"]
