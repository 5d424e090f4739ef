"""Fast checks of the emulator override file: what it writes, and that the shipped JSON is never touched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fraud_ops.terraform import managed_resource_count
from local_stage.emulator_patches import (
    EMULATED_SERVICES,
    EMULATOR_PATCHES,
    OVERRIDE_FILE,
    emulator_override,
    removed_resources,
    resource_patches,
    s3_backend_config,
)
from local_stage.stage import LocalStackRunner

pytestmark = pytest.mark.unit

LIFECYCLE = {
    "resource": {
        "aws_s3_bucket_lifecycle_configuration": {
            "audit": {
                "bucket": "b",
                "rule": [
                    {"id": "a", "filter": [{"and": [{"prefix": "audit/", "object_size_greater_than": 0}]}]},
                    {"id": "b", "filter": [{"prefix": ""}]},
                ],
            }
        },
        "aws_api_gateway_account": {"account": {"cloudwatch_role_arn": "r", "reset_on_delete": True}},
    },
    "data": {"aws_region": {"r": {}}},
}


def test_provider_points_every_service_at_the_emulator() -> None:
    (provider,) = emulator_override("http://127.0.0.1:1", "us-east-1")["provider"]["aws"]
    (endpoints,) = provider["endpoints"]
    assert set(endpoints) == set(EMULATED_SERVICES)
    assert set(endpoints.values()) == {"http://127.0.0.1:1"}
    for flag in ("skip_credentials_validation", "skip_requesting_account_id", "s3_use_path_style"):
        assert provider[flag] is True
    assert provider["access_key"] == "testing"
    backend = emulator_override("http://x", "us-east-1")["terraform"]["backend"]
    assert backend == {"local": {"path": "terraform.tfstate"}}


def test_workarounds_are_limited_to_the_known_moto_gaps() -> None:
    patches = resource_patches(LIFECYCLE)
    assert patches["aws_api_gateway_account"] == {"account": {"reset_on_delete": False}}
    rules = patches["aws_s3_bucket_lifecycle_configuration"]["audit"]["rule"]
    assert rules[0]["filter"] == [{"prefix": "audit/"}]
    assert rules[1] == LIFECYCLE["resource"]["aws_s3_bucket_lifecycle_configuration"]["audit"]["rule"][1]
    assert resource_patches({"resource": {"aws_sqs_queue": {"q": {}}}}) == {}


def test_a_deployment_keeps_its_own_backend_and_points_it_at_the_emulator() -> None:
    assert "terraform" not in emulator_override("http://127.0.0.1:1", "us-east-1", local_state=False)
    config = s3_backend_config("http://127.0.0.1:1")
    assert 'endpoints = { s3 = "http://127.0.0.1:1", sts = "http://127.0.0.1:1" }' in config
    for flag in (
        "use_path_style",
        "skip_credentials_validation",
        "skip_region_validation",
        "skip_requesting_account_id",
    ):
        assert f"{flag} = true" in config
    assert "bucket" not in config and "kms_key_id" not in config  # those stay as synthesized


def test_workload_patches_only_remove_what_moto_cannot_run() -> None:
    doc = {"resource": {"aws_s3_bucket_policy": {"a": {}, "b": {}}, "aws_sqs_queue": {"q": {}}}}
    assert resource_patches(doc) == {"aws_s3_bucket_policy": {"a": {"count": 0}, "b": {"count": 0}}}
    assert removed_resources(doc) == {"aws_s3_bucket_policy.a", "aws_s3_bucket_policy.b"}
    assert removed_resources(LIFECYCLE) == set()  # patched, not removed
    assert resource_patches({"resource": {"aws_sqs_queue": {"q": {}}}}) == {}


def test_one_registry_holds_every_gap_with_its_reason() -> None:
    types = [patch.resource_type for patch in EMULATOR_PATCHES]
    assert len(types) == len(set(types))
    assert all(len(patch.reason) > 40 for patch in EMULATOR_PATCHES)


def test_counts_resources_not_data_sources() -> None:
    assert managed_resource_count(LIFECYCLE) == 2


def test_prepare_copies_and_leaves_the_synth_output_alone(tmp_path: Path) -> None:
    source = tmp_path / "out" / "stacks" / "app"
    source.mkdir(parents=True)
    original = json.dumps(LIFECYCLE)
    (source / "cdk.tf.json").write_text(original)
    runner = LocalStackRunner(tmp_path / "out", tmp_path / "work", isolated=True, endpoint="http://127.0.0.1:1")
    target = runner.prepare("app")
    assert (source / "cdk.tf.json").read_text() == original
    assert sorted(p.name for p in source.iterdir()) == ["cdk.tf.json"]
    override = json.loads((target / OVERRIDE_FILE).read_text())
    assert "aws_s3_bucket_lifecycle_configuration" in override["resource"]
    assert runner.cli_config_path.exists() and "plugin_cache_dir" in runner.cli_config_path.read_text()


def test_aliased_providers_reach_the_emulator_too() -> None:
    """A stack with a provider for another region (the audit replica's) must not reach real AWS."""
    doc = {"provider": {"aws": [{"region": "us-east-1"}, {"alias": "replica", "region": "us-west-2"}]}}
    default, replica = emulator_override("http://127.0.0.1:1", "us-east-1", doc)["provider"]["aws"]
    assert "alias" not in default and default["region"] == "us-east-1"
    assert (replica["alias"], replica["region"]) == ("replica", "us-west-2")
    assert replica["endpoints"] == default["endpoints"] and replica["access_key"] == "testing"
    assert "cloudtrail" in EMULATED_SERVICES  # the data-event trail (accessLogs = cloudtrail)


def test_server_access_logging_is_left_out_with_the_bucket_policies() -> None:
    doc = {"resource": {"aws_s3_bucket_logging": {"l": {"bucket": "b", "target_bucket": "t"}}}}
    assert removed_resources(doc) == {"aws_s3_bucket_logging.l"}
