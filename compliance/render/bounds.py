"""What one render may cost: wall time, memory, output. Templates are code (`until`, `randBytes`), so a
render runs in its own process under these bounds, and hitting one is an RND004 finding.

- wall time: the parent kills the process (the `helm` binary, or the SDK's worker) after `seconds`;
- memory: RLIMIT_AS of `memory_mb` on that process (Go's allocator then fails, and the process dies);
- CPU: RLIMIT_CPU a little above the wall bound, so a render outliving a killed parent still ends;
- output: at most OUTPUT_LIMIT bytes of rendered text (RLIMIT_FSIZE on the `helm` binary's output
  files, a counted read of the worker's answer).
"""

from __future__ import annotations

import math
import signal

from compliance.records import record

DEFAULT_SECONDS = 60.0
DEFAULT_MEMORY_MB = 2048
OUTPUT_LIMIT = 64 * 1024 * 1024
# signals the kernel sends when a bound is hit (SIGKILL: our own wall-time kill, or the OOM killer)
BOUND_SIGNALS = {signal.SIGXCPU: "time", signal.SIGKILL: "time", signal.SIGXFSZ: "output"}
MEMORY_WORDS = ("out of memory", "cannot allocate memory", "memoryerror", "mmap", "runtime: cannot map pages")


@record
class Bounds:
    seconds: float = DEFAULT_SECONDS
    memory_mb: int = DEFAULT_MEMORY_MB

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb * 1024 * 1024

    @property
    def cpu_seconds(self) -> int:
        """The CPU backstop: the wall bound plus slack (the wall kill normally comes first)."""
        return math.ceil(self.seconds) + 5

    def key(self) -> str:
        """The bounds as part of a render cache key."""
        return f"{self.seconds:g}s/{self.memory_mb}MB"

    def exceeded(self, what: str) -> str:
        """The RND004 message for a bound named `time`, `memory` or `output`."""
        if what == "time":
            return f"render exceeded its time bound of {self.seconds:g} s (--render-timeout) and was stopped"
        if what == "memory":
            return f"render exceeded its memory bound of {self.memory_mb} MB (--render-memory) and was stopped"
        return f"render exceeded its output bound of {OUTPUT_LIMIT // 2**20} MiB and was stopped"


def classify(returncode: int, stderr: str) -> str | None:
    """Which bound a render process that died with ``returncode`` hit, or None for another failure."""
    if returncode < 0:
        try:
            named = BOUND_SIGNALS.get(signal.Signals(-returncode))
        except ValueError:
            named = None
        if named is not None:
            return named
    lowered = stderr.lower()
    return "memory" if any(word in lowered for word in MEMORY_WORDS) else None


def last_words(stderr: str) -> str:
    """What a crashed render process said: Go's `fatal error:`/`panic:` line, else its last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal error:", "panic:", "runtime:")):
            return line
    return lines[-1] if lines else "no message"
