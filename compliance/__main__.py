"""Console entry point; answers --version without importing the heavy CLI stack."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from compliance import __version__

        print(f"compliance {__version__}")
        return
    from compliance.cli import run

    run()


if __name__ == "__main__":
    main()
