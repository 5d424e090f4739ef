"""VPC mode (``vpcMode``): where the functions' network interfaces live, and what they can reach.

- ``off`` (default): no network resources; the functions use Lambda's own network (AWS APIs only).
- ``create``: a :class:`~fraud_constructs.private_network.PrivateNetwork` of this environment:
  private subnets in two AZs, no internet or NAT gateway, the default security group closed,
  flow logs to a log group under the app key, and the endpoints below.
- ``existing``: the functions join ``vpcSubnetIds`` / ``vpcSecurityGroupIds`` (the user's VPC, flow
  logs and default security group stay the user's). With ``vpcEndpoints = create`` this stack adds
  only the endpoints and their security group in that VPC (the VPC is found from the first subnet,
  the route tables from each subnet's explicit association); with ``existing`` it adds nothing.

What the functions call from inside the VPC (``lambda_image/fraud_detection/adapters``: boto3 clients
for DynamoDB, S3, SNS and SSM), and so the endpoints:

- gateway endpoints for S3 and DynamoDB (free), interface endpoints for SSM and SNS only;
- no KMS endpoint: S3, DynamoDB, SNS and SSM call KMS themselves for SSE and SecureStrings (AWS KMS
  Developer Guide, "How AWS Systems Manager Parameter Store uses AWS KMS": Parameter Store sends the
  Decrypt request for ``GetParameter(s) WithDecryption``; the app key allows exactly that through
  ``kms:ViaService``); Lambda decrypts the environment variables itself before the code runs (AWS
  Lambda Developer Guide, "Securing Lambda environment variables");
- no CloudWatch Logs endpoint: Lambda ships the function's output (and the EMF metrics in it) to
  CloudWatch Logs (AWS Lambda Developer Guide, "Sending Lambda function logs to CloudWatch Logs");
- no X-Ray endpoint: the code calls no X-Ray API. The X-Ray SDK sends segments over UDP to the
  daemon that Lambda runs, at the link-local ``AWS_XRAY_DAEMON_ADDRESS`` (AWS X-Ray Developer
  Guide, "AWS Lambda and AWS X-Ray": "Lambda runs the X-Ray daemon"; "AWS X-Ray daemon": the SDK
  sends segment documents to the daemon "to avoid making calls to AWS directly"). No AWS page says
  how that daemon reaches X-Ray for a VPC function: docs/network.md says how to check it on a real
  deployment and what to add if traces are missing;
- the DynamoDB stream, the DLQ and the destinations are used by Lambda's pollers and async
  invoker from Lambda's own network, never from the function's interfaces, so the endpoint
  policies do not name them.

Each endpoint policy allows only what the functions call, only on this environment's resources,
only to this environment's function roles (``aws:PrincipalArn``): AWS PrivateLink Guide, "Control
access to VPC endpoints using endpoint policies" (an endpoint policy must name a principal; ``*``
narrowed by a condition). IAM still decides each call; the endpoint policy caps what any
credential can do through the network path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.data_aws_route_table import DataAwsRouteTable
from cdktf_cdktf_provider_aws.data_aws_subnet import DataAwsSubnet
from constructs import Construct

from fraud_constructs.alert_topic import AlertTopic
from fraud_constructs.audit_bucket import AuditBucket
from fraud_constructs.aws_context import AwsContext
from fraud_constructs.container_function import VpcAttachment, role_name
from fraud_constructs.encryption_key import EncryptionKey
from fraud_constructs.github_deploy_role import LOG_GROUP_ACTIONS, DeployStatement
from fraud_constructs.iam_statements import condition
from fraud_constructs.policy.statement_reader import Condition
from fraud_constructs.private_network import (
    EndpointSpec,
    PrivateNetwork,
    PrivateNetworkProps,
    ServiceEndpoints,
    ServiceEndpointsProps,
)
from fraud_constructs.secure_table import SecureTable
from fraud_detection.contract import (
    FUNCTIONS,
    label_signing_keys_parameter_name,
    secret_parameter_names,
    settings_parameter_name,
)
from stacks.config import AppConfig, permissions_boundary_name

if TYPE_CHECKING:  # deploy_permissions imports this module's row builders
    from stacks.deploy_permissions import DeployScope

AZ_COUNT = 2
"""Private subnets (and interface-endpoint network interfaces) per environment: the minimum for
Lambda's recommended two AZs; each more AZ costs one more interface-endpoint hour per endpoint."""

