"""Reporters turn final, sorted findings into text; they never evaluate rules."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from compliance.findings import Finding, Severity


def summary(findings: Iterable[Finding]) -> dict[str, int]:
    counts = Counter(f.severity for f in findings)
    return {severity.value: counts.get(severity, 0) for severity in Severity}
