"""Hostile and broken input: every case ends in a located finding (or a clear usage error), and the rest
of the run is intact: the other files' findings are exactly those of the same repository without it.

The small hostile files live in fixtures/hostile/; large inputs, links, FIFOs and vanishing files are
made at test time in a copy of fixtures/clean (which has no findings of its own).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from compliance.app.api import lint_path
from compliance.load.repository import InputError, load_repository
from compliance.model.findings import Finding
from compliance.yaml import Limits
from tests.helpers import FIXTURES, run_process

HOSTILE = FIXTURES / "hostile"
DROP = "clusters/acme/bootstrap-kit/99-hostile.yaml"  # where a hostile file lands in the copy


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of fixtures/clean: a real repository with no findings. Its bootstrap kit lists its resources (as
    openova's does), so a hostile file dropped beside them is read by the loader but not built by Flux: what is
    checked here is how the loader reports it (a non-Kubernetes file in a generated folder is FLX003,
    tests/test_build_stage.py)."""
    target = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", target)
    kit = target / "clusters/acme/bootstrap-kit"
    listed = "".join(f"  - {p.name}\n" for p in sorted(kit.glob("*.yaml")))
    (kit / "kustomization.yaml").write_text(
        f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n{listed}"
    )
    return target


def located(findings: tuple[Finding, ...] | list[Finding]) -> list[tuple[str, str, str, int, int]]:
    return [(f.rule, f.severity.value, f.location.path, f.location.line, f.location.column) for f in findings]


def lint(repo: Path, **kwargs: Any) -> tuple[Finding, ...]:
    return lint_path(str(repo), **kwargs).findings


# --- hostile files: a located finding each, the rest of the run untouched -----------------------------

FILES = {
    # an alias bomb is refused from a count (the 8th *l4 crosses 10^6 nodes); the next document loads
    "alias-bomb.yaml": [("YML003", "error", 7, 45)],
    "python-object-apply.yaml": [
        ("YML004", "warning", 2, 10),
        ("YML004", "warning", 3, 6),
        ("YML004", "warning", 4, 7),
    ],
    "binary-tag.yaml": [("YML004", "warning", 2, 10)],
    "local-tag.yaml": [("YML004", "warning", 2, 9), ("YML004", "warning", 3, 7)],
    "bom-crlf.yaml": [("YML001", "warning", 5, 7)],  # valid: parsed, `NO` is still Norway-the-boolean
    "tabs.yaml": [("YML000", "error", 3, 1)],
    "nul-byte.yaml": [("YML000", "error", 2, 9)],
    "latin1.yaml": [("YML000", "error", 2, 10)],  # at the é, counted in characters
    "binary.yaml": [("YML000", "error", 1, 1)],
    "yaml11-directive.yaml": [("YML001", "warning", 4, 10)],  # YML001 follows the 1.1 directive
    "yaml12-directive.yaml": [("YML000", "error", 1, 1), ("YML001", "warning", 4, 10)],  # Helm refuses 1.2
    "control-chars.yaml": [("YML002", "error", 4, 1), ("YML002", "error", 6, 1)],
    "duplicate-anchors.yaml": [],
    "empty.yaml": [],
}


def test_every_hostile_fixture_is_covered() -> None:
    committed = {p.name for p in HOSTILE.glob("*.yaml")} - {"anchored-80-newapi.yaml"}
    assert committed == set(FILES)


@pytest.mark.parametrize("name", sorted(FILES))
def test_hostile_file_is_a_located_finding_and_the_run_goes_on(repo: Path, name: str) -> None:
    shutil.copy(HOSTILE / name, repo / DROP)
    findings = lint(repo)
    assert located(findings) == [(rule, severity, DROP, line, col) for rule, severity, line, col in FILES[name]]


