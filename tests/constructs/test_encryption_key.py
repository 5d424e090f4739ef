"""EncryptionKey: rotation, alias, and a key policy that lets each service do exactly its job."""

from __future__ import annotations

import json

import pytest

from fraud_constructs.encryption_key import EncryptionKey, EncryptionKeyProps
from tests.tfjson import only, synth_scope

pytestmark = pytest.mark.synth


@pytest.fixture(scope="module")
def full_key() -> dict:
    props = EncryptionKeyProps(
        alias="unit",
        description="unit test key",
        allow_cloudwatch_logs=True,
        log_group_names=("/aws/lambda/fraud-*-unit",),
        allow_eventbridge=True,
        allow_cloudwatch_alarms=True,
        via_services=("dynamodb", "sqs"),
    )

    def build(stack: object) -> None:
        key = EncryptionKey(stack, "key", aws=stack.aws, props=props)
        # Added after the key, as the app stack does for the API execution log group.
        key.allow_log_groups(["API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.api.id}/v1"])

    return synth_scope(build)


def _by_sid(doc: dict) -> dict[str, dict]:
    policy = json.loads(only(doc, "aws_kms_key")["policy"])
    assert policy["Version"] == "2012-10-17"
    return {s["Sid"]: s for s in policy["Statement"]}


def test_rotation_alias_and_deletion_window(full_key: dict) -> None:
    key = only(full_key, "aws_kms_key")
    assert key["enable_key_rotation"] is True
    assert key["deletion_window_in_days"] == 30
    assert only(full_key, "aws_kms_alias")["name"] == "alias/unit"


def test_logs_statement_lists_only_the_named_log_groups(full_key: dict) -> None:
    logs = _by_sid(full_key)["CloudWatchLogsForNamedLogGroups"]
    assert logs["Principal"]["Service"].startswith("logs.${data.aws_region.")
    assert list(logs["Condition"]) == ["ArnLike"]
    ((variable, arns),) = logs["Condition"]["ArnLike"].items()
    assert variable == "kms:EncryptionContext:aws:logs:arn"
    assert [arn.split(":log-group:", 1)[1] for arn in arns] == [
        "/aws/lambda/fraud-*-unit",
        "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.api.id}/v1",
    ]
    assert all(arn.startswith("arn:${data.aws_partition.") and ":logs:${data.aws_region." in arn for arn in arns)


def test_logs_need_a_named_log_group() -> None:
    props = EncryptionKeyProps(alias="logs", description="logs", allow_cloudwatch_logs=True)
    with pytest.raises(Exception, match="no log group is named"):
        synth_scope(lambda stack: EncryptionKey(stack, "key", aws=stack.aws, props=props))
    with pytest.raises(ValueError, match="allow_cloudwatch_logs"):
        synth_scope(
            lambda stack: EncryptionKey(
                stack,
                "key",
                aws=stack.aws,
                props=EncryptionKeyProps(alias="x", description="x", log_group_names=("/aws/lambda/x",)),
            )
        )


def test_eventbridge_and_alarms_carry_no_undocumented_condition(full_key: dict) -> None:
    """AWS documents no condition key for these service principals on a queue's or topic's key; an
    aws:SourceAccount the service does not send would drop DLQ messages and alarm notifications."""
    statements = _by_sid(full_key)
    for sid, service, actions in (
        ("EventBridgeToEncryptedQueues", "events.", ["kms:Decrypt", "kms:GenerateDataKey"]),
        ("CloudWatchAlarmsToEncryptedTopics", "cloudwatch.", ["kms:Decrypt", "kms:GenerateDataKey*"]),
    ):
        statement = statements[sid]
        assert statement["Principal"]["Service"].startswith(service)
        assert statement["Action"] == actions
        assert "Condition" not in statement


def test_no_service_statement_uses_source_account(full_key: dict) -> None:
    assert "aws:SourceAccount" not in json.dumps(_by_sid(full_key))


def test_via_service_statement_needs_caller_account_and_service(full_key: dict) -> None:
    statement = _by_sid(full_key)["AccountPrincipalsThroughServices"]
    variables = statement["Condition"]["StringEquals"]
    assert set(variables) == {"kms:CallerAccount", "kms:ViaService"}
    assert [v.split(".")[0] for v in variables["kms:ViaService"]] == ["dynamodb", "sqs"]
    assert statement["Principal"]["AWS"].endswith(":root")


