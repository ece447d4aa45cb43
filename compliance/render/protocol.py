"""What a render back end is asked and answers (shared by the back ends and the SDK worker's client)."""

from __future__ import annotations

import re
from dataclasses import field

from compliance.records import record

LOG_PREFIX = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)? ")  # Go's log timestamp
# what helm says about the machine, not the chart (a group-readable kubeconfig)
ENVIRONMENT_NOISE = ("WARNING: Kubernetes configuration file",)


@record
class RenderRequest:
    chart_dir: str  # absolute
    release_name: str
    namespace: str
    values_json: str  # the values file's content (JSON is YAML)


@record
class RenderOutput:
    stream: str = ""  # `helm template` output
    error: str = ""  # Helm's message when the render failed
    warnings: tuple[str, ...] = field(default=())
    exceeded: str = ""  # which bound the render hit, when it was stopped (RND004)
    templates: dict[str, str] = field(default_factory=dict)  # the SDK worker's answer, before streaming


def warnings_of(text: str) -> tuple[str, ...]:
    lines = (LOG_PREFIX.sub("", line).strip() for line in text.splitlines())
    return tuple(dict.fromkeys(line for line in lines if line))
