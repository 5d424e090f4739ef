"""The GitHub deploy role on the privileged variant: trust, least privilege, boundary, denies, state.

Structural assertions on the synthesized JSON; the evaluator and the analyzers in tests/security
judge the same policies as IAM would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.config import load_config
from tests.conftest import STATE_KEY_ARN, TEST_CONTEXT, VARIANT_CONTEXTS, _synth, read_stacks
from tests.constructs.app_helpers import by_path, document_statements
from tests.tfjson import resources

pytestmark = pytest.mark.synth

ROOT = Path(__file__).resolve().parents[2]
PRIVILEGED = load_config(VARIANT_CONTEXTS["privileged"], {})
BOUNDARY_ARN = re.compile(
    r"arn:\$\{data\.aws_partition\.[\w-]+\.partition\}:iam::\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}"
    r":policy/fraud-permissions-boundary-\$\{data\.aws_region\.[\w-]+\.name\}"
)


@pytest.fixture(scope="module")
def bootstrap(variant_stacks: Callable[[str], dict[str, dict]]) -> dict:
    return variant_stacks("privileged")["bootstrap"]


@pytest.fixture(scope="module")
def deploy(bootstrap: dict) -> dict[str, dict[str, Any]]:
    return {s["sid"]: s for s in document_statements(bootstrap, "bootstrap/github-deploy/policy")}


def allows(deploy: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in deploy.values() if s.get("effect", "Allow") == "Allow"]


def conditions(statement: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["variable"]: c for c in statement.get("condition", [])}


def test_trust_accepts_exactly_each_deploy_environment(bootstrap: dict) -> None:
    (trust,) = document_statements(bootstrap, "bootstrap/github-deploy/trust")
    found = conditions(trust)
    sub = found["token.actions.githubusercontent.com:sub"]
    assert sub["test"] == "StringEquals"
    assert sub["values"] == [
        "repo:example-org/fraud-detection:environment:staging",
        "repo:example-org/fraud-detection:environment:prod",
    ]
    assert not any("*" in value or "?" in value for value in sub["values"])
    assert found["token.actions.githubusercontent.com:aud"]["values"] == ["sts.amazonaws.com"]


def test_workflow_deploys_exactly_the_environments_the_role_trusts() -> None:
    """The deploy job's matrix is the set of GitHub environments; the trust comes from deployEnvironments."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    job = workflow["jobs"]["deploy"]
    assert job["environment"] == "${{ matrix.environment }}"
    assert job["env"]["FRAUD_ENVIRONMENT"] == "${{ matrix.environment }}"
    context = json.loads((ROOT / "cdktf.json").read_text())["context"]
    configured = load_config(context, {}).deploy_environments
    assert job["strategy"]["matrix"]["environment"] == list(configured)
    assert job["strategy"]["max-parallel"] == 1


def test_an_existing_oidc_provider_is_reused_by_arn(tmp_path: Path) -> None:
    arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    config = load_config({**VARIANT_CONTEXTS["privileged"], "githubOidcProviderArn": arn}, {})
    doc = read_stacks(_synth(config, tmp_path))["bootstrap"]
    assert resources(doc, "aws_iam_openid_connect_provider") == {}
    (trust,) = document_statements(doc, "bootstrap/github-deploy/trust")
    assert trust["principals"][0]["identifiers"] == [arn]
    deny = {s["sid"]: s for s in document_statements(doc, "bootstrap/github-deploy/policy")}
    assert arn in deny["DenyTouchingItselfAndBootstrap"]["resources"]


def test_allows_name_explicit_actions_only(deploy: dict[str, dict[str, Any]]) -> None:
    for statement in allows(deploy):
        assert "not_actions" not in statement and "not_resources" not in statement, statement["sid"]
        for action in statement["actions"]:
            assert "*" not in action and "?" not in action, (statement["sid"], action)


def test_iam_actions_only_on_the_function_roles(deploy: dict[str, dict[str, Any]]) -> None:
    expected = {f"fraud-{fn}-{env}-" for env in PRIVILEGED.deploy_environments for fn in ("webhook", "stream", "batch")}
    iam = [s for s in allows(deploy) if any(a.startswith("iam:") for a in s["actions"])]
    assert iam, "the deploy role must be able to manage the function roles"
    for statement in iam:
        assert all(a.startswith("iam:") for a in statement["actions"]), statement["sid"]
        # role/<name>-${region token}: the literal part names exactly the function roles
        names = {r.split(":role/")[1].split("$")[0] for r in statement["resources"]}
        assert names == expected, (statement["sid"], names)


