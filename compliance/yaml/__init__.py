"""Loading: YAML text -> Helm-typed Python values with a position for every node.

Helm reads values with go-yaml v2 (YAML 1.1 resolution) through sigs.k8s.io/yaml, then a JSON round
trip: keys become strings and every number becomes a float64. ``load_yaml`` reproduces that
result (reference: helm-flux-yaml-semantics.md, section 4) and records where each node is.

Problems: YML000 parse error or something Helm refuses (Inf/NaN, bad merge, unknown alias, null
key, %YAML 1.2: go-yaml v2 rejects any version but 1.1; the document is still read as 1.1), YML001
YAML 1.1 boolean word (``%YAML 1.1`` or no directive: Helm reads every file as 1.1), YML002 key
collision (last value kept), YML003 a limit (the document becomes None; a file over
``Limits.max_bytes`` is not parsed at all), YML004 unknown tag (the node is read untagged: tags
are never constructed, so ``!!python/object/apply`` and ``!!binary`` stay plain data).

Positions: a scalar at its own start; a collection that is a mapping value at its key; a sequence
item at the item; aliased and merged-in nodes at the anchor's definition.

Design, driven by speed and safety:
- libyaml's C parser produces *events*; we build values in one iterative Python loop. Nothing is
  composed by recursive C code, so input nesting cannot overflow the C stack, and no tag is ever
  constructed (no PyYAML constructor runs at all).
- Positions are packed ints (``line << 32 | column``); a document written once, in order (no anchor, merge
  or repeated key) keeps only an array of them in pre-order of its value, the path mapping made when
  first needed; ``Mark`` instances are made only when looked up. Keys and short strings are interned.
- Aliases are expanded eagerly (copies), but once they bring in many nodes the document is
  counted up front, so an alias bomb is refused without being expanded.
- Bounds hold for the whole file, not each document: nodes after alias expansion, and the path
  steps of the positions kept (a node's position is keyed by its full path, so a deep and wide
  document costs nodes x depth). Once a file has spent its budget, the rest is not read.
- A document stopped by a limit is not read on: loading resumes at the next line starting a
  document (``---``) or ending one (``...``), with a fresh parser, so the rest of the stream
  still loads and costs no more than it would without the bad document.
- Same result on every libyaml: since 0.2.6 libyaml refuses ~1000 levels of nesting itself, and
  its scanner reads up to 1024 characters ahead, so its error can arrive before the events that
  lead there. The default ``max_depth`` is below its limit and, when libyaml stops first, the
  text before that point is loaded again: our limit then decides, at the same place as on older
  libyaml. Only a ``max_depth`` raised past ~1000 meets libyaml's limit (YML003 as well).

Layout, in the order data flows: ``scalars`` (go-yaml v2 scalar typing), ``document`` (the types the
model keeps), ``problems`` and ``budget`` (limits and what a file has spent), ``anchors`` (alias
expansion), ``builder`` and ``aliases`` (events -> one document), ``aliascount`` (the alias-bomb
pre-count), ``source`` (what one parser reads), ``streams`` (multi-document files, resuming after a
limit; ``load_yaml``), ``manifest`` and ``manifestload`` (a Flux/Kubernetes manifest typed as
kustomize-controller types it: go-yaml v3, then JSON; ``load_manifest``). This module is the package's
public API.
"""

from compliance.yaml.budget import Limits
from compliance.yaml.document import LoadedDocument, LoadedFile, LoadProblem, Mark, Path
from compliance.yaml.manifestload import load_manifest
from compliance.yaml.streams import load_yaml

__all__ = ["Limits", "LoadProblem", "LoadedDocument", "LoadedFile", "Mark", "Path", "load_manifest", "load_yaml"]
