"""What the pack knows about the LLM marketplace gateway (the NewAPI chart): how its values compose the
channel list the chart renders, which channel types are commercial, the sanctioned-region baseline, and
the channel list a rendered ConfigMap carries in `channels.yaml`. No rules live here.

The engine gives rules values with provenance and rendered manifests; everything gateway-shaped is
derived here from those, per context (the rendered lists are parsed once per context).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from compliance.effective.envsubst import EnvsubstError, Unresolved, substitute
from compliance.effective.substitution import OpenVariables
from compliance.effective.values import go_truthy
from compliance.engine.context import ReleaseContext, RenderedContext
from compliance.engine.coverage import Applies, Skip, not_applicable, not_run
from compliance.engine.options import string_list, string_set
from compliance.engine.registry import Check, Scope, rule
from compliance.model import MISSING, RenderedObject, YamlDocument, format_path
from compliance.model.findings import Location, Severity, Violation
from compliance.records import record
from compliance.yaml import Path, load_yaml

CHANNELS_KEY = "channels.yaml"  # the ConfigMap key the gateway loads its channel list from
PARSE_CODES = ("YML000", "YML003")

SANCTIONED_BASELINE = string_list(
    "sanctioned-baseline",
    ("IR", "KP", "SY", "CU", "RU-occupied-UA"),
    "Regions `geo.sanctionedRegions.block` must contain unless a justified relaxation is allowed.",
)
COMMERCIAL_CHANNEL_TYPES = string_set(
    "commercial-channel-types",
    frozenset({"openai-compatible", "anthropic"}),
    "Channel `type`s that route requests to a commercial provider (the provider's AUP and export rules apply).",
)


@record
class Channel:
    index: int  # position in the rendered channels list
    source: Path  # where its values live: ("channels", 2) or ("defaultChannels", "vllm")
    spec: Mapping[str, Any]  # the composed channel as rendered

    @property
    def enabled(self) -> bool:
        return self.spec.get("enabled", True) is not False

    @property
    def name(self) -> str:
        name = self.spec.get("name")
        return str(name) if name is not None else f"#{self.index}"

    def path(self, *keys: str | int) -> Path:
        return self.source + keys


# ── Channels as the chart composes them from the values ──────────────────────


def compose_channels(values: Mapping[str, Any]) -> tuple[Channel, ...]:
    """`defaultChannels.qwenPartner` + `channels` + `defaultChannels.vllm`, as `effectiveChannels`."""
    composed: list[Channel] = []
    defaults = values.get("defaultChannels")
    defaults = defaults if isinstance(defaults, dict) else {}
    partner = defaults.get("qwenPartner")
    if isinstance(partner, dict) and go_truthy(partner.get("enabled")) and not _unknown(partner.get("enabled")):
        spec = dict(partner)
        spec["type"] = "openai-compatible"
        if not go_truthy(spec.get("attestation")):
            spec["attestation"] = {"kind": "commercial-contract"}
        composed.append(Channel(len(composed), ("defaultChannels", "qwenPartner"), spec))
    channels = values.get("channels")
    for position, item in enumerate(channels if isinstance(channels, list) else []):
        if isinstance(item, dict):
            composed.append(Channel(len(composed), ("channels", position), item))
    vllm = defaults.get("vllm")
    if (
        isinstance(vllm, dict)
        and go_truthy(vllm.get("enabled"))
        and not _unknown(vllm.get("enabled"))
        and go_truthy(vllm.get("endpoint"))
    ):
        spec = dict(vllm)
        spec["type"] = "vllm"
        if not go_truthy(spec.get("attestation")):
            spec["attestation"] = {"kind": "in-cluster"}
        composed.append(Channel(len(composed), ("defaultChannels", "vllm"), spec))
    return tuple(composed)


def _unknown(value: Any) -> bool:
    return isinstance(value, Unresolved)


def values_channels(ctx: ReleaseContext) -> tuple[Channel, ...]:
    """The channel list the chart renders from this release's values (a walk of a few keys: not cached)."""
    return compose_channels(ctx.values.values)


def enabled_channels(ctx: ReleaseContext) -> list[Channel]:
    return [channel for channel in values_channels(ctx) if channel.enabled]


