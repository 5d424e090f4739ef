"""A Lambda function from the project's container image, with its own role, log group and ``live`` alias.

Why each piece is here:

- ``image_uri`` must be digest-pinned (``repo@sha256:...``): Lambda resolves a tag to a digest
  once, at deploy time, so re-pushing a tag would never update the function anyway.
- The role's inline policy is built only from explicit :meth:`ContainerFunction.grant` calls
  (exact actions on exact ARNs); ``Resource: "*"`` must carry a reason naming why AWS offers
  nothing narrower. The function ``depends_on`` the policy and the pre-created log group:
  active tracing and the on-failure destination are checked by Lambda when the function is
  created, and a log group created by Lambda itself would be unencrypted and kept forever.
- Callers (API Gateway, the stream mapping, EventBridge) invoke the ``live`` alias of a
  published version, never ``$LATEST``: a deploy moves the alias in one step.
- ``vpc`` attaches the function to private subnets (VPC mode): Lambda creates its network
  interfaces with the execution role, so the role gets exactly the EC2 actions AWS documents for
  that (AWS Lambda Developer Guide, "Giving Lambda functions access to resources in an Amazon
  VPC", section "Required IAM permissions"), scoped to the given subnets and security groups where
  IAM has a resource type for them.
- ``provisioned_concurrency`` keeps that many execution environments of the ``live`` alias
  initialized (AWS Lambda Developer Guide, "Configuring provisioned concurrency for a function":
  it applies to a version or alias, never ``$LATEST``, and cannot exceed reserved concurrency).
- Asynchronous callers (EventBridge) get an event-invoke config on the alias: bounded retries
  and an on-failure destination (the DLQ). No ``dead_letter_config`` as well: the destination
  already receives every failed async event, with the error and request context that the legacy
  DLQ omits, and both together would deliver each failure twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.lambda_alias import LambdaAlias
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionEnvironment,
    LambdaFunctionImageConfig,
    LambdaFunctionTracingConfig,
    LambdaFunctionVpcConfig,
)
from cdktf_cdktf_provider_aws.lambda_function_event_invoke_config import (
    LambdaFunctionEventInvokeConfig,
    LambdaFunctionEventInvokeConfigDestinationConfig,
    LambdaFunctionEventInvokeConfigDestinationConfigOnFailure,
)
from cdktf_cdktf_provider_aws.lambda_provisioned_concurrency_config import LambdaProvisionedConcurrencyConfig
from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from fraud_constructs.iam_statements import condition, service_trust_document
from fraud_constructs.overrides import apply_overrides
from fraud_constructs.policy.statement_reader import (
    Condition,  # the policy pack's condition type; re-exported for grants
)

ALIAS_NAME = "live"
API_GATEWAY_MAX_TIMEOUT_SECONDS = 29
XRAY_WRITE_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")


@dataclass(frozen=True)
class VpcAttachment:
    """Private subnets (at least two, in different AZs) and security groups of a function in VPC mode."""

    subnet_ids: Sequence[str]
    security_group_ids: Sequence[str]
    subnet_arns: Sequence[str]
    """The same subnets as ARNs: the network-interface grants are scoped to them."""
    security_group_arns: Sequence[str]


def role_name(function_name: str, region: str) -> str:
    """The execution role of ``function_name`` (IAM is global: the name carries the region)."""
    return f"{function_name}-{region}"


@dataclass(frozen=True)
class Grant:
    """One statement of the function's role policy (kept for tests and reviews)."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[Condition, ...] = ()
    wildcard_reason: str | None = None


