"""FD-WAF-2: a web ACL in front of API Gateway sees only the first 16 KB of a body unless its
association config raises the limit (to 64 KB at most); what it cannot inspect must be blocked
explicitly, or an attack placed past the limit passes every body rule.

Applies to a web ACL that sets an API Gateway body inspection limit, or that an association in the
same stack attaches to an API Gateway stage. Compliant when the limit is ``KB_64``, a blocking rule
matches oversize bodies (a size constraint on the body with ``oversize_handling = "MATCH"``), and
every rule of the web ACL that inspects the body says how it handles oversize bodies.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, blocks, refers_to

_BODY_FIELDS = ("body", "json_body")


def _api_gateway_limits(config: Mapping[str, Any]) -> list[Any]:
    return [
        api.get("default_size_inspection_limit")
        for association in blocks(config.get("association_config"))
        for body in blocks(association.get("request_body"))
        for api in blocks(body.get("api_gateway"))
    ]


def _attached_to_a_stage(config: Mapping[str, Any], stack: StackView) -> bool:
    name = stack.name_of("aws_wafv2_web_acl", config)
    if name is None:
        return False
    for _, association in stack.of_type("aws_wafv2_web_acl_association"):
        if not refers_to(association.get("web_acl_arn"), "aws_wafv2_web_acl", name):
            continue
        target = association.get("resource_arn")
        stages = (n for n, _ in stack.of_type("aws_api_gateway_stage"))
        if any(refers_to(target, "aws_api_gateway_stage", stage) for stage in stages):
            return True
        if isinstance(target, str) and ":apigateway:" in target:
            return True
    return False


def _statements(statement: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every (kind, body) of a statement and of the statements nested in it."""
    for kind, inner in statement.items():
        for block in blocks(inner):
            yield kind, block
            for nested in blocks(block.get("statement")):
                yield from _statements(nested)
            for nested in blocks(block.get("scope_down_statement")):
                yield from _statements(nested)


def _body_fields(block: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The ``body``/``json_body`` settings a statement inspects (``{}`` for an empty block)."""
    for match in blocks(block.get("field_to_match")):
        for field in _BODY_FIELDS:
            if field in match:
                yield from blocks(match[field]) or [{}]


def _blocks_oversize(rule: Mapping[str, Any]) -> bool:
    actions = blocks(rule.get("action"))
    if not any("block" in action for action in actions):
        return False
    for statement in blocks(rule.get("statement")):
        for kind, block in _statements(statement):
            if kind == "size_constraint_statement" and any(
                body.get("oversize_handling") == "MATCH" for body in _body_fields(block)
            ):
                return True
    return False


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    limits = _api_gateway_limits(config)
    if not limits and not _attached_to_a_stage(config, stack):
        return Verdict.NOT_APPLICABLE
    if limits != ["KB_64"]:
        return Verdict.NON_COMPLIANT
    rules = blocks(config.get("rule"))
    if not any(_blocks_oversize(rule) for rule in rules):
        return Verdict.NON_COMPLIANT
    for rule in rules:
        for statement in blocks(rule.get("statement")):
            for _, block in _statements(statement):
                if any(not body.get("oversize_handling") for body in _body_fields(block)):
                    return Verdict.NON_COMPLIANT
    return Verdict.COMPLIANT


RULE = Rule(
    id="FD-WAF-2",
    message="Web ACL on API Gateway inspects less than 64 KB of the body or lets uninspected bodies through.",
    explanation=(
        'Set association_config { request_body { api_gateway { default_size_inspection_limit = "KB_64" } } }, '
        'add a blocking rule with a size_constraint_statement on body { oversize_handling = "MATCH" }, and set '
        "oversize_handling on every rule that inspects the body."
    ),
    applies_to=frozenset({"aws_wafv2_web_acl"}),
    check=_check,
)
