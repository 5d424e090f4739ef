"""The renderer turns every variant's IAM policies into real IAM JSON, tokens substituted, per role."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from stacks.config import api_gateway_cloudwatch_role_name, deploy_role_name, permissions_boundary_name
from tests.conftest import VARIANTS

from .iam_render import (
    ACCOUNT,
    VERSION,
    TokenResolver,
    VariantPolicies,
    fake_arn,
    iter_documents,
    render_statement,
    render_variant,
)

pytestmark = pytest.mark.synth

IAM_ELEMENTS = {
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_role_and_policy_is_rendered(
    variant: str, variant_stacks: Callable[[str], dict[str, dict]], rendered: Callable[[str], VariantPolicies]
) -> None:
    stacks = variant_stacks(variant)
    policies = rendered(variant)
    declared_roles = sum(len(s.get("resource", {}).get("aws_iam_role", {})) for s in stacks.values())
    declared_inline = sum(len(s.get("resource", {}).get("aws_iam_role_policy", {})) for s in stacks.values())
    declared_managed = sum(len(s.get("resource", {}).get("aws_iam_policy", {})) for s in stacks.values())
    assert policies.problems == []
    assert policies.unresolved == set(), "tokens left unresolved (rendered as fake ARNs)"
    assert len(policies.roles) == declared_roles > 0
    assert len(policies.inline) >= declared_inline
    assert len(policies.managed) == declared_managed
    for role in policies.roles.values():
        assert role.name.startswith(f"{variant}/{role.stack}/")
        assert role.arn == f"arn:aws:iam::{ACCOUNT}:role/{role.role_name}"
        assert role.trust is not None and role.trust.statements, f"{role.name}: no trust policy"
        assert role.grants, f"{role.name}: grants nothing at all (a role without a policy is suspicious)"
        if role.boundary_arn is not None:
            assert role.boundary is not None and role.boundary not in role.grants
    for policy in [*policies.identity_policies, *(r.trust for r in policies.roles.values() if r.trust)]:
        text = json.dumps(policy.document)
        assert "${" not in text, f"{policy.name}: a Terraform token survived"
        assert policy.document["Version"] == VERSION
        assert policy.statements, f"{policy.name}: no statement"
        for statement in policy.statements:
            assert set(statement) <= IAM_ELEMENTS
            assert statement["Effect"] in ("Allow", "Deny")
        assert policy.name.startswith(f"{variant}/")


def test_roles_per_variant(rendered: Callable[[str], VariantPolicies]) -> None:
    """The matrix really differs: only the privileged variant has the GitHub deploy role."""
    region = "us-east-1"
    for variant in VARIANTS:
        names = set(rendered(variant).roles)
        assert api_gateway_cloudwatch_role_name(region) in names
        assert (deploy_role_name(region) in names) is (variant == "privileged"), variant
    deploy = rendered("privileged").roles[deploy_role_name(region)]
    assert deploy.name == "privileged/bootstrap/github-deploy/role"
    trust = deploy.trust.statements[0] if deploy.trust else {}
    assert trust["Principal"] == {
        "Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    }
    # The state bucket's ARN is built from its `bucket` attribute, tokens and all.
    state = [s for p in deploy.grants for s in p.statements if s.get("Action") == "s3:ListBucket"]
    assert state and state[0]["Resource"] == f"arn:aws:s3:::fraud-tfstate-{ACCOUNT}-{region}"


def test_privileged_boundary_is_a_managed_policy_not_a_grant(rendered: Callable[[str], VariantPolicies]) -> None:
    """The permissions boundary is rendered (it is an identity policy for the analyzers) but is no
    role's grant; every role that names it finds it."""
    policies = rendered("privileged")
    arn = f"arn:aws:iam::{ACCOUNT}:policy/{permissions_boundary_name('us-east-1')}"
    assert arn in policies.managed, f"no boundary policy {arn} in {sorted(policies.managed)}"
    boundary = policies.managed[arn]
    assert boundary.name.startswith("privileged/bootstrap/")
    for role in policies.roles.values():
        assert boundary not in role.grants, role.name
        if role.boundary_arn is not None:
            assert role.boundary is boundary, role.name