def is_commercial(ctx: ReleaseContext, channel: Channel) -> bool:
    return channel.spec.get("type") in COMMERCIAL_CHANNEL_TYPES.of(ctx.options)


def commercial_channels(ctx: ReleaseContext) -> list[Channel]:
    return [channel for channel in enabled_channels(ctx) if is_commercial(ctx, channel)]


def is_gateway(ctx: ReleaseContext) -> bool:
    """Values shaped like the LLM marketplace gateway (the contract's rules apply)."""
    return "channels" in ctx.values.values or "defaultChannels" in ctx.values.values


NO_GATEWAY = "no gateway release (no values with channels or defaultChannels)"


def gateway_release(ctx: ReleaseContext) -> Skip | None:
    """`@rule(applies=...)` of the channel rules: a release that is not the gateway has no channel to check."""
    return None if is_gateway(ctx) else not_applicable(NO_GATEWAY)


def gateway_or(section: Path) -> Applies:
    """`@rule(applies=...)` of a contract knob: the gateway's values, or any values that set `section`."""
    shown = format_path(section)

    def applies(ctx: ReleaseContext) -> Skip | None:
        if is_gateway(ctx) or ctx.get(section) is not MISSING:
            return None
        return not_applicable(f"no gateway release and no {shown} value")

    return applies


def rendered(ctx: RenderedContext) -> Skip | None:
    """`@rule(applies=...)` of the rules on rendered objects: a chart that did not render was not checked."""
    if ctx.manifests.objects or (ctx.manifests.text and not ctx.problems):
        return None
    # nothing rendered: a problem says why, here or once for the chart (RND002 is reported per chart)
    return not_run(f"chart not rendered (see {ctx.problems[0].code if ctx.problems else 'RND002'})")


def manifest_rule(id: str, title: str, severity: Severity, controls: Sequence[str] = ()) -> Callable[[Check], Check]:
    """`@rule` of a rule on rendered objects: "not run" (never a pass) where the chart did not render."""
    return rule(id, title, severity, Scope.RENDERED, "rendered", controls=controls, applies=rendered)


# ── The channel list inside the rendered ConfigMap ───────────────────────────


@record
class RenderedChannels:
    """The channel list a rendered ConfigMap carries in its `channels.yaml` document."""

    obj: RenderedObject
    key: Path  # where the document sits in the ConfigMap: ("data", "channels.yaml")
    channels: tuple[Channel, ...]  # each Channel.source is its item's path inside the document: (index,)
    document: YamlDocument | None  # the parsed document; None when it does not parse
    offset: tuple[int, int] | None = None  # (lines, columns) from document positions to the stream file
    error: str = ""  # why the document does not parse


def rendered_channel_lists(ctx: RenderedContext) -> tuple[RenderedChannels, ...]:
    """Every rendered ConfigMap's `channels.yaml`, parsed once per context, `${VAR}` text kept as unknown."""
    cached: tuple[RenderedChannels, ...] | None = ctx.derived.get(CHANNELS_KEY)
    if cached is None:
        cached = ctx.derived[CHANNELS_KEY] = _channel_lists(ctx)
    return cached


def _channel_lists(ctx: RenderedContext) -> tuple[RenderedChannels, ...]:
    manifests = ctx.manifests
    found: list[RenderedChannels] = []
    lines = manifests.text.splitlines()
    for obj in manifests.objects:
        if obj.kind != "ConfigMap":
            continue
        key = ("data", CHANNELS_KEY)
        text = obj.get(key, None)
        if not isinstance(text, str):
            continue
        loaded = load_yaml(text)
        errors = [p.message for p in loaded.problems if p.code in PARSE_CODES]
        offset = _literal_block_offset(lines, obj, key) if manifests.in_file else None
        if errors or len(loaded.documents) > 1:
            error = errors[0] if errors else "more than one YAML document"
            found.append(RenderedChannels(obj, key, (), None, offset, error))
            continue
        document = loaded.documents[0] if loaded.documents else None
        items = _unknown_variables(document.value) if document is not None else None
        listed = tuple(
            Channel(index, (index,), item)
            for index, item in enumerate(items if isinstance(items, list) else [])
            if isinstance(item, dict)
        )
        error = "" if items is None or isinstance(items, list) else "not a list of channels"
        inner = YamlDocument(obj.document.file, document) if document is not None else None
        found.append(RenderedChannels(obj, key, listed, inner, offset, error))
    return tuple(found)


