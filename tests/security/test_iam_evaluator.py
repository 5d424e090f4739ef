"""Our own IAM evaluator (``iam_evaluator``) over every role of every variant, and its canaries.

Each canary breaks exactly one check and must be reported with exactly the expected finding.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import VARIANTS

from .iam_evaluator import (
    BOUNDARY_ACTIONS,
    IAM_WRITE_ACTIONS,
    Finding,
    Protected,
    action_matches,
    canary_role,
    evaluate_role,
    evaluate_roles,
    resource_matches,
)
from .iam_render import RenderedPolicy, VariantPolicies, render_variant

pytestmark = pytest.mark.synth

PROTECTED = Protected.for_region()
DEPLOY = "arn:aws:iam::123456789012:role/fraud-github-deploy-us-east-1"
APIGW = "arn:aws:iam::123456789012:role/fraud-apigw-cloudwatch-us-east-1"
BOUNDARY = "arn:aws:iam::123456789012:policy/fraud-permissions-boundary-us-east-1"
OIDC = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
DEPLOY_POLICIES = tuple(f"arn:aws:iam::123456789012:policy/fraud-github-deploy-us-east-1-{n}" for n in range(1, 11))
FUNCTION_ROLES = "arn:aws:iam::123456789012:role/fraud-batch-*"
WITH_BOUNDARY = {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}}
TO_LAMBDA = {"StringEquals": {"iam:PassedToService": ["lambda.amazonaws.com"]}}


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_has_no_findings(variant: str, rendered: Callable[[str], VariantPolicies]) -> None:
    policies = rendered(variant)
    assert policies.roles
    findings = evaluate_roles(policies.roles.values(), PROTECTED)
    assert not findings, f"{len(findings)} findings:\n" + "\n".join(f.render() for f in findings)


def test_protected_targets_come_from_config() -> None:
    assert PROTECTED.roles == (DEPLOY, APIGW)
    assert PROTECTED.boundary_policy == BOUNDARY
    assert PROTECTED.oidc_provider == OIDC
    assert PROTECTED.deploy_policies == DEPLOY_POLICIES


# --- canaries: one per check, exact findings -------------------------------------------------------


def test_canary_a_role_modifies_its_own_role() -> None:
    role = canary_role("fraud-canary-a", [{"Effect": "Allow", "Action": "iam:UpdateAssumeRolePolicy", "Resource": "*"}])
    assert evaluate_role(role, PROTECTED) == [
        Finding("protected", "fraud-canary-a", "fraud-canary-a/policy", 0, target, "iam:UpdateAssumeRolePolicy")
        for target in sorted([APIGW, DEPLOY, role.arn])
    ]


def test_canary_a_wildcards_on_boundary_and_oidc_provider() -> None:
    """``iAm:*PolicyVersion`` (case-insensitive, wildcard) on ``policy/fraud-*``: the boundary and each of
    the deploy role's own managed policies; ``iam:Tag*`` on the provider."""
    role = canary_role(
        "fraud-canary-a2",
        [
            {"Effect": "Allow", "Action": "iAm:*PolicyVersion", "Resource": "arn:aws:iam::123456789012:policy/fraud-*"},
            {"Effect": "Allow", "Action": "iam:Tag*", "Resource": "arn:aws:iam::*:oidc-provider/*"},
        ],
    )
    versions = "iam:CreatePolicyVersion,iam:DeletePolicyVersion,iam:SetDefaultPolicyVersion"
    assert evaluate_role(role, PROTECTED) == sorted(
        [
            *(
                Finding("protected", "fraud-canary-a2", "fraud-canary-a2/policy", 0, policy, versions)
                for policy in (BOUNDARY, *DEPLOY_POLICIES)
            ),
            Finding("protected", "fraud-canary-a2", "fraud-canary-a2/policy", 1, OIDC, "iam:TagOpenIDConnectProvider"),
        ]
    )


def test_canary_a_deploy_policies_rewritten_or_deleted() -> None:
    """The deploy role's own managed policies: a new version or deletion is reported, unless denied."""
    policies = "arn:aws:iam::123456789012:policy/fraud-github-deploy-us-east-1-*"
    grant = {"Effect": "Allow", "Action": ["iam:CreatePolicyVersion", "iam:DeletePolicy"], "Resource": policies}
    role = canary_role("fraud-canary-a3", [grant])
    found = "iam:CreatePolicyVersion,iam:DeletePolicy"
    assert evaluate_role(role, PROTECTED) == [
        Finding("protected", "fraud-canary-a3", "fraud-canary-a3/policy", 0, policy, found)
        for policy in sorted(DEPLOY_POLICIES)
    ]
    deny = {"Effect": "Deny", "Action": "iam:*", "Resource": policies}
    assert evaluate_role(canary_role("fraud-canary-a3", [grant, deny]), PROTECTED) == []


