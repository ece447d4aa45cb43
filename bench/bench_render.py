"""Benchmark: rendering every (blueprint, cluster) pair, cold and from the render cache.

Usage: python3 bench/bench_render.py [REPO ...] [--renderer sdk|helm] [--repeat N]

For each repository (default: fixtures/render) it prints, per pair, the best of N cold renders
(Helm only, then Helm plus reading the output into objects), then the whole rendering step as
`compliance lint` runs it (parallel across pairs) with an empty cache and again with the cache
the first run filled, and the same two figures for the whole `compliance lint --select RND,RM`
process. Timings are printed, never judged. Caches live in temporary folders.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from compliance.engine.evaluate import LintOptions, release_contexts
from compliance.load.repository import load_repository
from compliance.render import has_templates, helm_values, missing_dependencies, rendered_contexts
from compliance.render.backends import RenderRequest, choose
from compliance.render.stream import parse_stream

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REPO = ROOT / "fixtures" / "render"


def _best(action: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def _median(action: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def per_pair(repo_dir: Path, renderer_name: str, repeat: int) -> None:
    renderer, why = choose(renderer_name)
    if renderer is None:
        sys.exit(f"bench_render: {why}")
    repo = load_repository(str(repo_dir))
    print(f"{repo_dir}  renderer={renderer.name}")
    print(f"  {'pair (blueprint @ cluster)':<44} {'helm ms':>8} {'+parse ms':>10} {'objects':>8}")
    for context in release_contexts(repo, LintOptions()):
        chart = context.chart
        if chart is None or not has_templates(repo.root, chart) or missing_dependencies(repo.root, chart):
            continue
        release = context.release
        name, namespace = (release.release_name, release.target_namespace) if release else ("release-name", "default")
        request = RenderRequest(
            os.path.join(repo.root, chart.directory), name, namespace, json.dumps(helm_values(context), sort_keys=True)
        )
        renderer.render(request)  # warm: the SDK loads its library and the chart once
        helm = _best(lambda request=request: renderer.render(request), repeat)
        output = renderer.render(request)
        source = chart.chart_file.file
        parsed = _best(lambda output=output, source=source: parse_stream(output.stream, source, False), repeat)
        objects = len(parse_stream(output.stream, source, False).objects) if not output.error else 0
        label = f"{context.name} @ {context.cluster.name if context.cluster else '(defaults)'}"
        state = "  (fails: RND001)" if output.error else ""
        print(f"  {label:<44} {helm * 1000:>8.1f} {(helm + parsed) * 1000:>10.1f} {objects:>8}{state}")


def whole_step(repo_dir: Path, renderer_name: str, repeat: int) -> None:
    repo = load_repository(str(repo_dir))
    contexts = release_contexts(repo, LintOptions())
    with tempfile.TemporaryDirectory(prefix="bench-render-") as cache:
        cold = LintOptions(renderer=renderer_name)
        first = _median(lambda: rendered_contexts(repo, contexts, cold), repeat)
        cached = LintOptions(renderer=renderer_name, cache_dir=cache)
        rendered_contexts(repo, contexts, cached)  # fills the cache
        second = _median(lambda: rendered_contexts(repo, contexts, cached), repeat)
    pairs = sum(1 for c in contexts if c.chart is not None and has_templates(repo.root, c.chart))
    print(f"  rendering step, {pairs} pairs with templates, parallel on {os.cpu_count()} cores:")
    print(f"    no cache      {first * 1000:8.1f} ms   ({first * 1000 / max(pairs, 1):.1f} ms per pair)")
    print(f"    cached rerun  {second * 1000:8.1f} ms   ({second * 1000 / max(pairs, 1):.1f} ms per pair)")


def whole_process(repo_dir: Path, renderer_name: str, repeat: int) -> None:
    command = [sys.executable, "-m", "compliance", "lint", str(repo_dir), "--select", "RND,RM"]
    command += ["--renderer", renderer_name, "--fail-on", "never", "--format", "json"]
    with tempfile.TemporaryDirectory(prefix="bench-render-") as cache:
        env = {**os.environ, "XDG_CACHE_HOME": cache}

        def run(*extra: str) -> None:
            subprocess.run([*command, *extra], env=env, capture_output=True, check=True)

        no_cache = _median(lambda: run("--no-cache"), repeat)
        run()  # fills the cache
        cached = _median(run, repeat)
        none = _median(lambda: subprocess.run([*command[:-6], "--renderer", "none"], capture_output=True), repeat)
    print("  whole `compliance lint --select RND,RM` process (median):")
    print(f"    --no-cache    {no_cache * 1000:8.1f} ms")
    print(f"    cached rerun  {cached * 1000:8.1f} ms")
    print(f"    --renderer none (nothing rendered) {none * 1000:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="*", type=Path, default=[DEFAULT_REPO])
    parser.add_argument("--renderer", default="sdk", choices=("sdk", "helm", "auto"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for repo_dir in args.repos:
        per_pair(repo_dir, args.renderer, args.repeat)
        whole_step(repo_dir, args.renderer, args.repeat)
        whole_process(repo_dir, args.renderer, args.repeat)
        print()


if __name__ == "__main__":
    main()
