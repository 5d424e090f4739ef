"""The runtime configuration: the environment variables the stacks set, read once per cold start."""

from __future__ import annotations

import pytest

from fraud_detection import config, contract
from tests.support.moto_stack import NAMES, Names

pytestmark = pytest.mark.unit


def test_config_reads_the_contract_variables(lambda_env: Names) -> None:
    loaded = config.from_env()
    assert loaded == config.Config(
        environment="test",
        table_name=NAMES.table,
        window_shards=NAMES.window_shards,
        bucket_name=NAMES.bucket,
        topic_arn=NAMES.topic_arn,
        settings_parameter=NAMES.settings_parameter,
        signing_keys_parameter=NAMES.signing_keys_parameter,
        fingerprint_key_parameter=NAMES.fingerprint_key_parameter,
    )
    with pytest.raises(AttributeError):
        loaded.table_name = "other"  # type: ignore[misc]


def test_config_defaults_and_require() -> None:
    loaded = config.from_env({"ENVIRONMENT": "dev", "TABLE_NAME": ""})
    assert loaded.window_shards == contract.DEFAULT_WINDOW_SHARDS
    assert loaded.pattern_ttl_days == contract.DEFAULT_PATTERN_TTL_DAYS
    with pytest.raises(config.ConfigError, match="TABLE_NAME"):
        loaded.require("table_name")


def test_pattern_ttl_days_is_read_from_its_variable() -> None:
    assert config.from_env({contract.ENV_PATTERN_TTL_DAYS: "30"}).pattern_ttl_days == 30
    assert config.from_env({contract.ENV_PATTERN_TTL_DAYS: ""}).pattern_ttl_days == contract.DEFAULT_PATTERN_TTL_DAYS
    top = str(contract.MAX_PATTERN_TTL_DAYS)
    assert config.from_env({contract.ENV_PATTERN_TTL_DAYS: top}).pattern_ttl_days == contract.MAX_PATTERN_TTL_DAYS


@pytest.mark.parametrize("days", ["0", "-1", "x", "1.5", str(contract.MAX_PATTERN_TTL_DAYS + 1)])
def test_bad_pattern_ttl_days_is_a_config_error_naming_the_variable(days: str) -> None:
    with pytest.raises(config.ConfigError, match=contract.ENV_PATTERN_TTL_DAYS):
        config.from_env({contract.ENV_PATTERN_TTL_DAYS: days})


@pytest.mark.parametrize("shards", ["0", "-1", "x", "1001"])
def test_bad_shard_count_is_a_config_error(shards: str) -> None:
    with pytest.raises(config.ConfigError):
        config.from_env({"WINDOW_SHARDS": shards})
