"""What the report and the evidence bundle hide: values by key (as words) and by shape, in both directions.

Each table row is a key path and a value as a chart's values.yaml would have it; hidden rows must become
`<redacted>`, shown rows must come through unchanged (the over-wide rules used to hide `replicaCount`).
"""

from __future__ import annotations

from typing import Any

import pytest

from compliance.evidence.bundle import redact_finding
from compliance.model.findings import Finding, Location, Severity, TraceStep
from compliance.redact import REDACTED, names_reference, names_secret, redact_values, secret_at, secret_shaped

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn\n-----END RSA PRIVATE KEY-----\n"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"

HIDDEN: list[tuple[str, Any]] = [
    # by key: the key's last word (or two) names a secret
    ("password", "hunter22"),
    ("database.adminPassword", "hunter22"),
    ("auth.apiKey", "abc"),
    ("master_key", "abc"),
    ("secretAccessKey", "abc"),
    ("signingkey", "abc"),
    ("huggingfaceToken", "abc"),
    ("webserverPassword", "abc"),
    ("credentials", "abc"),
    ("tls.privateKey", "abc"),
    ("redis.auth", "user:pass"),
    ("postgres.connectionString", "Host=db;Database=app"),
    ("alerting.webhookUrl", "https://hooks.example.com/services/T0/B0/x"),
    ("existingSecret.password", "hunter22"),  # a reference's own value only: its children are judged alone
    ("adminPasswordRef", "Xk9$mQ2!vL"),  # not a name: the reference holds the secret itself
    # by the parent's key
    ("credentials.user", "admin"),
    ("auth.username", "admin"),
    ("secrets.openai", "abc"),
    # by shape, whatever the key
    ("config.header", "Bearer 9f8e7d6c5b4a39281706"),
    ("config.jwt", JWT),
    ("channels.defaultKey", "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t"),
    ("aws.id", "AKIAIOSFODNN7EXAMPLE"),
    ("ci.github", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
    ("database.url", "postgres://app:s3cret@db.internal:5432/app"),
    ("tls.crt", PEM),
    ("config.seed", "q8Zt3WnY7vKp2LmX9sRd4FhJ6bG"),  # a long random string
]

SHOWN: list[tuple[str, Any]] = [
    ("replicaCount", 3),
    ("resources.requests.cpu", "100m"),
    ("externalSecrets.resources.requests.cpu", "250m"),  # a secret-named component's settings
    ("certificate.keySize", 2048),
    ("affinity.topologyKey", "kubernetes.io/hostname"),
    ("llm.maxTokens", 4096),
    ("auth.enabled", True),  # booleans, numbers and empty strings are never secrets
    ("auth.pin", 1234),
    ("auth.token", ""),
    ("password", None),
    ("auth.type", "oidc"),  # plain settings under a secret-named parent
    ("externalSecrets.image", "ghcr.io/external-secrets/external-secrets:v0.9.11"),
    ("passwordPolicy.minLength", 12),
    ("tokenTtl", "1h"),
    ("existingSecret", "newapi-db-credentials"),  # where a secret lives
    ("database.existingSecret", "db-credentials"),
    ("adminPasswordRef", "admin-password"),
    ("secretKeyRef.name", "db"),
    ("secretKeyRef.key", "password"),
    ("secretKeys.adminPasswordKey", "password"),
    ("externalSecret.remoteRef.key", "sovereign/acme.example/newapi/admin-token"),
    ("secretName", "tls-cert"),
    ("keycloak.url", "https://sso.example.com/realms/main"),
    ("database.url", "postgres://db.internal:5432/app"),  # a URL without credentials
    ("image.digest", "sha256:" + "a3" * 32),  # hex digests and UUIDs are not random enough
    ("instance.id", "123e4567-e89b-12d3-a456-426614174000"),
    ("podAnnotations.description", "Bearer authentication is set up by the ingress"),
]


@pytest.mark.parametrize(("path", "value"), HIDDEN, ids=[row[0] for row in HIDDEN])
def test_hidden(path: str, value: Any) -> None:
    assert secret_at(tuple(path.split(".")), value)
    assert _nested(redact_values(_tree(path, value)), path) == REDACTED


@pytest.mark.parametrize(("path", "value"), SHOWN, ids=[row[0] for row in SHOWN])
def test_shown(path: str, value: Any) -> None:
    assert not secret_at(tuple(path.split(".")), value)
    assert _nested(redact_values(_tree(path, value)), path) == value


def _tree(path: str, value: Any) -> dict[str, Any]:
    tree: Any = value
    for key in reversed(path.split(".")):
        tree = {key: tree}
    return tree  # type: ignore[no-any-return]


def _nested(tree: Any, path: str) -> Any:
    for key in path.split("."):
        tree = tree[key]
    return tree


@pytest.mark.parametrize("key", ["adminToken", "apiKey", "api_key", "APIKey", "secretkey", "connectionString"])
def test_secret_names(key: str) -> None:
    assert names_secret(key) and not names_reference(key)


@pytest.mark.parametrize("key", ["existingSecret", "secretName", "secretKeyRef", "clusterSecretStore", "passwordKey"])
def test_reference_names(key: str) -> None:
    assert names_reference(key)


@pytest.mark.parametrize(
    "key", ["keycloak", "valkey", "keywords", "monkey", "key", "keySize", "tokenizer", "CUSTOMER_KEY", "authMethod"]
)
def test_plain_names(key: str) -> None:
    assert not names_secret(key)


def test_shape_ignores_prose() -> None:
    assert not secret_shaped("basic authentication with a token from the vault")
    assert not secret_shaped("ThisIsAVeryLongCamelCaseIdentifierName")  # no digits: a name, not a key


def test_redact_keeps_shape_lists_and_non_secrets() -> None:
    values = {
        "auth": {"password": "hunter22", "enabled": True, "token": "", "pin": 1234},
        "credentials": {"user": "admin", "pass": ["a", "b"], "existingSecret": "creds"},
        "secretKeyRef": {"name": "db", "key": "password"},
        "replicas": 3,
    }
    assert redact_values(values) == {
        "auth": {"password": REDACTED, "enabled": True, "token": "", "pin": 1234},
        "credentials": {"user": REDACTED, "pass": [REDACTED, REDACTED], "existingSecret": "creds"},
        "secretKeyRef": {"name": "db", "key": "password"},
        "replicas": 3,
    }


def test_redact_finding_hides_trace_values_and_their_text() -> None:
    finding = Finding(
        "XYZ001",
        Severity.ERROR,
        "auth.apiKey sk-live-1234 is a production key",
        Location("values.yaml", 3, 5),
        value_path="auth.apiKey",
        trace=(TraceStep("set", Location("values.yaml", 3, 5), "sk-live-1234"),),
    )
    hidden = redact_finding(finding)
    assert hidden.message == f"auth.apiKey {REDACTED} is a production key"
    assert hidden.trace[0].value == REDACTED
    assert hidden.fingerprint == finding.fingerprint
    plain = Finding("XYZ001", Severity.ERROR, "m", Location("v.yaml"), value_path="channels[0].existingSecret")
    assert redact_finding(plain) is plain


def test_redact_finding_hides_a_credential_shape_under_any_path() -> None:
    url = "postgres://app:s3cret@db.internal/app"
    finding = Finding(
        "XYZ002",
        Severity.WARNING,
        f"database.url {url} is not TLS",
        Location("values.yaml", 1, 1),
        value_path="database.url",
        trace=(TraceStep("set", Location("values.yaml", 1, 1), url), TraceStep("overrode", Location("v.yaml"), 5432)),
    )
    hidden = redact_finding(finding)
    assert hidden.message == f"database.url {REDACTED} is not TLS"
    assert [step.value for step in hidden.trace] == [REDACTED, 5432]
