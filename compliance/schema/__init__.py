"""JSON Schema checking for blueprint `configSchema`s: a fast validator for the subset blueprints use, confined
to the schema's own document; and the subschema a value path falls under.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compliance.yaml import Path


def schema_at(schema: Mapping[str, Any] | None, path: Path) -> Mapping[str, Any] | None:
    """The configSchema subschema that validates the value at `path` (following properties and items), if any."""
    node: Any = schema
    for key in path:
        if not isinstance(node, Mapping):
            return None
        if isinstance(key, int):
            node = node.get("items")
        else:
            properties = node.get("properties")
            node = properties.get(key) if isinstance(properties, Mapping) else None
    return node if isinstance(node, Mapping) else None
