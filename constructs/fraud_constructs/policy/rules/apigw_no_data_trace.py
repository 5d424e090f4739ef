"""FD-APIGW-2: data tracing logs full request bodies (card data, signatures) into execution logs."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, blocks


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    settings = blocks(config.get("settings"))
    # Unknown (token) counts as on: the value must be visibly false or absent.
    traced = any(s.get("data_trace_enabled") not in (None, False, "false") for s in settings)
    return Verdict.NON_COMPLIANT if traced else Verdict.COMPLIANT


RULE = Rule(
    id="FD-APIGW-2",
    message="API Gateway method settings enable data tracing (full request/response logging).",
    explanation="Set settings { data_trace_enabled = false }; use access logs and metrics instead.",
    applies_to=frozenset({"aws_api_gateway_method_settings"}),
    check=_check,
)