@record
class Unserved:
    """An enabled values channel the rendered channel lists do not carry (the chart dropped it)."""

    channel: Channel
    certain: bool  # False: a channel of the same name and type is configured twice, and which one the chart
    # dropped cannot be told apart
    carrier: RenderedObject  # the (first) ConfigMap whose `channels.yaml` the gateway loads


def unserved_channels(ctx: RenderedContext) -> Iterator[Unserved]:
    """The enabled values channels the rendered `channels.yaml` lists do not carry (the render is the truth about
    what ships); none when the render says nothing about channels (no values behind it, no rendered
    `channels.yaml`, or one that cannot be read).

    A rendered channel stands for a configured one of the same name and type first, then for one of the same
    name (a template may rewrite the type: the channel is served, not dropped), each rendered channel for one
    configured channel, in the chart's composition order."""
    lists = rendered_channel_lists(ctx)
    if ctx.release is None or not lists or any(listed.error for listed in lists):
        return
    rendered = [channel for listed in lists for channel in listed.channels]
    by_kind = Counter((channel.name, _kind(channel)) for channel in rendered)
    by_name = Counter(channel.name for channel in rendered)
    enabled = enabled_channels(ctx.release)
    exact = set()
    for channel in enabled:
        key = (channel.name, _kind(channel))
        if by_kind[key] > 0:
            by_kind[key] -= 1
            by_name[channel.name] -= 1
            exact.add(channel.index)
    unserved: list[Channel] = []
    for channel in enabled:
        if channel.index in exact:
            continue
        if by_name[channel.name] > 0:
            by_name[channel.name] -= 1
        else:
            unserved.append(channel)
    twins = Counter((channel.name, _kind(channel)) for channel in enabled)
    for channel in unserved:
        yield Unserved(channel, twins[(channel.name, _kind(channel))] == 1, lists[0].obj)


def _kind(channel: Channel) -> str | None:
    kind = channel.spec.get("type")
    return kind if isinstance(kind, str) else None


def _literal_block_offset(lines: list[str], obj: RenderedObject, key: tuple[str, ...]) -> tuple[int, int] | None:
    """(lines, columns) that map positions inside a `|` block scalar to the stream file."""
    mark = obj.document.mark(key)
    if mark is None or mark.line > len(lines) or not lines[mark.line - 1][mark.column - 1 :].startswith("|"):
        return None
    for line in lines[mark.line :]:
        if line.strip():
            return mark.line, len(line) - len(line.lstrip(" "))
    return None


def _unknown_variables(value: Any) -> Any:
    """Rendered text still holding `${VAR}` (a Flux variable nobody supplied) becomes `Unresolved`."""
    if isinstance(value, dict):
        return {k: _unknown_variables(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknown_variables(v) for v in value]
    if isinstance(value, str) and "${" in value:
        try:
            result = substitute(value, OpenVariables({}))
        except EnvsubstError:
            return value
        return Unresolved(value, result.variables) if isinstance(result, Unresolved) else value
    return value


def at_channel(
    ctx: RenderedContext,
    listed: RenderedChannels,
    channel: Channel,
    keys: Path,
    message: str,
    severity: Severity | None = None,
    values_path: Path | None = None,
) -> Violation:
    """Like `RenderedContext.at_object` for a key of one rendered channel; in a stream file, inside `channels.yaml`."""
    path = channel.path(*keys)
    if values_path is None and ctx.manifests.in_file and listed.offset and listed.document is not None:
        inner = listed.document.locate(path)
        lines, columns = listed.offset
        violation = ctx.at_object(listed.obj, listed.key, message, severity)
        location = Location(ctx.manifests.source, inner.line + lines, inner.column + columns)
        return Violation(violation.message, location, violation.value_path + format_path(path), (), severity)
    return ctx.at_object(listed.obj, (*listed.key, *path), message, severity, values_path)