def test_token_substitution() -> None:
    stack = {
        "data": {"aws_ecr_repository": {"repo": {"name": "fraud-detection-dev"}}},
        "resource": {
            "aws_s3_bucket": {"b": {"bucket": "fraud-audit-${data.aws_caller_identity.c.account_id}"}},
            "aws_ssm_parameter": {"p": {"name": "/fraud-detection/dev/settings"}},
            "aws_iam_role": {"r": {"name": "fraud-x-${data.aws_region.r.name}"}},
            "aws_lambda_function": {"f": {"function_name": "fraud-batch-dev"}},
            "aws_lambda_alias": {"a": {"name": "live", "function_name": "${aws_lambda_function.f.function_name}"}},
            "aws_dynamodb_table": {"t": {"name": "fraud-patterns-dev"}},
            "aws_sns_topic": {"t": {"name": "fraud-alerts-dev"}},
            "aws_sqs_queue": {"q": {"name": "fraud-dlq-dev"}},
            "aws_iam_openid_connect_provider": {"o": {"url": "https://token.actions.githubusercontent.com"}},
            "aws_subnet": {"s": {"vpc_id": "${aws_vpc.v.id}"}},
            "aws_security_group": {"g": {"name": "fraud-functions-dev"}},
        },
    }
    r = TokenResolver(stack)
    assert r.resolve("arn:${data.aws_partition.p.partition}:logs.${data.aws_partition.p.dns_suffix}") == (
        "arn:aws:logs.amazonaws.com"
    )
    assert r.resolve("${aws_s3_bucket.b.arn}/reports/*") == f"arn:aws:s3:::fraud-audit-{ACCOUNT}/reports/*"
    assert r.resolve("${aws_ssm_parameter.p.arn}") == (
        f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/fraud-detection/dev/settings"
    )
    assert r.resolve("${aws_iam_role.r.id}") == "fraud-x-us-east-1"
    assert r.resolve("${aws_iam_role.r.arn}") == f"arn:aws:iam::{ACCOUNT}:role/fraud-x-us-east-1"
    assert r.resolve("${aws_lambda_alias.a.arn}") == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fraud-batch-dev:live"
    assert r.resolve("${aws_dynamodb_table.t.stream_arn}").startswith(
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/fraud-patterns-dev/stream/"
    )
    assert r.resolve("${aws_iam_openid_connect_provider.o.arn}") == (
        f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    )
    assert r.resolve("${data.aws_ecr_repository.repo.name}") == "fraud-detection-dev"
    assert r.resolve("${aws_sns_topic.t.id}") == f"arn:aws:sns:us-east-1:{ACCOUNT}:fraud-alerts-dev"  # id = ARN
    assert r.resolve("${aws_sqs_queue.q.id}") == f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/fraud-dlq-dev"
    assert r.resolve("${aws_sqs_queue.q.name}") == "fraud-dlq-dev"
    # EC2 resources have generated ids: a stable fake one, in the ARN EC2 would give it
    subnet = r.resolve("${aws_subnet.s.arn}")
    assert re.fullmatch(rf"arn:aws:ec2:us-east-1:{ACCOUNT}:subnet/subnet-[0-9a-f]{{17}}", subnet)
    assert subnet.endswith(r.resolve("${aws_subnet.s.id}")) and subnet == r.resolve("${aws_subnet.s.arn}")
    assert re.fullmatch(
        rf"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-[0-9a-f]{{17}}", r.resolve("${aws_security_group.g.arn}")
    )
    assert r.unresolved == set()
    # Unresolvable: an unknown resource, an attribute without a rule, an expression.
    assert r.resolve("${aws_sqs_queue.missing.arn}") == fake_arn("aws_sqs_queue.missing.arn")
    assert r.resolve("${aws_lambda_function.f.invoke_arn}").startswith("arn:aws:unresolved:us-east-1:123456789012:")
    assert r.resolve("${jsonencode(local.x)}").startswith("arn:aws:unresolved:")
    assert r.unresolved == {"aws_sqs_queue.missing.arn", "aws_lambda_function.f.invoke_arn", "jsonencode(local.x)"}


