"""The Go test oracle (tools/oracle): what Flux would apply for a cluster, built by Flux's, kustomize's and
Helm's own libraries. `oracle_binary()` builds it once per source hash into the user cache; `run_oracle()` runs it.

The oracle is a test tool, never part of the product: where `go` is not on PATH, callers skip
(`oracle_or_skip()`), and a build that fails with `go` present is a test failure, not a skip.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.helpers import ROOT, write_files

SOURCE = ROOT / "tools" / "oracle"
# The first build compiles Kubernetes, kustomize and Helm: minutes on a shared 2-core machine.
BUILD_TIMEOUT = 1800
RUN_TIMEOUT = 300
# Read at import, i.e. at collection: tests/conftest.py later points XDG_CACHE_HOME at a per-session temporary
# folder (for the render cache), which would throw away both the oracle binary and Go's build cache each run.
_USER_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


class OracleUnavailable(Exception):
    """The oracle cannot be built on this machine (no Go toolchain); the message says why."""


def source_hash() -> str:
    """sha256 over go.mod, go.sum and every *.go file of tools/oracle (names and contents)."""
    digest = hashlib.sha256()
    files = [SOURCE / "go.mod", SOURCE / "go.sum", *sorted(SOURCE.glob("*.go"))]
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_root() -> Path:
    return _USER_CACHE / "compliance-oracle"


def build_env() -> dict[str, str]:
    """The environment for `go build`: Go's build cache stays where it is outside the tests (it defaults to
    $XDG_CACHE_HOME/go-build), so a source change rebuilds in seconds instead of minutes."""
    env = dict(os.environ)
    env.setdefault("GOCACHE", str(_USER_CACHE / "go-build"))
    return env


def oracle_binary() -> Path:
    """The oracle binary for the current sources, built on first use (atomically: temp name, then rename)."""
    go = shutil.which("go")
    if go is None:
        raise OracleUnavailable("the Go toolchain (`go`) is not on PATH; the oracle is built from tools/oracle")
    target = cache_root() / source_hash() / "oracle"
    if target.is_file() and os.access(target, os.X_OK):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".oracle-", dir=target.parent)
    os.close(fd)
    try:
        # -mod=readonly: the committed go.sum is the pin; a missing entry is an error, never a silent upgrade.
        result = subprocess.run(
            [go, "build", "-mod=readonly", "-buildvcs=false", "-trimpath", "-o", tmp, "."],
            cwd=SOURCE,
            env=build_env(),
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"building tools/oracle failed ({result.returncode}):\n{result.stderr[-4000:]}")
        os.chmod(tmp, 0o755)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def oracle_or_skip() -> Path:
    """`oracle_binary()` for tests: skips with the reason when Go is absent."""
    import pytest

    try:
        return oracle_binary()
    except OracleUnavailable as exc:
        pytest.skip(str(exc))


def run_oracle(
    root: str | Path, entry: str, *, strict: bool = False, substitute: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The oracle's JSON for the cluster whose flux-system Kustomization points at `entry` (relative to `root`);
    with `substitute`, that Kustomization substitutes these variables (strategy Always), as the linter assumes
    of a `clusters/<name>/` cluster whose own Flux Kustomization is not in the repository.

    The oracle is a pure function of its sources, arguments and the repository's files: its answer is kept
    under the binary's folder, keyed by all three, so a second session reads it instead of building again."""
    binary = oracle_binary()
    args = ["--root", str(root), "--entry", entry, "--json"]
    if strict:
        args.append("--strict")
    if substitute is not None:
        args += ["--substitute", *(f"--var={name}={value}" for name, value in sorted(substitute.items()))]
    key = hashlib.sha256(json.dumps([args[2:], tree_digest(Path(root))]).encode()).hexdigest()
    kept = binary.parent / "runs" / f"{key}.json"
    if kept.is_file():
        cached: dict[str, Any] = json.loads(kept.read_text(encoding="utf-8"))
        return cached
    result = subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"oracle exited {result.returncode}: {result.stderr[-4000:]}")
    data: dict[str, Any] = json.loads(result.stdout)
    kept.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".run-", dir=kept.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(result.stdout)
    os.replace(tmp, kept)
    return data


