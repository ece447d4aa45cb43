"""Helpers the gateway-contract families share: how values are named in messages,
and which commercial channels are enabled for certain. No rules live here."""

from __future__ import annotations

from typing import Any

from compliance.engine.context import ReleaseContext, is_unknown
from compliance.model import MISSING
from compliance.yaml.spelling import spell
from compliance_rules.gateway import Channel, commercial_channels


def as_yaml(value: Any) -> str:
    """A value as a reader of the YAML would write it: `false`, `null`, `'text'`, `42`, `[IR, KP]`.

    Every rule message spells values with this (`compliance.yaml.spelling.spell`), never with `repr`.
    """
    return "null" if value is MISSING else spell(value)


def proven_commercial(ctx: ReleaseContext) -> list[Channel]:
    """Commercial channels that are enabled for certain (not through an unset Flux variable)."""
    return [c for c in commercial_channels(ctx) if not is_unknown(c.spec.get("enabled"))]
