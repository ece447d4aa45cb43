"""Rendering a hostile pull request: the cache cannot be poisoned, no secret reaches an output, and a
template that loops or allocates without end is a located RND004 finding, not a dead run."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from compliance.redact import redact, scrub
from compliance.render import backends as render_backends
from compliance.render.backends import HelmSdk
from tests.helpers import lint_fixture, run_process

TOKEN = "ghs_" + "S3cr3tT0k3nFromTheRunner0123456789"
BASIC = "eC1hY2Nlc3MtdG9rZW46" + "Z2hzX3NlY3JldA=="
GIT_CONFIG = f"""[remote "origin"]
\turl = https://x-access-token:{TOKEN}@github.com/acme/platform
[http "https://github.com/"]
\textraheader = AUTHORIZATION: basic {BASIC}
"""


def chart(root: Path, templates: dict[str, str], name: str = "hostile") -> Path:
    """A chart at ``root`` (a repository whose root is the chart, as a PR can make it)."""
    (root / "templates").mkdir(parents=True, exist_ok=True)
    (root / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
    (root / "values.yaml").write_text("replicas: 1\n")
    for rel, text in templates.items():
        (root / "templates" / rel).write_text(text)
    return root


def lint_sdk(*args: str, cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`compliance lint ARGS --renderer sdk` as a process (its timeout turns a hang, the bug, into a failure)."""
    env = {"XDG_CACHE_HOME": str(cache)} if cache else None
    return run_process("lint", *args, "--renderer", "sdk", env=env)


sdk = pytest.importorskip("helm_python", reason="rendering needs the helm extra (helm-python-sdk)")


# --- secrets -----------------------------------------------------------------------------------


def test_scrub_masks_credential_shapes() -> None:
    text = (
        f"https://user:{TOKEN}@github.com/x AUTHORIZATION: basic {BASIC} password=hunter2 "
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789 github_pat_11ABCDEFG0123456789_abcdefghijklmnop "
        "glpat-abcdefghij0123456789xy AKIAIOSFODNN7EXAMPLE Bearer abcdefgh1jklmnop.qrs "
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY----- done"
    )
    cleaned = scrub(text)
    for secret in (
        TOKEN,
        BASIC,
        "hunter2",
        "ghp_abc",
        "github_pat_11",
        "glpat-abc",
        "AKIAIOSF",
        "abcdefgh1",
        "MIIE",
    ):
        assert secret not in cleaned, secret
    assert cleaned.startswith("https://***@github.com/x") and cleaned.endswith("done")
    for prose in ("template foo.yaml:12: nil pointer evaluating .Values.a", "needs basic authentication"):
        assert scrub(prose) == prose


def test_redact_bounds_the_message_after_scrubbing() -> None:
    long = "x" * 1000 + TOKEN
    assert len(redact(long)) == 500 and redact(long).endswith("…")
    assert TOKEN not in redact("y" * 480 + " " + TOKEN)  # cut after scrubbing: no token prefix survives


def test_git_config_read_by_a_template_reaches_no_output(tmp_path: Path) -> None:
    leak = '{{ fail (cat "config:" (.Files.Get ".git/config") "notes:" (.Files.Get "notes.txt")) }}\n'
    repo = chart(tmp_path / "repo", {"leak.yaml": leak})
    (repo / ".git").mkdir()
    (repo / ".git" / "config").write_text(GIT_CONFIG)
    # and a chart file holding a token: what the chart itself says is scrubbed too
    (repo / "notes.txt").write_text(f"token={TOKEN}\nkey ghp_{'a' * 36}\n")
    outputs = {}
    for fmt in ("text", "json", "sarif", "github"):
        result = lint_sdk(str(repo), "--no-cache", "--format", fmt)
        assert result.returncode == 1, result.stderr
        outputs[fmt] = result.stdout + result.stderr
    for fmt, text in outputs.items():
        for secret in (TOKEN, BASIC, "x-access-token", "ghp_aaaa"):
            assert secret not in text, (fmt, secret)
    findings = json.loads(outputs["json"])["findings"]
    (message,) = [f["message"] for f in findings if f["rule"] == "RND001"]
    assert message.endswith("config:  notes: token=*** key ***")  # Helm rendered, without .git/config


