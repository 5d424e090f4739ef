"""One static test per "Known trap" of /work/shared/STYLE.md: each would fail a first apply (or fail silently)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.config import ConfigError, load_config
from tests.support.app_helpers import address, by_path, document_statements, ref, statements_by_sid
from tests.tfjson import data_sources, only, resources

pytestmark = pytest.mark.synth

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("webhook", "stream", "batch")


def key_statements(doc: dict, path: str) -> dict[str, dict]:
    """Key policy statements by Sid (the key policy is rendered as a JSON string, not a data source)."""
    policy = json.loads(by_path(doc, "aws_kms_key", path)["policy"])
    return {s["Sid"]: s for s in policy["Statement"]}


def principal(statement: dict) -> str:
    (identifiers,) = statement["Principal"].values()
    return identifiers if isinstance(identifiers, str) else identifiers[0]


def test_image_build_disables_attestations() -> None:
    """buildx attestations make an OCI index that Lambda rejects."""
    source = (ROOT / "tools/build_image.py").read_text()
    assert '"--provenance=false"' in source and '"--sbom=false"' in source


def test_functions_use_digests_never_mutable_tags(synthesized: dict[str, dict]) -> None:
    """Re-pushing a tag never updates a function: pin by digest, forbid 'latest', keep tags immutable."""
    for role in ROLES:
        uri = by_path(synthesized["app"], "aws_lambda_function", f"app/compute/{role}/function")["image_uri"]
        assert uri.endswith("@${data.aws_ecr_image.image.image_digest}")
    assert only(synthesized["registry"], "aws_ecr_repository")["image_tag_mutability"] == "IMMUTABLE"
    with pytest.raises(ConfigError):
        load_config({"imageTag": "latest"}, {})


def test_log_key_policy_allows_cloudwatch_logs_for_every_encrypted_group(synthesized: dict[str, dict]) -> None:
    """An encrypted log group the logs principal may not use cannot even be created; one it may use that
    is not ours widens the key. The ArnLike lists exactly the app key's log groups."""
    app = synthesized["app"]
    statement = key_statements(app, "app/app-key/key")["CloudWatchLogsForNamedLogGroups"]
    assert principal(statement).startswith("logs.${data.aws_region.")
    ((variable, arns),) = statement["Condition"]["ArnLike"].items()
    assert variable == "kms:EncryptionContext:aws:logs:arn"
    key = ref(app, "aws_kms_key", "app/app-key/key", "arn")
    groups = resources(app, "aws_cloudwatch_log_group").values()
    assert len(groups) == 6 and all(group["kms_key_id"] == key for group in groups)
    assert sorted(arn.split(":log-group:", 1)[1] for arn in arns) == sorted(group["name"] for group in groups)