# What the adapters call, per endpoint service (lambda_image/fraud_detection/adapters/*.py).
ENDPOINT_ACTIONS: dict[str, tuple[str, ...]] = {
    # patterns.py, window_reader.py; BatchWriteItem: the stream's ledger items (docs/labels.md)
    "dynamodb": ("dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"),
    "s3": ("s3:GetObject", "s3:ListBucket", "s3:PutObject"),  # audit_store.py
    "ssm": ("ssm:GetParameter", "ssm:GetParameters"),  # parameters.py
    "sns": ("sns:Publish",),  # alerts.py
}
INTERFACE_SERVICES = ("ssm", "sns")
GATEWAY_SERVICES = ("s3", "dynamodb")


def network_name(config: AppConfig) -> str:
    """``fraud-vpc-<env>``: the VPC's name, and the prefix of its subnets, groups and endpoints."""
    return config.name("vpc")


def flow_log_group_name(config: AppConfig) -> str:
    return f"/aws/vpc/flow-logs/{network_name(config)}"


def flow_log_role_name(config: AppConfig, region: str) -> str:
    """IAM is global: the name carries the region."""
    return f"{network_name(config)}-flow-logs-{region}"


@dataclass(frozen=True)
class NetworkResources:
    """What the endpoint policies are limited to (built by the app stack before the network)."""

    key: EncryptionKey
    table: SecureTable
    bucket: AuditBucket
    topic: AlertTopic


class Network(Construct):
    """Exposes ``attachment`` (VpcAttachment), ``log_group_names`` (for the app key), ``private_network``
    (``create``) or ``endpoints`` (``existing`` with ``vpcEndpoints = create``), and ``endpoint_policies``."""

    def __init__(
        self, scope: Construct, construct_id: str, *, aws: AwsContext, config: AppConfig, resources: NetworkResources
    ) -> None:
        super().__init__(scope, construct_id)
        if config.vpc_mode not in ("create", "existing"):
            raise ValueError(f"Network: vpc_mode {config.vpc_mode!r} has no network")
        self.config = config
        self.log_group_names: list[str] = []
        self.private_network: PrivateNetwork | None = None
        self.endpoints: ServiceEndpoints | None = None
        self.endpoint_policies: dict[str, DataAwsIamPolicyDocument] = {}
        create_endpoints = bool(endpoint_services(config))
        if create_endpoints:
            self.endpoint_policies = _endpoint_policies(self, aws, config, resources)
        specs = {service: EndpointSpec(service, doc.json) for service, doc in self.endpoint_policies.items()}
        interface = [specs[service] for service in INTERFACE_SERVICES if service in specs]
        gateway = [specs[service] for service in GATEWAY_SERVICES if service in specs]
        name = network_name(config)
        if config.vpc_mode == "create":
            self.private_network = PrivateNetwork(
                self,
                "private-network",
                aws=aws,
                props=PrivateNetworkProps(
                    name_prefix=name,
                    cidr=config.vpc_cidr,
                    az_count=AZ_COUNT,
                    flow_log_kms_key_arn=resources.key.arn,
                    flow_log_retention_days=config.log_retention_days,
                    flow_log_group_name=flow_log_group_name(config),
                    flow_log_role_name=flow_log_role_name(config, aws.region),
                    # Roles the GitHub deploy role creates must carry the bootstrap's boundary.
                    permissions_boundary_arn=_boundary_arn(aws, config),
                    interface_endpoints=interface,
                    gateway_endpoints=gateway,
                ),
            )
            self.attachment = self.private_network.attachment
            # Encrypted with the app key: the key policy must let CloudWatch Logs use it for this group.
            self.log_group_names.append(flow_log_group_name(config))
            return
        subnets, groups = config.vpc_subnet_ids, config.vpc_security_group_ids
        self.attachment = VpcAttachment(
            subnet_ids=list(subnets),
            security_group_ids=list(groups),
            subnet_arns=[aws.arn("ec2", f"subnet/{subnet}") for subnet in subnets],
            security_group_arns=[aws.arn("ec2", f"security-group/{group}") for group in groups],
        )
        if create_endpoints:
            # The VPC of the first subnet; the route table explicitly associated with each subnet (the
            # data source finds no implicit main-table association: docs/network.md says so).
            first = DataAwsSubnet(self, "subnet-0", id=subnets[0])
            tables = [
                DataAwsRouteTable(self, f"route-table-{index}", subnet_id=subnet).id
                for index, subnet in enumerate(subnets)
            ]
            self.endpoints = ServiceEndpoints(
                self,
                "endpoints",
                aws=aws,
                props=ServiceEndpointsProps(
                    name_prefix=name,
                    vpc_id=first.vpc_id,
                    subnet_ids=list(subnets),
                    route_table_ids=tables,
                    client_security_group_ids=list(groups),
                    interface_endpoints=interface,
                    gateway_endpoints=gateway,
                ),
            )


