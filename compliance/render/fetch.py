"""`--fetch-dependencies`: the chart dependencies nothing in the repository provides, fetched as
`helm dependency build` would, in Python (no `helm` binary runs on a hostile chart).

For each `dependencies:` entry of a rendered chart that neither `charts/`, a `file://` folder nor the chart
cache provides: the `repository:` URL's `index.yaml` (http or https only), the version Helm would take (the
`Chart.lock` version when there is one, else the highest the constraint selects, Masterminds semver as
Helm), the archive the index lists, verified against the index's sha256 `digest`, written atomically as
`<name>-<version>.tgz` into the chart cache folder (or a run-private one). Helm's `Chart.lock` `digest` is a
hash of the dependency declarations (it says the lock is in sync with Chart.yaml), not of the archives:
the index's digest is the only archive check Helm itself can make.

Everything is bounded: a timeout per request and a deadline per download, a size cap per index and per
archive and in total, at most `FetchLimits.dependencies` fetches per run, redirects only to http(s).
A dependency that is not fetched gets the reason, shown in its RND002 (never a traceback): an `oci://` or
other scheme, a network failure, a 404, a digest that does not match, a size over a cap.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import field
from typing import Any

from compliance.model import Chart
from compliance.records import record


@record
class FetchLimits:
    timeout: float = 20.0  # seconds per connection or read, and (x3) per whole download
    index_bytes: int = 20 * 1024 * 1024  # a chart repository's index.yaml
    archive_bytes: int = 100 * 1024 * 1024  # one chart archive (Helm's own cap on a chart)
    total_bytes: int = 500 * 1024 * 1024  # everything one run downloads
    dependencies: int = 100  # archives one run fetches


class NotFetched(Exception):
    """Why one dependency was not fetched (shown in its RND002)."""


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 5

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        scheme = urllib.parse.urlsplit(newurl).scheme.lower()
        if scheme not in ("http", "https"):
            raise NotFetched(f"redirected to a {scheme or 'relative'} URL, not http(s)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


@record(frozen=False, slots=False)
class Fetcher:
    """The fetches of one run: indexes read once per repository URL, archives once per (name, version)."""

    into: str  # the folder archives are written to (the chart cache, or a run-private folder)
    limits: FetchLimits = field(default_factory=FetchLimits)
    downloaded: int = 0
    fetched: int = 0
    _indexes: dict[str, dict[str, Any] | NotFetched] = field(default_factory=dict)
    _opener: Any = None

    def fetch(self, name: str, repository: Any, version: str, locked: bool) -> str:
        """The archive's path for dependency `name` from `repository`; NotFetched and why otherwise."""
        if not isinstance(repository, str) or not repository.strip():
            raise NotFetched("no repository URL")
        scheme = urllib.parse.urlsplit(repository).scheme.lower()
        if repository.startswith("@") or not scheme:
            raise NotFetched(f"repository {repository!r} is a name, not a URL: not supported")
        if scheme not in ("http", "https"):
            raise NotFetched(f"{scheme}:// not supported")
        entry = self._entry(name, repository, version, locked)
        chosen = str(entry.get("version"))
        target = os.path.join(self.into, f"{name}-{chosen}.tgz")
        if os.path.isfile(target):
            return target
        if self.fetched >= self.limits.dependencies:
            raise NotFetched(f"more than {self.limits.dependencies} dependencies to fetch in one run")
        urls = entry.get("urls")
        if not isinstance(urls, list) or not urls or not isinstance(urls[0], str):
            raise NotFetched(f"the index lists no URL for {name} {chosen}")
        digest = entry.get("digest")
        if not isinstance(digest, str) or len(digest) != 64:
            raise NotFetched(f"the index gives no sha256 digest for {name} {chosen}: nothing to verify it against")
        url = urllib.parse.urljoin(repository.rstrip("/") + "/", urls[0])
        data = self._get(url, self.limits.archive_bytes, "archive")
        actual = hashlib.sha256(data).hexdigest()
        if actual != digest.lower():
            raise NotFetched(f"{url}: sha256 {actual} is not the index's digest {digest}: refused")
        self.fetched += 1
        _write_atomically(target, data)
        return target

    def _entry(self, name: str, repository: str, version: str, locked: bool) -> dict[str, Any]:
        """The index entry Helm would take: the locked version exactly, else the highest the constraint selects."""
        from compliance.model.semver import parse_constraint, parse_version, satisfies

        index = self._index(repository)
        entries = index.get(name)
        if not isinstance(entries, list) or not entries:
            raise NotFetched(f"{repository}/index.yaml has no chart {name}")
        candidates = [e for e in entries if isinstance(e, dict) and e.get("version") is not None]
        if locked:
            exact = [e for e in candidates if str(e["version"]).lstrip("v") == version.lstrip("v")]
            if not exact:
                raise NotFetched(f"{repository}/index.yaml has no {name} {version} (the Chart.lock version)")
            return exact[0]
        groups = parse_constraint(version if version.strip() else "*")
        if groups is None:
            raise NotFetched(f"version {version!r} is not a valid version or range")
        best: tuple[Any, dict[str, Any]] | None = None
        for entry in candidates:
            parsed = parse_version(str(entry["version"]))
            if parsed is None or not (str(entry["version"]) == version or satisfies(parsed, groups)):
                continue
            if best is None or parsed.compare(best[0]) > 0:
                best = (parsed, entry)
        if best is None:
            raise NotFetched(f"{repository}/index.yaml has no {name} version that {version!r} selects")
        return best[1]

    def _index(self, repository: str) -> dict[str, Any]:
        if repository not in self._indexes:
            try:
                self._indexes[repository] = self._read_index(repository)
            except NotFetched as error:
                self._indexes[repository] = error
        found = self._indexes[repository]
        if isinstance(found, NotFetched):
            raise found
        return found

    def _read_index(self, repository: str) -> dict[str, Any]:
        from compliance.yaml import load_yaml

        url = repository.rstrip("/") + "/index.yaml"
        loaded = load_yaml(self._get(url, self.limits.index_bytes, "index"))
        document = loaded.documents[0].value if loaded.documents else None
        entries = document.get("entries") if isinstance(document, dict) else None
        if not isinstance(entries, dict):
            raise NotFetched(f"{url} is not a chart repository index (no entries)")
        return entries

    def _get(self, url: str, cap: int, what: str) -> bytes:
        """The body at `url`, at most `cap` bytes (and what is left of the run's total), within the deadline."""
        if self._opener is None:
            self._opener = urllib.request.build_opener(_HttpOnlyRedirects())
        left = min(cap, self.limits.total_bytes - self.downloaded)
        if left <= 0:
            raise NotFetched(f"the run's download cap of {self.limits.total_bytes} bytes is spent")
        deadline = time.monotonic() + 3 * self.limits.timeout
        request = urllib.request.Request(url, headers={"User-Agent": "compliance (helm dependency fetch)"})
        try:
            with self._opener.open(request, timeout=self.limits.timeout) as response:
                declared = response.headers.get("Content-Length")
                if declared is not None and declared.isdigit() and int(declared) > left:
                    raise NotFetched(f"{url}: {what} of {declared} bytes is over the cap of {left} bytes")
                chunks: list[bytes] = []
                size = 0
                while True:
                    if time.monotonic() > deadline:
                        raise NotFetched(f"{url}: took longer than {3 * self.limits.timeout:g} s")
                    chunk = response.read(min(65536, left + 1 - size))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > left:
                        raise NotFetched(f"{url}: {what} is over the cap of {left} bytes")
        except NotFetched:
            raise
        except urllib.error.HTTPError as error:
            raise NotFetched(f"{url}: HTTP {error.code} {error.reason}") from None
        except urllib.error.URLError as error:
            raise NotFetched(f"{url}: {error.reason}") from None
        except (OSError, ValueError) as error:  # timeouts, resets, a malformed URL
            raise NotFetched(f"{url}: {error}") from None
        self.downloaded += size
        return b"".join(chunks)


