"""FD-LMB-3: a failed async run is retried, then dropped, unless there is an on-failure destination.

EventBridge (and SNS, S3) invoke Lambda asynchronously: the target's DLQ covers delivery only.
"""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, blocks, references, refers_to
from ..statement_reader import service_principal_of

# Services that invoke Lambda asynchronously, matched in both synthesized forms of a principal
# (``events.amazonaws.com`` and ``events.${data.aws_partition.<name>.dns_suffix}``).
_ASYNC_SERVICES = frozenset({"events", "sns", "s3"})


def _function_refs(value: Any, stack: StackView) -> set[str]:
    """Names of aws_lambda_function resources ``value`` points at, directly or through an alias."""
    names: set[str] = set()
    for rtype, name in references(value):
        if rtype == "aws_lambda_function":
            names.add(name)
        elif rtype == "aws_lambda_alias":
            alias = stack.resources.get("aws_lambda_alias", {}).get(name, {})
            names |= {n for t, n in references(alias.get("function_name")) if t == "aws_lambda_function"}
    return names


def _is_async(name: str, stack: StackView) -> bool:
    for _, target in stack.of_type("aws_cloudwatch_event_target"):
        if name in _function_refs(target.get("arn"), stack):
            return True
    for _, permission in stack.of_type("aws_lambda_permission"):
        if service_principal_of(permission.get("principal")) in _ASYNC_SERVICES and name in _function_refs(
            permission.get("function_name"), stack
        ):
            return True
    return False


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    name = stack.name_of(resource_type, config)
    if name is None or not _is_async(name, stack):
        return Verdict.NOT_APPLICABLE
    for _, invoke_config in stack.of_type("aws_lambda_function_event_invoke_config"):
        if not refers_to(
            invoke_config.get("function_name"), resource_type, name, config.get("function_name")
        ):
            continue
        for destination in blocks(invoke_config.get("destination_config")):
            if any(f.get("destination") for f in blocks(destination.get("on_failure"))):
                return Verdict.COMPLIANT
    return Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-LMB-3",
    message="Asynchronously invoked Lambda function has no on-failure destination.",
    explanation=(
        "Add aws_lambda_function_event_invoke_config for the function with maximum_retry_attempts set and "
        "destination_config { on_failure { destination = <SQS queue or SNS topic arn> } }, and grant the "
        "function role permission to send there."
    ),
    applies_to=frozenset({"aws_lambda_function"}),
    check=_check,
)
