"""FD-APIGW-1: the webhook must never accept unauthenticated calls; require an API key or an authorizer."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, truthy


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    authorization = str(config.get("authorization", "NONE")).upper()
    ok = authorization != "NONE" or truthy(config.get("api_key_required"))
    return Verdict.COMPLIANT if ok else Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-APIGW-1",
    message="API Gateway method requires neither an API key nor an authorizer.",
    explanation=(
        'Set api_key_required = true (with a usage plan) or authorization = "AWS_IAM" / "CUSTOM" / '
        '"COGNITO_USER_POOLS" with an authorizer.'
    ),
    applies_to=frozenset({"aws_api_gateway_method"}),
    check=_check,
)
