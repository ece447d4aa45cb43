"""Rendering fixtures/render for several clusters with the SDK back end, and the RND/RM rules on them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compliance.engine.context import RenderedContext
from compliance.engine.evaluate import LintOptions, release_contexts
from compliance.load.repository import load_repository
from compliance.render import backends as render_backends
from compliance.render import rendered_contexts
from compliance.render.backends import HelmSdk
from compliance_rules.gateway import rendered_channel_lists
from tests.helpers import FIXTURES, brief, line_of, lint_fixture, overlay

pytest.importorskip("helm_python", reason="the SDK back end needs the helm extra (helm-python-sdk)")

FIXTURE = FIXTURES / "render"
CHART = "platform/newapi/chart"
VALUES = f"{CHART}/values.yaml"


def render(root: Path, **options: object) -> list[RenderedContext]:
    repo = load_repository(str(root))
    lint_options = LintOptions(renderer="sdk", **options)  # type: ignore[arg-type]
    return rendered_contexts(repo, release_contexts(repo, lint_options), lint_options)


def by_cluster(root: Path = FIXTURE) -> dict[str | None, RenderedContext]:
    """The gateway chart's rendered context by cluster."""
    return {c.cluster_name: c for c in render(root) if c.manifests.source == f"{CHART}/Chart.yaml"}


def test_every_cluster_renders_what_its_values_enable() -> None:
    contexts = by_cluster()
    refs = {cluster: sorted(o.ref for o in c.manifests.objects) for cluster, c in contexts.items()}
    assert refs["_template"] == ["ConfigMap newapi/newapi-bp-newapi-config", "Ingress newapi/newapi-bp-newapi-api"]
    assert refs["acme"] == [
        "ConfigMap newapi/newapi-bp-newapi-config",
        "Deployment newapi/newapi-bp-newapi",  # both Secrets are named: the gate opens
        "ExternalSecret newapi/newapi-bp-newapi-admin-token",
        "Ingress newapi/newapi-bp-newapi-admin",
        "Ingress newapi/newapi-bp-newapi-api",
    ]
    # no releaseName: Flux names the release <targetNamespace>-<name>
    assert "Secret gateway/gateway-bp-newapi-bp-newapi-channel-keys" in refs["beta"]
    assert refs["gamma"] == []  # the render failed
    assert [p.code for p in contexts["gamma"].problems] == ["RND001"]


def test_objects_name_their_template_and_its_line() -> None:
    acme = by_cluster()["acme"]
    admin = next(o for o in acme.manifests.objects if o.name.endswith("-admin"))
    assert admin.template == "bp-newapi/templates/ingress.yaml"
    assert admin.template_file == f"{CHART}/templates/ingress.yaml"
    # the second Ingress of the template, not the first
    assert admin.template_line == line_of(FIXTURE / f"{CHART}/templates/ingress.yaml", "kind: Ingress", nth=1)


def test_unknown_flux_variables_render_as_their_literal_text() -> None:
    ingress = next(o for o in by_cluster()["_template"].manifests.objects if o.kind == "Ingress")
    assert ingress.get(("spec", "rules", 0, "host")) == "api.${SOVEREIGN_FQDN}"


def test_channels_are_read_from_the_rendered_configmap() -> None:
    (listed,) = rendered_channel_lists(by_cluster()["acme"])
    assert [(c.name, c.spec["type"]) for c in listed.channels] == [
        ("claude", "anthropic"),
        ("byok", "byok-passthrough"),
        ("local", "vllm"),
    ]
    assert listed.channels[0].spec["keySecretRef"] == "gateway-channel-anthropic"


