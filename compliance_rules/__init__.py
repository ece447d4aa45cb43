"""The built-in rule pack. One module per rule family; each rule's docstring is its documentation."""

from __future__ import annotations

import importlib
from types import ModuleType

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
    "rendering",
    "rendered",
    "gate",
    "flux",
)


PROVIDER = "compliance_rules"


def modules() -> list[ModuleType]:
    """Every family module, imported; a registry collects their rules (`compliance.engine.registry`)."""
    return [importlib.import_module(f"compliance_rules.{family}") for family in FAMILIES]
