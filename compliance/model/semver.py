"""Semantic versions and version constraints as Flux source-controller reads a chart `version:`.

An exact match of the version string first, then a Masterminds/semver v3 constraint (`*`, `1.4.x`,
`>=1.0.0 <2.0.0`, `^1.2`, `~1.2`, `1.0 - 1.4`, `||`). Used to choose a HelmRelease's chart
(`Repository.chart_choice`) and by the version rules (VER003).
"""

from __future__ import annotations

import functools
import re

from compliance.records import record

# ── Masterminds/semver v3 (what Flux uses to resolve `spec.chart.spec.version`) ──────────────


@record
class Version:
    major: int
    minor: int
    patch: int
    pre: str = ""

    def key(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def compare(self, other: Version) -> int:
        if self.key() != other.key():
            return -1 if self.key() < other.key() else 1
        return _compare_prerelease(self.pre, other.pre)


_LOOSE_VERSION = re.compile(
    r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)


def parse_version(text: str) -> Version | None:
    """Masterminds `NewVersion`: a `v` prefix and missing minor/patch parts are accepted."""
    match = _LOOSE_VERSION.fullmatch(text.strip())
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    return Version(int(major), int(minor[1:]) if minor else 0, int(patch[1:]) if patch else 0, pre or "")


def _compare_prerelease(left: str, right: str) -> int:
    """SemVer precedence of prerelease strings (a release sorts after its prereleases)."""
    if left == right:
        return 0
    if not left or not right:
        return 1 if not left else -1
    ours, theirs = left.split("."), right.split(".")
    for a, b in zip(ours, theirs, strict=False):
        if a == b:
            continue
        if a.isdigit() and b.isdigit():
            return -1 if int(a) < int(b) else 1
        if a.isdigit() != b.isdigit():
            return -1 if a.isdigit() else 1  # numeric identifiers sort first
        return -1 if a < b else 1
    return -1 if len(ours) < len(theirs) else 1


_OPS = r"=|!=|>|<|>=|=>|<=|=<|~|~>|\^|"
_PART = r"[0-9xX*]+"
_PRE = r"-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
_BUILD = r"\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
_CV = rf"v?{_PART}(?:\.{_PART})?(?:\.{_PART})?(?:{_PRE})?(?:{_BUILD})?"


@functools.cache
def _grammar() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(one constraint, a constraint found in a group, a valid group, a hyphen range), compiled on the first
    pin that is not an exact version (most are: compiling them at import costs start-up ~5 ms)."""
    return (
        re.compile(rf"\s*({_OPS})\s*v?({_PART})(\.{_PART})?(\.{_PART})?({_PRE})?(?:{_BUILD})?\s*"),
        re.compile(rf"(?:{_OPS})\s*{_CV}"),
        re.compile(rf"\s*(?:{_OPS})\s*{_CV}\s*(?:(?:\s+|,\s*)(?:{_OPS})\s*{_CV}\s*)*"),
        re.compile(rf"\s*({_CV})\s+-\s+({_CV})\s*"),
    )


@record
class Constraint:
    op: str
    con: Version
    dirty: bool = False
    minor_dirty: bool = False
    patch_dirty: bool = False

    def check(self, v: Version) -> bool:
        return _CHECKS[self.op](v, self)


def _is_x(part: str | None) -> bool:
    return part in ("x", "X", "*")


def _parse_one(text: str) -> Constraint | None:
    match = _grammar()[0].fullmatch(text)
    if match is None:
        return None
    op, major, minor, patch, pre = match.groups()
    pre = pre or ""
    minor_part = (minor or "")[1:]
    patch_part = (patch or "")[1:]
    dirty = minor_dirty = patch_dirty = False
    if _is_x(major):
        text, dirty = f"0.0.0{pre}", True
    elif _is_x(minor_part) or not minor:
        text, dirty, minor_dirty = f"{major}.0.0{pre}", True, True
    elif _is_x(patch_part) or not patch:
        text, dirty, patch_dirty = f"{major}.{minor_part}.0{pre}", True, True
    else:
        text = f"{major}.{minor_part}.{patch_part}{pre}"
    version = parse_version(text)
    if version is None:
        return None
    return Constraint(op, version, dirty, minor_dirty, patch_dirty)


def parse_constraint(text: str) -> list[list[Constraint]] | None:
    """Masterminds `NewConstraint`: OR groups of AND-ed constraints; None when it is invalid."""
    text = _grammar()[3].sub(lambda m: f" >= {m.group(1)}, <= {m.group(2)} ", text)
    groups: list[list[Constraint]] = []
    for part in text.split("||"):
        if _grammar()[2].fullmatch(part) is None:
            return None
        group: list[Constraint] = []
        for found in _grammar()[1].finditer(part):
            constraint = _parse_one(found.group(0))
            if constraint is None:
                return None
            group.append(constraint)
        groups.append(group)
    return groups


def satisfies(version: Version, groups: list[list[Constraint]]) -> bool:
    return any(all(c.check(version) for c in group) for group in groups)


def _excluded_prerelease(v: Version, c: Constraint) -> bool:
    """A prerelease never satisfies a constraint that does not itself name a prerelease."""
    return bool(v.pre) and not c.con.pre


def _tilde(v: Version, c: Constraint) -> bool:
    if _excluded_prerelease(v, c) or v.compare(c.con) < 0:
        return False
    if c.con.key() == (0, 0, 0) and not c.minor_dirty and not c.patch_dirty:
        return True
    return v.major == c.con.major and (v.minor == c.con.minor or c.minor_dirty)


def _tilde_or_equal(v: Version, c: Constraint) -> bool:
    if _excluded_prerelease(v, c):
        return False
    return _tilde(v, c) if c.dirty else v.compare(c.con) == 0


def _not_equal(v: Version, c: Constraint) -> bool:
    if c.dirty:
        if _excluded_prerelease(v, c):
            return False
        if c.con.major != v.major:
            return True
        if c.minor_dirty:
            return False
        if c.con.minor != v.minor:
            return True
        if c.patch_dirty:
            return bool(v.pre or c.con.pre) and _compare_prerelease(v.pre, c.con.pre) != 0
    return v.compare(c.con) != 0


def _greater(v: Version, c: Constraint) -> bool:
    if _excluded_prerelease(v, c):
        return False
    if not c.dirty:
        return v.compare(c.con) > 0
    if v.major != c.con.major:
        return v.major > c.con.major
    if c.minor_dirty:
        return False
    if c.patch_dirty:
        return v.minor > c.con.minor
    return v.compare(c.con) > 0


def _less(v: Version, c: Constraint) -> bool:
    return not _excluded_prerelease(v, c) and v.compare(c.con) < 0


def _greater_equal(v: Version, c: Constraint) -> bool:
    return not _excluded_prerelease(v, c) and v.compare(c.con) >= 0


def _less_equal(v: Version, c: Constraint) -> bool:
    if _excluded_prerelease(v, c):
        return False
    if not c.dirty:
        return v.compare(c.con) <= 0
    if v.major > c.con.major:
        return False
    return not (v.major == c.con.major and v.minor > c.con.minor and not c.minor_dirty)


def _caret(v: Version, c: Constraint) -> bool:
    if _excluded_prerelease(v, c) or v.compare(c.con) < 0:
        return False
    if c.con.major > 0 or c.minor_dirty:
        return v.major == c.con.major
    if v.major > 0:
        return False
    if c.con.minor > 0 or c.patch_dirty:
        return v.minor == c.con.minor
    if v.minor > 0:
        return False
    return v.patch == c.con.patch


_CHECKS = {
    "": _tilde_or_equal,
    "=": _tilde_or_equal,
    "!=": _not_equal,
    ">": _greater,
    "<": _less,
    ">=": _greater_equal,
    "=>": _greater_equal,
    "<=": _less_equal,
    "=<": _less_equal,
    "~": _tilde,
    "~>": _tilde,
    "^": _caret,
}


def pin_admits(pin: str, version: str) -> bool | None:
    """Does the Flux version expression `pin` select `version`? None when it cannot be read."""
    if pin == version:
        return True  # source-controller looks for an exact version string first
    groups = parse_constraint(pin if pin.strip() else "*")
    if groups is None:
        return None
    parsed = parse_version(version)
    return None if parsed is None else satisfies(parsed, groups)


def pin_refusal(pinned: object, chart: str, versions: list[str], where: str) -> str:
    """Why the chart versions a repository holds are not what a HelmRelease's `version` pin asks for, and what
    follows: the tree's chart is not the one installed, so the release is checked against no chart."""
    if pinned is None:
        pin, why = "*", "no version pin means '*', which selects no prerelease"
    elif isinstance(pinned, bool) or not isinstance(pinned, str):
        pin = str(pinned).lower() if isinstance(pinned, bool) else str(pinned)
        kind = "boolean" if isinstance(pinned, bool) else "number"
        why = f"the pin is the {kind} {pin}, not a string (unquoted, YAML reads it as a {kind}; quote the version)"
    elif parse_constraint(pinned if pinned.strip() else "*") is None:
        pin, why = pinned, "it is not a valid version or range"
    else:
        pin = pinned
        prerelease = any((v := parse_version(text)) is not None and v.pre for text in versions)
        why = "the pin does not select it" + (
            " (a range selects a prerelease only when it names one)" if prerelease else ""
        )
    has = ", ".join(dict.fromkeys(versions))
    return (
        f"chart '{chart}' pinned at '{pin}' from {where}: the repository has {has}, and {why}; "
        "the tree's chart is not used for this release: values checked against nothing, not rendered"
    )
