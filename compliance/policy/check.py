"""Declarative policies as rules: each `Policy` becomes a check the engine runs like any other rule.

Per context, the scope's variables are converted to CEL once and shared by every policy of the run
(`Bindings`: the engine runs all rules of a scope on one context before the next). A validation is:
- passed when its expression is `true`;
- a violation (the policy's severity) when it is `false`, when it does not evaluate to a bool, or when
  evaluating it fails (a missing key without `has()`, no matching overload): fail closed, the message
  names the error;
- not checked (info) when it reads a value that depends on a Flux variable nobody supplied
  (`compliance.policy.cel.reads`), whatever the expression would make of the placeholder's text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from compliance.engine.context import BlueprintContext, ReleaseContext, RenderedContext, RepositoryContext
from compliance.engine.registry import Check, RuleDeclaration, Scope
from compliance.model import MISSING, RenderedObject
from compliance.model.findings import Location, Severity, Violation
from compliance.policy.cel import Read, overlaps
from compliance.policy.document import DOCS, Expression, Policy, Validation
from compliance.yaml import Path

Context = RepositoryContext | BlueprintContext | ReleaseContext | RenderedContext


def declaration(policy: Policy) -> RuleDeclaration:
    return RuleDeclaration(policy.id, policy.title, policy.severity, policy.scope, policy.family)


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
    parts += [f"- `{v.expression.source}`" for v in policy.validations]
    if policy.controls:
        parts += ["", "## Controls", ", ".join(policy.controls)]
    return "\n".join(parts)


# --- variables -------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A value the CEL engine converts: YAML's scalars, lists and string-keyed maps (others as text)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value if value is not MISSING else None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def _document(value: Any) -> Any:
    return _plain(value) if value is not MISSING else None


def _release_variables(ctx: ReleaseContext) -> dict[str, Any]:
    chart, release, cluster = ctx.chart, ctx.release, ctx.cluster
    version = release.chart_version if release is not None else MISSING
    if version is MISSING and chart is not None:
        version = chart.version
    return {
        "values": _plain(ctx.values.values),
        "release": {
            "name": release.name if release is not None else ctx.name,
            "namespace": release.namespace if release is not None else "",
            "chart": release.chart_name if release is not None else (chart.name if chart else ""),
            "version": _document(version),
            "cluster": cluster.name if cluster is not None else None,
        },
        "cluster": cluster.name if cluster is not None else None,
        "blueprint": _document(ctx.blueprint.document.value) if ctx.blueprint is not None else None,
        "chart": _document(chart.chart_file.value) if chart is not None else None,
    }


def variables(context: Context) -> dict[str, Any]:
    """What CEL sees in `context` (a rendered context's `object` is bound per object)."""
    if isinstance(context, ReleaseContext):
        return _release_variables(context)
    if isinstance(context, RenderedContext):
        if context.release is None:
            return {"values": None, "release": None, "cluster": None, "blueprint": None, "chart": None}
        return _release_variables(context.release)
    if isinstance(context, BlueprintContext):
        chart = context.chart
        return {
            "blueprint": _document(context.blueprint.document.value),
            "chart": _document(chart.chart_file.value) if chart is not None else None,
        }
    repo = context.repo
    return {
        "repository": {"root": repo.root},
        "blueprints": [_document(b.document.value) for b in repo.blueprints],
        "clusters": [c.name for c in repo.clusters],
    }


class Bindings:
    """The CEL variables of the context being evaluated, converted once for every policy of the run."""

    def __init__(self) -> None:
        self._context: object = None
        self._variables: dict[str, Any] = {}
        self._cel: Any = None

    def of(self, context: Context) -> tuple[dict[str, Any], Any]:
        if context is not self._context:
            from compliance.policy.cel import new_context

            self._context = context
            self._variables = variables(context)
            self._cel = new_context(self._variables)
        return self._variables, self._cel


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
            from compliance.policy.cel import new_context

            for obj in context.objects():
                scope = {**base, "object": _document(obj.document.value)}
                yield from self._checked(context, scope, new_context(scope), obj)
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
                yield self._at(
                    context,
                    obj,
                    read,
                    f"not checked: {self._unknown_text(policy.match, read, unknown)}",
                    Severity.INFO,
                    values=True,
                )
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
        from compliance.policy.cel import new_context

        items = _get(scope, validation.for_each, obj is not None)
        for index, item in enumerate(items if isinstance(items, list) else []):
            at = (*validation.for_each, index)
            item_cel = new_context({**scope, "item": item, "index": index})
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
            yield self._at(
                context, obj, where, f"not checked: {self._unknown_text(expression, read, unknown)}", Severity.INFO
            )
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
            return context.values.unresolved
        if isinstance(context, RenderedContext) and context.release is not None:
            return context.release.values.unresolved
        return {}

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

    def _unknown_text(self, expression: Expression, path: Path, unknown: Mapping[Path, tuple[str, ...]]) -> str:
        from compliance.model import format_path

        names = ", ".join(f"${{{name}}}" for name in unknown.get(path, ())) or "an unknown Flux variable"
        return f"{self.policy.title}: `{expression.source}` reads {format_path(path)}, which depends on {names}"

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
