"""The fix stage (`compliance fix`): apply the repairs rules attach to their findings (`compliance.model.fixes`).

`nodes` reads a YAML text's node tree with every node's exact extent (libyaml's events, as the loader
parses); `edits` turns one `Edit` into a character-range replacement, refusing what cannot be done
byte-minimally; `apply` plans every finding's fix against the files on disk, applies the fixes that do not
overlap and proves that every line outside the edited ones is byte-identical before anything is written.
"""

from compliance.fix.apply import Applied, Change, FixKey, Planned, Sources, apply, chosen, fix_key, offered, plan

__all__ = ["Applied", "Change", "FixKey", "Planned", "Sources", "apply", "chosen", "fix_key", "offered", "plan"]
