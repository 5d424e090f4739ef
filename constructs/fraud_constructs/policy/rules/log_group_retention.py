"""FD-LOG-2: logs kept forever cost money and keep personal data past any need; set a retention."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, is_token


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    days = config.get("retention_in_days")
    if is_token(days):
        return Verdict.COMPLIANT  # set from a variable: the value is chosen, just not known yet
    try:
        ok = days is not None and int(days) > 0
    except (TypeError, ValueError):
        ok = False
    return Verdict.COMPLIANT if ok else Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-LOG-2",
    message="CloudWatch log group keeps logs forever (no retention_in_days).",
    explanation="Set retention_in_days (e.g. 30 in dev, 365 in prod); 0 or unset means never expire.",
    applies_to=frozenset({"aws_cloudwatch_log_group"}),
    check=_check,
)
