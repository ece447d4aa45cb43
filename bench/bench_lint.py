#!/usr/bin/env python3
"""Benchmark `compliance lint` as a whole process against a YAML-parsing floor.

Prints figures and targets; never asserts timings. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = "openova/snapshot-2026-04-30"
NEWAPI = "openova/newapi-latest"
# Issue 15's table: (corpus, scale) -> (ratio target, peak RSS target in MB or None).
# scale 0 is the one-cluster row: the snapshot plus one cluster holding CLUSTER_RELEASES releases.
TARGETS: dict[tuple[str, int], tuple[float, float | None]] = {
    (SNAPSHOT, 1): (2.0, 32.0),
    (SNAPSHOT, 10): (1.5, 48.0),
    (SNAPSHOT, 50): (1.5, 64.0),
    (NEWAPI, 1): (2.5, None),
    (SNAPSHOT, 0): (2.0, None),
}
DEFAULT_PLAN = ((SNAPSHOT, (1, 10, 50)), (NEWAPI, (1,)))
CLUSTER_RELEASES = 2240
CLUSTER_SOURCE = "clusters/otech.omani.works/bootstrap-kit"  # 35 releases: 64 copies make 2,240
RATIO_TARGET = 2.0  # default tool median / floor median for rows not in TARGETS
RSS_TARGET_MB: float | None = None  # default peak RSS target for rows not in TARGETS
STARTUP_TARGET_MS = 150.0  # `compliance --version` minus `python -c pass`

# The floor: walk, read every YAML file, parse it with a line-recording CSafeLoader.
# Prints "<files> <documents> <parse errors>" so the bench can show what was covered.
FLOOR_CODE = """
import os, sys, yaml

class LineLoader(yaml.CSafeLoader):
    def __init__(self, stream):
        super().__init__(stream)
        self.key_lines = []  # (key, 1-based line) for every mapping key

    def construct_mapping(self, node, deep=False):
        self.key_lines.extend((k.value, k.start_mark.line + 1) for k, _ in node.value)
        return super().construct_mapping(node, deep=deep)

