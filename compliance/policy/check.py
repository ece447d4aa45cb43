"""Declarative policies as rules: each `Policy` becomes a check the engine runs like any other rule.

Per context, the scope's variables are converted to CEL once and shared by every policy of the run
(`Bindings`: the engine runs all rules of a scope on one context before the next). A validation is:
- passed when its expression is `true`;
- a violation (the policy's severity) when it is `false`, when it does not evaluate to a bool, or when
  evaluating it fails (a missing key without `has()`, no matching overload): fail closed, the message
  names the error;
- not run (`Violation.not_run`: the engine records the check as *not run: values unknown*, never passed
  nor failed) when it reads a value that depends on a Flux variable nobody supplied
  (`compliance.policy.cel.reads`), whatever the expression would make of the placeholder's text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from compliance.effective.values import unknown_sources
from compliance.engine.context import BlueprintContext, ReleaseContext, RenderedContext, RepositoryContext
from compliance.engine.registry import Check, RuleDeclaration, Scope
from compliance.model import MISSING, RenderedObject, format_path, get_path
from compliance.model.findings import Location, Severity, Violation
from compliance.policy.cel import Read, overlaps
from compliance.policy.document import DOCS, Expression, Policy, Validation
from compliance.yaml import Path

Context = RepositoryContext | BlueprintContext | ReleaseContext | RenderedContext


def declaration(policy: Policy) -> RuleDeclaration:
    return RuleDeclaration(
        policy.id, policy.title, policy.severity, policy.scope, policy.family, controls=tuple(policy.controls)
    )


def used(policies: Sequence[Policy]) -> tuple[set[str], set[str], Pruning]:
    """What the expressions of `policies` name: the variables and extension functions that `Bindings`
    converts and registers, and the parts of `values` they can read (`compliance.policy.cel.reads`)."""
    from compliance.policy.cel import extension_functions

    variables: set[str] = set()
    functions: set[str] = set()
    pruning: Pruning = {}
    for policy in policies:
        expressions = [policy.match] if policy.match is not None else []
        for validation in policy.validations:
            expressions += [validation.expression, *(p for p in validation.message if isinstance(p, Expression))]
            expressions += [validation.message_expression] if validation.message_expression is not None else []
            if validation.for_each is not None:
                pruning = _keep(pruning, validation.for_each)
        for expression in expressions:
            if expression is not None:
                names, called = expression.program.variables(), expression.program.functions()
                variables.update(names)
                functions.update(called)
                # `math.greatest(...)` is the engine's variable `math` and function `greatest`
                functions.update(f"{space}.{name}" for space in names for name in called)
                for path, _ in expression.reads:
                    pruning = _keep(pruning, path)
    return variables, functions & extension_functions(), pruning


Pruning = dict[str, Any] | None  # the keys of `values` to keep, each with its own pruning; None: all of it


def _keep(pruning: Pruning, path: Path) -> Pruning:
    """`pruning` extended to keep the value at `path` (up to its first list index) and all beneath it."""
    if pruning is None:
        return None
    keys = []
    for step in path:
        if not isinstance(step, str):
            break
        keys.append(step)
    if not keys:
        return None
    node = pruning
    for key in keys[:-1]:
        child = node.setdefault(key, {})
        if child is None:
            return pruning
        node = child
    node[keys[-1]] = None
    return pruning


def _pruned(value: Any, pruning: Pruning) -> Any:
    """The part of `value` that `pruning` keeps (a new mapping at every kept level; leaves are shared)."""
    if pruning is None or not isinstance(value, dict):
        return value
    return {key: _pruned(value[key], inner) for key, inner in pruning.items() if key in value}


def make_check(policy: Policy, bindings: Bindings) -> Check:
    """The check of `policy`; its docstring is the policy's documentation (`compliance explain`)."""

    def check(context: Any) -> Iterator[Violation]:
        return _Evaluation(policy, bindings).run(context)

    check.__doc__ = documentation(policy)
    check.__name__ = check.__qualname__ = f"policy_{policy.id}"
    return check


