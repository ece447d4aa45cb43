"""The parent's side of one SDK worker process (`compliance.render.worker`): start it under the
render bounds, ask it for one render at a time with a wall-time deadline, kill it when a bound is hit.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
from typing import TYPE_CHECKING

from compliance.render.bounds import OUTPUT_LIMIT, Bounds, classify, last_words
from compliance.render.protocol import RenderOutput, warnings_of

if TYPE_CHECKING:
    from compliance.render.protocol import RenderRequest

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
# the limits are set by the worker itself before Helm's library is loaded (no preexec_fn: the parent
# is threaded); RLIMIT_CPU is renewed per render, so a long-lived worker is not cut off by its total
START = """
import resource, runpy, sys
memory, output = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_FSIZE, (output, output))
sys.argv = sys.argv[3:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


class Worker:
    def __init__(self, bounds: Bounds) -> None:
        self.bounds = bounds
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the worker; closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-c", START, str(bounds.memory_bytes), str(OUTPUT_LIMIT), WORKER, str(bounds.cpu_seconds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            cwd=tempfile.gettempdir(),
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        self.stderr.close()

    def ask(self, request: RenderRequest) -> RenderOutput:
        """One render; the worker is stopped when it hit a bound or died."""
        start = self.stderr.seek(0, os.SEEK_END)
        line = json.dumps(
            {
                "chart": request.chart_dir,
                "name": request.release_name,
                "namespace": request.namespace,
                "values": request.values_json,
            }
        )
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(line.encode() + b"\n")
            self.process.stdin.flush()
            answer, bound = self._answer()
        except OSError:  # the worker died before reading the request
            answer, bound = None, None
        self.stderr.seek(start)
        stderr = self.stderr.read(OUTPUT_LIMIT).decode("utf-8", errors="replace")
        if answer is None:
            self.stop()
            bound = bound or classify(self.process.returncode, stderr)
            if bound is not None:
                return RenderOutput(exceeded=self.bounds.exceeded(bound))
            said = last_words(stderr)
            return RenderOutput(error=f"the Helm SDK worker died (status {self.process.returncode}): {said}")
        if "error" in answer:
            return RenderOutput(error=str(answer["error"]), warnings=warnings_of(stderr))
        templates = answer.get("templates")
        return RenderOutput(templates=templates if isinstance(templates, dict) else {}, warnings=warnings_of(stderr))

    def _answer(self) -> tuple[dict[str, object] | None, str | None]:
        """The worker's answer line, or None and the bound that stopped it (None: it died)."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + self.bounds.seconds
        chunks: list[bytes] = []
        size = 0
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    self.process.kill()
                    return None, "time"
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    return None, None
                chunks.append(chunk)
                size += len(chunk)
                if chunk.endswith(b"\n"):
                    break
                if size > OUTPUT_LIMIT:
                    self.process.kill()
                    return None, "output"
        try:
            answer = json.loads(b"".join(chunks))
        except ValueError:
            return None, None
        return (answer, None) if isinstance(answer, dict) else (None, None)
