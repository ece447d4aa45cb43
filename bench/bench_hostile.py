"""Benchmark: time and peak memory of loading hostile inputs stay bounded.

Usage: python3 bench/bench_hostile.py [--lint] [--render [--render-timeout S]] [--only NAME]

Each input is written to a temporary folder and loaded in its own subprocess (so one input's memory
cannot hide another's): the wall-clock seconds and the child's peak RSS are printed, with what the
loader made of it. `--lint` runs the whole `compliance lint` on a copy of fixtures/clean holding the
input instead. The first row is the floor: a child that imports the loader and reads an empty file.

A second table lints whole hostile repositories (a copy of fixtures/clean changed by each case, with
`--renderer none`): many files that each fit the per-file limits (the run's total budget), and
hostile configSchemas (catastrophic patterns, a `$ref` to a FIFO).

`--render` adds the render rows: `compliance lint --renderer sdk` on a chart whose template loops or
allocates without end, under the default render bounds (`--render-timeout` to shorten the wait).
Seconds and peak RSS include the render worker (the child waits for it). The first render row is the
floor: a chart with one trivial template.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024


def _alias_bomb() -> bytes:
    return (ROOT / "fixtures" / "hostile" / "alias-bomb.yaml").read_bytes()


def _small_bomb() -> bytes:
    """Far below the node limit alone; two thousand of them in one file are not."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 5)]
    return ("\n".join(lines) + "\n").encode()


def _deep_block_map(levels: int) -> bytes:
    return "".join(" " * i + f"k{i}:\n" for i in range(levels)).encode()


# name -> how to make it (large inputs are generated, never committed)
INPUTS: dict[str, Callable[[], bytes]] = {
    "empty (floor)": lambda: b"",
    "alias bomb (10^9 nodes)": _alias_bomb,
    "2 000 small bombs (10^5 each)": lambda: b"---\n".join([_small_bomb()] * 2_000),
    "deep and wide (400 x 100 000)": lambda: b"[" * 400 + b"1, " * 100_000 + b"1" + b"]" * 400,
    "flow seq, 100 000 deep": lambda: b"[" * 100_000 + b"]" * 100_000,
    "flow map, 100 000 deep": lambda: b"{a: " * 100_000 + b"}" * 100_000,
    "block seq, 100 000 deep": lambda: b"- " * 100_000 + b"x\n",
    "block map, 1 500 deep": lambda: _deep_block_map(1_500),
    "2 000 docs, 1 001 deep each": lambda: b"---\n".join([b"[" * 1_001 + b"]" * 1_001 + b"\n"] * 2_000),
    "long line, 9 MiB scalar": lambda: b"key: " + b"x" * (9 * MiB) + b"\n",
    "long line, 999 990 items": lambda: b"[" + b"1," * 999_990 + b"1]\n",
    "1 000 001 items (node cap)": lambda: b"[" + b"1," * 1_000_000 + b"1]\n",
    "100 000 documents": lambda: b"---\na: 1\n" * 100_000,
    "over the size cap (10 MiB+1)": lambda: b"#" * (10 * MiB + 1),
    "binary, 9 MiB": lambda: os.urandom(9 * MiB),
    "NUL bytes, 9 MiB": lambda: b"a: " + b"\x00" * (9 * MiB),
    "aliases over duplicate keys": lambda: (
        ROOT / "fixtures/hostile/regressions/alias-bomb-with-duplicate-keys.yaml"
    ).read_bytes(),
    "merge keys, 5 000 anchors": lambda: b"".join(
        f"m{i}: &m{i}\n  <<: *m{i - 1}\n  k{i}: {i}\n".encode() if i else b"m0: &m0\n  k0: 0\n" for i in range(5_000)
    ),
}


def _many_files(count: int, nodes: int) -> Callable[[Path], None]:
    def make(repo: Path) -> None:
        bulk = repo / "bulk"
        bulk.mkdir()
        for index in range(count):
            (bulk / f"{index:02}.yaml").write_bytes(b"[" + b"1," * (nodes - 1) + b"1]\n")

    return make


def _schema(schema: dict[str, object], values: bytes) -> Callable[[Path], None]:
    def make(repo: Path) -> None:
        card = repo / "platform" / "cnpg" / "blueprint.yaml"
        card.write_text(card.read_text() + "  configSchema: " + json.dumps(schema) + "\n")
        (repo / "platform" / "cnpg" / "chart" / "values.yaml").write_bytes(b"replicas: 1\n" + values)

    return make


def _fifo_ref(repo: Path) -> None:
    fifo = repo.parent / "schema.fifo"
    if not fifo.exists():
        os.mkfifo(fifo)
    _schema({"properties": {"replicas": {"$ref": fifo.as_uri()}}}, b"")(repo)


EVIL = "^(a+)+$"  # exponential in a backtracking engine on "aaaa...!"
LONG = b"a" * 1_000_000 + b"!"
RUNS: dict[str, Callable[[Path], None]] = {
    "clean (floor)": lambda repo: None,
    "10 files x 1M nodes (2 MiB each)": _many_files(10, 999_990),
    "60 files x 1M nodes (2 MiB each)": _many_files(60, 999_990),
    "pattern ^(a+)+$ vs 1M a's + !": _schema({"properties": {"name": {"pattern": EVIL}}}, b"name: " + LONG + b"\n"),
    "patternProperties, 1M-char key": _schema(
        {"patternProperties": {EVIL: {"type": "integer"}}, "additionalProperties": False},
        b"? " + LONG + b"\n: 1\n",
    ),
    "$ref to a FIFO": _fifo_ref,
}

