"""A private network for functions that reach AWS only through VPC endpoints: no internet path at all.

:class:`PrivateNetwork` creates, and :class:`ServiceEndpoints` (also usable alone, in a VPC someone
else owns) creates the endpoints part of it:

- a VPC with DNS support and DNS hostnames on: interface endpoints with private DNS need both
  (Amazon VPC User Guide, "DNS attributes for your VPC");
- one private subnet per Availability Zone (at least two), all on one route table that has only
  the VPC's ``local`` route: no internet gateway, no NAT gateway, no egress-only gateway, so
  nothing in the subnets can reach the internet. ``route = []`` is explicit, so a route added
  out of band is removed by the next apply (gateway-endpoint routes are the provider's, not the
  table's: AWS provider, ``aws_route_table``);
- the VPC's default security group adopted and emptied (``ingress = []``, ``egress = []``):
  a resource launched without a security group lands in it, and it must allow nothing (Amazon
  VPC User Guide, "Default security groups for your VPCs"; AWS Security Hub control EC2.2);
- a function security group whose only rules are egress TCP 443 to the endpoint security group and
  to the gateway endpoints' prefix lists; an endpoint security group whose only rule is ingress
  TCP 443 from the function security group. Security groups do not filter DNS to the Amazon
  DNS server, so no port 53 rule is needed (Amazon VPC User Guide, "Security group rules", the
  list of traffic security groups do not filter);
- interface endpoints (private DNS on, in every subnet, one ENI per AZ) and gateway endpoints
  (on the route table), each with the caller's endpoint policy. A VPC allows one private-DNS
  interface endpoint per service (AWS PrivateLink Guide, "Access an AWS service using an interface
  VPC endpoint", private DNS): that is why :class:`ServiceEndpoints` is separate;
- VPC flow logs of ALL traffic to a CloudWatch Logs group encrypted with the caller's KMS key,
  delivered by a role that only ``vpc-flow-logs.amazonaws.com`` of this account may assume, for
  flow logs of this account and region (Amazon VPC User Guide, "IAM role for publishing flow logs
  to CloudWatch Logs": the ``aws:SourceAccount`` / ``aws:SourceArn`` conditions against the
  confused deputy).

``attachment`` is the :class:`~fraud_constructs.container_function.VpcAttachment` a function takes.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cdktf import Fn, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_availability_zones import (
    DataAwsAvailabilityZones,
    DataAwsAvailabilityZonesFilter,
)
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from fraud_constructs.container_function import VpcAttachment
from fraud_constructs.iam_statements import condition, service_trust_document
from fraud_constructs.overrides import apply_overrides

HTTPS = 443
MAX_AZS = 6
ZONE_LETTERS = "abcdef"
FLOW_LOG_TRAFFIC_TYPES = ("ALL", "ACCEPT", "REJECT")


@dataclass(frozen=True)
class EndpointSpec:
    """One VPC endpoint: the service's short name and its endpoint policy."""

    service: str
    """e.g. ``ssm``, ``sns`` (interface) or ``s3``, ``dynamodb`` (gateway); the endpoint's service
    name is ``com.amazonaws.<region>.<service>``."""
    policy: str
    """Endpoint policy JSON (e.g. an ``aws_iam_policy_document``'s ``json``). Required: the default
    policy allows every principal every action on every resource of the service."""

    def __post_init__(self) -> None:
        if not self.service or "." in self.service or not self.policy:
            raise ValueError(f"EndpointSpec({self.service!r}): a short service name and a policy are required")


def _check_endpoints(interface: Sequence[EndpointSpec], gateway: Sequence[EndpointSpec]) -> None:
    names = [e.service for e in (*interface, *gateway)]
    if len(set(names)) != len(names):
        raise ValueError(f"endpoints: a service is listed twice ({names})")


