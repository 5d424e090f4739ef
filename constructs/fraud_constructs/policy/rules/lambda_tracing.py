"""FD-LMB-1: active X-Ray tracing finds a slow or failing scoring path across API, Lambda and DynamoDB."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, blocks


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    active = any(t.get("mode") == "Active" for t in blocks(config.get("tracing_config")))
    return Verdict.COMPLIANT if active else Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-LMB-1",
    message="Lambda function does not have active X-Ray tracing.",
    explanation=(
        'Set tracing_config { mode = "Active" } and grant xray:PutTraceSegments/PutTelemetryRecords before '
        "the function is created (depends_on the policy)."
    ),
    applies_to=frozenset({"aws_lambda_function"}),
    check=_check,
)
