"""Version facts across charts (VER004, VER005): an umbrella chart's dependency pins an in-repo chart at a
version that chart does not have; a values key restates a dependency's version differently. Each finding
sits at one place and its trace names the other."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import FIXTURES, line_of, lint_fixture

FAMILY = FIXTURES / "bad-version-family"
UMBRELLA = FAMILY / "products/catalyst/chart/Chart.yaml"
VALUES = FAMILY / "products/catalyst/chart/values.yaml"


def _where(finding: object) -> list[tuple[str, int]]:
    return [(step.location.path, step.location.line) for step in finding.trace]  # type: ignore[attr-defined]


def test_an_umbrella_pin_the_sibling_chart_does_not_have_is_found_at_both_places() -> None:
    crossplane, stub = sorted(lint_fixture(FAMILY, select=("VER004",)), key=lambda f: f.location.line)
    pin = line_of(UMBRELLA, "version: 1.1.1")
    assert (crossplane.location.path, crossplane.location.line) == ("products/catalyst/chart/Chart.yaml", pin)
    assert _where(crossplane) == [
        ("products/catalyst/chart/Chart.yaml", pin),
        ("platform/crossplane/chart/Chart.yaml", line_of(FAMILY / "platform/crossplane/chart/Chart.yaml", "version")),
    ]
    assert "pins dependency bp-crossplane at 1.1.1" in crossplane.message and "is 1.1.3" in crossplane.message
    # `~1.1.0` selects bp-spire 1.1.4: no finding; a file:// dependency is the chart at that path, whatever its name
    assert stub.location.line == line_of(UMBRELLA, "version: 0.1.0")
    assert "pins dependency bp-spire at 0.1.0" in stub.message


def test_a_values_key_restating_a_dependency_version_is_found_at_both_places() -> None:
    findings = sorted(lint_fixture(FAMILY, select=("VER005",)), key=lambda f: f.location.line)
    assert [(f.location.line, f.value_path) for f in findings] == [
        (line_of(VALUES, '"1.16.5"'), "catalystBlueprint.upstream.version"),
        (line_of(VALUES, "1.2.0"), "spire.upstream.version"),
    ]
    assert _where(findings[0])[1] == ("products/catalyst/chart/Chart.yaml", line_of(UMBRELLA, "version: 1.19.3"))
    assert "says cilium 1.16.5" in findings[0].message and "depends on cilium 1.19.3" in findings[0].message


def test_the_openova_trees_keep_their_restated_versions_in_step(corpus: Path) -> None:
    for snapshot in ("snapshot-2026-04-30", "newapi-latest"):
        assert lint_fixture(corpus / snapshot, select=("VER004", "VER005")) == []
