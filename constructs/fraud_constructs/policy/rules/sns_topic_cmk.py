"""FD-SNS-1: alerts carry transaction ids; encrypt them with the project CMK, not the AWS-managed SNS key."""

from ..core import Rule, customer_managed_key_check

RULE = Rule(
    id="FD-SNS-1",
    message="SNS topic is not encrypted with a customer-managed KMS key.",
    explanation=(
        "Set kms_master_key_id = <project CMK arn> (not alias/aws/sns); the key policy must allow "
        "cloudwatch.amazonaws.com, or alarm notifications are silently dropped."
    ),
    applies_to=frozenset({"aws_sns_topic"}),
    check=customer_managed_key_check("kms_master_key_id"),
)