def test_roles_are_created_only_with_the_boundary(deploy: dict[str, dict[str, Any]]) -> None:
    gated = deploy["CreateRolesOnlyWithTheBoundary"]
    assert {"iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"} <= set(gated["actions"])
    boundary = conditions(gated)["iam:PermissionsBoundary"]
    assert boundary["test"] == "StringEquals"
    (arn,) = boundary["values"]
    assert BOUNDARY_ARN.fullmatch(arn), arn
    deny = deploy["DenyRoleChangesWithoutBoundary"]
    assert deny["effect"] == "Deny" and conditions(deny)["iam:PermissionsBoundary"]["test"] == "StringNotEquals"
    assert deploy["DenyBoundaryRemoval"]["actions"][0] == "iam:DeleteRolePermissionsBoundary"
    for statement in allows(deploy):
        if statement["sid"] != "CreateRolesOnlyWithTheBoundary":
            assert not {"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"} & set(statement["actions"])


def test_pass_role_names_its_services(deploy: dict[str, dict[str, Any]]) -> None:
    passing = [s for s in allows(deploy) if "iam:PassRole" in s["actions"]]
    assert [s["sid"] for s in passing] == ["PassOwnedRolesToNamedServices"]
    passed = conditions(passing[0])["iam:PassedToService"]
    assert passed == {"test": "StringEquals", "variable": "iam:PassedToService", "values": ["lambda.amazonaws.com"]}


def test_denies_protect_itself_bootstrap_boundary_and_provider(deploy: dict[str, dict[str, Any]]) -> None:
    deny = deploy["DenyTouchingItselfAndBootstrap"]
    assert deny["effect"] == "Deny" and deny["actions"] == ["iam:*"]
    tails = sorted(r.split(":", 5)[5].split("$")[0] for r in deny["resources"])
    assert tails == [
        "oidc-provider/token.actions.githubusercontent.com",
        "policy/fraud-permissions-boundary-",
        "role/fraud-apigw-cloudwatch-",
        "role/fraud-github-deploy-",
    ]


def test_no_kms_through_tags_and_the_state_key_is_protected(deploy: dict[str, dict[str, Any]], bootstrap: dict) -> None:
    for statement in deploy.values():
        assert not any(c["variable"].startswith("aws:ResourceTag/") for c in statement.get("condition", []))
        assert "kms:*" not in statement["actions"] or statement["effect"] == "Deny"
    create = deploy["CreateTaggedKeys"]
    assert set(create["actions"]) == {"kms:CreateKey", "kms:TagResource"} and create["resources"] == ["*"]
    assert conditions(create)["aws:RequestTag/project"]["values"] == ["fraud-detection"]
    kms_allows = [s for s in allows(deploy) if any(a.startswith("kms:") for a in s["actions"])]
    for statement in kms_allows:
        if statement["sid"] == "RetireRegistryGrants":  # only keys aliased as a registry key
            aliases = conditions(statement)["kms:ResourceAliases"]
            assert aliases["test"] == "ForAnyValue:StringEquals"
            assert aliases["values"] == [f"alias/fraud-registry-{env}" for env in PRIVILEGED.deploy_environments]
            assert statement["actions"] == ["kms:RetireGrant"]
        elif statement["sid"] not in {"CreateTaggedKeys", "KeyAliases", "ReadOnlyListings"}:
            assert statement["resources"] == ["${aws_kms_key.state-key_753BFC90.arn}"], statement["sid"]
    state_key = deploy["DenyStateKeyLoss"]
    assert {"kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"} <= set(state_key["actions"])
    assert state_key["resources"] == ["${aws_kms_key.state-key_753BFC90.arn}"]


def test_s3_statements_are_this_account_only(deploy: dict[str, dict[str, Any]]) -> None:
    for statement in allows(deploy):
        if statement["actions"] == ["s3:CreateBucket"]:
            continue  # the bucket has no owner before it exists; CreateBucket creates in the caller's account
        if any(a.startswith("s3:") for a in statement["actions"]):
            account = conditions(statement)["s3:ResourceAccount"]
            assert account["test"] == "StringEquals" and account["values"][0].endswith(".account_id}")
        assert not any(a == "s3:*" for a in statement["actions"])


