"""Command-line options shared by `lint`, `report`, `values`, `config` and `baseline` (declared once)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

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
VarOption = Annotated[list[str] | None, typer.Option(help="Flux variable NAME=VALUE.")]
RulesOption = Annotated[list[str] | None, typer.Option(help="Load rule modules from a file or folder.")]
FailOnOption = Annotated[
    str | None,
    typer.Option(metavar="error|warning|info|never", help="Lowest severity that fails the run (default: error)."),
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
