"""A GitHub Actions OIDC deploy role that cannot make itself administrator.

What it creates:

- the account's GitHub OIDC provider, or none when ``oidc_provider_arn`` names an existing one
  (IAM allows one provider per URL and account);
- a managed policy used as the **permissions boundary** of every role the deploy role creates;
- the role, trusted only for ``repo:<owner>/<repo>:environment:<env>`` of each listed GitHub
  environment (a job that declares ``environment:`` gets exactly that ``sub`` claim; GitHub docs,
  "About security hardening with OpenID Connect", "Example subject claims"), audience
  ``sts.amazonaws.com``;
- its permissions: the caller's ``permissions`` (explicit actions on explicit resources) plus the
  guard rails below, which are not optional, in customer managed policies ``<role name>-<n>``
  attached to the role (``policy_layout`` says which statements each holds). Not one inline policy:
  IAM limits a role's inline policies to 10,240 characters in total, a managed policy to 6,144 and a
  role to 10 attached managed policies by default (IAM User Guide, "IAM and AWS STS quotas";
  whitespace is not counted). Policies that hold a Deny are attached first: the others' attachments
  depend on them.

Guard rails (IAM User Guide, "Permissions boundaries for IAM entities", the delegation example):

- ``iam:CreateRole``, ``iam:PutRolePolicy``, ``iam:PutRolePermissionsBoundary`` are allowed only on
  ``managed_role_arns`` and only with ``iam:PermissionsBoundary`` = the boundary; every other IAM
  write is limited to those roles, and no statement may attach a managed policy;
- ``iam:PassRole`` only on those roles and only to ``pass_to_services`` (``iam:PassedToService``);
  a ``permissions`` statement may pass other managed roles to other services, never without
  ``iam:PassedToService`` and never a role outside ``managed_role_arns``;
- explicit denies: any IAM action on its own role (so no attaching or detaching policies), on its
  own managed policies ``<role name>-*`` (no new version, default version, deletion), on the
  ``protected_role_arns`` (the other bootstrap roles), the boundary policy and the OIDC provider;
  removing a role's boundary; creating or changing a role without the boundary; a new or default
  version of any policy;
- ``kms:CreateKey``/``kms:TagResource`` on ``*`` only with the ``aws:RequestTag`` project tag (KMS
  has no key ARN before creation, and TagResource at creation is authorized on ``*``: AWS KMS
  Developer Guide, "ABAC for AWS KMS" / "CreateKey"); everything else on a key is granted by that
  key's own policy (``EncryptionKeyProps.deploy_role_arn``), never by a tag;
- ``extra_denies`` from the caller (state history, governance bypass...).

Default settings: max session 1 hour; one managed policy holding every statement (``policy_layout``
empty); no AWS managed policy; ``iam:PassRole`` of every managed role to Lambda only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from fraud_constructs.iam_statements import condition
from fraud_constructs.overrides import apply_overrides
from fraud_constructs.policy.statement_reader import Condition

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_AUDIENCE = "sts.amazonaws.com"
# GitHub's published intermediate thumbprints; AWS no longer checks them for this provider,
# but older provider versions require the field.
GITHUB_THUMBPRINTS = ("6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd")
ECR_PUSH_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:DescribeImages",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)
LOG_GROUP_ACTIONS = (
    "logs:AssociateKmsKey",
    "logs:CreateLogGroup",
    "logs:DeleteLogGroup",
    "logs:DeleteRetentionPolicy",
    "logs:DisassociateKmsKey",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
    "logs:PutRetentionPolicy",
    "logs:TagLogGroup",
    "logs:TagResource",
    "logs:UntagLogGroup",
    "logs:UntagResource",
)
"""What Terraform calls on a CloudWatch Logs log group it creates (with a CMK), reads, retags and deletes."""
MANAGED_POLICY_MAX_CHARS = 6_144
"""IAM quota: characters of one managed policy, whitespace not counted (IAM User Guide, "IAM and AWS STS
quotas", "Managed policy size")."""
MAX_ATTACHED_POLICIES = 10
"""IAM quota: managed policies attached to one role, by default (same page; Service Quotas can raise it)."""
# IAM writes that create or widen a role: each needs the boundary on the role it acts on.
BOUNDARY_GATED_ACTIONS = ("iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary")
# Everything else Terraform does to a role it owns (read, describe, tag, trust, delete).
ROLE_LIFECYCLE_ACTIONS = (
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListRolePolicies",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)


@dataclass(frozen=True)
class DeployStatement:
    """One statement of the deploy role (or its boundary), with the reason it exists.

    Plain strings (Terraform tokens allowed), so the same rows render the policy and docs/security.md's
    permissions table."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    why: str
    conditions: tuple[Condition, ...] = ()
    effect: str = "Allow"

    def __post_init__(self) -> None:
        if not self.actions or not self.resources:
            raise ValueError(f"{self.sid}: needs actions and resources")
        if self.effect == "Allow" and any(a == "*" or a.endswith(":*") or "?" in a for a in self.actions):
            raise ValueError(f"{self.sid}: an Allow must name explicit actions ({list(self.actions)})")
        if len(self.why.split()) < 4:
            raise ValueError(f"{self.sid}: say why the statement exists")

    def iam_json(self) -> dict[str, Any]:
        """The statement as IAM stores it, in the shape ``aws_iam_policy_document`` renders (a single
        value as a string): what counts against the policy size quotas once the values are literal."""

        def one_or_list(values: Sequence[str]) -> str | list[str]:
            return values[0] if len(values) == 1 else list(values)

        out: dict[str, Any] = {
            "Sid": self.sid,
            "Effect": self.effect,
            "Action": one_or_list(self.actions),
            "Resource": one_or_list(self.resources),
        }
        if self.conditions:
            condition: dict[str, dict[str, Any]] = {}
            for c in self.conditions:
                condition.setdefault(c.test, {})[c.variable] = one_or_list(c.values)
            out["Condition"] = condition
        return out

    def document_statement(self) -> DataAwsIamPolicyDocumentStatement:
        return DataAwsIamPolicyDocumentStatement(
            sid=self.sid,
            effect=self.effect,
            actions=list(self.actions),
            resources=list(self.resources),
            condition=[condition(c.test, c.variable, c.values) for c in self.conditions] or None,
        )


@dataclass(frozen=True)
class GithubDeployRoleProps:
    """Props of :class:`GithubDeployRole`."""

    repository: str
    """``owner/repository`` whose workflows may assume the role."""
    environments: tuple[str, ...]
    """GitHub environments whose jobs may deploy; the trust lists one ``sub`` per environment."""
    role_name: str
    """e.g. ``fraud-github-deploy-us-east-1``."""
    role_arn: str
    """The role's own ARN, built from ``role_name`` (the self-protection deny needs it before the role exists)."""
    boundary_name: str
    """Name of the permissions-boundary managed policy this construct creates."""
    boundary_arn: str
    """Its ARN, built from ``boundary_name`` (the same reason)."""
    boundary_statements: tuple[DeployStatement, ...]
    """What a role created by the deploy role may do at most."""
    permissions: tuple[DeployStatement, ...]
    """The service permissions of a deploy (explicit actions on explicit resources)."""
    managed_role_arns: tuple[str, ...]
    """The only roles the deploy role may create, change, delete and pass."""
    project_tag: tuple[str, str]
    """``(key, value)`` every KMS key it creates must carry (``aws:RequestTag``)."""
    protected_role_arns: tuple[str, ...] = ()
    """Other roles it must never touch (e.g. the account's API Gateway logging role)."""
    pass_to_services: tuple[str, ...] = ("lambda.amazonaws.com",)
    """Services ``iam:PassRole`` may hand the managed roles to. Default: Lambda only."""
    passed_role_arns: tuple[str, ...] = ()
    """The managed roles the guard rail passes to ``pass_to_services``. Default: empty, meaning all of
    ``managed_role_arns``. Roles for other services (e.g. a replication role for S3) are passed by a
    ``permissions`` statement with its own ``iam:PassedToService``."""
    policy_layout: tuple[tuple[str, ...], ...] = ()
    """The role's managed policies, ``<role_name>-1``, ``-2``...: the sids each holds (every statement
    of ``permissions``, the guard rails and ``extra_denies`` exactly once). Default: empty, meaning one
    policy with every statement. Statements holding Terraform tokens have no known length at synth: pack
    the same statements rendered with worst-case literal values (:func:`pack_statements`)."""
    oidc_provider_arn: str | None = None
    """An existing GitHub OIDC provider of the account. Default: None (create one)."""
    oidc_provider_arn_pattern: str = ""
    """ARN of the provider this construct would create, for the deny (required when creating it)."""
    extra_denies: tuple[DeployStatement, ...] = ()
    """More explicit denies (state history, governance bypass)."""
    max_session_seconds: int = 3600
    """Default: one hour."""
    overrides: Mapping[str, object] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths on the role (e.g. ``{"max_session_duration": 7200}``)."""

    def __post_init__(self) -> None:
        if not self.environments:
            raise ValueError("GithubDeployRoleProps.environments: at least one GitHub environment may deploy")
        if any("*" in env or "?" in env for env in self.environments):
            raise ValueError("GithubDeployRoleProps.environments: wildcards are not allowed in the OIDC subject")
        if not self.managed_role_arns:
            raise ValueError("GithubDeployRoleProps.managed_role_arns: name the roles the deploy may manage")
        if any(s.effect != "Deny" for s in self.extra_denies):
            raise ValueError("GithubDeployRoleProps.extra_denies: only Deny statements")
        if any("*" in service for service in self.pass_to_services) or not self.pass_to_services:
            raise ValueError("GithubDeployRoleProps.pass_to_services: an explicit, non-empty list of services")
        if not set(self.passed_role_arns) <= set(self.managed_role_arns):
            raise ValueError("GithubDeployRoleProps.passed_role_arns: only roles of managed_role_arns")
        for s in self.permissions:
            if s.effect == "Allow" and "iam:PassRole" in s.actions:
                services = [c for c in s.conditions if c.variable == "iam:PassedToService" and c.test == "StringEquals"]
                explicit = services and all("*" not in v and "?" not in v for c in services for v in c.values)
                if not explicit or not set(s.resources) <= set(self.managed_role_arns):
                    raise ValueError(
                        f"GithubDeployRoleProps.permissions: {s.sid} may pass only managed roles, with "
                        "iam:PassedToService StringEquals explicit services"
                    )
        if len(self.policy_layout) > MAX_ATTACHED_POLICIES:
            raise ValueError(
                f"GithubDeployRoleProps.policy_layout: {len(self.policy_layout)} policies, IAM attaches at most "
                f"{MAX_ATTACHED_POLICIES} to a role"
            )

    @property
    def policy_arn_pattern(self) -> str:
        """``...:policy/<role_name>-*``: the role's own managed policies (built from ``role_arn``)."""
        return self.role_arn.replace(":role/", ":policy/", 1) + "-*"


def subjects(repository: str, environments: Sequence[str]) -> list[str]:
    """The OIDC ``sub`` of a job with ``environment: <env>`` in ``repository``."""
    return [f"repo:{repository}:environment:{env}" for env in environments]


def guard_statements(props: GithubDeployRoleProps, provider_arn: str) -> tuple[DeployStatement, ...]:
    """The statements every deploy role gets, whatever its service permissions."""
    roles = props.managed_role_arns
    boundary = Condition("StringEquals", "iam:PermissionsBoundary", (props.boundary_arn,))
    own = (props.role_arn, props.policy_arn_pattern, *props.protected_role_arns, props.boundary_arn, provider_arn)
    return (
        DeployStatement(
            "CreateRolesOnlyWithTheBoundary",
            BOUNDARY_GATED_ACTIONS,
            roles,
            "the roles it owns are created and granted only with the permissions boundary attached",
            (boundary,),
        ),
        DeployStatement(
            "ManageOwnedRoles",
            ROLE_LIFECYCLE_ACTIONS,
            roles,
            "Terraform reads, tags, updates and deletes the roles it owns",
        ),
        DeployStatement(
            "PassOwnedRolesToNamedServices",
            ("iam:PassRole",),
            props.passed_role_arns or roles,
            "a function is created with its role; only to the listed services",
            (Condition("StringEquals", "iam:PassedToService", props.pass_to_services),),
        ),
        DeployStatement(
            "CreateTaggedKeys",
            ("kms:CreateKey", "kms:TagResource"),
            ("*",),
            "a key has no ARN before it exists; the project tag is required at creation",
            (Condition("StringEquals", f"aws:RequestTag/{props.project_tag[0]}", (props.project_tag[1],)),),
        ),
        DeployStatement(
            "DenyTouchingItselfAndBootstrap",
            ("iam:*",),
            own,
            "its own role and managed policies (no policy attached, detached, rewritten or deleted), the "
            "bootstrap roles, the boundary and the OIDC provider are administered by hand",
            effect="Deny",
        ),
        DeployStatement(
            "DenyRoleChangesWithoutBoundary",
            (*BOUNDARY_GATED_ACTIONS, "iam:AttachRolePolicy", "iam:DetachRolePolicy"),
            ("*",),
            "no role may be created or widened without the boundary, whatever another statement allows",
            (Condition("StringNotEquals", "iam:PermissionsBoundary", (props.boundary_arn,)),),
            effect="Deny",
        ),
        DeployStatement(
            "DenyBoundaryRemoval",
            ("iam:DeleteRolePermissionsBoundary", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"),
            ("*",),
            "a boundary can neither be removed from a role nor rewritten, nor can any managed policy (its own "
            "included) get a new or default version",
            effect="Deny",
        ),
        *props.extra_denies,
    )


def policy_json(statements: Sequence[DeployStatement]) -> str:
    """The policy document of ``statements`` as IAM counts it: compact JSON, no whitespace."""
    document = {"Version": "2012-10-17", "Statement": [s.iam_json() for s in statements]}
    return json.dumps(document, separators=(",", ":"))


def pack_statements(statements: Sequence[DeployStatement], max_chars: int) -> tuple[tuple[str, ...], ...]:
    """The sids of ``statements`` grouped into as few policies of at most ``max_chars`` (compact JSON) as
    first-fit decreasing finds: Deny statements first, in policies of their own (attached first), then the
    Allows. Within a policy, statements keep their order in ``statements``. Deterministic.

    ``statements`` must hold literal values (no Terraform tokens): the worst case of the real ones."""
    sids = [s.sid for s in statements]
    if len(set(sids)) != len(sids):
        raise ValueError(
            f"statement sids must be unique to be packed: {sorted({x for x in sids if sids.count(x) > 1})}"
        )
    order = {s.sid: i for i, s in enumerate(statements)}
    groups: list[list[DeployStatement]] = []
    for effect in ("Deny", "Allow"):
        bins: list[list[DeployStatement]] = []
        chosen = [s for s in statements if s.effect == effect]
        for statement in sorted(chosen, key=lambda s: (-len(policy_json([s])), s.sid)):
            if len(policy_json([statement])) > max_chars:
                raise ValueError(f"{statement.sid} alone is {len(policy_json([statement]))} characters (> {max_chars})")
            target = next((b for b in bins if len(policy_json([*b, statement])) <= max_chars), None)
            if target is None:
                bins.append([statement])
            else:
                target.append(statement)
        groups += [sorted(b, key=lambda s: order[s.sid]) for b in bins]
    return tuple(tuple(s.sid for s in group) for group in groups)


class GithubDeployRole(Construct):
    """Exposes ``provider`` (or None), ``provider_arn``, ``boundary``, ``role``, ``statements``, ``policies``
    (the managed policies, in ``policy_layout`` order) and ``attachments``; ``permissions`` is the
    construct under which the policies live (one place to suppress a rule for all of them)."""

    def __init__(self, scope: Construct, construct_id: str, *, props: GithubDeployRoleProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        if props.oidc_provider_arn:
            self.provider = None
            self.provider_arn = props.oidc_provider_arn
        else:
            if not props.oidc_provider_arn_pattern:
                raise ValueError("GithubDeployRoleProps.oidc_provider_arn_pattern: needed when creating the provider")
            self.provider = IamOpenidConnectProvider(
                self,
                "oidc-provider",
                url=f"https://{GITHUB_OIDC_HOST}",
                client_id_list=[GITHUB_AUDIENCE],
                thumbprint_list=list(GITHUB_THUMBPRINTS),
            )
            self.provider_arn = self.provider.arn
        deny_provider = props.oidc_provider_arn or props.oidc_provider_arn_pattern
        trust = DataAwsIamPolicyDocument(
            self,
            "trust",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    actions=["sts:AssumeRoleWithWebIdentity"],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(type="Federated", identifiers=[self.provider_arn])
                    ],
                    condition=[
                        condition("StringEquals", f"{GITHUB_OIDC_HOST}:aud", [GITHUB_AUDIENCE]),
                        condition(
                            "StringEquals", f"{GITHUB_OIDC_HOST}:sub", subjects(props.repository, props.environments)
                        ),
                    ],
                )
            ],
        )
        boundary_document = DataAwsIamPolicyDocument(
            self, "boundary-policy", statement=[s.document_statement() for s in props.boundary_statements]
        )
        self.boundary = IamPolicy(
            self,
            "boundary",
            name=props.boundary_name,
            description="Permissions boundary of every role the GitHub deploy role creates",
            policy=boundary_document.json,
        )
        self.role = IamRole(
            self,
            "role",
            name=props.role_name,
            description=f"GitHub Actions deploy of {props.repository} ({', '.join(props.environments)})",
            assume_role_policy=trust.json,
            max_session_duration=props.max_session_seconds,
        )
        apply_overrides(self.role, props.overrides)
        self.statements = (*props.permissions, *guard_statements(props, deny_provider))
        by_sid = {s.sid: s for s in self.statements}
        layout = props.policy_layout or (tuple(s.sid for s in self.statements),)
        placed = [sid for group in layout for sid in group]
        if len(by_sid) != len(self.statements) or sorted(placed) != sorted(by_sid):
            raise ValueError(
                "GithubDeployRoleProps.policy_layout: every statement (unique sids) exactly once; missing "
                f"{sorted(set(by_sid) - set(placed))}, unknown or repeated "
                f"{sorted({x for x in placed if x not in by_sid or placed.count(x) > 1})}"
            )
        self.permissions = Construct(self, "permissions")
        self.policies: list[IamPolicy] = []
        for number, group in enumerate(layout, start=1):
            document = DataAwsIamPolicyDocument(
                self.permissions, f"document-{number}", statement=[by_sid[sid].document_statement() for sid in group]
            )
            self.policies.append(
                IamPolicy(
                    self.permissions,
                    f"policy-{number}",
                    name=f"{props.role_name}-{number}",
                    description=f"Permissions of the GitHub deploy role {props.role_name} (part {number})",
                    policy=document.json,
                )
            )
        # Policies holding a Deny are attached first; pack_statements never puts an Allow beside a Deny, so
        # then no Allow is live before every Deny is.
        holds_deny = [any(by_sid[sid].effect == "Deny" for sid in group) for group in layout]
        attachments: dict[int, IamRolePolicyAttachment] = {}
        for number in sorted(range(len(layout)), key=lambda n: not holds_deny[n]):
            first = [attachments[n] for n in attachments if holds_deny[n]] if not holds_deny[number] else []
            attachments[number] = IamRolePolicyAttachment(
                self.permissions,
                f"attachment-{number + 1}",
                role=self.role.name,
                policy_arn=self.policies[number].arn,
                depends_on=list(first) or None,
            )
        self.attachments = [attachments[n] for n in range(len(layout))]
