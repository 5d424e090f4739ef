"""The one fake Lambda context: the attributes Powertools and the handlers read from the real one."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.support.aws import ACCOUNT_ID, REGION

FUNCTION_NAME = "fraud-test"
REQUEST_ID = "6f2a3c4e-0000-4000-8000-00000000abcd"


@dataclass(frozen=True)
class FakeLambdaContext:
    """``remaining_ms`` is what ``get_remaining_time_in_millis`` answers (the webhook's deadline reads it)."""

    remaining_ms: int = 29_000
    function_name: str = FUNCTION_NAME
    function_version: str = "$LATEST"
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{FUNCTION_NAME}"
    memory_limit_in_mb: int = 512
    aws_request_id: str = REQUEST_ID
    log_group_name: str = f"/aws/lambda/{FUNCTION_NAME}"
    log_stream_name: str = "2026/11/22/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()
