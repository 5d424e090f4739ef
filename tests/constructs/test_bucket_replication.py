"""BucketReplication across regions (RegionalScope), a replica created with Object Lock, and the key
policy hook for CloudTrail: the JSON S3, KMS and IAM will be given."""

from __future__ import annotations

import json

import pytest

from fraud_constructs.audit_bucket import AuditBucket, AuditBucketProps
from fraud_constructs.bucket_replication import BucketReplication, BucketReplicationProps
from fraud_constructs.encryption_key import EncryptionKey, EncryptionKeyProps
from fraud_constructs.regional_scope import RegionalScope
from tests.tfjson import data_sources, resources, synth_scope

pytestmark = pytest.mark.synth

SOURCE_KEY = "arn:aws:kms:us-east-1:111111111111:key/source"
TRAIL = "arn:aws:cloudtrail:us-east-1:111111111111:trail/fraud-audit-data-events-dev"


def _named(doc: dict, resource_type: str, path: str, *, data: bool = False) -> dict:
    """The resource (or data source) at construct path ``path`` (logical name = path with ``_`` + hash)."""
    parts = path.split("/")
    # cdktf drops a component equal to its parent's (``bucket/bucket`` is ``bucket``)
    prefix = "_".join(c for i, c in enumerate(parts) if i == 0 or c != parts[i - 1]) + "_"
    found = (data_sources if data else resources)(doc, resource_type)
    (config,) = [c for name, c in found.items() if name.startswith(prefix)]
    return config


def _build(stack: object, *, delete_markers: bool = False) -> None:
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    aws = stack.aws  # type: ignore[attr-defined]
    source = AuditBucket(
        stack,
        "source",
        aws=aws,
        props=AuditBucketProps(name_prefix="fraud-audit-unit", kms_key_arn=SOURCE_KEY, archive_prefix="audit/"),
    )
    region = RegionalScope(
        stack, "replica", provider=AwsProvider(stack, "aws-replica", alias="replica", region="us-west-2")
    )
    key = EncryptionKey(region, "key", aws=region.aws, props=EncryptionKeyProps(alias="replica", description="r"))
    replica = AuditBucket(
        region,
        "bucket",
        aws=region.aws,
        props=AuditBucketProps(
            name_prefix="fraud-audit-replica-unit",
            kms_key_arn=key.arn,
            archive_prefix="audit/",
            object_lock_days=30,
            object_lock_at_creation=True,
        ),
    )
    BucketReplication(
        stack,
        "replication",
        aws=aws,
        props=BucketReplicationProps(
            role_name="replication-role",
            source_bucket_name=source.name,
            source_bucket_arn=source.arn,
            source_kms_key_arn=SOURCE_KEY,
            destination_bucket_arn=replica.arn,
            destination_region=region.aws.region,
            replica_kms_key_arn=key.arn,
            rule_id="audit-replica",
            delete_marker_replication=delete_markers,
            permissions_boundary_arn="arn:aws:iam::111111111111:policy/boundary",
        ),
        depends_on=[source.versioning, replica.versioning],
    )
    trail_key = EncryptionKey(stack, "trail-key", aws=aws, props=EncryptionKeyProps(alias="app", description="a"))
    trail_key.allow_cloudtrail_trails([TRAIL])


@pytest.fixture(scope="module")
def doc() -> dict:
    return synth_scope(_build)


def _policy(doc: dict) -> dict[str, dict]:
    return {s["sid"]: s for s in _named(doc, "aws_iam_policy_document", "replication/policy", data=True)["statement"]}


def test_everything_in_the_regional_scope_uses_its_provider(doc: dict) -> None:
    assert {"alias": "replica", "region": "us-west-2"} in doc["provider"]["aws"]
    for kind in ("resource", "data"):
        for resource_type, by_name in doc[kind].items():
            for name, config in by_name.items():
                expected = "aws.replica" if name.startswith("replica_") else None
                assert config.get("provider") == expected, f"{kind} {resource_type}.{name}"
    # names and key policies of the replica region see that region
    bucket = _named(doc, "aws_s3_bucket", "replica/bucket/bucket")
    assert "data.aws_region.replica_aws-context_region_" in bucket["bucket"]


def test_replica_is_created_with_object_lock_and_default_retention(doc: dict) -> None:
    assert _named(doc, "aws_s3_bucket", "replica/bucket/bucket")["object_lock_enabled"] is True
    lock = _named(doc, "aws_s3_bucket_object_lock_configuration", "replica/bucket/object-lock")
    assert lock["rule"]["default_retention"] == {"mode": "GOVERNANCE", "days": 30}
    # the source keeps the in-place path: no object_lock_enabled argument (it would replace the bucket)
    assert "object_lock_enabled" not in _named(doc, "aws_s3_bucket", "source/bucket")