@dataclass(frozen=True)
class ServiceEndpointsProps:
    """Props of :class:`ServiceEndpoints`."""

    name_prefix: str
    """Names the endpoint security group (``<prefix>-endpoints``) and tags the endpoints."""
    vpc_id: str
    subnet_ids: Sequence[str]
    """Where interface endpoints get their network interfaces: at most one subnet per AZ."""
    route_table_ids: Sequence[str]
    """Route tables that get the gateway endpoints' routes."""
    client_security_group_ids: Sequence[str]
    """Security groups allowed to reach the interface endpoints on TCP 443 (and nothing else)."""
    interface_endpoints: Sequence[EndpointSpec] = ()
    """Interface endpoints, private DNS on. Default: none."""
    gateway_endpoints: Sequence[EndpointSpec] = ()
    """Gateway endpoints (S3, DynamoDB only). Default: none."""
    overrides: Mapping[str, object] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths on the endpoint security group. Default: none."""

    def __post_init__(self) -> None:
        _check_endpoints(self.interface_endpoints, self.gateway_endpoints)
        if self.interface_endpoints and (not self.subnet_ids or not self.client_security_group_ids):
            raise ValueError("ServiceEndpointsProps: interface endpoints need subnets and client security groups")
        if self.gateway_endpoints and not self.route_table_ids:
            raise ValueError("ServiceEndpointsProps: gateway endpoints need route tables")
        if any(e.service not in ("s3", "dynamodb") for e in self.gateway_endpoints):
            raise ValueError("ServiceEndpointsProps.gateway_endpoints: only s3 and dynamodb have gateway endpoints")


class ServiceEndpoints(Construct):
    """Exposes ``security_group`` (the endpoint SG), ``interface`` and ``gateway`` (service -> VpcEndpoint)
    and ``prefix_list_ids`` (the gateway endpoints' prefix lists, for egress rules)."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: ServiceEndpointsProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.security_group = SecurityGroup(
            self,
            "security-group",
            name=f"{props.name_prefix}-endpoints",
            description="Interface VPC endpoints: HTTPS from the function security groups only",
            vpc_id=props.vpc_id,
            tags={"Name": f"{props.name_prefix}-endpoints"},
        )
        apply_overrides(self.security_group, props.overrides)
        # One rule per client group; no egress rule (security groups are stateful, an endpoint
        # only answers), and the provider removes AWS's default allow-all egress rule on create.
        for index, client in enumerate(props.client_security_group_ids):
            VpcSecurityGroupIngressRule(
                self,
                f"https-from-client-{index}",
                security_group_id=self.security_group.id,
                referenced_security_group_id=client,
                ip_protocol="tcp",
                from_port=HTTPS,
                to_port=HTTPS,
                description="HTTPS from a function security group",
            )
        self.interface: dict[str, VpcEndpoint] = {
            spec.service: VpcEndpoint(
                self,
                f"interface-{spec.service}",
                vpc_id=props.vpc_id,
                service_name=f"com.amazonaws.{aws.region}.{spec.service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=list(props.subnet_ids),
                security_group_ids=[self.security_group.id],
                policy=spec.policy,
                tags={"Name": f"{props.name_prefix}-{spec.service}"},
            )
            for spec in props.interface_endpoints
        }
        self.gateway: dict[str, VpcEndpoint] = {
            spec.service: VpcEndpoint(
                self,
                f"gateway-{spec.service}",
                vpc_id=props.vpc_id,
                service_name=f"com.amazonaws.{aws.region}.{spec.service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=list(props.route_table_ids),
                policy=spec.policy,
                tags={"Name": f"{props.name_prefix}-{spec.service}"},
            )
            for spec in props.gateway_endpoints
        }

    @property
    def prefix_list_ids(self) -> dict[str, str]:
        return {service: endpoint.prefix_list_id for service, endpoint in self.gateway.items()}


