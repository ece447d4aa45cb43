"""Command-line options shared by `lint`, `report`, `values`, `config` and `baseline` (declared once)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from compliance.settings.config import FailOn

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
    list[str] | None, typer.Option(help="Flux variable NAME=VALUE; its value is shown as <redacted> unless public.")
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


RendererOption = Annotated[
    RendererName, typer.Option(help="Render charts with Helm for the rendered rules: first available, or none.")
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