def test_replication_configuration(doc: dict) -> None:
    config = _named(doc, "aws_s3_bucket_replication_configuration", "replication/configuration")
    assert config["bucket"].startswith("${aws_s3_bucket.source_bucket_") and config["bucket"].endswith(".bucket}")
    assert config["role"].startswith("${aws_iam_role.replication_role_")
    assert any(d.startswith("aws_s3_bucket_versioning.source_versioning_") for d in config["depends_on"])
    assert any(d.startswith("aws_s3_bucket_versioning.replica_bucket_versioning_") for d in config["depends_on"])
    assert any(d.startswith("aws_iam_role_policy.replication_role-policy_") for d in config["depends_on"])
    (rule,) = config["rule"]
    assert rule["id"] == "audit-replica" and rule["status"] == "Enabled" and rule["filter"] == {"prefix": ""}
    assert rule["delete_marker_replication"] == {"status": "Disabled"}
    assert rule["source_selection_criteria"] == {"sse_kms_encrypted_objects": {"status": "Enabled"}}
    destination = rule["destination"]
    assert destination["bucket"].startswith("${aws_s3_bucket.replica_bucket_")
    assert destination["encryption_configuration"]["replica_kms_key_id"].startswith("${aws_kms_key.replica_key_")
    assert destination["metrics"] == {"status": "Enabled"}
    assert "replication_time" not in destination  # metrics do not need S3 RTC


def test_role_is_trusted_by_s3_only_and_carries_the_boundary(doc: dict) -> None:
    role = _named(doc, "aws_iam_role", "replication/role")
    assert role["name"] == "replication-role"
    assert role["permissions_boundary"] == "arn:aws:iam::111111111111:policy/boundary"
    (trust,) = _named(doc, "aws_iam_policy_document", "replication/trust", data=True)["statement"]
    assert trust["actions"] == ["sts:AssumeRole"]
    assert trust["principals"][0]["identifiers"][0].startswith("s3.${data.aws_partition.")
    assert "condition" not in trust  # the documented trust has none


def test_role_policy_reads_the_source_writes_replicas(doc: dict) -> None:
    statements = _policy(doc)
    read_config = statements["ReadReplicationConfiguration"]
    assert read_config["actions"] == ["s3:GetReplicationConfiguration", "s3:ListBucket"]
    assert read_config["resources"][0].startswith("${aws_s3_bucket.source_bucket_")
    versions = statements["ReadSourceVersions"]
    assert set(versions["actions"]) == {
        "s3:GetObjectVersionForReplication",
        "s3:GetObjectVersionAcl",
        "s3:GetObjectVersionTagging",
        "s3:GetObjectRetention",
        "s3:GetObjectLegalHold",
    }
    assert versions["resources"][0].endswith(".arn}/*")
    write = statements["WriteReplicas"]
    assert write["actions"] == ["s3:ReplicateObject", "s3:ReplicateTags"]  # no ReplicateDelete: markers stay
    assert write["resources"][0].startswith("${aws_s3_bucket.replica_bucket_")


def test_role_policy_uses_both_keys_only_through_s3_for_these_buckets(doc: dict) -> None:
    statements = _policy(doc)
    decrypt, encrypt = statements["DecryptSourceObjects"], statements["EncryptReplicas"]
    assert decrypt["actions"] == ["kms:Decrypt"] and decrypt["resources"] == [SOURCE_KEY]
    assert encrypt["actions"] == ["kms:Encrypt", "kms:Decrypt"]
    assert encrypt["resources"][0].startswith("${aws_kms_key.replica_key_")
    for statement, region, bucket in (
        (decrypt, "aws-context_region_", "source_bucket_"),
        (encrypt, "replica_aws-context_region_", "replica_bucket_"),
    ):
        conditions = {c["variable"]: c for c in statement["condition"]}
        via = conditions["kms:ViaService"]
        assert via["test"] == "StringEquals" and via["values"][0].startswith(f"s3.${{data.aws_region.{region}")
        context = conditions["kms:EncryptionContext:aws:s3:arn"]
        # S3 Bucket Keys: the encryption context is the bucket ARN; without, the object ARN
        assert context["test"] == "StringLike" and len(context["values"]) == 2
        assert context["values"][0].startswith(f"${{aws_s3_bucket.{bucket}") and context["values"][1].endswith("/*")


def test_delete_marker_replication_is_opt_in_and_then_granted() -> None:
    doc = synth_scope(lambda stack: _build(stack, delete_markers=True))
    config = _named(doc, "aws_s3_bucket_replication_configuration", "replication/configuration")
    assert config["rule"][0]["delete_marker_replication"] == {"status": "Enabled"}
    assert "s3:ReplicateDelete" in _policy(doc)["WriteReplicas"]["actions"]


def test_key_lets_cloudtrail_encrypt_only_for_named_trails(doc: dict) -> None:
    # ``trail-key/key`` is named ``trail-key_<hash>`` (cdktf drops a component its parent ends with)
    policy = json.loads(_named(doc, "aws_kms_key", "trail-key")["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    encrypt, describe = statements["CloudTrailEncryptsNamedTrails"], statements["CloudTrailDescribesKey"]
    assert encrypt["Action"] == ["kms:GenerateDataKey*"] and describe["Action"] == ["kms:DescribeKey"]
    for statement in (encrypt, describe):
        assert statement["Principal"]["Service"].startswith("cloudtrail.")
        assert statement["Condition"]["StringEquals"] == {"aws:SourceArn": [TRAIL]}
    context = encrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:cloudtrail:arn"]
    assert context.startswith("arn:${data.aws_partition.") and context.endswith(":trail/*")
    # keys without trails have no CloudTrail statement
    replica_policy = json.loads(_named(doc, "aws_kms_key", "replica/key/key")["policy"])
    assert [s["Sid"] for s in replica_policy["Statement"]] == ["AccountAdministers"]
