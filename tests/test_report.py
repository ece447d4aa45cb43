"""`compliance report`: the auditor's HTML page and evidence bundle, on real fixtures, git repos and a browser."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest

from compliance.app.api import load_registry
from compliance.redact import REDACTED
from tests.helpers import FIXTURES, edit, run_process
from tests.helpers.gitrepo import git, init_repo

FIXTURE = FIXTURES / "report-audit"
EPOCH = "1700000000"  # 2023-11-14 22:13:20 UTC
LEAKS = ("tok-DO-NOT-LEAK-5678", "pw-DO-NOT-LEAK-9012")  # inline secrets in the fixture's acme overlay


class Page(HTMLParser):
    """The rendered page as tables of cell texts (by table class) and the set of every link and tag seen."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.tags: set[str] = set()
        self.links: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        attributes = dict(attrs)
        self.links.extend(value or "" for name, value in attrs if name in ("href", "src"))
        if tag == "table" and self._table is None:
            self._table = attributes.get("class") or ""
            self.tables.setdefault(self._table, [])
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []
        elif tag in ("br", "p", "li", "div") and self._cell is not None:
            self._cell.append(" ")  # a line break as the reader sees it

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def matrix(self) -> dict[str, dict[str, str]]:
        """Posture matrix as {cluster: {family: cell text}}."""
        header, *rows = self.tables["matrix"]
        return {re.sub(r" \d+ releases?$", "", row[0]): dict(zip(header[1:], row[1:], strict=True)) for row in rows}


