"""Stack-level wiring: backend, image pinning, encryption everywhere, outputs."""

from __future__ import annotations

import json

import pytest

from stacks.base import state_key
from stacks.config import load_config
from tests.support.app_helpers import by_path
from tests.tfjson import data_sources, resources

pytestmark = pytest.mark.synth


def test_local_backend_path_is_relative_per_environment(synthesized: dict[str, dict]) -> None:
    for name, doc in synthesized.items():
        assert doc["terraform"]["backend"] == {"local": {"path": f"../../../state/dev/{name}.tfstate"}}


def test_provider_pinned_and_tagged(synthesized: dict[str, dict]) -> None:
    for doc in synthesized.values():
        assert doc["terraform"]["required_providers"]["aws"]["version"] == "5.100.0"
        (provider,) = doc["provider"]["aws"]
        assert provider["default_tags"][0]["tags"]["environment"] == "dev"


def test_app_resolves_the_pinned_tag_to_a_digest(synthesized: dict[str, dict], test_config) -> None:
    app = synthesized["app"]
    (image,) = data_sources(app, "aws_ecr_image").values()
    assert image["image_tag"] == test_config.image_tag
    assert app["output"]["image_uri"]["value"] == (
        "${data.aws_ecr_repository.image-repository.repository_url}@${data.aws_ecr_image.image.image_digest}"
    )
    (repository,) = data_sources(app, "aws_ecr_repository").values()
    assert repository["name"] == "fraud-detection-dev"


def test_every_data_store_uses_the_app_key(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    key_ref = "${aws_kms_key.app-key_"
    (table,) = resources(app, "aws_dynamodb_table").values()
    assert table["server_side_encryption"]["kms_key_arn"].startswith(key_ref)
    for queue in resources(app, "aws_sqs_queue").values():
        assert queue["kms_master_key_id"].startswith(key_ref)
    for topic in resources(app, "aws_sns_topic").values():
        assert topic["kms_master_key_id"].startswith(key_ref)
    for log_group in resources(app, "aws_cloudwatch_log_group").values():
        assert log_group["kms_key_id"].startswith(key_ref)
    (repo,) = resources(synthesized["registry"], "aws_ecr_repository").values()
    assert repo["encryption_configuration"][0]["kms_key"].startswith("${aws_kms_key.registry-key_")


def test_s3_backend_uses_native_locking() -> None:
    from cdktf import App

    from stacks.registry import RegistryStack

    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    config = load_config(
        {"imageTag": "src-test"},
        {"FRAUD_BACKEND": "s3", "FRAUD_STATE_BUCKET": "team-state", "FRAUD_STATE_KMS_KEY_ARN": key},
    )
    app = App()
    stack = RegistryStack(app, "registry", config)
    backend = json.loads(json.dumps(stack.to_terraform()))["terraform"]["backend"]["s3"]
    assert backend["bucket"] == "team-state"
    assert backend["key"] == state_key(config, "registry") == "fraud-detection/dev/registry.tfstate"
    assert backend["encrypt"] is True
    assert backend["kms_key_id"] == key  # else Terraform writes AES256, overriding the bucket's KMS default
    assert backend["use_lockfile"] is True
    assert "dynamodb_table" not in backend


def test_settings_the_image_reads_reach_its_environment(variant_outdir) -> None:
    """Values other than the defaults (the "privileged" variant sets them) reach the functions that read them."""
    from fraud_detection import contract
    from tests.conftest import VARIANT_CONTEXTS

    context = VARIANT_CONTEXTS["privileged"]
    app = json.loads((variant_outdir("privileged") / "stacks" / "app" / "cdk.tf.json").read_text())
    env = {fn["function_name"]: fn["environment"]["variables"] for fn in resources(app, "aws_lambda_function").values()}
    webhook, batch = env[contract.WEBHOOK.function_name("staging")], env[contract.BATCH.function_name("staging")]
    assert webhook[contract.ENV_PATTERN_TTL_DAYS] == str(context["patternTtlDays"]) != "90"
    assert webhook[contract.ENV_WINDOW_SHARDS] == batch[contract.ENV_WINDOW_SHARDS] == str(context["windowShards"])


@pytest.mark.parametrize(("variant", "reserved", "burst", "rate"), [("dev", None, 10, 50), ("prod", 2, 2, 10)])
def test_the_labels_plan_refuses_before_the_labels_reservation_throttles(
    variant: str, reserved: int | None, burst: int, rate: int, variant_stacks
) -> None:
    """docs/capacity.md, "The labels route's throttle": the labels key's plan has burst = the labels function's
    reservation (10 unreserved) and rate = 5 x burst, so API Gateway answers 429 before Lambda throttles the
    function (a 500 through the proxy integration); the senders' plan keeps the stage's limits."""
    app = variant_stacks(variant)["app"]
    function = by_path(app, "aws_lambda_function", "app/compute/labels/function")
    assert function.get("reserved_concurrent_executions") == reserved
    labels = by_path(app, "aws_api_gateway_usage_plan", "app/webhook-api/labels-usage-plan")
    assert labels["throttle_settings"] == {"rate_limit": rate, "burst_limit": burst}
    assert labels["quota_settings"] == {"limit": 100_000, "period": "DAY"}
    senders = by_path(app, "aws_api_gateway_usage_plan", "app/webhook-api/usage-plan")
    assert senders["throttle_settings"] == {"rate_limit": 100, "burst_limit": 200}
    assert senders["quota_settings"] == {"limit": 1_000_000, "period": "DAY"}


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"labelsReservedConcurrency": 4}, (20, 4, 100_000)),
        # never above the stage's limits, which cap every method anyway
        ({"labelsReservedConcurrency": 500}, (100, 200, 100_000)),
        ({"apiThrottleRate": 30, "apiThrottleBurst": 5, "apiQuotaPerDay": 5_000}, (25, 5, 5_000)),
    ],
)
def test_the_labels_throttle_follows_the_reservation_within_the_stage(
    context: dict[str, int], expected: tuple[int, int, int]
) -> None:
    config = load_config({"imageTag": "src-test", **context}, {})
    assert (config.labels_throttle_rate, config.labels_throttle_burst, config.labels_quota_per_day) == expected
