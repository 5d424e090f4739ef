"""The secret parameters are out of Terraform: no resource, ``removed`` blocks at the old addresses,
grants by name. (Terraform itself accepting the blocks: tests/stacks/test_terraform_validate.py; the
migration of a deployed environment: tests/e2e/test_first_deployment.py.)"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from fraud_constructs.runtime_parameters import RuntimeParameters, RuntimeParametersProps
from stacks.specs import RETIRED_SECRET_IDS
from tests.conftest import VARIANTS
from tests.support.app_helpers import statements_by_sid
from tests.tfjson import resources, synth_scope

pytestmark = pytest.mark.synth

SECRET_NAMES = ("webhook-signing-keys", "card-fingerprint-key")


def old_addresses(stack_name: str = "app") -> dict[str, str]:
    """Construct id -> the address an ``SsmParameter`` at the old path gets (what today's state holds)."""
    stack = TerraformStack(App(), stack_name)
    parameters = Construct(Construct(stack, "compute"), "parameters")
    found = {}
    for construct_id in (*RETIRED_SECRET_IDS, "settings"):
        parameter = SsmParameter(parameters, construct_id, name=f"/x/{construct_id}", type="SecureString", value="v")
        found[construct_id] = f"aws_ssm_parameter.{stack.get_logical_id(parameter)}"
    return found


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_secret_parameter_is_a_terraform_resource(variant: str, variant_stacks: Callable[[str], dict]) -> None:
    for stack in variant_stacks(variant).values():
        names = [p["name"] for p in resources(stack, "aws_ssm_parameter").values()]
        assert not [n for n in names if n.endswith(SECRET_NAMES)], names


def test_removed_blocks_name_exactly_the_old_addresses_and_keep_the_objects(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    old = old_addresses()
    assert app["removed"] == [
        {"from": old[construct_id], "lifecycle": {"destroy": False}} for construct_id in RETIRED_SECRET_IDS
    ]
    # What stays keeps its address (state of deployed environments).
    assert set(resources(app, "aws_ssm_parameter")) == {old["settings"].split(".", 1)[1]}
    for name in ("bootstrap", "registry"):
        assert "removed" not in synthesized[name]


def test_secret_grants_are_the_arns_built_from_the_names(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    read = statements_by_sid(app, "app/compute/webhook/policy")["ReadParameters"]
    built = sorted(r for r in read["resources"] if not r.startswith("${aws_ssm_parameter."))
    assert len(built) == 2
    for arn, suffix in zip(built, sorted(SECRET_NAMES), strict=True):
        # arn:<partition>:ssm:<region>:<account>:parameter/<name>, from the stack's AwsContext lookups
        partition, service, region, account, resource = arn.split(":", 1)[1].split(":", 4)
        assert partition.startswith("${data.aws_partition.") and service == "ssm"
        assert region.startswith("${data.aws_region.") and account.startswith("${data.aws_caller_identity.")
        assert resource == f"parameter/fraud-detection/dev/{suffix}"
    (webhook,) = [
        f for f in resources(app, "aws_lambda_function").values() if f["function_name"] == "fraud-webhook-dev"
    ]
    variables = webhook["environment"]["variables"]
    assert {variables["SIGNING_KEYS_PARAMETER"], variables["FINGERPRINT_KEY_PARAMETER"]} == {
        f"/fraud-detection/dev/{suffix}" for suffix in SECRET_NAMES
    }
    assert {r.rsplit(":parameter", 1)[1] for r in built} == {
        variables["SIGNING_KEYS_PARAMETER"],
        variables["FINGERPRINT_KEY_PARAMETER"],
    }


def test_the_construct_alone_declares_no_secret_and_exposes_the_removed_addresses() -> None:
    built: list[RuntimeParameters] = []

    def build(stack: TerraformStack) -> None:
        built.append(
            RuntimeParameters(
                stack,
                "parameters",
                aws=stack.aws,
                props=RuntimeParametersProps(
                    kms_key_arn="k",
                    settings_name="/orders/qa/settings",
                    settings_value={"limit": 5},
                    secret_names=("/orders/qa/api-key", "/orders/qa/signing-key"),
                    retired_ids=("api-key",),
                ),
            )
        )

    doc = synth_scope(build)
    (parameters,) = built
    (settings,) = resources(doc, "aws_ssm_parameter").values()
    assert (settings["name"], settings["value"], settings["type"]) == (
        "/orders/qa/settings",
        '{"limit":5}',
        "SecureString",
    )
    assert [block["from"] for block in doc["removed"]] == list(parameters.removed_addresses)
    assert len(parameters.removed_addresses) == 1
    assert json.dumps(doc).count("UNSET") == 0
    assert parameters.arns[1].endswith(":parameter/orders/qa/api-key")
    assert parameters.secret_arn("/orders/qa/signing-key").endswith(":parameter/orders/qa/signing-key")


def test_without_retired_ids_no_removed_block_is_written() -> None:
    def build(stack: TerraformStack) -> None:
        props = RuntimeParametersProps(kms_key_arn="k", settings_name="/orders/qa/settings", settings_value={})
        RuntimeParameters(stack, "parameters", aws=stack.aws, props=props)

    assert "removed" not in synth_scope(build)


@pytest.mark.unit
def test_names_must_be_hierarchical() -> None:
    with pytest.raises(ValueError, match="hierarchical"):
        RuntimeParametersProps(kms_key_arn="k", settings_name="settings", settings_value={})
