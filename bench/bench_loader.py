"""Benchmark: compliance.yaml.load_yaml vs PyYAML's C loader on a corpus of YAML files.

Usage: python3 bench/bench_loader.py [CORPUS_DIR] [--repeat N]

Files are read into memory first; only parsing is timed (best of N rounds). Two floors are shown:
``yaml.load`` (what the linter's budget is defined against; it stops after the first document of
a multi-document file) and ``yaml.load_all`` (the same work as ours: every document).
``load_manifest`` (kustomize-controller's typing, used for Flux/Kubernetes manifests) is timed on the
same files for comparison; values files keep ``load_yaml``'s hot loop.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from compliance.yaml import load_manifest, load_yaml

DEFAULT_CORPUS = "/work/shared/corpus/openova/snapshot-2026-04-30"


def _plain_load(text: str) -> None:
    with contextlib.suppress(yaml.YAMLError):  # a few corpus files are Go templates
        yaml.load(text, Loader=yaml.CSafeLoader)


def _plain_load_all(text: str) -> None:
    with contextlib.suppress(yaml.YAMLError):
        for _ in yaml.load_all(text, Loader=yaml.CSafeLoader):
            pass


def _ours(text: str) -> None:
    load_yaml(text)


def _manifest(text: str) -> None:
    load_manifest(text)


def _ours_all_marks(text: str) -> None:
    # Positions are materialised lazily; this variant pays for reading every one of them.
    for doc in load_yaml(text).documents:
        for _ in doc.positions.values():
            pass


def _best(fn: Callable[[str], None], texts: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            fn(text)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    files = sorted(Path(args.corpus).rglob("*.yaml"))
    texts = [f.read_text(encoding="utf-8") for f in files]
    size = sum(len(t.encode("utf-8")) for t in texts)
    print(f"{len(files)} files, {size / 1e6:.2f} MB from {args.corpus}")

    # Interleave rounds so CPU frequency drift hits all three alike.
    results: dict[str, float] = {}
    for _ in range(3):
        for name, fn in (
            ("load", _plain_load),
            ("load_all", _plain_load_all),
            ("ours", _ours),
            ("ours_marks", _ours_all_marks),
            ("manifest", _manifest),
        ):
            t = _best(fn, texts, max(1, args.repeat // 3))
            results[name] = min(results.get(name, float("inf")), t)

    ours = results["ours"]
    print(f"yaml.load(CSafeLoader)     {results['load'] * 1e3:8.1f} ms")
    print(f"yaml.load_all(CSafeLoader) {results['load_all'] * 1e3:8.1f} ms")
    print(f"load_yaml                  {ours * 1e3:8.1f} ms")
    print(f"load_yaml + every Mark     {results['ours_marks'] * 1e3:8.1f} ms")
    print(f"load_manifest              {results['manifest'] * 1e3:8.1f} ms")
    print(f"ratio vs load      {ours / results['load']:.2f}x")
    print(f"ratio vs load_all  {ours / results['load_all']:.2f}x")
    print(f"with every Mark read: {results['ours_marks'] / results['load']:.2f}x vs load")
    print(f"load_manifest: {results['manifest'] / results['load']:.2f}x vs load")


if __name__ == "__main__":
    main()