def test_roles_group_inline_attached_and_boundary() -> None:
    """Inline + role_policy + attached managed policies are the grants; the boundary is separate."""
    doc = {"Version": VERSION, "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    meta = {"//": {"metadata": {"path": "s/thing"}}}
    stacks = {
        "s": {
            "resource": {
                "aws_iam_policy": {
                    "managed": {"name": "m", "policy": json.dumps(doc)} | meta,
                    "boundary": {"name": "b", "policy": json.dumps(doc)},
                },
                "aws_iam_role": {
                    "r": {
                        "name": "role-r",
                        "assume_role_policy": json.dumps(doc),
                        "inline_policy": [{"name": "in", "policy": json.dumps(doc)}],
                        "permissions_boundary": "${aws_iam_policy.boundary.arn}",
                    }
                },
                "aws_iam_role_policy": {"rp": {"role": "${aws_iam_role.r.id}", "policy": json.dumps(doc)}},
                "aws_iam_role_policy_attachment": {
                    "att": {"role": "${aws_iam_role.r.name}", "policy_arn": "${aws_iam_policy.managed.arn}"}
                },
            }
        }
    }
    policies = render_variant("v", stacks)
    assert policies.problems == []
    role = policies.roles["role-r"]
    assert [p.name for p in role.grants] == ["v/aws_iam_role.r/inline/in", "v/aws_iam_role_policy.rp", "v/s/thing"]
    assert role.boundary is not None and role.boundary.name == "v/aws_iam_policy.boundary"
    assert role.boundary not in role.grants
    assert {p.name for p in policies.identity_policies} == {
        "v/aws_iam_role.r/inline/in",
        "v/aws_iam_role_policy.rp",
        "v/s/thing",
        "v/aws_iam_policy.boundary",
    }
    # the analyzers judge a role holding several policies on their union, and the boundary on its own
    documents = dict(iter_documents(policies))
    assert set(documents) == {"v/aws_iam_policy.boundary", "v/aws_iam_role.r/grants"}
    assert documents["v/aws_iam_role.r/grants"]["Statement"] == [s for _, s in role.statements]
    assert len(documents["v/aws_iam_role.r/grants"]["Statement"]) == 3


def test_the_deploy_role_is_analyzed_as_the_union_of_its_managed_policies(
    rendered: Callable[[str], VariantPolicies],
) -> None:
    policies = rendered("privileged")
    deploy = policies.roles[deploy_role_name("us-east-1")]
    assert len(deploy.grants) > 1 and all(p.kind == "managed" for p in deploy.grants)
    documents = dict(iter_documents(policies))
    union = documents[f"{deploy.name}/grants"]["Statement"]
    assert len(union) == sum(len(p.statements) for p in deploy.grants)
    assert not {p.name for p in deploy.grants} & set(documents)
    # every other role holds one policy, judged on its own
    assert all(len(r.grants) == 1 for r in policies.roles.values() if r is not deploy)


def test_unreadable_or_unattached_policy_is_a_problem() -> None:
    stacks = {
        "s": {
            "resource": {
                "aws_iam_role": {"r": {"name": "r", "assume_role_policy": "${jsonencode(local.trust)}"}},
                "aws_iam_role_policy_attachment": {
                    "a": {"role": "r", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}
                },
                "aws_iam_user_policy": {"u": {"user": "someone", "policy": "{}"}},
            }
        }
    }
    problems = render_variant("v", stacks).problems
    assert any("cannot be read statically" in p for p in problems)
    assert any("arn:aws:iam::aws:policy/AdministratorAccess is not rendered" in p for p in problems)
    assert "v/s: aws_iam_user_policy is not rendered (extend iam_render.py)" in problems


def test_render_statement_keeps_not_elements_and_conditions() -> None:
    from fraud_constructs.policy.statement_reader import Condition, Statement

    statement = Statement(
        effect="allow",
        not_actions=("iam:*",),
        not_resources=("arn:aws:s3:::x",),
        principals=(("Service", "lambda.amazonaws.com"),),
        conditions=(Condition("Bool", "aws:SecureTransport", ("true",)),),
    )
    assert render_statement(statement) == {
        "Effect": "Allow",
        "NotAction": "iam:*",
        "NotResource": "arn:aws:s3:::x",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Condition": {"Bool": {"aws:SecureTransport": ["true"]}},
    }
