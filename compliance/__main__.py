"""Console entry point; answers --version without importing the heavy CLI stack.

Run as `python -m compliance` (or with `PYTHONPATH=.`), Python puts the working directory on sys.path:
inside the repository under review, its `yaml.py` would shadow our dependencies and its `*.dist-info`
would declare rule plugins. `main` drops it before importing anything else (what `python -P` does).
A `compliance/` folder in the working directory is imported by `-m` before this file runs: run the
`compliance` script, or `python -P -m compliance`, where the repository is hostile.
"""

from __future__ import annotations

import os
import sys


def _drop_working_directory() -> None:
    """Remove every sys.path entry that is the working directory ('' included): nothing we import lives there."""
    try:
        cwd = os.path.realpath(os.getcwd())
    except OSError:  # a deleted working directory: only the relative spellings can name it
        cwd = None
    sys.path[:] = [
        entry for entry in sys.path if entry not in ("", ".") and (cwd is None or os.path.realpath(entry) != cwd)
    ]


def _exit_now(code: int) -> None:
    """End the process without the interpreter's teardown (freeing every object of a large repository one
    by one, ~10% of a small run): run the atexit handlers (temporary folders' finalizers among them) and
    flush the standard streams first. Returns (for a normal exit) when another thread still runs, or when
    a stream cannot be flushed, so that Python reports it as usual."""
    import atexit
    import threading

    if threading.active_count() > 1:
        return
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: let the normal exit say so
        return
    os._exit(code)


def main() -> None:
    _drop_working_directory()
    if sys.argv[1:] == ["--version"]:
        from compliance import __version__

        print(f"compliance {__version__}")
        return
    from compliance.cli.main import run

    try:
        run()
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            _exit_now(done.code or 0)
        raise
    _exit_now(0)


if __name__ == "__main__":
    main()
