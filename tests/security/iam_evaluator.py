"""Test support: our own IAM evaluator (pure Python) over each role's rendered statements.

Checks, over the *union* of a role's grants (inline + attached managed policies; the permissions
boundary never grants, but its explicit Deny statements do deny):

- ``protected``: the role cannot modify itself, the bootstrap roles, the permissions boundary policy,
  the deploy role's own managed policies (``<deploy role>-1`` ... ``-10``) or the GitHub OIDC
  provider: no IAM write action (``IAM_WRITE_ACTIONS``) on those ARNs is matched by an Allow unless
  an effective Deny matches the same action and ARN;
- ``boundary``: every Allow matching ``iam:CreateRole``, ``iam:PutRolePolicy``,
  ``iam:PutRolePermissionsBoundary`` or ``iam:AttachRolePolicy`` requires
  ``iam:PermissionsBoundary`` = the boundary ARN (``StringEquals`` or ``ArnEquals``, every value
  equal to it);
- ``passrole``: every Allow matching ``iam:PassRole`` has an ``iam:PassedToService`` condition
  (``StringEquals``/``StringLike``) with an explicit, non-empty list of services, no wildcard;
- ``not-action``: no Allow uses ``NotAction`` or ``NotResource``;
- ``question-mark``: no action (``Action``/``NotAction``) contains ``?``.

Matching: actions case-insensitively, resources case-sensitively, both with IAM wildcards
(``*`` any run, ``?`` one character); ``NotAction``/``NotResource`` match what they do not list.

Condition rule (conservative: it can only make the evaluator report more):

- an Allow counts as granting whatever its conditions are;
- a Deny counts only if the caller cannot avoid its condition. A condition is unavoidable only when
  it is about the principal itself, which AWS sets and the caller cannot choose: ``aws:PrincipalArn``
  and ``aws:PrincipalAccount`` (also with ``...IfExists``), evaluated here against the role's own
  ARN and account; and ``Null`` on those keys. Every other condition key (request, resource or tag
  keys, ``iam:PermissionsBoundary``, ``aws:SourceIp``...) and every ``ForAnyValue:``/``ForAllValues:``
  set operator is avoidable, so a Deny carrying one does not count. All conditions of the Deny must
  hold for it to count.
- a Deny statement's resource pattern holding a policy variable (``${aws:...}``) matches only
  literally; an Allow's matches anything at that position.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from fraud_constructs.github_deploy_role import MAX_ATTACHED_POLICIES
from fraud_constructs.policy.statement_reader import as_strings
from stacks.config import api_gateway_cloudwatch_role_name, deploy_role_name, permissions_boundary_name

from .iam_render import ACCOUNT, PARTITION, REGION, RenderedPolicy, RoleView

# IAM write actions, by the resource type they act on (the service authorization reference's
# Write, Permissions management and Tagging actions on role, policy and oidc-provider; the slow test
# test_iam_analyzers.py::test_write_action_catalog_is_complete compares it with policy_sentry's).
IAM_WRITE_ACTIONS: Mapping[str, tuple[str, ...]] = {
    "role": (
        "iam:AttachRolePolicy",
        "iam:CreateRole",
        "iam:CreateServiceLinkedRole",
        "iam:DeleteRole",
        "iam:DeleteRolePermissionsBoundary",
        "iam:DeleteRolePolicy",
        "iam:DeleteServiceLinkedRole",
        "iam:DetachRolePolicy",
        "iam:PassRole",
        "iam:PutRolePermissionsBoundary",
        "iam:PutRolePolicy",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:UpdateAssumeRolePolicy",
        "iam:UpdateRole",
        "iam:UpdateRoleDescription",
    ),
    "policy": (
        "iam:CreatePolicy",
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:TagPolicy",
        "iam:UntagPolicy",
    ),
    "oidc-provider": (
        "iam:AddClientIDToOpenIDConnectProvider",
        "iam:CreateOpenIDConnectProvider",
        "iam:DeleteOpenIDConnectProvider",
        "iam:RemoveClientIDFromOpenIDConnectProvider",
        "iam:TagOpenIDConnectProvider",
        "iam:UntagOpenIDConnectProvider",
        "iam:UpdateOpenIDConnectProviderThumbprint",
    ),
}
BOUNDARY_ACTIONS = ("iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary", "iam:AttachRolePolicy")
BOUNDARY_TESTS = frozenset({"stringequals", "arnequals"})
PASSED_TO_SERVICE_TESTS = frozenset({"stringequals", "stringlike"})
PRINCIPAL_KEYS = frozenset({"aws:principalarn", "aws:principalaccount"})
OIDC_PROVIDER = "oidc-provider/token.actions.githubusercontent.com"


@dataclass(frozen=True)
class Protected:
    """The ARNs no role may modify (besides its own), built from ``stacks.config``'s names."""

    roles: tuple[str, ...]
    boundary_policy: str
    oidc_provider: str
    deploy_policies: tuple[str, ...] = ()
    """The deploy role's managed policies, every name it may have (``<deploy role>-<n>``, n up to the
    IAM quota of attached policies)."""

    @classmethod
    def for_region(cls, region: str = REGION, account: str = ACCOUNT, partition: str = PARTITION) -> Protected:
        iam = f"arn:{partition}:iam::{account}"
        return cls(
            roles=(f"{iam}:role/{deploy_role_name(region)}", f"{iam}:role/{api_gateway_cloudwatch_role_name(region)}"),
            boundary_policy=f"{iam}:policy/{permissions_boundary_name(region)}",
            oidc_provider=f"{iam}:{OIDC_PROVIDER}",
            deploy_policies=tuple(
                f"{iam}:policy/{deploy_role_name(region)}-{n}" for n in range(1, MAX_ATTACHED_POLICIES + 1)
            ),
        )

    def targets(self, own_role_arn: str) -> list[tuple[str, str]]:
        """``(resource type, ARN)`` pairs to protect for a role."""
        roles = dict.fromkeys((own_role_arn, *self.roles))
        policies = (self.boundary_policy, *self.deploy_policies)
        return [
            *(("role", r) for r in roles),
            *(("policy", p) for p in policies),
            ("oidc-provider", self.oidc_provider),
        ]


