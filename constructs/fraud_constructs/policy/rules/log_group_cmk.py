"""FD-LOG-1: function logs can echo request data; encrypt them with the project CMK."""

from ..core import Rule, customer_managed_key_check

RULE = Rule(
    id="FD-LOG-1",
    message="CloudWatch log group is not encrypted with a customer-managed KMS key.",
    explanation=(
        "Set kms_key_id = <project CMK arn>; the key policy must allow logs.<region>.amazonaws.com with the "
        "kms:EncryptionContext:aws:logs:arn condition, or the log group cannot be created."
    ),
    applies_to=frozenset({"aws_cloudwatch_log_group"}),
    check=customer_managed_key_check("kms_key_id"),
)
