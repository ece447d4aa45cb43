"""What-if over cluster variables: which values of which Flux variables would change a cluster's findings.

A cluster's HelmRelease values name Flux variables (`${MARKETPLACE_ENABLED:-false}`) that each cluster sets at
provisioning time. For every variable the repository leaves free (no Kustomization in the repository defines
it, no `--var` gives it), this module lists where it is referenced, its default and a finite set of candidate
values (the blueprint's `configSchema` enum or type at the key it lands on, booleans, the empty and a non-empty
string, what other clusters set), then evaluates each single assignment, and each pair of variables a rule may
read together (same value, or keys in the same block), against the defaults.

The repository is loaded once; an assignment recomputes only the substituted values of the releases that
reference the variable and the release (and, with a renderer, rendered) rules on them. The engine's own
`lint` does the evaluation, so an assignment's findings are exactly what `lint --var NAME=VALUE` reports for
those releases (`tests/test_whatif.py` re-runs it to prove every flip).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field
from typing import Any

from compliance.effective.envsubst import UNKNOWN, EnvsubstError, Func, Text, parse
from compliance.effective.substitution import disabled, scope
from compliance.engine.affected import Affected
from compliance.engine.evaluate import LintOptions, lint
from compliance.engine.registry import RuleSpec, Scope
from compliance.governance.exceptions import govern
from compliance.model import Blueprint, Chart, Cluster, HelmRelease, Repository
from compliance.model.findings import Finding, Location, Severity
from compliance.records import record
from compliance.schema import schema_at
from compliance.settings.config import Settings
from compliance.yaml import Path

DEFAULT_MAX_COMBINATIONS = 200
NON_EMPTY = "example"  # the non-empty string tried for a string variable no other cluster sets


@record
class Reference:
    """One place a variable is named: the release, the values path it lands on, file:line, the operator's default."""

    release: str
    path: Path
    location: Location
    default: str | None  # the default operator's text (`${V:-false}` -> "false"); None: no default
    whole: bool = False  # the value is this one placeholder (another cluster's literal value there is a candidate)


@record
class Candidate:
    value: str
    why: str  # "schema enum", "boolean", "empty", "non-empty", "cluster acme", ...


@record
class Variable:
    name: str
    references: tuple[Reference, ...]
    candidates: tuple[Candidate, ...]
    fixed: str | None = None  # why it is not varied: "set by ..." (the repository or --var define it)

    @property
    def default(self) -> str | None:
        defaults = {r.default for r in self.references}
        return next(iter(defaults)) if len(defaults) == 1 else None


@record
class Flip:
    """The findings an assignment adds or removes compared with the defaults."""

    assignment: tuple[tuple[str, str], ...]  # (name, value) in order
    appeared: tuple[Finding, ...]
    disappeared: tuple[Finding, ...]
    contradicted: tuple[Finding, ...] = ()  # appeared values findings the rendered chart drops (RM006 there)


@record
class WhatIf:
    cluster: str
    blueprints: tuple[str, ...]
    variables: tuple[Variable, ...]
    singles: tuple[Flip, ...]
    pairs: tuple[Flip, ...]
    evaluated: int  # assignments evaluated (singles and pairs)
    pair_combinations: int  # pair assignments there were to evaluate
    pairs_evaluated: int  # of which evaluated (below pair_combinations: --max-combinations was hit)
    max_combinations: int
    rendered: str | None  # the renderer that checked each answer against the rendered chart; None: none
    seconds: float = 0.0

    @property
    def capped(self) -> bool:
        return self.pairs_evaluated < self.pair_combinations


# ── which variables, where, which values ─────────────────────────────────────


def _funcs(nodes: Iterable[Func | Text]) -> Iterable[Func]:
    for node in nodes:
        if isinstance(node, Func):
            yield node
            yield from _funcs(node.args)


DEFAULT_OPERATORS = (":-", ":=", "=", "-")


def _default(func: Func) -> str | None:
    if func.name not in DEFAULT_OPERATORS:
        return None
    if all(isinstance(arg, Text) for arg in func.args):
        return b"".join(arg.value for arg in func.args if isinstance(arg, Text)).decode("utf-8", "surrogateescape")
    return b"".join(_source(arg) for arg in func.args).decode("utf-8", "surrogateescape")


def _source(node: Func | Text) -> bytes:
    return node.value if isinstance(node, Text) else node.source


