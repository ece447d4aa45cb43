"""Command-line options shared by `lint`, `report`, `values`, `whatif`, `clusters`, `config` and `baseline`
(declared once), and the parsing of their values into what the application layer takes."""

from __future__ import annotations

import os
from collections.abc import Sequence
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from compliance.errors import UsageError
from compliance.settings.config import FailOn

if TYPE_CHECKING:
    from compliance.app.run import RunRequest
    from compliance.render.bounds import Bounds
    from compliance.report.redaction import Redactor
    from compliance.settings.config import Overrides

RootArgument = Annotated[str, typer.Argument(help="Repository root.")]
ClusterOption = Annotated[str | None, typer.Option(help="The cluster, as `compliance clusters` lists it.")]


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


TextOrJsonOption = Annotated[TextOrJson, typer.Option("--format", "-f", help="Output format.")]
ConfigOption = Annotated[
    str | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="Project config file (default: .compliance.yaml, else [tool.compliance] in pyproject.toml, at the root).",
    ),
]
NoInlineOption = Annotated[
    bool, typer.Option("--no-inline-suppressions", help="Ignore `# compliance: ignore[...]` comments (CI policy).")
]
TodayOption = Annotated[
    str | None,
    typer.Option("--today", metavar="YYYY-MM-DD", help="The date suppressions expire against (default: today, UTC)."),
]
BaselineOption = Annotated[
    str | None,
    typer.Option("--baseline", metavar="FILE", help="Report and fail only on findings not recorded in FILE."),
]
SelectOption = Annotated[list[str] | None, typer.Option(help="Only these rule ids or prefixes.")]
IgnoreOption = Annotated[list[str] | None, typer.Option(help="Skip these rule ids or prefixes.")]
VarOption = Annotated[
    list[str] | None,
    typer.Option(
        help="Flux variable NAME=VALUE (every cluster) or CLUSTER:NAME=VALUE (that cluster only); its value is"
        " shown as <redacted> unless public."
    ),
]
PublicVarOption = Annotated[
    list[str] | None,
    typer.Option(
        "--public-var", metavar="NAME", help="Show this --var's value in outputs (it is no secret); repeatable."
    ),
]
RulesOption = Annotated[list[str] | None, typer.Option(help="Load rule modules from a file or folder.")]
TrustRulesOption = Annotated[
    bool,
    typer.Option(
        "--trust-repository-rules",
        help="Allow --rules inside the linted repository: its code runs (never in a gate judging pull requests).",
    ),
]
FailOnOption = Annotated[
    FailOn | None, typer.Option(help="Lowest severity that fails the run (default: the config's, else error).")
]


class ConfigFromName(str, Enum):
    """`--config-from`: whose config governs a `--diff-base` run (`compliance.app.gaterun.CONFIG_FROM`)."""

    base = "base"
    head = "head"


ConfigFromOption = Annotated[
    ConfigFromName | None,
    typer.Option(help="With --diff-base: whose config governs, the base ref's (default) or the pull request's (head)."),
]


class RendererName(str, Enum):
    auto = "auto"
    helm = "helm"
    sdk = "sdk"
    none = "none"


AllowEmptyOption = Annotated[
    bool,
    typer.Option(
        "--allow-empty",
        help="Accept a root with no blueprint, chart or cluster (IO003 as info, not error; config: allow-empty).",
    ),
]
RendererOption = Annotated[
    RendererName, typer.Option(help="Render charts with Helm for the rendered rules: first available, or none.")
]
ChartCacheOption = Annotated[
    str | None,
    typer.Option(
        "--chart-cache",
        metavar="DIR",
        help="Dependency archives (<name>-<version>.tgz, as `helm dependency build` leaves them) for rendering.",
    ),
]
FetchDependenciesOption = Annotated[
    bool,
    typer.Option(
        "--fetch-dependencies",
        help="Fetch chart dependencies nothing provides from their http(s) chart repositories (network; bounded).",
    ),
]
NoCacheOption = Annotated[bool, typer.Option("--no-cache", help="Render again; do not read or write the render cache.")]
MaxTotalSizeOption = Annotated[
    int | None,
    typer.Option(
        metavar="BYTES", min=1, help="Bytes of YAML read in the whole run (default 64 MiB); the file past it is YML003."
    ),
]
MaxTotalNodesOption = Annotated[
    int | None,
    typer.Option(
        metavar="N", min=1, help="YAML nodes loaded in the whole run (default 2 000 000); the file past it is YML003."
    ),
]
RenderTimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--render-timeout",
        metavar="SECONDS",
        min=0.1,
        help="Wall time one chart render may take (default 60); beyond it the render is stopped (RND004).",
    ),
]
RenderMemoryOption = Annotated[
    int | None,
    typer.Option(
        "--render-memory",
        metavar="MB",
        min=256,
        help="Memory (address space) one chart render may use (default 2048); beyond it it is stopped (RND004).",
    ),
]


