"""What a rule proposes to repair a finding: data only, applied by `compliance.fix` (`compliance fix`).

A rule's check returns its `Violation`s with `fixes`; each `Fix` is a list of `Edit`s. An edit names one
YAML node by the loader's position of it (the 1-based line and column every finding carries: a scalar at
its first character, a collection that is a mapping value at its key, a sequence item at the item) and
says what to do there. It never carries bytes or offsets: the fix stage finds the node's exact extent in
the file, checks that the node still holds what the rule saw (`expected`), refuses the constructs where a
byte-minimal edit cannot be guaranteed (anchors, merge keys, multi-document files with directives, Flux
variables, links, files outside the root) and rewrites only the bytes of that node.

Actions (`Edit.action`):
- `set-scalar`: the scalar whose value is `expected` becomes the string `value`, in the node's own style
  (plain when that stays a string, else double-quoted).
- `quote-scalar`: the plain scalar `expected` is double-quoted, so YAML 1.1 reads it as a string.
- `delete-entry`: remove the block-mapping entry whose key is `expected` (its key line through the end of
  its value), only when its value equals the value of the entry at `other` (a later duplicate key).
- `add-items`: append the items of `value` (strings, or mappings written in flow style) to the sequence.
- `set-items`: make the sequence of names hold exactly the strings of `value`: items not in it are removed
  (with their lines, comments after them included), missing ones appended; kept ones stay as written.

Declarative and plugin rules declare fixes the same way: build `Fix` values, attach them to `Violation.fixes`.
"""

from __future__ import annotations

from typing import Any

from compliance.records import record

ACTIONS = ("set-scalar", "quote-scalar", "delete-entry", "add-items", "set-items")


@record
class Edit:
    """One change to one YAML node of one file (repo-relative, '/'-separated), located by the loader."""

    path: str
    line: int
    column: int
    action: str  # one of ACTIONS
    value: Any = None  # set-scalar: the new string; add-items/set-items: a tuple of items
    expected: Any = None  # set-scalar/quote-scalar: the scalar's current text; delete-entry: the key
    other: tuple[int, int] | None = None  # delete-entry: (line, column) of the key whose value must be equal


@record
class Fix:
    """A repair of one finding: its edits applied together, or none of them.

    `mode` names a command-line choice the fix needs: "" always offered; "fix-dag" only with `--fix-dag`;
    "prefer-chart" / "prefer-blueprint": the alternative `--prefer` picks (chart is the default).
    `skipped`, when set, says why the rule offers no edit although the rule is fixable.
    """

    description: str
    edits: tuple[Edit, ...] = ()
    mode: str = ""
    skipped: str = ""


MODES = ("", "fix-dag", "prefer-chart", "prefer-blueprint")