def tree_digest(root: Path) -> str:
    """sha256 over everything below `root`: each path, and each file's content (`.git` left out, as the oracle
    leaves it out of its scratch copy)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if ".git" in rel.parts:
            continue
        digest.update(str(rel).encode() + b"\0")
        if path.is_file():
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


class BatchOracle:
    """One `oracle envsubst` / `oracle manifest-scalar` process answering JSON lines one case at a time, so a
    hypothesis test (which draws its cases one by one, and shrinks) uses a single process for all of them."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.asked = 0
        self._proc = subprocess.Popen(
            [str(oracle_binary()), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def ask(self, case: dict[str, Any]) -> dict[str, Any]:
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(case) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"oracle {self.mode} stopped: {proc.stderr.read() if proc.stderr else ''}")
        self.asked += 1
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait(timeout=RUN_TIMEOUT)


def batch_oracle_or_skip(mode: str) -> BatchOracle:
    """A `BatchOracle` for tests: skips with the reason when Go is absent."""
    oracle_or_skip()
    return BatchOracle(mode)


# ── the comparison of `compliance values` with the oracle (tests/test_oracle_compare.py) ──────────────────────


def cluster_entries(root: str | Path) -> list[tuple[str, str, bool]]:
    """(cluster name, entry point relative to `root`, whether the linter supplies the entry Kustomization) for
    every cluster of a repository, as `compliance clusters --format json` lists them. A supplied entry (a
    `clusters/<name>/` folder no Kustomization in the repository applies) stands for a bootstrap outside the
    repository that substitutes the run's variables: the oracle is told so (`--substitute`)."""
    from tests.helpers import run

    result = run("clusters", str(root), "--format", "json")
    if result.returncode != 0:
        return []
    clusters = json.loads(result.stdout)["clusters"]
    return [(c["name"], c["entry"], not c["kustomizations"][0]["file"]) for c in clusters]


@dataclass(frozen=True)
class Disagreement:
    """One place where the product and the oracle differ, said so a reader can find both sides."""

    cluster: str
    release: str  # namespace/name
    path: str
    product: str  # the value as JSON, and its provenance
    oracle: str

    def __str__(self) -> str:
        where = f"{self.cluster} {self.release} {self.path or '(release)'}"
        return f"{where}:\n  product: {self.product}\n  oracle:  {self.oracle}"


@dataclass
class Comparison:
    """What one cluster's comparison looked at, and what disagreed."""

    releases: int = 0
    values: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)


def product_values(
    root: str | Path, cluster: str, *args: str, reveal: bool = False
) -> dict[str, dict[str, Any]] | None:
    """`compliance values ROOT --cluster NAME --all --format json`, by `namespace/name`; None when the product
    does not know the cluster (a usage error naming it). `reveal`: the values the rules judge instead
    (`revealed_values`: a Secret's values shown, each release's errors listed)."""
    from tests.helpers import run

    if reveal:
        return revealed_values(root, cluster)
    result = run("values", str(root), "--cluster", cluster, "--all", "--format", "json", *args)
    if result.returncode != 0:
        if f"unknown cluster: {cluster}" in result.stderr:
            return None
        raise AssertionError(f"compliance values failed ({result.returncode}): {result.stderr}")
    return _by_release(json.loads(result.stdout), result.stderr.splitlines(), _chartless(root, cluster))