def test_rendered_rules_report_what_only_the_render_shows() -> None:
    findings = lint_fixture(FIXTURE, select=("RND", "RM"), renderer="sdk")
    beta = overlay("beta")
    assert brief(findings) == [
        # the admin Ingress while the admin UI runs on the master key: located at the host that fed it
        ("RM004", "error", beta, line_of(FIXTURE / beta, "adminHost:"), "beta"),
        # `legacy` is disabled in the values, the template writes it out without `enabled`
        ("RM002", "error", beta, line_of(FIXTURE / beta, 'accountId: ""'), "beta"),
        (
            "RND002",
            "warning",
            "platform/metering/chart/Chart.yaml",
            line_of(FIXTURE / "platform/metering/chart/Chart.yaml", "- name: nats"),
            None,
        ),
        (
            "RM005",
            "error",
            f"{CHART}/templates/channel-keys.yaml",
            line_of(FIXTURE / f"{CHART}/templates/channel-keys.yaml", "kind: Secret"),
            "beta",
        ),
        # Helm's own message at the template line and column Helm names
        ("RND001", "error", f"{CHART}/templates/configmap.yaml", 1, "gamma"),
        # the empty key the ExternalSecret got, at the values key that fed it
        ("RM003", "error", VALUES, line_of(FIXTURE / VALUES, 'key: ""'), "beta"),
    ]
    by_rule = {f.rule: f for f in findings}
    assert by_rule["RND001"].location.column == 17
    assert "defaultChannels.vllm is enabled without an endpoint" in by_rule["RND001"].message
    assert "Ingress gateway/gateway-bp-newapi-bp-newapi-admin" in by_rule["RM004"].message
    assert f"rendered from {CHART}/templates/ingress.yaml" in by_rule["RM004"].message
    assert [step.role for step in by_rule["RM003"].trace] == ["set"]
    assert by_rule["RM005"].value_path == "Secret/gateway-bp-newapi-bp-newapi-channel-keys:stringData.byok-api-key"
    assert "nats" in by_rule["RND002"].message


def test_defects_the_values_already_show_are_not_reported_twice() -> None:
    values = lint_fixture("bad-attestation", select=("ATT", "CHN", "COM"), renderer="sdk")
    rendered = lint_fixture("bad-attestation", select=("RND", "RM"), renderer="sdk")
    assert values and rendered == []