def documentation(policy: Policy) -> str:
    docs = policy.docs
    parts = [policy.title, "", "## What it does", docs.get("what") or policy.title]
    for key, heading in list(DOCS.items())[1:]:
        text = docs.get(key)
        if text:
            fenced = text if key == "why" or text.lstrip().startswith("```") else f"```yaml\n{text.rstrip()}\n```"
            parts += ["", f"## {heading}", fenced.rstrip()]
    if docs.get("howToFix"):
        parts += ["", "## How to fix", docs["howToFix"].rstrip()]
    parts += ["", "## Policy", f"Declared in `{policy.file}` (scope `{policy.scope.value}`)."]
    if policy.match is not None:
        parts.append(f"Applies when `{policy.match.source}`.")
    for v in policy.validations:
        each = f" for each item of `{format_path(v.for_each)}`" if v.for_each is not None else ""
        parts.append(f"- `{v.expression.source}`{each}" + (f" (at `{format_path(v.path)}`)" if v.path else ""))
    if policy.controls:
        parts += ["", "## Controls", ", ".join(policy.controls)]
    return "\n".join(parts)


# --- variables -------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A value the CEL engine converts: YAML's scalars, lists and string-keyed maps (others as text)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return None if value is MISSING else str(value)


def _document(value: Any) -> Any:
    return None if value is MISSING else value


def _release_variables(ctx: ReleaseContext) -> dict[str, Callable[[], Any]]:
    chart, release, cluster = ctx.chart, ctx.release, ctx.cluster

    def release_fields() -> dict[str, Any]:
        version = release.chart_version if release is not None else MISSING
        if version is MISSING and chart is not None:
            version = chart.version
        return {
            "name": release.name if release is not None else ctx.name,
            "namespace": release.namespace if release is not None else "",
            "chart": release.chart_name if release is not None else (chart.name if chart else ""),
            "version": _document(version),
            "cluster": cluster.name if cluster is not None else None,
        }

    return {
        "values": lambda: ctx.values.values,
        "release": release_fields,
        "cluster": lambda: cluster.name if cluster is not None else None,
        "blueprint": lambda: _document(ctx.blueprint.document.value) if ctx.blueprint is not None else None,
        "chart": lambda: _document(chart.chart_file.value) if chart is not None else None,
    }


def _variables(context: Context) -> dict[str, Callable[[], Any]]:
    """What CEL can see in `context`, each computed only when a policy reads it (a rendered context's
    `object` is bound per object)."""
    if isinstance(context, ReleaseContext):
        return _release_variables(context)
    if isinstance(context, RenderedContext):
        if context.release is None:
            return {name: lambda: None for name in ("values", "release", "cluster", "blueprint", "chart")}
        return _release_variables(context.release)
    if isinstance(context, BlueprintContext):
        blueprint, chart = context.blueprint, context.chart
        return {
            "blueprint": lambda: _document(blueprint.document.value),
            "chart": lambda: _document(chart.chart_file.value) if chart is not None else None,
        }
    repo = context.repo
    return {
        "repository": lambda: {"root": repo.root},
        "blueprints": lambda: [_document(b.document.value) for b in repo.blueprints],
        "clusters": lambda: [c.name for c in repo.clusters],
    }