def report(root: Path, *args: str, epoch: str | None = EPOCH) -> subprocess.CompletedProcess[str]:
    env = {"SOURCE_DATE_EPOCH": epoch} if epoch is not None else {}
    return run_process("report", str(root), *args, env=env)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The fixture copied outside any git work tree."""
    target = tmp_path / "repo"
    shutil.copytree(FIXTURE, target)
    return target


@dataclass(frozen=True)
class Audit:
    repo: Path
    html: str
    bundle: zipfile.ZipFile


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> Audit:
    """One report and bundle of the fixture (outside git), shared by the tests that only read them."""
    base = tmp_path_factory.mktemp("audit")
    shutil.copytree(FIXTURE, base / "repo")
    result = report(base / "repo", "--output", str(base / "report.html"), "--bundle", str(base / "evidence.zip"))
    assert result.returncode == 0, result.stderr
    return Audit(
        base / "repo", (base / "report.html").read_text(encoding="utf-8"), zipfile.ZipFile(base / "evidence.zip")
    )


def make_report(root: Path, out: Path, *args: str, epoch: str | None = EPOCH) -> str:
    result = report(root, "--output", str(out), *args, epoch=epoch)
    assert result.returncode == 0, result.stderr
    return out.read_text(encoding="utf-8")


def make_bundle(root: Path, out: Path, *args: str) -> zipfile.ZipFile:
    result = report(root, "--bundle", str(out), *args)
    assert result.returncode == 0, result.stderr
    return zipfile.ZipFile(out)


# ── the HTML page ────────────────────────────────────────────────────────────


def test_page_is_self_contained(audit: Audit) -> None:
    page = Page(audit.html)
    assert not page.tags & {"script", "link", "img", "iframe", "object"}
    assert page.links and all(link.startswith("#") for link in page.links)  # in-page anchors only
    assert "@media print" in audit.html


def test_values_from_the_repository_are_escaped(repo: Path, tmp_path: Path) -> None:
    edit(
        repo / "clusters/acme/bootstrap-kit/80-newapi.yaml",
        "host: api.acme.example",
        "host: api.acme.example\n    replicas: '<script>alert(1)</script>'",
    )
    text = make_report(repo, tmp_path / "report.html")
    assert "script" not in Page(text).tags
    assert "&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;" in text  # SCH001's evidence, shown as text


def test_posture_matrix_from_the_checks_that_ran(audit: Audit) -> None:
    matrix = Page(audit.html).matrix()
    assert set(matrix) == {"_template", "acme", "Not cluster-specific"}
    assert matrix["acme"]["policy"].startswith("✗ Fail")
    assert "1 error" in matrix["acme"]["policy"]
    assert matrix["_template"]["policy"].startswith("✓ Pass")  # the defect is only in acme's overlay
    assert matrix["acme"]["attestation"].startswith("✓ Pass")
    # blueprint cards are checked once per blueprint (2 rules x 4 blueprints), never per cluster
    assert matrix["acme"]["card"] == "– Not applicable"
    assert matrix["Not cluster-specific"]["card"] == "✓ Pass 8 checks"
    assert matrix["Not cluster-specific"]["policy"].startswith("– Not applicable")


def test_finding_carries_its_evidence(audit: Audit) -> None:
    text = audit.html
    evidence = Page(text).tables["evidence"]
    assert evidence == [
        ["Step", "Value", "Where"],
        ["Effective value", '"off"', "clusters/acme/bootstrap-kit/80-newapi.yaml:28:20 cluster overlay"],
        ["Overrode", '"provider-strictest"', "platform/newapi/chart/values.yaml:38:16 chart default"],
    ]
    assert "aup.enforcement is off while commercial channel &#x27;claude&#x27; is enabled" in text
    assert '<p class="verdict-head">Fail: 1 error</p>' in text


def test_exceptions_are_listed_not_failed(audit: Audit) -> None:
    page = Page(audit.html)
    # AUP001 fails, AUD002 excepted; of 12 checks: 6 rules on the gateway, AUD001 and ADM001 on 3 other releases
    assert page.matrix()["acme"]["policy"] == "✗ Fail 1/12 failed 1 error 1 excepted"
    header, row = page.tables["exceptions"]
    assert header == ["Rule", "Finding", "Where", "Exception"]
    assert row[0] == "▲ Warning AUD002"
    assert row[2] == "clusters/acme/bootstrap-kit/80-newapi.yaml:31:22 cluster acme"
    assert row[3] == (
        "one-year retention agreed with the DPO, DPO-77 "
        "inline exception at clusters/acme/bootstrap-kit/80-newapi.yaml:31:27 · owner dpo · until 2024-06-30"
    )
    assert "1 finding excepted, with reasons, in section 4." in audit.html
    header, entry = page.tables["register"]
    assert header == ["Status", "Exception", "Rules", "Reason", "Owner / approver", "Until", "Findings"]
    assert entry[0] == "✓ Active" and entry[2] == "AUD002" and entry[4] == "owner dpo"
    assert entry[5:] == ["2024-06-30 (in 229 days)", "1"]


def test_summary_by_rule_comes_before_the_detail(audit: Audit) -> None:
    page = Page(audit.html)
    header, *rows = page.tables["by-rule"]
    assert header == ["Rule", "Title", "Result", "Findings", "Checks"]
    assert rows == [
        ["AUP001", "Provider AUP enforcement off with commercial channels", "✗ Fail", "1 error", "2"],
        ["AUD002", "Audit log disabled or retained too briefly", "✓ Pass", "1 excepted", "2"],
    ]  # one gateway release in each of the two clusters
    assert "Passed with no finding: " in audit.html
    legend = re.sub(r"<[^>]+>", "", audit.html.split('id="by-rule"', 1)[1].split("</section>", 1)[0])
    assert "– Not applicable Not applicable here: RM001, RM002" in legend  # the charts have no templates
    assert "no chart templates to render" in legend and "N/A" not in legend
    order = [audit.html.index(f'<section id="{name}"') for name in ("posture", "by-rule", "controls", "findings")]
    assert order == sorted(order)


def test_control_view_maps_controls_to_rules_and_results(audit: Audit) -> None:
    controls = {(row[0], row[1]): row[2:] for row in Page(audit.html).tables["controls"][1:]}
    assert controls[("EU AI Act", "Art.26")] == ["✗ Fail", "AUD001 ✓ AUD002 ✓ AUP001 ✗"]  # AUP001 fails it
    assert controls[("EU AI Act", "Art.12")] == ["✓ Pass", "AUD002 ✓"]  # excepted, not failed
    assert controls[("ISO/IEC 27001:2022 Annex A", "A.8.15")] == ["✓ Pass", "AUD002 ✓"]
    assert controls[("SOC 2 (TSC CC)", "CC9.2")][0] == "✗ Fail"
    assert ("SOC 2 (TSC CC)", "CC6.6") in controls and len(controls) == len(load_registry().controls())


def inventory(html: str) -> dict[str, tuple[str, str, str]]:
    """The inventory's files: path -> (kind, size, SHA-256), from each folder row and its entries' titles."""
    section = html.split('<section id="inventory"', 1)[1].split("</section>", 1)[0]
    found: dict[str, tuple[str, str, str]] = {}
    for row in section.split("<tr>")[2:]:
        folder = re.sub(r"<[^>]+>", "", row.split("</td>", 1)[0])
        for kind, size, digest, name in re.findall(
            r'<span class="entry" title="([^,"]+), ([\d,]+) bytes, sha256:(\w+)">([^<]+) <code', row
        ):
            full = name if folder == "./" else folder + name
            found[full] = (kind, size, digest)
    return found


def test_informational_findings_take_a_line_per_rule(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "bad-dag", root)
    page = Page(make_report(root, tmp_path / "r.html"))
    infos = page.tables["infos"][1:]
    dag = [row for row in infos if row[0] == "DAG003"]
    assert len(dag) == 1 and dag[0][1] == "Expected DAG slot not on disk yet" and dag[0][2] == "1"
    assert "2 slots of the expected DAG" in dag[0][3]  # one finding listing every slot
    assert [row[0] for row in infos if row[0] != "DAG003"] == ["FLX007"]  # bp-valkey's chart is not in the tree
    assert 'class="finding sev-info' not in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_infos_of_one_rule_share_a_row_listing_each_place(corpus: Path, tmp_path: Path) -> None:
    page = Page(make_report(corpus / "snapshot-2026-04-30", tmp_path / "r.html", "--renderer", "none"))
    flx007 = [row for row in page.tables["infos"][1:] if row[0] == "FLX007"]
    assert len(flx007) == 1 and flx007[0][2] == "4"  # four releases whose chart is not in the tree: one row
    assert flx007[0][3].count("not available: values checked against nothing") == 4


def test_source_date_epoch_is_also_the_day_exceptions_expire(repo: Path, tmp_path: Path) -> None:
    text = make_report(repo, tmp_path / "r.html", epoch="1735689600")  # 2025-01-01: after the `until`
    page = Page(text)
    assert "exceptions" not in page.tables
    assert page.matrix()["acme"]["policy"] == "✗ Fail 2/12 failed 1 error · 1 warning"  # AUD002 is back
    assert page.matrix()["Not cluster-specific"]["suppressions"] == "✗ Fail 1/6 failed 1 error"
    assert "ignore[AUD002] expired on 2024-06-30" in text
    assert dict(page.tables["facts"])["Exceptions judged on"] == "2025-01-01"
    (entry,) = page.tables["register"][1:]  # the expired exception stays in the register
    assert entry[0] == "✗ Expired" and entry[5:] == ["2024-06-30 (185 days ago)", "0"]


def test_scope_outside_git_and_versions(audit: Audit, tmp_path: Path) -> None:
    scope = dict(row for row in Page(audit.html).tables["facts"])
    assert scope["Git commit"] == "not a git repository"
    assert scope["Repository root"] == str(audit.repo)
    assert scope["Generated"] == "2023-11-14 22:13:20 UTC (SOURCE_DATE_EPOCH)"
    assert scope["Tool"].startswith("compliance ")
    assert scope["Rule pack"].startswith("sha256:")
    # a plugin rule changes the rule pack's version
    plugin = make_report(audit.repo, tmp_path / "plugin.html", "--rules", str(FIXTURES / "plugins"))
    plugin_scope = dict(row for row in Page(plugin).tables["facts"])
    assert plugin_scope["Rule pack"].split()[0] != scope["Rule pack"].split()[0]


def test_project_config_is_in_scope_and_inventory(repo: Path, tmp_path: Path) -> None:
    (repo / ".compliance.yaml").write_text("ignore: [NAM001]\n", encoding="utf-8")
    text = make_report(repo, tmp_path / "report.html")
    page = Page(text)
    scope = dict(page.tables["facts"])
    assert scope["Configuration"].endswith(".compliance.yaml")
    assert scope["Rule selection"] == "ignoring NAM001"
    assert inventory(text)[".compliance.yaml"] == ("config", "17", hashlib.sha256(b"ignore: [NAM001]\n").hexdigest())
    assert page.tables["inventory"][1][0] == "./"  # the root's files: one row, before the folders


def test_scope_names_commit_and_dirty_tree(repo: Path, tmp_path: Path) -> None:
    init_repo(repo)
    commit = git(repo, "rev-parse", "HEAD")
    clean = dict(row for row in Page(make_report(repo, tmp_path / "clean.html")).tables["facts"])
    assert clean["Git commit"].startswith(commit)
    assert clean["Working tree"].startswith("✓ Clean")
    edit(repo / "platform/cnpg/chart/values.yaml", "replicas: 1", "replicas: 2")
    dirty = dict(row for row in Page(make_report(repo, tmp_path / "dirty.html")).tables["facts"])
    assert dirty["Working tree"].startswith("▲ Dirty 1 uncommitted change")
    assert "platform/cnpg/chart/values.yaml" in dirty["Working tree"]


GITHUB_RUN = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_REPOSITORY": "acme/platform",
    "GITHUB_RUN_ID": "4242",
    "GITHUB_RUN_ATTEMPT": "2",
    "GITHUB_REF": "refs/pull/7/merge",
    "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
    "GITHUB_SERVER_URL": "https://github.com",
}


def test_title_names_the_remote_without_credentials_not_the_local_folder(repo: Path, tmp_path: Path) -> None:
    init_repo(repo)
    git(repo, "remote", "add", "origin", "https://ci-bot:s3cret-token-77@git.example.com/acme/platform.git")
    html = make_report(repo, tmp_path / "r.html")
    page = Page(html)
    assert "<title>Compliance report — git.example.com/acme/platform</title>" in html
    assert "<h1>git.example.com/acme/platform</h1>" in html
    scope = dict(page.tables["facts"])
    assert scope["Repository"] == "https://git.example.com/acme/platform.git"
    assert "Repository root" not in scope and str(repo) not in html  # no local path in the page
    assert "s3cret-token-77" not in html and "ci-bot" not in html
    with make_bundle(repo, tmp_path / "e.zip") as bundle:
        assert not any(b"s3cret-token-77" in bundle.read(name) for name in bundle.namelist())
        assert json.loads(bundle.read("inputs.json"))["scope"]["git"]["remote"] == scope["Repository"]


def test_title_and_scope_name_the_ci_run(repo: Path, tmp_path: Path) -> None:
    result = run_process(
        "report", str(repo), "--output", str(tmp_path / "r.html"), env={**GITHUB_RUN, "SOURCE_DATE_EPOCH": EPOCH}
    )
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<h1>acme/platform</h1>" in html
    assert "GitHub Actions run 4242 (attempt 2) of acme/platform on refs/pull/7/merge" in html
    ci = dict(Page(html).tables["facts"])["CI run"]
    assert ci == (
        "GitHub Actions run 4242 (attempt 2) of acme/platform ref refs/pull/7/merge "
        "commit 0123456789abcdef0123456789abcdef01234567 https://github.com/acme/platform/actions/runs/4242"
    )
    assert "with the CI variables of the run it names" in html


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:token@github.com/org/repo.git", "https://github.com/org/repo.git"),
        ("https://x-access-token:ghs_abc@github.com:8443/org/repo?token=1#frag", "https://github.com:8443/org/repo"),
        ("ssh://git@host.example/org/repo.git", "ssh://host.example/org/repo.git"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
        ("/srv/git/repo.git", "/srv/git/repo.git"),
    ],
)
def test_public_url_takes_credentials_out(url: str, shown: str) -> None:
    from compliance.evidence.bundle import public_url

    assert public_url(url) == shown


def test_report_never_writes_the_audited_git_index(repo: Path, tmp_path: Path) -> None:
    init_repo(repo)
    index = repo / ".git/index"
    before = index.stat().st_mtime_ns
    # stale stat data: a plain `git status` would refresh and rewrite the index
    os.utime(repo / "platform/cnpg/chart/values.yaml", ns=(before + 5_000_000_000, before + 5_000_000_000))
    make_report(repo, tmp_path / "report.html")
    assert index.stat().st_mtime_ns == before


def test_scope_of_a_subfolder_of_a_work_tree(tmp_path: Path) -> None:
    top = tmp_path / "mono"
    shutil.copytree(FIXTURE, top / "deploy")
    init_repo(top)
    scope = dict(row for row in Page(make_report(top / "deploy", tmp_path / "r.html")).tables["facts"])
    assert scope["Path linted"].endswith("— deploy in the git work tree")


def test_report_of_a_folder_or_file_walks_up_to_the_repository_like_lint(repo: Path, tmp_path: Path) -> None:
    """`compliance report clusters/acme` evaluates the repository it belongs to (the same walk-up as `lint`)
    and shows the findings located there; elsewhere in the repository, none of them."""
    full = Page(make_report(repo, tmp_path / "full.html"))
    cluster = Page(make_report(repo / "clusters" / "acme", tmp_path / "acme.html"))
    overlay = Page(make_report(repo / "clusters" / "acme" / "bootstrap-kit" / "80-newapi.yaml", tmp_path / "f.html"))
    platform = Page(make_report(repo / "platform", tmp_path / "platform.html"))
    assert set(cluster.matrix()) == set(full.matrix()) >= {"acme", "_template"}  # the whole repository's context
    assert [row[0] for row in cluster.tables["by-rule"][1:]] == ["AUP001", "AUD002"]
    assert cluster.tables["by-rule"] == full.tables["by-rule"] == overlay.tables["by-rule"]
    assert platform.tables["by-rule"][1:] == []  # no finding is located under platform/
    assert set(platform.matrix()) == set(full.matrix())


def test_rule_catalog_has_rationale(audit: Audit) -> None:
    from compliance.app.api import load_rules

    text = audit.html
    for spec in load_rules():
        assert f'id="rule-{spec.id}"' in text
    aup = next(spec for spec in load_rules() if spec.id == "AUP001")
    why = " ".join(aup.sections()["why it matters"].split())
    assert why.split("`")[0][:40] in " ".join(text.split())


def test_inventory_lists_every_input_with_its_sha256(audit: Audit) -> None:
    """One row per component folder; every file with its kind, size and full SHA-256 (the entry's title; the
    printed digest is its first 16 hex digits)."""
    repo = audit.repo
    listed = inventory(audit.html)
    expected = {
        path.relative_to(repo).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in repo.rglob("*.yaml")
    }
    assert {name: digest for name, (_, _, digest) in listed.items()} == expected
    assert all(size == f"{(repo / name).stat().st_size:,}" for name, (_, size, _) in listed.items())
    rows = Page(audit.html).tables["inventory"][1:]
    assert len(rows) < len(listed) and all(row[0].endswith("/") for row in rows)
    assert all(f"{digest[:16]}" in audit.html for _, _, digest in listed.values())


def test_same_inputs_give_identical_bytes_but_for_the_timestamp(repo: Path, tmp_path: Path) -> None:
    def both(name: str, epoch: str = EPOCH) -> tuple[str, bytes]:
        html, bundle = tmp_path / f"{name}.html", tmp_path / f"{name}.zip"
        result = report(repo, "--output", str(html), "--bundle", str(bundle), epoch=epoch)
        assert result.returncode == 0, result.stderr
        return html.read_text(encoding="utf-8"), bundle.read_bytes()

    first, second, later = both("a"), both("b"), both("c", epoch="1700003600")
    assert second == first
    assert later[0] != first[0]
    normalised = (
        later[0]
        .replace("2023-11-14 23:13:20 UTC", "2023-11-14 22:13:20 UTC")
        .replace("SOURCE_DATE_EPOCH=1700003600", f"SOURCE_DATE_EPOCH={EPOCH}")
    )
    assert normalised == first[0]


def test_without_source_date_epoch_the_clock_is_named(repo: Path, tmp_path: Path) -> None:
    env_epoch = os.environ.pop("SOURCE_DATE_EPOCH", None)
    try:
        text = make_report(repo, tmp_path / "report.html", epoch=None)
    finally:
        if env_epoch is not None:
            os.environ["SOURCE_DATE_EPOCH"] = env_epoch
    assert "(system clock)" in text


def test_html_to_stdout_without_output_options(repo: Path) -> None:
    result = report(repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("args", "env_epoch", "message"),
    [
        (("--output", "/nonexistent-dir/r.html"), EPOCH, "cannot write /nonexistent-dir/r.html"),
        ((), "yesterday", "SOURCE_DATE_EPOCH must be a non-negative integer"),
        (("--select", "NOPE"), EPOCH, "unknown rule id or prefix: NOPE"),
    ],
)
def test_usage_errors_exit_2(repo: Path, args: tuple[str, ...], env_epoch: str, message: str) -> None:
    result = report(repo, *args, epoch=env_epoch)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = report(tmp_path / "nope")
    assert result.returncode == 2 and "path does not exist" in result.stderr


# ── the evidence bundle ──────────────────────────────────────────────────────


def test_bundle_contents(audit: Audit) -> None:
    archive, repo = audit.bundle, audit.repo
    names = archive.namelist()
    assert names == sorted(names)
    assert set(names) == {
        "README.txt",
        "checks.json",
        "findings.json",
        "manifest.sha256",
        "inputs.json",
        "inputs.sha256",
        "report.html",
        "rules.json",
        "values/clusters/_template.json",
        "values/clusters/acme.json",
    }
    assert {info.date_time for info in archive.infolist()} == {(2023, 11, 14, 22, 13, 20)}
    # --today: the day SOURCE_DATE_EPOCH names
    lint = run_process("lint", str(repo), "--format", "json", "--today", "2023-11-14")
    assert json.loads(archive.read("findings.json"))["findings"] == json.loads(lint.stdout)["findings"]
    assert archive.read("report.html") == audit.html.encode("utf-8")
    manifest = json.loads(archive.read("inputs.json"))
    assert manifest["scope"]["git"]["note"] == "not a git repository"
    assert len(manifest["files"]) == len(list(repo.rglob("*.yaml")))
    checks = json.loads(archive.read("checks.json"))
    assert {"rule": "AUP001", "blueprint": "bp-newapi", "cluster": "acme", "state": "applied", "findings": 1} in checks
    applied = {"rule": "AUP001", "blueprint": "bp-newapi", "cluster": "_template", "state": "applied", "findings": 0}
    assert applied in checks
    # the charts have no templates: the rendered rules had nothing to look at, and say so
    assert {"rule": "RM001", "blueprint": None, "cluster": None, "state": "not applicable",
            "reason": "no chart templates to render"} in checks  # fmt: skip


def test_bundle_lists_the_checks_not_applicable_and_not_run_with_why(corpus: Path, tmp_path: Path) -> None:
    archive = make_bundle(corpus / "snapshot-2026-04-30", tmp_path / "evidence.zip", "--renderer", "none")
    checks = json.loads(archive.read("checks.json"))
    by_state: dict[str, list[dict[str, object]]] = {}
    for check in checks:
        by_state.setdefault(str(check["state"]), []).append(check)
    assert set(by_state) == {"applied", "not applicable", "not run"}
    assert all("reason" not in c and isinstance(c["findings"], int) for c in by_state["applied"])
    att = [c for c in by_state["not applicable"] if c["rule"] == "ATT001"]
    assert att and all(str(c["reason"]).startswith("no gateway release") for c in att)
    assert not any(c["rule"] == "ATT001" for c in by_state["applied"])  # never applied, so never a pass
    rm = [c for c in by_state["not run"] if c["rule"] == "RM001"]
    assert rm and {c["reason"] for c in rm} == {"no renderer (--renderer none)"}
    clusters = {c["cluster"] for c in rm}
    assert len(clusters - {None}) >= 3  # one row per blueprint x cluster that would have been rendered


def test_bundle_inputs_reverify_with_sha256sum(repo: Path, tmp_path: Path) -> None:
    archive = make_bundle(repo, tmp_path / "evidence.zip")
    sums = tmp_path / "inputs.sha256"
    sums.write_bytes(archive.read("inputs.sha256"))
    assert subprocess.run(["sha256sum", "--quiet", "-c", str(sums)], cwd=repo, capture_output=True).returncode == 0
    edit(repo / "clusters/acme/bootstrap-kit/80-newapi.yaml", '"off"', '"provider-strictest"')
    failed = subprocess.run(["sha256sum", "--quiet", "-c", str(sums)], cwd=repo, capture_output=True, text=True)
    assert failed.returncode == 1 and "clusters/acme/bootstrap-kit/80-newapi.yaml: FAILED" in failed.stdout


def test_bundle_values_are_effective_and_redacted(audit: Audit) -> None:
    archive = audit.bundle
    for name in archive.namelist():
        for leak in LEAKS:
            assert leak.encode() not in archive.read(name), f"{leak} leaked into {name}"
    acme = json.loads(archive.read("values/clusters/acme.json"))
    newapi = next(entry for entry in acme["releases"] if entry["blueprint"] == "bp-newapi")
    values = newapi["values"]
    assert newapi["overlay"] == "clusters/acme/bootstrap-kit/80-newapi.yaml"
    assert values["aup"]["enforcement"] == "off"  # the overlay won
    assert values["audit"] == {"enabled": True, "retentionDays": 365, "logPromptContent": False}  # merged
    assert values["adminToken"] == REDACTED
    assert values["database"] == {
        "host": "db.acme.example",
        "password": REDACTED,
        "existingSecret": "newapi-db-credentials",  # names the Secret, is not one
    }
    remote = values["catalystIntegration"]["externalSecret"]["remoteRef"]
    assert remote["key"] == "sovereign/acme.example/newapi/admin-token"  # a reference to where the secret lives
    assert values["channels"][0]["existingSecret"] == "newapi-channel-anthropic"


def test_bundle_on_the_real_corpus(corpus: Path, tmp_path: Path) -> None:
    archive = make_bundle(corpus, tmp_path / "evidence.zip")
    from compliance.load.repository import load_repository

    repo = load_repository(str(corpus))
    names = set(archive.namelist())
    # two repositories of the corpus have a `_template`: a cluster's name is then its entry path, percent-encoded
    assert {f"values/clusters/{quote(cluster.name, safe='._-')}.json" for cluster in repo.clusters} <= names
    inventory = {f["path"]: f for f in json.loads(archive.read("inputs.json"))["files"]}
    assert {f.path for f in repo.files} <= set(inventory)
    charts = tuple(chart.directory + "/" for chart in repo.charts)
    for path in set(inventory) - {f.path for f in repo.files}:  # what Helm read to render the charts
        assert path.startswith(charts) and inventory[path]["kind"] in ("template", "chart file"), path
    sums = tmp_path / "inputs.sha256"
    sums.write_bytes(archive.read("inputs.sha256"))
    assert subprocess.run(["sha256sum", "--quiet", "-c", str(sums)], cwd=corpus, capture_output=True).returncode == 0
    defaults = json.loads(archive.read("values/chart-defaults.json"))["releases"]
    dynadot = next(e for e in defaults if (e["chart"] or "").endswith("dynadot-webhook"))["values"]["dynadot"]
    assert dynadot["credentialsSecret"]["name"] == "dynadot-api-credentials"
    assert dynadot["credentialsSecret"]["keys"]["apiKey"] == REDACTED
    matrix = Page(archive.read("report.html").decode()).matrix()
    assert set(matrix) == {cluster.name for cluster in repo.clusters} | {"Not cluster-specific"}
    for cluster in repo.clusters:  # every release is listed, third-party charts as deployed but not evaluated
        listed = json.loads(archive.read(f"values/clusters/{quote(cluster.name, safe='._-')}.json"))["releases"]
        assert len(listed) == len(cluster.releases)


# ── the page in a real browser ───────────────────────────────────────────────


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium")
    if binary is None:
        pytest.skip("chromium is not installed (.ci/run installs Debian's chromium)")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ]
    return subprocess.run([binary, *flags, *args], capture_output=True, text=True, timeout=120)


def test_browser_renders_posture_matrix_and_finding(audit: Audit, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    out.write_text(audit.html, encoding="utf-8")
    dom = chromium("--dump-dom", out.as_uri(), profile=tmp_path / "profile")
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = Page(dom.stdout)
    matrix = page.matrix()
    assert matrix["acme"]["policy"].startswith("✗ Fail")
    assert matrix["_template"]["policy"].startswith("✓ Pass")
    assert ["Overrode", '"provider-strictest"', "platform/newapi/chart/values.yaml:38:16 chart default"] in page.tables[
        "evidence"
    ]
    assert "Provider AUP enforcement off with commercial channels" in dom.stdout
    controls = {(row[1], row[2]) for row in page.tables["controls"][1:]}
    assert ("Art.26", "✗ Fail") in controls and ("Art.12", "✓ Pass") in controls
    assert page.tables["by-rule"][1][:3] == [
        "AUP001",
        "Provider AUP enforcement off with commercial channels",
        "✗ Fail",
    ]
    assert page.tables["register"][1][0] == "✓ Active"


def test_browser_shows_the_coverage_states_in_summary_and_control_view(corpus: Path, tmp_path: Path) -> None:
    """openova without a renderer: the summary by rule and the control view use the posture matrix's states,
    failed, passed, not applicable (what there was none of) and not run (why), as a browser shows them."""
    out = tmp_path / "report.html"
    make_report(corpus / "snapshot-2026-04-30", out, "--renderer", "none")
    dom = chromium("--dump-dom", out.as_uri(), profile=tmp_path / "profile")
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = Page(dom.stdout)
    summary = re.sub(r"<[^>]+>", "", dom.stdout.split('id="by-rule"', 1)[1].split("</section>", 1)[0])
    assert "⊘ Not run Not run (not passed): RM001, RM002" in summary
    assert "no renderer (--renderer none)" in summary
    assert re.search(r"– Not applicable Not applicable here: ATT001, [^:]*: no gateway release", summary)
    assert "Passed with no finding: ADM001" in summary and "N/A" not in summary
    results = {row[0] for row in page.tables["by-rule"][1:] if row[2] == "✗ Fail"}
    assert "CRD001" in results
    controls = {row[1]: (row[2], row[3]) for row in page.tables["controls"][1:]}
    assert {result for result, _ in controls.values()} == {"✗ Fail", "✓ Pass", "– Not applicable", "⊘ Not run"}
    assert controls["Art.12"] == ("– Not applicable", "AUD002 –")  # no audit value: nothing to evidence it
    assert controls["A.5.34"] == ("✓ Pass", "AUD001 ✓")
    assert controls["A.5.9"][0] == "✗ Fail"
    result, rules = controls["A.8.2"]  # ADM001 passed, RM004 could not run: the control is not passed
    assert result == "⊘ Not run" and "ADM001 ✓" in rules and "RM004 ⊘" in rules


def test_browser_prints_the_report_to_pdf(audit: Audit, tmp_path: Path) -> None:
    out, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    out.write_text(audit.html, encoding="utf-8")
    printed = chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", out.as_uri(), profile=tmp_path / "profile")
    assert printed.returncode == 0, printed.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    # the print CSS starts findings, rule catalog and inventory on a page of their own
    assert pages >= 4


def test_the_corpus_report_prints_on_a_few_pages(corpus: Path, tmp_path: Path) -> None:
    """openova's 52 findings took 34 A4 pages (a card per finding, every rule's full text, a row per input
    file); untraced findings now take a row, infos a row per rule, clean rules a title line and the inventory
    a row per folder: 12 pages. Since wrapper charts are rendered as Helm does (issue 13), the snapshot also has
    one RND002 warning per chart whose upstream dependency is not vendored (48 charts, a row each): 16 pages."""
    out, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    make_report(corpus / "snapshot-2026-04-30", out)
    printed = chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", out.as_uri(), profile=tmp_path / "profile")
    assert printed.returncode == 0, printed.stderr[-2000:]
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))
    assert 0 < pages <= 16


def test_three_states_on_the_corpus_without_a_gateway(corpus: Path, tmp_path: Path) -> None:
    """openova has no gateway: its families are 'not applicable', never 'Pass N checks'; the rendered rules
    that could not run (no renderer) are 'not run', and the verdict names them."""
    page_text = make_report(corpus / "snapshot-2026-04-30", tmp_path / "report.html", "--renderer", "none")
    page = Page(page_text)
    matrix = page.matrix()
    # the clusters whose releases were evaluated (contabo-mkt deploys only a chart the repository lacks)
    clusters = [name for name, row in matrix.items() if row["schema"].startswith("✓ Pass")]
    assert len(clusters) >= 3 and all(matrix[c]["attestation"].startswith("– Not applicable") for c in clusters)
    assert all("no gateway release" in matrix[c]["attestation"] for c in clusters)
    # RND005 (a subchart type mismatch) needs no renderer and ran; the rules on rendered objects did not
    assert all("not run: RM001, RM002" in matrix[c]["rendered"] for c in clusters)
    assert all("no renderer" in matrix[c]["rendered"] for c in clusters)
    catalog = re.sub(r"<[^>]+>", "", page_text.split('id="rule-ATT001"', 1)[1].split("</p>", 1)[0])
    assert "0 checks run" in catalog and "Not applicable no gateway release" in catalog
    assert "No findings" not in catalog
    verdict = page_text.split('aria-label="verdict"', 1)[1].split("</section>", 1)[0]
    assert "Not run (not passed): RM001, RM002" in verdict and "no renderer (--renderer none)" in verdict