@dataclass(frozen=True)
class PrivateNetworkProps:
    """Props of :class:`PrivateNetwork`."""

    name_prefix: str
    """Names and ``Name`` tags, e.g. ``fraud-vpc-dev`` -> ``fraud-vpc-dev-private-a``."""
    flow_log_kms_key_arn: str
    """CMK of the flow-log group (its key policy must let CloudWatch Logs use it for that group)."""
    cidr: str = "10.0.0.0/16"
    """Private (RFC 1918) IPv4 block, /16 to /24. Default: ``10.0.0.0/16``."""
    az_count: int = 2
    """Subnets, one per AZ, in the first ``az_count`` available AZs (2-6). Default: 2."""
    availability_zones: Sequence[str] = ()
    """Explicit AZ names instead (at least two); overrides ``az_count``. Default: none (looked up)."""
    interface_endpoints: Sequence[EndpointSpec] = ()
    """Interface endpoints of the APIs the functions call. Default: none."""
    gateway_endpoints: Sequence[EndpointSpec] = ()
    """Gateway endpoints (``s3``, ``dynamodb``). Default: none."""
    flow_log_retention_days: int = 365
    """Retention of the flow-log group. Default: 365."""
    flow_log_traffic_type: str = "ALL"
    """``ALL``, ``ACCEPT`` or ``REJECT``. Default: ``ALL`` (accepted traffic is the evidence of what
    did reach an endpoint)."""
    flow_log_max_aggregation_seconds: int = 600
    """60 or 600. Default: 600 (AWS's default)."""
    flow_log_group_name: str | None = None
    """Default: ``/aws/vpc/flow-logs/<name_prefix>``."""
    flow_log_role_name: str | None = None
    """IAM is global: pass a name that carries the region. Default: ``<name_prefix>-flow-logs``."""
    permissions_boundary_arn: str | None = None
    """Permissions boundary of the flow-log role. Default: none."""
    overrides: Mapping[str, object] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths on the VPC. Default: none."""

    def __post_init__(self) -> None:
        try:
            network = ipaddress.IPv4Network(self.cidr, strict=True)
        except ValueError as exc:
            raise ValueError(f"PrivateNetworkProps.cidr: {self.cidr!r} is not an IPv4 CIDR block") from exc
        if not network.is_private or not 16 <= network.prefixlen <= 24:
            raise ValueError(f"PrivateNetworkProps.cidr: {self.cidr!r} must be a private block from /16 to /24")
        if self.availability_zones:
            if len(self.availability_zones) < 2 or len(set(self.availability_zones)) != len(self.availability_zones):
                raise ValueError("PrivateNetworkProps.availability_zones: at least two distinct AZs")
        elif not 2 <= self.az_count <= MAX_AZS:
            raise ValueError(f"PrivateNetworkProps.az_count: 2-{MAX_AZS} (one private subnet per AZ)")
        if len(self.zones_or_count) > MAX_AZS:
            raise ValueError(f"PrivateNetworkProps.availability_zones: at most {MAX_AZS}")
        _check_endpoints(self.interface_endpoints, self.gateway_endpoints)
        if self.flow_log_traffic_type not in FLOW_LOG_TRAFFIC_TYPES:
            raise ValueError(f"PrivateNetworkProps.flow_log_traffic_type: one of {FLOW_LOG_TRAFFIC_TYPES}")
        if self.flow_log_max_aggregation_seconds not in (60, 600):
            raise ValueError("PrivateNetworkProps.flow_log_max_aggregation_seconds: 60 or 600")
        if self.flow_log_retention_days < 1:
            raise ValueError("PrivateNetworkProps.flow_log_retention_days: a CloudWatch Logs retention value")

    @property
    def zones_or_count(self) -> tuple[str | int, ...]:
        """The explicit AZ names, or the indexes of the AZs to look up."""
        return tuple(self.availability_zones) or tuple(range(self.az_count))

    def subnet_cidrs(self) -> tuple[str, ...]:
        """One block per AZ, carved from ``cidr`` in equal parts: a quarter each up to four AZs, an eighth beyond."""
        network = ipaddress.IPv4Network(self.cidr)
        new_bits = max(2, math.ceil(math.log2(len(self.zones_or_count))))
        return tuple(str(block) for block in network.subnets(prefixlen_diff=new_bits))[: len(self.zones_or_count)]


class PrivateNetwork(Construct):
    """Exposes ``vpc``, ``subnets``, ``route_table``, ``default_security_group``, ``function_security_group``,
    ``endpoints`` (ServiceEndpoints), ``flow_log``, ``flow_log_group``, ``flow_log_role`` and ``attachment``."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: PrivateNetworkProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        prefix = props.name_prefix
        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=props.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": prefix},
        )
        apply_overrides(self.vpc, props.overrides)
        zones: list[str]
        if props.availability_zones:
            zones = list(props.availability_zones)
        else:
            # A closed set: the region's standard zone names <region>a-f (an allow-list, so a zone AWS
            # adds later cannot enter it), available, and needing no opt-in (Local and Wavelength
            # Zones do). The first ``az_count`` of them; a subnet then keeps its zone (ignore_changes
            # below), so a change in the lookup never replaces a subnet under running functions.
            self.availability_zones = DataAwsAvailabilityZones(
                self,
                "availability-zones",
                state="available",
                filter=[
                    DataAwsAvailabilityZonesFilter(
                        name="zone-name", values=[f"{aws.region}{letter}" for letter in ZONE_LETTERS]
                    ),
                    DataAwsAvailabilityZonesFilter(name="opt-in-status", values=["opt-in-not-required"]),
                ],
            )
            zones = [Fn.element(self.availability_zones.names, index) for index in range(props.az_count)]
        # One route table for every subnet: with no NAT gateway there is nothing per AZ to route to.
        self.route_table = RouteTable(
            self, "route-table", vpc_id=self.vpc.id, route=[], tags={"Name": f"{prefix}-private"}
        )
        self.subnets: list[Subnet] = []
        for index, (zone, block) in enumerate(zip(zones, props.subnet_cidrs(), strict=True)):
            suffix = chr(ord("a") + index)
            subnet = Subnet(
                self,
                f"private-{suffix}",
                vpc_id=self.vpc.id,
                cidr_block=block,
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={"Name": f"{prefix}-private-{suffix}"},
                lifecycle=None
                if props.availability_zones
                else TerraformResourceLifecycle(ignore_changes=["availability_zone"]),
            )
            RouteTableAssociation(
                self, f"private-{suffix}-routes", subnet_id=subnet.id, route_table_id=self.route_table.id
            )
            self.subnets.append(subnet)
        self.default_security_group = DefaultSecurityGroup(
            self,
            "default-security-group",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{prefix}-default-closed"},
        )
        self.function_security_group = SecurityGroup(
            self,
            "function-security-group",
            name=f"{prefix}-functions",
            description="Functions: HTTPS to the VPC endpoints only",
            vpc_id=self.vpc.id,
            tags={"Name": f"{prefix}-functions"},
        )
        self.endpoints = ServiceEndpoints(
            self,
            "endpoints",
            aws=aws,
            props=ServiceEndpointsProps(
                name_prefix=prefix,
                vpc_id=self.vpc.id,
                subnet_ids=[subnet.id for subnet in self.subnets],
                route_table_ids=[self.route_table.id],
                client_security_group_ids=[self.function_security_group.id],
                interface_endpoints=props.interface_endpoints,
                gateway_endpoints=props.gateway_endpoints,
            ),
        )
        if props.interface_endpoints:
            VpcSecurityGroupEgressRule(
                self,
                "https-to-interface-endpoints",
                security_group_id=self.function_security_group.id,
                referenced_security_group_id=self.endpoints.security_group.id,
                ip_protocol="tcp",
                from_port=HTTPS,
                to_port=HTTPS,
                description="HTTPS to the interface VPC endpoints",
            )
        for service, prefix_list_id in self.endpoints.prefix_list_ids.items():
            VpcSecurityGroupEgressRule(
                self,
                f"https-to-{service}",
                security_group_id=self.function_security_group.id,
                prefix_list_id=prefix_list_id,
                ip_protocol="tcp",
                from_port=HTTPS,
                to_port=HTTPS,
                description=f"HTTPS to {service} through its gateway endpoint",
            )
        self._flow_logs(aws)

    def _flow_logs(self, aws: AwsContext) -> None:
        props = self.props
        self.flow_log_group = CloudwatchLogGroup(
            self,
            "flow-log-group",
            name=props.flow_log_group_name or f"/aws/vpc/flow-logs/{props.name_prefix}",
            kms_key_id=props.flow_log_kms_key_arn,
            retention_in_days=props.flow_log_retention_days,
        )
        # Amazon VPC User Guide, "IAM role for publishing flow logs to CloudWatch Logs": the trust
        # names vpc-flow-logs.amazonaws.com, and AWS recommends aws:SourceAccount and aws:SourceArn
        # (the flow log's ARN; its id is generated, so any flow log of this account and region).
        trust = service_trust_document(
            self,
            "flow-log-trust",
            "vpc-flow-logs",
            aws,
            conditions=[
                condition("StringEquals", "aws:SourceAccount", [aws.account_id]),
                condition("ArnLike", "aws:SourceArn", [aws.arn("ec2", "vpc-flow-log/*")]),
            ],
        )
        self.flow_log_role = IamRole(
            self,
            "flow-log-role",
            name=props.flow_log_role_name or f"{props.name_prefix}-flow-logs",
            description=f"Delivers the flow logs of {props.name_prefix} to its log group",
            assume_role_policy=trust.json,
            permissions_boundary=props.permissions_boundary_arn,
        )
        # The same page's policy, narrowed: the group exists (no CreateLogGroup), streams only in it;
        # DescribeLogGroups has no resource type in IAM (Service Authorization Reference, CloudWatch Logs).
        group = self.flow_log_group.arn
        policy = DataAwsIamPolicyDocument(
            self,
            "flow-log-policy",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="DeliverToOwnGroup",
                    actions=["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                    resources=[group, f"{group}:*"],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="FindLogGroups", actions=["logs:DescribeLogGroups"], resources=["*"]
                ),
            ],
        )
        self.flow_log_role_policy = IamRolePolicy(
            self, "flow-log-role-policy", name="deliver-flow-logs", role=self.flow_log_role.id, policy=policy.json
        )
        self.flow_log = FlowLog(
            self,
            "flow-log",
            vpc_id=self.vpc.id,
            traffic_type=props.flow_log_traffic_type,
            log_destination_type="cloud-watch-logs",
            log_destination=self.flow_log_group.arn,
            iam_role_arn=self.flow_log_role.arn,
            max_aggregation_interval=props.flow_log_max_aggregation_seconds,
            tags={"Name": props.name_prefix},
            depends_on=[self.flow_log_role_policy],
        )

    @property
    def attachment(self) -> VpcAttachment:
        """The private subnets and the function security group, for ``ContainerFunctionProps.vpc``."""
        return VpcAttachment(
            subnet_ids=[subnet.id for subnet in self.subnets],
            security_group_ids=[self.function_security_group.id],
            subnet_arns=[subnet.arn for subnet in self.subnets],
            security_group_arns=[self.function_security_group.arn],
        )
