"""`compliance verify BUNDLE`: every member of an evidence bundle checked against its `manifest.sha256`.

`compliance report --bundle` writes `manifest.sha256` (GNU `sha256sum` format) over every other member, the
report and the findings included. `verify` re-hashes each member and reports the ones that differ, are
missing or are not in the manifest. This catches accidental damage and edits by anyone who did not also
rewrite the manifest; against the bundle's holder, sign the bundle with the CI system's attestation
(docs/ci.md). Reading is bounded: a zip bomb or a corrupt member is a finding of the check, never a hang.
"""

from __future__ import annotations

import hashlib
import re
import zipfile

from compliance.errors import UsageError
from compliance.records import record

MANIFEST = "manifest.sha256"
MAX_MEMBERS = 100_000
MAX_MEMBER_BYTES = 1 << 30  # no member of a real bundle comes near it; more is refused, not read
_LINE = re.compile(r"(\\?)([0-9a-f]{64})  (.+)")


class BundleError(UsageError, ValueError):
    """The bundle cannot be checked at all: not a zip, no manifest, a malformed manifest."""


@record
class Verdict:
    checked: int  # members whose hash matched
    problems: tuple[str, ...]  # one line per bad member


def _unescape(name: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r", "\\": "\\"}.get(m.group(1), m.group(0)), name)


def parse_manifest(text: str) -> dict[str, str]:
    """Member name -> SHA-256 from `sha256sum` lines (a leading `\\` marks an escaped name)."""
    entries: dict[str, str] = {}
    for number, line in enumerate(text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"), 1):
        match = _LINE.fullmatch(line)
        if match is None:
            raise BundleError(f"{MANIFEST}:{number}: not a `sha256sum` line")
        name = _unescape(match.group(3)) if match.group(1) else match.group(3)
        if name in entries:
            raise BundleError(f"{MANIFEST}:{number}: {name!r} is listed twice")
        entries[name] = match.group(2)
    return entries


def _digest(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    if info.file_size > MAX_MEMBER_BYTES:
        raise OSError(f"larger than {MAX_MEMBER_BYTES} bytes")
    digest, size = hashlib.sha256(), 0
    with archive.open(info) as member:
        while chunk := member.read(1 << 20):
            size += len(chunk)
            if size > MAX_MEMBER_BYTES:
                raise OSError(f"larger than {MAX_MEMBER_BYTES} bytes")
            digest.update(chunk)
    return digest.hexdigest()


def verify_bundle(path: str) -> Verdict:
    """Check every member of the bundle at `path`; BundleError when it cannot be checked at all."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, ValueError) as error:
        raise BundleError(f"{path}: not a readable zip file ({error})") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise BundleError(f"{path}: more than {MAX_MEMBERS} members")
        names = [info.filename for info in members]
        if MANIFEST not in names:
            raise BundleError(f"{path}: no {MANIFEST} (written by `compliance report --bundle`)")
        try:
            manifest_info = archive.getinfo(MANIFEST)
            if manifest_info.file_size > MAX_MEMBER_BYTES:
                raise BundleError(f"{path}: {MANIFEST} is too large")
            manifest = parse_manifest(archive.read(manifest_info).decode("utf-8"))
        except (OSError, zipfile.BadZipFile, UnicodeDecodeError) as error:
            raise BundleError(f"{path}: cannot read {MANIFEST} ({error})") from None
        problems: list[str] = []
        seen: set[str] = set()
        checked = 0
        for info in members:
            name = info.filename
            if name in seen:
                problems.append(f"{name!r}: more than one member has this name")
                continue
            seen.add(name)
            if name == MANIFEST:
                continue
            if name not in manifest:
                problems.append(f"{name!r}: not in the manifest")
                continue
            try:
                actual = _digest(archive, info)
            except (OSError, zipfile.BadZipFile, EOFError, ValueError) as error:
                problems.append(f"{name!r}: cannot be read ({error})")
                continue
            if actual != manifest[name]:
                problems.append(f"{name!r}: modified (SHA-256 {actual}, the manifest says {manifest[name]})")
            else:
                checked += 1
        problems += [f"{name!r}: missing" for name in sorted(manifest) if name not in seen]
    return Verdict(checked, tuple(problems))