def split_ids(values: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(item.strip() for value in values or () for item in value.split(",") if item.strip())


def parse_variables(pairs: Sequence[str] | None) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """`--var` values: (NAME=VALUE for every cluster, CLUSTER:NAME=VALUE by cluster). A Flux variable name
    has no `:`, so one before the `=` names the cluster."""
    variables: dict[str, str] = {}
    clusters: dict[str, dict[str, str]] = {}
    for number, pair in enumerate(pairs or (), 1):
        name, sep, value = pair.partition("=")
        cluster, colon, name = name.rpartition(":")
        if not sep or not name or (colon and not cluster):  # never echoed: it may be a secret
            raise UsageError(
                f"--var expects NAME=VALUE or CLUSTER:NAME=VALUE: --var number {number} has no NAME= (value not shown)"
            )
        (clusters.setdefault(cluster, {}) if colon else variables)[name] = value
    return variables, clusters


def redactor(var: list[str] | None, public_var: list[str] | None) -> Redactor:
    """What hides the `--var` values not named by `--public-var` in everything shown (`--public-var NAME`
    also shows a `CLUSTER:NAME` one)."""
    from compliance.report.redaction import Redactor

    variables, clusters = parse_variables(var)
    public = split_ids(public_var)
    every = {**variables, **{f"{c}:{n}": v for c, given in clusters.items() for n, v in given.items()}}
    return Redactor.of(every, (*public, *(f"{c}:{n}" for c, given in clusters.items() for n in given if n in public)))


def render_setup(renderer: RendererName, no_cache: bool, manifests: str | None, other_inputs: bool) -> str | None:
    """The render cache folder (None: no cache); usage errors for what cannot be done."""
    if manifests is not None and other_inputs:
        raise UsageError("--manifests lints one stream: it takes no PATHS, --files or --diff-base")
    if manifests is not None:  # the stream is not rendered, but a renderer asked for must exist all the same
        from compliance.app.run import choose_renderer

        choose_renderer(renderer.value)
    if no_cache or renderer is RendererName.none:
        return None
    from compliance.render.cache import default_cache_dir

    return default_cache_dir()


def rendering_request(
    path: str,
    options: Overrides,
    rules: list[str] | None,
    trust_repository_rules: bool,
    renderer: RendererName,
    no_cache: bool,
    render_timeout: float | None,
    render_memory: int | None,
) -> RunRequest:
    """The run of a command that renders as `lint` does (`report`, `baseline create`): same renderer, cache
    and bounds, so what it records or shows is what `lint` finds."""
    from compliance.app.run import RunRequest

    return RunRequest(
        path,
        options,
        tuple(rules or ()),
        trust_repository_rules,
        renderer=renderer.value,
        cache_dir=render_setup(renderer, no_cache, None, True),
        render_bounds=render_bounds(render_timeout, render_memory),
    )


def render_bounds(seconds: float | None, memory_mb: int | None) -> Bounds:
    """`--render-timeout`/`--render-memory` over the defaults of compliance.render.bounds."""
    from compliance.render.bounds import Bounds

    default = Bounds()
    return Bounds(seconds if seconds is not None else default.seconds, memory_mb or default.memory_mb)


def overrides(
    config: str | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    fail_on: FailOn | None = None,
    var: list[str] | None = None,
    no_inline_suppressions: bool = False,
    today: str | None = None,
    allow_empty: bool = False,
) -> Overrides:
    """The command line's side of the configuration; options not given stay None so the config applies.

    A config pinned by `--config FILE`, else by the COMPLIANCE_CONFIG environment variable, replaces the
    repository's own (which is then not read at all).
    """
    from compliance.settings.config import CONFIG_ENV, Overrides, parse_date

    origin = "--config"
    if config is None and os.environ.get(CONFIG_ENV):  # the CI's pinned config; --config still wins
        config, origin = os.environ[CONFIG_ENV], CONFIG_ENV

    day = parse_date(today, "--today") if today is not None else None
    variables, cluster_variables = parse_variables(var)
    return Overrides(
        config=config,
        config_origin=origin,
        select=split_ids(select) if select else None,
        ignore=split_ids(ignore) if ignore else None,
        fail_on=fail_on.value if fail_on is not None else None,
        variables=variables,
        cluster_variables=cluster_variables,
        inline_suppressions=False if no_inline_suppressions else None,
        today=day,
        options={"allow-empty": True} if allow_empty else {},
    )
