"""Audit evidence: the run's provenance (git state, time, versions), secret redaction and the evidence bundle.

Everything here is deterministic: the same repository, rules and `SOURCE_DATE_EPOCH` give the same
bytes. The only clock reading is `generated_at` when `SOURCE_DATE_EPOCH` is unset.

Redaction: a value is replaced by `<redacted>` when a key on its path names a secret and no key on its
path names a *reference* to one. A key names a secret when it contains `secret`, `token`, `passw`,
`passphrase`, `credential`, `apikey`, `api_key`, `privatekey`, `private_key`, `signingkey`, `accesskey`,
`masterkey` or `encryptionkey`, or has the word `key`, `keys`, `private`, `pass` or `pwd` (words split at
camelCase, `_`, `-`, `.`). A key names a reference when it starts with the word `existing` or ends with
`ref`, `refs`, `name`, `names`, `namespace`, `store` or `path` (`existingSecret`, `secretKeyRef`,
`secretName`: where a secret lives, not the secret). Booleans, `null` and empty strings are kept: they hold
no secret and show whether one is set. This errs on the side of hiding (`topologyKey`, `maxTokens` are
hidden too); the values are still in the repository, whose files the bundle's manifest pins by SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from compliance.errors import UsageError
from compliance.gitcmd import run_git
from compliance.model import InputFile, Repository
from compliance.model.findings import Finding, TraceStep

if TYPE_CHECKING:
    from compliance.engine.context import ReleaseContext
    from compliance.engine.evaluate import Evaluation
    from compliance.engine.registry import RuleSpec
    from compliance.governance.exceptions import Suppressed

REDACTED = "<redacted>"
SECRET_MARKERS = (
    *("secret", "token", "passw", "passphrase", "credential", "apikey", "api_key", "privatekey", "private_key"),
    *("signingkey", "accesskey", "masterkey", "encryptionkey"),  # lower-case compounds the word split cannot see
)
SECRET_WORDS = frozenset({"key", "keys", "private", "pass", "pwd"})
REFERENCE_WORDS = frozenset({"ref", "refs", "name", "names", "namespace", "store", "path"})
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
GIT_TIMEOUT = 10
SAFE_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


class EvidenceError(UsageError, ValueError):
    """A setting that makes the evidence impossible to produce (e.g. a malformed SOURCE_DATE_EPOCH)."""


# ── provenance ───────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class RulePack:
    digest: str  # sha256 over every rule's metadata and the source of the module defining it
    count: int
    providers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AuditScope:
    """Who, what and when of one report: everything a reader needs to reproduce it."""

    root: str  # absolute linted root
    path: str  # the path as given on the command line
    git: GitState
    generated_at: datetime  # UTC
    time_source: str  # "SOURCE_DATE_EPOCH" or "system clock"
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


def source_date_epoch(environ: Mapping[str, str] | None = None) -> int | None:
    """`SOURCE_DATE_EPOCH` (reproducible-builds.org) as an int, None when unset."""
    value = (os.environ if environ is None else environ).get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise EvidenceError(f"SOURCE_DATE_EPOCH must be a non-negative integer (seconds), got {value!r}")
    return int(value)


def generated_at(environ: Mapping[str, str] | None = None) -> tuple[datetime, str]:
    epoch = source_date_epoch(environ)
    if epoch is not None:
        return datetime.fromtimestamp(epoch, timezone.utc), "SOURCE_DATE_EPOCH"
    return datetime.now(timezone.utc).replace(microsecond=0), "system clock"


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
    status = _git(directory, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
    if status.returncode != 0:
        return GitState(commit, commit_date, branch, toplevel, prefix, None, (), "git status failed")
    return GitState(commit, commit_date, branch, toplevel, prefix, bool(status.stdout), _status_paths(status.stdout))


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
        fields = (spec.id, spec.title, spec.severity.value, spec.scope.value, spec.family, spec.provider, spec.doc)
        digest.update(("\x1f".join((*fields, sources[source_file])) + "\n").encode("utf-8"))
    return RulePack(digest.hexdigest(), len(specs), tuple(sorted({spec.provider for spec in specs})))


# ── redaction ────────────────────────────────────────────────────────────────


def _words(key: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", key)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [word.lower() for word in re.split(r"[^A-Za-z0-9]+", spaced) if word]


def names_secret(key: object) -> bool:
    if not isinstance(key, str):
        return False
    lower = key.lower()
    return any(marker in lower for marker in SECRET_MARKERS) or not SECRET_WORDS.isdisjoint(_words(key))


def names_reference(key: object) -> bool:
    if not isinstance(key, str):
        return False
    words = _words(key)
    return bool(words) and (words[0] == "existing" or words[-1] in REFERENCE_WORDS)


def _kept(value: Any) -> bool:
    return value is None or isinstance(value, bool) or value == ""


def redact(value: Any, secret: bool = False, reference: bool = False) -> Any:
    """A JSON-ready copy of `value` with the values under secret-naming keys replaced (module docstring)."""
    if isinstance(value, dict):
        return {
            str(key): redact(item, secret or names_secret(key), reference or names_reference(key))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item, secret, reference) for item in value]
    if secret and not reference and not _kept(value):
        return REDACTED
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN/Infinity
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)  # strings (Flux-unresolved ones too), dates and anything else YAML produced


def path_is_secret(value_path: str) -> bool:
    """True when a finding's logical value path (`a.b[0].c`) leads through a secret and no reference."""
    keys = [key for key in re.split(r"[.\[\]]+", value_path) if key and not key.isdigit()]
    return any(names_secret(key) for key in keys) and not any(names_reference(key) for key in keys)


