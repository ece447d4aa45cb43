"""The `helm` back end: a fake `helm` on PATH that records its arguments and replays real output
(fixtures/render-streams, captured from the SDK back end), and the real binary where there is one."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from compliance.engine.evaluate import LintOptions, release_contexts
from compliance.load.repository import load_repository
from compliance.render import helm_values
from compliance.render.backends import HelmBinary, HelmSdk, RenderRequest, choose
from tests.helpers import FIXTURES, brief, lint_fixture, run_process

STREAMS = FIXTURES / "render-streams"
FIXTURE = FIXTURES / "render"

FAKE_HELM = """#!{python}
# A stand-in for `helm template`: records argv and the values file, replays a captured render.
import hashlib, json, os, sys
args = sys.argv[1:]
values = open(args[args.index("-f") + 1]).read()
with open(os.environ["FAKE_HELM_LOG"], "a") as log:
    log.write(json.dumps({{"args": args, "values": values}}) + "\\n")
replay = os.path.join(os.environ["FAKE_HELM_REPLAY"], hashlib.sha256(values.encode()).hexdigest())
if os.path.exists(replay + ".stderr"):
    sys.stderr.write(open(replay + ".stderr").read())
if os.path.exists(replay + ".error"):
    sys.stderr.write("Error: " + open(replay + ".error").read())
    sys.exit(1)
sys.stdout.write(open(replay + ".yaml").read())
"""


def requests() -> dict[str, RenderRequest]:
    """What the renderer asks Helm for, per cluster of fixtures/render."""
    repo = load_repository(str(FIXTURE))
    found = {}
    for context in release_contexts(repo, LintOptions()):
        if context.cluster is None:
            continue
        assert context.chart is not None and context.release is not None
        values = json.dumps(helm_values(context), sort_keys=True, allow_nan=False)
        chart = os.path.join(repo.root, context.chart.directory)
        found[context.cluster.name] = RenderRequest(
            chart, context.release.release_name, context.release.target_namespace, values
        )
    return found


@pytest.fixture
def fake_helm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `helm` first on PATH replaying fixtures/render-streams; returns its log file."""
    bin_dir, replay, log = tmp_path / "bin", tmp_path / "replay", tmp_path / "helm.log"
    bin_dir.mkdir()
    replay.mkdir()
    helm = bin_dir / "helm"
    helm.write_text(FAKE_HELM.format(python=sys.executable))
    helm.chmod(0o755)
    for cluster, request in requests().items():
        key = hashlib.sha256(request.values_json.encode()).hexdigest()
        for suffix in (".yaml", ".error"):
            if (STREAMS / f"{cluster}{suffix}").exists():
                shutil.copy(STREAMS / f"{cluster}{suffix}", replay / f"{key}{suffix}")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_HELM_LOG", str(log))
    monkeypatch.setenv("FAKE_HELM_REPLAY", str(replay))
    return log


def calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_the_replayed_streams_are_what_the_sdk_renders() -> None:
    pytest.importorskip("helm_python", reason="capturing needs the helm extra (helm-python-sdk)")
    sdk = HelmSdk()
    for cluster, request in requests().items():
        output = sdk.render(request)
        if (STREAMS / f"{cluster}.error").exists():
            assert output.error + "\n" == (STREAMS / f"{cluster}.error").read_text()
        else:
            assert output.stream == (STREAMS / f"{cluster}.yaml").read_text(), cluster


def test_helm_template_gets_release_namespace_and_the_effective_values(fake_helm: Path) -> None:
    findings = lint_fixture(FIXTURE, select=("RND", "RM"), renderer="helm")
    recorded = {call["args"][1]: call for call in calls(fake_helm)}
    beta = requests()["beta"]
    # helm gets a private copy of the chart (compliance.render.snapshot), never the repository's folder
    chart = recorded["gateway-bp-newapi"]["args"][2]
    assert not chart.startswith(str(FIXTURE)) and os.path.basename(os.path.dirname(chart)).startswith("compliance-")
    assert recorded["gateway-bp-newapi"]["args"][:6] == [
        "template",
        "gateway-bp-newapi",
        chart,
        "--namespace",
        "gateway",
        "-f",
    ]
    assert json.loads(recorded["gateway-bp-newapi"]["values"]) == json.loads(beta.values_json)
    assert json.loads(beta.values_json)["auth"]["adminUI"]["mode"] == "masterKey"
    assert len(calls(fake_helm)) == 4  # one per cluster; the metering chart is not vendored (RND002)
    # the same findings as the SDK back end, from helm's own output and its error message
    pytest.importorskip("helm_python", reason="comparing needs the helm extra (helm-python-sdk)")
    assert brief(findings) == brief(lint_fixture(FIXTURE, select=("RND", "RM"), renderer="sdk"))


