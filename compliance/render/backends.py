"""The two ways to run Helm's template engine, behind one interface.

- `helm`: the `helm` binary on PATH, `helm template <release> <chart> --namespace <ns> -f <values>`.
- `sdk`: the `helm-python-sdk` package (`compliance[helm]`), Helm's Go SDK loaded in process.

Both return `helm template`'s text, or Helm's own error message; lines Helm prints as warnings are
kept apart and never turn a render into a failure.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

RENDERERS = ("auto", "helm", "sdk", "none")
SDK_MODULE = "helm_python"
SDK_DISTRIBUTION = "helm-python-sdk"
LOG_PREFIX = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)? ")  # Go's log timestamp
HELM_TIMEOUT_SECONDS = 300
# what helm says about the machine, not the chart (a group-readable kubeconfig)
ENVIRONMENT_NOISE = ("WARNING: Kubernetes configuration file",)


@dataclass(frozen=True, slots=True)
class RenderRequest:
    chart_dir: str  # absolute
    release_name: str
    namespace: str
    values_json: str  # the values file's content (JSON is YAML)


@dataclass(frozen=True, slots=True)
class RenderOutput:
    stream: str = ""  # `helm template` output
    error: str = ""  # Helm's message when the render failed
    warnings: tuple[str, ...] = field(default=())


class Renderer(Protocol):
    name: str

    def identity(self) -> str:
        """What tells two versions of this back end apart (part of the cache key)."""
        ...

    def render(self, request: RenderRequest) -> RenderOutput: ...


def _warnings(text: str) -> tuple[str, ...]:
    lines = (LOG_PREFIX.sub("", line).strip() for line in text.splitlines())
    return tuple(dict.fromkeys(line for line in lines if line))


class HelmBinary:
    """`helm template` in a subprocess; parallel renders are parallel processes."""

    name = "helm"

    def __init__(self, path: str) -> None:
        self.path = path

    def identity(self) -> str:
        real = os.path.realpath(self.path)
        try:
            stat = os.stat(real)
        except OSError:
            return f"helm:{real}"
        return f"helm:{real}:{stat.st_size}:{stat.st_mtime_ns}"

    def render(self, request: RenderRequest) -> RenderOutput:
        with tempfile.TemporaryDirectory(prefix="compliance-render-") as directory:
            values_file = os.path.join(directory, "values.yaml")
            with open(values_file, "w", encoding="utf-8") as handle:
                handle.write(request.values_json)
            command = [self.path, "template", request.release_name, request.chart_dir]
            command += ["--namespace", request.namespace, "-f", values_file]
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=HELM_TIMEOUT_SECONDS, stdin=subprocess.DEVNULL
                )
            except (OSError, subprocess.TimeoutExpired) as error:
                return RenderOutput(error=f"could not run {self.path}: {error}")
        lines = [line for line in done.stderr.splitlines() if not line.startswith(ENVIRONMENT_NOISE)]
        if done.returncode == 0:
            return RenderOutput(stream=done.stdout, warnings=_warnings("\n".join(lines)))
        # what precedes helm's `Error:` line are warnings; the error may span several lines
        first_error = next((i for i, line in enumerate(lines) if line.startswith("Error: ")), 0)
        error = "\n".join(lines[first_error:]).removeprefix("Error: ").strip()
        warnings = _warnings("\n".join(lines[:first_error]))
        return RenderOutput(error=error or f"helm exited with status {done.returncode}", warnings=warnings)


class HelmSdk:
    """Helm's Go SDK in process. Renders take milliseconds; they are serialised because the SDK
    writes its warnings to the process's stderr, which we capture per render."""

    name = "sdk"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._charts: dict[str, Any] = {}

    def identity(self) -> str:
        return f"sdk:{_installed_version(SDK_DISTRIBUTION)}"

    def render(self, request: RenderRequest) -> RenderOutput:
        import json

        import helm_python

        from compliance.render.stream import stream_from_templates

        values = json.loads(request.values_json)
        with self._lock, _captured_stderr() as captured:
            try:
                chart = self._charts.get(request.chart_dir)
                if chart is None:
                    chart = self._charts[request.chart_dir] = helm_python.Chart.load(request.chart_dir)
                rendered = chart.render(values, name=request.release_name, namespace=request.namespace)
                error = ""
            except helm_python.HelmError as failure:
                rendered, error = {}, str(failure.detail or failure)
        warnings = _warnings(captured[0])
        if error:
            return RenderOutput(error=error, warnings=warnings)
        return RenderOutput(stream=stream_from_templates(rendered), warnings=warnings)


@contextmanager
def _captured_stderr() -> Iterator[list[str]]:
    """What native code writes to file descriptor 2 meanwhile (Go's log package writes there)."""
    captured = [""]
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured[0] = sink.read().decode("utf-8", errors="replace")


def _installed_version(distribution: str) -> str:
    """The version in the installed `.dist-info` folder name (importlib.metadata costs ~20 ms to import)."""
    import glob
    import sys

    prefix = distribution.replace("-", "_").lower()
    for directory in sys.path:
        for found in sorted(glob.glob(os.path.join(directory, "*.dist-info"))):
            name, _, rest = os.path.basename(found)[: -len(".dist-info")].partition("-")
            if name.replace("-", "_").lower() == prefix and rest:
                return rest
    from importlib.metadata import version

    return version(distribution)


def sdk_available() -> bool:
    return importlib.util.find_spec(SDK_MODULE) is not None


def choose(name: str) -> tuple[Renderer | None, str]:
    """The back end for `--renderer NAME`, or None and why it is unavailable."""
    if name == "none":
        return None, ""
    if name in ("auto", "helm"):
        path = shutil.which("helm")
        if path is not None:
            return HelmBinary(path), ""
        if name == "helm":
            return None, "`--renderer helm` needs the `helm` binary on PATH"
    if name in ("auto", "sdk"):
        if sdk_available():
            return HelmSdk(), ""
        if name == "sdk":
            return None, f"`--renderer sdk` needs the {SDK_DISTRIBUTION} package: pip install 'compliance[helm]'"
    return None, (
        f"no Helm renderer available (no `helm` on PATH, no {SDK_DISTRIBUTION} package); "
        "charts were checked from their values only: pip install 'compliance[helm]' to render them"
    )