@dataclass(frozen=True, order=True)
class Finding:
    check: str  # protected | boundary | passrole | not-action | question-mark
    role: str  # role name as rendered (<variant>/<construct path>)
    policy: str  # policy name of the offending statement
    statement: int  # index of the statement in that policy
    subject: str  # protected: the ARN; others: the action or element
    detail: str = ""  # protected: the actions, comma-separated

    def render(self) -> str:
        return f"[{self.check}] {self.role}: {self.policy} #{self.statement}: {self.subject} {self.detail}".rstrip()


@dataclass(frozen=True)
class _Stmt:
    policy: str
    index: int
    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_resources: tuple[str, ...]
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = field(default=())

    @property
    def allows(self) -> bool:
        return self.effect.lower() == "allow"


def _statements(policies: Iterable[RenderedPolicy]) -> list[_Stmt]:
    out: list[_Stmt] = []
    for policy in policies:
        for index, s in enumerate(policy.statements):
            conditions = tuple(
                (str(test), str(key), as_strings(values))
                for test, by_key in (s.get("Condition") or {}).items()
                for key, values in by_key.items()
            )
            out.append(
                _Stmt(
                    policy.name,
                    index,
                    str(s.get("Effect", "")),
                    as_strings(s.get("Action")),
                    as_strings(s.get("NotAction")),
                    as_strings(s.get("Resource")),
                    as_strings(s.get("NotResource")),
                    conditions,
                )
            )
    return out


@cache
def _wildcard(pattern: str, ignore_case: bool, variables_match_anything: bool) -> re.Pattern[str]:
    parts: list[str] = []
    for piece in re.split(r"(\$\{[^}]*\}|\*|\?)", pattern):
        if piece == "*":
            parts.append(".*")
        elif piece == "?":
            parts.append(".")
        elif piece.startswith("${") and variables_match_anything:
            parts.append(".*")
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts), re.IGNORECASE if ignore_case else 0)


def action_matches(pattern: str, action: str) -> bool:
    return _wildcard(pattern, True, False).fullmatch(action) is not None


def resource_matches(pattern: str, arn: str, *, deny: bool = False) -> bool:
    return _wildcard(pattern, False, not deny).fullmatch(arn) is not None


def _matches_action(s: _Stmt, action: str) -> bool:
    if s.actions:
        return any(action_matches(p, action) for p in s.actions)
    if s.not_actions:
        return not any(action_matches(p, action) for p in s.not_actions)
    return False


def _matches_resource(s: _Stmt, arn: str) -> bool:
    deny = not s.allows
    if s.resources:
        return any(resource_matches(p, arn, deny=deny) for p in s.resources)
    if s.not_resources:
        # Inverted: a Deny's NotResource excludes generously, an Allow's narrowly (conservative both ways).
        return not any(resource_matches(p, arn, deny=not deny) for p in s.not_resources)
    return s.allows  # no Resource at all: an Allow is read as "*", a Deny as nothing


