"""ContainerFunction: image, runtime settings, create-time ordering, alias and async config."""

from __future__ import annotations

import pytest

from fraud_constructs.container_function import ContainerFunction, ContainerFunctionProps
from tests.support.app_helpers import address, by_path, ref
from tests.tfjson import only, resources, synth_scope

pytestmark = pytest.mark.synth

DIGEST_URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud-detection-dev@sha256:" + "a" * 64
FUNCTIONS = ("webhook", "stream", "batch", "labels")


def props(**overrides: object) -> ContainerFunctionProps:
    base: dict[str, object] = {
        "function_name": "fraud-unit-dev",
        "image_uri": DIGEST_URI,
        "command": "fraud_detection.handlers.batch.handler",
        "kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/k",
        "dead_letter_queue_arn": "arn:aws:sqs:us-east-1:123456789012:fraud-dlq-dev",
    }
    return ContainerFunctionProps(**(base | overrides))  # type: ignore[arg-type]


@pytest.mark.parametrize("uri", ["repo:src-1234", "repo", "repo@", "@sha256:abc", "repo:latest"])
def test_image_uri_must_be_digest_pinned(uri: str) -> None:
    with pytest.raises(ValueError, match="digest-pinned"):
        props(image_uri=uri)


def test_webhook_timeout_cannot_exceed_api_gateway_limit() -> None:
    props(behind_api_gateway=True, timeout_seconds=29)
    with pytest.raises(ValueError, match="29 s API Gateway"):
        props(behind_api_gateway=True, timeout_seconds=30)
    props(behind_api_gateway=False, timeout_seconds=300)


@pytest.mark.parametrize(
    "field,value", [("max_retry_attempts", 3), ("max_event_age_seconds", 30), ("reserved_concurrency", 0)]
)
def test_out_of_range_props_are_rejected(field: str, value: int) -> None:
    with pytest.raises(ValueError):
        props(**{field: value})


def test_grant_rejects_wildcard_actions_and_unexplained_star() -> None:
    def build(stack) -> None:
        fn = ContainerFunction(stack, "fn", aws=stack.aws, props=props())
        with pytest.raises(ValueError, match="wildcard actions"):
            fn.grant("Bad", ["s3:*"], ["arn:aws:s3:::b/*"])
        with pytest.raises(ValueError, match="wildcard actions"):
            fn.grant("Bad", ["*"], ["arn:aws:s3:::b/*"])
        with pytest.raises(ValueError, match="wildcard_reason"):
            fn.grant("Bad", ["s3:GetObject"], ["*"])
        with pytest.raises(ValueError, match="different resources"):
            fn.grant("UseAppKey", ["kms:Encrypt"], ["arn:aws:kms:us-east-1:123456789012:key/other"])
        fn.grant("Same", ["s3:GetObject"], ["arn:aws:s3:::b/*"])
        fn.grant("Same", ["s3:PutObject"], ["arn:aws:s3:::b/*"])
        assert next(g for g in fn.grants if g.sid == "Same").actions == ("s3:GetObject", "s3:PutObject")

    synth_scope(build)


def test_unreserved_and_no_invoke_config_by_default() -> None:
    doc = synth_scope(lambda stack: ContainerFunction(stack, "fn", aws=stack.aws, props=props()))
    fn = only(doc, "aws_lambda_function")
    assert "reserved_concurrent_executions" not in fn
    assert resources(doc, "aws_lambda_function_event_invoke_config") == {}
    assert "dead_letter_config" not in fn  # the on-failure destination is the DLQ (module docstring)


def test_a_variable_added_after_construction_joins_the_others() -> None:
    """``add_environment``: a value that exists only after the function (its caller's API key id)."""

    def build(stack):  # type: ignore[no-untyped-def]
        fn = ContainerFunction(stack, "fn", aws=stack.aws, props=props(environment={"A": "1"}))
        fn.add_environment("B", "2")
        fn.add_environment("A", "3")  # replaces
        assert fn.environment == {"A": "3", "B": "2"}

    doc = synth_scope(build)
    assert only(doc, "aws_lambda_function")["environment"] == {"variables": {"A": "3", "B": "2"}}


def test_reserved_concurrency_is_a_setting() -> None:
    doc = synth_scope(lambda stack: ContainerFunction(stack, "fn", aws=stack.aws, props=props(reserved_concurrency=5)))
    assert only(doc, "aws_lambda_function")["reserved_concurrent_executions"] == 5