def vpc_network(scope: Construct, *, aws: AwsContext, config: AppConfig, resources: NetworkResources) -> Network | None:
    """The network of ``vpcMode``, or None when it is ``off``."""
    if config.vpc_mode == "off":
        return None
    return Network(scope, "network", aws=aws, config=config, resources=resources)


def _boundary_arn(aws: AwsContext, config: AppConfig) -> str | None:
    if not config.github_repository:
        return None
    return aws.arn("iam", f"policy/{permissions_boundary_name(aws.region)}", region=False)


def function_role_arns(aws: AwsContext, config: AppConfig) -> list[str]:
    """This environment's execution roles, one per function of the contract (``ContainerFunction`` names them)."""
    return [
        aws.arn("iam", f"role/{role_name(spec.function_name(config.environment), aws.region)}", region=False)
        for spec in FUNCTIONS
    ]


def endpoint_resources(aws: AwsContext, config: AppConfig, r: NetworkResources) -> dict[str, list[str]]:
    """Per endpoint service, the only resources its endpoint policy allows."""
    env = config.environment
    parameters = (settings_parameter_name(env), *secret_parameter_names(env), label_signing_keys_parameter_name(env))
    return {
        "dynamodb": [r.table.arn, f"{r.table.arn}/index/*"],
        "s3": [r.bucket.arn, f"{r.bucket.arn}/*"],
        "ssm": [aws.arn("ssm", f"parameter{name}") for name in parameters],
        "sns": [r.topic.arn],
    }


def _endpoint_policies(
    scope: Construct, aws: AwsContext, config: AppConfig, r: NetworkResources
) -> dict[str, DataAwsIamPolicyDocument]:
    roles = function_role_arns(aws, config)
    everyone = [DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])]
    return {
        service: DataAwsIamPolicyDocument(
            scope,
            f"{service}-endpoint-policy",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="ThisEnvironmentsFunctionsOnly",
                    principals=everyone,
                    actions=list(ENDPOINT_ACTIONS[service]),
                    resources=resources,
                    condition=[condition("ArnEquals", "aws:PrincipalArn", roles)],
                )
            ],
        )
        for service, resources in endpoint_resources(aws, config, r).items()
    }


# ---- The GitHub deploy role and the permissions boundary (stacks/deploy_permissions.py) ----

# Network resources the app stack creates; the provider tags each at creation (default tags).
_NETWORK_TYPES = ("vpc", "subnet", "route-table", "security-group", "vpc-endpoint", "vpc-flow-log")
_CREATE_ACTIONS = (
    "ec2:CreateFlowLogs",
    "ec2:CreateRouteTable",
    "ec2:CreateSecurityGroup",
    "ec2:CreateSubnet",
    "ec2:CreateVpc",
    "ec2:CreateVpcEndpoint",
)
# aws_vpc_security_group_{egress,ingress}_rule: Authorize* to create, ModifySecurityGroupRules to
# update, Revoke* (on the group only) to delete.
_RULE_ACTIONS = (
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:ModifySecurityGroupRules",
)


