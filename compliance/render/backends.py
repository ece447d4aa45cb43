"""The two ways to run Helm's template engine, behind one interface.

- `helm`: the `helm` binary on PATH, `helm template <release> <chart> --namespace <ns> -f <values>`.
- `sdk`: the `helm-python-sdk` package (the `helm` extra: `pip install '.[helm]'`), Helm's Go SDK in worker processes.

Either way a render is a separate process under `compliance.render.bounds`; a render that hits a
bound comes back as `exceeded`, never as a hung or dead run.

Both return `helm template`'s text, or Helm's own error message; lines Helm prints as warnings are
kept apart and never turn a render into a failure.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
import threading
from typing import Protocol

from compliance import HELM_EXTRA_INSTALL
from compliance.render.bounds import OUTPUT_LIMIT, Bounds, classify
from compliance.render.protocol import ENVIRONMENT_NOISE, RenderOutput, RenderRequest, warnings_of
from compliance.render.workerclient import Worker as _Worker

RENDERERS = ("auto", "helm", "sdk", "none")
SDK_MODULE = "helm_python"
SDK_DISTRIBUTION = "helm-python-sdk"


class Renderer(Protocol):
    name: str
    bounds: Bounds

    def identity(self) -> str:
        """What tells two versions of this back end apart (part of the cache key)."""
        ...

    def render(self, request: RenderRequest) -> RenderOutput: ...

    def close(self) -> None:
        """End what the back end started (the SDK's worker processes)."""
        ...


class HelmBinary:
    """`helm template` in a subprocess under the render bounds; parallel renders are parallel processes."""

    name = "helm"

    def __init__(self, path: str, bounds: Bounds | None = None) -> None:
        self.path = path
        self.bounds = bounds or Bounds()

    def identity(self) -> str:
        real = os.path.realpath(self.path)
        try:
            stat = os.stat(real)
        except OSError:
            return f"helm:{real}"
        return f"helm:{real}:{stat.st_size}:{stat.st_mtime_ns}"

    def close(self) -> None:
        pass

    def render(self, request: RenderRequest) -> RenderOutput:
        bounds = self.bounds
        with tempfile.TemporaryDirectory(prefix="compliance-render-") as directory:
            values_file = os.path.join(directory, "values.yaml")
            with open(values_file, "w", encoding="utf-8") as handle:
                handle.write(request.values_json)
            # ulimit in a shell that then becomes helm: the limits are set before helm starts, with no
            # preexec_fn (unsafe in a threaded parent); output goes to files RLIMIT_FSIZE caps
            limits = (
                f"ulimit -v {bounds.memory_bytes // 1024} && ulimit -t {bounds.cpu_seconds}"
                f" && ulimit -f {OUTPUT_LIMIT // 512}"
            )
            command = ["/bin/sh", "-c", f'{limits} && exec "$0" "$@"', self.path, "template", request.release_name]
            command += [request.chart_dir, "--namespace", request.namespace, "-f", values_file]
            out_path, err_path = os.path.join(directory, "out"), os.path.join(directory, "err")
            with open(out_path, "wb") as out, open(err_path, "wb") as err:
                try:
                    done = subprocess.run(
                        command, stdout=out, stderr=err, timeout=bounds.seconds, stdin=subprocess.DEVNULL, cwd=directory
                    )
                except subprocess.TimeoutExpired:
                    return RenderOutput(exceeded=bounds.exceeded("time"))
                except OSError as error:
                    return RenderOutput(error=f"could not run {self.path}: {error}")
            stdout, stderr = (_read_text(path) for path in (out_path, err_path))
        if done.returncode not in (0, 1):  # 1 is helm's own error; anything else is a crash or a signal
            bound = classify(done.returncode, stderr)
            if bound is not None:
                return RenderOutput(exceeded=bounds.exceeded(bound))
        lines = [line for line in stderr.splitlines() if not line.startswith(ENVIRONMENT_NOISE)]
        if done.returncode == 0:
            return RenderOutput(stream=stdout, warnings=warnings_of("\n".join(lines)))
        # what precedes helm's `Error:` line are warnings; the error may span several lines
        first_error = next((i for i, line in enumerate(lines) if line.startswith("Error: ")), 0)
        message = "\n".join(lines[first_error:]).removeprefix("Error: ").strip()
        warnings = warnings_of("\n".join(lines[:first_error]))
        return RenderOutput(error=message or f"helm exited with status {done.returncode}", warnings=warnings)


def _read_text(path: str) -> str:
    with open(path, "rb") as handle:
        return handle.read(OUTPUT_LIMIT).decode("utf-8", errors="replace")


class HelmSdk:
    """Helm's Go SDK in worker processes (`compliance.render.worker`) under the render bounds, started
    on demand and reused, so a cheap render costs no process start. A render thread waits a moment
    for a busy worker before starting another (loading Helm costs ~0.1 s of CPU), so cheap renders
    share one worker and slow ones get one per thread. A worker that hits a bound is killed, and
    the next render starts a new one."""

    name = "sdk"
    patience = 0.25  # seconds a render waits for a busy worker before starting another

    def __init__(self, bounds: Bounds | None = None) -> None:
        self.bounds = bounds or Bounds()
        self._idle: list[_Worker] = []
        self._live = 0  # workers started and not stopped
        self._ready = threading.Condition()

    def identity(self) -> str:
        return f"sdk:{_installed_version(SDK_DISTRIBUTION)}"

    def _take(self) -> _Worker | None:
        """An idle worker, or None after counting a new one the caller must start."""
        with self._ready:
            if not self._idle and self._live:
                self._ready.wait_for(lambda: bool(self._idle), timeout=self.patience)
            if self._idle:
                return self._idle.pop()
            self._live += 1
            return None

    def render(self, request: RenderRequest) -> RenderOutput:
        from compliance.render.stream import stream_from_templates

        worker = self._take()
        if worker is None:
            try:
                worker = _Worker(self.bounds)
            except OSError as error:
                with self._ready:
                    self._live -= 1
                return RenderOutput(error=f"could not start the Helm SDK worker: {error}")
        answer = worker.ask(request)
        with self._ready:
            if worker.alive():
                self._idle.append(worker)
                self._ready.notify()
            else:
                self._live -= 1
        if answer.exceeded or answer.error:
            return answer
        return RenderOutput(stream=stream_from_templates(answer.templates), warnings=answer.warnings)

    def close(self) -> None:
        with self._ready:
            idle, self._idle = self._idle, []
            self._live -= len(idle)
        for worker in idle:
            worker.stop()


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


def choose(name: str, bounds: Bounds | None = None) -> tuple[Renderer | None, str]:
    """The back end for `--renderer NAME` under ``bounds``, or None and why it is unavailable."""
    if name == "none":
        return None, ""
    if name in ("auto", "helm"):
        path = shutil.which("helm")
        if path is not None:
            return HelmBinary(path, bounds), ""
        if name == "helm":
            return None, "`--renderer helm` needs the `helm` binary on PATH"
    if name in ("auto", "sdk"):
        if sdk_available():
            return HelmSdk(bounds), ""
        if name == "sdk":
            return None, (
                f"`--renderer sdk` needs the {SDK_DISTRIBUTION} package: {HELM_EXTRA_INSTALL} in compliance's checkout"
            )
    return None, (
        f"no Helm renderer available (no `helm` on PATH, no {SDK_DISTRIBUTION} package); "
        f"charts were checked from their values only: {HELM_EXTRA_INSTALL} in compliance's checkout to render them"
    )
