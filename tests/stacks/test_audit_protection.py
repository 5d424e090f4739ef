"""Access logs and audit replication as the stacks synthesize them (docs/audit-trail-protection.md).

The dev default (no option), the prod preset (``accessLogs = server``), one synth with
``auditReplicaRegion`` (and the deploy role, whose boundary the replication role must carry) and
one with ``accessLogs = cloudtrail``.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stacks.config import load_config
from tests.conftest import TEST_CONTEXT, _synth, read_stacks
from tests.support.app_helpers import address, by_path, document_statements, ref
from tests.tfjson import resources

pytestmark = pytest.mark.synth

ROOT = Path(__file__).resolve().parents[2]
REPLICA_REGION = "us-west-2"
REPLICATED = TEST_CONTEXT | {
    "environment": "prod",
    "alertEmail": "oncall@example.com",
    "auditReplicaRegion": REPLICA_REGION,
    "githubRepository": "example-org/fraud-detection",
    "deployEnvironments": ["staging", "prod"],
}
CLOUDTRAIL = TEST_CONTEXT | {"environment": "staging", "accessLogs": "cloudtrail", "auditReplicaRegion": "eu-west-1"}


@pytest.fixture(scope="module")
def replicated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return read_stacks(_synth(load_config(REPLICATED, {}), tmp_path_factory.mktemp("replicated")))


@pytest.fixture(scope="module")
def cloudtrail(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return read_stacks(_synth(load_config(CLOUDTRAIL, {}), tmp_path_factory.mktemp("cloudtrail")))


def log_bucket_name(stacks: dict[str, dict]) -> str:
    return by_path(stacks["bootstrap"], "aws_s3_bucket", "bootstrap/access-logs/bucket")["bucket"]


def conditions(statement: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["variable"]: c for c in statement.get("condition", [])}


# --- bootstrap: the log bucket of the account and region -------------------------------------------


def test_bootstrap_always_has_the_log_bucket_and_logs_the_state_bucket(synthesized: dict[str, dict]) -> None:
    doc = synthesized["bootstrap"]
    name = log_bucket_name(synthesized)
    assert re.fullmatch(
        r"fraud-access-logs-\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}-"
        r"\$\{data\.aws_region\.[\w-]+\.name\}",
        name,
    ), name
    sse = by_path(doc, "aws_s3_bucket_server_side_encryption_configuration", "bootstrap/access-logs/encryption")
    assert sse["rule"] == [{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}]
    bucket = by_path(doc, "aws_s3_bucket", "bootstrap/access-logs/bucket")
    assert "object_lock_enabled" not in bucket
    assert not [
        c for c in resources(doc, "aws_s3_bucket_object_lock_configuration").values() if "access-logs" in c["bucket"]
    ]
    logging = by_path(doc, "aws_s3_bucket_logging", "bootstrap/state-bucket/access-logs")
    assert logging["target_bucket"] == ref(doc, "aws_s3_bucket", "bootstrap/access-logs/bucket", "bucket")
    assert logging["target_prefix"] == ref(doc, "aws_s3_bucket", "bootstrap/state-bucket/bucket", "bucket") + "/"
    assert logging["depends_on"] == [address(doc, "aws_s3_bucket_policy", "bootstrap/access-logs/policy")]
    assert doc["output"]["access_log_bucket_name"]["value"] == ref(
        doc, "aws_s3_bucket", "bootstrap/access-logs/bucket", "bucket"
    )


def test_log_bucket_policy_lets_only_this_projects_sources_and_trails_deliver(synthesized: dict[str, dict]) -> None:
    statements = {s["sid"]: s for s in document_statements(synthesized["bootstrap"], "bootstrap/access-logs/tls-only")}
    assert set(statements) == {
        "DenyInsecureTransport",
        "S3ServerAccessLogDelivery",
        "CloudTrailAclCheck",
        "CloudTrailWrite",
    }
    delivery = conditions(statements["S3ServerAccessLogDelivery"])
    assert delivery["aws:SourceArn"]["test"] == "ArnLike"
    assert delivery["aws:SourceArn"]["values"] == [
        "arn:${data.aws_partition.aws-context_partition_9ECE3875.partition}:s3:::fraud-*"
    ]
    assert delivery["aws:SourceAccount"]["values"] == [
        "${data.aws_caller_identity.aws-context_caller_91636884.account_id}"
    ]
    trails = conditions(statements["CloudTrailWrite"])["aws:SourceArn"]["values"]
    assert [t.rsplit(":", 1)[1] for t in trails] == ["trail/fraud-audit-data-events-*"]


def test_the_dev_default_logs_and_replicates_nothing(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    for resource_type in ("aws_s3_bucket_logging", "aws_s3_bucket_replication_configuration", "aws_cloudtrail"):
        assert resources(app, resource_type) == {}, resource_type
    assert len(app["provider"]["aws"]) == 1


# --- accessLogs = server (the prod preset) ------------------------------------------------------------


def test_prod_logs_the_audit_bucket_into_the_bootstraps_log_bucket(
    variant_stacks: Callable[[str], dict[str, dict]],
) -> None:
    stacks = variant_stacks("prod")
    app = stacks["app"]
    logging = by_path(app, "aws_s3_bucket_logging", "app/audit/access-logs")
    assert logging["bucket"] == ref(app, "aws_s3_bucket", "app/audit/bucket", "id")
    # Separate Terraform states: the app names the bucket exactly as the bootstrap creates it (same data
    # sources of the account and region, so the two strings are equal before Terraform resolves them).
    assert logging["target_bucket"] == log_bucket_name(stacks)
    assert logging["target_prefix"] == ref(app, "aws_s3_bucket", "app/audit/bucket", "bucket") + "/"
    assert resources(app, "aws_cloudtrail") == {}


# --- auditReplicaRegion -------------------------------------------------------------------------------


def test_replica_region_provider_key_and_bucket(replicated: dict[str, dict]) -> None:
    app = replicated["app"]
    main, other = app["provider"]["aws"]
    assert (other["alias"], other["region"]) == ("replica", REPLICA_REGION)
    assert other["default_tags"] == main["default_tags"]  # the same project tags in both regions
    replica = by_path(app, "aws_s3_bucket", "app/audit-protection/replica/bucket/bucket")
    assert replica["provider"] == "aws.replica"
    assert replica["bucket"].startswith("fraud-audit-replica-prod-${data.aws_caller_identity.audit-protection_replica_")
    assert replica["object_lock_enabled"] is True  # created lockable: the destination of an Object Lock source
    assert replica["lifecycle"] == {"prevent_destroy": True} and replica["force_destroy"] is False
    lock = by_path(app, "aws_s3_bucket_object_lock_configuration", "app/audit-protection/replica/bucket/object-lock")
    assert lock["rule"]["default_retention"] == {"mode": "GOVERNANCE", "days": 365}  # as the audit bucket (prod)
    sse = by_path(
        app, "aws_s3_bucket_server_side_encryption_configuration", "app/audit-protection/replica/bucket/encryption"
    )
    (rule,) = sse["rule"]
    assert rule["apply_server_side_encryption_by_default"] == {
        "sse_algorithm": "aws:kms",
        "kms_master_key_id": ref(app, "aws_kms_key", "app/audit-protection/replica/key/key", "arn"),
    }
    key = by_path(app, "aws_kms_key", "app/audit-protection/replica/key/key")
    assert key["provider"] == "aws.replica" and key["enable_key_rotation"] is True
    alias = by_path(app, "aws_kms_alias", "app/audit-protection/replica/key/alias")
    assert alias["name"] == "alias/fraud-audit-replica-prod"
    sids = [s["Sid"] for s in json.loads(key["policy"])["Statement"]]
    assert sids == ["AccountAdministers", "DeployRoleManagesKey"]


def test_replication_configuration_selects_kms_objects_into_the_replica_key(replicated: dict[str, dict]) -> None:
    app = replicated["app"]
    config = by_path(app, "aws_s3_bucket_replication_configuration", "app/audit-protection/replication/configuration")
    assert "provider" not in config  # written on the source, in the app's region
    assert config["bucket"] == ref(app, "aws_s3_bucket", "app/audit/bucket", "bucket")
    assert config["role"] == ref(app, "aws_iam_role", "app/audit-protection/replication/role", "arn")
    assert {
        address(app, "aws_s3_bucket_versioning", "app/audit/versioning"),
        address(app, "aws_s3_bucket_versioning", "app/audit-protection/replica/bucket/versioning"),
        address(app, "aws_s3_bucket_object_lock_configuration", "app/audit-protection/replica/bucket/object-lock"),
    } <= set(config["depends_on"])
    (rule,) = config["rule"]
    assert rule["id"] == "audit-replica" and rule["status"] == "Enabled"
    assert rule["source_selection_criteria"] == {"sse_kms_encrypted_objects": {"status": "Enabled"}}
    assert rule["delete_marker_replication"] == {"status": "Disabled"}
    assert rule["destination"] == {
        "bucket": ref(app, "aws_s3_bucket", "app/audit-protection/replica/bucket/bucket", "arn"),
        "encryption_configuration": {
            "replica_kms_key_id": ref(app, "aws_kms_key", "app/audit-protection/replica/key/key", "arn")
        },
        "metrics": {"status": "Enabled"},
    }


def test_replication_role_policy_on_both_buckets_and_keys(replicated: dict[str, dict]) -> None:
    app = replicated["app"]
    role = by_path(app, "aws_iam_role", "app/audit-protection/replication/role")
    assert role["name"] == "fraud-audit-replication-prod-${data.aws_region.aws-context_region_DEC3537F.name}"
    assert role["permissions_boundary"].endswith(
        ":policy/fraud-permissions-boundary-${data.aws_region.aws-context_region_DEC3537F.name}"
    )
    audit = ref(app, "aws_s3_bucket", "app/audit/bucket", "arn")
    replica = ref(app, "aws_s3_bucket", "app/audit-protection/replica/bucket/bucket", "arn")
    statements = {s["sid"]: s for s in document_statements(app, "app/audit-protection/replication/policy")}
    assert statements["ReadReplicationConfiguration"]["resources"] == [audit]
    read = statements["ReadSourceVersions"]
    assert read["resources"] == [f"{audit}/*"]
    assert {"s3:GetObjectVersionForReplication", "s3:GetObjectRetention", "s3:GetObjectLegalHold"} <= set(
        read["actions"]
    )
    assert statements["WriteReplicas"]["resources"] == [f"{replica}/*"]
    decrypt = statements["DecryptSourceObjects"]
    assert decrypt["resources"] == [ref(app, "aws_kms_key", "app/app-key/key", "arn")]
    assert conditions(decrypt)["kms:ViaService"]["values"] == [
        "s3.${data.aws_region.aws-context_region_DEC3537F.name}.${data.aws_partition.aws-context_partition_9ECE3875.dns_suffix}"
    ]
    assert conditions(decrypt)["kms:EncryptionContext:aws:s3:arn"]["values"] == [audit, f"{audit}/*"]
    encrypt = statements["EncryptReplicas"]
    assert encrypt["resources"] == [ref(app, "aws_kms_key", "app/audit-protection/replica/key/key", "arn")]
    assert conditions(encrypt)["kms:ViaService"]["values"][0].startswith(
        "s3.${data.aws_region.audit-protection_replica_aws-context_region_"
    )
    assert conditions(encrypt)["kms:EncryptionContext:aws:s3:arn"]["values"] == [replica, f"{replica}/*"]


def test_replica_access_logs_go_to_a_log_bucket_of_the_replica_region(replicated: dict[str, dict]) -> None:
    app = replicated["app"]
    logs = by_path(app, "aws_s3_bucket", "app/audit-protection/replica/access-logs/bucket")
    assert logs["provider"] == "aws.replica" and logs["bucket"].startswith("fraud-replica-logs-prod-")
    logging = by_path(app, "aws_s3_bucket_logging", "app/audit-protection/replica/bucket/access-logs")
    assert logging["provider"] == "aws.replica"
    assert logging["target_bucket"] == ref(
        app, "aws_s3_bucket", "app/audit-protection/replica/access-logs/bucket", "bucket"
    )
    delivery = {s["sid"]: s for s in document_statements(app, "app/audit-protection/replica/access-logs/tls-only")}[
        "S3ServerAccessLogDelivery"
    ]
    assert conditions(delivery)["aws:SourceArn"]["values"] == [
        ref(app, "aws_s3_bucket", "app/audit-protection/replica/bucket/bucket", "arn")
    ]


def test_failed_replication_alarms_with_a_runbook_entry(replicated: dict[str, dict]) -> None:
    app = replicated["app"]
    alarm = by_path(app, "aws_cloudwatch_metric_alarm", "app/alarms/fraud-audit-replication-prod-failed")
    assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == (
        "AWS/S3",
        "OperationsFailedReplication",
        "Sum",
    )
    account = "${data.aws_caller_identity.aws-context_caller_91636884.account_id}"
    assert alarm["dimensions"] == {
        "SourceBucket": by_path(app, "aws_s3_bucket", "app/audit/bucket")["bucket"],
        "DestinationBucket": f"fraud-audit-replica-prod-{account}-{REPLICA_REGION}",
        "RuleId": "audit-replica",
    }
    # the same names as the buckets' (the replica's is built from the replica region's lookups)
    assert (
        alarm["dimensions"]["SourceBucket"]
        == f"fraud-audit-prod-{account}-${{data.aws_region.aws-context_region_DEC3537F.name}}"
    )
    replica = by_path(app, "aws_s3_bucket", "app/audit-protection/replica/bucket/bucket")["bucket"]
    assert re.sub(r"\$\{data\.aws_[a-z_]+\.[\w-]+\.(account_id|name)\}", "<x>", replica) == re.sub(
        r"\$\{data\.aws_[a-z_]+\.[\w-]+\.(account_id|name)\}|us-west-2$",
        "<x>",
        alarm["dimensions"]["DestinationBucket"],
    )
    assert (alarm["threshold"], alarm["comparison_operator"], alarm["treat_missing_data"]) == (
        0,
        "GreaterThanThreshold",
        "notBreaching",
    )
    topic = ref(app, "aws_sns_topic", "app/alerts/topic", "arn")
    assert alarm["alarm_actions"] == [topic] and alarm["ok_actions"] == [topic]
    anchor = re.search(r"docs/runbook\.md#([a-z0-9-]+)", alarm["alarm_description"]).group(1)
    assert f'<a id="{anchor}"></a>' in (ROOT / "docs/runbook.md").read_text()
    # the alert topic accepts it (its policy names this environment's alarm patterns)
    assert fnmatch.fnmatch(alarm["alarm_name"], "fraud-*-prod-*")


def test_the_deploy_role_may_create_the_replication_role_only_with_the_boundary(replicated: dict[str, dict]) -> None:
    from tests.stacks.test_deploy_role import deploy_statements_by_sid

    deploy = deploy_statements_by_sid(replicated["bootstrap"])
    for sid in ("CreateRolesOnlyWithTheBoundary", "ManageOwnedRoles"):
        names = {r.split(":role/")[1].split("$")[0] for r in deploy[sid]["resources"]}
        assert {"fraud-audit-replication-staging-", "fraud-audit-replication-prod-"} <= names, sid


# --- accessLogs = cloudtrail --------------------------------------------------------------------------


def test_cloudtrail_records_data_events_of_the_audit_bucket_and_its_replica(cloudtrail: dict[str, dict]) -> None:
    app = cloudtrail["app"]
    assert resources(app, "aws_s3_bucket_logging") == {}
    trail = by_path(app, "aws_cloudtrail", "app/audit-protection/data-events")
    assert trail["name"] == "fraud-audit-data-events-staging"
    assert trail["s3_bucket_name"] == log_bucket_name(cloudtrail) and trail["s3_key_prefix"] == "cloudtrail"
    assert trail["enable_log_file_validation"] is True and trail["is_multi_region_trail"] is True
    assert trail["kms_key_id"] == ref(app, "aws_kms_key", "app/app-key/key", "arn")
    (selector,) = trail["advanced_event_selector"]
    fields = {f["field"]: f for f in selector["field_selector"]}
    assert fields["eventCategory"]["equals"] == ["Data"]
    assert fields["resources.type"]["equals"] == ["AWS::S3::Object"]
    assert fields["resources.ARN"]["starts_with"] == [
        ref(app, "aws_s3_bucket", "app/audit/bucket", "arn") + "/",
        ref(app, "aws_s3_bucket", "app/audit-protection/replica/bucket/bucket", "arn") + "/",
    ]
    assert "readOnly" not in fields  # reads of the audit trail are recorded too
    # no replica-region log bucket: the trail records the replica's requests
    assert not [n for n in resources(app, "aws_s3_bucket") if "replica_access-logs" in n]


def test_cloudtrail_may_use_the_app_key_for_this_trail_only(cloudtrail: dict[str, dict]) -> None:
    app = cloudtrail["app"]
    key = json.loads(by_path(app, "aws_kms_key", "app/app-key/key")["policy"])
    statements = {s["Sid"]: s for s in key["Statement"]}
    trail_arn = (
        "arn:${data.aws_partition.aws-context_partition_9ECE3875.partition}:cloudtrail:"
        "${data.aws_region.aws-context_region_DEC3537F.name}:"
        "${data.aws_caller_identity.aws-context_caller_91636884.account_id}:trail/fraud-audit-data-events-staging"
    )
    for sid in ("CloudTrailEncryptsNamedTrails", "CloudTrailDescribesKey"):
        assert statements[sid]["Condition"]["StringEquals"] == {"aws:SourceArn": [trail_arn]}
    # the bootstrap's log bucket accepts this trail's files (ArnLike on the project's trail names)
    write = {s["sid"]: s for s in document_statements(cloudtrail["bootstrap"], "bootstrap/access-logs/tls-only")}[
        "CloudTrailWrite"
    ]
    (pattern,) = conditions(write)["aws:SourceArn"]["values"]
    assert fnmatch.fnmatch(trail_arn, pattern)


# --- deploy role rows and boundary (stacks/deploy_permissions.py renders them) ---------------------


def _scope(environment: str = "staging") -> Any:
    """The deploy scope of a bootstrap configured for ``environment`` (its protection preset applies to
    every deploy environment, as in stacks/deploy_permissions.py)."""
    from dataclasses import replace

    from stacks.deploy_permissions import PLACEHOLDER_SCOPE_ARGS, DeployScope

    config = load_config(TEST_CONTEXT | {"environment": environment}, {})
    config = replace(config, deploy_environments=("staging", "prod") if environment == "staging" else ("dev",))
    return DeployScope(config=config, **PLACEHOLDER_SCOPE_ARGS)


@pytest.mark.unit
def test_deploy_rows_are_scoped_to_this_projects_names() -> None:
    from stacks.audit_protection import deploy_denies, deploy_statements

    rows = {s.sid: s for s in deploy_statements(_scope())}
    assert rows["AuditBucketLoggingAndReplication"].resources == (
        "arn:aws:s3:::fraud-audit-staging-<account>-<region>",
        "arn:aws:s3:::fraud-audit-prod-<account>-<region>",
    )
    assert set(rows["AuditBucketLoggingAndReplication"].actions) == {
        "s3:PutBucketLogging",
        "s3:PutReplicationConfiguration",
    }
    passing = rows["PassReplicationRoles"]
    assert passing.actions == ("iam:PassRole",)
    assert passing.resources == (
        "arn:aws:iam::<account>:role/fraud-audit-replication-staging-<region>",
        "arn:aws:iam::<account>:role/fraud-audit-replication-prod-<region>",
    )
    (passed_to,) = passing.conditions
    assert (passed_to.test, passed_to.variable, passed_to.values) == (
        "StringEquals",
        "iam:PassedToService",
        ("s3.amazonaws.com",),
    )
    # replica buckets of any region (a per-environment setting), named for this account
    assert rows["CreateReplicaBuckets"].resources == (
        "arn:aws:s3:::fraud-audit-replica-staging-<account>-*",
        "arn:aws:s3:::fraud-replica-logs-staging-<account>-*",
        "arn:aws:s3:::fraud-audit-replica-prod-<account>-*",
        "arn:aws:s3:::fraud-replica-logs-prod-<account>-*",
    )
    assert {"s3:PutBucketObjectLockConfiguration", "s3:PutBucketVersioning", "s3:PutBucketLogging"} <= set(
        rows["ReplicaBuckets"].actions
    )
    assert [c.variable for c in rows["ReplicaBuckets"].conditions] == ["s3:ResourceAccount"]
    assert rows["ReplicaKeyAliases"].resources == (
        "arn:aws:kms:*:<account>:alias/fraud-audit-replica-staging",
        "arn:aws:kms:*:<account>:alias/fraud-audit-replica-prod",
    )
    assert rows["DataEventTrails"].resources == (
        "arn:aws:cloudtrail:<region>:<account>:trail/fraud-audit-data-events-staging",
        "arn:aws:cloudtrail:<region>:<account>:trail/fraud-audit-data-events-prod",
    )
    assert rows["DescribeTrails"].resources == ("*",) and rows["DescribeTrails"].actions == (
        "cloudtrail:DescribeTrails",
    )
    assert "ReplicaObjectsOnDestroy" not in rows  # staging and prod are protected
    for row in rows.values():
        assert all("*" not in action for action in row.actions), row.sid
    (deny,) = deploy_denies(_scope())
    assert deny.effect == "Deny" and deny.actions == ("s3:BypassGovernanceRetention",)
    assert "arn:aws:s3:::fraud-audit-replica-prod-<account>-*/*" in deny.resources


@pytest.mark.unit
def test_dev_may_empty_its_replica_on_destroy() -> None:
    from stacks.audit_protection import deploy_statements

    rows = {s.sid: s for s in deploy_statements(_scope("dev"))}
    assert rows["ReplicaObjectsOnDestroy"].resources == (
        "arn:aws:s3:::fraud-audit-replica-dev-<account>-*/*",
        "arn:aws:s3:::fraud-replica-logs-dev-<account>-*/*",
    )


def test_boundary_covers_the_replication_roles_grants(replicated: dict[str, dict]) -> None:
    from stacks.audit_protection import boundary_statements
    from stacks.deploy_permissions import boundary_statements as function_boundary

    ceiling = {a for s in (*boundary_statements(_scope()), *function_boundary(_scope())) for a in s.actions}
    granted = {
        a
        for s in document_statements(replicated["app"], "app/audit-protection/replication/policy")
        for a in s["actions"]
    }
    assert granted <= ceiling, granted - ceiling