def test_a_link_into_git_or_out_of_the_chart_is_not_followed(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".git" / "config").write_text(GIT_CONFIG)
    (repo / "shared").mkdir()
    (repo / "shared" / "secret.txt").write_text(TOKEN)
    inner = chart(repo / "root-chart", {"leak.yaml": '{{ fail (.Files.Get "cfg") }}\n'}, "inner")
    os.symlink("../.git/config", inner / "cfg")
    other = chart(repo / "other-chart", {"leak.yaml": '{{ fail (.Files.Get "s") }}\n'}, "other")
    os.symlink("../shared/secret.txt", other / "s")
    findings = lint_fixture(repo, select=("RND",), renderer="sdk")
    messages = {f.location.path: f.message for f in findings if f.rule == "RND001"}
    assert messages == {
        "root-chart/Chart.yaml": "chart not rendered: cfg: symbolic link leaves the chart folder",
        "other-chart/Chart.yaml": "chart not rendered: s: symbolic link leaves the chart folder",
    }


def test_a_chart_at_the_root_links_into_git(tmp_path: Path) -> None:
    repo = chart(tmp_path / "repo", {"leak.yaml": '{{ fail (.Files.Get "templates/cfg") }}\n'})
    (repo / ".git").mkdir()
    (repo / ".git" / "config").write_text(GIT_CONFIG)
    os.symlink("../.git/config", repo / "templates" / "cfg")
    (finding,) = [f for f in lint_fixture(repo, select=("RND",), renderer="sdk") if f.rule == "RND001"]
    assert finding.message == "chart not rendered: templates/cfg: symbolic link into .git"


def test_bad_bounds_are_usage_errors(tmp_path: Path) -> None:
    repo = chart(tmp_path / "repo", {"x.yaml": "{{/* x */}}\n"})
    for option in (("--render-timeout", "0"), ("--render-memory", "16")):
        result = lint_sdk(str(repo), "--no-cache", *option)
        assert result.returncode == 2 and option[0] in result.stderr


# --- cache poisoning ---------------------------------------------------------------------------


