"""FD-RP-1: a resource policy that allows `*` without a condition makes the resource public."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict
from ..statement_reader import resource_policy_verdict

_POLICY_ATTRIBUTE = {
    "aws_sqs_queue_policy": "policy",
    "aws_sns_topic_policy": "policy",
    "aws_s3_bucket_policy": "policy",
    "aws_ecr_repository_policy": "policy",
    "aws_cloudwatch_event_bus_policy": "policy",
    "aws_api_gateway_rest_api_policy": "policy",
    "aws_sqs_queue": "policy",
    "aws_sns_topic": "policy",
    "aws_s3_bucket": "policy",
    "aws_api_gateway_rest_api": "policy",
    "aws_iam_role": "assume_role_policy",
}


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    if resource_type == "aws_lambda_permission":
        open_to_all = config.get("principal") == "*" and not any(
            config.get(k) for k in ("source_arn", "source_account", "principal_org_id")
        )
        return Verdict.NON_COMPLIANT if open_to_all else Verdict.COMPLIANT
    policy = config.get(_POLICY_ATTRIBUTE[resource_type])
    if policy is None:
        return Verdict.NOT_APPLICABLE
    return resource_policy_verdict(policy, stack)


RULE = Rule(
    id="FD-RP-1",
    message='Resource policy allows principal "*" without a condition, or cannot be read.',
    explanation=(
        "Name the principal (service or account) and add a condition such as aws:SourceArn / "
        'aws:SourceAccount; for aws_lambda_permission set source_arn. Deny statements may use "*".'
    ),
    applies_to=frozenset(_POLICY_ATTRIBUTE) | {"aws_lambda_permission"},
    check=_check,
)