def test_auto_takes_helm_first(fake_helm: Path) -> None:
    backend, _ = choose("auto")
    assert isinstance(backend, HelmBinary)
    lint_fixture(FIXTURE, select=("RM003",), renderer="auto")
    assert len(calls(fake_helm)) == 4


def test_warnings_on_stderr_do_not_drop_the_chart(fake_helm: Path) -> None:
    replay = Path(os.environ["FAKE_HELM_REPLAY"])
    key = hashlib.sha256(requests()["beta"].values_json.encode()).hexdigest()
    (replay / f"{key}.stderr").write_text(
        "2026/01/02 03:04:05 warning: skipped value for bp-newapi.replicas: Not a table.\n"
    )
    findings = lint_fixture(FIXTURE, select=("RND003", "RM003"), renderer="helm")
    beta = [(f.rule, f.message) for f in findings if f.cluster == "beta"]
    assert ("RND003", "warning: skipped value for bp-newapi.replicas: Not a table.") in beta
    assert any(rule == "RM003" for rule, _ in beta)  # still rendered and checked


def test_a_failing_helm_is_a_located_finding(fake_helm: Path) -> None:
    (failure,) = lint_fixture(FIXTURE, select=("RND001",), renderer="helm")
    assert (failure.location.path, failure.location.line, failure.location.column, failure.cluster) == (
        "platform/newapi/chart/templates/configmap.yaml",
        1,
        17,
        "gamma",
    )
    assert failure.message == (STREAMS / "gamma.error").read_text().strip()


def test_asking_for_helm_without_it_is_a_usage_error(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    result = run_process("lint", str(FIXTURE), "--renderer", "helm", env=env)
    assert result.returncode == 2 and "needs the `helm` binary on PATH" in result.stderr


@pytest.mark.skipif(
    shutil.which("helm") is None, reason="no `helm` binary on PATH (the fake helm tests cover the back end)"
)
def test_the_real_helm_binary_renders_like_the_sdk() -> None:
    pytest.importorskip("helm_python", reason="comparing needs the helm extra (helm-python-sdk)")
    helm = lint_fixture(FIXTURE, select=("RND", "RM"), renderer="helm")
    sdk = lint_fixture(FIXTURE, select=("RND", "RM"), renderer="sdk")
    assert [(f.rule, f.location, f.cluster) for f in helm] == [(f.rule, f.location, f.cluster) for f in sdk]


def test_helm_stderr_splits_into_warnings_and_the_error(fake_helm: Path) -> None:
    replay = Path(os.environ["FAKE_HELM_REPLAY"])
    key = hashlib.sha256(requests()["gamma"].values_json.encode()).hexdigest()
    error = (STREAMS / "gamma.error").read_text().strip()
    (replay / f"{key}.error").write_text(f"{error}\nUse --debug flag to render out invalid YAML\n")
    (replay / f"{key}.stderr").write_text(
        "WARNING: Kubernetes configuration file is group-readable. This is insecure. Location: /root/.kube/config\n"
        "2026/01/02 03:04:05 warning: skipped value for bp-newapi.replicas: Not a table.\n"
    )
    gamma = [f for f in lint_fixture(FIXTURE, select=("RND",), renderer="helm") if f.cluster == "gamma"]
    assert sorted((f.rule, f.message) for f in gamma) == [
        ("RND001", f"{error} Use --debug flag to render out invalid YAML"),  # one finding, whitespace folded
        ("RND003", "warning: skipped value for bp-newapi.replicas: Not a table."),  # the kubeconfig line is dropped
    ]
