"""FD-VPC-2: the default security group allows nothing.

A resource launched without a security group lands in its VPC's default group, which AWS creates
allowing all traffic within the group and all egress (Amazon VPC User Guide, "Default security
groups for your VPCs"; AWS Security Hub control EC2.2). ``aws_default_security_group`` is compliant
only with ``ingress = []`` and ``egress = []`` stated: the provider removes every rule when it adopts
the group, but an omitted argument is not managed afterwards, so a rule added later would stay. An
``aws_vpc`` is compliant only when the stack has such a closed default group for it.
"""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, refers_to


def _closed(config: Mapping[str, Any]) -> bool:
    return all(key in config and not config[key] for key in ("ingress", "egress"))


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    if resource_type == "aws_default_security_group":
        return Verdict.COMPLIANT if _closed(config) else Verdict.NON_COMPLIANT
    name = stack.name_of(resource_type, config)
    if name is None:
        return Verdict.NON_COMPLIANT
    for _, group in stack.of_type("aws_default_security_group"):
        if refers_to(group.get("vpc_id"), "aws_vpc", name) and _closed(group):
            return Verdict.COMPLIANT
    return Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-VPC-2",
    message="Default security group allows traffic, or a VPC's default security group is not managed closed.",
    explanation=(
        "Add aws_default_security_group { vpc_id = <the VPC>, ingress = [], egress = [] } for every VPC "
        "this stack creates; give resources their own security groups."
    ),
    applies_to=frozenset({"aws_default_security_group", "aws_vpc"}),
    check=_check,
)