def test_service_statements_are_opt_in() -> None:
    props = EncryptionKeyProps(alias="bare", description="bare", allow_cloudwatch_logs=False)
    doc = synth_scope(lambda stack: EncryptionKey(stack, "key", aws=stack.aws, props=props))
    assert list(_by_sid(doc)) == ["AccountAdministers"]


def test_deletion_window_is_validated() -> None:
    with pytest.raises(ValueError, match="deletion_window_in_days"):
        synth_scope(
            lambda stack: EncryptionKey(
                stack,
                "key",
                aws=stack.aws,
                props=EncryptionKeyProps(alias="x", description="x", deletion_window_in_days=3),
            )
        )


ROLE_ARN = "arn:aws:iam::123456789012:role/fraud-github-deploy-us-east-1"


def _key_with_role(**overrides: object) -> dict[str, dict]:
    props = EncryptionKeyProps(
        alias="managed", description="managed", via_services=("dynamodb", "ecr"), deploy_role_arn=ROLE_ARN, **overrides
    )
    return _by_sid(synth_scope(lambda stack: EncryptionKey(stack, "key", aws=stack.aws, props=props)))


def test_deploy_role_manages_the_key_and_creates_encrypted_resources_through_services() -> None:
    statements = _key_with_role()
    manage = statements["DeployRoleManagesKey"]
    assert manage["Principal"] == {"AWS": ROLE_ARN} and manage["Effect"] == "Allow"
    # Terraform's whole key lifecycle, and PutKeyPolicy for KMS's lockout safety check (the role creates the key).
    assert {
        "kms:DescribeKey",
        "kms:GetKeyPolicy",
        "kms:PutKeyPolicy",
        "kms:GetKeyRotationStatus",
        "kms:EnableKeyRotation",
        "kms:ListResourceTags",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:CreateAlias",
        "kms:DeleteAlias",
        "kms:ScheduleKeyDeletion",
        "kms:CancelKeyDeletion",
    } <= set(manage["Action"])
    assert not any(a.endswith("*") for a in manage["Action"]) and "Condition" not in manage
    use = statements["DeployRoleThroughServices"]
    assert use["Principal"] == {"AWS": ROLE_ARN}
    assert {"kms:CreateGrant", "kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"} <= set(use["Action"])
    ((variable, services),) = use["Condition"]["StringEquals"].items()
    assert variable == "kms:ViaService"
    assert [s.split(".")[0] for s in services] == ["dynamodb", "ecr"]
    assert "DenyDeployRoleDestroyingKey" not in statements


def test_protected_key_lets_the_deploy_role_read_and_use_it_only() -> None:
    statements = _key_with_role(protected=True)
    read = statements["DeployRoleReadsKey"]
    assert all(a.startswith(("kms:Describe", "kms:Get", "kms:List")) for a in read["Action"])
    assert "DeployRoleManagesKey" not in statements
    assert "kms:CreateGrant" not in statements["DeployRoleThroughServices"]["Action"]
    deny = statements["DenyDeployRoleDestroyingKey"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": ROLE_ARN} and "Condition" not in deny
    assert {"kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:DisableKey", "kms:DisableKeyRotation"} <= set(
        deny["Action"]
    )
    role_allows = [s for s in statements.values() if s["Effect"] == "Allow" and s["Principal"] == {"AWS": ROLE_ARN}]
    assert not {a for s in role_allows for a in s["Action"]} & set(deny["Action"])


def test_deploy_role_may_be_a_token() -> None:
    """Bootstrap passes the role's ARN attribute: the key policy then references the role."""
    from cdktf_cdktf_provider_aws.iam_role import IamRole

    def build(stack: object) -> None:
        role = IamRole(stack, "role", name="deploy", assume_role_policy="{}")
        props = EncryptionKeyProps(
            alias="state", description="state", via_services=("s3",), deploy_role_arn=role.arn, protected=True
        )
        EncryptionKey(stack, "key", aws=stack.aws, props=props)

    statements = _by_sid(synth_scope(build))
    assert statements["DenyDeployRoleDestroyingKey"]["Principal"] == {"AWS": "${aws_iam_role.role.arn}"}


def test_protected_needs_a_role() -> None:
    with pytest.raises(ValueError, match="protected"):
        synth_scope(
            lambda stack: EncryptionKey(
                stack, "key", aws=stack.aws, props=EncryptionKeyProps(alias="x", description="x", protected=True)
            )
        )


def test_no_deploy_role_statements_without_a_role(full_key: dict) -> None:
    assert not [sid for sid in _by_sid(full_key) if "DeployRole" in sid]
