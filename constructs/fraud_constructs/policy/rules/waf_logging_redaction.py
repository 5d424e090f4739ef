"""FD-WAF-1: WAF logs keep every request header unless redacted: the API key and the request's
credential (its signature or Authorization header) would sit in plain text in the log group."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, blocks, is_token

API_KEY_HEADER = "x-api-key"
"""API Gateway's API key header (``api_key_source = HEADER``)."""


def _redacted_headers(config: Mapping[str, Any]) -> set[str] | None:
    """The single headers the logging configuration redacts (lower case), or None if one is a token."""
    names: set[str] = set()
    for field in blocks(config.get("redacted_fields")):
        for header in blocks(field.get("single_header")):
            name = header.get("name")
            if not isinstance(name, str) or is_token(name):
                return None
            names.add(name.lower())
    return names


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    names = _redacted_headers(config)
    if names is None:
        return Verdict.NON_COMPLIANT  # unknown at synth: the redaction must be visible
    credential = any(name == "authorization" or "signature" in name for name in names)
    return Verdict.COMPLIANT if API_KEY_HEADER in names and credential else Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-WAF-1",
    message="WAF logging does not redact the API key header and the request's credential header.",
    explanation=(
        'Add redacted_fields { single_header { name = "x-api-key" } } and one for the header that '
        "authenticates the request (its signature header, or authorization), names in lower case."
    ),
    applies_to=frozenset({"aws_wafv2_web_acl_logging_configuration"}),
    check=_check,
)
