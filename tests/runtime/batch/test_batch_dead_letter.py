"""A failed async batch run is kept, not lost: retries, then the dead-letter queue the batch role may
write to (static, from the synthesized app). Moved from ``tests/image/test_webhook_faults.py``."""

from __future__ import annotations

import pytest

from tests.support.app_helpers import by_path, ref, statements_by_sid

pytestmark = pytest.mark.synth


def test_batch_failures_land_in_the_dlq_the_batch_role_may_write_to(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    config = by_path(app, "aws_lambda_function_event_invoke_config", "app/compute/batch/event-invoke-config")
    dlq = ref(app, "aws_sqs_queue", "app/dlq/queue", "arn")
    assert config["qualifier"] == ref(app, "aws_lambda_alias", "app/compute/batch/alias", "name")
    assert 0 <= config["maximum_retry_attempts"] <= 2
    assert config["destination_config"]["on_failure"]["destination"] == dlq
    # the destination is written with the function's own role: without this grant the event is dropped
    grant = statements_by_sid(app, "app/compute/batch/policy")["SendToDeadLetterQueue"]
    assert grant["actions"] == ["sqs:SendMessage"] and grant["resources"] == [dlq]
    # and the queue keeps a failed event longer than Lambda keeps retrying it
    queue = by_path(app, "aws_sqs_queue", "app/dlq/queue")
    assert queue.get("message_retention_seconds", 345_600) > config["maximum_event_age_in_seconds"]
