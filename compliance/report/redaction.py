"""Values given with `--var` are secrets unless the user marks them public (`--public-var NAME`).

A `--var` value is often a CI secret (a token, an internal host name). Rules see the real value; everything
shown (finding messages and traces in every format, `compliance values`, `compliance config`, the HTML report,
the evidence bundle and the baseline file) shows `<redacted>` in its place. Values from the repository's own
`.compliance.yaml` `variables` are in the repository already and are not secrets.

Redaction of text is by occurrence: every place a secret value appears in a message is replaced, also when
written JSON-escaped or repr-escaped, or cut short with `…`, and a re-typed scalar (`--var PORT=8080` read
as the integer 8080) is hidden as a value. It errs on the side of hiding: a short secret such as `eu` hides
every `eu` in the messages, so name the variables that are not secret with `--public-var`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from compliance.records import record

if TYPE_CHECKING:
    from compliance.governance.exceptions import Suppressed
    from compliance.model.findings import Finding

REDACTED = "<redacted>"
MIN_PREFIX = 6  # a value cut short with `…` is hidden when at least this much of a secret shows


@record
class Redactor:
    """Hides secret `--var` values in what is shown; `Redactor()` hides nothing."""

    secrets: tuple[str, ...] = ()  # the values, longest first
    forms: tuple[str, ...] = ()  # each as it may be written in text (raw, JSON- and repr-escaped), longest first

    @classmethod
    def of(cls, variables: Mapping[str, str], public: Iterable[str] = ()) -> Redactor:
        shown = set(public)
        secrets = {value for name, value in variables.items() if name not in shown and value != ""}
        forms = {
            form
            for value in secrets
            for form in (value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1], repr(value)[1:-1])
            if form
        }
        return cls(tuple(sorted(secrets, key=lambda s: (-len(s), s))), tuple(sorted(forms, key=lambda s: (-len(s), s))))

    def hiding(self, values: Iterable[str]) -> Redactor:
        """This redactor, also hiding `values` (a Flux substituteFrom Secret's values in the repository)."""
        extra = [v for v in values if v and v not in self.secrets]
        if not extra:
            return self
        return Redactor.of({str(i): value for i, value in enumerate([*self.secrets, *extra])})

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def variables(self, variables: Mapping[str, str]) -> dict[str, str]:
        """The variables with secret values replaced: for computing values that are only shown, never judged."""
        return {name: REDACTED if value in self.secrets else value for name, value in variables.items()}

    def text(self, text: str) -> str:
        for form in self.forms:
            if form in text:
                text = text.replace(form, REDACTED)
            if "…" in text:  # a value cut to a width: hide the part of a secret that shows
                for end in range(len(form) - 1, MIN_PREFIX - 1, -1):
                    text = text.replace(form[:end] + "…", REDACTED + "…")
        return text

    def value(self, value: Any) -> Any:
        """A value (a trace step's, an effective value) with secrets hidden, its shape kept."""
        if not self.secrets or value is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.value(item) for item in value)
        written = {str(value), json.dumps(value, default=str)}
        return REDACTED if not written.isdisjoint(self.secrets) else value

    def finding(self, finding: Finding) -> Finding:
        if not self.secrets:
            return finding
        trace = tuple(replace(step, value=self.value(step.value)) for step in finding.trace)
        return replace(finding, message=self.text(finding.message), trace=trace)

    def findings(self, findings: Iterable[Finding]) -> tuple[Finding, ...]:
        return tuple(self.finding(f) for f in findings)

    def suppressed(self, suppressed: Iterable[Suppressed]) -> tuple[Suppressed, ...]:
        return tuple(replace(s, finding=self.finding(s.finding)) for s in suppressed)
