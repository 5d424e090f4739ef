"""FD-DDB-1: the pattern table holds card fingerprints and amounts.

AWS-owned keys give no key policy to limit readers and no audit trail of decrypts.
"""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, blocks, is_customer_managed_key, truthy


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    for sse in blocks(config.get("server_side_encryption")):
        if truthy(sse.get("enabled")) and is_customer_managed_key(sse.get("kms_key_arn")):
            return Verdict.COMPLIANT
    return Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-DDB-1",
    message="DynamoDB table is not encrypted with a customer-managed KMS key.",
    explanation="Set server_side_encryption { enabled = true, kms_key_arn = <project CMK arn> }.",
    applies_to=frozenset({"aws_dynamodb_table"}),
    check=_check,
)