def flow_log_role_arns(scope: DeployScope) -> tuple[str, ...]:
    """The flow-log roles of the deploy environments: roles the deploy role creates (with the
    boundary, like the function roles), so they belong in ``managed_role_arns``."""
    return tuple(scope.role_arn(flow_log_role_name(env, scope.region)) for env in scope.environments)


def _flow_log_groups(scope: DeployScope) -> tuple[str, ...]:
    return tuple(
        arn
        for env in scope.environments
        for arn in (
            scope.arn("logs", f"log-group:{flow_log_group_name(env)}"),
            scope.arn("logs", f"log-group:{flow_log_group_name(env)}:*"),
        )
    )


def deploy_statements(scope: DeployScope) -> tuple[DeployStatement, ...]:
    """What ``vpcMode = create | existing`` needs the deploy role to do, granted whatever the mode (a
    mode can be turned on per environment without re-bootstrapping). EC2 network resources have
    generated ids, so they are scoped by the project tag the provider sets at creation: Service
    Authorization Reference, "Actions, resources, and condition keys for Amazon EC2" (``aws:RequestTag``
    on the Create* actions, ``ec2:ResourceTag`` on every action on an existing one) and Amazon EC2 User
    Guide, "Grant permission to tag Amazon EC2 resources during creation" (``ec2:CreateAction``)."""
    a = scope.arn
    tag_key, tag_value = "project", scope.config.resource_tags["project"]
    network = tuple(a("ec2", f"{kind}/*") for kind in _NETWORK_TYPES)
    tagged = (Condition("StringEquals", f"ec2:ResourceTag/{tag_key}", (tag_value,)),)
    requested = (Condition("StringEquals", f"aws:RequestTag/{tag_key}", (tag_value,)),)
    return (
        DeployStatement(
            "NetworkReads",
            (
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeFlowLogs",
                "ec2:DescribeNetworkAcls",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribePrefixLists",
                "ec2:DescribeRouteTables",
                "ec2:DescribeSecurityGroupRules",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcEndpoints",
                "ec2:DescribeVpcs",
            ),
            ("*",),
            "EC2 Describe calls have no resource type in IAM: Terraform's refresh, and Lambda's check of a "
            "function's VPC settings with the deployer's DescribeSecurityGroups, DescribeSubnets and "
            "DescribeVpcs (Lambda Developer Guide, 'Giving Lambda functions access to resources in an Amazon VPC')",
        ),
        DeployStatement(
            "CreateTaggedNetwork",
            _CREATE_ACTIONS,
            network,
            "VPC mode's VPC, subnets, route table, security groups, endpoints and flow log, only when the "
            "request carries the project tag (the provider's default tags); the VPC, subnets and route "
            "tables a create names are authorized in the same request",
            requested,
        ),
        DeployStatement(
            "TagOnCreate",
            ("ec2:CreateTags",),
            (*network, a("ec2", "security-group-rule/*")),
            "tags sent with a create (including security group rules) need CreateTags for that create action",
            (
                Condition(
                    "StringEquals",
                    "ec2:CreateAction",
                    (*_CREATE_ACTIONS, "ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress"),
                ),
            ),
        ),
        DeployStatement(
            "TaggedNetwork",
            (
                *_RULE_ACTIONS,
                "ec2:AssociateRouteTable",
                "ec2:CreateTags",
                "ec2:DeleteFlowLogs",
                "ec2:DeleteRouteTable",
                "ec2:DeleteSecurityGroup",
                "ec2:DeleteSubnet",
                "ec2:DeleteVpc",
                "ec2:DeleteVpcEndpoints",
                "ec2:DescribeVpcAttribute",
                "ec2:DisassociateRouteTable",
                "ec2:ModifySubnetAttribute",
                "ec2:ModifyVpcAttribute",
                "ec2:ModifyVpcEndpoint",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupIngress",
            ),
            network,
            "update and delete only network resources that carry the project tag",
            tagged,
        ),
        DeployStatement(
            "SecurityGroupRules",
            _RULE_ACTIONS,
            (a("ec2", "security-group-rule/*"),),
            "a rule id is generated and a rule exists only in its group; the group, the required resource "
            "of these actions, must match TaggedNetwork",
        ),
        DeployStatement(
            "EndpointsInExistingVpcs",
            ("ec2:ModifyVpcEndpoint",),
            tuple(a("ec2", f"{kind}/*") for kind in ("route-table", "subnet", "security-group")),
            "with vpcMode existing the endpoints use the user's untagged subnets and route tables; the "
            "endpoint, the required resource, must match TaggedNetwork",
        ),
        DeployStatement(
            "AdoptDefaultSecurityGroups",
            ("ec2:CreateTags",),
            (a("ec2", "security-group/*"),),
            "aws_default_security_group tags the VPC's default group (created untagged by EC2) before it "
            "removes its rules; only with the project tag. Residual risk: this lets the role tag any group "
            "of the account and region, and then change it",
            requested,
        ),
        DeployStatement(
            "KeepTheProjectTag",
            ("ec2:DeleteTags",),
            network,
            "tag removal on project resources, except the project tag that scopes every statement above",
            (*tagged, Condition("ForAllValues:StringNotEquals", "aws:TagKeys", (tag_key,))),
        ),
        DeployStatement(
            "LingeringLambdaInterfaces",
            ("ec2:DeleteNetworkInterface",),
            (a("ec2", "network-interface/*"),),
            "destroying a subnet or security group deletes the Lambda network interfaces still left in it "
            "once Lambda has released them (AWS provider, deleteLingeringENIs: it waits until they are "
            "available, so detached); Lambda creates them untagged with generated ids",
        ),
        DeployStatement(
            "FlowLogGroups",
            LOG_GROUP_ACTIONS,
            _flow_log_groups(scope),
            "VPC mode's encrypted flow-log group of each environment",
        ),
        DeployStatement(
            "PassFlowLogRoles",
            ("iam:PassRole",),
            flow_log_role_arns(scope),
            "CreateFlowLogs passes the flow-log role (Amazon VPC User Guide, 'IAM role for publishing flow "
            "logs to CloudWatch Logs'); only that role, only to VPC Flow Logs",
            (Condition("StringEquals", "iam:PassedToService", ("vpc-flow-logs.amazonaws.com",)),),
        ),
    )


