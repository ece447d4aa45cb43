"""Audit evidence: the run's provenance (git state, time, versions), secret redaction and the evidence bundle.

Everything here is deterministic: the same repository, rules and time give the same bytes. The time is
`SOURCE_DATE_EPOCH` when set, else the commit's time when the linted tree is clean; only a dirty tree or no
git at all reads the clock (`generated_at`, which says which it used).

Redaction (`redact_finding`, the bundle's values) follows `compliance.redact`: by key and by value shape.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from compliance.engine.coverage import NOT_RUN
from compliance.errors import UsageError
from compliance.gitcmd import run_git
from compliance.model import InputFile, Repository
from compliance.model.findings import Finding
from compliance.records import record
from compliance.redact import REDACTED, path_keys, redact_values

if TYPE_CHECKING:
    from compliance.engine.context import ReleaseContext
    from compliance.engine.coverage import Skip
    from compliance.engine.evaluate import Evaluation
    from compliance.engine.registry import RuleSpec
    from compliance.governance.exceptions import Suppressed

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
GIT_TIMEOUT = 10
SAFE_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


class EvidenceError(UsageError, ValueError):
    """A setting that makes the evidence impossible to produce (e.g. a malformed SOURCE_DATE_EPOCH)."""


# ── provenance ───────────────────────────────────────────────────────────────


@record
class GitState:
    """What git says about the linted root; `commit` is None outside a work tree (`note` says why)."""

    commit: str | None = None
    commit_date: str = ""
    branch: str = ""
    toplevel: str = ""
    prefix: str = ""  # the linted root inside the work tree, '' at its top
    dirty: bool | None = None  # uncommitted or untracked changes under the linted root
    changed: tuple[str, ...] = ()  # their paths, relative to the work tree
    note: str = ""
    remote: str = ""  # `origin`'s URL with any credentials taken out (`public_url`), '' without one


@record
class CiRun:
    """The CI job that made the report, from its environment (GitHub Actions' GITHUB_*, GitLab's CI_*)."""

    system: str  # "GitHub Actions", "GitLab CI"
    repository: str  # owner/name or group/project
    run: str  # the run (pipeline) id, with the attempt or job when there is one
    ref: str
    sha: str
    url: str  # where the run is shown ('' when unknown)

    def describe(self) -> str:
        return f"{self.system} run {self.run} of {self.repository}" + (f" on {self.ref}" if self.ref else "")


@record
class RulePack:
    digest: str  # sha256 over every rule's metadata and the source of the module defining it
    count: int
    providers: tuple[str, ...]


@record
class AuditScope:
    """Who, what and when of one report: everything a reader needs to reproduce it."""

    root: str  # absolute linted root
    path: str  # the path as given on the command line
    git: GitState
    generated_at: datetime  # UTC
    time_source: str  # "SOURCE_DATE_EPOCH", COMMIT_TIME or "system clock…" (`generated_at`)
    tool_version: str
    rule_pack: RulePack
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    variables: tuple[str, ...] = ()  # names of the Flux variables given (values may be secrets: never shown)
    rule_paths: tuple[str, ...] = ()
    inputs: tuple[InputFile, ...] = ()  # every file read, sorted by path (`inventory`)
    renderer: str = "none"  # the Helm back end that rendered charts, or why none did
    config_file: str | None = None  # the project configuration read, if any
    judged_on: str = ""  # the day exceptions' `until` dates were judged against (ISO date)
    ci: CiRun | None = None  # the CI run that made it, if any

    @property
    def shown_path(self) -> str:
        """The linted path as the report shows it: inside a git work tree, never a local absolute path."""
        if self.git.toplevel and os.path.isabs(self.path):
            return self.git.prefix or "."
        return self.path

    @property
    def name(self) -> str:
        """What the report is about: the CI's repository, else the git remote, else the linted folder's name."""
        if self.ci is not None and self.ci.repository:
            return self.ci.repository
        if self.git.remote:
            return re.sub(r"^[a-z][a-z0-9+.-]*://|\.git$", "", self.git.remote).replace(":", "/", 1)
        return os.path.basename(self.root.rstrip("/")) or self.root


def public_url(url: str) -> str:
    """A remote URL safe to print: no user name or password (a token often sits there), no query or fragment.
    `git@host:path` (scp-like) names an account, not a secret, and is kept."""
    if "://" not in url:
        return url
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return ""  # not a URL we can take apart safely: say nothing rather than leak
    return urlunsplit((parts.scheme, host + port, parts.path, "", ""))


def ci_run(environ: Mapping[str, str] | None = None) -> CiRun | None:
    """The CI run's identity from its environment variables, None outside CI."""
    env = os.environ if environ is None else environ
    if env.get("GITHUB_ACTIONS") == "true" and env.get("GITHUB_REPOSITORY"):
        repository, run = env["GITHUB_REPOSITORY"], env.get("GITHUB_RUN_ID", "")
        server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        attempt = env.get("GITHUB_RUN_ATTEMPT", "")
        return CiRun(
            "GitHub Actions",
            repository,
            run + (f" (attempt {attempt})" if attempt and attempt != "1" else ""),
            env.get("GITHUB_REF", ""),
            env.get("GITHUB_SHA", ""),
            public_url(f"{server}/{repository}/actions/runs/{run}") if run else "",
        )
    if env.get("GITLAB_CI") == "true" or env.get("CI_PROJECT_PATH"):
        pipeline, job = env.get("CI_PIPELINE_ID", ""), env.get("CI_JOB_ID", "")
        return CiRun(
            "GitLab CI",
            env.get("CI_PROJECT_PATH", ""),
            pipeline + (f" (job {job})" if job else ""),
            env.get("CI_COMMIT_REF_NAME", ""),
            env.get("CI_COMMIT_SHA", ""),
            public_url(env.get("CI_PIPELINE_URL", "") or env.get("CI_JOB_URL", "")),
        )
    return None