class Bindings:
    """The CEL variables of the context being evaluated, converted once for every policy of the run: only
    the variables and extension functions the policies use (converting a release's values costs ~0.5 ms)."""

    def __init__(self, needed: Collection[str], functions: Collection[str], pruning: Pruning = None) -> None:
        self.needed, self.functions, self.pruning = frozenset(needed), frozenset(functions), pruning
        self._context: object = None
        self._variables: dict[str, Any] = {}
        self._cel: Any = None
        self._objects: dict[int, tuple[dict[str, Any], Any]] = {}

    def of(self, context: Context) -> tuple[dict[str, Any], Any]:
        if context is not self._context:
            self._context, self._objects = context, {}
            found = _variables(context)
            self._variables = {name: make() for name, make in found.items() if name in self.needed}
            if "values" in self._variables:  # only what the policies can read: converting costs by size
                self._variables["values"] = _pruned(self._variables["values"], self.pruning)
            self._cel = self.new(self._variables)
        return self._variables, self._cel

    def of_object(self, context: RenderedContext, obj: RenderedObject) -> tuple[dict[str, Any], Any]:
        base, _ = self.of(context)
        known = self._objects.get(id(obj))
        if known is None:
            scope = {**base, "object": _document(obj.document.value)}
            known = self._objects[id(obj)] = scope, self.new(scope)
        return known

    def new(self, variables: dict[str, Any]) -> Any:
        """A CEL context of `variables`: as they are, or made plain when the engine cannot convert them."""
        from compliance.policy.cel import new_context

        try:
            return new_context(variables, self.functions)
        except (TypeError, ValueError, OverflowError):  # a YAML value CEL has no type for (a huge integer...)
            return new_context({name: _plain(value) for name, value in variables.items()}, self.functions)


# --- evaluation ------------------------------------------------------------------------------------------


class _Failed(Exception):
    """An expression that did not evaluate (its message says why)."""