def test_python_tags_are_never_executed(repo: Path) -> None:
    marker = Path("/tmp/compliance-hostile-pwned")  # what the fixture's payload would create
    marker.unlink(missing_ok=True)
    shutil.copy(HOSTILE / "python-object-apply.yaml", repo / DROP)
    run = lint_path(str(repo))
    assert not marker.exists()
    document = run.repo.documents[DROP][0]
    assert document.value["exploit"] == ["touch /tmp/compliance-hostile-pwned"]  # plain data, never constructed
    assert document.value["name"] == ""
    binary = load_repository(str(HOSTILE), include=[str(HOSTILE / "binary-tag.yaml")])
    assert binary.documents["binary-tag.yaml"][0].value == {"payload": "aGVsbG8gd29ybGQ="}  # not decoded


def test_alias_bomb_leaves_the_next_document_loaded(repo: Path) -> None:
    shutil.copy(HOSTILE / "alias-bomb.yaml", repo / DROP)
    documents = lint_path(str(repo)).repo.documents[DROP]
    assert [d.value for d in documents] == [None, {"after": "ok"}]


def test_merge_keys_and_anchors_are_located_at_the_anchor(repo: Path) -> None:
    overlay = "clusters/acme/bootstrap-kit/80-newapi.yaml"
    shutil.copy(HOSTILE / "anchored-80-newapi.yaml", repo / overlay)
    findings = lint(repo)
    # Both channels' empty contractRef come from the anchor on line 41: that is where both are fixed.
    assert [(f.rule, f.cluster, f.value_path, str(f.location)) for f in findings] == [
        ("COM002", "acme", "channels[0].attestation.contractRef", f"{overlay}:41:24"),
        ("COM002", "acme", "channels[1].attestation.contractRef", f"{overlay}:41:24"),
    ]
    assert "'claude-eu'" in findings[1].message  # the merged channel is its own channel


# --- large inputs, made at test time ----------------------------------------------------------------


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[" * 100_000 + "]" * 100_000, [("YML003", "error", 1, 501)]),
        ("{a: " * 100_000 + "}" * 100_000, [("YML003", "error", 1, 2001)]),
        ("- " * 100_000 + "x\n", [("YML003", "error", 1, 1001)]),
        ("key: " + "x" * 5_000_000 + "\n", []),  # a very long line is just a long line
        ("list: [" + "1, " * 200_000 + "1]\n", []),
        ("".join(f"k{i}: {i}\n" for i in range(100_000)) + "on: x\n", [("YML001", "warning", 100_001, 1)]),
    ],
    ids=["deep-flow-seq", "deep-flow-map", "deep-block-seq", "long-scalar-line", "long-flow-line", "many-lines"],
)
def test_large_inputs_are_bounded_and_located(repo: Path, text: str, expected: list[tuple[str, str, int, int]]) -> None:
    _write(repo / DROP, text)
    findings = lint(repo)
    assert located(findings) == [(rule, severity, DROP, line, col) for rule, severity, line, col in expected]


def test_file_over_the_size_cap_is_not_parsed(repo: Path) -> None:
    _write(repo / DROP, "a: " + "x" * (10 * 1024 * 1024) + "\n")  # 10 MiB + 4 bytes
    findings = lint(repo)
    assert located(findings) == [("YML003", "error", DROP, 1, 1)]
    assert findings[0].message == "input is 10485761 bytes, above the limit of 10485760; not parsed"


def test_size_cap_is_configurable(repo: Path) -> None:
    _write(repo / DROP, "a: " + "x" * 9_000 + "\n")
    assert lint(repo) == ()
    findings = lint(repo, limits=Limits(max_bytes=8192))
    assert located(findings) == [("YML003", "error", DROP, 1, 1)]
    result = run_process("lint", str(repo), "--renderer", "none", "--max-file-size", "8192", "--format", "json")
    assert result.returncode == 1, result.stderr
    assert [(f["rule"], f["path"]) for f in json.loads(result.stdout)["findings"]] == [("YML003", DROP)]
    bad = run_process("lint", str(repo), "--max-file-size", "0")
    assert bad.returncode == 2 and "--max-file-size" in bad.stderr


