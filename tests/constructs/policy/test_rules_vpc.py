"""Policy rules for VPC mode (FD-VPC-1/2/3), and FD-IAM-2's allowance for Lambda's ENI describes."""

from __future__ import annotations

import pytest

from tests.constructs.policy.rule_cases import NA, C, Case, N, doc, judge

pytestmark = pytest.mark.unit

VPC_REF = "${aws_vpc.subject.id}"
CLOSED = {"vpc_id": VPC_REF, "ingress": [], "egress": []}
ROLE = "arn:aws:iam::123456789012:role/fraud-webhook-dev-us-east-1"
SCOPED = {
    "Effect": "Allow",
    "Principal": "*",
    "Action": ["ssm:GetParameters"],
    "Resource": ["arn:aws:ssm:us-east-1:123456789012:parameter/fraud-detection/dev/settings"],
    "Condition": {"ArnEquals": {"aws:PrincipalArn": [ROLE]}},
}
FULL_ACCESS = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
INTERFACE = {
    "vpc_id": "${aws_vpc.v.id}",
    "service_name": "com.amazonaws.us-east-1.ssm",
    "vpc_endpoint_type": "Interface",
    "private_dns_enabled": True,
    "policy": doc(SCOPED),
}
GATEWAY = {"vpc_id": "${aws_vpc.v.id}", "service_name": "com.amazonaws.us-east-1.s3", "policy": doc(SCOPED)}
ENDPOINT_POLICY_DATA = {
    "aws_iam_policy_document": {
        "ssm": {
            "statement": [
                {
                    "actions": ["ssm:GetParameters"],
                    "resources": ["arn:aws:ssm:us-east-1:123456789012:parameter/x"],
                    "principals": [{"type": "*", "identifiers": ["*"]}],
                    "condition": [{"test": "ArnEquals", "variable": "aws:PrincipalArn", "values": [ROLE]}],
                }
            ]
        }
    }
}

