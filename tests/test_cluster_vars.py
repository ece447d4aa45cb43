"""`--var CLUSTER:NAME=VALUE` and a config's `variables: {CLUSTER: {NAME: VALUE}}`: a Flux variable for one
cluster only, over the ones every cluster gets (issue 12). `NAME=VALUE` keeps applying to every cluster."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compliance.settings.config import ConfigFile, Overrides, Settings
from tests.helpers import FIXTURES, ROOT, edit, line_of, run

NEWAPI = FIXTURES / "values-newapi"


def host(*args: str, cluster: str = "_template") -> str:
    result = run(
        "values", str(NEWAPI), "--cluster", cluster, "--format", "json", "--public-var", "SOVEREIGN_FQDN", *args
    )
    assert result.returncode == 0, result.stderr
    return str(json.loads(result.stdout)["values"]["ingress"]["host"])


def test_a_cluster_variable_applies_to_that_cluster_only_and_wins_over_every_clusters() -> None:
    assert host() == "api.${SOVEREIGN_FQDN}"  # the template cluster leaves it to whoever deploys it
    assert host("--var", "_template:SOVEREIGN_FQDN=t.example") == "api.t.example"
    assert host("--var", "SOVEREIGN_FQDN=all.example") == "api.all.example"
    both = ("--var", "SOVEREIGN_FQDN=all.example", "--var", "_template:SOVEREIGN_FQDN=t.example")
    assert host(*both) == "api.t.example"
    assert host("--var", "beta:SOVEREIGN_FQDN=b.example") == "api.${SOVEREIGN_FQDN}"  # another cluster's
    # acme's own Flux Kustomization sets SOVEREIGN_FQDN; like --var NAME=VALUE, a cluster's --var does not override it
    assert host("--var", "acme:SOVEREIGN_FQDN=other.example", cluster="acme") == "api.acme.example"


def test_a_cluster_variable_is_a_secret_unless_public_and_config_shows_it_per_cluster() -> None:
    shown = run("config", str(NEWAPI), "--var", "_template:TOKEN=s3cr3t-value", "--var", "X=1", "--public-var", "X")
    assert shown.returncode == 0, shown.stderr
    assert "s3cr3t-value" not in shown.stdout
    assert '  X: "1"  # command line\n  "_template":  # cluster _template only\n' in shown.stdout
    assert '    TOKEN: "<redacted>"  # command line\n' in shown.stdout
    public = run("config", str(NEWAPI), "--var", "_template:TOKEN=v", "--public-var", "TOKEN")
    assert '    TOKEN: "v"  # command line\n' in public.stdout


@pytest.mark.parametrize("bad", [":X=1", "acme:=1", "NOEQUALS"])
def test_a_malformed_cluster_variable_is_a_usage_error_that_never_shows_the_value(bad: str) -> None:
    result = run("values", str(NEWAPI), "--cluster", "acme", "--var", bad)
    assert result.returncode == 2
    assert "--var expects NAME=VALUE or CLUSTER:NAME=VALUE: --var number 1" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def marketplace(tmp_path: Path) -> Path:
    """The bundled example, acme's AUP mode left to a variable."""
    root = tmp_path / "marketplace"
    shutil.copytree(ROOT / "examples" / "marketplace", root)
    edit(root / "clusters" / "acme" / "bootstrap-kit" / "80-newapi.yaml", 'enforcement: "off"', "enforcement: ${AUP}")
    return root


def aup001(root: Path, *args: str) -> list[str]:
    """The severities of AUP001 (AUP mode off with a commercial channel) on acme."""
    result = run("lint", str(root), "--select", "AUP001", "--public-var", "AUP", *args)
    return [line.split()[1] for line in result.stdout.splitlines() if " AUP001 " in line and line.endswith("[acme]")]


def test_lint_judges_each_cluster_with_its_own_variables(marketplace: Path) -> None:
    assert aup001(marketplace, "--var", "acme:AUP=off") == ["error"]
    assert aup001(marketplace, "--var", "AUP=provider-strictest", "--var", "acme:AUP=off") == ["error"]
    assert aup001(marketplace, "--var", "AUP=off", "--var", "acme:AUP=provider-strictest") == []
    assert aup001(marketplace, "--var", "_template:AUP=off") == []  # not acme's: acme's mode is unknown
    unknown = run("lint", str(marketplace), "--select", "AUP001", "--public-var", "AUP", "--var", "_template:AUP=off")
    assert "AUP001: values unknown: aup.enforcement depends on ${AUP}" in unknown.stdout  # not run there, said


def test_the_config_file_takes_a_per_cluster_mapping(marketplace: Path) -> None:
    config = marketplace / ".compliance.yaml"
    config.write_text('variables:\n  AUP: provider-strictest\n  acme:\n    AUP: "off"\n', encoding="utf-8")
    assert aup001(marketplace) == ["error"]
    shown = run("config", str(marketplace))
    assert f'    AUP: "off"  # {config}:{line_of(config, "AUP: ", after="acme")}:5\n' in shown.stdout
    assert aup001(marketplace, "--var", "acme:AUP=provider-strictest") == []  # the command line wins
    config.write_text("variables:\n  acme:\n    AUP: [off]\n", encoding="utf-8")
    bad = run("config", str(marketplace))
    assert bad.returncode == 2 and ".compliance.yaml:3:" in bad.stderr and "variables.acme.AUP" in bad.stderr


def test_a_gate_reports_a_changed_cluster_variable_where_the_head_config_sets_it(tmp_path: Path) -> None:
    from compliance.governance.gatesettings import changes
    from compliance.settings.config import read_config, resolve

    def settings(text: str) -> tuple[Settings, ConfigFile]:
        path = tmp_path / ".compliance.yaml"
        path.write_text(text, encoding="utf-8")
        config = read_config(str(path))
        return resolve(str(tmp_path), config, Overrides(), ()), config

    base, _ = settings('variables:\n  REGION: eu\n  acme:\n    AUP: "off"\n')
    head, config = settings("variables:\n  REGION: eu\n  acme:\n    AUP: strict\n")
    found = changes(base, head, config, ".compliance.yaml", ())
    assert [(f.rule, f.severity.value, f.location.line, f.value_path) for f in found] == [
        ("GATE001", "error", 4, "variables.acme.AUP")
    ]
    assert "variables.acme.AUP changed" in found[0].message
