"""`--fetch-dependencies` against a chart repository served on 127.0.0.1 by the test (an index.yaml and
archives made in tmp_path, `http.server` in a thread), never the internet: the fetched chart renders; a wrong
digest, an archive over the cap, a 404 or an `oci://` repository is an RND002 saying why; without the flag
nothing is fetched."""

from __future__ import annotations

import hashlib
import http.server
import os
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from compliance.app.api import lint_path
from tests.helpers import archive
from tests.test_render_dependencies import STUB, repository


@pytest.fixture(autouse=True)
def sdk() -> None:
    pytest.importorskip("helm_python", reason="helm-python-sdk (the `helm` extra) renders these charts")


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def log_message(self, format: str, *args: object) -> None:  # keep the test output clean
        pass

    def do_GET(self) -> None:
        self.requests.append(self.path)
        super().do_GET()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """(base URL, the folder it serves, the paths asked for)."""
    folder = tmp_path / "served"
    folder.mkdir()
    seen: list[str] = []
    handler = type("Handler", (_Handler,), {"requests": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/charts", folder, seen
    finally:
        server.shutdown()
        server.server_close()


def publish(folder: Path, data: bytes, digest: str | None = None, versions: tuple[str, ...] = ("1.0.0",)) -> None:
    charts = folder / "charts"
    charts.mkdir(exist_ok=True)
    entries = ""
    for version in versions:
        (charts / f"stub-{version}.tgz").write_bytes(data)
        entries += (
            f"  - name: stub\n    version: {version}\n    urls: [stub-{version}.tgz]\n"
            f"    digest: '{digest or hashlib.sha256(data).hexdigest()}'\n"
        )
    (charts / "index.yaml").write_text(f"apiVersion: v1\nentries:\n  stub:\n{entries}")


def rnd(result: object) -> list[str]:
    return [f"{f.rule}: {f.message}" for f in result.findings if f.rule.startswith("RND")]  # type: ignore[attr-defined]


def test_a_fetched_dependency_renders(tmp_path: Path, served: tuple[str, Path, list[str]]) -> None:
    url, folder, seen = served
    publish(folder, archive("stub", STUB), versions=("0.9.0", "1.0.0", "1.2.0", "2.0.0"))
    chart = repository(tmp_path / "repo", url)
    text = (chart / "Chart.yaml").read_text().replace("version: 1.0.0,", "version: '^1.0.0',")
    (chart / "Chart.yaml").write_text(text)  # the highest the constraint selects: 1.2.0
    cache = tmp_path / "cache"
    cache.mkdir()
    result = lint_path(str(tmp_path / "repo"), renderer="sdk", chart_cache=str(cache), fetch_dependencies=True)
    assert rnd(result) == []
    assert {cluster for _, cluster in result.rendered} == {"c"}
    assert sorted(p.name for p in cache.iterdir()) == ["stub-1.2.0.tgz"]  # helm's file name, written whole
    assert seen == ["/charts/index.yaml", "/charts/stub-1.2.0.tgz"]
    assert not (chart / "charts").exists()  # the repository is left as it is


def test_without_the_flag_nothing_is_fetched(tmp_path: Path, served: tuple[str, Path, list[str]]) -> None:
    url, folder, seen = served
    publish(folder, archive("stub", STUB))
    repository(tmp_path / "repo", url)
    result = lint_path(str(tmp_path / "repo"), renderer="sdk")
    assert [f.rule for f in result.findings if f.rule.startswith("RND")] == ["RND002"]
    assert seen == []


def test_a_wrong_digest_is_refused(tmp_path: Path, served: tuple[str, Path, list[str]]) -> None:
    url, folder, _ = served
    publish(folder, archive("stub", STUB), digest="0" * 64)
    repository(tmp_path / "repo", url)
    cache = tmp_path / "cache"
    cache.mkdir()
    (finding,) = rnd(lint_path(str(tmp_path / "repo"), renderer="sdk", chart_cache=str(cache), fetch_dependencies=True))
    assert finding.startswith("RND002") and "is not the index's digest" in finding and "refused" in finding
    assert list(cache.iterdir()) == []  # nothing unverified is kept


def test_an_archive_over_the_cap_is_refused(tmp_path: Path, served: tuple[str, Path, list[str]]) -> None:
    from compliance.render.fetch import Fetcher, FetchLimits, NotFetched

    url, folder, _ = served
    big = archive("stub", {**STUB, "padding.txt": os.urandom(4096).hex()})  # incompressible
    publish(folder, big)
    fetcher = Fetcher(str(tmp_path), FetchLimits(archive_bytes=1024))
    with pytest.raises(NotFetched, match="over the cap of 1024 bytes"):
        fetcher.fetch("stub", url, "1.0.0", locked=False)
    assert list(p.name for p in tmp_path.iterdir() if p.suffix == ".tgz") == []
    total = Fetcher(str(tmp_path), FetchLimits(total_bytes=100))  # the index alone spends the run's cap
    with pytest.raises(NotFetched, match="over the cap"):
        total.fetch("stub", url, "1.0.0", locked=False)


def test_a_missing_repository_is_a_finding(tmp_path: Path, served: tuple[str, Path, list[str]]) -> None:
    url, _, _ = served  # nothing published: index.yaml is a 404
    repository(tmp_path / "repo", url)
    (finding,) = rnd(lint_path(str(tmp_path / "repo"), renderer="sdk", fetch_dependencies=True))
    assert finding.startswith("RND002") and "not fetched" in finding and "HTTP 404" in finding


def test_oci_and_other_schemes_are_said_not_supported(tmp_path: Path) -> None:
    repository(tmp_path / "repo", "oci://registry.example.invalid/charts")
    (finding,) = rnd(lint_path(str(tmp_path / "repo"), renderer="sdk", fetch_dependencies=True))
    assert "not fetched: oci:// not supported" in finding


def test_chart_lock_version_is_fetched_exactly(tmp_path: Path, served: tuple[str, Path, list[str]]) -> None:
    url, folder, seen = served
    publish(folder, archive("stub", STUB), versions=("1.0.0", "1.1.0"))
    chart = repository(tmp_path / "repo", url)
    (chart / "Chart.yaml").write_text((chart / "Chart.yaml").read_text().replace("version: 1.0.0,", "version: '^1',"))
    (chart / "Chart.lock").write_text(f"dependencies:\n- name: stub\n  repository: {url}\n  version: 1.0.0\n")
    result = lint_path(str(tmp_path / "repo"), renderer="sdk", fetch_dependencies=True)
    assert rnd(result) == [] and seen[-1] == "/charts/stub-1.0.0.tgz"


def test_a_redirect_to_another_scheme_is_refused(tmp_path: Path) -> None:
    from compliance.render.fetch import Fetcher, NotFetched

    targets = {"/a/index.yaml": "file:///etc/passwd", "/b/index.yaml": "ftp://127.0.0.1/index.yaml"}

    class Redirect(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", targets[self.path])
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(NotFetched, match=r"HTTP 302.*is not allowed"):  # urllib's own refusal
            Fetcher(str(tmp_path)).fetch("stub", f"{base}/a", "1.0.0", False)
        with pytest.raises(NotFetched, match="redirected to a ftp URL, not http"):  # which urllib would follow
            Fetcher(str(tmp_path)).fetch("stub", f"{base}/b", "1.0.0", False)
    finally:
        server.shutdown()
        server.server_close()
