"""A hostile configSchema: `$ref` never leaves the schema (SCH002), patterns run in linear time or are
reported as not checked (SCH003). Each case is a copy of fixtures/clean whose bp-cnpg blueprint gets
the schema, built at test time (ports, FIFO paths)."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from compliance.app.api import lint_path
from compliance.schema.guard import confined_validator, matches, scan
from tests.helpers import FIXTURES, line_of, run_process

BLUEPRINT = "platform/cnpg/blueprint.yaml"
VALUES = "platform/cnpg/chart/values.yaml"


def make_repo(tmp_path: Path, schema: dict[str, Any], values: str | None = None) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "clean", repo)
    card = yaml.safe_load((repo / BLUEPRINT).read_text())
    card["spec"]["configSchema"] = schema
    (repo / BLUEPRINT).write_text(yaml.safe_dump(card, sort_keys=False, width=1_000_000))
    if values is not None:
        (repo / VALUES).write_text(values)
    return repo


def schema_findings(repo: Path) -> list[tuple[str, str, str, int, str]]:
    findings = lint_path(str(repo), select=("SCH",)).findings
    return [(f.rule, f.severity.value, f.location.path, f.location.line, f.message) for f in findings]


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that serves a schema and records every request it gets."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            body = json.dumps({"type": "string"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/schema+json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    finally:
        httpd.shutdown()
        httpd.server_close()


# --- $ref ----------------------------------------------------------------------------------------------


def test_an_http_reference_is_a_finding_and_no_request_is_made(tmp_path: Path, server: tuple[str, list[str]]) -> None:
    url, hits = server
    repo = make_repo(tmp_path, {"properties": {"replicas": {"$ref": f"{url}/port.json"}}})
    findings = schema_findings(repo)
    assert [f[:4] for f in findings] == [("SCH002", "error", BLUEPRINT, line_of(repo / BLUEPRINT, "$ref"))]
    assert "leaves the schema" in findings[0][4] and "not retrieved" in findings[0][4]
    assert hits == []


def test_jsonschema_is_given_a_registry_that_retrieves_nothing(server: tuple[str, list[str]]) -> None:
    """Even past the scan, the validator itself cannot fetch: resolving fails, the server sees nothing."""
    from referencing.exceptions import Unresolvable

    url, hits = server
    validator = confined_validator({"properties": {"a": {"$ref": f"{url}/s.json"}}})
    assert validator is not None
    with pytest.raises(Unresolvable):
        list(validator.iter_errors({"a": 1}))
    assert hits == []


def test_a_file_reference_is_a_finding_and_the_file_is_not_read(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"properties": {"replicas": {"$ref": "file:///etc/passwd#/root"}}})
    result = run_process("lint", str(repo), "--renderer", "none", "--format", "json")
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(f["rule"], f["path"], f["line"]) for f in findings] == [
        ("SCH002", BLUEPRINT, line_of(repo / BLUEPRINT, "$ref"))
    ]
    assert "root:" not in result.stdout + result.stderr


def test_a_reference_to_a_fifo_does_not_hang_the_run(tmp_path: Path) -> None:
    fifo = tmp_path / "schema.fifo"
    os.mkfifo(fifo)  # opening it for reading blocks until a writer comes: none will
    repo = make_repo(tmp_path, {"properties": {"replicas": {"$ref": fifo.as_uri()}}})
    result = run_process("lint", str(repo), "--renderer", "none", "--select", "SCH")
    assert result.returncode == 1, result.stderr
    assert "SCH002" in result.stdout and result.stdout.count("SCH002") == 1


def test_references_inside_the_schema_resolve_and_are_applied(tmp_path: Path) -> None:
    schema = {
        "$id": "https://blueprints.example/cnpg",
        "$defs": {
            "count": {"type": "integer", "minimum": 2},
            "named": {"$anchor": "small", "maximum": 0},
            "embedded": {"$id": "parts/replicas.json", "minimum": 3},
        },
        "properties": {
            "replicas": {
                "allOf": [
                    {"$ref": "#/$defs/count"},
                    {"$ref": "#small"},
                    {"$ref": "parts/replicas.json"},
                    {"$ref": "https://blueprints.example/parts/replicas.json#"},
                ]
            },
            "$ref": {"type": "string"},  # a property named $ref is not a reference
        },
    }
    repo = make_repo(tmp_path, schema, values="replicas: 1\n")
    findings = lint_path(str(repo), select=("SCH",)).findings
    # each bound is reached only through a $ref: pointer, anchor, embedded $id (relative and absolute)
    assert sorted({(f.rule, f.location.path, f.location.line, f.message) for f in findings}) == [
        ("SCH001", VALUES, 1, "$.replicas: 1 is greater than the maximum of 0"),
        ("SCH001", VALUES, 1, "$.replicas: 1 is less than the minimum of 2"),
        ("SCH001", VALUES, 1, "$.replicas: 1 is less than the minimum of 3"),
    ]
    assert scan(schema).unresolved == ()


def test_a_pointer_to_nothing_and_a_relative_file_are_findings(tmp_path: Path) -> None:
    schema = {
        "$defs": {"count": {"type": "integer"}},
        "properties": {"replicas": {"$ref": "#/$defs/cuont"}, "other": {"$ref": "other.json"}},
    }
    repo = make_repo(tmp_path, schema)
    findings = schema_findings(repo)
    assert [(f[0], f[3]) for f in findings] == [
        ("SCH002", line_of(repo / BLUEPRINT, "cuont")),
        ("SCH002", line_of(repo / BLUEPRINT, "other.json")),
    ]
    assert "points at nothing" in findings[0][4] and "leaves the schema" in findings[1][4]


# --- patterns ------------------------------------------------------------------------------------------

EVIL = "^(a+)+$"
LONG = "a" * 100_000 + "!"  # exponential for a backtracking engine, linear for RE2


def test_a_catastrophic_pattern_ends_and_is_reported(tmp_path: Path) -> None:
    schema = {"properties": {"name": {"type": "string", "pattern": EVIL}}}  # the fast validator's subset
    repo = make_repo(tmp_path, schema, values=f"replicas: 1\nname: {LONG}\n")
    result = run_process("lint", str(repo), "--renderer", "none", "--select", "SCH", "--format", "json")
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(f["rule"], f["path"], f["line"], f["cluster"]) for f in findings] == [
        ("SCH001", VALUES, 2, "_template"),
        ("SCH001", VALUES, 2, "acme"),
    ]
    assert findings[0]["message"].startswith("$.name: 'aaaa")


def test_catastrophic_pattern_properties_end_and_are_reported(tmp_path: Path) -> None:
    schema = {
        "properties": {"replicas": {"type": "integer"}},
        "patternProperties": {EVIL: {"type": "integer"}},
        "additionalProperties": False,
    }
    values = f"replicas: 1\n? {LONG}\n: 1\naaa: x\n"  # an explicit key: a plain one stops at 1024 characters
    repo = make_repo(tmp_path, schema, values=values)
    result = run_process("lint", str(repo), "--renderer", "none", "--select", "SCH", "--format", "json")
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    # the long key matches no pattern: additionalProperties; `aaa` matches and is not an integer
    assert sorted({(f["rule"], f["path"], f["line"]) for f in findings}) == [
        ("SCH001", VALUES, 1),
        ("SCH001", VALUES, 4),
    ]
    assert findings[0]["message"].startswith("$: 'aaaa")  # the long key, named (and shortened)


def test_a_pattern_re2_cannot_run_is_reported_as_not_checked(tmp_path: Path) -> None:
    schema = {
        "properties": {
            "name": {"type": "string", "pattern": "^(a)\\1$"},
            "tag": {"type": "string", "pattern": "^v(?=[0-9])"},
        }
    }
    repo = make_repo(tmp_path, schema, values="replicas: 1\nname: ab\ntag: x\n")
    findings = schema_findings(repo)
    assert [f[:4] for f in findings] == [
        ("SCH003", "info", BLUEPRINT, line_of(repo / BLUEPRINT, "(a)")),
        ("SCH003", "info", BLUEPRINT, line_of(repo / BLUEPRINT, "(?=")),
    ]
    assert "not checked" in findings[0][4]


def test_unevaluated_properties_beside_pattern_properties_are_reported_as_not_checked() -> None:
    schema = {"patternProperties": {"^x-": {}}, "unevaluatedProperties": False}
    assert [(i.path, "not checked" in i.message) for i in scan(schema).unchecked] == [
        (("unevaluatedProperties",), True)
    ]
    validator = confined_validator(schema)
    assert validator is not None
    assert list(validator.iter_errors({"x-a": 1, "b" * 50_000 + "!": 2})) == []


def test_patterns_follow_json_schema_semantics() -> None:
    assert matches("b", "abc") is True  # a search, not anchored
    assert matches("^b", "abc") is False
    assert matches("^\\u00e9t\\u00e9$", "été") is True  # ECMA-262 escapes
    assert matches("^a$", "a\n") is False  # `$` is the end of the text, as in ECMA-262
    assert matches("(a)\\1", "aa") is None
