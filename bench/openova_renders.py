"""How many of the openova corpus's charts render with a chart cache of stub dependency archives.

Usage: COMPLIANCE_CORPUS=... python3 bench/openova_renders.py [--renderer sdk|helm]

The cache is built here, in a temporary folder: for every dependency a chart declares that neither its
`charts/` nor a `file://` folder provides, a stub archive `<name>-<version>.tgz` (a Chart.yaml, empty
values, no templates), the version from Chart.lock or Chart.yaml, as `helm dependency build` would leave
the real one. Nothing is downloaded. It prints the count of charts that render and, for the rest, why
(the first line of each chart's RND finding). Printed, never judged.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

from compliance.app.api import lint_path
from compliance.load.repository import load_repository
from compliance.render import has_templates
from compliance.render.dependencies import _locked, declared, provided

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
        locked = _locked(repo.root, chart)
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
        run = lint_path(root, renderer=args.renderer, chart_cache=cache, select=("RND",))
    charts = [c for c in run.repo.charts if has_templates(run.repo.root, c)]
    why: dict[str, str] = {}
    for finding in sorted(run.findings, key=lambda f: (f.location.path, f.location.line)):
        if finding.rule not in ("RND001", "RND002", "RND004"):
            continue
        chart = max((c for c in charts if finding.location.path.startswith(c.directory + "/")),
                    key=lambda c: len(c.directory), default=None)  # fmt: skip
        if chart is not None:
            why.setdefault(chart.directory, f"{finding.rule}: {finding.message.splitlines()[0][:160]}")
    rendered = [c for c in charts if c.directory not in why]
    print(f"charts: {len(run.repo.charts)}, with templates: {len(charts)}, stub archives made: {stubs}")
    wrappers = [c for c in run.repo.charts if c not in charts]
    print(f"render: {len(rendered)} of {len(run.repo.charts)} ({', '.join(c.directory for c in rendered)})")
    print(f"no templates of their own (wrappers of an upstream chart; with stub archives nothing to render): "
          f"{len(wrappers)}, of which declare dependencies: {sum(1 for c in wrappers if declared(c))}")  # fmt: skip
    for directory, reason in sorted(why.items()):
        print(f"  {directory}: {reason}")
    kinds = Counter(reason.split(":")[0] for reason in why.values())
    print("not rendering, by rule:", dict(kinds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
