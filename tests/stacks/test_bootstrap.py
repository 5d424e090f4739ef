"""Bootstrap stack: API Gateway logging role/account (opt-in), state bucket, optional GitHub deploy role."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from stacks.config import AppConfig
from tests.support.app_helpers import by_path, document_statements, ref
from tests.tfjson import resources

pytestmark = pytest.mark.synth


def synth_bootstrap(config: AppConfig) -> dict:
    from cdktf import Testing

    from stacks.bootstrap import BootstrapStack

    app = Testing.app()
    stack = BootstrapStack(app, "bootstrap", config)
    return json.loads(Testing.synth(stack))


@pytest.fixture(scope="module")
def with_github(test_config: AppConfig) -> dict:
    return synth_bootstrap(
        replace(test_config, github_repository="acme/fraud-detection", manage_api_gateway_account=False)
    )


def test_stack_order_starts_with_bootstrap() -> None:
    from stacks.assembly import STACK_NAMES

    assert STACK_NAMES == ("bootstrap", "registry", "app")


def test_state_bucket_is_global_unique_versioned_encrypted_private(synthesized: dict[str, dict]) -> None:
    doc = synthesized["bootstrap"]
    bucket = by_path(doc, "aws_s3_bucket", "bootstrap/state-bucket/bucket")
    assert bucket["bucket"].startswith("fraud-tfstate-${data.aws_caller_identity.")
    assert bucket["bucket"].endswith(".name}") and "aws_region" in bucket["bucket"]
    assert bucket.get("force_destroy") is False
    versioning = by_path(doc, "aws_s3_bucket_versioning", "bootstrap/state-bucket/versioning")
    assert versioning["versioning_configuration"]["status"] == "Enabled"
    sse = by_path(doc, "aws_s3_bucket_server_side_encryption_configuration", "bootstrap/state-bucket/encryption")
    rule = sse["rule"][0]["apply_server_side_encryption_by_default"]
    assert rule == {
        "sse_algorithm": "aws:kms",
        "kms_master_key_id": ref(doc, "aws_kms_key", "bootstrap/state-key/key", "arn"),
    }
    block = by_path(doc, "aws_s3_bucket_public_access_block", "bootstrap/state-bucket/public-access")
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    deny, _state_key_only = document_statements(doc, "bootstrap/state-bucket/tls-only")
    assert deny["effect"] == "Deny" and deny["condition"][0]["variable"] == "aws:SecureTransport"


def test_state_key_is_its_own_rotated_key(synthesized: dict[str, dict]) -> None:
    key = by_path(synthesized["bootstrap"], "aws_kms_key", "bootstrap/state-key/key")
    assert key["enable_key_rotation"] is True
    assert len(resources(synthesized["bootstrap"], "aws_kms_key")) == 1


def test_api_gateway_account_points_at_a_least_privilege_role(synthesized: dict[str, dict]) -> None:
    doc = synthesized["bootstrap"]
    account = by_path(doc, "aws_api_gateway_account", "bootstrap/api-gateway-logging/account")
    assert account["cloudwatch_role_arn"] == ref(doc, "aws_iam_role", "bootstrap/api-gateway-logging/role", "arn")
    assert account["reset_on_delete"] is True
    statement, listing = document_statements(doc, "bootstrap/api-gateway-logging/policy")
    assert all(action.startswith("logs:") and "*" not in action for action in statement["actions"])
    assert "*" not in statement["resources"]
    # the one action without a resource type has a statement of its own on "*"
    assert (listing["actions"], listing["resources"]) == (["logs:DescribeLogGroups"], ["*"])
    assert resources(doc, "aws_iam_role_policy_attachment") == {}  # no AWS managed policy
    (trust,) = document_statements(doc, "bootstrap/api-gateway-logging/trust")
    assert trust["principals"][0]["identifiers"][0].startswith("apigateway.")


def test_account_setting_is_opt_in(with_github: dict) -> None:
    assert resources(with_github, "aws_api_gateway_account") == {}
    assert len(resources(with_github, "aws_iam_role")) == 2  # logging role still exists, plus deploy role


def test_no_github_resources_without_a_repository(synthesized: dict[str, dict]) -> None:
    assert resources(synthesized["bootstrap"], "aws_iam_openid_connect_provider") == {}