@dataclass(frozen=True)
class ContainerFunctionProps:
    """Props of :class:`ContainerFunction`."""

    function_name: str
    """Function name, e.g. ``fraud-webhook-dev`` (also names the role and the log group)."""
    image_uri: str
    """Digest-pinned image, ``<repository url>@sha256:<digest>``."""
    command: str
    """``image_config.command``: the handler this function runs, e.g. ``pkg.handlers.webhook.handler``."""
    kms_key_arn: str
    """CMK for environment variables and the log group."""
    dead_letter_queue_arn: str
    """Queue for failed async invocations (used only when ``async_invocation``)."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """Environment variables. Default: none."""
    memory_size: int = 512
    """MB. Default: 512."""
    timeout_seconds: int = 30
    """Default: 30 s. At most 29 s when ``behind_api_gateway``."""
    behind_api_gateway: bool = False
    """Invoked synchronously by an API Gateway REST integration (29 s hard limit). Default: False."""
    reserved_concurrency: int | None = None
    """Reserved concurrent executions; None (default) leaves the function unreserved (new accounts
    keep a minimum unreserved pool, so a reservation can fail creation)."""
    provisioned_concurrency: int = 0
    """Provisioned concurrency on the alias; 0 (default) provisions none. At most
    ``reserved_concurrency`` when that is set."""
    vpc: VpcAttachment | None = None
    """Run in these private subnets (VPC mode). Default: None (Lambda's own network, AWS APIs only)."""
    log_retention_days: int = 30
    """Retention of ``/aws/lambda/<name>``. Default: 30."""
    async_invocation: bool = False
    """Invoked asynchronously (EventBridge): adds the event-invoke config. Default: False."""
    max_retry_attempts: int = 2
    """Async retries after the first failure (0-2). Default: 2, the Lambda maximum."""
    max_event_age_seconds: int = 3600
    """Async events older than this go to the DLQ instead of running (60-21600). Default: 3600."""
    architecture: str = "arm64"
    """Default: arm64 (the image is built for it)."""
    permissions_boundary_arn: str | None = None
    """Managed policy set as the role's permissions boundary. Default: None. Required when the
    deploying principal may only create roles that carry it (the GitHub deploy role)."""
    alias_name: str = ALIAS_NAME
    """The alias callers invoke (it follows each published version). Default: ``live``."""
    overrides: Mapping[str, object] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths on the function. Default: none."""

    def __post_init__(self) -> None:
        # The digest is usually a token (resolved at plan time), so check the shape: repo@digest, no tag.
        repo, at, digest = self.image_uri.partition("@")
        if not at or not repo or not (digest.startswith("sha256:") or "${" in digest or "TfToken" in digest):
            raise ValueError(f"{self.function_name}: image_uri must be digest-pinned (repo@sha256:...)")
        if not 1 <= self.timeout_seconds <= 900:
            raise ValueError(f"{self.function_name}: timeout_seconds must be 1-900")
        if self.behind_api_gateway and self.timeout_seconds > API_GATEWAY_MAX_TIMEOUT_SECONDS:
            raise ValueError(
                f"{self.function_name}: timeout_seconds={self.timeout_seconds} exceeds the "
                f"{API_GATEWAY_MAX_TIMEOUT_SECONDS} s API Gateway integration limit"
            )
        if not 128 <= self.memory_size <= 10240:
            raise ValueError(f"{self.function_name}: memory_size must be 128-10240 MB")
        if not 0 <= self.max_retry_attempts <= 2:
            raise ValueError(f"{self.function_name}: max_retry_attempts must be 0-2")
        if not 60 <= self.max_event_age_seconds <= 21600:
            raise ValueError(f"{self.function_name}: max_event_age_seconds must be 60-21600")
        if self.reserved_concurrency is not None and self.reserved_concurrency < 1:
            raise ValueError(f"{self.function_name}: reserved_concurrency must be positive or None")
        if self.provisioned_concurrency < 0:
            raise ValueError(f"{self.function_name}: provisioned_concurrency must be 0 or more")
        if self.reserved_concurrency is not None and self.provisioned_concurrency > self.reserved_concurrency:
            raise ValueError(
                f"{self.function_name}: provisioned_concurrency={self.provisioned_concurrency} exceeds "
                f"reserved_concurrency={self.reserved_concurrency}"
            )
        if self.vpc is not None and (len(self.vpc.subnet_ids) < 2 or not self.vpc.security_group_ids):
            raise ValueError(f"{self.function_name}: vpc needs at least two subnets and one security group")


class ContainerFunction(Construct):
    """Exposes ``function``, ``alias`` (and ``alias_arn``/``invoke_arn``), ``role``, ``log_group``,
    ``role_policy``, ``grants``, ``environment`` and ``event_invoke_config`` (or None)."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: ContainerFunctionProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.grants: list[Grant] = []
        self.log_group = CloudwatchLogGroup(
            self,
            "log-group",
            name=f"/aws/lambda/{props.function_name}",
            kms_key_id=props.kms_key_arn,
            retention_in_days=props.log_retention_days,
        )
        trust = service_trust_document(self, "trust", "lambda", aws)
        self.role = IamRole(
            self,
            "role",
            name=role_name(props.function_name, aws.region),
            permissions_boundary=props.permissions_boundary_arn,
            description=f"Execution role of {props.function_name}",
            assume_role_policy=trust.json,
        )
        self.policy_document = DataAwsIamPolicyDocument(self, "policy")
        self.role_policy = IamRolePolicy(
            self, "role-policy", name="least-privilege", role=self.role.id, policy=self.policy_document.json
        )
        self.grant("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [f"{self.log_group.arn}:*"])
        self.grant(
            "XRayWrite",
            XRAY_WRITE_ACTIONS,
            ["*"],
            wildcard_reason="X-Ray trace writes have no resource type in IAM; '*' is the only valid resource",
        )
        # Lambda decrypts the environment variables with the role's credentials at cold start.
        self.grant_key(["kms:Decrypt"])
        if props.async_invocation:
            self.grant_dead_letter_queue()
        if props.vpc is not None:
            self._grant_network_interfaces(aws, props.vpc)

        self.function = LambdaFunction(
            self,
            "function",
            function_name=props.function_name,
            role=self.role.arn,
            package_type="Image",
            image_uri=props.image_uri,
            image_config=LambdaFunctionImageConfig(command=[props.command]),
            architectures=[props.architecture],
            memory_size=props.memory_size,
            timeout=props.timeout_seconds,
            reserved_concurrent_executions=props.reserved_concurrency,
            tracing_config=LambdaFunctionTracingConfig(mode="Active"),
            kms_key_arn=props.kms_key_arn,
            vpc_config=(
                LambdaFunctionVpcConfig(
                    subnet_ids=list(props.vpc.subnet_ids), security_group_ids=list(props.vpc.security_group_ids)
                )
                if props.vpc is not None
                else None
            ),
            environment=LambdaFunctionEnvironment(variables=dict(props.environment)) if props.environment else None,
            publish=True,
            depends_on=[self.role_policy, self.log_group],
        )
        apply_overrides(self.function, props.overrides)
        self.environment: dict[str, str] = dict(props.environment)
        """The variables set so far (``props.environment`` plus :meth:`add_environment`)."""
        self.alias = LambdaAlias(
            self,
            "alias",
            name=props.alias_name,
            description="The published version that callers invoke",
            function_name=self.function.function_name,
            function_version=self.function.version,
        )
        self.event_invoke_config = (
            LambdaFunctionEventInvokeConfig(
                self,
                "event-invoke-config",
                function_name=self.function.function_name,
                qualifier=self.alias.name,
                maximum_retry_attempts=props.max_retry_attempts,
                maximum_event_age_in_seconds=props.max_event_age_seconds,
                destination_config=LambdaFunctionEventInvokeConfigDestinationConfig(
                    on_failure=LambdaFunctionEventInvokeConfigDestinationConfigOnFailure(
                        destination=props.dead_letter_queue_arn
                    )
                ),
                depends_on=[self.role_policy],
            )
            if props.async_invocation
            else None
        )
        self.provisioned_concurrency = (
            LambdaProvisionedConcurrencyConfig(
                self,
                "provisioned-concurrency",
                function_name=self.function.function_name,
                qualifier=self.alias.name,
                provisioned_concurrent_executions=props.provisioned_concurrency,
            )
            if props.provisioned_concurrency
            else None
        )

    def _grant_network_interfaces(self, aws: AwsContext, vpc: VpcAttachment) -> None:
        """Exactly the six actions AWS lists for the execution role ("Giving Lambda functions access to
        resources in an Amazon VPC", "Required IAM permissions"), on what that page allows:

        - CreateNetworkInterface is authorized on the new interface (its id does not exist yet) and on
          the subnet and security groups it uses (Service Authorization Reference, "Actions, resources,
          and condition keys for Amazon EC2": ``network-interface*``, ``subnet*``, ``security-group``);
          those are the function's own, the exact resources of every interface Lambda creates for it.
        - DeleteNetworkInterface: the page warns that without "a unique resource ID" or "all resource
          IDs" (its example: ``arn:aws:ec2:<region>:<account>:*/*``) the function "may not be able to
          access the VPC". Lambda's interface ids are generated, so all of this account's and region's
          interfaces, the only resource type of the action. No ``ec2:Subnet`` condition: the page
          offers only those two forms, and a condition is neither. AssignPrivateIpAddresses and
          UnassignPrivateIpAddresses act on the same interfaces, likewise.
        - DescribeNetworkInterfaces ("only works if it's allowed on all resources") and DescribeSubnets
          have no resource type in IAM."""
        interfaces = aws.arn("ec2", "network-interface/*")
        self.grant(
            "CreateNetworkInterfaces",
            ["ec2:CreateNetworkInterface"],
            [interfaces, *vpc.subnet_arns, *vpc.security_group_arns],
        )
        self.grant(
            "ManageNetworkInterfaces",
            ["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
            [interfaces],
        )
        self.grant(
            "DescribeNetwork",
            ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
            ["*"],
            wildcard_reason="EC2 Describe actions have no resource type in IAM; '*' is the only valid resource",
        )

    def grant(
        self,
        sid: str,
        actions: Sequence[str],
        resources: Sequence[str],
        *,
        conditions: Sequence[Condition] = (),
        wildcard_reason: str | None = None,
    ) -> Grant:
        """Allow ``actions`` on ``resources``; ``'*'`` as a resource needs ``wildcard_reason``."""
        if not actions or not resources:
            raise ValueError(f"grant {sid}: needs actions and resources")
        if any(a == "*" or a.endswith(":*") for a in actions):
            raise ValueError(f"grant {sid}: wildcard actions are not allowed ({list(actions)})")
        if "*" in resources and not (wildcard_reason and len(wildcard_reason.split()) >= 4):
            raise ValueError(f"grant {sid}: Resource '*' needs a wildcard_reason saying why nothing narrower exists")
        new = Grant(sid, tuple(actions), tuple(resources), tuple(conditions), wildcard_reason)
        for index, old in enumerate(self.grants):
            if old.sid == sid:  # same sid: widen the actions of that one statement
                if (old.resources, old.conditions) != (new.resources, new.conditions):
                    raise ValueError(f"grant {sid}: same sid with different resources or conditions")
                merged = tuple(dict.fromkeys(old.actions + new.actions))
                new = Grant(sid, merged, old.resources, old.conditions, old.wildcard_reason)
                self.grants[index] = new
                break
        else:
            self.grants.append(new)
        self.policy_document.put_statement(
            [
                DataAwsIamPolicyDocumentStatement(
                    sid=g.sid,
                    actions=list(g.actions),
                    resources=list(g.resources),
                    condition=[condition(c.test, c.variable, c.values) for c in g.conditions] or None,
                )
                for g in self.grants
            ]
        )
        return new

    def add_environment(self, name: str, value: str) -> None:
        """Set one more environment variable after construction: for a value that exists only once
        something built later does (e.g. an API key of the API that invokes this function), so the
        function need not be built after its own caller. Replaces the variable if it was set."""
        variables = {**self.environment, name: value}
        self.function.put_environment(variables=variables)
        self.environment = variables

    def grant_key(self, actions: Sequence[str]) -> Grant:
        """Use the project CMK (one ``UseAppKey`` statement; repeated calls add actions)."""
        return self.grant("UseAppKey", actions, [self.props.kms_key_arn])

    def grant_dead_letter_queue(self) -> None:
        """Send failed events to the (CMK-encrypted) DLQ: SQS needs a data key from the CMK."""
        self.grant("SendToDeadLetterQueue", ["sqs:SendMessage"], [self.props.dead_letter_queue_arn])
        self.grant_key(["kms:GenerateDataKey", "kms:Decrypt"])

    @property
    def function_name(self) -> str:
        return self.function.function_name

    @property
    def alias_arn(self) -> str:
        return self.alias.arn

    @property
    def invoke_arn(self) -> str:
        """Invoke ARN of the alias (API Gateway integrations use it)."""
        return self.alias.invoke_arn
