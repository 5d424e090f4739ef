"""FD-IAM-3: AWS managed policies are broad and change under you; attach policies this project writes."""

import re
from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict

_AWS_MANAGED = re.compile(r"^arn:[^:]+:iam::aws:policy/")
_ATTACHMENTS = frozenset(
    {
        "aws_iam_role_policy_attachment",
        "aws_iam_user_policy_attachment",
        "aws_iam_group_policy_attachment",
        "aws_iam_policy_attachment",
    }
)


def _arns(resource_type: str, config: Mapping[str, Any]) -> list[Any]:
    if resource_type in _ATTACHMENTS:
        return [config.get("policy_arn")]
    arns: list[Any] = []
    for key in ("managed_policy_arns", "policy_arns"):
        value = config.get(key)
        arns.extend([value] if isinstance(value, str) else list(value or ()))
    return arns


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    arns = _arns(resource_type, config)
    if not arns:
        return Verdict.NOT_APPLICABLE
    managed = any(isinstance(a, str) and _AWS_MANAGED.match(a) for a in arns)
    return Verdict.NON_COMPLIANT if managed else Verdict.COMPLIANT


RULE = Rule(
    id="FD-IAM-3",
    message="An AWS managed policy is attached.",
    explanation=(
        "Replace it with a least-privilege policy of this project (e.g. logs:CreateLogStream/PutLogEvents on "
        "the function's own log group instead of AWSLambdaBasicExecutionRole)."
    ),
    applies_to=_ATTACHMENTS | {"aws_iam_role", "aws_iam_role_policy_attachments_exclusive"},
    check=_check,
)
