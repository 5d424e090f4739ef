"""The stacks and the image agree on docs/contract.md: commands, env vars, SSM names, metric dimensions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fraud_constructs.runtime_parameters import DEFAULT_SETTINGS
from tests.constructs.app_helpers import by_path
from tests.tfjson import resources

pytestmark = pytest.mark.synth

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = (ROOT / "docs/contract.md").read_text()
IMAGE = ROOT / "lambda_image" / "fraud_detection"
ROLES = ("webhook", "stream", "batch")


def contract_env_table() -> dict[str, set[str]]:
    """Variable -> functions that get it, from the contract's environment table."""
    section = CONTRACT.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    table: dict[str, set[str]] = {}
    for variable, functions in re.findall(r"^\| `([A-Z_]+)` \| ([a-z, ]+) \|", section, flags=re.M):
        names = {f.strip() for f in functions.split(",")}
        table[variable] = set(ROLES) if names == {"all"} else names
    return table


def contract_commands() -> dict[str, str]:
    section = CONTRACT.split("## Handlers", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| (webhook|stream|batch)\s*\| `([a-z_.]+)`", section, flags=re.M))


def function_env(app: dict, role: str) -> dict[str, str]:
    return by_path(app, "aws_lambda_function", f"app/compute/{role}/function")["environment"]["variables"]


def test_contract_tables_parse() -> None:
    assert len(contract_env_table()) >= 11
    assert set(contract_commands()) == set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_each_function_gets_exactly_the_contract_variables(synthesized: dict[str, dict], role: str) -> None:
    expected = {variable for variable, functions in contract_env_table().items() if role in functions}
    assert set(function_env(synthesized["app"], role)) == expected


@pytest.mark.parametrize("role", ROLES)
def test_fixed_variable_values(synthesized: dict[str, dict], role: str) -> None:
    env = function_env(synthesized["app"], role)
    assert env["ENVIRONMENT"] == "dev"
    assert env["POWERTOOLS_SERVICE_NAME"] == f"fraud-{role}"
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "FraudDetection"
    assert env["LOG_LEVEL"] == "INFO"
    if "WINDOW_SHARDS" in env:
        assert env["WINDOW_SHARDS"] == "8"
    for name, suffix in (
        ("SETTINGS_PARAMETER", "settings"),
        ("SIGNING_KEYS_PARAMETER", "webhook-signing-keys"),
        ("FINGERPRINT_KEY_PARAMETER", "card-fingerprint-key"),
    ):
        if name in env:
            assert env[name] == f"/fraud-detection/dev/{suffix}"
            assert f"`/fraud-detection/<env>/{suffix}`" in CONTRACT


@pytest.mark.parametrize("role", ROLES)
def test_commands_match_the_contract_and_exist_in_the_image(synthesized: dict[str, dict], role: str) -> None:
    command = by_path(synthesized["app"], "aws_lambda_function", f"app/compute/{role}/function")["image_config"][
        "command"
    ]
    assert command == [contract_commands()[role]]
    module, _, attribute = command[0].rpartition(".")
    source = ROOT / "lambda_image" / Path(*module.split(".")).with_suffix(".py")
    assert re.search(rf"^def {attribute}\(", source.read_text(), flags=re.M), f"{source} has no {attribute}()"


def test_every_variable_the_image_reads_is_set_somewhere(synthesized: dict[str, dict]) -> None:
    read = set(
        re.findall(r"""(?:get|environ\[|getenv\()\(?["']([A-Z][A-Z0-9_]+)["']""", (IMAGE / "config.py").read_text())
    )
    assert read, "found no variable names in fraud_detection/config.py"
    set_anywhere = set().union(*(function_env(synthesized["app"], role) for role in ROLES))
    assert read <= set_anywhere
    assert read <= set(contract_env_table())


def test_ssm_parameters_match_the_contract(synthesized: dict[str, dict]) -> None:
    params = {p["name"]: p for p in resources(synthesized["app"], "aws_ssm_parameter").values()}
    # Only the settings: the two secret parameters are created by the rotation command, never by
    # Terraform (their values would be in state; tests/infra/test_runtime_parameters.py).
    assert set(params) == {"/fraud-detection/dev/settings"}
    settings = params["/fraud-detection/dev/settings"]
    assert settings["type"] == "SecureString"
    assert settings["key_id"].startswith("${aws_kms_key.app-key")
    assert "lifecycle" not in settings  # settings are reconciled by Terraform
    for suffix in ("webhook-signing-keys", "card-fingerprint-key"):
        assert f"`/fraud-detection/<env>/{suffix}`" in CONTRACT


def test_settings_json_parses_with_the_image_model(synthesized: dict[str, dict]) -> None:
    from fraud_detection.settings import Settings, parse_settings

    value = by_path(synthesized["app"], "aws_ssm_parameter", "app/compute/parameters/settings")["value"]
    parsed = parse_settings(value)
    assert parsed == Settings()  # the documented defaults are the model's defaults


def test_settings_defaults_are_the_documented_ones() -> None:
    section = CONTRACT.split("### Settings JSON", 1)[1]
    documented = json.loads(section.split("```json", 1)[1].split("```", 1)[0])
    assert documented == DEFAULT_SETTINGS


def test_metric_dimensions_match_the_contract(synthesized: dict[str, dict]) -> None:
    assert "`service=fraud-batch, environment=<env>`" in CONTRACT
    alarm = next(
        a
        for a in resources(synthesized["app"], "aws_cloudwatch_metric_alarm").values()
        if a["metric_name"] == "BatchWindowSucceeded"
    )
    assert alarm["dimensions"] == {"service": "fraud-batch", "environment": "dev"}
    assert alarm["namespace"] == "FraudDetection"


def test_window_shards_and_index_names_match_the_contract(synthesized: dict[str, dict]) -> None:
    table = by_path(synthesized["app"], "aws_dynamodb_table", "app/patterns/table")
    indexes = {i["name"] for i in table["global_secondary_index"]}
    assert indexes == {"by_window", "by_customer", "by_card"}
    config_source = (IMAGE / "config.py").read_text()
    assert "DEFAULT_WINDOW_SHARDS = 8" in config_source


@pytest.mark.parametrize("variant", ["prod", "privileged"])
def test_the_email_subscription_drops_exactly_the_smoke_alerts(variant: str, variant_stacks) -> None:
    """The stack's filter names the attribute the image sets on smoke alerts (one fact, two packages)."""
    from fraud_detection.smoke import SMOKE_ATTRIBUTE
    from stacks.app import SMOKE_ATTRIBUTE as STACK_SMOKE_ATTRIBUTE

    assert STACK_SMOKE_ATTRIBUTE == SMOKE_ATTRIBUTE
    subscription = by_path(variant_stacks(variant)["app"], "aws_sns_topic_subscription", "app/alerts/email")
    assert subscription["filter_policy_scope"] == "MessageAttributes"
    assert json.loads(subscription["filter_policy"]) == {SMOKE_ATTRIBUTE: [{"exists": False}]}
