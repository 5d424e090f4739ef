"""FD-VPC-3: interface endpoints have private DNS and a policy; gateway endpoints have a policy.

Without ``private_dns_enabled`` the SDKs' default endpoint names resolve to the public service
addresses, which a VPC without an internet path cannot reach, or which leave the VPC where one
exists (AWS PrivateLink Guide, "Access an AWS service using an interface VPC endpoint"). Without a
policy an endpoint gets AWS's default, full access for every principal to every resource of the
service, so any credential, including another account's, can move data through it (AWS PrivateLink
Guide, "Control access to VPC endpoints using endpoint policies"). A policy that allows ``*``
without a condition is judged like no policy; one that cannot be read statically fails closed.
"""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, truthy
from ..statement_reader import parse_policy, public_principal_without_condition


def _restrictive(policy: Any, stack: StackView) -> bool:
    statements = parse_policy(policy, stack) if policy else None
    return bool(statements) and not public_principal_without_condition(statements)


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    kind = config.get("vpc_endpoint_type") or "Gateway"
    if kind not in ("Interface", "Gateway"):
        return Verdict.NOT_APPLICABLE
    if not _restrictive(config.get("policy"), stack):
        return Verdict.NON_COMPLIANT
    if kind == "Interface" and not truthy(config.get("private_dns_enabled")):
        return Verdict.NON_COMPLIANT
    return Verdict.COMPLIANT


RULE = Rule(
    id="FD-VPC-3",
    message="VPC endpoint without a restrictive endpoint policy, or an interface endpoint without private DNS.",
    explanation=(
        "Set policy to a document that names the allowed actions and resources and narrows Principal '*' "
        "with a condition (aws:PrincipalArn or aws:PrincipalAccount); set private_dns_enabled = true on "
        "interface endpoints (the VPC needs DNS support and DNS hostnames)."
    ),
    applies_to=frozenset({"aws_vpc_endpoint"}),
    check=_check,
)
