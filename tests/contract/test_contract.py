"""The stacks and the image agree on the contract (``fraud_detection.contract``): commands, env vars, SSM
names, indexes, metric dimensions. The doc's tables are checked against the same code in
``test_contract_docs.py``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fraud_detection import contract
from stacks.functions import variables_of
from tests.support.app_helpers import by_path
from tests.tfjson import resources

pytestmark = pytest.mark.synth

ROOT = Path(__file__).resolve().parents[2]
IMAGE = ROOT / "lambda_image" / "fraud_detection"
ROLES = tuple(fn.role for fn in contract.FUNCTIONS)
BY_ROLE = {fn.role: fn for fn in contract.FUNCTIONS}


def function_env(app: dict, role: str) -> dict[str, str]:
    return by_path(app, "aws_lambda_function", f"app/compute/{role}/function")["environment"]["variables"]


def test_the_contract_names_the_four_functions() -> None:
    assert ROLES == ("webhook", "stream", "batch", "labels")


@pytest.mark.parametrize("role", ROLES)
def test_each_function_gets_exactly_the_contract_variables(synthesized: dict[str, dict], role: str) -> None:
    assert set(function_env(synthesized["app"], role)) == set(variables_of(role))


@pytest.mark.parametrize("role", ROLES)
def test_fixed_variable_values(synthesized: dict[str, dict], role: str) -> None:
    env = function_env(synthesized["app"], role)
    assert env[contract.ENV_ENVIRONMENT] == "dev"
    assert env[contract.ENV_SERVICE_NAME] == BY_ROLE[role].service == f"fraud-{role}"
    assert env[contract.ENV_METRICS_NAMESPACE] == contract.METRICS_NAMESPACE
    assert env[contract.ENV_LOG_LEVEL] == contract.DEFAULT_LOG_LEVEL
    if contract.ENV_WINDOW_SHARDS in env:
        assert env[contract.ENV_WINDOW_SHARDS] == str(contract.DEFAULT_WINDOW_SHARDS)
    signing, fingerprint = contract.secret_parameter_names("dev")
    for name, value in (
        (contract.ENV_SETTINGS_PARAMETER, contract.settings_parameter_name("dev")),
        (contract.ENV_SIGNING_KEYS_PARAMETER, signing),
        (contract.ENV_FINGERPRINT_KEY_PARAMETER, fingerprint),
        (contract.ENV_LABEL_SIGNING_KEYS_PARAMETER, contract.label_signing_keys_parameter_name("dev")),
    ):
        if name in env:
            assert env[name] == value
            assert value.startswith("/fraud-detection/dev/")


@pytest.mark.parametrize("role", ROLES)
def test_commands_match_the_contract_and_exist_in_the_image(synthesized: dict[str, dict], role: str) -> None:
    function = by_path(synthesized["app"], "aws_lambda_function", f"app/compute/{role}/function")
    command = function["image_config"]["command"]
    assert command == [BY_ROLE[role].command]
    assert (function["memory_size"], function["timeout"]) == (BY_ROLE[role].memory_size, BY_ROLE[role].timeout_seconds)
    module, _, attribute = command[0].rpartition(".")
    source = ROOT / "lambda_image" / Path(*module.split(".")).with_suffix(".py")
    assert re.search(rf"^def {attribute}\(", source.read_text(), flags=re.M), f"{source} has no {attribute}()"


def variables_the_image_reads() -> set[str]:
    """Names ``fraud_detection/config.py`` reads: string literals, or the contract's ``ENV_*`` constants."""
    source = (IMAGE / "config.py").read_text()
    literal = set(re.findall(r"""(?:get|environ\[|getenv\()\(?["']([A-Z][A-Z0-9_]+)["']""", source))
    constants = {
        getattr(contract, name) for name in re.findall(r"\b(ENV_[A-Z_]+)\b", source) if hasattr(contract, name)
    }
    return literal | constants


def test_every_variable_the_image_reads_is_set_somewhere(synthesized: dict[str, dict]) -> None:
    read = variables_the_image_reads()
    assert read, "found no variable names in fraud_detection/config.py"
    set_anywhere = set().union(*(function_env(synthesized["app"], role) for role in ROLES))
    assert read <= set_anywhere
    assert read <= {name for role in ROLES for name in variables_of(role)}


def test_ssm_parameters_match_the_contract(synthesized: dict[str, dict]) -> None:
    params = {p["name"]: p for p in resources(synthesized["app"], "aws_ssm_parameter").values()}
    # Only the settings: the two secret parameters are created by the rotation command, never by
    # Terraform (their values would be in state; tests/constructs/test_runtime_parameters.py).
    settings_name = contract.settings_parameter_name("dev")
    assert set(params) == {settings_name} == {"/fraud-detection/dev/settings"}
    settings = params[settings_name]
    assert settings["type"] == "SecureString"
    assert settings["key_id"].startswith("${aws_kms_key.app-key")
    assert "lifecycle" not in settings  # settings are reconciled by Terraform
    assert json.loads(settings["value"]) == contract.DEFAULT_SETTINGS


def test_settings_json_parses_with_the_image_model(synthesized: dict[str, dict]) -> None:
    from fraud_detection.settings import Settings, parse_settings

    value = by_path(synthesized["app"], "aws_ssm_parameter", "app/compute/parameters/settings")["value"]
    parsed = parse_settings(value)
    assert parsed == Settings()  # the documented defaults are the model's defaults


@pytest.mark.unit
def test_settings_defaults_are_the_image_models() -> None:
    from fraud_detection.settings import Settings, parse_settings

    assert parse_settings(json.dumps(contract.DEFAULT_SETTINGS)) == Settings()
    assert set(contract.DEFAULT_SETTINGS) == set(Settings.__struct_fields__)


def test_metric_dimensions_match_the_contract(synthesized: dict[str, dict]) -> None:
    alarm = next(
        a
        for a in resources(synthesized["app"], "aws_cloudwatch_metric_alarm").values()
        if a["metric_name"] == contract.METRIC_BATCH_WINDOW_SUCCEEDED
    )
    assert alarm["dimensions"] == {
        contract.DIMENSION_SERVICE: contract.BATCH.service,
        contract.DIMENSION_ENVIRONMENT: "dev",
    }
    assert alarm["namespace"] == contract.METRICS_NAMESPACE == "FraudDetection"


def test_window_shards_and_index_names_match_the_contract(synthesized: dict[str, dict]) -> None:
    from fraud_detection import config

    table = by_path(synthesized["app"], "aws_dynamodb_table", "app/patterns/table")
    indexes = {i["name"] for i in table["global_secondary_index"]}
    assert indexes == {index.name for index in contract.INDEXES} == {"by_window", "by_customer", "by_card"}
    assert config.from_env({}).window_shards == contract.DEFAULT_WINDOW_SHARDS


@pytest.mark.parametrize("variant", ["prod", "privileged"])
def test_the_email_subscription_drops_exactly_the_smoke_alerts(variant: str, variant_stacks) -> None:
    """The stack's filter names the attribute the image sets on smoke alerts (one fact, in the contract)."""
    publisher = (IMAGE / "adapters" / "alerts.py").read_text()
    assert "SMOKE_ATTRIBUTE" in publisher and "contract" in publisher  # the image takes it from the contract
    subscription = by_path(variant_stacks(variant)["app"], "aws_sns_topic_subscription", "app/alerts/email")
    assert subscription["filter_policy_scope"] == "MessageAttributes"
    assert json.loads(subscription["filter_policy"]) == {contract.SMOKE_ATTRIBUTE: [{"exists": False}]}