@pytest.mark.parametrize("role", FUNCTIONS)
def test_function_runs_the_pinned_image_with_tracing_and_cmk(synthesized: dict[str, dict], role: str) -> None:
    app = synthesized["app"]
    fn = by_path(app, "aws_lambda_function", f"app/compute/{role}/function")
    assert fn["package_type"] == "Image"
    assert fn["image_uri"] == (
        "${data.aws_ecr_repository.image-repository.repository_url}@${data.aws_ecr_image.image.image_digest}"
    )
    assert fn["architectures"] == ["arm64"]
    assert fn["image_config"] == {"command": [f"fraud_detection.handlers.{role}.handler"]}
    assert fn["tracing_config"] == {"mode": "Active"}
    assert fn["kms_key_arn"] == ref(app, "aws_kms_key", "app/app-key/key", "arn")
    assert fn["publish"] is True
    assert fn["function_name"] == f"fraud-{role}-dev"
    assert "reserved_concurrent_executions" not in fn  # config default: unreserved


@pytest.mark.parametrize("role", FUNCTIONS)
def test_function_waits_for_its_policy_and_log_group(synthesized: dict[str, dict], role: str) -> None:
    app = synthesized["app"]
    fn = by_path(app, "aws_lambda_function", f"app/compute/{role}/function")
    assert set(fn["depends_on"]) == {
        address(app, "aws_iam_role_policy", f"app/compute/{role}/role-policy"),
        address(app, "aws_cloudwatch_log_group", f"app/compute/{role}/log-group"),
    }
    group = by_path(app, "aws_cloudwatch_log_group", f"app/compute/{role}/log-group")
    assert group["name"] == f"/aws/lambda/fraud-{role}-dev"
    assert group["kms_key_id"] == ref(app, "aws_kms_key", "app/app-key/key", "arn")
    assert group["retention_in_days"] == 30


@pytest.mark.parametrize("role", FUNCTIONS)
def test_live_alias_points_at_the_published_version(synthesized: dict[str, dict], role: str) -> None:
    app = synthesized["app"]
    alias = by_path(app, "aws_lambda_alias", f"app/compute/{role}/alias")
    assert alias["name"] == "live"
    assert alias["function_version"] == ref(app, "aws_lambda_function", f"app/compute/{role}/function", "version")


def test_only_the_async_batch_has_an_event_invoke_config(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    configs = resources(app, "aws_lambda_function_event_invoke_config")
    assert len(configs) == 1
    config = by_path(app, "aws_lambda_function_event_invoke_config", "app/compute/batch/event-invoke-config")
    assert config["qualifier"] == ref(app, "aws_lambda_alias", "app/compute/batch/alias", "name")
    assert config["maximum_retry_attempts"] == 2
    assert config["maximum_event_age_in_seconds"] == 3600
    assert config["destination_config"]["on_failure"]["destination"] == ref(
        app, "aws_sqs_queue", "app/dlq/queue", "arn"
    )
    assert address(app, "aws_iam_role_policy", "app/compute/batch/role-policy") in config["depends_on"]


def test_stream_mapping_invokes_the_alias_with_bounded_retries(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    mapping = only(app, "aws_lambda_event_source_mapping")
    assert mapping["function_name"] == ref(app, "aws_lambda_alias", "app/compute/stream/alias", "arn")
    assert mapping["event_source_arn"] == ref(app, "aws_dynamodb_table", "app/patterns/table", "stream_arn")
    assert mapping["starting_position"] == "TRIM_HORIZON"  # nothing written before the mapping is lost
    assert mapping["batch_size"] == 100
    assert mapping["maximum_batching_window_in_seconds"] == 5
    assert mapping["bisect_batch_on_function_error"] is True
    assert 0 < mapping["maximum_retry_attempts"] <= 10
    assert "function_response_types" not in mapping  # the handler raises; no partial batch responses
    assert mapping["destination_config"]["on_failure"]["destination_arn"] == ref(
        app, "aws_sqs_queue", "app/dlq/queue", "arn"
    )
    assert address(app, "aws_iam_role_policy", "app/compute/stream/role-policy") in mapping["depends_on"]


def test_stream_mapping_filters_to_pattern_inserts(synthesized: dict[str, dict]) -> None:
    """Lambda event filtering ("Filtering DynamoDB events"): the ledger items the stream writes into the same
    table (AUDITED#...) and any modify or TTL removal never invoke it; a pattern insert (TXN#...) does."""
    import json

    from fraud_detection import contract

    (only_filter,) = only(synthesized["app"], "aws_lambda_event_source_mapping")["filter_criteria"]["filter"]
    pattern = json.loads(only_filter["pattern"])
    assert pattern == contract.STREAM_AUDITED_EVENTS
    assert pattern["eventName"] == ["INSERT"]
    assert pattern["dynamodb"]["Keys"]["pk"]["S"] == [{"prefix": "TXN#"}]