def revealed_values(root: str | Path, cluster: str) -> dict[str, dict[str, Any]] | None:
    """What `compliance values --all --format json` shows, but as the rules see it: a Secret's values revealed
    (the product never prints them; comparing `<redacted>` proves nothing about them) and, per release, the
    failures the product reports for it: `valuesFromFails` (FLX008 errors: helm-controller refuses the release),
    `valuesFromUnknown` (optional sources the repository lacks) and `chartErrors` (RND005: Helm's `type
    mismatch on <sub>`). Same run, same contexts, only the redaction left out."""
    from compliance.app.config import run_at
    from compliance.app.run import RunRequest
    from compliance.engine.evaluate import LintOptions, release_contexts
    from compliance.report.values import cluster_values_json

    run = run_at(RunRequest(str(root), evaluate=False))
    settings, repo = run.settings, run.lint.repo
    if cluster not in {c.name for c in repo.clusters}:
        return None
    options = LintOptions(
        settings.select,
        settings.ignore,
        settings.variables,
        settings.rule_options,
        reveal_secrets=True,
        strict_substitution=settings.flux_strict,
        cluster_variables=settings.cluster_variables,
    )
    contexts = [c for c in release_contexts(repo, options) if c.cluster is not None and c.cluster.name == cluster]
    files = {layer.file for c in contexts for layer in c.values.layers}
    # as `compliance values` warns (compliance.app.valuesview): load problems of the files values came from
    warnings = [
        f"compliance: warning: {p.location}: {p.problem.message} ({p.problem.code})"
        for p in repo.problems
        if p.file in files
    ]
    found = _by_release(json.loads(cluster_values_json(cluster, contexts)), warnings, _chartless(root, cluster))
    for context in contexts:
        release = context.release
        if release is None or f"{release.namespace}/{release.name}" not in found:
            continue
        entry = found[f"{release.namespace}/{release.name}"]
        entry["valuesFromFails"] = [s.problem for s in release.values_from if s.fails]
        entry["valuesFromUnknown"] = [s.label for s in release.values_from if s.unknown]
        entry["chartErrors"] = [e.message for e in context.values.chart_errors]
        entry["unknownPaths"] = [
            list(path)
            for path, names in context.values.unresolved.items()
            if names and all(name.startswith("valuesFrom ") for name in names)
        ]
    return found


def _chartless(root: str | Path, cluster: str) -> set[str]:
    """Releases (`namespace/name`) the product gives no chart: FLX007, not in the repository or the pin
    refuses the tree's chart."""
    from compliance.load.repository import load_repository

    repo = load_repository(str(root))
    return {
        f"{r.namespace}/{r.name}" for c in repo.clusters if c.name == cluster for r in c.releases
        if repo.chart_choice(r).chart is None
    }  # fmt: skip


def _by_release(data: dict[str, Any], stderr: list[str], chartless: set[str]) -> dict[str, dict[str, Any]]:
    """The values report's releases by `namespace/name`, each marked with what the warnings say of its files."""
    # the product's explicit marker of a manifest Flux cannot build (YML000: +.inf, a duplicate key...): a
    # warning on a file the values came from
    warned = [(line.split(": ", 3)[2].split(":", 1)[0], line) for line in stderr]
    failing = {file for file, line in warned if BUILD_FAILS in line}
    refusing = {file for file, line in warned if line.endswith("(YML000)")}  # what Helm or Flux refuses to load
    for release in data["releases"]:
        named = release["release"]
        release["chartless"] = named is not None and f"{named['namespace']}/{named['name']}" in chartless
        release["buildFails"] = any(layer in failing for layer in release["layers"])
        release["refused"] = any(layer in refusing for layer in release["layers"])
        release["failingFiles"] = sorted(failing)  # the cluster's, any release
        release["refusedFiles"] = sorted(refusing)
    return {f"{r['release']['namespace']}/{r['release']['name']}": r for r in data["releases"] if r["release"]}


BUILD_FAILS = "kustomize-controller's build of this Kustomization fails"  # compliance.yaml.manifestload


REDACTED = "<redacted>"  # compliance.report.redaction.REDACTED


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _same(product: Any, oracle: Any) -> bool:
    """Equal as Helm sees them: numbers as JSON numbers (the oracle's are float64), a bool never a number."""
    if isinstance(product, bool) or isinstance(oracle, bool):
        return type(product) is type(oracle) and product == oracle
    if isinstance(product, (int, float)) and isinstance(oracle, (int, float)):
        return float(product) == float(oracle)
    return type(product) is type(oracle) and product == oracle


def _marked(report: dict[str, Any]) -> list[str]:
    """The product's explicit markers: value paths left unknown (unresolved variables) or failing substitution."""
    return sorted(p for p, o in report["origins"].items() if o.get("unresolved") or o.get("error"))


