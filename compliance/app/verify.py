"""`compliance verify BUNDLE`: the verdict of `compliance.evidence.verify` as lines and an exit code
(0 intact, 1 bad members; a bundle that cannot be checked at all is a usage error, exit 2)."""

from __future__ import annotations

from compliance.app.outcome import EXIT_FINDINGS, Outcome, Output
from compliance.evidence.verify import MANIFEST, verify_bundle


def verify(bundle: str) -> Outcome:
    verdict = verify_bundle(bundle)
    if not verdict.problems:
        return Outcome((Output(f"compliance: verify: {verdict.checked} members match {MANIFEST}\n"),))
    lines = "".join(f"compliance: verify: {problem}\n" for problem in verdict.problems)
    note = f"compliance: verify: {len(verdict.problems)} bad member(s) in {bundle}"
    return Outcome((Output(lines, note=note),), exit_code=EXIT_FINDINGS)
