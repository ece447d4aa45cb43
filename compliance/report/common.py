"""What the CI reporters (sarif, github, markdown, junit) share: paths as a checkout sees them, rule-doc links.

CI services resolve a file against the root of the checkout, not against the folder that was linted, so
paths are written relative to the nearest enclosing git work tree (or the linted root outside git).

Every absolute link an output carries (SARIF's `informationUri` and `helpUri`, the Markdown summary's rule
links) is built here, from `[project.urls]` of the installed distribution unless the environment names
another base (`COMPLIANCE_DOCS_URL`, `COMPLIANCE_HOME_URL`: a fork, an internal mirror). Environment, not the
project config: the repository under review must not choose where the gate's help links send its reviewers.
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
DOCS_URL_ENV = "COMPLIANCE_DOCS_URL"  # base of the documentation: rule pages at <base>docs/rules/<family>.md
HOME_URL_ENV = "COMPLIANCE_HOME_URL"  # the project's home page (SARIF informationUri)
# an absolute http(s) URL of plain URL characters: nothing that ends a Markdown link or a quoted attribute
_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~/?#@!$&*+,;=%:-]*)?")
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


def url_override(name: str) -> str | None:
    """The URL the environment variable `name` gives (None when unset or empty); not an absolute http(s) URL
    of plain characters, or one carrying credentials (`user:password@`, which every output would show), is a
    usage error."""
    from compliance.errors import UsageError

    value = os.environ.get(name, "").strip()
    if not value:
        return None
    if not _URL.fullmatch(value):  # not echoed: it may hold a credential
        raise UsageError(
            f"{name} is not an absolute http(s) URL of plain characters (no credentials, spaces, quotes or brackets)"
        )
    return value


def docs_base() -> str | None:
    """The documentation's base URL, '/'-ended: `COMPLIANCE_DOCS_URL`, else the `Documentation` project URL of
    the installed package's metadata, else None (no absolute rule links)."""
    url = url_override(DOCS_URL_ENV) or project_urls().get("documentation")
    return url.rstrip("/") + "/" if url else None


def home_page() -> str | None:
    """The project's home page (SARIF's `informationUri`): `COMPLIANCE_HOME_URL`, else `COMPLIANCE_DOCS_URL`
    (a fork that moves its documentation moves its home too), else the `Homepage` project URL, else the
    documentation's."""
    override = url_override(HOME_URL_ENV) or url_override(DOCS_URL_ENV)
    return override or project_urls().get("homepage") or docs_base()


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
