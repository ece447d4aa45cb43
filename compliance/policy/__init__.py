"""Declarative policies: YAML documents with CEL expressions, registered in a run's Registry as rules.

`add_policies` reads a policy file (or a folder's `*.yaml`, not its `*_test.yaml` tests), compiles and
type-checks each expression once (`compliance.policy.document`, `compliance.policy.celtypes`) and adds
one rule per policy to the registry builder (`compliance.policy.check`): `rules`, `explain`,
suppressions, baselines and every output format treat them as any other rule. The CEL engine is
imported only here, when a policy file is loaded.

Trust (docs/security.md): a policy cannot run code, but it decides what the gate checks. A policy file
inside a linted repository is refused unless the repository's rules are trusted
(`--trust-repository-rules`), as `--rules` modules are; a policy id must not clash with any loaded rule.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from compliance.engine import trust
from compliance.engine.registry import PluginError, RegistryBuilder
from compliance.policy.check import Bindings, declaration, make_check, used
from compliance.policy.document import PolicyError, is_policy_path, policy_files, read_policies

__all__ = ["PolicyError", "add_policies", "is_policy_path"]


def add_policies(builder: RegistryBuilder, path: str, roots: Sequence[str] = (), trust_roots: bool = False) -> int:
    """Register the policies of `path` (a file, or a folder's policy files); how many were added."""
    if not os.path.exists(path):
        raise PolicyError(f"--rules {path}: no such file or directory")
    files = policy_files(path)
    if not trust_roots:
        for file in files:
            root = trust.containing_root(file, roots)
            if root is not None:
                raise PolicyError(
                    f"{file}: policy file inside the linted repository {os.path.abspath(root)}: the change under "
                    f"review would decide what its gate checks; keep policies outside the checkout, or pass "
                    f"{trust.TRUST_FLAG} if this repository's own policies are trusted (docs/security.md)"
                )
    policies = [policy for file in files for policy in read_policies(file, in_folder=os.path.isdir(path))]
    bindings = Bindings(*used(policies))  # one conversion of each context's variables for all these policies
    for policy in policies:
        try:
            builder.add_rule(policy.file, make_check(policy, bindings), declaration(policy))
        except PluginError as error:
            raise PolicyError(f"{policy.where}: {str(error).removeprefix(policy.file + ': ')}") from None
    return len(policies)