def test_state_history_and_governance_retention_are_denied(deploy: dict[str, dict[str, Any]]) -> None:
    history = deploy["DenyStateHistoryLoss"]
    assert {"s3:DeleteObjectVersion", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"} <= set(history["actions"])
    assert history["resources"] == [
        "${aws_s3_bucket.state-bucket_828F7150.arn}",
        "${aws_s3_bucket.state-bucket_828F7150.arn}/*",
    ]
    bypass = deploy["DenyGovernanceBypass"]
    assert bypass["actions"] == ["s3:BypassGovernanceRetention"]
    assert all(r.startswith("arn:${data.aws_partition") and ":s3:::fraud-audit-" in r for r in bypass["resources"])
    # staging and prod are protected: no object deletion grant on their audit buckets
    assert "AuditObjectsOnDestroy" not in deploy


def test_boundary_covers_every_function_grant(
    variant_stacks: Callable[[str], dict[str, dict]], bootstrap: dict
) -> None:
    boundary = document_statements(bootstrap, "bootstrap/github-deploy/boundary-policy")
    ceiling = {a for s in boundary for a in s["actions"]}
    app = variant_stacks("privileged")["app"]
    for fn in ("webhook", "stream", "batch"):
        role = by_path(app, "aws_iam_role", f"app/compute/{fn}/role")
        assert BOUNDARY_ARN.fullmatch(role["permissions_boundary"]), role["permissions_boundary"]
        for statement in document_statements(app, f"app/compute/{fn}/policy"):
            assert set(statement["actions"]) <= ceiling, (fn, statement["sid"], set(statement["actions"]) - ceiling)
    policy = next(iter(resources(bootstrap, "aws_iam_policy").values()))
    assert policy["name"].startswith("fraud-permissions-boundary-")


def test_function_roles_have_no_boundary_without_a_deploy_role(synthesized: dict[str, dict]) -> None:
    role = by_path(synthesized["app"], "aws_iam_role", "app/compute/webhook/role")
    assert "permissions_boundary" not in role


def test_s3_backend_writes_with_the_state_key(variant_stacks: Callable[[str], dict[str, dict]]) -> None:
    for name, doc in variant_stacks("privileged").items():
        backend = doc["terraform"]["backend"]["s3"]
        assert backend["kms_key_id"] == STATE_KEY_ARN and backend["encrypt"] is True, name
        assert backend["use_lockfile"] is True


def test_state_bucket_denies_writes_without_the_state_key(bootstrap: dict) -> None:
    statements = {s["sid"]: s for s in document_statements(bootstrap, "bootstrap/state-bucket/tls-only")}
    deny = statements["DenyWritesWithoutTheStateKey"]
    assert deny["effect"] == "Deny" and deny["actions"] == ["s3:PutObject"]
    assert deny["principals"] == [{"identifiers": ["*"], "type": "*"}]
    assert deny["condition"] == [
        {
            "test": "StringNotEquals",
            "variable": "s3:x-amz-server-side-encryption-aws-kms-key-id",
            "values": ["${aws_kms_key.state-key_753BFC90.arn}"],
        }
    ]


def test_the_dev_default_has_no_deploy_role(synthesized: dict[str, dict]) -> None:
    assert resources(synthesized["bootstrap"], "aws_iam_policy") == {}
    assert TEST_CONTEXT.get("githubRepository") is None


def _between(text: str, marker: str) -> str:
    start, end = f"<!-- {marker}:start -->\n", f"\n<!-- {marker}:end -->"
    assert start in text and end in text, f"README lacks the {marker} markers"
    return text.split(start, 1)[1].split(end, 1)[0]


def test_readme_tables_are_the_code() -> None:
    from stacks.deploy_permissions import boundary_table, markdown_table, readme_config

    readme = (ROOT / "docs" / "security.md").read_text()
    assert _between(readme, "deploy-role-table") == markdown_table(readme_config())
    assert _between(readme, "boundary-table") == boundary_table(readme_config())


def test_xray_encryption_is_an_opt_in_bootstrap_key(bootstrap: dict, synthesized: dict[str, dict]) -> None:
    config = by_path(bootstrap, "aws_xray_encryption_config", "bootstrap/xray-encryption/config")
    assert config["type"] == "KMS"
    assert config["key_id"].startswith("${aws_kms_key.xray-key_") and config["key_id"].endswith(".arn}")
    assert resources(synthesized["bootstrap"], "aws_xray_encryption_config") == {}
