"""VPC mode on the app stack: ``vpcMode = create`` (prod, with the deploy role) and ``existing`` with
``vpcEndpoints = create``; one synth each. Also the deploy-role and boundary rows of stacks/network.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stacks.config import load_config
from stacks.deploy_permissions import PLACEHOLDER_SCOPE_ARGS, DeployScope
from stacks.deploy_permissions import boundary_statements as base_boundary
from stacks.network import (
    ENDPOINT_ACTIONS,
    boundary_statements,
    deploy_statements,
    endpoint_services,
    flow_log_role_arns,
    network_name,
)
from tests.conftest import TEST_CONTEXT, _synth, read_stacks
from tests.support.app_helpers import by_path, document_statements, ref
from tests.tfjson import data_sources, policy_statements, resources

pytestmark = pytest.mark.synth

CREATE = TEST_CONTEXT | {
    "environment": "prod",
    "alertEmail": "oncall@example.com",
    "vpcMode": "create",
    "githubRepository": "example-org/fraud-detection",
    "deployEnvironments": ["prod"],
}
SUBNETS = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
GROUPS = ["sg-0123456789abcdef0"]
EXISTING = TEST_CONTEXT | {
    "vpcMode": "existing",
    "vpcSubnetIds": SUBNETS,
    "vpcSecurityGroupIds": GROUPS,
    "vpcEndpoints": "create",
}
FUNCTIONS = ("webhook", "stream", "batch", "labels")
INTERNET = ("aws_internet_gateway", "aws_nat_gateway", "aws_egress_only_internet_gateway", "aws_route")


@pytest.fixture(scope="module")
def create(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return read_stacks(_synth(load_config(CREATE, {}), tmp_path_factory.mktemp("vpc-create")))


@pytest.fixture(scope="module")
def existing(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return read_stacks(_synth(load_config(EXISTING, {}), tmp_path_factory.mktemp("vpc-existing")))


def net(path: str) -> str:
    return f"app/network/private-network/{path}"


def function_statements(app: dict, fn: str) -> dict[str, dict[str, Any]]:
    return {s["sid"]: s for s in document_statements(app, f"app/compute/{fn}/policy")}


# ---- vpcMode = create ----


def test_create_has_two_private_subnets_in_two_zones_and_no_internet_path(create: dict[str, dict]) -> None:
    app = create["app"]
    subnets = [by_path(app, "aws_subnet", net(f"private-{s}")) for s in "ab"]
    assert [s["availability_zone"].rsplit(", ", 1)[1] for s in subnets] == ["0)}", "1)}"]
    assert {s["cidr_block"] for s in subnets} == {"10.42.0.0/18", "10.42.64.0/18"}
    assert by_path(app, "aws_route_table", net("route-table"))["route"] == []
    for stack in create.values():
        for kind in INTERNET:
            assert resources(stack, kind) == {}, kind


def test_create_closes_the_default_group_and_allows_only_https(create: dict[str, dict]) -> None:
    app = create["app"]
    default = by_path(app, "aws_default_security_group", net("default-security-group"))
    assert (default["ingress"], default["egress"], default["vpc_id"]) == ([], [], ref(app, "aws_vpc", net("vpc"), "id"))
    rules = [
        *resources(app, "aws_vpc_security_group_egress_rule").values(),
        *resources(app, "aws_vpc_security_group_ingress_rule").values(),
    ]
    assert len(rules) == 4  # functions -> endpoints, -> S3, -> DynamoDB; endpoints <- functions
    assert {(r["ip_protocol"], r["from_port"], r["to_port"]) for r in rules} == {("tcp", 443, 443)}
    assert not any("cidr_ipv4" in r or "cidr_ipv6" in r for r in rules)


def test_create_endpoints_are_ssm_sns_s3_dynamodb_with_private_dns(create: dict[str, dict]) -> None:
    endpoints = {e["service_name"].rsplit(".", 1)[1]: e for e in resources(create["app"], "aws_vpc_endpoint").values()}
    assert sorted(endpoints) == ["dynamodb", "s3", "sns", "ssm"]
    assert {s: e["vpc_endpoint_type"] for s, e in endpoints.items()} == {
        "dynamodb": "Gateway",
        "s3": "Gateway",
        "sns": "Interface",
        "ssm": "Interface",
    }
    assert endpoints["ssm"]["private_dns_enabled"] is True and endpoints["sns"]["private_dns_enabled"] is True


def test_endpoint_policies_allow_only_what_the_functions_call_on_this_projects_resources(
    create: dict[str, dict],
) -> None:
    app = create["app"]
    table = ref(app, "aws_dynamodb_table", "app/patterns/table", "arn")
    bucket = ref(app, "aws_s3_bucket", "app/audit/bucket", "arn")
    topic = ref(app, "aws_sns_topic", "app/alerts/topic", "arn")
    expected_resources = {
        "dynamodb": [table, f"{table}/index/*"],
        "s3": [bucket, f"{bucket}/*"],
        "sns": [topic],
    }
    granted = {a for fn in FUNCTIONS for s in function_statements(app, fn).values() for a in s["actions"]}
    for endpoint in resources(app, "aws_vpc_endpoint").values():
        service = endpoint["service_name"].rsplit(".", 1)[1]
        (statement,) = policy_statements(app, endpoint["policy"])
        assert statement["principals"] == [{"type": "*", "identifiers": ["*"]}]
        ((cond),) = statement["condition"]
        assert (cond["test"], cond["variable"]) == ("ArnEquals", "aws:PrincipalArn")
        assert sorted(r.split(":role/")[1].split("$")[0] for r in cond["values"]) == sorted(
            f"fraud-{fn}-prod-" for fn in FUNCTIONS
        )
        assert statement["actions"] == list(ENDPOINT_ACTIONS[service])
        assert set(statement["actions"]) <= granted, service  # nothing the functions may not do anyway
        if service == "ssm":
            names = [r.split(":parameter", 1)[1] for r in statement["resources"]]
            assert names == [
                "/fraud-detection/prod/settings",
                "/fraud-detection/prod/webhook-signing-keys",
                "/fraud-detection/prod/card-fingerprint-key",
                "/fraud-detection/prod/label-signing-keys",
            ]
        else:
            assert statement["resources"] == expected_resources[service], service


def test_flow_logs_go_to_a_log_group_under_the_app_key_that_the_key_allows(create: dict[str, dict]) -> None:
    app = create["app"]
    group = by_path(app, "aws_cloudwatch_log_group", net("flow-log-group"))
    assert group["name"] == "/aws/vpc/flow-logs/fraud-vpc-prod"
    assert group["kms_key_id"] == ref(app, "aws_kms_key", "app/app-key/key", "arn")
    assert group["retention_in_days"] == 365  # the prod preset's retention
    flow = by_path(app, "aws_flow_log", net("flow-log"))
    assert (flow["traffic_type"], flow["vpc_id"]) == ("ALL", ref(app, "aws_vpc", net("vpc"), "id"))
    key_policy = json.dumps(by_path(app, "aws_kms_key", "app/app-key/key")["policy"])
    assert "log-group:/aws/vpc/flow-logs/fraud-vpc-prod" in key_policy
    role = by_path(app, "aws_iam_role", net("flow-log-role"))
    assert role["name"].startswith("fraud-vpc-prod-flow-logs-")
    assert role["permissions_boundary"].endswith(
        ":policy/fraud-permissions-boundary-${data.aws_region.aws-context_region_DEC3537F.name}"
    )


def test_functions_run_in_the_private_subnets_with_the_documented_eni_grants(create: dict[str, dict]) -> None:
    app = create["app"]
    subnets = [ref(app, "aws_subnet", net(f"private-{s}"), "id") for s in "ab"]
    subnet_arns = [ref(app, "aws_subnet", net(f"private-{s}"), "arn") for s in "ab"]
    group = net("function-security-group")
    for fn in FUNCTIONS:
        config = by_path(app, "aws_lambda_function", f"app/compute/{fn}/function")["vpc_config"]
        assert (config["subnet_ids"], config["security_group_ids"]) == (
            subnets,
            [ref(app, "aws_security_group", group, "id")],
        )
        statements = function_statements(app, fn)
        create_eni = statements["CreateNetworkInterfaces"]
        assert create_eni["actions"] == ["ec2:CreateNetworkInterface"]
        assert create_eni["resources"][1:] == [*subnet_arns, ref(app, "aws_security_group", group, "arn")]
        assert create_eni["resources"][0].endswith(":network-interface/*")
        manage = statements["ManageNetworkInterfaces"]
        assert sorted(manage["actions"]) == [
            "ec2:AssignPrivateIpAddresses",
            "ec2:DeleteNetworkInterface",
            "ec2:UnassignPrivateIpAddresses",
        ]
        assert manage["resources"][0].endswith(":network-interface/*") and "condition" not in manage
        describe = statements["DescribeNetwork"]
        assert (describe["actions"], describe["resources"]) == (
            ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
            ["*"],
        )


# ---- vpcMode = existing, vpcEndpoints = create ----


def test_existing_creates_only_the_endpoints_in_the_users_vpc(existing: dict[str, dict]) -> None:
    app = existing["app"]
    for kind in ("aws_vpc", "aws_subnet", "aws_route_table", "aws_flow_log", "aws_default_security_group", *INTERNET):
        assert resources(app, kind) == {}, kind
    (subnet,) = data_sources(app, "aws_subnet").values()
    assert subnet["id"] == SUBNETS[0]
    tables = data_sources(app, "aws_route_table")
    assert sorted(t["subnet_id"] for t in tables.values()) == sorted(SUBNETS)
    endpoints = resources(app, "aws_vpc_endpoint").values()
    assert len(endpoints) == 4
    (subnet_name,) = data_sources(app, "aws_subnet")
    assert {e["vpc_id"] for e in endpoints} == {f"${{data.aws_subnet.{subnet_name}.vpc_id}}"}
    for endpoint in endpoints:
        if endpoint["vpc_endpoint_type"] == "Interface":
            assert endpoint["subnet_ids"] == SUBNETS and endpoint["private_dns_enabled"] is True
        else:
            assert sorted(endpoint["route_table_ids"]) == sorted(f"${{data.aws_route_table.{n}.id}}" for n in tables)
    (ingress,) = resources(app, "aws_vpc_security_group_ingress_rule").values()
    assert (ingress["referenced_security_group_id"], ingress["from_port"], ingress["to_port"]) == (GROUPS[0], 443, 443)
    assert resources(app, "aws_vpc_security_group_egress_rule") == {}  # the user's groups stay the user's


def test_existing_functions_join_the_given_subnets_with_grants_on_their_arns(existing: dict[str, dict]) -> None:
    app = existing["app"]
    for fn in FUNCTIONS:
        config = by_path(app, "aws_lambda_function", f"app/compute/{fn}/function")["vpc_config"]
        assert (config["subnet_ids"], config["security_group_ids"]) == (SUBNETS, GROUPS)
        create_eni = function_statements(app, fn)["CreateNetworkInterfaces"]
        tails = [r.rsplit(":", 1)[1] for r in create_eni["resources"]]
        assert tails == ["network-interface/*", *(f"subnet/{s}" for s in SUBNETS), f"security-group/{GROUPS[0]}"]


# ---- the deploy role and the boundary (no synth) ----

SCOPE = DeployScope(config=load_config(TEST_CONTEXT, {}), **PLACEHOLDER_SCOPE_ARGS)


def test_deploy_rows_scope_ec2_by_the_project_tag_or_say_why_not() -> None:
    rows = {s.sid: s for s in deploy_statements(SCOPE)}
    unconditioned_ok = {"NetworkReads", "SecurityGroupRules", "EndpointsInExistingVpcs", "LingeringLambdaInterfaces"}
    for row in rows.values():
        assert row.effect == "Allow" and len(row.why.split()) >= 8, row.sid
        if any(a.startswith("ec2:") for a in row.actions) and row.sid not in unconditioned_ok:
            variables = {c.variable for c in row.conditions}
            assert variables & {"aws:RequestTag/project", "ec2:ResourceTag/project", "ec2:CreateAction"}, row.sid
        # the deploy role's tests forbid aws:ResourceTag (KMS through tags); EC2 has its own key
        assert not any(c.variable.startswith("aws:ResourceTag/") for c in row.conditions), row.sid
    assert rows["NetworkReads"].resources == ("*",)
    assert all(a.startswith("ec2:Describe") for a in rows["NetworkReads"].actions)
    assert {c.values for c in rows["CreateTaggedNetwork"].conditions} == {("fraud-detection",)}
    keep = {c.variable: c for c in rows["KeepTheProjectTag"].conditions}
    assert keep["aws:TagKeys"].test == "ForAllValues:StringNotEquals" and keep["aws:TagKeys"].values == ("project",)


def test_flow_log_role_is_passed_only_to_vpc_flow_logs_and_is_name_scoped() -> None:
    rows = {s.sid: s for s in deploy_statements(SCOPE)}
    passing = [s for s in rows.values() if "iam:PassRole" in s.actions]
    assert [s.sid for s in passing] == ["PassFlowLogRoles"]
    (passed,) = passing[0].conditions
    assert (passed.variable, passed.values) == ("iam:PassedToService", ("vpc-flow-logs.amazonaws.com",))
    assert passing[0].resources == flow_log_role_arns(SCOPE)
    assert flow_log_role_arns(SCOPE) == (
        f"arn:aws:iam::<account>:role/{network_name(SCOPE.config)}-flow-logs-<region>",
    )
    assert all(
        r.endswith((":log-group:/aws/vpc/flow-logs/fraud-vpc-dev", ":*")) for r in rows["FlowLogGroups"].resources
    )


def test_boundary_covers_the_eni_grants_and_the_flow_log_role(create: dict[str, dict]) -> None:
    ceiling = {a for s in (*base_boundary(SCOPE), *boundary_statements(SCOPE)) for a in s.actions}
    app = create["app"]
    for fn in FUNCTIONS:
        for statement in function_statements(app, fn).values():
            assert set(statement["actions"]) <= ceiling, (fn, statement["sid"])
    role_policy = by_path(app, "aws_iam_role_policy", net("flow-log-role-policy"))
    for statement in policy_statements(app, role_policy["policy"]):
        assert set(statement["actions"]) <= ceiling, statement["sid"]


def test_which_modes_create_endpoints() -> None:
    assert endpoint_services(load_config(TEST_CONTEXT, {})) == ()
    assert endpoint_services(load_config(CREATE, {})) == ("ssm", "sns", "s3", "dynamodb")
    assert endpoint_services(load_config(EXISTING, {})) == ("ssm", "sns", "s3", "dynamodb")
    assert endpoint_services(load_config(EXISTING | {"vpcEndpoints": "existing"}, {})) == ()


def test_docs_name_the_endpoint_cost() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "network.md").read_text()
    assert "$7.30" in text and "$29.20" in text
