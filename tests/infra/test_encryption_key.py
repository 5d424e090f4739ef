"""EncryptionKey: rotation, alias, and a key policy that lets each service do exactly its job."""

from __future__ import annotations

import json

import pytest

from fraud_constructs.encryption_key import EncryptionKey, EncryptionKeyProps
from tests.tfjson import only, synth_scope


@pytest.fixture(scope="module")
def full_key() -> dict:
    props = EncryptionKeyProps(
        alias="unit",
        description="unit test key",
        allow_cloudwatch_logs=True,
        allow_eventbridge=True,
        allow_cloudwatch_alarms=True,
        via_services=("dynamodb", "sqs"),
    )
    return synth_scope(lambda stack: EncryptionKey(stack, "key", aws=stack.aws, props=props))


def _by_sid(doc: dict) -> dict[str, dict]:
    policy = json.loads(only(doc, "aws_kms_key")["policy"])
    assert policy["Version"] == "2012-10-17"
    return {s["Sid"]: s for s in policy["Statement"]}


def test_rotation_alias_and_deletion_window(full_key: dict) -> None:
    key = only(full_key, "aws_kms_key")
    assert key["enable_key_rotation"] is True
    assert key["deletion_window_in_days"] == 30
    assert only(full_key, "aws_kms_alias")["name"] == "alias/unit"


def test_logs_statement_is_limited_to_this_accounts_log_groups(full_key: dict) -> None:
    logs = _by_sid(full_key)["CloudWatchLogsForThisAccount"]
    assert logs["Principal"]["Service"].startswith("logs.")
    assert list(logs["Condition"]) == ["ArnLike"]
    ((variable, value),) = logs["Condition"]["ArnLike"].items()
    assert variable == "kms:EncryptionContext:aws:logs:arn"
    assert value.endswith(":log-group:*")


def test_eventbridge_and_alarms_are_scoped_to_the_account(full_key: dict) -> None:
    statements = _by_sid(full_key)
    for sid, service in (
        ("EventBridgeToEncryptedQueues", "events."),
        ("CloudWatchAlarmsToEncryptedTopics", "cloudwatch."),
    ):
        statement = statements[sid]
        assert statement["Principal"]["Service"].startswith(service)
        assert list(statement["Condition"]["StringEquals"]) == ["aws:SourceAccount"]
        assert "kms:*" not in statement["Action"]


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
