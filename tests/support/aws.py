"""moto in-process, with fake credentials so nothing can reach a real account."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials so nothing can reach a real account, whatever the developer's shell has."""
    for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


# One loader for every test's session: botocore parses a service's JSON model once per loader, and a
# fresh session per test (mock_aws resets boto3's default session) would otherwise parse it again.
_LOADER = botocore.loaders.create_loader()


def fresh_session() -> boto3.Session:
    """A new boto3 session (its own event hooks, credentials and clients) sharing the parsed models."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    session = boto3.Session(botocore_session=core)
    # boto3 appends its resource-model folder to the loader's search path on every new session
    _LOADER.search_paths[:] = dict.fromkeys(_LOADER.search_paths)
    return session


_CLIENTS: weakref.WeakKeyDictionary[boto3.Session, dict[str, Any]] = weakref.WeakKeyDictionary()


def moto_client(service: str) -> Any:
    """The test's own client for ``service`` on the current default session, built once per test.

    For the fixtures and helpers that set up and read back moto state (a client costs milliseconds to
    build); code under test builds its own clients, and a test that hooks events builds its own too."""
    session = boto3._get_default_session()
    clients = _CLIENTS.setdefault(session, {})
    if service not in clients:
        clients[service] = session.client(service, region_name=REGION)
    return clients[service]


@pytest.fixture
def aws(aws_credentials: None) -> Iterator[None]:
    with mock_aws():
        boto3.DEFAULT_SESSION = fresh_session()
        yield
