"""The Go test oracle (tools/oracle): what Flux would apply for a cluster, built by Flux's, kustomize's and
Helm's own libraries. `oracle_binary()` builds it once per source hash into the user cache; `run_oracle()` runs it.

The oracle is a test tool, never part of the product: where `go` is not on PATH, callers skip
(`oracle_or_skip()`), and a build that fails with `go` present is a test failure, not a skip.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.helpers import ROOT

SOURCE = ROOT / "tools" / "oracle"
# The first build compiles Kubernetes, kustomize and Helm: minutes on a shared 2-core machine.
BUILD_TIMEOUT = 1800
RUN_TIMEOUT = 300
# Read at import, i.e. at collection: tests/conftest.py later points XDG_CACHE_HOME at a per-session temporary
# folder (for the render cache), which would throw away both the oracle binary and Go's build cache each run.
_USER_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


class OracleUnavailable(Exception):
    """The oracle cannot be built on this machine (no Go toolchain); the message says why."""


def source_hash() -> str:
    """sha256 over go.mod, go.sum and every *.go file of tools/oracle (names and contents)."""
    digest = hashlib.sha256()
    files = [SOURCE / "go.mod", SOURCE / "go.sum", *sorted(SOURCE.glob("*.go"))]
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_root() -> Path:
    return _USER_CACHE / "compliance-oracle"


def build_env() -> dict[str, str]:
    """The environment for `go build`: Go's build cache stays where it is outside the tests (it defaults to
    $XDG_CACHE_HOME/go-build), so a source change rebuilds in seconds instead of minutes."""
    env = dict(os.environ)
    env.setdefault("GOCACHE", str(_USER_CACHE / "go-build"))
    return env


def oracle_binary() -> Path:
    """The oracle binary for the current sources, built on first use (atomically: temp name, then rename)."""
    go = shutil.which("go")
    if go is None:
        raise OracleUnavailable("the Go toolchain (`go`) is not on PATH; the oracle is built from tools/oracle")
    target = cache_root() / source_hash() / "oracle"
    if target.is_file() and os.access(target, os.X_OK):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".oracle-", dir=target.parent)
    os.close(fd)
    try:
        # -mod=readonly: the committed go.sum is the pin; a missing entry is an error, never a silent upgrade.
        result = subprocess.run(
            [go, "build", "-mod=readonly", "-buildvcs=false", "-trimpath", "-o", tmp, "."],
            cwd=SOURCE,
            env=build_env(),
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"building tools/oracle failed ({result.returncode}):\n{result.stderr[-4000:]}")
        os.chmod(tmp, 0o755)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def oracle_or_skip() -> Path:
    """`oracle_binary()` for tests: skips with the reason when Go is absent."""
    import pytest

    try:
        return oracle_binary()
    except OracleUnavailable as exc:
        pytest.skip(str(exc))


def run_oracle(root: str | Path, entry: str, *, strict: bool = False) -> dict[str, Any]:
    """The oracle's JSON for the cluster whose flux-system Kustomization points at `entry` (relative to `root`)."""
    args = [str(oracle_binary()), "--root", str(root), "--entry", entry, "--json"]
    if strict:
        args.append("--strict")
    result = subprocess.run(args, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"oracle exited {result.returncode}: {result.stderr[-4000:]}")
    data: dict[str, Any] = json.loads(result.stdout)
    return data


class BatchOracle:
    """One `oracle envsubst` / `oracle manifest-scalar` process answering JSON lines one case at a time, so a
    hypothesis test (which draws its cases one by one, and shrinks) uses a single process for all of them."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.asked = 0
        self._proc = subprocess.Popen(
            [str(oracle_binary()), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def ask(self, case: dict[str, Any]) -> dict[str, Any]:
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(case) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"oracle {self.mode} stopped: {proc.stderr.read() if proc.stderr else ''}")
        self.asked += 1
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait(timeout=RUN_TIMEOUT)


def batch_oracle_or_skip(mode: str) -> BatchOracle:
    """A `BatchOracle` for tests: skips with the reason when Go is absent."""
    oracle_or_skip()
    return BatchOracle(mode)
