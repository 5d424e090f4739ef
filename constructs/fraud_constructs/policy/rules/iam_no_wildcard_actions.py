"""FD-IAM-1: a `*` or `service:*` action grants every future API of the service too; name the actions."""

from ..core import Rule
from ..statement_reader import IDENTITY_POLICY_TYPES, Statement, identity_policy_check


def _wildcard(action: str) -> bool:
    return action == "*" or action.endswith(":*")


def _allows_wildcard_action(s: Statement) -> bool:
    return s.allows and bool(s.not_actions or any(_wildcard(a) for a in s.actions))


RULE = Rule(
    id="FD-IAM-1",
    message="Identity policy allows a wildcard action (`*`, `service:*` or NotAction), or cannot be read.",
    explanation=(
        "List the exact actions the function needs (e.g. dynamodb:PutItem, dynamodb:Query). Write the "
        "policy as a literal JSON string or a data.aws_iam_policy_document, not ${jsonencode(...)}."
    ),
    applies_to=IDENTITY_POLICY_TYPES,
    check=identity_policy_check(_allows_wildcard_action),
)
