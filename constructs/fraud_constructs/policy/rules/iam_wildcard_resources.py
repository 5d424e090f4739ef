"""FD-IAM-2: `Resource: "*"` is allowed only for actions AWS cannot scope to a resource.

Allow-list (each action has no resource type in the AWS Service Authorization Reference):
- xray:PutTraceSegments, xray:PutTelemetryRecords: needed by active tracing; X-Ray has no
  resource-level permissions for writes.
- xray:GetSamplingRules, xray:GetSamplingTargets: read-only sampling config used by the X-Ray SDK;
  no resource-level permissions.
- cloudwatch:PutMetricData: no resource type; narrow it with a cloudwatch:namespace condition.
- dynamodb:ListStreams: account-wide list call that returns stream ARNs only (AWS CDK's
  grantTableListStreams uses `*` too); reading records (GetRecords etc.) stays scoped.
- ecr:GetAuthorizationToken: registry login; returns a token, no repository access by itself.
- logs:DescribeLogGroups: lists log group names and settings, reads no log data.
- ec2:DescribeNetworkInterfaces, ec2:DescribeSubnets: what Lambda needs to manage a VPC function's
  network interfaces ("Giving Lambda functions access to resources in an Amazon VPC"); list calls.
"""

from ..core import Rule
from ..statement_reader import IDENTITY_POLICY_TYPES, Statement, identity_policy_check

UNSCOPABLE_ACTIONS = frozenset(
    a.lower()
    for a in (
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "cloudwatch:PutMetricData",
        "dynamodb:ListStreams",
        "ecr:GetAuthorizationToken",
        "logs:DescribeLogGroups",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
    )
)


def _allows_scopable_action_on_star(s: Statement) -> bool:
    if not s.allows:
        return False
    if s.not_resources:
        return True
    return "*" in s.resources and bool(s.not_actions or any(a.lower() not in UNSCOPABLE_ACTIONS for a in s.actions))


RULE = Rule(
    id="FD-IAM-2",
    message='Identity policy allows an action on Resource "*" that AWS lets you scope (or uses NotResource).',
    explanation=(
        "Scope the statement to the ARNs it needs (table and index ARNs, bucket/prefix ARNs, topic ARN, key "
        "ARN). Only "
        + ", ".join(sorted(UNSCOPABLE_ACTIONS))
        + ' may use "*"; keep them in their own statement.'
    ),
    applies_to=IDENTITY_POLICY_TYPES,
    check=identity_policy_check(_allows_scopable_action_on_star),
)
