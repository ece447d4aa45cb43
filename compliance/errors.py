"""The errors the tool reports to its user, as one hierarchy the command line maps to exit codes.

A `UsageError` is the user's to fix (an unknown rule id, a broken config, plugin or baseline file, a
missing path): the command line prints its message and exits 2. Any other exception is a bug: the
command line says "internal error" and exits 3 (`compliance.cli.main`). Every stage raises its own
subclass, so callers catch `UsageError` once instead of a tuple of stage errors.
"""

from __future__ import annotations


class ComplianceError(Exception):
    """Everything this tool raises on purpose."""


class UsageError(ComplianceError):
    """Input the user can fix: shown as `compliance: error: MESSAGE`, exit 2."""
