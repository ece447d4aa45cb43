"""The distribution's name and how its extras are installed: never a stranger's `compliance` from PyPI."""

from __future__ import annotations

import re
from importlib.metadata import distribution

import pytest
import tomllib

from compliance import DISTRIBUTION, HELM_EXTRA_INSTALL, __version__
from compliance.render.backends import choose
from tests.helpers import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# `pip install compliance[...]`, `'compliance[helm]'`, `compliance @ git+...`: the PyPI name `compliance`
BY_NAME = re.compile(r"pip install ['\"]?compliance\b|\bcompliance\[|^\s*[A-Z_]+: compliance @", re.MULTILINE)


def test_the_distribution_has_its_own_name_and_the_command_keeps_compliance() -> None:
    project = PYPROJECT["project"]
    assert project["name"] == DISTRIBUTION != "compliance"
    assert project["scripts"] == {"compliance": "compliance.__main__:main"}
    assert distribution(DISTRIBUTION).version == project["version"] == __version__
    assert "helm" in project["optional-dependencies"]


def test_no_document_or_message_installs_compliance_by_name() -> None:
    texts = [ROOT / "README.md", *ROOT.glob("docs/**/*.md"), *ROOT.glob("bench/*"), *ROOT.glob("compliance*/**/*.py")]
    offenders = [str(path.relative_to(ROOT)) for path in texts if path.is_file() and BY_NAME.search(path.read_text())]
    assert offenders == []
    assert HELM_EXTRA_INSTALL in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_no_renderer_hint_installs_the_extra_from_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr("compliance.render.backends.sdk_available", lambda: False)
    renderer, why = choose("auto")
    assert renderer is None and HELM_EXTRA_INSTALL in why and "compliance[" not in why
