"""`--var` values are secrets unless named with `--public-var`: hidden in everything shown, judged as given."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest

from compliance.model.findings import Finding, Location, Severity, TraceStep
from compliance.report import REPORTERS
from compliance.report.redaction import REDACTED, Redactor
from tests.helpers import FIXTURES, run

SECRET = "s3cr3t-host.example.net"
VAR = ["--var", f"VLLM_HOST={SECRET}"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clean fixture whose template enables a channel at `https://${VLLM_HOST}/v1`: ATT004 and DEF002 quote it."""
    root = tmp_path_factory.mktemp("var-secret") / "repo"
    shutil.copytree(FIXTURES / "clean", root)
    overlay = root / "clusters/_template/bootstrap-kit/80-newapi.yaml"
    text = overlay.read_text(encoding="utf-8")
    old = '      vllm:\n        enabled: false\n        endpoint: "http://vllm-bp-vllm.vllm.svc.cluster.local:8000/v1"'
    assert old in text
    overlay.write_text(
        text.replace(old, '      vllm:\n        enabled: true\n        endpoint: "https://${VLLM_HOST}/v1"')
    )
    return root


@pytest.mark.parametrize("name", sorted(REPORTERS))
def test_a_var_value_never_reaches_a_lint_output_but_still_decides_the_verdict(repo: Path, name: str) -> None:
    hidden = run("lint", str(repo), "--format", name, *VAR)
    shown = run("lint", str(repo), "--format", name, *VAR, "--public-var", "VLLM_HOST")
    assert hidden.returncode == shown.returncode == 1  # DEF002 is an error either way: rules saw the value
    assert SECRET not in hidden.stdout + hidden.stderr
    assert "redacted" in hidden.stdout  # as each format writes `<redacted>`
    assert SECRET in shown.stdout


def test_values_command_hides_a_var_unless_public(repo: Path) -> None:
    args = ["values", str(repo), "--cluster", "_template", "--blueprint", "bp-newapi", *VAR]
    for extra in ([], ["--format", "json"], ["--blame"]):
        hidden = run(*args, *extra)
        assert hidden.returncode == 0, hidden.stderr
        assert SECRET not in hidden.stdout and f"https://{REDACTED}/v1" in hidden.stdout
    shown = run(*args, "--public-var", "VLLM_HOST")
    assert f"https://{SECRET}/v1" in shown.stdout


def test_config_command_and_baseline_hide_a_var(repo: Path, tmp_path: Path) -> None:
    shown = run("config", str(repo), *VAR)
    assert shown.returncode == 0 and SECRET not in shown.stdout and "VLLM_HOST" in shown.stdout
    baseline = tmp_path / "baseline.json"
    assert run("baseline", "create", str(repo), "--output", str(baseline), *VAR).returncode == 0
    text = baseline.read_text(encoding="utf-8")
    assert SECRET not in text and REDACTED in text


def test_report_and_bundle_hide_a_var_unless_public(repo: Path, tmp_path: Path) -> None:
    def members(*extra: str) -> dict[str, bytes]:
        bundle = tmp_path / "evidence.zip"
        result = run("report", str(repo), "--bundle", str(bundle), *VAR, *extra, env={"SOURCE_DATE_EPOCH": "0"})
        assert result.returncode == 0, result.stderr
        with zipfile.ZipFile(io.BytesIO(bundle.read_bytes())) as archive:
            return {name: archive.read(name) for name in archive.namelist()}

    hidden = members()
    assert all(SECRET.encode() not in data for data in hidden.values())
    assert f"https://{REDACTED}/v1".encode() in hidden["values/clusters/_template.json"]
    shown = members("--public-var", "VLLM_HOST")
    assert SECRET.encode() in shown["values/clusters/_template.json"] and SECRET.encode() in shown["report.html"]


def test_redactor_hides_every_written_form_of_a_secret() -> None:
    hide = Redactor.of({"TOKEN": 'ab"c\\d-0123456789', "PORT": "8080", "EMPTY": "", "REGION": "eu"}, public=["REGION"])
    assert hide.text('value "ab\\"c\\\\d-0123456789" set') == f'value "{REDACTED}" set'  # JSON-escaped
    assert hide.text("cut 'ab\"c\\d-012…") == f"cut '{REDACTED}…"  # shown cut to a width
    assert hide.text("region eu, empty ''") == "region eu, empty ''"  # public and empty values stay
    assert hide.value({"port": 8080, "list": ["x8080y"], "flag": True}) == {
        "port": REDACTED,  # re-typed by YAML 1.1
        "list": [f"x{REDACTED}y"],
        "flag": True,
    }
    step = TraceStep("set", Location("a.yaml", 1, 1), "http://8080")
    finding = hide.finding(Finding("R1", Severity.ERROR, "port 8080", Location("a.yaml"), trace=(step,)))
    assert finding.message == f"port {REDACTED}" and finding.trace[0].value == f"http://{REDACTED}"
    assert not Redactor.of({"A": "x"}, public=["A"])


def test_a_var_without_a_name_is_refused_without_echoing_it(repo: Path) -> None:
    result = run("lint", str(repo), "--var", "A=1", "--var", SECRET)  # `--var "$TOKEN"`: the NAME= forgotten
    assert result.returncode == 2 and "--var expects NAME=VALUE" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_a_substitute_from_secret_value_is_judged_but_never_shown(repo: Path, tmp_path: Path) -> None:
    """The same channel, its host from a Secret a Flux Kustomization in the repository substitutes from."""
    root = tmp_path / "repo"
    shutil.copytree(repo, root)
    (root / "flux").mkdir()
    (root / "flux" / "template.yaml").write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata: {name: template, namespace: flux-system}\nspec:\n  path: ./clusters/_template\n"
        "  postBuild:\n    substituteFrom:\n      - {kind: Secret, name: hosts}\n"
    )
    (root / "flux" / "hosts.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: hosts, namespace: flux-system}\n"
        f"stringData:\n  VLLM_HOST: {SECRET}\n"
    )
    for name in ("text", "json", "sarif"):
        result = run("lint", str(root), "--format", name, "--fail-on", "error")
        assert result.returncode == 1 and "DEF002" in result.stdout  # the rules saw the Secret's value
        assert SECRET not in result.stdout and SECRET not in result.stderr
    shown = run("values", str(root), "--cluster", "_template", "--blueprint", "bp-newapi", "--format", "json")
    assert SECRET not in shown.stdout and "https://<redacted>/v1" in shown.stdout