def _condition_holds(test: str, key: str, values: tuple[str, ...], role_arn: str) -> bool:
    """Whether a Deny's condition holds for every request of this role (see the module docstring)."""
    if test.lower().startswith(("foranyvalue:", "forallvalues:")):
        return False
    name = key.lower()
    if name not in PRINCIPAL_KEYS:
        return False
    actual = role_arn if name == "aws:principalarn" else role_arn.split(":")[4]
    op = test.lower().removesuffix("ifexists")
    if op == "null":
        return all(v.lower() == "false" for v in values)
    if op in ("stringequals", "arnequals"):
        return actual in values
    if op == "stringequalsignorecase":
        return actual.lower() in (v.lower() for v in values)
    if op in ("stringlike", "arnlike"):
        return any(resource_matches(v, actual, deny=True) for v in values)
    if op in ("stringnotequals", "arnnotequals"):
        return actual not in values
    if op in ("stringnotlike", "arnnotlike"):
        return not any(resource_matches(v, actual, deny=False) for v in values)
    return False


def _deny_counts(s: _Stmt, role_arn: str) -> bool:
    return all(_condition_holds(test, key, values, role_arn) for test, key, values in s.conditions)


def _has_condition(s: _Stmt, tests: frozenset[str], key: str, ok: Any) -> bool:
    return any(
        test.lower() in tests and k.lower() == key.lower() and values and ok(values) for test, k, values in s.conditions
    )


def evaluate_role(role: RoleView, protected: Protected, boundary_arn: str | None = None) -> list[Finding]:
    """Every finding of the five checks for one role (sorted)."""
    boundary_arn = boundary_arn or protected.boundary_policy
    grants = _statements(role.grants)
    allows = [s for s in grants if s.allows]
    denies = [s for s in grants if not s.allows]
    if role.boundary is not None:
        denies += [s for s in _statements([role.boundary]) if not s.allows]
    denies = [s for s in denies if _deny_counts(s, role.arn)]
    findings: set[Finding] = set()

    for kind, arn in protected.targets(role.arn):
        for s in allows:
            if not _matches_resource(s, arn):
                continue
            actions = [
                a
                for a in IAM_WRITE_ACTIONS[kind]
                if _matches_action(s, a)
                and not any(_matches_action(d, a) and _matches_resource(d, arn) for d in denies)
            ]
            if actions:
                findings.add(Finding("protected", role.name, s.policy, s.index, arn, ",".join(actions)))

    for s in allows:
        for action in BOUNDARY_ACTIONS:
            if _matches_action(s, action) and not _has_condition(
                s, BOUNDARY_TESTS, "iam:PermissionsBoundary", lambda vs: all(v == boundary_arn for v in vs)
            ):
                findings.add(Finding("boundary", role.name, s.policy, s.index, action))
        if _matches_action(s, "iam:PassRole") and not _has_condition(
            s, PASSED_TO_SERVICE_TESTS, "iam:PassedToService", lambda vs: not any("*" in v or "?" in v for v in vs)
        ):
            findings.add(Finding("passrole", role.name, s.policy, s.index, "iam:PassRole"))
        for element, used in (("NotAction", s.not_actions), ("NotResource", s.not_resources)):
            if used:
                findings.add(Finding("not-action", role.name, s.policy, s.index, element))
    for s in grants:
        for action in (*s.actions, *s.not_actions):
            if "?" in action:
                findings.add(Finding("question-mark", role.name, s.policy, s.index, action))
    return sorted(findings)


def evaluate_roles(roles: Iterable[RoleView], protected: Protected | None = None) -> list[Finding]:
    protected = protected or Protected.for_region()
    return sorted(f for role in roles for f in evaluate_role(role, protected))


def canary_role(name: str, statements: list[Mapping[str, Any]], *, arn: str | None = None) -> RoleView:
    """A role holding one hand-written policy (``<name>/policy``), for canaries."""
    arn = arn or f"arn:{PARTITION}:iam::{ACCOUNT}:role/{name}"
    policy = RenderedPolicy(
        f"{name}/policy", "inline", f"canary.{name}", {"Version": "2012-10-17", "Statement": statements}
    )
    return RoleView(name=name, stack="canary", address=f"canary.{name}", role_name=name, arn=arn, grants=[policy])