def redact_finding(finding: Finding) -> Finding:
    """The finding with its trace values (and their text in the message) hidden when its value path is secret."""
    if not finding.value_path or not path_is_secret(finding.value_path):
        return finding
    message = finding.message
    steps: list[TraceStep] = []
    for step in finding.trace:
        hidden = redact(step.value, secret=True)
        if hidden != step.value and isinstance(step.value, (str, int, float)) and len(str(step.value)) >= 4:
            message = message.replace(str(step.value), REDACTED)
        steps.append(replace(step, value=hidden))
    return replace(finding, message=message, trace=tuple(steps))


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
                "values": redact(ctx.values.values),
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


def checks_json(evaluated: Iterable[Evaluation], findings: Iterable[Finding]) -> bytes:
    """Every check that ran, (rule, blueprint, cluster), with the number of findings it produced."""
    counts: dict[tuple[str, str | None, str | None], int] = {}
    for finding in findings:
        key = (finding.rule, finding.blueprint, finding.cluster)
        counts[key] = counts.get(key, 0) + 1
    rows = sorted(evaluated, key=lambda e: (e[0], e[1] or "", e[2] or ""))
    return _dump([{"rule": r, "blueprint": b, "cluster": c, "findings": counts.get((r, b, c), 0)} for r, b, c in rows])


def rules_json(rules: Iterable[RuleSpec]) -> bytes:
    return _dump(
        [
            {
                "id": spec.id,
                "title": spec.title,
                "severity": spec.severity.value,
                "family": spec.family,
                "scope": spec.scope.value,
                "provider": spec.provider,
            }
            for spec in sorted(rules, key=lambda spec: spec.id)
        ]
    )


README = """Compliance evidence bundle
==========================

report.html            the audit report (self-contained; open it in any browser, print it to PDF)
findings.json          every finding, as `compliance lint --format json` writes it
inputs.json            scope (git commit, tool and rule-pack versions) and every input file: path, kind, size, SHA-256
inputs.sha256          the same hashes in `sha256sum` format
rules.json             the rules applied
checks.json            every check that ran (rule x blueprint x cluster) and how many findings it produced
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
Re-create it byte for byte (same repository, tool and rule pack):
  SOURCE_DATE_EPOCH={epoch} compliance report <path> --bundle evidence.zip

Secrets are never included: the value under a key that names a secret, token, password or key
(`adminToken`, `apiKey`, `password`) is written as "<redacted>"; keys that name where a secret lives
(`existingSecret`, `secretKeyRef`, `secretName`) keep their values, as do booleans and empty strings.
Values given on the command line with `--var` are written as "<redacted>" unless named with `--public-var`.
"""


def bundle_files(
    scope: AuditScope,
    repo: Repository,
    rules: Iterable[RuleSpec],
    evaluated: Iterable[Evaluation],
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
        "README.txt": README.format(epoch=int(scope.generated_at.timestamp())).encode("utf-8"),
        "report.html": report_html.encode("utf-8", "backslashreplace"),
        "findings.json": findings_json.encode("utf-8", "backslashreplace"),
        "inputs.json": _dump(manifest),
        # names as the file system has them, bytes that are not UTF-8 included: `sha256sum -c` finds the files
        "inputs.sha256": inputs_sha256(scope.inputs).encode("utf-8", "surrogateescape"),
        "rules.json": rules_json(rules),
        "checks.json": checks_json(evaluated, findings),
    }
    files.update(effective_values_files(repo, contexts))
    # last: the hash of every other member, which `compliance verify` checks
    files["manifest.sha256"] = "".join(
        sha256_line(hashlib.sha256(data).hexdigest(), name) for name, data in sorted(files.items())
    ).encode("utf-8")
    return files


def zip_time(environ: Mapping[str, str] | None = None) -> tuple[int, int, int, int, int, int]:
    """Every entry's timestamp: SOURCE_DATE_EPOCH (clamped to what zip can store) or 1980-01-01."""
    epoch = source_date_epoch(environ)
    if epoch is None:
        return ZIP_EPOCH
    moment = datetime.fromtimestamp(epoch, timezone.utc)
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
