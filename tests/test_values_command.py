"""`compliance values`: the effective values a cluster deploys, each leaf's origin, and cluster differences."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from compliance.engine.evaluate import LintOptions, release_contexts
from compliance.load.repository import load_repository
from compliance.report.values import document, jsonable, scalar
from compliance.yaml import load_yaml
from tests.helpers import FIXTURES, line_of, run, run_process

NEWAPI = FIXTURES / "values-newapi"
CHART_VALUES = "platform/newapi/chart/values.yaml"
ACME = "clusters/acme/bootstrap-kit/80-newapi.yaml"
TEMPLATE = "clusters/_template/bootstrap-kit/80-newapi.yaml"
COMMENT = re.compile(r"^(?P<text>.*?)\s+# (?P<file>[^\s:]+):(?P<line>\d+)(?P<rest>.*)$")


def values_json(*args: str) -> dict[str, Any]:
    result = run("values", *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def context(root: Path, cluster: str, name: str = "bp-newapi", **variables: str) -> Any:
    repo = load_repository(str(root))
    found = [
        c
        for c in release_contexts(repo, LintOptions(variables=variables))
        if c.cluster is not None and c.cluster.name == cluster and c.release is not None and c.release.name == name
    ]
    assert len(found) == 1
    return found[0]


# ── one code path: the command prints what the rules see ─────────────────────


DUMP_RULE = '''
import json
from compliance.model.findings import Severity, Violation
from compliance.engine.registry import Scope, rule


@rule("DMP001", "Dump the values a rule sees", Severity.INFO, Scope.RELEASE, "test")
def dump(ctx):
    """Reports the effective values it was given, as JSON."""
    yield Violation(json.dumps(ctx.values.values), ctx.values.locate(()))
'''


@pytest.mark.parametrize("root", [FIXTURES / "clean", NEWAPI], ids=["clean", "values-newapi"])
def test_the_command_prints_exactly_what_the_rules_see(root: Path, tmp_path: Path) -> None:
    plugin = tmp_path / "dump_rule.py"
    plugin.write_text(DUMP_RULE)
    lint = run_process(
        *("lint", str(root), "--rules", str(plugin), "--select", "DMP", "--format", "json", "--fail-on", "never"),
        *("--var", "SOVEREIGN_FQDN=t.example", "--public-var", "SOVEREIGN_FQDN"),
    )
    assert lint.returncode == 0, lint.stderr
    seen = {
        (f["cluster"], f["blueprint"]): json.loads(f["message"])
        for f in json.loads(lint.stdout)["findings"]
        if f["blueprint"] == "bp-newapi"
    }
    assert set(seen) == {("_template", "bp-newapi"), ("acme", "bp-newapi")}
    for cluster in ("_template", "acme"):
        printed = values_json(
            str(root),
            *("--cluster", cluster, "--blueprint", "bp-newapi", "--var", "SOVEREIGN_FQDN=t.example"),
            *("--public-var", "SOVEREIGN_FQDN"),
        )
        engine = context(root, cluster, SOVEREIGN_FQDN="t.example").values.values
        assert printed["values"] == seen[(cluster, "bp-newapi")] == json.loads(json.dumps(engine))


# ── the YAML output ──────────────────────────────────────────────────────────


TRICKY_STRINGS = [
    "NO", "no", "On", "y", "N", "TRUE", "null", "Null", "~", "", "1e3", "1.5", "017", "0x1F", "0o17", "1_000",
    "08", "+12", "-0", ".5", ".inf", ".NaN", "2001-12-14", "1:30", "=", "<<", "- item", "? key", ": x", "#x",
    "a #b", "a#b", "a: b", "a:", "a:b", "@x", "`x", "%x", "!x", "&x", "*x", "|x", ">x", "'x", '"x', "{x}",
    "[x]", ",x", " lead", "trail ", "two  spaces", "multi\nline", "tab\tin", "back\\slash", 'quo"te',
    "it's", "café", "nel\x85", "ls\u2028", "bom\ufeff", "bell\x07", "emoji 🙂", "http://h:8000/v1",
    "api.${SOVEREIGN_FQDN}", "${VAR}", "$${ESCAPED}", "yEs", "/path", "_under",
]  # fmt: skip


def test_every_string_reads_back_as_the_same_string_in_helm_and_pyyaml() -> None:
    values = {
        "strings": TRICKY_STRINGS,
        "keys": {text or "empty": index for index, text in enumerate(TRICKY_STRINGS)},
        "numbers": [0, -1, 1.5, 1e20, 1e-05, 2.5e-300, 9007199254740992.0, 123456789012345680000.0, 0.1],
        "types": {"t": True, "f": False, "n": None, "empty_map": {}, "empty_list": [], "nested": [[1, [2]], [{}]]},
        "list_of_maps": [{"a": 1, "b": [1, 2]}, {"c": {"d": "NO"}}],
    }
    text = "\n".join(line for line, _ in document(values)) + "\n"
    helm_view = load_yaml(text)
    assert not helm_view.problems, helm_view.problems
    assert helm_view.documents[0].value == values  # Helm's typing (go-yaml v2, YAML 1.1)
    assert yaml.safe_load(text) == values  # and a plain YAML reader's
    for number in values["numbers"]:
        assert isinstance(yaml.safe_load(scalar(number)), (int, float))


def test_blame_points_every_leaf_at_the_line_that_set_it() -> None:
    result = run("values", str(NEWAPI), "--cluster", "acme", "--blame")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    ctx = context(NEWAPI, "acme")
    assert load_yaml(text).documents[0].value == ctx.values.values  # still valid YAML, the same values
    annotated = [COMMENT.match(line) for line in text.splitlines() if not line.startswith("# ")]
    columns = set()
    for match in filter(None, annotated):
        target = (NEWAPI / match["file"]).read_text().splitlines()[int(match["line"]) - 1]
        shown = match["text"].strip().lstrip("- ").lstrip("# ").split(":")[0].strip('"')
        assert shown in target, (match.group(0), target)  # the key (or list item) is on that line
        columns.add(len(match.group(0)) - len(match.group(0)[match.start("file") - 2 :]))
    assert len(columns) == 1  # comments line up like `git blame`
    lines = {m["text"].strip(): m for m in annotated if m}

    def origin(key: str) -> tuple[str, int, str]:
        return lines[key]["file"], int(lines[key]["line"]), lines[key]["rest"]

    # a leaf only the chart sets; a leaf a Flux variable set, with what it overrode
    assert origin('adminHost: ""')[:2] == (CHART_VALUES, line_of(NEWAPI / CHART_VALUES, "adminHost:"))
    file, line, rest = origin("host: api.acme.example")
    assert (file, line) == (ACME, line_of(NEWAPI / ACME, "host: api.${SOVEREIGN_FQDN}"))
    assert rest == f'  overrode "" ({CHART_VALUES}:{line_of(NEWAPI / CHART_VALUES, "host:")})'
    # replicas: the overlay beat both chart documents (Helm v4 merges them, the later first in the chain)
    second, first = line_of(NEWAPI / CHART_VALUES, "replicas: 2"), line_of(NEWAPI / CHART_VALUES, "replicas: 1")
    assert origin("replicas: 3")[2] == f"  overrode 2 ({CHART_VALUES}:{second}), 1 ({CHART_VALUES}:{first})"
    # a replaced list carries what it replaced on its key; "NO" stays a quoted string
    assert 'overrode ["NO", "SE", "DK"]' in origin("servedRegions:")[2]
    assert origin('- "NO"')[0] == ACME
    # a default map the overlay deleted with null is shown, commented out, with what it deleted
    file, line, rest = origin("# qwenPartner: deleted by null")
    assert (file, line) == (ACME, line_of(NEWAPI / ACME, "qwenPartner: null"))
    assert rest.startswith('  overrode {"enabled": false')


def test_blame_on_the_template_cluster_flags_unresolved_variables() -> None:
    result = run("values", str(FIXTURES / "clean"), "--cluster", "_template", "--blueprint", "bp-newapi", "--blame")
    assert result.returncode == 0, result.stderr
    host = next(line for line in result.stdout.splitlines() if line.startswith("  host:"))
    assert host.startswith("  host: api.${SOVEREIGN_FQDN} ")
    assert host.endswith("unresolved ${SOVEREIGN_FQDN}")
    # `${LLM_PARTNER_BASE_URL:-}` substitutes to nothing: a YAML null, which deletes the chart's endpoint
    deleted = next(line for line in result.stdout.splitlines() if "# endpoint: deleted by null" in line)
    assert f"{TEMPLATE}:{line_of(FIXTURES / 'clean' / TEMPLATE, 'endpoint: ${LLM_PARTNER_BASE_URL')}" in deleted


def test_plain_yaml_is_only_the_values() -> None:
    result = run("values", str(NEWAPI), "--cluster", "acme")
    assert result.returncode == 0 and "#" not in result.stdout
    assert yaml.safe_load(result.stdout) == context(NEWAPI, "acme").values.values


# ── the JSON output ──────────────────────────────────────────────────────────


def test_json_origins_of_leaves_lists_and_deleted_keys() -> None:
    report = values_json(str(NEWAPI), "--cluster", "acme")
    assert report["blueprint"] == "bp-newapi" and report["cluster"] == "acme"
    assert report["layers"] == [CHART_VALUES, ACME]
    origins = report["origins"]
    assert set(origins) >= {path for path in _leaf_paths(report["values"])}  # every leaf has an origin
    block = origins["geo.sanctionedRegions.block[5]"]
    assert (block["path"], block["line"], block["overrode"]) == (ACME, line_of(NEWAPI / ACME, "block:"), [])
    whole = origins["geo.sanctionedRegions.block"]
    assert [(o["path"], o["value"]) for o in whole["overrode"]] == [
        (CHART_VALUES, ["IR", "KP", "SY", "CU", "RU-occupied-UA"])
    ]
    tag = origins["replicas"]
    assert [o["value"] for o in tag["overrode"]] == [2, 1] and "unresolved" not in tag
    assert report["deleted"]["defaultChannels.qwenPartner"]["line"] == line_of(NEWAPI / ACME, "qwenPartner: null")
    assert report["deleted"]["defaultChannels.qwenPartner"]["overrode"][0]["value"]["existingSecret"] == (
        "newapi-channel-qwen-partner"
    )


def _leaf_paths(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, dict) and value:
        return [p for k, v in value.items() for p in _leaf_paths(v, f"{prefix}.{k}" if prefix else k)]
    if isinstance(value, list) and value:
        return [p for i, v in enumerate(value) for p in _leaf_paths(v, f"{prefix}[{i}]")]
    return [prefix]


def test_unresolved_variables_print_their_literal_text_and_are_flagged() -> None:
    report = values_json(str(FIXTURES / "clean"), "--cluster", "_template", "--blueprint", "bp-newapi")
    assert report["values"]["ingress"]["host"] == "api.${SOVEREIGN_FQDN}"  # never an empty string
    assert report["origins"]["ingress.host"]["unresolved"] == ["SOVEREIGN_FQDN"]
    flagged = {path for path, origin in report["origins"].items() if "unresolved" in origin}
    assert flagged == {"ingress.host"}
    given = values_json(
        str(FIXTURES / "clean"),
        "--cluster",
        "_template",
        "--blueprint",
        "bp-newapi",
        "--var",
        "SOVEREIGN_FQDN=x.example",
        "--public-var",
        "SOVEREIGN_FQDN",
    )
    assert (
        given["values"]["ingress"]["host"] == "api.x.example" and "unresolved" not in given["origins"]["ingress.host"]
    )


def tiny_repo(root: Path, chart_values: str, overlays: dict[str, str]) -> Path:
    """A chart `app` and one HelmRelease per cluster whose `spec.values` is the given flow mapping."""
    (root / "chart").mkdir(parents=True)
    (root / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 1.0.0\n")
    (root / "chart" / "values.yaml").write_text(chart_values)
    for cluster, overlay in overlays.items():
        (root / "clusters" / cluster).mkdir(parents=True)
        (root / "clusters" / cluster / "app.yaml").write_text(
            textwrap.dedent(f"""\
                apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata: {{name: app}}
                spec:
                  chart: {{spec: {{chart: app}}}}
                  values: {overlay}
            """)
        )
    return root


def test_odd_keys_get_unambiguous_origin_paths(tmp_path: Path) -> None:
    repo = tiny_repo(tmp_path, '"a.b": 1\na:\n  b: 2\n"x y": [on]\n', {"c": "{a: {b: 3}}"})
    report = values_json(str(repo), "--cluster", "c")  # no --blueprint: the cluster deploys one chart
    assert report["values"] == {"a.b": 1, "a": {"b": 3}, "x y": [True]}
    assert set(report["origins"]) == {'["a.b"]', "a.b", '["x y"]', '["x y"][0]'}
    assert report["origins"]["a.b"]["path"] == "clusters/c/app.yaml"


# ── --against ────────────────────────────────────────────────────────────────


def test_against_lists_each_difference_with_both_origins() -> None:
    clean = FIXTURES / "clean"
    report = values_json(str(clean), "--cluster", "acme", "--against", "_template", "--blueprint", "bp-newapi")
    assert (report["blueprint"], report["cluster"], report["against"]) == ("bp-newapi", "acme", "_template")
    found = {d["path"]: d for d in report["differences"]}
    host = found["ingress.host"]
    assert host["cluster"]["value"] == "api.acme.example" and host["against"]["value"] == "api.${SOVEREIGN_FQDN}"
    assert host["cluster"]["origin"]["path"] == "clusters/acme/bootstrap-kit/80-newapi.yaml"
    assert host["against"]["origin"]["unresolved"] == ["SOVEREIGN_FQDN"]
    assert found["defaultChannels.vllm.enabled"]["cluster"]["value"] is True
    assert found["defaultChannels.vllm.enabled"]["against"]["value"] is False
    channels = found["channels"]  # lists of different lengths differ as a whole
    assert channels["against"]["value"] == [] and len(channels["cluster"]["value"]) == 2
    assert channels["cluster"]["origins"]["channels[0].attestation.contractRef"]["line"] == line_of(
        clean / "clusters/acme/bootstrap-kit/80-newapi.yaml", "contractRef:"
    )
    endpoint = found["defaultChannels.qwenPartner.endpoint"]  # deleted in _template by a substituted null
    assert endpoint["against"]["present"] is False
    assert endpoint["against"]["deleted"]["path"] == TEMPLATE
    # everything not listed is equal in both clusters
    same = {"replicas", "geo.sanctionedRegions.block", "audit.retentionDays", "defaultChannels.vllm.endpoint"}
    assert not same & set(found)
    text = run("values", str(clean), "--cluster", "acme", "--against", "_template", "--blueprint", "bp-newapi")
    assert text.returncode == 0
    assert text.stdout.startswith(f"# bp-newapi: cluster acme against cluster _template: {len(found)} differences\n")
    assert yaml.safe_load(text.stdout)["ingress.host"] == {
        "acme": "api.acme.example",
        "_template": "api.${SOVEREIGN_FQDN}",
    }
    assert "  # _template: deleted by null" in text.stdout


def test_against_compares_types_as_helm_does(tmp_path: Path) -> None:
    overlays = {
        "a": "{t: 1, s: '1', n: 1, f: 2, u: x, e: {}, m: {k: 1, l: [1]}}",
        "b": "{t: true, s: 1, n: 1.0, f: 2.5, u: null, m: {l: [1], k: 1}}",
    }
    repo = tiny_repo(tmp_path, "u: x\n", overlays)
    report = values_json(str(repo), "--cluster", "a", "--against", "b")
    # `true` is not 1 and "1" is not 1; 1 and 1.0 are the same float64 to Helm; key order does not matter
    assert [d["path"] for d in report["differences"]] == ["u", "t", "s", "f", "e"]  # in the values' order
    deleted = report["differences"][0]["against"]
    assert deleted["present"] is False and deleted["deleted"]["overrode"][0]["value"] == "x"
    assert report["differences"][4]["against"] == {"present": False}  # an empty map on one side only


def test_against_equal_clusters_reports_no_difference() -> None:
    result = run("values", str(FIXTURES / "clean"), "--cluster", "acme", "--against", "acme", "--blueprint", "bp-cnpg")
    assert result.returncode == 0 and result.stdout == "# bp-cnpg: cluster acme against cluster acme: no differences\n"


# ── selection and usage errors ───────────────────────────────────────────────


def test_unknown_cluster_or_blueprint_is_a_usage_error_listing_what_exists() -> None:
    clean = str(FIXTURES / "clean")
    unknown = run("values", clean, "--cluster", "nope")
    assert unknown.returncode == 2 and "unknown cluster: nope; clusters: _template, acme" in unknown.stderr
    missing = run("values", clean)
    assert missing.returncode == 2 and "--cluster is required; clusters: _template, acme" in missing.stderr
    several = run("values", clean, "--cluster", "acme")
    assert several.returncode == 2 and "bp-cnpg, bp-keycloak, bp-newapi, bp-openbao" in several.stderr
    bad = run("values", clean, "--cluster", "acme", "--blueprint", "bp-nope")
    assert bad.returncode == 2 and "no blueprint or chart bp-nope" in bad.stderr and "bp-newapi" in bad.stderr
    against = run("values", clean, "--cluster", "acme", "--blueprint", "bp-newapi", "--against", "zz")
    assert against.returncode == 2 and "unknown cluster: zz" in against.stderr
    assert run("values", "/nonexistent", "--cluster", "x").returncode == 2
    assert run("values", clean, "--cluster", "acme", "--var", "NOEQUALS").returncode == 2
    assert not any("Traceback" in r.stderr for r in (unknown, missing, several, bad, against))


def test_one_blueprint_needs_no_blueprint_option() -> None:
    assert values_json(str(NEWAPI), "--cluster", "acme")["blueprint"] == "bp-newapi"


def test_all_prints_every_release_of_the_cluster_as_one_json_or_yaml_documents() -> None:
    clean = str(FIXTURES / "clean")
    every = values_json(clean, "--cluster", "acme", "--all")
    assert every["cluster"] == "acme"
    by_release = {(r["release"]["namespace"], r["release"]["name"]): r for r in every["releases"]}
    assert sorted(by_release) == [("flux-system", f"bp-{n}") for n in ("cnpg", "keycloak", "newapi", "openbao")]
    one = values_json(clean, "--cluster", "acme", "--blueprint", "bp-newapi")
    assert by_release["flux-system", "bp-newapi"] == one  # each release exactly as --blueprint shows it
    text = run("values", clean, "--cluster", "acme", "--all")
    documents = list(yaml.safe_load_all(text.stdout))
    assert documents == [r["values"] for r in every["releases"]]
    assert "# bp-newapi in cluster acme (HelmRelease flux-system/bp-newapi)\n" in text.stdout
    refused = run("values", clean, "--cluster", "acme", "--all", "--blueprint", "bp-newapi")
    assert refused.returncode == 2 and "--all shows every release" in refused.stderr
    assert run("values", clean, "--cluster", "nope", "--all").returncode == 2


def test_output_file_is_written_atomically(tmp_path: Path) -> None:
    out = tmp_path / "values.yaml"
    result = run("values", str(NEWAPI), "--cluster", "acme", "--output", str(out))
    assert result.returncode == 0 and result.stdout == ""
    assert yaml.safe_load(out.read_text()) == context(NEWAPI, "acme").values.values
    assert [p.name for p in tmp_path.iterdir()] == ["values.yaml"]


def test_load_problems_in_the_values_files_are_warned_about(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    import shutil

    shutil.copytree(NEWAPI, repo)
    chart_values = repo / CHART_VALUES
    chart_values.write_text(chart_values.read_text().replace("replicas: 1", "replicas: 1\nreplicas: 4"))
    result = run("values", str(repo), "--cluster", "acme", "--format", "json")
    assert result.returncode == 0
    assert f"warning: {CHART_VALUES}:2:" in result.stderr and "YML002" in result.stderr


def test_real_corpus_release_is_picked_by_helmrelease_name(corpus: Path) -> None:
    root = corpus / "newapi-latest"
    ambiguous = run(
        "values", str(root), "--cluster", "_template", "--blueprint", "bp-newapi-host-seams", "--format", "json"
    )
    assert ambiguous.returncode == 0, ambiguous.stderr
    seams = json.loads(ambiguous.stdout)
    assert seams["layers"][-1].endswith("80a-newapi-host-seams.yaml")
    main = values_json(str(root), "--cluster", "_template", "--blueprint", "bp-newapi")
    assert main["layers"][-1].endswith("/80-newapi.yaml")
    assert main["values"] == jsonable(context(root, "_template").values.values)