# --- links, FIFOs, unreadable and vanishing files -----------------------------------------------------


def test_link_leaving_the_root_is_reported_not_followed(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    _write(outside / "values.yaml", "a: 1\na: 2\n")  # a YML002 if it were read
    (repo / "clusters/acme/bootstrap-kit/98-secret.yaml").symlink_to("/etc/passwd")
    (repo / "clusters/acme/bootstrap-kit/97-relative.yaml").symlink_to("../../../../outside/values.yaml")
    (repo / "platform/extern").symlink_to(outside, target_is_directory=True)
    (repo / "LICENSE").symlink_to("/etc/hostname")  # not something the walk reads: nothing to say
    findings = lint(repo)
    message = "symbolic link leaves the linted root; not followed"
    assert [(*loc, f.message) for loc, f in zip(located(findings), findings, strict=True)] == [
        ("IO001", "info", "clusters/acme/bootstrap-kit/97-relative.yaml", 1, 1, message),
        ("IO001", "info", "clusters/acme/bootstrap-kit/98-secret.yaml", 1, 1, message),
        ("IO001", "info", "platform/extern", 1, 1, message),
    ]
    text = run_process("lint", str(repo), "--renderer", "none")
    assert text.returncode == 0, text.stdout + text.stderr  # info does not fail the run
    assert "root:" not in text.stdout  # the report never shows the linked file's lines


def test_link_loops_end(repo: Path) -> None:
    (repo / "platform/newapi/again").symlink_to("..", target_is_directory=True)  # platform/ inside itself
    (repo / "platform/self").symlink_to(".", target_is_directory=True)
    (repo / "clusters/a.yaml").symlink_to("b.yaml")
    (repo / "clusters/b.yaml").symlink_to("a.yaml")
    (repo / "clusters/dangling.yaml").symlink_to("nowhere.yaml")
    findings = lint(repo)
    assert [(*loc, f.message) for loc, f in zip(located(findings), findings, strict=True)] == [
        ("IO002", "error", "clusters/a.yaml", 1, 1, "cannot read file: symbolic link loop"),
        ("IO002", "error", "clusters/b.yaml", 1, 1, "cannot read file: symbolic link loop"),
        ("IO002", "error", "clusters/dangling.yaml", 1, 1, "cannot read file: broken symbolic link"),
    ]


def test_fifo_and_folder_named_yaml_do_not_block(repo: Path) -> None:
    fifo = repo / "clusters/acme/bootstrap-kit/99-fifo.yaml"
    os.mkfifo(fifo)  # a reader opening it blocks until a writer comes: none will
    (repo / "notes/folder.yaml").mkdir(parents=True)  # outside any cluster: what Flux builds is not the point
    _write(repo / "notes/folder.yaml/inner.yaml", "x: 1\nx: 2\n")  # a folder named .yaml is walked into
    result = run_process("lint", str(repo), "--renderer", "none", "--format", "json")  # times out if it blocks
    assert result.returncode == 1, result.stderr
    assert [(f["rule"], f["path"], f["message"]) for f in json.loads(result.stdout)["findings"]] == [
        ("IO002", "clusters/acme/bootstrap-kit/99-fifo.yaml", "cannot read file: not a regular file"),
        (
            "YML002",
            "notes/folder.yaml/inner.yaml",
            "duplicate key 'x' (from 'x'; first at line 1); Helm keeps the last value",
        ),
    ]
    # named explicitly (pre-commit passes changed paths), neither is read as a file
    listed = load_repository(str(repo), include=[str(fifo), str(repo / "notes/folder.yaml")])
    assert [(p.file, p.problem.code, p.problem.message) for p in listed.problems] == [
        ("clusters/acme/bootstrap-kit/99-fifo.yaml", "IO002", "cannot read file: not a regular file"),
        ("notes/folder.yaml", "IO002", "cannot read file: Is a directory"),
    ]


def _refusing(real: Callable[..., Any], victim: str, error: OSError) -> Callable[..., Any]:
    """`real` (os.open or os.scandir), except that it fails on `victim` as the kernel would."""

    def call(path: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(path, int) and os.fspath(path).endswith(victim):
            raise error
        return real(path, *args, **kwargs)

    return call


def test_unreadable_file_and_folder(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests run as root, who can read anything: the kernel's answer is simulated.
    denied = PermissionError(13, "Permission denied")
    monkeypatch.setattr(os, "open", _refusing(os.open, "acme/bootstrap-kit/16-cnpg.yaml", denied))
    monkeypatch.setattr(os, "scandir", _refusing(os.scandir, "clusters/_template", denied))
    run = lint_path(str(repo))
    assert [(*loc, f.message) for loc, f in zip(located(run.findings), run.findings, strict=True)] == [
        ("IO002", "error", "clusters/_template", 1, 1, "cannot read directory: Permission denied"),
        ("IO002", "error", "clusters/acme/bootstrap-kit/16-cnpg.yaml", 1, 1, "cannot read file: Permission denied"),
    ]
    assert "clusters/acme/bootstrap-kit/80-newapi.yaml" in run.repo.documents  # the rest was read


def test_files_and_folders_vanishing_during_the_walk(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kit = repo / "clusters/acme/bootstrap-kit"
    real_open, real_scandir = os.open, os.scandir

    def open_then_delete_the_next(path: Any, *args: Any, **kwargs: Any) -> Any:
        if (
            not isinstance(path, int)
            and os.fspath(path).endswith("acme/bootstrap-kit/08-openbao.yaml")
            and (kit / "09-keycloak.yaml").exists()
        ):
            (kit / "09-keycloak.yaml").unlink()  # listed by the walk, gone before it is read
        return real_open(path, *args, **kwargs)

    def scan_then_delete_a_sibling(path: Any) -> Any:
        if (
            not isinstance(path, int)
            and os.fspath(path).endswith("clusters/_template")
            and (repo / "clusters/acme").exists()
        ):
            shutil.rmtree(repo / "clusters/acme")  # listed by the walk, gone before it is entered
        return real_scandir(path)

    monkeypatch.setattr(os, "open", open_then_delete_the_next)
    findings = lint(repo)
    assert located(findings) == [("IO002", "error", "clusters/acme/bootstrap-kit/09-keycloak.yaml", 1, 1)]
    assert findings[0].message == "cannot read file: it vanished while the tree was read"
    monkeypatch.setattr(os, "scandir", scan_then_delete_a_sibling)
    findings = lint(repo)
    assert located(findings) == [("IO002", "error", "clusters/acme", 1, 1)]
    assert findings[0].message == "cannot read directory: it vanished while the tree was read"


# --- empty repository, single file, bad paths: messages and exit codes -------------------------------


def test_empty_repository_says_nothing_was_checked(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("no YAML here\n")
    result = run_process("lint", str(tmp_path), "--renderer", "none")
    assert result.returncode == 1, result.stderr  # an error by default: a green gate on nothing is wrong
    assert "error   IO003 no YAML file under the linted root: nothing was checked" in result.stdout
    accepted = run_process("lint", str(tmp_path), "--renderer", "none", "--allow-empty")
    assert accepted.returncode == 0 and "info    IO003 no YAML file" in accepted.stdout


def test_single_file_path(repo: Path) -> None:
    result = run_process("lint", str(HOSTILE / "tabs.yaml"), "--renderer", "none", "--format", "json")
    assert result.returncode == 1, result.stderr
    assert [(f["rule"], f["path"], f["line"]) for f in json.loads(result.stdout)["findings"]] == [
        ("YML000", "tabs.yaml", 3)
    ]
    empty = run_process("lint", str(HOSTILE / "empty.yaml"), "--renderer", "none")
    assert empty.returncode == 1 and "IO003 no blueprint, chart or cluster" in empty.stdout  # nothing to evaluate


def test_unusable_paths_are_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = run_process("lint", str(tmp_path / "nope"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"compliance: error: path does not exist: {tmp_path / 'nope'}"
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # root reads anything: simulate the refusal
    with pytest.raises(InputError, match="cannot read directory"):
        load_repository(str(tmp_path))


def test_hostile_repository_as_a_whole(repo: Path) -> None:
    """Every hostile fixture at once: each finding stays with its file, and nothing is lost."""
    for name in FILES:
        shutil.copy(HOSTILE / name, repo / "clusters" / name)
    findings = lint(repo)
    expected = sorted(
        (rule, severity, f"clusters/{name}", line, col)
        for name, rows in FILES.items()
        for rule, severity, line, col in rows
    )
    assert sorted(located(findings)) == expected


# --- nothing but the requested outputs is written -------------------------------------------------------


def _snapshot(root: Path) -> dict[str, str]:
    """Every entry under root: files by content hash, links by target, folders as such."""
    out: dict[str, str] = {}
    for folder, dirs, names in os.walk(root):
        for name in dirs + names:
            path = Path(folder) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                out[rel] = "-> " + os.readlink(path)
            elif path.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _read_only(root: Path) -> Iterator[None]:
    for folder, _dirs, names in os.walk(root):
        for name in names:
            (Path(folder) / name).chmod(0o444)
        Path(folder).chmod(0o555)
    yield
    for folder, _, _ in os.walk(root):
        Path(folder).chmod(0o755)


def test_nothing_outside_the_requested_outputs_is_written(repo: Path, tmp_path: Path) -> None:
    for name in ("alias-bomb.yaml", "nul-byte.yaml", "control-chars.yaml"):
        shutil.copy(HOSTILE / name, repo / "clusters" / name)
    (repo / "clusters/escape.yaml").symlink_to("/etc/hostname")
    work, out, cache = tmp_path / "cwd", tmp_path / "out", tmp_path / "cache"
    work.mkdir()
    out.mkdir()
    before_repo, before_cwd = _snapshot(repo), _snapshot(work)
    env = {"XDG_CACHE_HOME": str(cache), "HOME": str(tmp_path / "home")}
    guard = _read_only(repo)
    next(guard)
    try:
        lint_run = run_process(
            "lint", str(repo), "--format", "json", "--output", str(out / "report.json"),
            "--format", "sarif:" + str(out / "report.sarif"), env=env, cwd=work,
        )  # fmt: skip
        report_run = run_process(
            "report", str(repo), "--output", str(out / "report.html"), "--bundle", str(out / "evidence.zip"),
            env=env, cwd=work,
        )  # fmt: skip
    finally:
        next(guard, None)
    assert lint_run.returncode == 1, lint_run.stderr
    assert report_run.returncode in (0, 1), report_run.stderr
    assert _snapshot(repo) == before_repo
    assert _snapshot(work) == before_cwd
    assert sorted(p.name for p in out.iterdir()) == ["evidence.zip", "report.html", "report.json", "report.sarif"]
    assert json.loads((out / "report.json").read_text())["summary"]["error"] >= 2


def test_a_config_link_leaving_the_root_is_not_read(tmp_path: Path) -> None:
    from compliance.settings.config import find_config

    outside = tmp_path / "outside.yaml"
    outside.write_text("select: [ATT]\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".compliance.yaml").symlink_to(outside)
    assert find_config(str(repo)) is None
    (repo / ".compliance.yaml").unlink()
    (repo / ".compliance.yaml").write_text("select: [ATT]\n")
    assert find_config(str(repo)) == str(repo / ".compliance.yaml")
