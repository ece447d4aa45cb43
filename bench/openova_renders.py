"""How many of the openova corpus's charts render with a chart cache of stub dependency archives.

Usage: COMPLIANCE_CORPUS=... python3 bench/openova_renders.py [--renderer sdk|helm]

The cache is built here, in a temporary folder: for every dependency a chart declares that neither its
`charts/` nor a `file://` folder provides, a stub archive `<name>-<version>.tgz` (a Chart.yaml, empty
values, no templates), the version from Chart.lock or Chart.yaml, as `helm dependency build` would leave
the real one. Nothing is downloaded. It prints how many charts render with output, render empty (a wrapper
whose only content is a stubbed upstream chart: Helm renders it, and the stub has no template), are refused
(and why), miss a dependency, or have nothing to render. Printed, never judged.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

from compliance.load.repository import load_repository
from compliance.render.dependencies import declared, locked_versions, provided

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's tests/ helpers
from tests.helpers import archive

SNAPSHOT = "openova/snapshot-2026-04-30"


def stub_archive(name: str, version: str) -> bytes:
    return archive(name, {"Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: {version}\n", "values.yaml": "{}\n"})


def build_cache(root: str, cache: str) -> int:
    """Stub archives for every dependency nothing in the repository provides; returns how many."""
    repo = load_repository(root)
    made = 0
    for chart in repo.charts:
        missing = {index for index, _ in provided(repo.root, chart, None)[1]}
        locked = locked_versions(repo.root, chart)
        for index, dependency in declared(chart):
            if index not in missing:
                continue
            name = dependency["name"]
            version = locked.get(name, str(dependency.get("version", "0.0.0")))
            path = os.path.join(cache, f"{name}-{version}.tgz")
            if not os.path.exists(path):
                with open(path, "wb") as handle:
                    handle.write(stub_archive(name, version))
                made += 1
    return made


def outcomes(root: str, cache: str, renderer: str) -> dict[str, tuple[str, str]]:
    """Per chart folder: what rendering made of it with the stub cache (compliance.render.chart_outcomes)."""
    from compliance.engine.evaluate import LintOptions, release_contexts
    from compliance.render import chart_outcomes, rendered_contexts

    repo = load_repository(root)
    options = LintOptions(renderer=renderer, chart_cache=cache)
    return chart_outcomes(repo, rendered_contexts(repo, release_contexts(repo, options), options))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--renderer", default="sdk")
    args = parser.parse_args()
    corpus = os.environ.get("COMPLIANCE_CORPUS")
    if not corpus:
        print("COMPLIANCE_CORPUS is not set", file=sys.stderr)
        return 2
    root = os.path.join(corpus, SNAPSHOT)
    with tempfile.TemporaryDirectory(prefix="openova-chart-cache-") as cache:
        stubs = build_cache(root, cache)
        found = outcomes(root, cache, args.renderer)
    print(f"charts: {len(found)}, stub archives made: {stubs}")
    counts = Counter(state for state, _ in found.values())
    for state, count in counts.most_common():
        print(f"{state}: {count}")
        for directory, (shown, why) in sorted(found.items()):
            if shown == state and state != "rendered empty":
                print(f"  {directory}: {why[:160]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
