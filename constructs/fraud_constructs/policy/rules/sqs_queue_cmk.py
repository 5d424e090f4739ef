"""FD-SQS-1: DLQs hold failed fraud events verbatim; SQS-managed SSE gives no key policy to limit readers."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, is_customer_managed_key


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    ok = is_customer_managed_key(config.get("kms_master_key_id"))
    return Verdict.COMPLIANT if ok else Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-SQS-1",
    message="SQS queue is not encrypted with a customer-managed KMS key.",
    explanation=(
        "Set kms_master_key_id = <project CMK arn> (not alias/aws/sqs, not sqs_managed_sse_enabled); the key "
        "policy must let the producing services (e.g. events.amazonaws.com) use it."
    ),
    applies_to=frozenset({"aws_sqs_queue"}),
    check=_check,
)