def test_canary_b_create_role_without_boundary_condition() -> None:
    role = canary_role(
        "fraud-canary-b",
        [
            {"Effect": "Allow", "Action": "iam:CreateRole", "Resource": FUNCTION_ROLES},
            # A condition on the wrong ARN, or a non-equality test, is no boundary requirement either.
            {
                "Effect": "Allow",
                "Action": "iam:PutRolePolicy",
                "Resource": FUNCTION_ROLES,
                "Condition": {"StringLike": {"iam:PermissionsBoundary": BOUNDARY}},
            },
            {
                "Effect": "Allow",
                "Action": "iam:AttachRolePolicy",
                "Resource": FUNCTION_ROLES,
                "Condition": {
                    "ArnEquals": {"iam:PermissionsBoundary": [BOUNDARY, "arn:aws:iam::123456789012:policy/x"]}
                },
            },
            {
                "Effect": "Allow",
                "Action": "iam:PutRolePermissionsBoundary",
                "Resource": FUNCTION_ROLES,
                "Condition": WITH_BOUNDARY,
            },
        ],
    )
    assert evaluate_role(role, PROTECTED) == [
        Finding("boundary", "fraud-canary-b", "fraud-canary-b/policy", 0, "iam:CreateRole"),
        Finding("boundary", "fraud-canary-b", "fraud-canary-b/policy", 1, "iam:PutRolePolicy"),
        Finding("boundary", "fraud-canary-b", "fraud-canary-b/policy", 2, "iam:AttachRolePolicy"),
    ]


def test_canary_c_pass_role_without_explicit_service() -> None:
    role = canary_role(
        "fraud-canary-c",
        [
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": FUNCTION_ROLES},
            {
                "Effect": "Allow",
                "Action": "iam:Pass*",
                "Resource": FUNCTION_ROLES,
                "Condition": {"StringLike": {"iam:PassedToService": "*.amazonaws.com"}},
            },
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": FUNCTION_ROLES, "Condition": TO_LAMBDA},
        ],
    )
    assert evaluate_role(role, PROTECTED) == [
        Finding("passrole", "fraud-canary-c", "fraud-canary-c/policy", 0, "iam:PassRole"),
        Finding("passrole", "fraud-canary-c", "fraud-canary-c/policy", 1, "iam:PassRole"),
    ]


def test_canary_d_allow_with_not_action_or_not_resource() -> None:
    role = canary_role(
        "fraud-canary-d",
        [
            {"Effect": "Allow", "NotAction": ["iam:*", "kms:*", "sts:*"], "Resource": "arn:aws:s3:::fraud-x/*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"},
            {"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"},  # NotAction in a Deny is fine
        ],
    )
    assert evaluate_role(role, PROTECTED) == [
        Finding("not-action", "fraud-canary-d", "fraud-canary-d/policy", 0, "NotAction"),
        Finding("not-action", "fraud-canary-d", "fraud-canary-d/policy", 1, "NotResource"),
    ]


def test_canary_e_question_mark_in_action() -> None:
    role = canary_role(
        "fraud-canary-e", [{"Effect": "Allow", "Action": "s3:GetObjec?", "Resource": "arn:aws:s3:::b/*"}]
    )
    assert evaluate_role(role, PROTECTED) == [
        Finding("question-mark", "fraud-canary-e", "fraud-canary-e/policy", 0, "s3:GetObjec?")
    ]


# --- Deny handling (the condition rule in iam_evaluator's docstring) --------------------------------

IAM_ON_ROLES = {"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::123456789012:role/fraud-*"}
PROTECTED_ROLES = [DEPLOY, APIGW, "arn:aws:iam::123456789012:role/fraud-batch-dev"]


def _protected_findings(statements: list[dict], boundary: list[dict] | None = None) -> set[str]:
    role = canary_role("fraud-batch-dev", statements)
    if boundary is not None:
        role.boundary = RenderedPolicy("b", "managed", "b", {"Version": "2012-10-17", "Statement": boundary})
    return {f.subject for f in evaluate_role(role, PROTECTED) if f.check == "protected"}


def test_unconditional_deny_removes_the_allow() -> None:
    deny = {"Effect": "Deny", "Action": "iam:*", "Resource": PROTECTED_ROLES}
    assert _protected_findings([IAM_ON_ROLES]) == set(PROTECTED_ROLES)
    assert _protected_findings([IAM_ON_ROLES, deny]) == set()


def test_deny_of_some_actions_leaves_the_others() -> None:
    deny = {"Effect": "Deny", "Action": ["iam:Delete*", "iam:Put*"], "Resource": "*"}
    role = canary_role("fraud-batch-dev", [IAM_ON_ROLES, deny])
    findings = [f for f in evaluate_role(role, PROTECTED) if f.check == "protected"]
    assert {f.subject for f in findings} == set(PROTECTED_ROLES)
    left = set(findings[0].detail.split(","))
    assert left == {a for a in IAM_WRITE_ACTIONS["role"] if not a.startswith(("iam:Delete", "iam:Put"))}


