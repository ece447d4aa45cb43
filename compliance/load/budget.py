"""The run's input budget: bytes, nodes and path steps over all the files of one run.

`Limits` bounds each file, but a pull request can add many files each just under those bounds
(10 files of 2 MB with 1M nodes each took 2.3 GB). The budget adds up what each file cost; the
first file that does not fit in what is left is not kept, and neither is any file after it (so
what is read does not depend on file sizes after that point). YML003 at that file names it and
what was skipped: never a silent drop.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from compliance.records import record
from compliance.yaml import Limits, LoadedFile, LoadProblem

SHOWN = 5  # skipped files named in the message; the detail lists them all


@record(frozen=False, slots=False)
class InputBudget:
    """What one run has spent so far (one per run, never shared)."""

    limits: Limits
    bytes: int = 0
    nodes: int = 0
    path_steps: int = 0

    def fits(self, size: int) -> bool:
        """Whether a file of `size` bytes fits in the bytes left."""
        return self.bytes + size <= self.limits.max_total_bytes

    def file_limits(self) -> Limits:
        """The per-file limits, narrowed to what the run has left."""
        limits = self.limits
        nodes = max(0, min(limits.max_nodes, limits.max_total_nodes - self.nodes))
        steps = max(0, min(limits.max_path_steps, limits.max_total_path_steps - self.path_steps))
        if nodes == limits.max_nodes and steps == limits.max_path_steps:
            return limits  # the common case: the run has more left than one file may take
        return dataclasses.replace(limits, max_nodes=nodes, max_path_steps=steps)

    def spend(self, size: int, loaded: LoadedFile, narrowed: Limits) -> bool:
        """Add a loaded file to the run; False (nothing added) when it was stopped by the run's budget
        rather than by its own per-file limits."""
        for problem in loaded.problems:
            limit = problem.detail.get("limit")
            if limit and getattr(narrowed, limit) < getattr(self.limits, limit):
                return False
        limits = self.limits
        # the loader sums path steps every few thousand nodes: a small file is only counted here
        if self.nodes + loaded.nodes > limits.max_total_nodes:
            return False
        if self.path_steps + loaded.path_steps > limits.max_total_path_steps:
            return False
        self.bytes += size if size <= self.limits.max_bytes else 0  # an oversized file is not parsed (YML003)
        self.nodes += loaded.nodes
        self.path_steps += loaded.path_steps
        return True

    def exhausted(self, size: int, skipped: Sequence[str]) -> LoadProblem:
        """YML003 for the first file that did not fit (`size` bytes), naming the files skipped after it."""
        limits = self.limits
        spent = (
            f"{self.bytes} of {limits.max_total_bytes} bytes, {self.nodes} of {limits.max_total_nodes} nodes, "
            f"{self.path_steps} of {limits.max_total_path_steps} path steps"
        )
        message = f"the run's input budget is spent ({spent}); this file ({size} bytes) was not loaded"
        if skipped:
            shown = ", ".join(skipped[:SHOWN]) + (f" and {len(skipped) - SHOWN} more" if len(skipped) > SHOWN else "")
            message += f", nor the {len(skipped)} files after it: {shown}"
        message += "; raise --max-total-size / --max-total-nodes to lint them"
        return LoadProblem("YML003", message, 1, 1, detail={"skipped": tuple(skipped), "budget": spent})


def input_limits(limits: Limits, file_bytes: int | None, total_bytes: int | None, total_nodes: int | None) -> Limits:
    """`limits` with the command line's --max-file-size, --max-total-size and --max-total-nodes; the
    path-step budget follows the node budget (ten steps a node, the default ratio)."""
    changes: dict[str, int] = {}
    if file_bytes is not None:
        changes["max_bytes"] = file_bytes
    if total_bytes is not None:
        changes["max_total_bytes"] = total_bytes
    if total_nodes is not None:
        changes["max_total_nodes"] = total_nodes
        changes["max_total_path_steps"] = total_nodes * (limits.max_total_path_steps // limits.max_total_nodes)
    return dataclasses.replace(limits, **changes)
