"""FD-SQS-1: DLQs hold failed fraud events verbatim; SQS-managed SSE gives no key policy to limit readers."""

from ..core import Rule, customer_managed_key_check

RULE = Rule(
    id="FD-SQS-1",
    message="SQS queue is not encrypted with a customer-managed KMS key.",
    explanation=(
        "Set kms_master_key_id = <project CMK arn> (not alias/aws/sqs, not sqs_managed_sse_enabled); the key "
        "policy must let the producing services (e.g. events.amazonaws.com) use it."
    ),
    applies_to=frozenset({"aws_sqs_queue"}),
    check=customer_managed_key_check("kms_master_key_id"),
)
