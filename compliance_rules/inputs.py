"""What the linter could not or would not read (IO): links leaving the root, unreadable files, nothing to lint.

The repository walk records these as it goes (compliance/load/repository.py); these rules report them,
so a file that was not checked never passes silently.
"""

from __future__ import annotations

from collections.abc import Iterator

from compliance.engine.context import RepositoryContext
from compliance.engine.options import switch
from compliance.engine.registry import Scope, rule
from compliance.model.findings import Location, Severity, Violation


def _report(ctx: RepositoryContext, code: str) -> Iterator[Violation]:
    for problem in ctx.repo.problems:
        if problem.problem.code == code:
            yield ctx.at(problem.location, problem.problem.message)


@rule("IO001", "Symbolic link leaves the linted root", Severity.INFO, Scope.REPOSITORY, "inputs")
def link_leaves_root(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a symbolic link whose target lies outside the linted root. The link is not followed:
    what it points at is not read and not checked. Links inside the root are followed, and a link
    back to a folder already read (a loop) ends there.

    ## Why it matters
    A pull request can add a link to `/etc/passwd`, `/dev/zero` or a secret on the CI runner; a
    linter that follows it leaks the file into its report or hangs. Flux and Helm do not follow
    such links either, so the linked content would not deploy as you expect.

    ## Example
    ```sh
    clusters/acme/bootstrap-kit/90-extra.yaml -> /home/ci/.kube/config
    ```

    ## Use instead
    ```sh
    clusters/acme/bootstrap-kit/90-extra.yaml    # a regular file in the repository
    ```

    ## How to fix
    Commit the file itself, or a link to a file inside the repository.
    """
    yield from _report(ctx, "IO001")


@rule("IO002", "File cannot be read", Severity.ERROR, Scope.REPOSITORY, "inputs")
def unreadable(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a YAML file or a folder that could not be read: no permission, a broken link or a
    link loop, something that is not a regular file (a FIFO, a device), or a file deleted while
    the tree was read. The rest of the repository is still linted.

    ## Why it matters
    A file the linter could not read was not checked; a gate that passes anyway would approve
    content nobody looked at.

    ## Example
    ```sh
    $ ls -l clusters/acme/bootstrap-kit/80-newapi.yaml
    --w------- 1 ci ci 1234 80-newapi.yaml
    ```

    ## Use instead
    ```sh
    $ ls -l clusters/acme/bootstrap-kit/80-newapi.yaml
    -rw-r--r-- 1 ci ci 1234 80-newapi.yaml
    ```

    ## How to fix
    Make the file readable by the user the linter runs as, fix or remove the link, or run the
    linter again if the tree was changing underneath it.
    """
    yield from _report(ctx, "IO002")


ALLOW_EMPTY = switch(
    "allow-empty",
    "Accept a linted root with nothing to evaluate: IO003 is then an info, not an error (`--allow-empty`).",
)


@rule("IO003", "Nothing to lint", Severity.ERROR, Scope.REPOSITORY, "inputs", options=(ALLOW_EMPTY,))
def nothing_to_lint(ctx: RepositoryContext) -> Iterator[Violation]:
    """
    ## What it does
    Reports a linted root that holds nothing the rules evaluate: no blueprint, no chart and no
    cluster (a folder of other YAML, or no YAML file at all). It is an error by default; with
    `--allow-empty` (or `options: {allow-empty: true}` in the config) it is an info.

    ## Why it matters
    Zero findings on zero blueprints is not a pass: a CI job pointed at the wrong folder would
    otherwise stay green forever.

    ## Example
    ```sh
    compliance lint ./deploy    # the blueprints live in ./platform
    ```

    ## Use instead
    ```sh
    compliance lint .
    ```

    ## How to fix
    Point the linter at the repository root (or the files) you mean to check. A pipeline that may
    legitimately run on an empty tree (a template repository) accepts it with `--allow-empty`.
    """
    repo = ctx.repo
    if repo.blueprints or repo.charts or repo.clusters or repo.problems:
        return
    severity = Severity.INFO if ALLOW_EMPTY.of(ctx.options) else None
    if not repo.files:
        yield ctx.at(Location("."), "no YAML file under the linted root: nothing was checked", severity)
        return
    count = len(repo.files)
    message = (
        f"no blueprint, chart or cluster under the linted root ({count} YAML file{'s' if count != 1 else ''} "
        "scanned): nothing was checked"
    )
    yield ctx.at(Location("."), message, severity)