def references(release: HelmRelease) -> dict[str, list[Reference]]:
    """Every Flux variable the release's values name, with where (a text Flux cannot parse is FLX001's)."""
    found: dict[str, list[Reference]] = {}
    if disabled(release):
        return found

    def visit(value: Any, path: Path) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                visit(item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                visit(item, (*path, index))
        elif isinstance(value, str) and "$" in value:
            try:
                nodes = parse(value)
            except EnvsubstError:
                return
            location = release.document.locate((*release.values_prefix, *path))
            whole = len(nodes) == 1 and isinstance(nodes[0], Func)
            for func in _funcs(nodes):
                reference = Reference(release.name, path, location, _default(func), whole and func is nodes[0])
                found.setdefault(func.param, []).append(reference)

    visit(release.values, ())
    return found


def _scalar(value: Any) -> str | None:
    """A value as the variable text that yields it (Flux variables are strings), None for maps and lists."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return None


def _get(values: Any, path: Path) -> Any:
    for key in path:
        listed = isinstance(values, list) and isinstance(key, int) and 0 <= key < len(values)
        if not listed and not (isinstance(values, dict) and key in values):
            return None
        values = values[key]
    return values


def candidates(
    name: str, refs: Sequence[Reference], schemas: Mapping[str, Mapping[str, Any] | None], others: Sequence[Cluster]
) -> tuple[Candidate, ...]:
    """The finite set of values tried for a variable: schema, booleans, empty / non-empty, other clusters'."""
    found: dict[str, str] = {}

    def add(value: str | None, why: str) -> None:
        if value is not None and value not in found:
            found[value] = why

    booleans = False
    for ref in refs:
        schema = schema_at(schemas.get(ref.release), ref.path)
        if schema is not None:
            for item in schema.get("enum") or ():
                add(_scalar(item), "schema enum")
            kind = schema.get("type")
            if kind == "boolean":
                booleans = True
            elif kind in ("integer", "number"):
                for bound in ("minimum", "maximum"):
                    add(_scalar(schema.get(bound)), f"schema {bound}")
        last = ref.path[-1] if ref.path else ""
        if ref.default in ("true", "false") or (isinstance(last, str) and last.lower() == "enabled"):
            booleans = True
    if booleans:
        add("true", "boolean")
        add("false", "boolean")
    for ref in refs:
        if ref.default is not None and ref.default.lstrip("-").isdigit():  # a count: none, and more than one
            add("0", "integer")
            add(str(int(ref.default) + 1), "integer")
    for cluster in others:
        for release in cluster.releases:
            applied = release.substitution
            if applied is not None and name in applied.variables and name not in applied.secret:
                add(applied.variables[name], f"cluster {cluster.name}")
            for ref in refs:
                if ref.whole and release.name == ref.release and not references(release).get(name):
                    add(_scalar(_get(release.values, ref.path)), f"cluster {cluster.name}")
    if not booleans:
        add("", "empty")
        if not any(value for value in found):
            add(NON_EMPTY, "non-empty")
    defaults = {ref.default for ref in refs}
    return tuple(Candidate(value, why) for value, why in found.items() if value not in defaults or len(defaults) > 1)


def _fixed(name: str, releases: Sequence[HelmRelease], settings: Settings, cluster: str) -> str | None:
    """Why a variable is not varied: every release that names it gets its value (its Kustomization, `--var`,
    the config, for all clusters or this one), or Flux does not substitute those releases. None: some release
    leaves it free."""
    given = settings.variables_in(cluster)
    scopes = [scope(release, given) for release in releases]
    if not any(applied.runs for applied in scopes):
        return "not substituted: Flux leaves the placeholder as written (no postBuild, or substitution disabled)"
    if all(applied.uncertain for applied in scopes if applied.runs):
        return "unknown: whether Flux substitutes depends on a substituteFrom source missing from the repository"
    if any(applied.runs and applied.variables.get(name, UNKNOWN) is UNKNOWN for applied in scopes):
        return None
    if name in given:
        return f"given by {settings.variable_source(cluster, name)}"
    setting = sorted({r.substitution.kustomization for r in releases if r.substitution is not None})
    return f"set by Kustomization {', '.join(setting)}"


def variables(
    repo: Repository, cluster: Cluster, releases: Sequence[HelmRelease], settings: Settings
) -> list[Variable]:
    """Every variable the releases' values name, in the order first referenced."""
    refs: dict[str, list[Reference]] = {}
    schemas: dict[str, Mapping[str, Any] | None] = {}
    by_name: dict[str, list[HelmRelease]] = {}
    for release in releases:
        _, blueprint = repo.resolve_release(release)
        schemas[release.name] = blueprint.config_schema if blueprint is not None else None
        for name, found in references(release).items():
            refs.setdefault(name, []).extend(found)
            by_name.setdefault(name, []).append(release)
    others = [c for c in repo.clusters if c is not cluster]
    result = []
    for name, found in refs.items():
        fixed = _fixed(name, by_name[name], settings, cluster.name)
        tried = () if fixed is not None else candidates(name, found, schemas, others)
        result.append(Variable(name, tuple(found), tried, fixed))
    return result


# ── evaluation ───────────────────────────────────────────────────────────────


@record
class _Only(Affected):
    """The releases of one cluster an assignment can change, and nothing else."""

    targets: frozenset[tuple[int, int]] = frozenset()  # (id(chart or blueprint), id(cluster))

    def release(self, blueprint: Blueprint | None, chart: Chart | None, cluster: Cluster | None) -> bool:
        return (id(chart if chart is not None else blueprint), id(cluster)) in self.targets

    def blueprint(self, blueprint: Blueprint) -> bool:
        return False


Key = tuple[str, str, str, Location, str | None, str | None]


def _key(finding: Finding) -> Key:
    return (finding.rule, finding.severity.value, finding.message, finding.location, finding.blueprint, finding.cluster)


@record(frozen=False, slots=False)
class Evaluator:
    """One loaded repository, its settings and rules: findings of a cluster's releases under an assignment."""

    repo: Repository
    cluster: Cluster
    settings: Settings
    rules: Sequence[RuleSpec]
    known: Mapping[str, Severity]
    renderer: str = "none"
    choose: Any = None  # the run's renderer choice (compliance.app.run.Renderer.chosen)
    count: int = 0
    _cache: dict[tuple[frozenset[int], tuple[tuple[str, str], ...]], list[Finding]] = field(default_factory=dict)

    def findings(self, releases: Sequence[HelmRelease], assignment: Mapping[str, str]) -> list[Finding]:
        """What `lint --var` for `assignment` reports on `releases` (release and rendered rules, governed)."""
        cache_key = (frozenset(id(r) for r in releases), tuple(sorted(assignment.items())))
        if cache_key in self._cache:
            return self._cache[cache_key]
        self.count += 1
        targets = set()
        for release in releases:
            chart, blueprint = self.repo.resolve_release(release)
            targets.add((id(chart if chart is not None else blueprint), id(self.cluster)))
        only = _Only(frozenset(), targets=frozenset(targets))
        options = LintOptions(
            self.settings.select,
            self.settings.ignore,
            {**self.settings.variables_in(self.cluster.name), **assignment},
            self.settings.rule_options,
            affected=only,
            renderer=self.renderer,
            strict_substitution=self.settings.flux_strict,
        )
        render = None
        if self.renderer != "none":
            from compliance.render import RenderStep

            render = RenderStep(self.choose)
        found = lint(self.repo, self.rules, options, render=render)
        ran = {spec.id for spec in self.rules}
        governed = govern(found, self.repo.suppressions, self.settings, self.known, ran, judge_unused=False)
        result = [f for f in governed.findings if not f.rule.startswith("SUP")]
        self._cache[cache_key] = result
        return result


def _flip(assignment: tuple[tuple[str, str], ...], base: Sequence[Finding], now: Sequence[Finding]) -> Flip | None:
    before, after = {_key(f): f for f in base}, {_key(f): f for f in now}
    appeared = tuple(f for k, f in after.items() if k not in before)
    disappeared = tuple(f for k, f in before.items() if k not in after)
    if not appeared and not disappeared:
        return None
    # RM006/RM007: the values enable a channel the rendered chart does not carry (its templates gate it)
    dropped = {(f.blueprint, f.cluster, f.value_path) for f in now if f.rule in DROPPED_CHANNEL and f.value_path}
    contradicted = tuple(f for f in appeared if f.rule not in DROPPED_CHANNEL and _inside(f, dropped))
    return Flip(assignment, appeared, disappeared, contradicted)


DROPPED_CHANNEL = ("RM006", "RM007")  # RM007 stands for RM006 where the channel's values findings never ship


def _inside(finding: Finding, dropped: set[tuple[str | None, str | None, str]]) -> bool:
    """A values finding about a channel block the render dropped."""
    return any(
        (blueprint, cluster) == (finding.blueprint, finding.cluster)
        and (finding.value_path == path or finding.value_path.startswith(path + "."))
        for blueprint, cluster, path in dropped
    )


def _related(a: Variable, b: Variable) -> bool:
    """Two variables one rule may read together: named in one value, or in the same block (a common parent
    below the top level: `defaultChannels.vllm.enabled` and `defaultChannels.vllm.endpoint`)."""
    for ra in a.references:
        for rb in b.references:
            if ra.release != rb.release:
                continue
            common = 0
            for x, y in zip(ra.path, rb.path, strict=False):
                if x != y:
                    break
                common += 1
            siblings = common >= 1 and len(ra.path) == len(rb.path) == common + 1
            if ra.path == rb.path or common >= 2 or siblings:
                return True
    return False


def _releases_of(variable: Variable, releases: Sequence[HelmRelease]) -> list[HelmRelease]:
    names = {ref.release for ref in variable.references}
    return [r for r in releases if r.name in names]


def what_if(
    evaluator: Evaluator,
    releases: Sequence[HelmRelease],
    blueprints: tuple[str, ...],
    max_combinations: int = DEFAULT_MAX_COMBINATIONS,
    rendered: str | None = None,
) -> WhatIf:
    """Every free variable of `releases`, each single assignment's flips and each related pair's."""
    start = time.perf_counter()
    found = variables(evaluator.repo, evaluator.cluster, releases, evaluator.settings)
    free = [v for v in found if v.fixed is None and v.candidates]
    singles: list[Flip] = []
    effects: dict[tuple[str, str], Flip] = {}  # each single assignment's flip
    for variable in free:
        scope_releases = _releases_of(variable, releases)
        base = evaluator.findings(scope_releases, {})
        for candidate in variable.candidates:
            assignment: tuple[tuple[str, str], ...] = ((variable.name, candidate.value),)
            flip = _flip(assignment, base, evaluator.findings(scope_releases, dict(assignment)))
            if flip is not None:
                effects[assignment[0]] = flip
                singles.append(flip)
    combos = [
        (a, b, ca, cb)
        for a, b in itertools.combinations(free, 2)
        if _related(a, b)
        for ca in a.candidates
        for cb in b.candidates
    ]
    pairs: list[Flip] = []
    for a, b, ca, cb in combos[:max_combinations]:
        scope_releases = list({id(r): r for r in (*_releases_of(a, releases), *_releases_of(b, releases))}.values())
        first, second = (a.name, ca.value), (b.name, cb.value)
        expected = {_key(f): f for f in evaluator.findings(scope_releases, {})}  # what the two singles predict
        for one in (effects.get(first), effects.get(second)):
            for finding in one.disappeared if one is not None else ():
                expected.pop(_key(finding), None)
            expected.update((_key(f), f) for f in (one.appeared if one is not None else ()))
        now = evaluator.findings(scope_releases, dict((first, second)))
        pair = _flip((first, second), list(expected.values()), now)
        if pair is not None:
            pairs.append(pair)
    done = min(len(combos), max_combinations)
    return WhatIf(
        evaluator.cluster.name,
        blueprints,
        tuple(found),
        tuple(singles),
        tuple(pairs),
        evaluator.count,
        len(combos),
        done,
        max_combinations,
        rendered,
        time.perf_counter() - start,
    )


def release_rules(specs: Iterable[RuleSpec]) -> list[RuleSpec]:
    """The rules a variable can change: those judging release values and rendered manifests."""
    return [spec for spec in specs if spec.scope in (Scope.RELEASE, Scope.RENDERED)]


def would_fail(result: WhatIf) -> list[tuple[Flip, Finding]]:
    """Each (assignment, finding) where the assignment adds a warning or error the rendered chart does not
    contradict: what `lint --whatif` reports."""
    found = []
    for flip in (*result.singles, *result.pairs):
        for finding in flip.appeared:
            if finding.severity in (Severity.ERROR, Severity.WARNING) and finding not in flip.contradicted:
                found.append((flip, finding))
    return found
