"""An EventBridge schedule that runs one batch job on a function alias.

The target uses an input transformer, not a constant ``input``: the job carries the event's
``time``, because EventBridge invokes Lambda asynchronously and a retried run must process the
window of its own event, not the clock's. The target's retry policy and DLQ cover only
*delivery* to Lambda; a run that fails is retried and kept by the function's event-invoke
config. The DLQ's queue policy must name this rule (``DeadLetterQueue.allow_eventbridge_rules``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetDeadLetterConfig,
    CloudwatchEventTargetInputTransformer,
    CloudwatchEventTargetRetryPolicy,
)
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from fraud_constructs.overrides import apply_overrides

INPUT_PATHS = {"time": "$.time"}


def input_template(job: str) -> str:
    """``{"job": "<job>", "time": <time>}``: EventBridge substitutes the event time as a JSON string."""
    return '{"job": ' + json.dumps(job) + ', "time": <time>}'


@dataclass(frozen=True)
class ScheduleProps:
    """Props of :class:`Schedule`."""

    rule_name: str
    """Rule name, e.g. ``fraud-batch-window-dev``."""
    schedule_expression: str
    """``rate(...)`` or ``cron(...)`` (UTC)."""
    job: str
    """Job name sent to the function (``window`` or ``daily_report``)."""
    function_name: str
    """Target function name (for the invoke permission)."""
    alias_name: str
    """Alias to invoke (permission qualifier)."""
    alias_arn: str
    """ARN of that alias (target)."""
    dead_letter_queue_arn: str
    """Queue for events EventBridge could not deliver."""
    description: str = ""
    """Rule description. Default: empty."""
    max_event_age_seconds: int = 3600
    """Give up delivering after this long (60-86400). Default: 3600: a later run covers the next window."""
    max_retry_attempts: int = 3
    """Delivery retries (0-185). Default: 3."""
    overrides: Mapping[str, object] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths on the target. Default: none."""

    def __post_init__(self) -> None:
        if not self.schedule_expression.startswith(("rate(", "cron(")):
            raise ValueError(f"{self.rule_name}: schedule_expression must be rate(...) or cron(...)")
        if not 60 <= self.max_event_age_seconds <= 86400:
            raise ValueError(f"{self.rule_name}: max_event_age_seconds must be 60-86400")
        if not 0 <= self.max_retry_attempts <= 185:
            raise ValueError(f"{self.rule_name}: max_retry_attempts must be 0-185")


class Schedule(Construct):
    """Exposes ``rule`` (and ``arn``/``name``), ``target`` and ``permission``."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: ScheduleProps) -> None:
        super().__init__(scope, construct_id)
        self.rule = CloudwatchEventRule(
            self,
            "rule",
            name=props.rule_name,
            description=props.description or f"Runs the {props.job} job",
            schedule_expression=props.schedule_expression,
        )
        self.target = CloudwatchEventTarget(
            self,
            "target",
            rule=self.rule.name,
            target_id=f"{props.job.replace('_', '-')}-job",
            arn=props.alias_arn,
            input_transformer=CloudwatchEventTargetInputTransformer(
                input_paths=INPUT_PATHS, input_template=input_template(props.job)
            ),
            retry_policy=CloudwatchEventTargetRetryPolicy(
                maximum_event_age_in_seconds=props.max_event_age_seconds,
                maximum_retry_attempts=props.max_retry_attempts,
            ),
            dead_letter_config=CloudwatchEventTargetDeadLetterConfig(arn=props.dead_letter_queue_arn),
        )
        apply_overrides(self.target, props.overrides)
        self.permission = LambdaPermission(
            self,
            "invoke-permission",
            statement_id=f"AllowEventBridge-{props.rule_name}",
            action="lambda:InvokeFunction",
            function_name=props.function_name,
            qualifier=props.alias_name,
            principal=f"events.{aws.dns_suffix}",
            # Lambda developer guide, "Working with resource-based IAM policies in Lambda" /
            # "Invoke a Lambda function on a schedule": EventBridge gets lambda:InvokeFunction with
            # SourceArn = the rule ARN (the rule ARN carries account and region).
            source_arn=self.rule.arn,
        )

    @property
    def arn(self) -> str:
        return self.rule.arn

    @property
    def name(self) -> str:
        return self.rule.name