class _Evaluation:
    """One policy on one context."""

    def __init__(self, policy: Policy, bindings: Bindings) -> None:
        self.policy, self.bindings = policy, bindings

    def run(self, context: Context) -> Iterator[Violation]:
        base, cel = self.bindings.of(context)
        if isinstance(context, RenderedContext):
            for obj in context.objects():
                scope, object_cel = self.bindings.of_object(context, obj)
                yield from self._checked(context, scope, object_cel, obj)
        else:
            yield from self._checked(context, base, cel, None)

    def _checked(
        self, context: Context, scope: dict[str, Any], cel: Any, obj: RenderedObject | None
    ) -> Iterator[Violation]:
        policy = self.policy
        unknown = self._unknown(context)
        if policy.match is not None:
            read = self._reads_unknown(policy.match, unknown, ())
            if read is not None:
                yield self._not_run(self._at(context, obj, read, "", values=True), policy.match, read, unknown)
                return
            try:
                if self._evaluate(policy.match, cel) is not True:
                    return
            except _Failed as error:
                yield self._at(context, obj, (), f"{policy.title}: match could not be evaluated: {error}")
                return
        for validation in policy.validations:
            yield from self._validate(context, scope, cel, obj, validation, unknown)

    def _validate(
        self,
        context: Context,
        scope: dict[str, Any],
        cel: Any,
        obj: RenderedObject | None,
        validation: Validation,
        unknown: Mapping[Path, tuple[str, ...]],
    ) -> Iterator[Violation]:
        if validation.for_each is None:
            yield from self._one(context, cel, obj, validation, unknown, (), validation.path)
            return
        items = _get(scope, validation.for_each, obj is not None)
        for index, item in enumerate(items if isinstance(items, list) else []):
            at = (*validation.for_each, index)
            item_cel = self.bindings.new({**scope, "item": item, "index": index})
            yield from self._one(context, item_cel, obj, validation, unknown, at, (*at, *validation.path))

    def _one(
        self,
        context: Context,
        cel: Any,
        obj: RenderedObject | None,
        validation: Validation,
        unknown: Mapping[Path, tuple[str, ...]],
        item: Path,
        path: Path,
    ) -> Iterator[Violation]:
        expression = validation.expression
        read = self._reads_unknown(expression, unknown, item)
        if read is not None:
            where = path if validation.path or item else read
            yield self._not_run(self._at(context, obj, where, ""), expression, read, unknown)
            return
        try:
            result = self._evaluate(expression, cel)
        except _Failed as error:
            yield self._at(context, obj, path, f"{self._message(validation, cel)} (could not evaluate: {error})")
            return
        if result is not True:
            yield self._at(context, obj, path, self._message(validation, cel))

    def _evaluate(self, expression: Expression, cel: Any) -> Any:
        try:
            result = expression.program.execute(cel)
        except Exception as error:  # the engine raises KeyError, TypeError, ValueError, RuntimeError
            text = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise _Failed(f"{text} in `{expression.source}` ({expression.where})") from None
        if not isinstance(result, bool):
            raise _Failed(f"`{expression.source}` is {_shown(result)}, not true or false ({expression.where})")
        return result

    def _message(self, validation: Validation, cel: Any) -> str:
        if validation.message_expression is not None:
            try:
                return str(validation.message_expression.program.execute(cel))
            except Exception as error:  # a broken message must not hide the violation
                return f"{self.policy.title} (messageExpression failed: {error})"
        if not validation.message:
            return self.policy.title
        parts = []
        for part in validation.message:
            if isinstance(part, str):
                parts.append(part)
                continue
            try:
                parts.append(_shown(part.program.execute(cel)))
            except Exception:  # a placeholder that does not evaluate is shown as written
                parts.append(f"{{{{ {part.source} }}}}")
        return "".join(parts)

    # -- unknown values

    def _unknown(self, context: Context) -> Mapping[Path, tuple[str, ...]]:
        if isinstance(context, ReleaseContext):
            values = context.values
        elif isinstance(context, RenderedContext) and context.release is not None:
            values = context.release.values
        else:
            return {}
        if not values.unknown:
            return values.unresolved
        # a source that could set any key is missing (an optional valuesFrom, the chart's defaults: FLX007), so
        # a key the policy reads that the values do not hold is unknown, never absent
        found = dict(values.unresolved)
        policy = self.policy
        expressions = [policy.match] if policy.match is not None else []
        for validation in policy.validations:
            if validation.for_each is None:
                expressions += [validation.expression]
        for expression in expressions:
            for path, _ in expression.reads:
                if path and get_path(values.values, path, MISSING) is MISSING:
                    found.setdefault(path, values.unknown)
        return found

    def _reads_unknown(
        self, expression: Expression, unknown: Mapping[Path, tuple[str, ...]], item: Path
    ) -> Path | None:
        if not unknown:
            return None
        candidates: list[Read] = list(expression.reads)
        if item and self.policy.scope is not Scope.RENDERED:
            candidates += [((*item, *path), presence) for path, presence in expression.item_reads]
        for read in candidates:
            for path in unknown:
                if overlaps(read, path):
                    return path
        return None

    def _not_run(
        self, at: Violation, expression: Expression, path: Path, unknown: Mapping[Path, tuple[str, ...]]
    ) -> Violation:
        """Not a finding: why this check could not be evaluated (the engine records it as not run)."""
        names = unknown_sources(unknown.get(path, ()))
        message = f"values unknown: {format_path(path)} depends on {names} (read by `{expression.source}`)"
        return replace(at, message=message, not_run=True)

    # -- where a finding sits

    def _at(
        self,
        context: Context,
        obj: RenderedObject | None,
        path: Path,
        message: str,
        severity: Severity | None = None,
        values: bool = False,
    ) -> Violation:
        if isinstance(context, ReleaseContext):
            return context.at(path, message, severity)
        if isinstance(context, RenderedContext) and obj is not None:
            if values and context.release is not None:
                return context.at_values(path, message, severity)
            return context.at_object(obj, path, message, severity)
        if isinstance(context, BlueprintContext):
            return context.at_blueprint(path, message, severity)
        if isinstance(context, RenderedContext):
            return Violation(message, context.primary, "", (), severity)
        return Violation(message, Location("."), "", (), severity)


def _get(scope: Mapping[str, Any], path: Path, rendered: bool) -> Any:
    """The value at `path` under the scope's root: the object (rendered), values, the blueprint, the repository."""
    root_name = "object" if rendered else next((n for n in ("values", "blueprint", "repository") if n in scope), "")
    value: Any = scope.get(root_name)
    for step in path:
        if isinstance(value, dict) and isinstance(step, str):
            value = value.get(step)
        elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
            value = value[step]
        else:
            return None
    return value


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)