def test_deny_with_an_avoidable_condition_does_not_count() -> None:
    for condition in (
        {"StringNotEquals": {"iam:PermissionsBoundary": BOUNDARY}},
        {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
        {"ForAnyValue:StringEquals": {"aws:PrincipalArn": ["arn:aws:iam::123456789012:role/fraud-batch-dev"]}},
    ):
        deny = {"Effect": "Deny", "Action": "iam:*", "Resource": PROTECTED_ROLES, "Condition": condition}
        assert _protected_findings([IAM_ON_ROLES, deny]) == set(PROTECTED_ROLES), condition


def test_deny_on_the_principal_itself_counts() -> None:
    own = "arn:aws:iam::123456789012:role/fraud-batch-dev"
    for condition, counts in (
        ({"ArnEquals": {"aws:PrincipalArn": own}}, True),
        ({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/fraud-*"}}, True),
        ({"StringEquals": {"aws:PrincipalAccount": "123456789012"}}, True),
        ({"ArnNotEquals": {"aws:PrincipalArn": DEPLOY}}, True),
        ({"ArnEquals": {"aws:PrincipalArn": DEPLOY}}, False),  # another principal: does not apply to us
    ):
        deny = {"Effect": "Deny", "Action": "iam:*", "Resource": PROTECTED_ROLES, "Condition": condition}
        expected = set() if counts else set(PROTECTED_ROLES)
        assert _protected_findings([IAM_ON_ROLES, deny]) == expected, condition


def test_boundary_denies_but_never_grants() -> None:
    deny = {"Effect": "Deny", "Action": "iam:*", "Resource": PROTECTED_ROLES}
    grant_all = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    assert _protected_findings([IAM_ON_ROLES], boundary=[grant_all, deny]) == set()
    assert _protected_findings([], boundary=[grant_all]) == set()


def test_matching() -> None:
    assert action_matches("IAM:put*", "iam:PutRolePolicy")
    assert action_matches("iam:?assRole", "iam:PassRole")
    assert not action_matches("iam:Pass", "iam:PassRole")
    assert action_matches("*", "iam:PassRole")
    assert resource_matches("arn:aws:iam::*:role/fraud-*", DEPLOY)
    assert not resource_matches("arn:aws:iam::*:role/Fraud-*", DEPLOY)  # ARNs are case-sensitive
    assert resource_matches("arn:aws:iam::123456789012:role/${aws:username}", DEPLOY)  # Allow: a variable is anything
    assert not resource_matches("arn:aws:iam::123456789012:role/${aws:username}", DEPLOY, deny=True)


def test_canary_the_old_deploy_role_end_to_end() -> None:
    """Render + evaluate, from synthesized-style JSON with tokens: the deploy role as it was before the
    least-privilege rewrite (``iam:*`` on ``role/fraud-*`` and the OIDC provider) is reported."""
    arn = "arn:${data.aws_partition.p.partition}:iam::${data.aws_caller_identity.c.account_id}"
    stack = {
        "data": {
            "aws_iam_policy_document": {
                "policy": {
                    "statement": [
                        {
                            "sid": "IamRolesByNamePrefix",
                            "actions": ["iam:*"],
                            "resources": [f"{arn}:role/fraud-*", f"{arn}:{OIDC.split(':', 5)[5]}"],
                        }
                    ]
                },
                "trust": {
                    "statement": [
                        {"actions": ["sts:AssumeRole"], "principals": [{"type": "AWS", "identifiers": ["*"]}]}
                    ]
                },
            }
        },
        "resource": {
            "aws_iam_role": {
                "role": {
                    "//": {"metadata": {"path": "bootstrap/github-deploy/role"}},
                    "name": "fraud-github-deploy-${data.aws_region.r.name}",
                    "assume_role_policy": "${data.aws_iam_policy_document.trust.json}",
                }
            },
            "aws_iam_role_policy": {
                "policy": {
                    "//": {"metadata": {"path": "bootstrap/github-deploy/role-policy"}},
                    "role": "${aws_iam_role.role.id}",
                    "policy": "${data.aws_iam_policy_document.policy.json}",
                }
            },
        },
    }
    policies = render_variant("old", {"bootstrap": stack})
    assert policies.problems == [] and policies.unresolved == set()
    findings = evaluate_roles(policies.roles.values(), PROTECTED)
    role, policy = "old/bootstrap/github-deploy/role", "old/bootstrap/github-deploy/role-policy"
    all_role_actions = ",".join(IAM_WRITE_ACTIONS["role"])
    assert findings == sorted(
        [
            *(Finding("boundary", role, policy, 0, action) for action in BOUNDARY_ACTIONS),
            Finding("passrole", role, policy, 0, "iam:PassRole"),
            Finding("protected", role, policy, 0, APIGW, all_role_actions),
            Finding("protected", role, policy, 0, DEPLOY, all_role_actions),
            Finding("protected", role, policy, 0, OIDC, ",".join(IAM_WRITE_ACTIONS["oidc-provider"])),
        ]
    )
