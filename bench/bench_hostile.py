"""Benchmark: time and peak memory of loading hostile inputs stay bounded.

Usage: python3 bench/bench_hostile.py [--lint] [--render [--render-timeout S]] [--only NAME]

Each input is written to a temporary folder and loaded in its own subprocess (so one input's memory
cannot hide another's): the wall-clock seconds and the child's peak RSS are printed, with what the
loader made of it. `--lint` runs the whole `compliance lint` on a copy of fixtures/clean holding the
input instead. The first row is the floor: a child that imports the loader and reads an empty file.

`--render` adds the render rows: `compliance lint --renderer sdk` on a chart whose template loops or
allocates without end, under the default render bounds (`--render-timeout` to shorten the wait).
Seconds and peak RSS include the render worker (the child waits for it). The first render row is the
floor: a chart with one trivial template.
"""

from __future__ import annotations

import argparse
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
from compliance.yamlload import load_yaml
with open(sys.argv[1], "rb") as handle:
    loaded = load_yaml(handle.read())
codes = sorted({p.code for p in loaded.problems})
print(f"{len(loaded.documents)} docs, problems: {', '.join(codes) or 'none'}")
"""


def _child(argv: list[str], cwd: Path) -> tuple[float, float, str]:
    """(seconds, peak RSS in MiB, last output line) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    lines = [line for line in output.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    if process.returncode not in (0, 1):
        last = f"exit {process.returncode}: {last}"
    return seconds, usage.ru_maxrss / 1024, last  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lint", action="store_true", help="run `compliance lint` on a repository holding each input")
    parser.add_argument("--only", help="run only inputs whose name contains this")
    parser.add_argument("--render", action="store_true", help="add the render rows (needs compliance[helm])")
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
