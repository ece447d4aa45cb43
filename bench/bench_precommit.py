#!/usr/bin/env python3
"""Benchmark the pre-commit hook's command, `compliance lint --files FILE`, on the real corpus.

What pre-commit runs on a commit that changes one file, as a whole process (interpreter start,
imports, loading the whole repository, evaluating what the file affects, the text report), beside a
full `compliance lint .` and `compliance --version`. Prints figures and the target; never asserts.
Then an in-process breakdown of one scoped run. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench_lint import REPO_ROOT, find_compliance

DEFAULT_CORPUS = "openova/snapshot-2026-04-30"
TARGET_S = 0.5  # one changed overlay, whole process
CHANGES = {  # label -> the changed file (one per kind of scope)
    "one overlay": "clusters/otech.omani.works/bootstrap-kit/26-langfuse.yaml",
    "one template overlay (+DAG checks)": "clusters/_template/bootstrap-kit/26-langfuse.yaml",
    "one values.yaml (every cluster)": "platform/langfuse/chart/values.yaml",
    "the expected DAG (everything)": "scripts/expected-bootstrap-deps.yaml",
}


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, int]:
    """(wall s, CPU s of the process, exit code) of one run."""
    start = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, process.returncode


def measure(cmd: list[str], cwd: Path, repeat: int) -> tuple[float, float, float, int]:
    """(median wall s, min wall s, median CPU s, exit code) after one warm-up run.

    CPU time (user + system) is what the run costs on a quiet machine; wall time also counts waiting
    for a busy CPU.
    """
    timed(cmd, cwd)
    runs = [timed(cmd, cwd) for _ in range(repeat)]
    walls = [wall for wall, _, _ in runs]
    return statistics.median(walls), min(walls), statistics.median(cpu for _, cpu, _ in runs), runs[-1][2]


def breakdown(corpus: Path, changed: str) -> tuple[dict[str, float], int, int]:
    """Seconds per phase of one scoped run in this process (imports already paid), and the finding counts."""
    sys.path.insert(0, str(REPO_ROOT))
    from compliance.app.api import load_rules
    from compliance.engine.affected import affected_by
    from compliance.engine.evaluate import LintOptions, lint
    from compliance.load.repository import load_repository

    rules = load_rules()
    start = time.perf_counter()
    repo = load_repository(str(corpus))
    loaded = time.perf_counter()
    affected = affected_by(repo, [changed])
    scoped = time.perf_counter()
    findings = lint(repo, rules, LintOptions(affected=affected))
    first = time.perf_counter()
    lint(repo, rules, LintOptions(affected=affected))
    again = time.perf_counter()
    everything = lint(repo, rules)
    full = time.perf_counter()
    phases = {
        "load the whole repository": loaded - start,
        "work out what is affected": scoped - loaded,
        "evaluate the affected contexts": first - scoped,
        "  again, warm (no lazy imports left)": again - first,
        "evaluate everything, warm": full - again,
    }
    return phases, len(findings), len(everything)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--corpus", type=Path, help=f"repository to lint (default: $COMPLIANCE_CORPUS/{DEFAULT_CORPUS})"
    )
    parser.add_argument("--repeat", type=int, default=10, help="measured runs per command (after 1 warm-up)")
    parser.add_argument("--compliance", type=Path, help="compliance script (default: found)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    corpus_root = Path(os.environ.get("COMPLIANCE_CORPUS", REPO_ROOT.parent / "shared" / "corpus"))
    corpus = (args.corpus or corpus_root / DEFAULT_CORPUS).resolve()
    if not corpus.is_dir():
        sys.exit(f"bench: no corpus at {corpus}")
    script, _ = find_compliance(args.compliance)
    print(f"compliance: {script}\ncorpus: {corpus}\nrepeat: {args.repeat} (+1 warm-up)")
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs\n")

    rows: list[tuple[str, str, float, float, float, int]] = []
    commands = [(label, ["lint", "--files", changed]) for label, changed in CHANGES.items()]
    for label, cmd in [*commands, ("full lint", ["lint", "."]), ("startup", ["--version"])]:
        if cmd[1:2] == ["--files"] and not (corpus / cmd[2]).is_file():
            print(f"skipping {label}: {cmd[2]} is not in the corpus")
            continue
        rows.append((label, " ".join(cmd), *measure([script, *cmd], corpus, args.repeat)))

    width = max(len(r[0]) for r in rows)
    print(f"{'change':<{width}}  {'wall med':>8}  {'wall min':>8}  {'CPU med':>7}  exit  command")
    for label, cmd, median, fastest, cpu, code in rows:
        print(f"{label:<{width}}  {median:>8.3f}  {fastest:>8.3f}  {cpu:>7.3f}  {code:>4}  {cmd}")
    overlay = next((r for r in rows if r[0] == "one overlay"), None)
    if overlay is not None:
        figures = f"wall median {overlay[2]:.3f} s, CPU median {overlay[4]:.3f} s"
        verdict = "ok" if overlay[2] <= TARGET_S else "MISS" if overlay[4] > TARGET_S else "MISS on wall time only"
        print(f"\ntarget: one changed overlay <= {TARGET_S} s: {figures}: {verdict}")

    print(f"\nin-process, one overlay ({CHANGES['one overlay']}):")
    phases, scoped_count, full_count = breakdown(corpus, CHANGES["one overlay"])
    for phase, seconds in phases.items():
        print(f"  {phase:<40} {seconds * 1000:8.1f} ms")
    print(f"  findings: {scoped_count} in scope, {full_count} in the whole repository")
    return 0


if __name__ == "__main__":
    sys.exit(main())