def source_date_epoch(environ: Mapping[str, str] | None = None) -> int | None:
    """`SOURCE_DATE_EPOCH` (reproducible-builds.org) as an int, None when unset."""
    value = (os.environ if environ is None else environ).get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise EvidenceError(f"SOURCE_DATE_EPOCH must be a non-negative integer (seconds), got {value!r}")
    return int(value)


SYSTEM_CLOCK = "system clock"
COMMIT_TIME = "commit time, clean tree"


def _clock() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def generated_at(environ: Mapping[str, str] | None = None, git: GitState | None = None) -> tuple[datetime, str]:
    """The report's time and where it came from: `SOURCE_DATE_EPOCH` when set, else the commit's time when the
    linted tree is clean (a re-run on the same commit gives the same bytes), else the clock (and why)."""
    epoch = source_date_epoch(environ)
    if epoch is not None:
        return datetime.fromtimestamp(epoch, timezone.utc), "SOURCE_DATE_EPOCH"
    if git is not None and git.commit and git.dirty is False and git.commit_date:
        try:
            return datetime.fromisoformat(git.commit_date).astimezone(timezone.utc), COMMIT_TIME
        except ValueError:
            pass  # not ISO 8601: git said something we do not understand; the clock it is
    if git is not None and git.dirty:
        return _clock(), f"{SYSTEM_CLOCK}: uncommitted changes, so not the commit time"
    return _clock(), SYSTEM_CLOCK


def reproducible(time_source: str) -> bool:
    """Whether a time from `time_source` is the same on a re-run (not a clock reading)."""
    return not time_source.startswith(SYSTEM_CLOCK)


