"""A deployed cold start still traces every AWS call: what X-Ray receives, not only what is patched.

One fresh process with the webhook's Lambda environment (tracing on, a sampled ``_X_AMZN_TRACE_ID``)
imports the handler and serves its first accepted request against a moto server in another process
(``bench/first_request.py``, as ``make bench`` runs it); the X-Ray daemon address points at a UDP
socket of this test, which collects every segment document the SDK emits.
"""

from __future__ import annotations

import json
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench import run as bench

pytestmark = pytest.mark.tool


@pytest.fixture
def daemon() -> Iterator[socket.socket]:
    """A stand-in X-Ray daemon: a UDP socket on a free local port."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.5)
        yield sock


def received(sock: socket.socket) -> list[dict[str, Any]]:
    """The segment documents sent so far (each datagram: a JSON header line, then the document)."""
    documents = []
    while True:
        try:
            datagram = sock.recv(65536)
        except TimeoutError:
            return documents
        _, _, body = datagram.decode("utf-8").partition("\n")
        documents.append(json.loads(body))


def test_first_request_traces_the_handler_and_each_aws_call(daemon: socket.socket) -> None:
    with bench.moto_server() as url, tempfile.TemporaryDirectory() as tmp:
        env = bench._lambda_env(url) | {"AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon.getsockname()[1]}"}
        event = bench._signed_event(Path(tmp) / "event.json", "txn-traced-1", "req-traced-1")
        proc = subprocess.run(
            [bench.PYTHON, str(bench.FIRST_REQUEST), "webhook", str(event)],
            env=env,
            cwd=bench.REPO,
            capture_output=True,
            text=True,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert '"status": 200' in proc.stdout
    documents = received(daemon)
    calls = sorted(
        (document["name"], document["aws"]["operation"]) for document in documents if document.get("namespace") == "aws"
    )
    assert calls == [("dynamodb", "PutItem"), ("dynamodb", "Query"), ("dynamodb", "Query"), ("ssm", "GetParameters")]
    [handler] = [document for document in documents if document["name"] == "## handler"]
    assert handler["annotations"]["ColdStart"] is True
    assert handler["annotations"]["outcome"] == "written"
    trace = bench.TRACE_HEADER.split(";")[0].removeprefix("Root=")
    assert {document["trace_id"] for document in documents} == {trace}
