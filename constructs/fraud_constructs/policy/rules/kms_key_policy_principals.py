"""FD-KMS-1: a key policy is a resource policy.

An Allow to `*` without a condition opens the key to every AWS account.
"""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict
from ..statement_reader import resource_policy_verdict


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    policy = config.get("policy")
    if policy is None:
        # The default key policy trusts only the account (IAM decides); aws_kms_key_policy is judged itself.
        return Verdict.COMPLIANT
    return resource_policy_verdict(policy, stack)


RULE = Rule(
    id="FD-KMS-1",
    message='KMS key policy allows principal "*" without a condition, or cannot be read.',
    explanation=(
        "Grant the account root and named service principals (logs.<region>.amazonaws.com, "
        "events.amazonaws.com, cloudwatch.amazonaws.com, ...) with the condition keys AWS documents for "
        'that principal and use (e.g. kms:EncryptionContext:aws:logs:arn); never an unconditioned "*".'
    ),
    applies_to=frozenset({"aws_kms_key", "aws_kms_key_policy"}),
    check=_check,
)
