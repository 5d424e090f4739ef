"""Stack-level wiring: backend, image pinning, encryption everywhere, outputs."""

from __future__ import annotations

import json

import pytest

from stacks.base import state_key
from stacks.config import load_config
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
