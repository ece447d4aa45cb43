"""`compliance config` and `compliance baseline create`: their options, over `compliance.app.config`.

`config` prints the effective configuration (command line > config file > defaults) with where each
setting came from; `baseline create` records today's findings so `lint --baseline` reports only new ones.
"""

from __future__ import annotations

from typing import Annotated

import typer

from compliance.cli.emit import emit
from compliance.cli.options import (
    ConfigOption,
    FailOnOption,
    IgnoreOption,
    NoCacheOption,
    NoInlineOption,
    PublicVarOption,
    RendererName,
    RendererOption,
    RenderMemoryOption,
    RenderTimeoutOption,
    RulesOption,
    SelectOption,
    TodayOption,
    TrustRulesOption,
    VarOption,
    overrides,
    redactor,
    rendering_request,
)


def config_command(
    path: Annotated[str, typer.Argument(help="Repository root whose configuration to show.")] = ".",
    config: ConfigOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    fail_on: FailOnOption = None,
    var: VarOption = None,
    public_var: PublicVarOption = None,
    rules: RulesOption = None,
    trust_repository_rules: TrustRulesOption = False,
    no_inline_suppressions: NoInlineOption = False,
    today: TodayOption = None,
) -> None:
    """Print the effective configuration and where each setting came from (command line, config file, default)."""
    from compliance.app.config import show_config
    from compliance.app.run import RunRequest

    options = overrides(config, select, ignore, fail_on, var, no_inline_suppressions, today)
    request = RunRequest(path, options, tuple(rules or ()), trust_repository_rules)
    emit(show_config(request, redactor(var, public_var)))


baseline_app = typer.Typer(
    name="baseline",
    help="Record today's findings so `lint --baseline FILE` reports only new ones.",
    no_args_is_help=True,
    add_completion=False,
)


@baseline_app.command("create")
def create(
    path: Annotated[str, typer.Argument(help="Repository root to record.")] = ".",
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", metavar="FILE", help="Where to write it (default: .compliance-baseline.json)."),
    ] = None,
    config: ConfigOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    var: VarOption = None,
    public_var: PublicVarOption = None,
    rules: RulesOption = None,
    trust_repository_rules: TrustRulesOption = False,
    no_inline_suppressions: NoInlineOption = False,
    today: TodayOption = None,
    renderer: RendererOption = RendererName.auto,
    no_cache: NoCacheOption = False,
    render_timeout: RenderTimeoutOption = None,
    render_memory: RenderMemoryOption = None,
) -> None:
    """Record every current finding by fingerprint (never by line), sorted, one entry per line, atomically."""
    from compliance.app.config import create_baseline

    options = overrides(config, select, ignore, None, var, no_inline_suppressions, today)
    # rendered as `lint` renders: `lint --baseline` on the unchanged tree then finds exactly what was recorded
    request = rendering_request(
        path, options, rules, trust_repository_rules, renderer, no_cache, render_timeout, render_memory
    )
    emit(create_baseline(request, redactor(var, public_var), output))