def _git(root: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    return run_git(args, root, timeout=GIT_TIMEOUT)


def git_state(root: str) -> GitState:
    """The commit, branch and dirtiness of the work tree holding `root`, asking git read-only."""
    directory = root if os.path.isdir(root) else os.path.dirname(os.path.abspath(root))
    try:
        top = _git(directory, "rev-parse", "--show-toplevel")
    except FileNotFoundError:
        return GitState(note="git is not installed")
    except (OSError, subprocess.TimeoutExpired) as error:
        return GitState(note=f"git could not be run: {error}")
    if top.returncode != 0:
        message = top.stderr.decode("utf-8", "replace").strip().splitlines()
        if message and "not a git repository" not in message[0]:
            return GitState(note=f"git: {message[0]}")
        return GitState(note="not a git repository")
    toplevel = top.stdout.decode("utf-8", "replace").strip()
    prefix = os.path.relpath(os.path.realpath(root), os.path.realpath(toplevel)).replace(os.sep, "/")
    prefix = "" if prefix == "." else prefix
    head = _git(directory, "log", "-1", "--format=%H%n%cI")
    if head.returncode != 0:
        return GitState(toplevel=toplevel, prefix=prefix, note="no commit yet")
    commit, _, commit_date = head.stdout.decode().strip().partition("\n")
    branch = _git(directory, "rev-parse", "--abbrev-ref", "HEAD").stdout.decode("utf-8", "replace").strip()
    origin = _git(directory, "remote", "get-url", "origin")
    remote = public_url(origin.stdout.decode("utf-8", "replace").strip()) if origin.returncode == 0 else ""
    status = _git(directory, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
    if status.returncode != 0:
        return GitState(commit, commit_date, branch, toplevel, prefix, None, (), "git status failed", remote)
    changed = _status_paths(status.stdout)
    return GitState(commit, commit_date, branch, toplevel, prefix, bool(status.stdout), changed, remote=remote)


def _status_paths(output: bytes) -> tuple[str, ...]:
    """Paths from `git status --porcelain -z` (a rename's second entry is its old name: skipped)."""
    paths: list[str] = []
    entries = output.decode("utf-8", "replace").split("\0")
    index = 0
    while index < len(entries):
        entry = entries[index]
        index += 1
        if len(entry) < 4:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC":
            index += 1
    return tuple(sorted(paths))


def rule_pack(rules: Iterable[RuleSpec]) -> RulePack:
    """A version for the rule set: changes when any rule, its metadata, its documentation or its module's source
    changes."""
    import inspect

    digest = hashlib.sha256()
    sources: dict[str, str] = {}
    specs = sorted(rules, key=lambda spec: spec.id)
    for spec in specs:
        try:
            source_file = inspect.getsourcefile(spec.check) or ""
        except TypeError:
            source_file = ""
        if source_file not in sources:
            try:
                with open(source_file, "rb") as handle:
                    sources[source_file] = hashlib.sha256(handle.read()).hexdigest()
            except OSError:
                sources[source_file] = ""
        # the documentation too: a declarative policy's check is shared code, its expressions are in its doc
        fields = (
            spec.id,
            spec.title,
            spec.severity.value,
            spec.scope.value,
            spec.family,
            spec.provider,
            spec.doc,
            *spec.controls,
        )
        digest.update(("\x1f".join((*fields, sources[source_file])) + "\n").encode("utf-8"))
    return RulePack(digest.hexdigest(), len(specs), tuple(sorted({spec.provider for spec in specs})))


# ── redaction (the rules: `compliance.redact`) ─────────────────────────────────


def redact_finding(finding: Finding) -> Finding:
    """The finding with its secret trace values (and their text in the message) hidden: by the value path's keys
    and by each value's shape (`compliance.redact.secret_at`)."""
    keys = path_keys(finding.value_path) if finding.value_path else ()
    message, steps, changed = finding.message, [], False
    for step in finding.trace:
        hidden = redact_values(step.value, keys)
        if hidden != step.value:
            changed = True
            if isinstance(step.value, (str, int, float)) and len(str(step.value)) >= 4:
                message = message.replace(str(step.value), REDACTED)
        steps.append(replace(step, value=hidden))
    return replace(finding, message=message, trace=tuple(steps)) if changed else finding


def redact_suppressed(suppressed: Suppressed) -> Suppressed:
    return replace(suppressed, finding=redact_finding(suppressed.finding))


# ── the evidence bundle ──────────────────────────────────────────────────────


def _under(path: str, root: str) -> bool:
    """Whether `path` is `root` or below it, by name (links not resolved)."""
    path, root = os.path.abspath(path), os.path.abspath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _input_file(path: str, absolute: str, kind: str, root: str | None = None) -> InputFile | None:
    """The file's hash, or None; under `root` only a regular file that is there once links are resolved
    (a chart's link to `/etc/passwd` or `/proc/self/environ` must not be read, hashed or listed)."""
    from compliance.load.files import inside, read_regular

    if root is not None and not inside(absolute, os.path.realpath(root)):
        return None
    try:
        data = read_regular(absolute, -1)  # a FIFO or a link to /dev/zero in a chart must not hang the bundle
    except OSError:
        return None
    return InputFile(path, hashlib.sha256(data).hexdigest(), len(data), kind)


def inventory(repo: Repository, rendered: bool, config_file: str | None = None) -> tuple[InputFile, ...]:
    """Every file the run read: the loader's, each rendered chart's other files (templates, helpers) and the
    project configuration (relative to the root, `../` when outside it, so `sha256sum -c` at the root works)."""
    from compliance.load.files import inside

    real_root = os.path.realpath(repo.root)
    files = {f.path: f for f in repo.files if inside(os.path.join(repo.root, f.path), real_root)}
    if config_file is not None:
        path = os.path.relpath(os.path.abspath(config_file), repo.root).replace(os.sep, "/")
        # a config file named on the command line may live anywhere; one in the repository must stay in it
        found = _input_file(path, config_file, "config", repo.root if _under(config_file, repo.root) else None)
        if found is not None:
            files[path] = found
    charts = sorted({chart.directory for chart in repo.charts}) if rendered else []
    for directory in charts:
        base = os.path.join(repo.root, directory)
        if not os.path.isdir(os.path.join(base, "templates")):
            continue  # only charts with templates are rendered
        for folder, dirs, names in os.walk(base):
            dirs.sort()
            for name in sorted(names):
                absolute = os.path.join(folder, name)
                path = os.path.relpath(absolute, repo.root).replace(os.sep, "/")
                if path in files:
                    continue
                in_chart = os.path.relpath(absolute, base).replace(os.sep, "/")
                kind = "template" if in_chart.startswith("templates/") else "chart file"
                found = _input_file(path, absolute, kind, repo.root)
                if found is not None:
                    files[path] = found
    return tuple(files[path] for path in sorted(files))


def sha256_line(digest: str, name: str) -> str:
    """One line as GNU `sha256sum` writes it: a name with a line break or backslash is escaped and the line
    starts with `\\`, so a file name can never add a line of its own (`sha256sum -c` reads it back)."""
    if not any(char in name for char in "\\\n\r"):
        return f"{digest}  {name}\n"
    escaped = name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return f"\\{digest}  {escaped}\n"


def inputs_sha256(files: Iterable[InputFile]) -> str:
    """Every input file as `sha256sum` writes it: `sha256sum -c` at the linted root re-verifies them."""
    return "".join(sha256_line(f.sha256, f.path) for f in sorted(files, key=lambda f: f.path))


def inputs_digest(files: Iterable[InputFile]) -> str:
    """One number for the whole input set: the SHA-256 of `inputs_sha256`."""
    return hashlib.sha256(inputs_sha256(files).encode("utf-8", "surrogateescape")).hexdigest()


def scope_dict(scope: AuditScope) -> dict[str, Any]:
    git = scope.git
    return {
        "root": scope.root,
        "path": scope.path,
        "generated_at": scope.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "time_source": scope.time_source,
        "tool": {"name": "compliance", "version": scope.tool_version},
        "rule_pack": {
            "sha256": scope.rule_pack.digest,
            "rules": scope.rule_pack.count,
            "providers": list(scope.rule_pack.providers),
        },
        "selection": {"select": list(scope.select), "ignore": list(scope.ignore), "rules": list(scope.rule_paths)},
        "variables": list(scope.variables),
        "config_file": scope.config_file,
        "renderer": scope.renderer,
        "exceptions_judged_on": scope.judged_on or None,
        "git": {
            "commit": git.commit,
            "commit_date": git.commit_date or None,
            "branch": git.branch or None,
            "path_in_repository": git.prefix if git.commit or git.toplevel else None,
            "dirty": git.dirty,
            "changed": list(git.changed),
            "note": git.note or None,
            "remote": git.remote or None,
        },
        "ci": None
        if scope.ci is None
        else {
            "system": scope.ci.system,
            "repository": scope.ci.repository,
            "run": scope.ci.run,
            "ref": scope.ci.ref,
            "sha": scope.ci.sha,
            "url": scope.ci.url or None,
        },
    }


def _dump(value: Any) -> bytes:
    # a file name that is not UTF-8 (lone surrogates) is written as its `\udcXX` escape
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8", "backslashreplace")


def effective_values_files(repo: Repository, contexts: Iterable[ReleaseContext]) -> dict[str, bytes]:
    """`values/clusters/<cluster>.json` per cluster and `values/chart-defaults.json`, secrets redacted.

    A release whose chart is not in the repository (a third-party chart) is listed without values: it was
    deployed but not evaluated.
    """
    from compliance.model import format_path

    by_cluster: dict[str | None, list[dict[str, Any]]] = {cluster.name: [] for cluster in repo.clusters}
    for ctx in contexts:
        release = ctx.release
        by_cluster.setdefault(ctx.cluster.name if ctx.cluster else None, []).append(
            {
                "blueprint": ctx.blueprint.name if ctx.blueprint else None,
                "chart": ctx.chart.name if ctx.chart else None,
                "release": f"{release.namespace}/{release.name}" if release else None,
                "overlay": release.document.file if release else None,
                "values": redact_values(ctx.values.values),
                "unresolved": {format_path(path): list(names) for path, names in sorted(ctx.values.unresolved.items())},
            }
        )
    for deployed in repo.clusters:
        for release in deployed.releases:
            if repo.resolve_release(release) == (None, None):
                by_cluster[deployed.name].append(
                    {
                        "blueprint": None,
                        "chart": release.chart_name or None,
                        "release": f"{release.namespace}/{release.name}",
                        "overlay": release.document.file,
                        "values": None,
                        "note": "chart not in the repository: deployed, not evaluated",
                    }
                )
    files: dict[str, bytes] = {}
    for cluster, entries in by_cluster.items():
        entries.sort(key=lambda e: (e["blueprint"] or "", e["chart"] or "", e["release"] or "", e["overlay"] or ""))
        name = "values/chart-defaults.json" if cluster is None else f"values/clusters/{_safe_name(cluster)}.json"
        files[name] = _dump({"cluster": cluster, "releases": entries})
    return files


def _safe_name(name: str) -> str:
    """A file name for a cluster: safe (no `/`, no leading `.`) and one-to-one, by percent-encoding every other
    byte and `%` itself, so `acme~eu` (`acme%7Eeu`) and `acme_eu` never share a file."""
    encoded = "".join(
        chr(byte) if chr(byte) in SAFE_NAME_CHARS else f"%{byte:02X}"
        for byte in name.encode("utf-8", "surrogateescape")
    )
    return "%2E" + encoded[1:] if encoded.startswith(".") else encoded or "%"


def checks_json(
    evaluated: Iterable[Evaluation], findings: Iterable[Finding], skipped: Mapping[Evaluation, Skip] | None = None
) -> bytes:
    """Every check, (rule, blueprint, cluster): applied, with the number of findings it produced, or not
    applicable (what there was none of) or not run (why it could not be evaluated), with that reason. A check
    both applied and not run is listed both ways: two HelmReleases of one blueprint in a cluster share its key,
    and the one whose values were unknown was not checked whatever the other gave (`coverage.rule_state`)."""
    counts: dict[tuple[str, str | None, str | None], int] = {}
    for finding in findings:
        key = (finding.rule, finding.blueprint, finding.cluster)
        counts[key] = counts.get(key, 0) + 1
    applied = set(evaluated)
    rows: list[dict[str, object]] = [
        {"rule": r, "blueprint": b, "cluster": c, "state": "applied", "findings": counts.get((r, b, c), 0)}
        for r, b, c in applied
    ]
    rows += [
        {"rule": r, "blueprint": b, "cluster": c, "state": skip.state, "reason": skip.reason}
        for (r, b, c), skip in (skipped or {}).items()
        if (r, b, c) not in applied or skip.state == NOT_RUN
    ]
    rows.sort(key=lambda row: (str(row["rule"]), row["blueprint"] or "", row["cluster"] or "", str(row["state"])))
    return _dump(rows)


def rules_json(rules: Iterable[RuleSpec]) -> bytes:
    from compliance.engine.registry import metadata

    return _dump([metadata(spec) for spec in sorted(rules, key=lambda spec: spec.id)])


README = """Compliance evidence bundle
==========================

report.html            the audit report (self-contained; open it in any browser, print it to PDF)
findings.json          every finding, as `compliance lint --format json` writes it
inputs.json            scope (git commit, tool and rule-pack versions) and every input file: path, kind, size, SHA-256
inputs.sha256          the same hashes in `sha256sum` format
rules.json             the rules applied
checks.json            every check (rule x blueprint x cluster): applied, with how many findings it produced,
                       or "not applicable" (what there was none of) or "not run" (why not), with the reason
values/clusters/*.json what each cluster deploys: the effective Helm values per blueprint
values/chart-defaults.json  charts no cluster deploys, with their defaults
                       (a cluster's file name is its name with any other character percent-encoded)
manifest.sha256        the SHA-256 of every other member, the report and findings included

Check that no member was changed, added or removed since it was written:
  compliance verify evidence.zip        (or: unzip it, then `sha256sum -c manifest.sha256` in that folder)
The manifest travels with the bundle, so whoever holds the bundle can rewrite both; for integrity against
the holder, check the signature your CI system attached to it (see docs/ci.md, "Evidence bundles").

Re-verify that this evidence matches a checkout:
  cd <the linted root, at the commit named in inputs.json>
  sha256sum -c <bundle>/inputs.sha256
Re-create it byte for byte (same repository at the same path, tool, rule pack and options):
  {reproduce}

Secrets are never included: a value is written as "<redacted>" when its key, or its parent's, names a
secret (`adminPassword`, `apiKey`, `auth`, `connectionString`, `webhookUrl`; not `keySize`), or when it has
a credential's shape wherever it stands (a token, a URL with a password, a PEM block, a long random
string). Keys that name where a secret lives (`existingSecret`, `secretKeyRef`, `secretName`) keep a value
that looks like a name; numbers, booleans and empty strings are never secrets.
Values given on the command line with `--var` are written as "<redacted>" unless named with `--public-var`.
"""


def reproduce_command(scope: AuditScope, output: str) -> str:
    """The command that re-creates this run's report byte for byte (plus the original run's options)."""
    command, notes = f"compliance report {scope.shown_path} {output}", []
    if scope.time_source == COMMIT_TIME:  # a clean checkout of the commit gives the same time by itself
        notes.append(f"on a clean checkout of commit {scope.git.commit}")
    else:
        command = f"SOURCE_DATE_EPOCH={int(scope.generated_at.timestamp())} {command}"
    if scope.ci is not None:  # the run's identity is part of the report
        notes.append("with the CI variables of the run it names")
    return command + (f"   ({', '.join(notes)})" if notes else "")


def bundle_files(
    scope: AuditScope,
    repo: Repository,
    rules: Iterable[RuleSpec],
    evaluated: Iterable[Evaluation],
    skipped: Mapping[Evaluation, Skip],
    findings: Iterable[Finding],
    contexts: Iterable[ReleaseContext],
    report_html: str,
    findings_json: str,
) -> dict[str, bytes]:
    """The bundle's entries by name; findings must already be redacted (`redact_finding`)."""
    manifest = {
        "scope": scope_dict(scope),
        "inputs_sha256": inputs_digest(scope.inputs),
        "files": [{"path": f.path, "kind": f.kind, "size": f.size, "sha256": f.sha256} for f in scope.inputs],
    }
    files = {
        "README.txt": README.format(reproduce=reproduce_command(scope, "--bundle evidence.zip")).encode("utf-8"),
        "report.html": report_html.encode("utf-8", "backslashreplace"),
        "findings.json": findings_json.encode("utf-8", "backslashreplace"),
        "inputs.json": _dump(manifest),
        # names as the file system has them, bytes that are not UTF-8 included: `sha256sum -c` finds the files
        "inputs.sha256": inputs_sha256(scope.inputs).encode("utf-8", "surrogateescape"),
        "rules.json": rules_json(rules),
        "checks.json": checks_json(evaluated, findings, skipped),
    }
    files.update(effective_values_files(repo, contexts))
    # last: the hash of every other member, which `compliance verify` checks
    files["manifest.sha256"] = "".join(
        sha256_line(hashlib.sha256(data).hexdigest(), name) for name, data in sorted(files.items())
    ).encode("utf-8")
    return files


def zip_time(moment: datetime, time_source: str) -> tuple[int, int, int, int, int, int]:
    """Every entry's timestamp: the report's time when it is reproducible (clamped to what zip can store),
    else 1980-01-01, never the clock."""
    if not reproducible(time_source):
        return ZIP_EPOCH
    stamp = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    return min(max(stamp, ZIP_EPOCH), (2107, 12, 31, 23, 59, 58))


def deterministic_zip(files: Mapping[str, bytes], date_time: tuple[int, int, int, int, int, int]) -> bytes:
    """A zip whose bytes depend only on the entries: sorted names, fixed times, modes and compression."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, whatever the platform that wrote it
            info.external_attr = 0o100644 << 16
            archive.writestr(info, files[name], compresslevel=9)
    return buffer.getvalue()