def _write_atomically(target: str, data: bytes) -> None:
    """Written whole or not at all: a reader (or a concurrent run) never sees half an archive."""
    folder = os.path.dirname(target)
    handle, temporary = tempfile.mkstemp(prefix=".fetch-", suffix=".tgz", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def fetch_missing(
    root: str, charts: Sequence[Chart], caches: tuple[str, ...], fetcher: Fetcher
) -> dict[tuple[str, int], str]:
    """Fetch every dependency of `charts` nothing provides; (chart folder, dependency index) -> why it was not."""
    from compliance.render.dependencies import declared, locked_versions, provided

    reasons: dict[tuple[str, int], str] = {}
    for chart in charts:
        missing = {index for index, _ in provided(root, chart, caches)[1]}
        if not missing:
            continue
        locked = locked_versions(root, chart)
        for index, dependency in declared(chart):
            if index not in missing or str(dependency.get("repository", "")).startswith("file://"):
                continue
            name = dependency["name"]
            version = locked.get(name, str(dependency.get("version", "")))
            try:
                fetcher.fetch(name, dependency.get("repository"), version, name in locked)
            except NotFetched as error:
                reasons[(chart.directory, index)] = str(error)
            except OSError as error:  # the cache folder cannot be written
                reasons[(chart.directory, index)] = f"cannot write to {fetcher.into}: {error.strerror}"
    return reasons
