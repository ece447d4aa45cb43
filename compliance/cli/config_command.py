"""`compliance config` and `compliance baseline create`, and the lint options they share with `lint`.

`config` prints the effective configuration (command line > config file > defaults) with where each
setting came from; `baseline create` records today's findings so `lint --baseline` reports only new ones.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from compliance.cli.options import (
    ConfigOption,
    FailOnOption,
    IgnoreOption,
    NoInlineOption,
    PublicVarOption,
    RulesOption,
    SelectOption,
    TodayOption,
    TrustRulesOption,
    VarOption,
)

if TYPE_CHECKING:
    from compliance.app.api import LintRun
    from compliance.app.run import Run
    from compliance.governance.comparison import Comparison
    from compliance.model.findings import Finding
    from compliance.settings.config import FailOn, Overrides


def overrides(
    config: str | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    fail_on: FailOn | None = None,
    var: list[str] | None = None,
    no_inline_suppressions: bool = False,
    today: str | None = None,
) -> Overrides:
    """The command line's side of the configuration; options not given stay None so the config applies.

    A config pinned by `--config FILE`, else by the COMPLIANCE_CONFIG environment variable, replaces the
    repository's own (which is then not read at all).
    """
    from compliance.cli.main import parse_variables, split_ids
    from compliance.settings.config import CONFIG_ENV, Overrides, parse_date

    origin = "--config"
    if config is None and os.environ.get(CONFIG_ENV):  # the CI's pinned config; --config still wins
        config, origin = os.environ[CONFIG_ENV], CONFIG_ENV

    day = parse_date(today, "--today") if today is not None else None
    return Overrides(
        config=config,
        config_origin=origin,
        select=split_ids(select) if select else None,
        ignore=split_ids(ignore) if ignore else None,
        fail_on=fail_on.value if fail_on is not None else None,
        variables=parse_variables(var),
        inline_suppressions=False if no_inline_suppressions else None,
        today=day,
    )


def apply_baseline(path: str, findings: Sequence[Finding]) -> Comparison:
    """Compare with the baseline at `path`; a broken baseline is a usage error (exit 2)."""
    from compliance.governance import baseline

    return baseline.compare(findings, baseline.load(path))


def fails(runs: Sequence[LintRun], reported: Sequence[Finding], fail_on: str | None) -> bool:
    """True when a reported finding is at or above its run's fail-on (the command line's, else its config's)."""
    from compliance.governance.gatesettings import STRICTEST_FIRST
    from compliance.model.findings import Severity

    def threshold(run: LintRun | None) -> str:
        if fail_on is not None:
            return fail_on
        return run.settings.fail_on if run is not None and run.settings is not None else "error"

    owner = {id(f): run for run in runs for f in run.findings}
    strictest = min((threshold(run) for run in runs), key=STRICTEST_FIRST.index, default="error")
    for finding in reported:
        run = owner.get(id(finding))
        level = threshold(run) if run is not None else strictest
        if level != "never" and finding.severity.rank >= Severity(level).rank:
            return True
    return False


def run_of(path: str, options: Overrides, rules: list[str] | None, trust: bool, evaluate: bool = True) -> Run:
    from compliance.app.run import RunRequest, build_run
    from compliance.errors import UsageError

    if not os.path.exists(path):
        raise UsageError(f"path does not exist: {path}")
    return build_run(RunRequest(path, options, tuple(rules or ()), trust, evaluate=evaluate))


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
    from dataclasses import replace

    from compliance.cli.main import redactor
    from compliance.governance.gatesettings import assess
    from compliance.settings.config import describe

    options = overrides(config, select, ignore, fail_on, var, no_inline_suppressions, today)
    run = run_of(path, options, rules, trust_repository_rules, evaluate=False)
    settings = replace(run.settings, variables=redactor(var, public_var).variables(run.settings.variables))
    typer.echo(describe(settings), nl=False)
    for weakening in assess(settings, path, run.specs).weakenings:  # the same list every lint report carries
        typer.echo(f"# weakens the gate: {weakening.text}")


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
) -> None:
    """Record every current finding by fingerprint (never by line), sorted, one entry per line, atomically."""
    from compliance.cli.main import redactor
    from compliance.errors import UsageError
    from compliance.governance import baseline
    from compliance.output import write_atomic

    options = overrides(config, select, ignore, None, var, no_inline_suppressions, today)
    findings = run_of(path, options, rules, trust_repository_rules).lint.findings
    target = output or os.path.join(path if os.path.isdir(path) else os.path.dirname(path), baseline.DEFAULT_NAME)
    try:
        write_atomic(target, baseline.render(redactor(var, public_var).findings(findings)))
    except OSError as error:
        raise UsageError(f"cannot write {target}: {error.strerror or error}") from None
    count = len(findings)
    typer.echo(f"wrote {count} finding{'s' if count != 1 else ''} to {target}", err=True)
