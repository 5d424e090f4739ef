"""FD-VPC-1: a function in VPC mode has no route to the internet.

Judged per resource, so it holds for every stack: an internet gateway, egress-only internet gateway,
NAT gateway or carrier gateway (and an internet gateway attachment) is non-compliant wherever it
appears, and so is a route (``aws_route``, or a ``route`` block of ``aws_route_table`` /
``aws_default_route_table``) whose target is one of them. Private targets (``local``, a virtual
private gateway, a gateway VPC endpoint, a transit gateway, a peering connection) are compliant: they
do not leave AWS's network by themselves. A ``gateway_id`` that cannot be read statically is judged
an internet gateway (fail closed).
"""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, blocks, is_token, references

_GATEWAYS = frozenset(
    {
        "aws_internet_gateway",
        "aws_internet_gateway_attachment",
        "aws_egress_only_internet_gateway",
        "aws_nat_gateway",
        "aws_ec2_carrier_gateway",
    }
)
_ROUTE_TABLES = frozenset({"aws_route_table", "aws_default_route_table"})
# Targets that are the internet whatever they point at.
_INTERNET_TARGETS = ("nat_gateway_id", "egress_only_gateway_id", "carrier_gateway_id")
# gateway_id may also be a virtual private gateway (vgw-) or, in a route table, "local".
_PRIVATE_GATEWAY_TYPES = frozenset({"aws_vpn_gateway", "data.aws_vpn_gateway", "aws_vpc_endpoint"})


def _private_gateway(value: Any) -> bool:
    if value in (None, "", "local"):
        return True
    if not isinstance(value, str):
        return False
    if is_token(value):
        found = references(value)
        return bool(found) and all(rtype in _PRIVATE_GATEWAY_TYPES for rtype, _ in found)
    return value.startswith(("vgw-", "vpce-"))


def _reaches_internet(route: Mapping[str, Any]) -> bool:
    if any(route.get(target) for target in _INTERNET_TARGETS):
        return True
    return not _private_gateway(route.get("gateway_id"))


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    if resource_type in _GATEWAYS:
        return Verdict.NON_COMPLIANT
    routes = [config] if resource_type == "aws_route" else blocks(config.get("route"))
    return Verdict.NON_COMPLIANT if any(_reaches_internet(r) for r in routes) else Verdict.COMPLIANT


RULE = Rule(
    id="FD-VPC-1",
    message="Internet path in the network: an internet, egress-only, NAT or carrier gateway, or a route to one.",
    explanation=(
        "VPC-mode functions reach AWS only through VPC endpoints (gateway endpoints for S3 and DynamoDB, "
        "interface endpoints with private DNS for the other APIs). Remove the gateway and its routes."
    ),
    applies_to=_GATEWAYS | _ROUTE_TABLES | {"aws_route"},
    check=_check,
)
