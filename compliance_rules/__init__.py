"""The built-in rule pack. One module per rule family; each rule's docstring is its documentation."""

from __future__ import annotations

import importlib

FAMILIES = (
    "attestation",
    "geo",
    "policy",
    "defaults",
    "versions",
    "dependencies",
    "schema",
    "card",
    "yaml",
    "inputs",
    "suppressions",
    "rendered",
    "gate",
)


def load() -> None:
    """Import every family module; importing registers its rules."""
    for family in FAMILIES:
        importlib.import_module(f"compliance_rules.{family}")
