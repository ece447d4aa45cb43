#!/usr/bin/env python3
"""Benchmark: the cost of 20 declarative policies (YAML + CEL) on the 10x corpus, against the same run without.

Usage: python3 bench/bench_policies.py [--corpus DIR] [--scale 10] [--repeat 3] [--whole-values]
       python3 bench/bench_policies.py --load [--repeat 5]

Builds the scaled corpus as bench_lint.py does (one repository, blueprints and clusters copied N times) and
writes 20 policies (14 release, 4 blueprint, 2 repository scope: has() guards, comparisons, macros over
channel lists, regular expressions, string extensions) to a temporary folder outside it. `--whole-values`
makes one of them read all of `values`: every release's whole values are then converted to CEL, instead
of the parts the policies read. Then it runs `compliance lint --renderer none --format json` as a whole
process with and without `--rules` that folder, and prints the median CPU seconds (user + system: the
machine may be shared) and wall seconds of each, the CPU difference, and how many findings the policies
produced. Prints figures; asserts nothing (not a test).

`--load` measures what loading the same 20 policies costs, with and without the static type check
(`compliance.policy.celtypes`, switched off for the baseline by replacing the loader's call to it): in a
fresh process each time, the first load (importing the engine and the checker, compiling and checking
every expression) and then the mean of 20 more loads in that process (compiling and checking only),
in CPU time of the process (the machine may be shared); median of `--repeat` processes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lint import build_scaled, find_compliance


@dataclass
class Measured:
    seconds: float  # wall
    cpu: float  # user + system of the process: what the policies cost, whatever else runs on the machine
    exit_code: int
    stdout: str
    stderr: str


def measured(cmd: list[str]) -> Measured:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measured(wall, cpu, done.returncode, done.stdout, done.stderr)


RELEASE = [
    ("has(values.audit)", "values.audit.enabled == true"),
    ("has(values.audit) && has(values.audit.retentionDays)", "values.audit.retentionDays >= 90"),
    ("has(values.byok)", "has(values.byok.scope) && values.byok.scope in ['request-scoped', 'never']"),
    ("has(values.channels)", "values.channels.all(c, has(c.name) && c.name != '')"),
    ("has(values.channels)", "values.channels.all(c, !has(c.endpoint) || c.endpoint.startsWith('https://'))"),
    ("has(values.channels)", "values.channels.filter(c, has(c.enabled) && c.enabled == true).size() <= 50"),
    ("has(values.ingress) && has(values.ingress.host)", "!values.ingress.host.endsWith('.local')"),
    ("has(values.image) && has(values.image.tag)", "values.image.tag != 'latest'"),
    ("has(values.replicaCount)", "values.replicaCount >= 1"),
    ("has(values.resources)", "has(values.resources.limits) || has(values.resources.requests)"),
    ("has(values.geo)", "has(values.geo.sanctionedRegions)"),
    ("has(values.aup)", "has(values.aup.enforcement) && values.aup.enforcement != 'off'"),
    ("true", "!has(values.debug) || values.debug == false"),
    ("has(values.nameOverride)", "values.nameOverride.size() < 64"),
]
BLUEPRINT = [
    "has(blueprint.metadata.name) && blueprint.metadata.name.matches('^[a-z0-9-]+$')",
    "!has(blueprint.spec) || !has(blueprint.spec.version) || string(blueprint.spec.version).size() > 0",
    "chart == null || !has(chart.name) || chart.name.lowerAscii() == chart.name",
    "!has(blueprint.spec) || !has(blueprint.spec.card) || has(blueprint.spec.card.title)",
]
REPOSITORY = ["clusters.size() < 100000", "blueprints.all(b, has(b.metadata))"]


def policy(index: int, scope: str, expression: str, match: str = "true") -> str:
    return (
        "apiVersion: compliance.policy/v1\nkind: Policy\n"
        f"metadata: {{id: BENCH{index:03d}, title: bench policy {index}, severity: warning, family: bench}}\n"
        f"spec:\n  scope: {scope}\n  match: {json.dumps(match)}\n"
        f"  validations:\n    - expression: {json.dumps(expression)}\n      message: bench policy {index}\n"
    )


def write_policies(folder: Path, whole_values: bool = False) -> int:
    release = [*RELEASE[:-1], ("true", "size(values) < 10000")] if whole_values else RELEASE
    texts = [policy(i, "release", e, m) for i, (m, e) in enumerate(release, 1)]
    texts += [policy(len(texts) + i, "blueprint", e) for i, e in enumerate(BLUEPRINT, 1)]
    texts += [policy(len(texts) + i, "repository", e) for i, e in enumerate(REPOSITORY, 1)]
    for number, text in enumerate(texts, 1):
        (folder / f"bench-{number:02d}.yaml").write_text(text)
    return len(texts)


_LOAD = """
import sys, time
from compliance.policy import document
if sys.argv[2] == "off":
    document._Compiler._check_types = lambda *args: None
