"""DEP001 on fixtures/bad-deps, DAG001-DAG004 on fixtures/bad-dag, and the corpus."""

from __future__ import annotations

from pathlib import Path

from compliance_rules.dependencies import _cycles, _strongly_connected
from tests.helpers import FIXTURES, brief, line_of, lint_fixture

KIT = "clusters/_template/bootstrap-kit"
ACME = "clusters/acme/bootstrap-kit"
DAG = "scripts/expected-bootstrap-deps.yaml"

# the slots the 2026-04-30 DAG declares ahead of their HelmRelease files (36..48)
DEFERRED = [
    "bp-stunner",
    "bp-knative",
    "bp-kserve",
    "bp-vllm",
    "bp-llm-gateway",
    "bp-anthropic-adapter",
    "bp-bge",
    "bp-nemo-guardrails",
    "bp-temporal",
    "bp-openmeter",
    "bp-livekit",
    "bp-matrix",
    "bp-librechat",
]


def test_dependson_drift_from_the_blueprint_is_located_at_the_edge() -> None:
    findings = lint_fixture("bad-deps", select=("DEP",))
    newapi, cnpg = f"{ACME}/80-newapi.yaml", f"{ACME}/16-cnpg.yaml"
    assert brief(findings) == [
        ("DEP001", "warning", cnpg, line_of(FIXTURES / "bad-deps" / cnpg, "dependsOn: []"), "acme"),
        ("DEP001", "warning", newapi, line_of(FIXTURES / "bad-deps" / newapi, "dependsOn:"), "acme"),
        ("DEP001", "warning", newapi, line_of(FIXTURES / "bad-deps" / newapi, "name: bp-gitea"), "acme"),
    ]
    messages = [f.message for f in findings]
    assert "requires bp-openbao" in messages[0]
    assert "requires bp-cnpg" in messages[1]
    assert "waits for bp-gitea" in messages[2]


def test_blueprint_names_map_to_release_names() -> None:
    """acme deploys bp-keycloak as `identity`; its short-form `depends: [bp-openbao]` counts too;
    bp-openbao declares no depends at all; the _template newapi waits for bp-openbao through
    bp-keycloak; the _template cnpg's extra edge is listed in the expected DAG."""
    findings = lint_fixture("bad-deps", select=("DEP",))
    assert all(f.cluster == "acme" for f in findings)
    assert not any("identity" in f.message or "openbao.yaml" in f.location.path for f in findings)


def test_dag_drift_missing_and_extra_edges_cycles_and_deferred_slots() -> None:
    findings = lint_fixture("bad-dag", select=("DAG",))
    openbao, cnpg, valkey, newapi = (f"{KIT}/{n}.yaml" for n in ("08-openbao", "16-cnpg", "17-valkey", "80-newapi"))
    assert brief(findings) == [
        ("DAG001", "error", openbao, line_of(FIXTURES / "bad-dag" / openbao, "name: bp-keycloak"), None),
        ("DAG001", "error", cnpg, line_of(FIXTURES / "bad-dag" / cnpg, "name: bp-cnpg"), None),
        ("DAG002", "error", valkey, line_of(FIXTURES / "bad-dag" / valkey, "name: bp-valkey"), None),
        ("DAG001", "error", newapi, line_of(FIXTURES / "bad-dag" / newapi, "dependsOn:"), None),
        ("DAG001", "error", newapi, line_of(FIXTURES / "bad-dag" / newapi, "name: bp-gitea"), None),
        ("DAG004", "error", DAG, line_of(FIXTURES / "bad-dag" / DAG, "name: bp-keycloak") - 1, None),
        # one note for every deferred slot, at the first
        ("DAG003", "info", DAG, line_of(FIXTURES / "bad-dag" / DAG, "name: bp-stunner") - 1, None),
        ("DAG004", "error", DAG, line_of(FIXTURES / "bad-dag" / DAG, "name: bp-livekit") - 1, None),
    ]
    (deferred,) = [f for f in findings if f.rule == "DAG003"]
    assert deferred.message.endswith("(deferred): bp-stunner, bp-livekit") and deferred.value_path == "slots"
    cycles = [f.message for f in findings if f.rule == "DAG004"]
    assert cycles == [
        "dependency cycle: bp-keycloak -> bp-openbao -> bp-keycloak",
        "dependency cycle: bp-livekit -> bp-stunner -> bp-livekit",
    ]


def test_only_the_template_cluster_is_held_to_the_dag() -> None:
    findings = lint_fixture("bad-dag", select=("DAG",))
    assert not any(f.location.path.startswith("clusters/acme/") for f in findings)


def test_every_cycle_is_reported_once() -> None:
    graph = {"a": ["b", "c"], "b": ["a"], "c": ["a"], "d": ["d"], "e": ["a"]}
    components = [c for c in _strongly_connected(graph) if len(c) > 1 or c[0] in graph[c[0]]]
    assert sorted(components) == [["a", "b", "c"], ["d"]]
    assert _cycles(graph, ["a", "b", "c"]) == [["a", "b"], ["a", "c"]]
    assert _cycles(graph, ["d"]) == [["d"]]


def test_clean_fixture_has_no_dependency_findings() -> None:
    assert lint_fixture("clean", select=("DEP", "DAG")) == []


def test_corpus_dag_matches_the_overlays_and_lists_the_deferred_slots(corpus: Path) -> None:
    findings = lint_fixture(corpus / "snapshot-2026-04-30", select=("DAG", "DEP"))
    assert {f.rule for f in findings} == {"DAG003"}  # no DAG001/002/004, no DEP001
    (deferred,) = findings  # one note, listing every deferred slot in the DAG's order
    assert deferred.message.endswith("(deferred): " + ", ".join(DEFERRED))
    assert all(f.severity.value == "info" and f.location.path == DAG for f in findings)
    stunner = (corpus / "snapshot-2026-04-30" / DAG).read_text().splitlines()
    assert stunner[findings[0].location.line - 1].strip() == "- slot: 36"


def test_corpus_newapi_waits_for_openbao_which_its_blueprint_omits(corpus: Path) -> None:
    findings = lint_fixture(corpus / "newapi-latest", select=("DEP",))
    slot80 = [f for f in findings if f.location.path.endswith("/80-newapi.yaml")]
    assert len(slot80) == 1
    assert slot80[0].message.startswith("bp-newapi waits for bp-openbao")
