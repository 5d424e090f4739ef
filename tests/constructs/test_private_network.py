"""PrivateNetwork and ServiceEndpoints: no internet path, closed default group, 443-only groups,
endpoints with private DNS and the caller's policies, KMS-encrypted flow logs, the function attachment."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest

from fraud_constructs.policy import ALL_RULES, StackView, Verdict
from fraud_constructs.private_network import (
    EndpointSpec,
    PrivateNetwork,
    PrivateNetworkProps,
    ServiceEndpointsProps,
)
from tests.tfjson import data_sources, only, policy_statements, resources, synth_scope

pytestmark = pytest.mark.synth

KEY = "arn:aws:kms:us-east-1:111111111111:key/k"
BOUNDARY = "arn:aws:iam::111111111111:policy/boundary"


def policy(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": f"{service}:Get*",
                    "Resource": f"arn:aws:{service}:::only-this",
                    "Condition": {"StringEquals": {"aws:PrincipalAccount": "111111111111"}},
                }
            ],
        }
    )


PROPS = PrivateNetworkProps(
    name_prefix="net-dev",
    flow_log_kms_key_arn=KEY,
    cidr="10.42.0.0/16",
    interface_endpoints=[EndpointSpec("ssm", policy("ssm")), EndpointSpec("sns", policy("sns"))],
    gateway_endpoints=[EndpointSpec("s3", policy("s3")), EndpointSpec("dynamodb", policy("dynamodb"))],
    flow_log_role_name="net-dev-flow-logs-us-east-1",
    permissions_boundary_arn=BOUNDARY,
)


@pytest.fixture(scope="module")
def built() -> tuple[dict, dict[str, Any]]:
    exposed: dict[str, Any] = {}

    def build(stack: Any) -> None:
        network = PrivateNetwork(stack, "net", aws=stack.aws, props=PROPS)
        exposed["attachment"] = network.attachment

    return synth_scope(build), exposed


@pytest.fixture(scope="module")
def doc(built: tuple[dict, dict[str, Any]]) -> dict:
    return built[0]


def ref(doc: dict, resource_type: str, attribute: str = "id", name: str | None = None) -> str:
    found = resources(doc, resource_type)
    names = [n for n in found if name is None or name in n]
    assert len(names) == 1, (resource_type, name, sorted(found))
    return "${" + f"{resource_type}.{names[0]}.{attribute}" + "}"


def test_vpc_has_dns_on_and_two_private_subnets_in_two_zones(doc: dict) -> None:
    vpc = only(doc, "aws_vpc")
    assert (vpc["cidr_block"], vpc["enable_dns_support"], vpc["enable_dns_hostnames"]) == ("10.42.0.0/16", True, True)
    subnets = list(resources(doc, "aws_subnet").values())
    assert len(subnets) == 2
    blocks = [ipaddress.ip_network(s["cidr_block"]) for s in subnets]
    assert all(b.subnet_of(ipaddress.ip_network("10.42.0.0/16")) for b in blocks) and not blocks[0].overlaps(blocks[1])
    assert all(s["map_public_ip_on_launch"] is False for s in subnets)
    (zones_name,) = data_sources(doc, "aws_availability_zones")
    assert [s["availability_zone"] for s in subnets] == [
        f"${{element(data.aws_availability_zones.{zones_name}.names, {i})}}" for i in (0, 1)
    ]
    # a looked-up zone never moves a subnet
    assert all(s["lifecycle"]["ignore_changes"] == ["availability_zone"] for s in subnets)
    zones = data_sources(doc, "aws_availability_zones")[zones_name]
    filters = {f["name"]: f["values"] for f in zones["filter"]}
    assert filters["opt-in-status"] == ["opt-in-not-required"]
    assert [v[-1] for v in filters["zone-name"]] == list("abcdef")  # an allow-list of names: a closed set


def test_no_route_leaves_the_vpc(doc: dict) -> None:
    table = only(doc, "aws_route_table")
    assert table["route"] == []  # stated, so an out-of-band route is removed by the next apply
    associations = resources(doc, "aws_route_table_association").values()
    assert {a["subnet_id"] for a in associations} == {
        "${aws_subnet." + name + ".id}" for name in resources(doc, "aws_subnet")
    }
    for kind in ("aws_route", "aws_internet_gateway", "aws_nat_gateway", "aws_egress_only_internet_gateway"):
        assert resources(doc, kind) == {}, kind


def test_default_security_group_is_adopted_and_emptied(doc: dict) -> None:
    group = only(doc, "aws_default_security_group")
    assert group["vpc_id"] == ref(doc, "aws_vpc")
    assert (group["ingress"], group["egress"]) == ([], [])


def test_security_groups_allow_only_https_between_functions_and_endpoints(doc: dict) -> None:
    functions = ref(doc, "aws_security_group", name="function")
    endpoints = ref(doc, "aws_security_group", name="endpoints")
    groups = resources(doc, "aws_security_group").values()
    assert all("ingress" not in g and "egress" not in g and g["description"] for g in groups)
    egress = list(resources(doc, "aws_vpc_security_group_egress_rule").values())
    ingress = list(resources(doc, "aws_vpc_security_group_ingress_rule").values())
    for rule in (*egress, *ingress):
        assert (rule["ip_protocol"], rule["from_port"], rule["to_port"]) == ("tcp", 443, 443)
        assert "cidr_ipv4" not in rule and "cidr_ipv6" not in rule and rule["description"]
    assert {r["security_group_id"] for r in egress} == {functions}
    assert sorted(r.get("referenced_security_group_id") or r["prefix_list_id"] for r in egress) == sorted(
        [
            endpoints,
            ref(doc, "aws_vpc_endpoint", "prefix_list_id", name="gateway-s3"),
            ref(doc, "aws_vpc_endpoint", "prefix_list_id", name="gateway-dynamodb"),
        ]
    )
    assert [(r["security_group_id"], r["referenced_security_group_id"]) for r in ingress] == [(endpoints, functions)]


def test_endpoints_have_private_dns_and_the_callers_policies(doc: dict) -> None:
    endpoints = {e["service_name"].rsplit(".", 1)[1]: e for e in resources(doc, "aws_vpc_endpoint").values()}
    assert sorted(endpoints) == ["dynamodb", "s3", "sns", "ssm"]
    subnets = sorted("${aws_subnet." + name + ".id}" for name in resources(doc, "aws_subnet"))
    for service in ("ssm", "sns"):
        endpoint = endpoints[service]
        assert (endpoint["vpc_endpoint_type"], endpoint["private_dns_enabled"]) == ("Interface", True)
        assert sorted(endpoint["subnet_ids"]) == subnets
        assert endpoint["security_group_ids"] == [ref(doc, "aws_security_group", name="endpoints")]
        assert endpoint["policy"] == policy(service)
    for service in ("s3", "dynamodb"):
        endpoint = endpoints[service]
        assert endpoint["vpc_endpoint_type"] == "Gateway"
        assert endpoint["route_table_ids"] == [ref(doc, "aws_route_table")]
        assert endpoint["policy"] == policy(service)
    assert all(e["service_name"].startswith("com.amazonaws.${data.aws_region.") for e in endpoints.values())


def test_flow_logs_of_all_traffic_go_to_a_kms_log_group_through_a_confined_role(doc: dict) -> None:
    flow = only(doc, "aws_flow_log")
    group = only(doc, "aws_cloudwatch_log_group")
    assert (flow["traffic_type"], flow["log_destination_type"]) == ("ALL", "cloud-watch-logs")
    assert flow["vpc_id"] == ref(doc, "aws_vpc")
    assert flow["log_destination"] == ref(doc, "aws_cloudwatch_log_group", "arn")
    assert flow["depends_on"] == [ref(doc, "aws_iam_role_policy")[2:-4]]
    assert (group["name"], group["kms_key_id"], group["retention_in_days"]) == (
        "/aws/vpc/flow-logs/net-dev",
        KEY,
        365,
    )
    role = only(doc, "aws_iam_role")
    assert (role["name"], role["permissions_boundary"]) == ("net-dev-flow-logs-us-east-1", BOUNDARY)
    (trust,) = policy_statements(doc, role["assume_role_policy"])
    assert trust["principals"][0]["identifiers"][0].startswith("vpc-flow-logs.")
    conditions = {c["variable"]: c for c in trust["condition"]}
    assert conditions["aws:SourceAccount"]["test"] == "StringEquals"
    assert conditions["aws:SourceArn"]["test"] == "ArnLike"
    assert conditions["aws:SourceArn"]["values"][0].endswith(":vpc-flow-log/*")
    statements = {s["sid"]: s for s in policy_statements(doc, only(doc, "aws_iam_role_policy")["policy"])}
    log_group = ref(doc, "aws_cloudwatch_log_group", "arn")
    assert statements["DeliverToOwnGroup"]["resources"] == [log_group, f"{log_group}:*"]
    assert "logs:CreateLogGroup" not in statements["DeliverToOwnGroup"]["actions"]
    assert statements["FindLogGroups"] == {
        "sid": "FindLogGroups",
        "actions": ["logs:DescribeLogGroups"],
        "resources": ["*"],
    }


def test_attachment_names_the_subnets_and_the_function_group(built: tuple[dict, dict[str, Any]]) -> None:
    attachment = built[1]["attachment"]
    assert len(attachment.subnet_ids) == len(attachment.subnet_arns) == 2
    assert len(attachment.security_group_ids) == len(attachment.security_group_arns) == 1


def test_every_resource_passes_the_policy_pack(doc: dict) -> None:
    view = StackView.from_json(doc)
    findings = [
        (rule.id, rtype, name)
        for rtype, by_name in view.resources.items()
        for name, config in by_name.items()
        for rule in ALL_RULES
        if rule(rtype, config, view) is Verdict.NON_COMPLIANT
    ]
    assert findings == []
    judged = {
        rule.id
        for rtype, by_name in view.resources.items()
        for config in by_name.values()
        for rule in ALL_RULES
        if rule(rtype, config, view) is Verdict.COMPLIANT
    }
    assert {"FD-VPC-1", "FD-VPC-2", "FD-VPC-3", "FD-LOG-1", "FD-IAM-2"} <= judged


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"az_count": 1}, "az_count"),
        ({"availability_zones": ("us-east-1a",)}, "availability_zones"),
        ({"cidr": "8.8.0.0/16"}, "private"),
        ({"cidr": "10.0.0.0/8"}, "/16 to /24"),
        ({"flow_log_traffic_type": "SOME"}, "traffic_type"),
        ({"gateway_endpoints": [EndpointSpec("ssm", "{}"), EndpointSpec("ssm", "{}")]}, "twice"),
    ],
)
def test_props_refuse_contradictions(changes: dict[str, Any], message: str) -> None:
    fields = {**PROPS.__dict__, **changes}
    with pytest.raises(ValueError, match=message):
        PrivateNetworkProps(**fields)


def test_endpoint_props_refuse_a_gateway_for_an_interface_service_and_a_missing_policy() -> None:
    with pytest.raises(ValueError, match="only s3 and dynamodb"):
        ServiceEndpointsProps("n", "vpc", ["s"], ["rt"], ["sg"], gateway_endpoints=[EndpointSpec("ssm", "{}")])
    with pytest.raises(ValueError, match="policy"):
        EndpointSpec("ssm", "")


def test_subnet_blocks_split_the_range_per_zone() -> None:
    assert PROPS.subnet_cidrs() == ("10.42.0.0/18", "10.42.64.0/18")
    six = PrivateNetworkProps(name_prefix="n", flow_log_kms_key_arn=KEY, cidr="10.0.0.0/24", az_count=6)
    assert six.subnet_cidrs() == tuple(f"10.0.0.{i * 32}/27" for i in range(6))