def _provenance(report: dict[str, Any], path: str) -> str:
    origin = report["origins"].get(path)
    if origin is None:  # a map or list: the origin of the nearest leaf below it
        below = [(p, o) for p, o in report["origins"].items() if p.startswith(path)]
        origin = below[0][1] if below else None
    if origin is None:
        return "(no origin)"
    said = f"{origin['path']}:{origin['line']}"
    if origin.get("unresolved"):
        said += f" unresolved {origin['unresolved']}"
    if origin.get("error"):
        said += f" error {origin['error']}"
    return said


def _diff_values(product: Any, oracle: Any, path: tuple[str | int, ...], out: list[tuple[str, Any, Any]]) -> int:
    """Leaves compared, adding (path, product, oracle) for each difference; maps recurse, lists by index."""
    from compliance.report.values import path_text

    if isinstance(product, dict) and isinstance(oracle, dict):
        count = 0
        for key in sorted({*product, *oracle}):
            if key not in product or key not in oracle:
                out.append((path_text((*path, key)), product.get(key, "(absent)"), oracle.get(key, "(absent)")))
                count += 1
            else:
                count += _diff_values(product[key], oracle[key], (*path, key), out)
        return count
    if isinstance(product, list) and isinstance(oracle, list) and len(product) == len(oracle):
        return sum(_diff_values(a, b, (*path, i), out) for i, (a, b) in enumerate(zip(product, oracle, strict=True)))
    if product == REDACTED and oracle is not None and not isinstance(oracle, (dict, list)):
        return 1  # a Secret's value: `compliance values` shows it hidden, whatever it is
    if not _same(product, oracle):
        out.append((path_text(path), product, oracle))
    return 1


