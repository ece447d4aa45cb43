#!/usr/bin/env python3
"""Benchmark `compliance whatif` on the newapi corpus `_template` (issue 18; target under 1 s).

Prints the whole process's wall and CPU time (interpreter start, imports, loading the repository once, every
single and pair assignment evaluated), then an in-process split: loading the run, the what-if itself (how
many evaluations). Prints figures and the target; never asserts. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from bench_lint import REPO_ROOT, find_compliance
from bench_precommit import measure

DEFAULT_CORPUS = "openova/newapi-latest"
TARGET_S = 1.0  # the whole `compliance whatif` process


def in_process(corpus: Path, repeat: int) -> tuple[float, float, int, int]:
    """(median s to load the run, median s of the what-if, evaluations, flips) in this process."""
    sys.path.insert(0, str(REPO_ROOT))
    from dataclasses import replace

    from compliance.app.config import run_at
    from compliance.app.run import RunRequest
    from compliance.app.whatifrun import _evaluate, cluster_releases

    loads, whatifs = [], []
    evaluations = flips = 0
    for _ in range(repeat):
        start = time.perf_counter()
        run = run_at(replace(RunRequest(str(corpus)), evaluate=False))
        loaded = time.perf_counter()
        cluster, releases = cluster_releases(run, "_template", None)
        result = _evaluate(run, cluster, releases, 200)
        loads.append(loaded - start)
        whatifs.append(time.perf_counter() - loaded)
        evaluations, flips = result.evaluated, len(result.singles) + len(result.pairs)
    return statistics.median(loads), statistics.median(whatifs), evaluations, flips


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("COMPLIANCE_CORPUS", REPO_ROOT.parent / "shared" / "corpus")) / DEFAULT_CORPUS
    parser.add_argument("--corpus", type=Path, default=default)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not (args.corpus / "clusters" / "_template").is_dir():
        print(f"no clusters/_template under {args.corpus}: set COMPLIANCE_CORPUS or --corpus", file=sys.stderr)
        return 2
    script, interpreter = find_compliance(None)
    cmd = [interpreter, script, "whatif", str(args.corpus), "--cluster", "_template", "--format", "json"]
    wall, fastest, cpu, code = measure(cmd, args.corpus, args.repeat)
    verdict = "within" if wall < TARGET_S else "OVER"
    print(f"compliance whatif {args.corpus.name} --cluster _template ({args.repeat} runs, exit {code})")
    print(f"  whole process: median {wall:.3f} s (min {fastest:.3f} s, CPU {cpu:.3f} s): {verdict} target {TARGET_S} s")
    load, whatif, evaluations, flips = in_process(args.corpus, args.repeat)
    print(f"  in process: load {load:.3f} s, what-if {whatif:.3f} s ({evaluations} evaluations, {flips} flips)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