files = docs = errors = 0
for root, dirs, names in os.walk(sys.argv[1]):
    dirs.sort()
    for name in sorted(names):
        if not name.endswith((".yaml", ".yml")):
            continue
        files += 1
        with open(os.path.join(root, name), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        try:
            for _ in yaml.load_all(text, Loader=LineLoader):
                docs += 1
        except yaml.YAMLError:
            errors += 1
print(files, docs, errors)
"""


# Spawns and reaps one command; writes "<wall s> <ru_maxrss> <exit code>" to argv[1].
# A child's ru_maxrss includes its spawner's RSS at spawn time (Linux accounts the
# pre-exec mm), so the spawner is this bare `python -S` (~8 MB), not the bench process.
WRAPPER_CODE = """
import os, sys, time
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(sys.argv[1], "w") as fh:
    fh.write(f"{wall!r} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


@dataclass
class Run:
    seconds: float
    rss_mb: float
    exit_code: int
    stdout: str
    stderr: str


@dataclass
class Row:
    corpus: str
    scale: int  # copies of the corpus; 0 = one cluster with `releases` releases
    releases: int = 0
    ratio_target: float = RATIO_TARGET
    rss_target_mb: float | None = RSS_TARGET_MB
    yaml_files: int = 0
    floor_docs: int = 0
    floor_parse_errors: int = 0
    floor_median_s: float | None = None
    floor_min_s: float | None = None
    floor_rss_mb: float | None = None
    tool_median_s: float | None = None
    tool_min_s: float | None = None
    tool_rss_mb: float | None = None
    ratio: float | None = None
    status: str = "ok"
    error: str = ""
    floor_samples: list[float] = field(default_factory=list)
    tool_samples: list[float] = field(default_factory=list)


def run_measured(cmd: Sequence[str], python: str, cwd: Path | None = None) -> Run:
    """Run `cmd` under WRAPPER_CODE; wall time and the child's own peak RSS."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".txt") as result,
    ):
        wrapper = [python, "-S", "-c", WRAPPER_CODE, result.name, *cmd]
        subprocess.run(wrapper, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=cwd)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
        fields = result.read().split()
        if len(fields) != 3:  # the wrapper itself failed (e.g. command not found)
            return Run(0.0, 0.0, 127, stdout, stderr)
        kb = float(fields[1]) / (1024 if sys.platform == "darwin" else 1)  # darwin: bytes
        return Run(float(fields[0]), kb / 1024, int(fields[2]), stdout, stderr)


def find_compliance(override: Path | None = None) -> tuple[str, str]:
    """Return (compliance script, its interpreter), bypassing pyenv-style bash shims."""
    candidates = [override] if override else [Path(sys.executable).parent / "compliance"]
    found = shutil.which("compliance")
    if found and not override:
        candidates.append(Path(found))
    for script in candidates:
        if not script.is_file():
            continue
        with open(script, "rb") as fh:
            first = fh.readline().decode(errors="replace").strip()
        if first.startswith("#!") and "python" in first:
            interpreter = first[2:].strip().split()[0]
            if Path(interpreter).is_file():
                return str(script), interpreter
    sys.exit("bench: no python `compliance` script found (install the project editable)")


def build_scaled(src: Path, dest: Path, n: int) -> None:
    """N copies of the corpus as ONE repository: blueprints and clusters get a -copyK suffix."""
    for entry in sorted(src.iterdir()):
        if entry.name in ("platform", "clusters") and entry.is_dir():
            (dest / entry.name).mkdir(parents=True)
            for k in range(1, n + 1):
                suffix = "" if k == 1 else f"-copy{k}"
                for item in sorted(entry.iterdir()):
                    target = dest / entry.name / f"{item.name}{suffix}"
                    if item.is_dir():
                        shutil.copytree(item, target)
                    else:
                        shutil.copy2(item, target)
        elif entry.is_dir():
            shutil.copytree(entry, dest / entry.name)  # scripts/ etc.: kept once
        else:
            shutil.copy2(entry, dest / entry.name)


_NAME_RE = re.compile(r"(name: *)(bp-[A-Za-z0-9-]+)")
# Every other object's own name (a Namespace, a Secret) too: two objects with one identity fail the cluster's
# kustomize build (FLX003), and the row would measure a build that stops at the first copy.
_OBJECT_NAME_RE = re.compile(r"(\n  name: *)((?!bp-)[A-Za-z0-9.-]+)")


def rename_copy(text: str, k: int) -> str:
    """One bootstrap-kit file renamed for copy `k`: `bp-*` names (releases, dependsOn) and object names."""
    return _OBJECT_NAME_RE.sub(rf"\g<1>\g<2>-k{k}", _NAME_RE.sub(rf"\g<1>\g<2>-k{k}", text))


def build_big_cluster(src: Path, dest: Path, releases: int) -> int:
    """The corpus once, plus `clusters/bench-one-cluster/` holding copies of CLUSTER_SOURCE until it has
    about `releases` HelmReleases; each copy renames its `bp-*` names (releases, dependsOn, sources)
    with a `-kK` suffix, so every copy is a consistent bootstrap kit in the same cluster. Returns the
    number of releases in that cluster."""
    build_scaled(src, dest, 1)
    kit = src / CLUSTER_SOURCE
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(kit.glob("*.yaml"))}
    per_copy = sum(t.count("kind: HelmRelease") for t in texts.values())
    if per_copy == 0:
        sys.exit(f"bench: no HelmRelease under {kit}")
    copies = max(1, round(releases / per_copy))
    for k in range(1, copies + 1):
        target = dest / "clusters" / "bench-one-cluster" / f"kit-{k}"
        target.mkdir(parents=True)
        for name, text in texts.items():
            (target / name).write_text(rename_copy(text, k), encoding="utf-8")
    return copies * per_copy


def tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def bench_one(
    corpus: Path, scale: int, repeat: int, script: str, python: str, label: str, releases: int = CLUSTER_RELEASES
) -> Row:
    ratio_target, rss_target = TARGETS.get((label, scale), (RATIO_TARGET, RSS_TARGET_MB))
    row = Row(corpus=label, scale=scale, ratio_target=ratio_target, rss_target_mb=rss_target)
    with tempfile.TemporaryDirectory(prefix="compliance-bench-") as tmp:
        repo = Path(tmp) / "repo"
        if scale == 0:
            row.releases = build_big_cluster(corpus, repo, releases)
        else:
            build_scaled(corpus, repo, scale)
        report = Path(tmp) / "report.json"
        floor_cmd = [python, "-c", FLOOR_CODE, str(repo)]
        tool_cmd = [
            script, "lint", str(repo), "--format", "json",
            "--output", str(report), "--fail-on", "never",
        ]  # fmt: skip

        def tool_ok(run: Run) -> bool:
            if run.exit_code != 0:
                row.error = f"exit {run.exit_code}: {tail(run.stderr)}"
                return False
            try:
                json.loads(report.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                row.error = f"no valid JSON report: {exc}"
                return False
            return True

        floor_warm = run_measured(floor_cmd, python, cwd=Path(tmp))
        if floor_warm.exit_code != 0:
            row.status, row.error = "FLOOR FAILED", tail(floor_warm.stderr)
            return row
        files, docs, errors = (int(x) for x in floor_warm.stdout.split())
        row.yaml_files, row.floor_docs, row.floor_parse_errors = files, docs, errors
        tool_alive = tool_ok(run_measured(tool_cmd, python, cwd=Path(tmp)))

        floor_rss: list[float] = []
        tool_rss: list[float] = []
        for _ in range(repeat):  # interleaved so drift hits both equally
            f = run_measured(floor_cmd, python, cwd=Path(tmp))
            row.floor_samples.append(f.seconds)
            floor_rss.append(f.rss_mb)
            if tool_alive:
                report.unlink(missing_ok=True)
                t = run_measured(tool_cmd, python, cwd=Path(tmp))
                tool_alive = tool_ok(t)
                if tool_alive:
                    row.tool_samples.append(t.seconds)
                    tool_rss.append(t.rss_mb)

    row.floor_median_s = statistics.median(row.floor_samples)
    row.floor_min_s = min(row.floor_samples)
    row.floor_rss_mb = max(floor_rss)
    if not tool_alive:
        row.status = "FAILED"
        row.tool_samples.clear()
        return row
    row.tool_median_s = statistics.median(row.tool_samples)
    row.tool_min_s = min(row.tool_samples)
    row.tool_rss_mb = max(tool_rss)
    row.ratio = row.tool_median_s / row.floor_median_s
    return row


def bench_startup(script: str, python: str, repeat: int) -> dict[str, object]:
    bare_cmd, version_cmd = [python, "-c", "pass"], [script, "--version"]
    for cmd in (bare_cmd, version_cmd):  # warm-up
        run_measured(cmd, python)
    bare: list[Run] = []
    version: list[Run] = []
    for _ in range(repeat):  # interleaved so drift hits both equally
        bare.append(run_measured(bare_cmd, python))
        version.append(run_measured(version_cmd, python))
    failed = next((r for r in bare + version if r.exit_code != 0), None)
    bare_s = statistics.median(r.seconds for r in bare)
    version_s = statistics.median(r.seconds for r in version)
    return {
        "python_pass_ms": bare_s * 1000,
        "compliance_version_ms": version_s * 1000,
        "difference_ms": (version_s - bare_s) * 1000,
        "target_ms": STARTUP_TARGET_MS,
        "error": tail(failed.stderr) if failed else "",
    }


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("ok" if ok else "MISS")


def scale_label(row: Row) -> str:
    return f"1 cluster, {row.releases} releases" if row.scale == 0 else f"{row.scale}x"


def print_table(rows: list[Row]) -> None:
    head = (
        f"{'corpus':<28}{'scale':>26}{'files':>7}{'errs':>5}{'floor med':>11}{'floor min':>11}"
        f"{'tool med':>10}{'tool min':>10}{'ratio':>7}  {'target':<11}"
        f"{'RSS MB':>7}  {'target':<10}{'floor MB':>8}  status"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        ratio_ok = None if r.ratio is None else r.ratio <= r.ratio_target
        rss_ok = None if r.tool_rss_mb is None or r.rss_target_mb is None else r.tool_rss_mb <= r.rss_target_mb
        rss_target = "-" if r.rss_target_mb is None else f"<={r.rss_target_mb:.0f} {verdict(rss_ok)}"
        ratio_target = f"<={r.ratio_target:.1f} {verdict(ratio_ok)}"
        print(
            f"{r.corpus:<28}{scale_label(r):>26}{r.yaml_files:>7}{r.floor_parse_errors:>5}"
            f"{fmt(r.floor_median_s, '.3f'):>11}{fmt(r.floor_min_s, '.3f'):>11}"
            f"{fmt(r.tool_median_s, '.3f'):>10}{fmt(r.tool_min_s, '.3f'):>10}"
            f"{fmt(r.ratio, '.2f'):>7}  {ratio_target:<11}"
            f"{fmt(r.tool_rss_mb, '.1f'):>7}  {rss_target:<10}"
            f"{fmt(r.floor_rss_mb, '.1f'):>8}  {r.status}"
        )
    errors: dict[str, list[str]] = {}  # identical failures printed once
    for r in rows:
        if r.error:
            errors.setdefault(r.error, []).append(f"{r.corpus} {r.scale}x {r.status}")
    for error, where in errors.items():
        print(f"\n[{'; '.join(where)}]\n{error}")
    print("\nerrs = YAML files the floor could not parse (e.g. Helm templates); times in s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", action="append", type=Path, help="corpus dir (repeatable; default: openova)")
    parser.add_argument("--repeat", type=int, default=5, help="measured runs (after 1 warm-up)")
    parser.add_argument("--scales", help="comma-separated copy counts (default: issue 15's rows)")
    parser.add_argument(
        "--cluster-releases", type=int, default=CLUSTER_RELEASES, help="one-cluster row size (0: skip the row)"
    )
    parser.add_argument("--startup-repeat", type=int, default=20, help="runs for startup medians")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--compliance", type=Path, help="compliance script (default: found)")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.startup_repeat < 1:
        parser.error("repeats must be >= 1")
    scales = [int(s) for s in args.scales.split(",") if s.strip()] if args.scales else None
    corpus_root = Path(os.environ.get("COMPLIANCE_CORPUS", REPO_ROOT.parent / "shared" / "corpus"))
    plan: list[tuple[Path, list[int]]]
    if args.corpus:
        plan = [(c, scales or [1, 10, 50]) for c in args.corpus]
    else:
        plan = [(corpus_root / c, scales or list(s)) for c, s in DEFAULT_PLAN]
        if args.cluster_releases > 0:
            plan.append((corpus_root / SNAPSHOT, [0]))
    script, python = find_compliance(args.compliance)
    print(f"compliance: {script}\ninterpreter: {python}\nrepeat: {args.repeat} (+1 warm-up)\n")

    startup = bench_startup(script, python, args.startup_repeat)
    diff = float(startup["difference_ms"])  # type: ignore[arg-type]
    print(
        f"startup (median of {args.startup_repeat}): python -c pass "
        f"{startup['python_pass_ms']:.1f} ms, compliance --version "
        f"{startup['compliance_version_ms']:.1f} ms, difference {diff:.1f} ms "
        f"(target <= {STARTUP_TARGET_MS:.0f} ms: {verdict(diff <= STARTUP_TARGET_MS)})"
    )
    if startup["error"]:
        print(f"startup command failed:\n{startup['error']}")
    print()

    rows: list[Row] = []
    for corpus, corpus_scales in plan:
        corpus = corpus.resolve()
        if not corpus.is_dir():
            print(f"skipping missing corpus: {corpus}")
            continue
        label = "/".join(corpus.parts[-2:])
        for scale in corpus_scales:
            print(f"... {label} {scale or 'one cluster'}", file=sys.stderr, flush=True)
            rows.append(bench_one(corpus, scale, args.repeat, script, python, label, args.cluster_releases))
    print_table(rows)

    if args.json:
        doc = {
            "meta": {
                "compliance": script,
                "interpreter": python,
                "platform": platform.platform(),
                "repeat": args.repeat,
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            },
            "targets": {"startup_ms": STARTUP_TARGET_MS},
            "startup": startup,
            "rows": [asdict(r) for r in rows],
        }
        args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
