"""The compliance controls the built-in rules evidence, named once and declared on each rule with
`@rule(..., controls=...)`. Ids are FRAMEWORK:ID: `SOC2` the AICPA Trust Services Criteria (2017, common
criteria CC), `ISO27001` ISO/IEC 27001:2022 Annex A, `EUAIA` Regulation (EU) 2024/1689 (the AI Act) by
article. What each id covers, why a rule evidences it and what it does not: docs/controls.md. No rules
live here.

A rule evidences a control when its passing result is something an auditor of that control would accept
as (part of) the evidence that the control operates for the configuration linted; it never proves the
control as a whole. Rules that only guard the linter's own inputs (YAML, file reads, rendering) evidence
none.
"""

from __future__ import annotations

# secrets and credentials: where they live, that none is written in the clear, who may use them
CREDENTIALS = ("SOC2:CC6.1", "ISO27001:A.5.17", "ISO27001:A.8.24")
# privileged access from outside: an admin surface on a public host
ADMIN_ACCESS = ("SOC2:CC6.1", "SOC2:CC6.6", "ISO27001:A.8.2", "ISO27001:A.8.5", "ISO27001:A.8.20")
# which model provider serves each channel, and that it was vetted
SUPPLIERS = ("SOC2:CC9.2", "ISO27001:A.5.19", "ISO27001:A.5.21", "EUAIA:Art.25")
# a commercial provider under a contract and an account
CONTRACTS = ("SOC2:CC9.2", "ISO27001:A.5.20", "ISO27001:A.5.31")
# the provider's acceptable-use policy enforced on what is sent to it
ACCEPTABLE_USE = ("SOC2:CC9.2", "ISO27001:A.5.10", "ISO27001:A.5.31", "EUAIA:Art.26")
# the gateway's audit log: on, and kept long enough
AUDIT_LOGGING = ("SOC2:CC7.2", "ISO27001:A.8.15", "ISO27001:A.5.33", "EUAIA:Art.12", "EUAIA:Art.19", "EUAIA:Art.26")
# prompts logged only when the customers were told
PROMPT_PRIVACY = ("SOC2:CC2.3", "ISO27001:A.5.34", "EUAIA:Art.26")
# customers told that requests go to a third-party provider
RESELLER_DISCLOSURE = ("SOC2:CC2.3", "ISO27001:A.5.31", "EUAIA:Art.50")
# sanctioned regions blocked (export control, sanctions law)
SANCTIONS = ("SOC2:CC5.3", "ISO27001:A.5.31")
# every deployable described: the service catalog as an asset inventory
INVENTORY = ("SOC2:CC2.1", "ISO27001:A.5.9")
# configuration as reviewed: declared, valid, the same on every path
CONFIGURATION = ("SOC2:CC8.1", "ISO27001:A.8.9")
# changes ordered, versioned and traceable
CHANGE = ("SOC2:CC8.1", "ISO27001:A.8.9", "ISO27001:A.8.32")
# the gate itself cannot be weakened in the change it judges
GATE = ("SOC2:CC8.1", "ISO27001:A.8.32", "ISO27001:A.5.36")
# exceptions governed: reasoned, owned, expiring, still needed
EXCEPTIONS = ("SOC2:CC4.2", "ISO27001:A.5.36")