def _applied(oracle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The oracle's releases by namespace/name. Two Kustomizations applying one HelmRelease (a cluster's
    Kustomization whose path is its own folder, as the entry's) fight over it; the product models the deepest
    one that is not the bootstrap entry, so that one is compared."""
    chosen: dict[str, dict[str, Any]] = {}

    def rank(release: dict[str, Any]) -> tuple[int, bool]:
        depth = len(os.path.normpath(release.get("kustomizationPath") or ".").split(os.sep))
        return depth, release["kustomization"] != "flux-system/flux-system"

    for release in oracle["releases"]:
        key = f"{release['namespace']}/{release['name']}"
        if key not in chosen or rank(release) > rank(chosen[key]):
            chosen[key] = release
    return chosen


def _named(errors: list[dict[str, Any]], key: str) -> bool:
    """Whether a Kustomization failed on this release (`post build failed for 'HelmRelease.v2.../name'`)."""
    return any(f"/{key.split('/', 1)[1]}'" in e["message"] for e in errors)


def _fails_with(report: dict[str, Any], errors: list[dict[str, Any]]) -> bool:
    """Whether a Kustomization Flux fails to build holds this release's file and a file the product marks as
    failing that build (one bad manifest fails every release of its Kustomization)."""

    def under(file: str, folder: str) -> bool:
        return folder == "." or file == folder or file.startswith(folder + "/")

    mine = report["layers"][-1] if report["layers"] else ""
    folders = [os.path.normpath(e.get("path") or ".") for e in errors]
    return any(under(mine, f) and any(under(bad, f) for bad in report.get("failingFiles", ())) for f in folders)


def _never_built(report: dict[str, Any], oracle: dict[str, Any]) -> bool:
    """A release of a Kustomization Flux never creates, because the one above it fails on a manifest the product
    marks (YML000, a build failure): the product builds on past a broken file (docs/flux.md, "Findings of the
    build": one finding, not a cascade), Flux stops there."""

    def under(file: str, folder: str) -> bool:
        return folder == "." or file == folder or file.startswith(folder + "/")

    bad = {*report.get("failingFiles", ()), *report.get("refusedFiles", ())}
    folders = [os.path.normpath(e.get("path") or ".") for e in oracle["errors"]]
    if not any(under(file, folder) for file in bad for folder in folders):
        return False
    mine = report["layers"][-1] if report["layers"] else ""
    return not any(k["built"] and under(mine, os.path.normpath(k["path"] or ".")) for k in oracle["kustomizations"])


def _failures(mine: dict[str, Any], other: dict[str, Any]) -> tuple[str, ...] | None:
    """Whether the release fails for a valuesFrom source or Helm's `type mismatch on <sub>`: None when neither
    side says so (compare the values), () when both do, else (product, oracle) for a disagreement.

    Flux's failures are the oracle's release `error` with no values: `could not resolve ... chart values
    reference` (helm-controller refuses the release; the product's FLX008 error) and `coalesce: type mismatch`
    (Helm refuses the values; the product's RND005). The product's side is known from `revealed_values`; from
    the command's output (`product_values`) only the oracle's side is, and such a failure is taken as agreed
    (tests/test_values_from.py and tests/test_subcharts.py check the findings)."""
    error = other.get("error") or "" if other.get("values") is None else ""
    flux_source = "chart values reference" in error
    flux_coalesce = "type mismatch on " in error  # from ProcessDependencies or CoalesceValues
    if "valuesFromFails" not in mine:
        return () if flux_source or flux_coalesce else None  # the rules' view (`revealed_values`) checks both
    ours_source, ours_coalesce = mine["valuesFromFails"], mine["chartErrors"]
    said = f"fails: {'; '.join(ours_source or ours_coalesce)}"
    if flux_source or ours_source:
        if flux_source and ours_source:
            return ()
        return (said, error) if flux_source else (said, f"deploys{_error_of(other)}")
    if flux_coalesce or ours_coalesce:
        if flux_coalesce and ours_coalesce:
            return ()
        return ("deploys: no RND005", error) if flux_coalesce else (said, f"deploys{_error_of(other)}")
    return None


def _error_of(release: dict[str, Any]) -> str:
    return f" (release error: {release['error']})" if release.get("error") else ""


def _unknowns_as_theirs(ours: Any, theirs: Any, unknown: Any) -> Any:
    """`ours` with each path an optional valuesFrom source the repository lacks could set (`unknownPaths`) made
    the oracle's: the product cannot know the object is not in the cluster and leaves the value unknown (FLX008
    info, docs/values.md), the oracle's cluster is the repository, where Flux skips the source."""
    if not unknown:
        return ours
    out = json.loads(json.dumps(ours))
    for path in unknown:
        _take(out, theirs, list(path))
    return out


_ABSENT = object()


def _at(container: Any, step: Any) -> Any:
    if isinstance(container, dict):
        return container.get(step, _ABSENT)
    if isinstance(container, list) and isinstance(step, int) and step < len(container):
        return container[step]
    return _ABSENT


def _hollow(value: Any) -> bool:
    """Maps and lists holding nothing but empty maps, lists and nulls."""
    if isinstance(value, dict):
        return all(_hollow(v) for v in value.values())
    if isinstance(value, list):
        return all(_hollow(v) for v in value)
    return value is None


def _unknown_texts(report: dict[str, Any]) -> list[str]:
    """From the command's output: the value paths an optional valuesFrom source the repository lacks could set
    (their origin is `unresolved` by such sources only)."""
    return [
        path
        for path, origin in report["origins"].items()
        if origin.get("unresolved") and all(str(n).startswith("valuesFrom ") for n in origin["unresolved"])
    ]


def _related(path: str, other: str) -> bool:
    """One of the two value paths (as `path_text` writes them) is the other or inside it."""

    def inside(a: str, b: str) -> bool:
        return a == b or a.startswith((b + ".", b + "["))

    return inside(path, other) or inside(other, path)


def _take(ours: Any, theirs: Any, path: list[Any]) -> None:
    """`ours` at `path` set to what `theirs` holds there, or removed (with the maps it leaves empty)."""
    step, rest = path[0], path[1:]
    here, there = _at(ours, step), _at(theirs, step)
    if here is _ABSENT:
        return
    if rest:
        if not isinstance(here, list):
            _take(here, there, rest)
        # a list the source could write an item of replaces the chart's whole list: all of it is unknown;
        # a map holding only what the missing source could set is its
        if isinstance(here, list) or _hollow(here):
            if there is not _ABSENT:
                ours[step] = there
            elif isinstance(ours, dict):
                del ours[step]
        return
    if there is not _ABSENT:
        ours[step] = there
    elif isinstance(ours, dict):
        del ours[step]


def compare_cluster(
    cluster: str, product: dict[str, dict[str, Any]] | None, oracle: dict[str, Any], failed: Mapping[str, str]
) -> Comparison:
    """Release by release (namespace/name), the product's final values against the oracle's (a non-strict run).

    `failed`: the Kustomizations a strict oracle run fails on an unset variable, with Flux's message. A value
    the product marks unknown or failing agrees with the oracle only when its release's Kustomization is one of
    them; a release with an oracle `error` (schema validation, a missing valuesFrom) is compared all the same."""
    found = Comparison()
    theirs = _applied(oracle)
    ours = product if product is not None else {}
    errors = "; ".join(f"{e['kustomization']}: {e['message']}" for e in oracle["errors"])
    for key in sorted({*theirs, *ours}):
        found.releases += 1
        mine, other = ours.get(key), theirs.get(key)
        if mine is None and other is not None and not other.get("chartPath"):
            found.releases -= 1  # a chart not in the repository: neither side has its values (the oracle says so)
            continue
        if mine is None:
            said = f"unknown cluster {cluster}" if product is None else "no such release"
            found.disagreements.append(Disagreement(cluster, key, "", said, f"applied by {other['kustomization']}"))
            continue
        if other is None:
            if _named(oracle["errors"], key) and (_marked(mine) or mine["buildFails"]):
                found.values += 1  # both refuse: the product marks its values, Flux fails the build naming it
                continue
            if _fails_with(mine, oracle["errors"]) or _never_built(mine, oracle):
                continue  # the product says this Kustomization's build fails (on another release's file)
            place = mine["layers"][-1] if mine["layers"] else "?"
            said = f"not applied; build errors: {errors or 'none'}"
            found.disagreements.append(Disagreement(cluster, key, "", f"deployed from {place}", said))
            continue
        failure = _failures(mine, other)
        if failure is not None:
            found.values += 1  # both say the release fails (the same way), or one side alone does
            if failure:
                found.disagreements.append(Disagreement(cluster, key, "", *failure))
            continue
        if other.get("values") is None and other.get("error") and mine["refused"]:
            found.values += 1  # Helm cannot load the values (Inf/NaN...): the product's YML000 says so
            continue
        differences: list[tuple[str, Any, Any]] = []
        # a release the product checks against no chart (its pin refuses the tree's, FLX007): the oracle installs
        # the tree's chart by path, so the product's values are the values helm-controller composes, before Helm
        # coalesces them with a chart
        theirs_values = other.get("composedValues") if mine.get("chartless") else other.get("values")
        ours_values = _unknowns_as_theirs(mine["values"], theirs_values, mine.get("unknownPaths", ()))
        found.values += _diff_values(ours_values, theirs_values, (), differences)
        # Flux refuses it: strict mode fails its Kustomization, or another Kustomization applying the same
        # release fails on it (the entry's copy applied, a cluster Kustomization's failed)
        refused = failed.get(other["kustomization"]) or _named(oracle["errors"], key)
        marked = set(_marked(mine)) if refused else set()
        error = f" (release error: {other['error']})" if other.get("error") else ""
        # the command's output has no unknownPaths: a difference at or around such a path is excused
        unknown = _unknown_texts(mine) if "unknownPaths" not in mine else []
        for path, a, b in differences:
            if path in marked:
                continue  # unknown to the product, and Flux's strict substitution fails this Kustomization
            if any(_related(path, u) for u in unknown):
                continue  # an optional valuesFrom source the repository lacks (`_unknowns_as_theirs`)
            product_side = f"{_json(a)} from {_provenance(mine, path)}"
            found.disagreements.append(Disagreement(cluster, key, path, product_side, _json(b) + error))
    return found


def oracle_for(
    root: str | Path, entry: str, strict: bool, substitute: Mapping[str, str] | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The oracle's non-strict output, and (when `strict`) the Kustomizations a strict run fails on an unset
    variable, or never reaches because one above failed so, with Flux's message."""
    if not strict:
        return run_oracle(root, entry, substitute=substitute), {}
    strict_run = run_oracle(root, entry, strict=True, substitute=substitute)
    failed = {e["kustomization"]: e["message"] for e in strict_run["errors"] if "(strict mode)" in e["message"]}
    if not failed:
        return strict_run, {}
    loose = run_oracle(root, entry, substitute=substitute)
    built = {f"{k['namespace']}/{k['name']}" for k in strict_run["kustomizations"] if k["built"]}
    said = "; ".join(failed.values())
    for k in loose["kustomizations"]:
        name = f"{k['namespace']}/{k['name']}"
        if k["built"] and name not in built:
            failed.setdefault(name, f"not reached in strict mode: {said}")
    return loose, failed


@dataclass
class Tally:
    """What every comparison of the session looked at (tests/conftest.py prints it at the end)."""

    repositories: int = 0
    clusters: int = 0
    releases: int = 0
    values: int = 0
    disagreements: int = 0

    def add(self, found: Mapping[str, Comparison]) -> None:
        self.repositories += 1
        self.clusters += len(found)
        self.releases += sum(c.releases for c in found.values())
        self.values += sum(c.values for c in found.values())
        self.disagreements += sum(len(c.disagreements) for c in found.values())

    def line(self) -> str:
        return (
            f"oracle comparison: {self.repositories} repositories, {self.clusters} clusters, {self.releases} releases,"
            f" {self.values} values compared, {self.disagreements} disagreements"
        )


TALLY = Tally()


def compare_repository(root: str | Path, reveal: bool = False) -> dict[str, Comparison]:
    """Every cluster of `root` (by `cluster_entries`), the product under the repository's own configuration
    (its `variables`, `exclude` and `flux-strict`) against the oracle given the same variables. `reveal`: the
    product's side is `revealed_values` (Secrets' values and each release's failures compared too)."""
    from concurrent.futures import ThreadPoolExecutor

    from compliance.settings.config import load_settings

    settings = load_settings(str(root))
    excluded = [glob.rstrip("/*") for glob in settings.exclude]
    entries = [
        (cluster, entry, supplied)
        for cluster, entry, supplied in cluster_entries(root)
        if not any(entry == glob or entry.startswith(glob + "/") for glob in excluded)
    ]
    found: dict[str, Comparison] = {}
    # the oracle processes run while the product (in this process) computes the same clusters
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = [
            pool.submit(oracle_for, root, entry, settings.flux_strict, settings.variables if supplied else None)
            for _, entry, supplied in entries
        ]
        ours = [product_values(root, cluster, reveal=reveal) for cluster, _, _ in entries]
        for (cluster, _, _), answer, product in zip(entries, answers, ours, strict=True):
            found[cluster] = compare_cluster(cluster, product, *answer.result())
    TALLY.add(found)
    return found


def assert_generated_agrees(root: Path, files: dict[str, str], reveals: tuple[bool, ...] = (False,)) -> None:
    """`files` written under `root` and compared once per `reveals` (`compare_repository`): a release compared and
    no disagreement, else the failure shows the repository."""
    write_files(root, files)
    layout = "repository:\n" + "\n".join(f"--- {rel}\n{text}" for rel, text in sorted(files.items()))
    for reveal in reveals:
        found = compare_repository(root, reveal=reveal)
        assert sum(c.releases for c in found.values()), "no release compared"
        side = "rules' view" if reveal else "compliance values"
        assert not any(c.disagreements for c in found.values()), f"{side}: {disagreements(found)}\n{layout}"


def disagreements(found: Mapping[str, Comparison], limit: int = 40) -> str:
    """Every disagreement, one block each (at most `limit`), for an assertion message."""
    every = [d for c in found.values() for d in c.disagreements]
    shown = "\n".join(str(d) for d in every[:limit])
    more = f"\n... and {len(every) - limit} more" if len(every) > limit else ""
    return f"{len(every)} disagreements:\n{shown}{more}"
