"""Configuration: defaults, sources, presets, and one failing test per validation rule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.config import ConfigError, load_config

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_the_documented_ones() -> None:
    config = load_config({}, {})
    assert config.environment == "dev"
    assert config.region == "us-east-1"
    assert config.backend.kind == "local"
    assert config.protection.deletion_protection is False
    assert config.protection.force_destroy is True
    assert config.log_retention_days == 30
    assert config.alert_email is None
    assert config.image_tag is None


def test_environment_variable_overrides_context() -> None:
    config = load_config({"environment": "staging", "region": "eu-west-1"}, {"FRAUD_REGION": "eu-central-1"})
    assert config.environment == "staging"
    assert config.region == "eu-central-1"


@pytest.mark.parametrize(
    ("environment", "deletion_protection", "force_destroy", "retention"),
    [("dev", False, True, 30), ("staging", True, False, 90), ("prod", True, False, 365)],
)
def test_protection_presets(environment: str, deletion_protection: bool, force_destroy: bool, retention: int) -> None:
    config = load_config({"environment": environment}, {})
    assert config.protection.deletion_protection is deletion_protection
    assert config.protection.force_destroy is force_destroy
    assert config.log_retention_days == retention


def test_preset_can_be_overridden_explicitly() -> None:
    config = load_config({"environment": "prod"}, {"FRAUD_LOG_RETENTION_DAYS": "731"})
    assert config.log_retention_days == 731


def test_tags_merge_with_project_tags_and_user_wins() -> None:
    config = load_config({"tags": {"team": "risk", "project": "custom"}}, {})
    assert config.resource_tags == {"project": "custom", "environment": "dev", "managed-by": "cdktf", "team": "risk"}


GITHUB_PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
STATE_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_s3_backend_settings() -> None:
    config = load_config(
        {}, {"FRAUD_BACKEND": "s3", "FRAUD_STATE_BUCKET": "my-state-bucket", "FRAUD_STATE_KMS_KEY_ARN": STATE_KEY}
    )
    assert (config.backend.kind, config.backend.bucket, config.backend.region) == ("s3", "my-state-bucket", "us-east-1")
    assert config.backend.kms_key_arn == STATE_KEY


@pytest.mark.parametrize(
    ("raw", "expected"),
    [('["staging", "prod"]', ("staging", "prod")), ("staging, prod", ("staging", "prod")), ("dev", ("dev",))],
)
def test_deploy_environments_from_a_list_or_a_comma_string(raw: str, expected: tuple[str, ...]) -> None:
    assert load_config({}, {"FRAUD_DEPLOY_ENVIRONMENTS": raw}).deploy_environments == expected
    assert load_config({"deployEnvironments": list(expected)}, {}).deploy_environments == expected


def test_privileged_defaults() -> None:
    config = load_config({}, {})
    assert config.deploy_environments == ("dev",)
    assert config.github_oidc_provider_arn is None
    assert config.xray_encryption is False


@pytest.mark.parametrize(
    ("context", "environ", "setting"),
    [
        ({"environment": "Dev"}, {}, "environment"),
        ({"environment": "d"}, {}, "environment"),
        ({"environment": "development12345"}, {}, "environment"),
        ({"environment": "dev_1"}, {}, "environment"),
        ({}, {"FRAUD_REGION": "us-east"}, "region"),
        ({"region": "US-EAST-1"}, {}, "region"),
        ({}, {"FRAUD_ALERT_EMAIL": "not-an-email"}, "alert_email"),
        ({"alertEmail": "a@b"}, {}, "alert_email"),
        ({}, {"FRAUD_IMAGE_TAG": "latest"}, "image_tag"),
        ({}, {"FRAUD_IMAGE_TAG": "bad tag"}, "image_tag"),
        ({}, {"FRAUD_LOG_RETENTION_DAYS": "31"}, "log_retention_days"),
        ({}, {"FRAUD_WINDOW_SHARDS": "0"}, "window_shards"),
        ({}, {"FRAUD_WINDOW_SHARDS": "many"}, "window_shards"),
        ({"tags": {"aws:owner": "x"}}, {}, "tags"),
        ({}, {"FRAUD_TAGS": "{not json"}, "tags"),
        ({}, {"FRAUD_BACKEND": "gcs"}, "backend"),
        ({}, {"FRAUD_BACKEND": "s3"}, "state_bucket"),
        ({}, {"FRAUD_BACKEND": "s3", "FRAUD_STATE_BUCKET": "Bad_Bucket"}, "state_bucket"),
        ({}, {"FRAUD_DELETION_PROTECTION": "maybe"}, "deletion_protection"),
        ({"environment": "prod"}, {"FRAUD_FORCE_DESTROY": "true"}, "force_destroy"),
        ({}, {"FRAUD_API_THROTTLE_RATE": "1000", "FRAUD_API_THROTTLE_BURST": "5"}, "api_throttle_burst"),
        ({}, {"FRAUD_GITHUB_REPOSITORY": "no-slash"}, "github_repository"),
        ({}, {"FRAUD_BACKEND": "s3", "FRAUD_STATE_BUCKET": "my-state-bucket"}, "state_kms_key_arn"),
        (
            {},
            {"FRAUD_BACKEND": "s3", "FRAUD_STATE_BUCKET": "b-1", "FRAUD_STATE_KMS_KEY_ARN": "alias/fraud-tfstate"},
            "state_kms_key_arn",
        ),
        ({}, {"FRAUD_DEPLOY_ENVIRONMENTS": "prod,Prod"}, "deploy_environments"),
        ({}, {"FRAUD_DEPLOY_ENVIRONMENTS": "prod,prod"}, "deploy_environments"),
        ({}, {"FRAUD_DEPLOY_ENVIRONMENTS": "*"}, "deploy_environments"),
        ({}, {"FRAUD_DEPLOY_ENVIRONMENTS": "[not json"}, "deploy_environments"),
        ({"deployEnvironments": []}, {}, "deploy_environments"),
        (
            {"githubRepository": "a/b"},
            {"FRAUD_GITHUB_OIDC_PROVIDER_ARN": "arn:aws:iam::123456789012:oidc-provider/example.com"},
            "github_oidc_provider_arn",
        ),
        (
            {},
            {"FRAUD_GITHUB_OIDC_PROVIDER_ARN": GITHUB_PROVIDER},
            "github_oidc_provider_arn",
        ),
        ({}, {"FRAUD_XRAY_ENCRYPTION": "perhaps"}, "xray_encryption"),
    ],
)
def test_invalid_values_name_the_setting(context: dict, environ: dict, setting: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(context, environ)
    assert f"'{setting}'" in str(caught.value)


@pytest.mark.tool
def test_invalid_config_fails_synth_fast_and_writes_nothing(tmp_path: Path) -> None:
    """main.py validates before importing the provider: exit 2, the message, no output dir."""
    outdir = tmp_path / "out"
    env = {**os.environ, "FRAUD_ENVIRONMENT": "Bad!", "CDKTF_OUTDIR": str(outdir)}
    done = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Invalid setting 'environment'" in done.stderr
    assert "FRAUD_ENVIRONMENT" in done.stderr
    assert not outdir.exists()