def old_digest(chart_dir: Path) -> str:
    """The digest main used: names and bytes NUL-separated, without length framing."""
    digest = hashlib.sha256()
    for directory, dirs, files in os.walk(chart_dir):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(directory, name)
            digest.update(os.path.relpath(path, chart_dir).encode() + b"\0")
            digest.update(Path(path).read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


@pytest.fixture
def count_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    renders: list[str] = []
    real = HelmSdk.render

    def counting(self: HelmSdk, request: render_backends.RenderRequest) -> render_backends.RenderOutput:
        renders.append(request.release_name)
        return real(self, request)

    monkeypatch.setattr(HelmSdk, "render", counting)
    return renders


def test_a_crafted_helper_does_not_share_a_cache_entry_with_two_real_files(
    tmp_path: Path, count_renders: list[str]
) -> None:
    helper = "{{/* helpers */}}"
    fails = '{{ fail "z.yaml was rendered" }}'
    real = chart(tmp_path / "real", {"_helpers.tpl": helper, "z.yaml": fails})
    crafted = chart(tmp_path / "crafted", {"_helpers.tpl": f"{helper}\0templates/z.yaml\0{fails}"})
    assert old_digest(real) == old_digest(crafted)  # the collision main's cache key could not tell apart
    cache = tmp_path / "cache"
    assert lint_fixture(crafted, select=("RND",), renderer="sdk", cache_dir=str(cache)) == []
    findings = lint_fixture(real, select=("RND",), renderer="sdk", cache_dir=str(cache))
    assert len(count_renders) == 2  # rendered, not served from the crafted chart's entry
    assert [(f.rule, f.location.path) for f in findings] == [("RND001", "templates/z.yaml")]


def test_retargeting_a_symlinked_templates_folder_changes_the_key(tmp_path: Path, count_renders: list[str]) -> None:
    repo = chart(tmp_path / "repo", {})
    (repo / "templates").rmdir()
    for folder, text in (("tpl-a", "{{/* a */}}\n"), ("tpl-b", '{{ fail "rendered tpl-b" }}\n')):
        (repo / folder).mkdir()
        (repo / folder / "x.yaml").write_text(text)
    os.symlink("tpl-a", repo / "templates")
    cache = tmp_path / "cache"
    assert lint_fixture(repo, select=("RND",), renderer="sdk", cache_dir=str(cache)) == []
    (repo / "templates").unlink()
    os.symlink("tpl-b", repo / "templates")
    findings = lint_fixture(repo, select=("RND",), renderer="sdk", cache_dir=str(cache))
    assert len(count_renders) == 2
    assert [f.rule for f in findings] == ["RND001"] and "rendered tpl-b" in findings[0].message
    # a file changed behind the link: a new key again
    (repo / "tpl-b" / "x.yaml").write_text('{{ fail "changed behind the link" }}\n')
    findings = lint_fixture(repo, select=("RND",), renderer="sdk", cache_dir=str(cache))
    assert len(count_renders) == 3 and "changed behind the link" in findings[0].message


def test_the_bounds_are_part_of_the_key(tmp_path: Path, count_renders: list[str]) -> None:
    from compliance.render.bounds import Bounds

    repo = chart(tmp_path / "repo", {"x.yaml": "{{/* nothing */}}\n"})
    cache = str(tmp_path / "cache")
    lint_fixture(repo, select=("RND",), renderer="sdk", cache_dir=cache)
    lint_fixture(repo, select=("RND",), renderer="sdk", cache_dir=cache)
    assert len(count_renders) == 1
    lint_fixture(repo, select=("RND",), renderer="sdk", cache_dir=cache, render_bounds=Bounds(5, 1024))
    assert len(count_renders) == 2


# --- bounds ------------------------------------------------------------------------------------

LOOP = "{{- range until 10000 }}{{ range until 10000 }}{{ range until 10000 }}{{ end }}{{ end }}{{ end }}\n"
ALLOCATE = "data: {{ randBytes 100000000000 | quote }}\n"


def two_charts(root: Path, hostile: str) -> Path:
    chart(root / "hostile", {"x.yaml": hostile}, "hostile")
    chart(root / "fine", {"x.yaml": '{{ fail "the fine chart was rendered" }}\n'}, "fine")
    return root


@pytest.mark.parametrize(
    ("template", "options", "bound"),
    [(LOOP, ("--render-timeout", "2"), "time bound of 2 s"), (ALLOCATE, ("--render-memory", "2048"), "memory bound")],
)
def test_a_render_that_exceeds_a_bound_is_a_located_finding(
    tmp_path: Path, template: str, options: tuple[str, ...], bound: str
) -> None:
    repo = two_charts(tmp_path / "repo", template)
    result = lint_sdk(str(repo), "--no-cache", "--format", "json", *options)
    assert result.returncode == 1, result.stderr
    found = {(f["rule"], f["path"]): f["message"] for f in json.loads(result.stdout)["findings"]}
    assert bound in found[("RND004", "hostile/Chart.yaml")]
    assert "the fine chart was rendered" in found[("RND001", "fine/templates/x.yaml")]  # the run went on


FAKE_HELM = """#!{python}
import sys, time
if "{mode}" == "sleep":
    time.sleep(600)
try:
    block = bytearray(3 << 30)
except MemoryError:
    sys.stderr.write("fatal error: runtime: out of memory\\n")
    sys.exit(2)
sys.stdout.write("---\\n")
"""


@pytest.mark.parametrize(("mode", "bound"), [("sleep", "time bound"), ("allocate", "memory bound")])
def test_the_helm_binary_is_bounded_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, bound: str) -> None:
    from compliance.render.bounds import Bounds

    helm = tmp_path / "bin" / "helm"
    helm.parent.mkdir()
    helm.write_text(FAKE_HELM.format(python=sys.executable, mode=mode))
    helm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{helm.parent}{os.pathsep}{os.environ['PATH']}")
    repo = chart(tmp_path / "repo", {"x.yaml": "{{/* x */}}\n"})
    findings = lint_fixture(repo, select=("RND",), renderer="helm", render_bounds=Bounds(2, 1024))
    assert [(f.rule, f.location.path) for f in findings] == [("RND004", "Chart.yaml")]
    assert bound in findings[0].message


def test_a_template_name_in_a_message_cannot_locate_a_finding_outside_the_chart(tmp_path: Path) -> None:
    escape = "x/templates/" + "../" * 12 + "etc/hostname:1:1"
    repo = chart(tmp_path / "repo", {"x.yaml": f'{{{{ fail "see {escape}" }}}}\n'})
    (finding,) = lint_fixture(repo, select=("RND",), renderer="sdk")
    assert (finding.rule, finding.location.path, finding.location.line) == ("RND001", "templates/x.yaml", 1)


def test_a_fifo_with_a_newline_in_its_name_is_named_on_one_line(tmp_path: Path) -> None:
    repo = chart(tmp_path / "repo", {"x.yaml": "{{/* x */}}\n"})
    os.mkfifo(repo / "templates" / "a\nb.yaml")  # a render that opened it would block forever
    (finding,) = lint_fixture(repo, select=("RND",), renderer="sdk")
    assert (
        finding.message == 'chart not rendered: "templates/a\\nb.yaml": not a regular file (a FIFO, socket or device)'
    )
