"""FD-EVB-1: a batch trigger that cannot be delivered must be retried and then kept, not dropped."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, blocks


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    retry = any(
        r.get("maximum_retry_attempts") is not None or r.get("maximum_event_age_in_seconds") is not None
        for r in blocks(config.get("retry_policy"))
    )
    dlq = any(d.get("arn") for d in blocks(config.get("dead_letter_config")))
    return Verdict.COMPLIANT if retry and dlq else Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-EVB-1",
    message="EventBridge target has no retry policy or no dead-letter queue.",
    explanation=(
        "Set retry_policy { maximum_retry_attempts, maximum_event_age_in_seconds } and dead_letter_config "
        "{ arn = <SQS queue arn> }; the queue's CMK and queue policy must allow events.amazonaws.com "
        "(aws:SourceArn = the rule)."
    ),
    applies_to=frozenset({"aws_cloudwatch_event_target"}),
    check=_check,
)