CASES: list[Case] = [
    # FD-VPC-1
    Case("FD-VPC-1", "route table with only local routes", "aws_route_table", {"vpc_id": VPC_REF, "route": []}, C),
    Case(
        "FD-VPC-1",
        "route to a gateway endpoint and a virtual private gateway",
        "aws_route_table",
        {
            "route": [
                {"cidr_block": "10.1.0.0/16", "gateway_id": "${aws_vpn_gateway.vgw.id}"},
                {"cidr_block": "10.2.0.0/16", "gateway_id": "vgw-0123456789abcdef0"},
                {"cidr_block": "10.3.0.0/16", "transit_gateway_id": "${aws_ec2_transit_gateway.t.id}"},
            ]
        },
        C,
    ),
    Case("FD-VPC-1", "route via a peering connection", "aws_route", {"vpc_peering_connection_id": "pcx-1"}, C),
    Case("FD-VPC-1", "an internet gateway", "aws_internet_gateway", {"vpc_id": VPC_REF}, N),
    Case("FD-VPC-1", "a NAT gateway", "aws_nat_gateway", {"subnet_id": "${aws_subnet.public.id}"}, N),
    Case("FD-VPC-1", "an egress-only gateway", "aws_egress_only_internet_gateway", {"vpc_id": VPC_REF}, N),
    Case(
        "FD-VPC-1",
        "default route to an internet gateway",
        "aws_route",
        {"destination_cidr_block": "0.0.0.0/0", "gateway_id": "${aws_internet_gateway.igw.id}"},
        N,
    ),
    Case(
        "FD-VPC-1",
        "IPv6 default route to an egress-only gateway",
        "aws_route",
        {"destination_ipv6_cidr_block": "::/0", "egress_only_gateway_id": "eigw-1"},
        N,
    ),
    Case(
        "FD-VPC-1",
        "inline route to a NAT gateway",
        "aws_route_table",
        {"route": [{"cidr_block": "0.0.0.0/0", "nat_gateway_id": "${aws_nat_gateway.nat.id}"}]},
        N,
    ),
    Case(
        "FD-VPC-1",
        "default route table with a literal internet gateway",
        "aws_default_route_table",
        {"route": [{"cidr_block": "0.0.0.0/0", "gateway_id": "igw-0123456789abcdef0"}]},
        N,
    ),
    Case(
        "FD-VPC-1",
        "gateway id that cannot be read (fails closed)",
        "aws_route",
        {"destination_cidr_block": "0.0.0.0/0", "gateway_id": "${var.gateway}"},
        N,
    ),
    # FD-VPC-2
    Case("FD-VPC-2", "default group with no rules", "aws_default_security_group", CLOSED, C),
    Case(
        "FD-VPC-2",
        "default group with an ingress rule",
        "aws_default_security_group",
        {**CLOSED, "ingress": [{"protocol": "-1", "self": True, "from_port": 0, "to_port": 0}]},
        N,
    ),
    Case(
        "FD-VPC-2",
        "default group without egress stated (not managed afterwards)",
        "aws_default_security_group",
        {"vpc_id": VPC_REF, "ingress": []},
        N,
    ),
    Case(
        "FD-VPC-2",
        "VPC whose default group is closed",
        "aws_vpc",
        {"cidr_block": "10.42.0.0/16"},
        C,
        {"aws_default_security_group": {"d": CLOSED}},
    ),
    Case("FD-VPC-2", "VPC without a managed default group", "aws_vpc", {"cidr_block": "10.42.0.0/16"}, N),
    Case(
        "FD-VPC-2",
        "VPC whose closed default group belongs to another VPC",
        "aws_vpc",
        {"cidr_block": "10.42.0.0/16"},
        N,
        {"aws_default_security_group": {"d": {**CLOSED, "vpc_id": "${aws_vpc.other.id}"}}},
    ),
    # FD-VPC-3
    Case("FD-VPC-3", "interface endpoint, private DNS and a scoped policy", "aws_vpc_endpoint", INTERFACE, C),
    Case(
        "FD-VPC-3",
        "interface endpoint with a policy document reference",
        "aws_vpc_endpoint",
        {**INTERFACE, "policy": "${data.aws_iam_policy_document.ssm.json}"},
        C,
        data=ENDPOINT_POLICY_DATA,
    ),
    Case("FD-VPC-3", "gateway endpoint (default type) with a scoped policy", "aws_vpc_endpoint", GATEWAY, C),
    Case(
        "FD-VPC-3",
        "interface endpoint without private DNS",
        "aws_vpc_endpoint",
        {**INTERFACE, "private_dns_enabled": False},
        N,
    ),
    Case(
        "FD-VPC-3",
        "interface endpoint without a policy",
        "aws_vpc_endpoint",
        {k: v for k, v in INTERFACE.items() if k != "policy"},
        N,
    ),
    Case(
        "FD-VPC-3", "gateway endpoint with full access", "aws_vpc_endpoint", {**GATEWAY, "policy": doc(FULL_ACCESS)}, N
    ),
    Case(
        "FD-VPC-3",
        "policy that cannot be read",
        "aws_vpc_endpoint",
        {**GATEWAY, "policy": "${jsonencode(local.p)}"},
        N,
    ),
    Case(
        "FD-VPC-3",
        "gateway load balancer endpoint",
        "aws_vpc_endpoint",
        {"vpc_endpoint_type": "GatewayLoadBalancer"},
        NA,
    ),
    # FD-IAM-2: what Lambda needs to manage a VPC function's interfaces
    Case(
        "FD-IAM-2",
        "Lambda's ENI describes on *",
        "aws_iam_role_policy",
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Action": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
                    "Resource": "*",
                }
            )
        },
        C,
    ),
    Case(
        "FD-IAM-2",
        "ENI deletion on *",
        "aws_iam_role_policy",
        {"policy": doc({"Effect": "Allow", "Action": ["ec2:DeleteNetworkInterface"], "Resource": "*"})},
        N,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule_id}:{c.label}")
def test_rule_verdict(case: Case) -> None:
    assert judge(case) is case.expected