def test_eventbridge_dlq_key_and_queue_policy(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    key_statement = key_statements(app, "app/app-key/key")["EventBridgeToEncryptedQueues"]
    assert principal(key_statement).startswith("events.")
    assert "Condition" not in key_statement  # an undocumented key (aws:SourceAccount) would drop DLQ messages
    assert by_path(app, "aws_sqs_queue", "app/dlq/queue")["kms_master_key_id"] == ref(
        app, "aws_kms_key", "app/app-key/key", "arn"
    )
    queue_statement = statements_by_sid(app, "app/dlq/policy-document")["EventBridgeRulesSendFailedEvents"]
    assert queue_statement["condition"][0]["variable"] == "aws:SourceArn"
    assert len(queue_statement["condition"][0]["values"]) == len(resources(app, "aws_cloudwatch_event_rule"))


def test_alarm_topic_key_allows_cloudwatch(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    statement = key_statements(app, "app/app-key/key")["CloudWatchAlarmsToEncryptedTopics"]
    assert principal(statement).startswith("cloudwatch.")
    assert "Condition" not in statement  # an undocumented key would drop alarm notifications silently
    assert by_path(app, "aws_sns_topic", "app/alerts/topic")["kms_master_key_id"] == ref(
        app, "aws_kms_key", "app/app-key/key", "arn"
    )


def test_api_gateway_account_is_opt_in_and_only_in_bootstrap(synthesized: dict[str, dict]) -> None:
    assert resources(synthesized["app"], "aws_api_gateway_account") == {}
    assert resources(synthesized["registry"], "aws_api_gateway_account") == {}
    assert len(resources(synthesized["bootstrap"], "aws_api_gateway_account")) == 1
    assert load_config({"manageApiGatewayAccount": False}, {}).manage_api_gateway_account is False


@pytest.mark.parametrize("role", ROLES)
def test_xray_and_dlq_permissions_exist_before_the_function(synthesized: dict[str, dict], role: str) -> None:
    app = synthesized["app"]
    fn = by_path(app, "aws_lambda_function", f"app/compute/{role}/function")
    assert address(app, "aws_iam_role_policy", f"app/compute/{role}/role-policy") in fn["depends_on"]
    actions = {a for s in document_statements(app, f"app/compute/{role}/policy") for a in s["actions"]}
    assert {"xray:PutTraceSegments", "xray:PutTelemetryRecords"} <= actions
    if role in ("stream", "batch"):  # on-failure destinations send with the role
        assert "sqs:SendMessage" in actions


def test_webhook_timeout_fits_the_api_gateway_limit(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    assert by_path(app, "aws_lambda_function", "app/compute/webhook/function")["timeout"] <= 29
    assert by_path(app, "aws_api_gateway_integration", "app/webhook-api/integration")["timeout_milliseconds"] <= 29000


def test_bucket_names_include_the_account_id(synthesized: dict[str, dict]) -> None:
    for stack in ("app", "bootstrap"):
        for bucket in resources(synthesized[stack], "aws_s3_bucket").values():
            assert "${data.aws_caller_identity." in bucket["bucket"], bucket["bucket"]


def test_async_batch_runs_are_retried_and_kept_and_carry_the_event_time(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    config = by_path(app, "aws_lambda_function_event_invoke_config", "app/compute/batch/event-invoke-config")
    assert 0 <= config["maximum_retry_attempts"] <= 2
    assert "on_failure" in config["destination_config"]
    for target in resources(app, "aws_cloudwatch_event_target").values():
        assert target["input_transformer"]["input_paths"] == {"time": "$.time"}
        assert "<time>" in target["input_transformer"]["input_template"]


def test_api_logging_prerequisites(synthesized: dict[str, dict]) -> None:
    from stacks.assembly import STACK_NAMES

    assert STACK_NAMES.index("bootstrap") < STACK_NAMES.index("app")  # account role first
    app = synthesized["app"]
    group = by_path(app, "aws_cloudwatch_log_group", "app/webhook-api/execution-logs")
    assert group["name"].startswith("API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.")
    assert group["retention_in_days"] > 0 and group["kms_key_id"]
    stage = by_path(app, "aws_api_gateway_stage", "app/webhook-api/stage")
    assert address(app, "aws_cloudwatch_log_group", "app/webhook-api/execution-logs") in stage["depends_on"]


def test_reserved_concurrency_is_an_optional_setting(synthesized: dict[str, dict]) -> None:
    for fn in resources(synthesized["app"], "aws_lambda_function").values():
        assert "reserved_concurrent_executions" not in fn  # dev default: unreserved (new accounts keep little)
    assert load_config({}, {}).reserved_concurrency("webhook") is None
    assert load_config({"webhookReservedConcurrency": 10}, {}).reserved_concurrency("webhook") == 10
    assert load_config({"labelsReservedConcurrency": 3}, {}).reserved_concurrency("labels") == 3
    with pytest.raises(ConfigError, match="labelsReservedConcurrency"):
        load_config({"labelsReservedConcurrency": 0}, {})


def test_prod_reserves_concurrency_per_function(variant_outdir) -> None:
    """The prod preset reserves each function's own share (docs/capacity.md), not one value for all."""
    import json

    app = json.loads((variant_outdir("prod") / "stacks" / "app" / "cdk.tf.json").read_text())
    reserved = {
        fn["function_name"]: fn["reserved_concurrent_executions"]
        for fn in resources(app, "aws_lambda_function").values()
    }
    assert reserved == {
        "fraud-webhook-prod": 200,
        "fraud-stream-prod": 10,
        "fraud-batch-prod": 2,
        "fraud-labels-prod": 2,
    }


def test_repository_policy_lets_our_functions_pull(synthesized: dict[str, dict]) -> None:
    registry = synthesized["registry"]
    statement = statements_by_sid(registry, "registry/repository/policy-document")["LambdaPullForOurFunctions"]
    assert set(statement["actions"]) == {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}
    pattern = statement["condition"][0]["values"][0]
    assert pattern.endswith(":function:fraud-*-dev")
    names = [f["function_name"] for f in resources(synthesized["app"], "aws_lambda_function").values()]
    assert all(name.startswith("fraud-") and name.endswith("-dev") for name in names)


def test_audit_lifecycle_transitions_small_objects(synthesized: dict[str, dict]) -> None:
    rules = by_path(synthesized["app"], "aws_s3_bucket_lifecycle_configuration", "app/audit/lifecycle")["rule"]
    archive = next(rule for rule in rules if rule.get("transition"))
    assert archive["filter"][0]["and"][0] == {"prefix": "audit/", "object_size_greater_than": 0}


def test_every_iam_policy_is_scannable_json(synthesized: dict[str, dict]) -> None:
    """Policies are plain JSON in cdk.tf.json (never HCL-rendered): a policy-document reference, or
    (key policies) a JSON string whose only tokens are whole ``${...}`` references."""
    for stack, doc in synthesized.items():
        policies = [
            (resource_type, config.get(field))
            for resource_type, field in (
                ("aws_iam_role_policy", "policy"),
                ("aws_iam_role", "assume_role_policy"),
                ("aws_sqs_queue_policy", "policy"),
                ("aws_sns_topic_policy", "policy"),
                ("aws_s3_bucket_policy", "policy"),
                ("aws_ecr_repository_policy", "policy"),
            )
            for config in resources(doc, resource_type).values()
        ]
        documents = data_sources(doc, "aws_iam_policy_document")
        for resource_type, value in policies:
            assert value.startswith("${data.aws_iam_policy_document.") and value.endswith(".json}"), (
                stack,
                resource_type,
                value,
            )
            assert value[len("${data.aws_iam_policy_document.") : -len(".json}")] in documents
        for key in resources(doc, "aws_kms_key").values():
            statements = json.loads(key["policy"])["Statement"]
            assert statements and all(s["Effect"] in ("Allow", "Deny") for s in statements)