def test_a_template_that_drops_a_contract_reference_is_caught(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    configmap = root / CHART / "templates/configmap.yaml"
    configmap.write_text(configmap.read_text().replace("{{- with .contractRef }}", "{{- with .nothing }}"))
    findings = lint_fixture(root, select=("RM002",), renderer="sdk")
    acme = [f for f in findings if f.cluster == "acme"]
    assert brief(acme) == [
        ("RM002", "error", overlay("acme"), line_of(FIXTURE / overlay("acme"), "contractRef:"), "acme")
    ]
    assert acme[0].value_path == "channels[0].attestation.contractRef"  # the values that fed it
    assert "ConfigMap newapi/newapi-bp-newapi-config" in acme[0].message


def test_a_key_the_overlay_deletes_with_null_stays_deleted(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    target = root / overlay("acme")
    target.write_text(target.read_text().replace("  values:\n", "  values:\n    aup:\n      enforcement: null\n"))
    configmap = next(o for o in by_cluster(root)["acme"].manifests.objects if o.kind == "ConfigMap")
    assert configmap.get(("data", "AUP_ENFORCEMENT")) is None  # Helm deleted the chart default again


def test_a_helm_warning_is_reported_and_the_chart_still_renders(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    target = root / overlay("acme")
    target.write_text(target.read_text().replace("  values:\n", "  values:\n    replicas:\n      count: 2\n"))
    acme = by_cluster(root)["acme"]
    (warning,) = [p for p in acme.problems if p.code == "RND003"]
    assert "skipped value for bp-newapi.replicas" in warning.message
    assert (warning.location.path, warning.location.line) == (
        overlay("acme"),
        line_of(root / overlay("acme"), "replicas:"),
    )
    assert any(o.kind == "Deployment" for o in acme.manifests.objects)


def test_a_second_run_on_an_unchanged_tree_renders_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    renders: list[str] = []
    real = HelmSdk.render

    def counting(self: HelmSdk, request: render_backends.RenderRequest) -> render_backends.RenderOutput:
        renders.append(request.release_name)
        return real(self, request)

    monkeypatch.setattr(HelmSdk, "render", counting)
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    cache = tmp_path / "cache"
    first = lint_fixture(root, select=("RND", "RM"), renderer="sdk", cache_dir=str(cache))
    assert len(renders) == 4  # one per cluster; the metering chart is not rendered (RND002)
    entries = list(cache.rglob("*.json"))
    assert len(entries) == 4 and all(e.parent.parent.name == "render" for e in entries)
    second = lint_fixture(root, select=("RND", "RM"), renderer="sdk", cache_dir=str(cache))
    assert len(renders) == 4 and second == first  # served from the cache, same findings
    helpers = root / CHART / "templates/_helpers.tpl"
    helpers.write_text(helpers.read_text() + "\n")
    lint_fixture(root, select=("RND", "RM"), renderer="sdk", cache_dir=str(cache))
    assert len(renders) == 8  # any chart file changes the key
    lint_fixture(root, select=("RND", "RM"), renderer="sdk")
    assert len(renders) == 12 and len(list(cache.rglob("*.json"))) == 8  # no cache: nothing written


def test_auto_without_a_renderer_says_so_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_backends.shutil, "which", lambda name: None)
    monkeypatch.setattr(render_backends, "sdk_available", lambda: False)
    findings = lint_fixture(FIXTURE, select=("RND", "RM", "ESO"), renderer="auto")
    (notice,) = [f for f in findings if f.rule.startswith("R")]
    assert (notice.rule, notice.severity.value, notice.location.path) == ("RND000", "info", f"{CHART}/Chart.yaml")
    assert "no Helm renderer available" in notice.message
    assert any(f.rule == "ESO001" for f in findings)  # values-only checks go on


def test_auto_never_looks_for_a_renderer_when_no_chart_has_templates(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(name: str) -> None:
        raise AssertionError("a renderer was looked up for a repository without templates")

    monkeypatch.setattr(render_backends, "choose", refuse)
    assert lint_fixture("merge", select=("RND", "RM"), renderer="auto") == []


def test_the_real_chart_without_its_vendored_dependency(corpus: Path) -> None:
    findings = lint_fixture(corpus / "newapi-latest", select=("RND", "RM"), renderer="sdk")
    chart = "platform/newapi/chart/Chart.yaml"
    root = corpus / "newapi-latest"
    # Chart.yaml declares the `common` library chart and the tree does not vendor it: Helm refuses
    # once for the chart, not once per cluster that deploys it
    assert brief(findings) == [("RND002", "warning", chart, line_of(root / chart, "- name: common"), None)]


def test_the_real_chart_renders_for_the_template_cluster(corpus: Path, tmp_path: Path) -> None:
    root = tmp_path / "newapi-latest"
    shutil.copytree(corpus / "newapi-latest", root)
    library = root / "platform/newapi/chart/charts/common"
    library.mkdir(parents=True)
    (library / "Chart.yaml").write_text("apiVersion: v2\nname: common\nversion: 0.1.3\ntype: library\n")
    contexts = [c for c in render(root) if c.cluster_name == "_template"]
    main = next(c for c in contexts if c.manifests.objects)
    assert not [p for c in contexts for p in c.problems]
    kinds = sorted(o.kind for o in main.manifests.objects)
    assert kinds == ["ConfigMap", "Deployment", "Ingress", "NetworkPolicy", "Service", "Service", "ServiceAccount"]
    ingress = next(o for o in main.manifests.objects if o.kind == "Ingress")
    assert ingress.ref == "Ingress newapi/newapi-bp-newapi-api"  # releaseName newapi, targetNamespace newapi
    assert ingress.get(("spec", "rules", 0, "host")) == "api.${SOVEREIGN_FQDN}"
    assert rendered_channel_lists(main)[0].channels == ()  # marketplace and vLLM are off by default
    assert lint_fixture(root, select=("RND", "RM"), renderer="sdk") == []
    # the partner channel switched on without its endpoint: the helper `fail`s, Helm says where
    failing = lint_fixture(
        root,
        select=("RND",),
        renderer="sdk",
        variables={"MARKETPLACE_ENABLED": "true", "LLM_PARTNER_ACCOUNT_ID": "a-1", "LLM_PARTNER_CONTRACT_REF": "L-1"},
    )
    (failure,) = failing
    deployment = "platform/newapi/chart/templates/deployment.yaml"
    assert (failure.rule, failure.location.path) == ("RND001", deployment)
    assert failure.location.line == line_of(root / deployment, "checksum/config:")
    assert "defaultChannels.qwenPartner.endpoint is empty" in failure.message


def test_a_template_that_drops_an_enabled_channel_is_caught(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    helpers = root / CHART / "templates" / "_helpers.tpl"
    composing = "{{- range (.Values.channels | default list) -}}\n{{- $all = append $all . -}}\n{{- end -}}"
    assert composing in helpers.read_text()
    dropping = (
        '{{- range (.Values.channels | default list) -}}\n{{- if ne .type "anthropic" -}}\n'
        "{{- $all = append $all . -}}\n{{- end -}}\n{{- end -}}"
    )
    helpers.write_text(helpers.read_text().replace(composing, dropping))
    findings = lint_fixture(root, select=("RM006",), renderer="sdk")
    acme = overlay("acme")
    assert brief(findings) == [("RM006", "warning", acme, line_of(root / acme, "- name: claude"), "acme")]
    assert "'claude'" in findings[0].message and "ConfigMap newapi/newapi-bp-newapi-config" in findings[0].message
    assert lint_fixture(FIXTURE, select=("RM006",), renderer="sdk") == []
