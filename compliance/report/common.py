"""What the CI reporters (sarif, github, markdown, junit) share: paths as a checkout sees them, rule-doc links.

CI services resolve a file against the root of the checkout, not against the folder that was linted, so
paths are written relative to the nearest enclosing git work tree (or the linted root outside git).
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from compliance.gitcmd import checkout_above
from compliance.model.findings import Location
from compliance.records import record
from compliance.yaml.spelling import spell

if TYPE_CHECKING:
    from compliance.engine.registry import RuleSpec

BUILTIN_PROVIDER = "compliance_rules"
VALUE_WIDTH = 80  # longest value text shown in a trace message


@record
class SourceRoot:
    """The checkout holding the linted root, and the linted root's '/'-ended path inside it ('' at its top)."""

    checkout: str
    prefix: str

    def path(self, location: Location) -> str:
        if location.path in ("", "."):
            return self.prefix.rstrip("/") or "."
        return self.prefix + location.path


def source_root(root: str) -> SourceRoot:
    linted = os.path.abspath(root)
    probe = checkout_above(linted)
    if probe is None:
        return SourceRoot(linted, "")
    inside = os.path.relpath(linted, probe)
    return SourceRoot(probe, "" if inside == "." else inside.replace(os.sep, "/") + "/")


def project_urls() -> dict[str, str]:
    """`[project.urls]` of the installed distribution (label in lower case -> URL); empty when not installed."""
    from importlib.metadata import PackageNotFoundError, metadata

    from compliance import DISTRIBUTION

    try:
        entries = metadata(DISTRIBUTION).get_all("Project-URL") or []
    except PackageNotFoundError:
        return {}
    urls: dict[str, str] = {}
    for entry in entries:
        label, _, url = entry.partition(",")
        if url.strip():
            urls[label.strip().lower()] = url.strip()
    return urls


def docs_base() -> str | None:
    """The `Documentation` project URL from the installed package's metadata, '/'-ended, if it declares one."""
    url = project_urls().get("documentation")
    return url.rstrip("/") + "/" if url else None


def home_page() -> str | None:
    """The `Homepage` project URL (SARIF's `informationUri`), else the documentation's."""
    return project_urls().get("homepage") or docs_base()


def rule_doc(spec: RuleSpec, base: str | None) -> str | None:
    """The rule's section in docs/rules/<family>.md: absolute under `base`, else repository-relative.

    Plugin rules have no page there (`compliance explain ID` shows their docstring), so they get none.
    """
    if spec.provider != BUILTIN_PROVIDER:
        return None
    return f"{base or ''}docs/rules/{spec.family}.md#{spec.id.lower()}"


def value_text(value: object) -> str:
    """A value spelled as YAML, as the user wrote it (`false`, `''`, `[IR, KP]`: `compliance.yaml.spelling`),
    cut to VALUE_WIDTH."""
    text = spell(value)
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def step_text(role: str, value: object) -> str:
    """A trace step as words: `set to 'x'`, `overrode ''` (a map is set without a value to show)."""
    if role == "set":
        return "set here" if value is None else f"set to {value_text(value)}"
    return f"{role} {value_text(value)}"


# A line the CI runner obeys as a command: GitHub's `::cmd::` and its older `##[cmd]`, after leading blanks.
_RUNNER_COMMAND = re.compile(r"\s*(::|##\[)")


def command_safe(path: str) -> str:
    """A path that starts a line of output (text headers, JUnit details), never read as a runner command.

    `./` keeps it the same path: `::stop-commands::x.yaml` is shown as `./::stop-commands::x.yaml`.
    """
    return "./" + path if _RUNNER_COMMAND.match(path) else path
