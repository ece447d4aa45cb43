"""Console entry point; answers --version without importing the heavy CLI stack.

Run as `python -m compliance`, Python puts the working directory first on sys.path: inside the
repository under review, its `yaml.py` would shadow our dependencies and its `*.dist-info` would
declare rule plugins. That entry goes before anything else is imported (what `python -P` does).
A `compliance/` folder in the working directory is imported by `-m` before this file runs: run
the `compliance` script, or `python -P -m compliance`, where the repository is hostile.
"""

from __future__ import annotations

import sys

if __name__ == "__main__" and not sys.flags.safe_path and sys.path:
    del sys.path[0]  # `-m`'s working directory (a script's own folder when run by path)


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from compliance import __version__

        print(f"compliance {__version__}")
        return
    from compliance.cli import run

    run()


if __name__ == "__main__":
    main()
