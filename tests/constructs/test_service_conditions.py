"""Service principals carry only the condition keys AWS documents for them, on every variant.

A key the service does not send makes the statement match nothing: the role cannot be assumed
(function creation fails), the grant never applies (DLQ messages and alarm notifications are
dropped). Where AWS documents ``aws:SourceArn``, it names this project's resources, not the account.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from fnmatch import fnmatchcase

import pytest

from tests.conftest import VARIANT_CONTEXTS, VARIANTS
from tests.support.app_helpers import by_path, document_statements, ref
from tests.tfjson import resources

pytestmark = pytest.mark.synth

ROLES = ("webhook", "stream", "batch")
DEPLOY_ROLE_SIDS = {"DeployRoleManagesKey", "DeployRoleThroughServices"}

Stacks = Callable[[str], dict[str, dict]]


def key_statements(doc: dict, path: str) -> dict[str, dict]:
    return {s["Sid"]: s for s in json.loads(by_path(doc, "aws_kms_key", path)["policy"])["Statement"]}


@pytest.mark.parametrize("variant", VARIANTS)
def test_service_role_trusts_have_no_condition(variant_stacks: Stacks, variant: str) -> None:
    """Lambda ("Defining Lambda function permissions with an execution role") and API Gateway ("Set up
    CloudWatch logging for REST APIs in API Gateway") document their trust without a condition key."""
    stacks = variant_stacks(variant)
    trusts = [document_statements(stacks["app"], f"app/compute/{role}/trust") for role in ROLES]
    trusts.append(document_statements(stacks["bootstrap"], "bootstrap/api-gateway-logging/trust"))
    for (trust,) in trusts:
        assert trust["actions"] == ["sts:AssumeRole"]
        assert trust["principals"][0]["type"] == "Service"
        assert "condition" not in trust


@pytest.mark.parametrize("variant", VARIANTS)
def test_logs_key_lists_exactly_this_environments_log_groups(variant_stacks: Stacks, variant: str) -> None:
    app = variant_stacks(variant)["app"]
    statement = key_statements(app, "app/app-key/key")["CloudWatchLogsForNamedLogGroups"]
    arns = statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    groups = [g["name"] for g in resources(app, "aws_cloudwatch_log_group").values()]
    assert sorted(arn.split(":log-group:", 1)[1] for arn in arns) == sorted(groups)
    assert all("*" not in arn for arn in arns)
    # The execution log group is named after the REST API: the key names that API, nothing wider.
    api_id = ref(app, "aws_api_gateway_rest_api", "app/webhook-api/rest-api", "id")
    assert any(arn.endswith(f":log-group:API-Gateway-Execution-Logs_{api_id}/v1") for arn in arns)


@pytest.mark.parametrize("variant", VARIANTS)
def test_alarm_topic_accepts_exactly_this_environments_alarms(variant_stacks: Stacks, variant: str) -> None:
    app = variant_stacks(variant)["app"]
    statements = document_statements(app, "app/alerts/policy-document")
    (statement,) = [s for s in statements if s["sid"] == "CloudWatchAlarmsPublish"]
    (condition,) = statement["condition"]
    assert (condition["test"], condition["variable"]) == ("ArnLike", "aws:SourceArn")
    patterns = [arn.split(":alarm:", 1)[1] for arn in condition["values"]]
    assert all(arn.startswith("arn:${data.aws_partition.") for arn in condition["values"])

    def accepted(name: str) -> bool:
        return any(fnmatchcase(name, pattern) for pattern in patterns)

    names = [a["alarm_name"] for a in resources(app, "aws_cloudwatch_metric_alarm").values()]
    assert names and all(accepted(name) for name in names)
    # ... and not the alarms of another environment of the same account and region.
    environment = VARIANT_CONTEXTS[variant]["environment"]
    for other in ("dev", "prod", "staging", f"{environment}x"):
        if other != environment:
            assert not any(accepted(name.replace(f"-{environment}", f"-{other}")) for name in names), other


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_key_statement_for_a_service_uses_source_account(variant_stacks: Stacks, variant: str) -> None:
    for doc in variant_stacks(variant).values():
        for key in resources(doc, "aws_kms_key").values():
            policy = json.loads(key["policy"])
            services = [s for s in policy["Statement"] if "Service" in s["Principal"]]
            assert "aws:SourceAccount" not in json.dumps(services)


@pytest.mark.parametrize("variant", VARIANTS)
def test_deploy_role_is_on_the_app_and_registry_keys_only_with_a_repository(
    variant_stacks: Stacks, variant: str
) -> None:
    stacks = variant_stacks(variant)
    for stack, path in (("app", "app/app-key/key"), ("registry", "registry/registry-key/key")):
        statements = key_statements(stacks[stack], path)
        if variant != "privileged":
            assert not DEPLOY_ROLE_SIDS & set(statements), stack
            continue
        assert set(statements) >= DEPLOY_ROLE_SIDS, stack
        for sid in DEPLOY_ROLE_SIDS:
            assert statements[sid]["Principal"]["AWS"].split(":role/", 1)[1].startswith("fraud-github-deploy-")
        # KMS's lockout safety check: the creator (the deploy role, in CI) may put the key policy.
        assert "kms:PutKeyPolicy" in statements["DeployRoleManagesKey"]["Action"]


def test_deploy_role_on_the_keys_is_the_role_bootstrap_creates(variant_stacks: Stacks) -> None:
    stacks = variant_stacks("privileged")
    (role,) = [r for r in resources(stacks["bootstrap"], "aws_iam_role").values() if "github-deploy" in r["name"]]
    for stack, path in (("app", "app/app-key/key"), ("registry", "registry/registry-key/key")):
        principal = key_statements(stacks[stack], path)["DeployRoleManagesKey"]["Principal"]["AWS"]
        assert principal.startswith("arn:${data.aws_partition.") and ":iam::${data.aws_caller_identity." in principal
        assert principal.split(":role/", 1)[1] == role["name"]