CHART = "apiVersion: v2\nname: hostile\nversion: 0.1.0\n"
# name -> template (rendered by the SDK worker under the render bounds: RND004 beyond them)
RENDER_INPUTS: dict[str, str] = {
    "render: trivial (floor)": "{{/* nothing */}}\n",
    "render: 3 nested until 10000": (
        "{{- range until 10000 }}{{ range until 10000 }}{{ range until 10000 }}{{ end }}{{ end }}{{ end }}\n"
    ),
    "render: randBytes 1e11": "data: {{ randBytes 100000000000 | quote }}\n",
    "render: 200 MB of output": 'data: {{ repeat 200000000 "x" | quote }}\n',
    "render: fail with .git/config": '{{ fail (.Files.Get ".git/config") }}\n',
}

LOAD = """
import sys
from compliance.yaml import load_yaml
with open(sys.argv[1], "rb") as handle:
    loaded = load_yaml(handle.read())
codes = sorted({p.code for p in loaded.problems})
print(f"{len(loaded.documents)} docs, problems: {', '.join(codes) or 'none'}")
"""


def _child(argv: list[str], cwd: Path, summary: bool = False) -> tuple[float, float, str]:
    """(seconds, peak RSS in MiB, last output line, or with `summary` the rules of its JSON findings)
    of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    lines = [line for line in output.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    if summary and process.returncode in (0, 1):
        rules = [f["rule"] for f in json.loads(output)["findings"]]
        last = ", ".join(f"{rule} x{rules.count(rule)}" for rule in sorted(set(rules))) or "no findings"
    if process.returncode not in (0, 1):
        last = f"exit {process.returncode}: {last}"
    return seconds, usage.ru_maxrss / 1024, last  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lint", action="store_true", help="run `compliance lint` on a repository holding each input")
    parser.add_argument("--only", help="run only inputs whose name contains this")
    parser.add_argument("--render", action="store_true", help="add the render rows (needs the helm extra)")
    parser.add_argument("--render-timeout", help="passed to `compliance lint` for the render rows")
    args = parser.parse_args()

    print(f"{'input':<30} {'size':>9} {'seconds':>8} {'peak RSS':>9}  result")
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        for name, make in INPUTS.items():
            if args.only and args.only not in name:
                continue
            data = make()
            if args.lint:
                repo = base / "repo"
                shutil.rmtree(repo, ignore_errors=True)
                shutil.copytree(ROOT / "fixtures" / "clean", repo)
                (repo / "clusters" / "acme" / "hostile.yaml").write_bytes(data)
                argv = [sys.executable, "-m", "compliance", "lint", str(repo), "--renderer", "none"]
            else:
                target = base / "input.yaml"
                target.write_bytes(data)
                argv = [sys.executable, "-c", LOAD, str(target)]
            seconds, rss, result = _child(argv, ROOT)
            print(f"{name:<30} {len(data) / MiB:>7.2f}Mi {seconds:>8.2f} {rss:>7.0f}Mi  {result[:70]}")
        print(f"\n{'whole run (lint)':<34} {'seconds':>8} {'peak RSS':>9}  result")
        for name, change in RUNS.items():
            if args.only and args.only not in name:
                continue
            repo = base / "run"
            shutil.rmtree(repo, ignore_errors=True)
            shutil.copytree(ROOT / "fixtures" / "clean", repo)
            change(repo)
            argv = [sys.executable, "-m", "compliance", "lint", str(repo), "--renderer", "none", "--format", "json"]
            seconds, rss, result = _child(argv, ROOT, summary=True)
            print(f"{name:<34} {seconds:>8.2f} {rss:>7.0f}Mi  {result[:70]}")
        if args.render:
            _render_rows(base, args.only, args.render_timeout)


def _render_rows(base: Path, only: str | None, timeout: str | None) -> None:
    for name, template in RENDER_INPUTS.items():
        if only and only not in name:
            continue
        repo = base / "chart"
        shutil.rmtree(repo, ignore_errors=True)
        (repo / "templates").mkdir(parents=True)
        (repo / ".git").mkdir()
        (repo / ".git" / "config").write_text("url = https://x-access-token:ghs_notarealtoken0123456789@github.com/\n")
        (repo / "Chart.yaml").write_text(CHART)
        (repo / "templates" / "x.yaml").write_text(template)
        argv = [sys.executable, "-m", "compliance", "lint", str(repo), "--renderer", "sdk", "--no-cache"]
        argv += ["--select", "RND", "--format", "github"] + (["--render-timeout", timeout] if timeout else [])
        seconds, rss, result = _child(argv, ROOT)
        print(f"{name:<30} {len(template) / MiB:>7.2f}Mi {seconds:>8.2f} {rss:>7.0f}Mi  {result[:70]}")


if __name__ == "__main__":
    main()