def boundary_statements(scope: DeployScope) -> tuple[DeployStatement, ...]:
    """What VPC mode adds to the permissions boundary: the functions' network interfaces (Lambda
    Developer Guide, "Giving Lambda functions access to resources in an Amazon VPC", "Required IAM
    permissions") and the flow-log role's delivery (Amazon VPC User Guide, "IAM role for publishing
    flow logs to CloudWatch Logs")."""
    a = scope.arn
    return (
        DeployStatement(
            "NetworkInterfaces",
            (
                "ec2:AssignPrivateIpAddresses",
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:UnassignPrivateIpAddresses",
            ),
            tuple(a("ec2", f"{kind}/*") for kind in ("network-interface", "subnet", "security-group")),
            "Lambda manages a VPC function's network interfaces with its execution role; each role is "
            "narrowed to its own subnets and security groups",
        ),
        DeployStatement(
            "NetworkDescribes",
            ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "logs:DescribeLogGroups"),
            ("*",),
            "Describe calls of Lambda's interface management and of flow-log delivery have no resource type in IAM",
        ),
        DeployStatement(
            "FlowLogDelivery",
            ("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"),
            _flow_log_groups(scope),
            "the flow-log role writes its environment's flow-log group only",
        ),
    )


def endpoint_services(config: AppConfig) -> Sequence[str]:
    """The endpoints this stack creates for ``config`` (docs and tests)."""
    if config.vpc_mode == "off" or (config.vpc_mode == "existing" and config.vpc_endpoints == "existing"):
        return ()
    return (*INTERFACE_SERVICES, *GATEWAY_SERVICES)
