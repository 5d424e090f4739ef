"""The emulator process: moto on 127.0.0.1, without a log line per API call (the pump polls every second)."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_stage.emulator import MotoServer, emulator_client, emulator_environment

pytestmark = pytest.mark.tool


def test_moto_logs_no_line_per_request(tmp_path: Path) -> None:
    log = tmp_path / "moto.log"
    with MotoServer.start(log_path=log) as moto:
        sqs = emulator_client("sqs", moto.url)
        url = sqs.create_queue(QueueName="polled")["QueueUrl"]
        for _ in range(30):  # what a poller does
            sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    text = log.read_text()
    assert "HTTP/1.1" not in text and len(text.splitlines()) < 5, text[-2000:]
    assert emulator_environment(moto.url)["AWS_ENDPOINT_URL"] == moto.url
