"""What the repository under review may not do to the gate: pass options, or supply code that runs.

The repository (a pull request) is hostile. Three guards live here:

- `option_files`: a command-line token that looks like an option but names an existing file or folder
  (pre-commit appends file names without `--`; a file named `--rules=plugins.yaml` would otherwise be
  read as the option). The run stops unless the token comes after `--`, where it is a path.
- `rule_path_inside`: `--rules PATH` resolving inside a linted root is code from the change under
  review; it is refused unless the user passes `--trust-repository-rules`.
- `untrusted_location`: entry-point discovery skips `*.dist-info`/`*.egg-info` folders in a sys.path
  directory inside a linted root, unless that directory is where the running interpreter installs
  packages (the environment the gate itself runs from is trusted by running it); `module_inside`
  refuses an installed entry point whose module would be imported from inside a linted root.
"""

from __future__ import annotations

import os
import sysconfig
from collections.abc import Iterable, Sequence

from compliance.gitcmd import checkout_above

TRUST_FLAG = "--trust-repository-rules"


def _real(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def containing_root(path: str, roots: Iterable[str]) -> str | None:
    """The first of `roots` (a folder, or a file's folder) that `path` resolves inside, symlinks followed."""
    real = _real(path)
    for root in roots:
        folder = os.path.dirname(os.path.abspath(root)) if os.path.isfile(root) else root
        if _within(real, _real(folder)):
            return root
    return None


def checkout_of(root: str) -> str | None:
    """The git work tree holding `root` (the nearest folder upwards with a `.git`), found without running git."""
    return checkout_above(_real(os.path.dirname(os.path.abspath(root)) if os.path.isfile(root) else root))


def untrusted_roots(roots: Iterable[str]) -> tuple[str, ...]:
    """The linted roots and the checkouts holding them: the change under review controls all of it
    (`compliance lint deploy/ --rules ci/rules` takes rules from the pull request too)."""
    found: list[str] = []
    for root in roots:
        found.append(root)
        checkout = checkout_of(root)
        if checkout is not None:
            found.append(checkout)
    return tuple(dict.fromkeys(found))


def option_files(args: Sequence[str], cwd: str = ".") -> list[str]:
    """Tokens before `--` that start with `-` and name an existing path, relative to `cwd` or to any
    folder given on the same command line (a linted root). `-` alone is standard input, not an option."""
    tokens = list(args[: args.index("--")] if "--" in args else args)
    folders = [cwd] + [t for t in tokens if not t.startswith("-") and os.path.isdir(t)]
    return [
        token
        for token in tokens
        if token.startswith("-")
        and token != "-"
        and any(os.path.lexists(os.path.join(folder, token)) for folder in folders)
    ]


def option_file_message(token: str) -> str:
    return (
        f"{token!r} is both a file and an option; put `--` before file names "
        "(a file name is never read as an option: it could turn the gate, e.g. `--rules=...` runs code)"
    )


def rule_path_inside(path: str, roots: Iterable[str]) -> str | None:
    """The message refusing `--rules PATH` (or one of its modules) inside a linted root; None if it is outside."""
    candidates = [path]
    if os.path.isdir(path):  # a module symlinked into the root from a trusted folder counts too
        candidates += [os.path.join(path, name) for name in sorted(os.listdir(path)) if name.endswith(".py")]
    for candidate in candidates:
        root = containing_root(candidate, roots)
        if root is not None:
            return (
                f"--rules {candidate}: resolves inside the linted repository {os.path.abspath(root)}, "
                "so code from the change under review would run in the gate; keep rule modules outside "
                f"the checkout (or install them), or pass {TRUST_FLAG} if this repository's own rules are trusted"
            )
    return None


def module_inside(name: str, roots: Sequence[str]) -> str | None:
    """Why the top-level module `name` must not be imported: it would come from inside a linted root.

    `find_spec` of a top-level name locates it without running it.
    """
    if not roots:
        return None
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None  # the import itself reports it
    if spec is None:
        return None
    places = [spec.origin] if spec.origin and spec.has_location else []
    places += list(spec.submodule_search_locations or ())
    for place in places:
        root = containing_root(place, roots)
        if root is not None and not _in_install_dirs(place):
            return f"module {name} would be imported from {place}, inside the linted repository {os.path.abspath(root)}"
    return None


def _in_install_dirs(path: str) -> bool:
    real = _real(path)
    return any(_within(real, folder) for folder in _install_dirs())


def _install_dirs() -> set[str]:
    """Where the running interpreter installs distributions (its site-packages, the user site)."""
    import site

    paths = sysconfig.get_paths()
    found = {paths["purelib"], paths["platlib"], *site.getsitepackages()}
    if site.ENABLE_USER_SITE and site.USER_SITE:
        found.add(site.USER_SITE)
    return {_real(p) for p in found}


def untrusted_location(directory: str, roots: Iterable[str]) -> bool:
    """A sys.path folder whose distributions must not provide rules: inside a linted root and not the
    running environment's own install folder (`python -m` run in the repository, PYTHONPATH=., ...)."""
    return containing_root(directory, roots) is not None and _real(directory) not in _install_dirs()
