"""What one file may cost (``Limits``) and what it has spent so far (``FileBudget``).

Bounds hold for the whole file, not each document: nodes after alias expansion, and the path steps
of the positions kept (a node's position is keyed by its full path, so a deep and wide document
costs nodes x depth). The run-wide totals are enforced by compliance/load/budget.py.
"""

from __future__ import annotations

from typing import Any

from compliance.records import record
from compliance.yaml.document import Path
from compliance.yaml.problems import limit_abort


@record
class Limits:
    max_bytes: int = 10 * 1024 * 1024
    # Below libyaml's own limit (1000 levels since 0.2.6), so ours decides on every libyaml version.
    max_depth: int = 500  # collection levels, after alias expansion
    max_nodes: int = 1_000_000  # in the whole file (all its documents), after alias expansion
    # Positions are kept per node by its full path, so they cost nodes x depth: bound that too.
    max_path_steps: int = 10_000_000  # the sum of every node's path length, in the whole file
    # The run's budget, over all its files (compliance/load/budget.py): per-file bounds alone let
    # many files add up (10 files of 1M nodes took 2.3 GB). The 50-copy corpus bench fits.
    max_total_bytes: int = 64 * 1024 * 1024
    max_total_nodes: int = 2_000_000
    max_total_path_steps: int = 20_000_000


class FileBudget:
    """What one file has spent so far, over all its documents: nodes built (aliases expanded) and
    path steps of the positions recorded. Per file, not per document: a stream of many small
    alias bombs, each under the limit, must not add up to an unbounded one."""

    __slots__ = ("counted", "nodes", "pending", "steps")

    def __init__(self) -> None:
        self.nodes = 0
        self.steps = 0  # of the paths summed so far
        self.counted = 0  # paths of the current document already summed into steps
        # Earlier documents' paths not summed yet: small files never need the sum.
        self.pending: list[tuple[list[Path], int]] = []

    def snapshot(self) -> FileBudget:
        copy = FileBudget()
        copy.nodes, copy.steps, copy.pending = self.nodes, self.steps, list(self.pending)
        return copy

    def close(self, paths: list[Path], nodes: int) -> None:
        """A document is done (loaded or not): what it built stays spent."""
        self.nodes = nodes
        if len(paths) > self.counted:
            self.pending.append((paths, self.counted))
        self.counted = 0

    def _settle(self) -> None:
        for paths, start in self.pending:
            self.steps += sum(map(len, paths[start:]))
        self.pending.clear()

    def spent(self, limits: Limits) -> bool:
        self._settle()
        return self.nodes >= limits.max_nodes or self.steps >= limits.max_path_steps

    def spend(self, paths: list[Path], extra: int, limits: Limits, mark: Any, index: int, path: Path) -> None:
        """Sum the path steps recorded since the last call; stop if ``extra`` more would break the budget."""
        if self.pending:
            self._settle()
        self.steps += sum(map(len, paths[self.counted :]))
        self.counted = len(paths)
        if self.steps + extra > limits.max_path_steps:
            msg = f"node positions would take more than {limits.max_path_steps} path steps (nodes x depth)"
            raise limit_abort(f"{msg}; document not loaded", mark, index, path, limit="max_path_steps")

    def recheck(self, paths: list[Path], nodes: int, limits: Limits, mark: Any, index: int, path: Path) -> int:
        """The node and path-step limits, every STEP_CHECK nodes; returns when to check next."""
        if nodes > limits.max_nodes:
            msg = f"the file has more than {limits.max_nodes} nodes; document not loaded"
            raise limit_abort(msg, mark, index, path, limit="max_nodes")
        self.spend(paths, 0, limits, mark, index, path)
        return min(limits.max_nodes, nodes + STEP_CHECK)


# Path steps are summed every this many nodes (and before each alias expansion): a cheap sum in C,
# and the memory it lets through between two sums is small.
STEP_CHECK = 4096