from compliance.app.api import load_registry
start = time.process_time()
load_registry([sys.argv[1]])
first = time.process_time() - start
start = time.process_time()
for _ in range(20):
    load_registry([sys.argv[1]])
print(first, (time.process_time() - start) / 20)
"""


def load_cost(repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        count = write_policies(Path(tmp))
        figures: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
        for _ in range(repeat):
            for mode in figures:
                done = subprocess.run(
                    [sys.executable, "-c", _LOAD, tmp, mode], capture_output=True, text=True, check=True
                )
                first, again = map(float, done.stdout.split())
                figures[mode].append((first, again))
    print(f"loading {count} policies (CPU time); median of {repeat} processes")
    median = {m: tuple(statistics.median(f[i] for f in runs) for i in (0, 1)) for m, runs in figures.items()}
    for mode, label in (("off", "without the type check"), ("on", "with the type check")):
        first, again = median[mode]
        print(f"  {label:23}  first load {1000 * first:7.1f} ms   again {1000 * again:6.2f} ms")
    extra = [1000 * (median["on"][i] - median["off"][i]) for i in (0, 1)]
    print(f"  the type check adds     first load {extra[0]:+7.1f} ms   again {extra[1]:+6.2f} ms")


def main() -> None:
    corpus_root = Path(os.environ.get("COMPLIANCE_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=corpus_root / "openova" / "snapshot-2026-04-30")
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--whole-values", action="store_true", help="one policy reads all of values")
    parser.add_argument("--load", action="store_true", help="only the cost of loading the policies")
    args = parser.parse_args()
    if args.load:
        load_cost(args.repeat)
        return
    script, _ = find_compliance()
    with tempfile.TemporaryDirectory() as tmp:
        scaled, policies = Path(tmp) / "corpus", Path(tmp) / "policies"
        scaled.mkdir()
        policies.mkdir()
        build_scaled(args.corpus, scaled, args.scale)
        count = write_policies(policies, args.whole_values)
        base = [script, "lint", str(scaled), "--renderer", "none", "--format", "json", "--fail-on", "never"]
        runs: dict[str, list[Measured]] = {"without": [], "with": []}
        for _ in range(args.repeat + 1):  # the first round warms the file cache
            runs["without"].append(measured(base))
            runs["with"].append(measured([*base, "--rules", str(policies)]))
        for label, runs_of in runs.items():
            if any(r.exit_code != 0 for r in runs_of):
                sys.exit(f"bench: lint {label} policies failed: {runs_of[-1].stderr.strip()[-400:]}")
        found = json.loads(runs["with"][-1].stdout)["findings"]
        bench = sum(1 for f in found if f["rule"].startswith("BENCH"))
        whole = " (one reads all of values)" if args.whole_values else ""
        print(f"corpus {args.corpus.name} x{args.scale}; {count} policies{whole}; median of {args.repeat} runs")
        cpu = {}
        for label, runs_of in runs.items():
            kept = runs_of[1:]
            cpu[label] = statistics.median(r.cpu for r in kept)
            wall = statistics.median(r.seconds for r in kept)
            print(f"  lint {label:7} policies  CPU {cpu[label]:6.2f} s   wall {wall:6.2f} s")
        extra = cpu["with"] - cpu["without"]
        print(f"  cost of the policies   CPU {extra:+6.2f} s ({100 * extra / cpu['without']:+.0f} %)")
        print(f"  findings of the policies: {bench}")


if __name__ == "__main__":
    main()
