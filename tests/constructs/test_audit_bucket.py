"""AuditBucket: globally unique name, KMS, versioning, no public access, TLS only, lifecycle that applies."""

from __future__ import annotations

import pytest

from fraud_constructs.audit_bucket import AuditBucket, AuditBucketProps
from fraud_detection.contract import AUDIT_PREFIX
from tests.tfjson import only, policy_statements, resources, synth_scope

pytestmark = pytest.mark.synth


def _synth(**overrides: object) -> dict:
    props = AuditBucketProps(
        name_prefix="fraud-audit-unit",
        kms_key_arn="arn:aws:kms:us-east-1:111111111111:key/k",
        archive_prefix=AUDIT_PREFIX,
        **overrides,
    )
    return synth_scope(lambda stack: AuditBucket(stack, "audit", aws=stack.aws, props=props))


@pytest.fixture(scope="module")
def bucket_doc() -> dict:
    return _synth()


def test_name_includes_account_and_region(bucket_doc: dict) -> None:
    name = only(bucket_doc, "aws_s3_bucket")["bucket"]
    assert name.startswith("fraud-audit-unit-")
    assert "data.aws_caller_identity" in name and "data.aws_region" in name


def test_sse_kms_with_bucket_key(bucket_doc: dict) -> None:
    (rule,) = only(bucket_doc, "aws_s3_bucket_server_side_encryption_configuration")["rule"]
    assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    assert rule["apply_server_side_encryption_by_default"]["kms_master_key_id"].startswith("arn:aws:kms:")
    assert rule["bucket_key_enabled"] is True


def test_versioning_public_access_block_and_owner_enforced(bucket_doc: dict) -> None:
    assert only(bucket_doc, "aws_s3_bucket_versioning")["versioning_configuration"]["status"] == "Enabled"
    block = only(bucket_doc, "aws_s3_bucket_public_access_block")
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    assert only(bucket_doc, "aws_s3_bucket_ownership_controls")["rule"]["object_ownership"] == "BucketOwnerEnforced"


def test_policy_denies_plain_http_on_bucket_and_objects(bucket_doc: dict) -> None:
    (statement,) = policy_statements(bucket_doc, only(bucket_doc, "aws_s3_bucket_policy")["policy"])
    assert statement["effect"] == "Deny"
    assert statement["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]
    assert len(statement["resources"]) == 2 and statement["resources"][1].endswith("/*")


def test_audit_transition_overrides_the_128_kb_default(bucket_doc: dict) -> None:
    rules = {r["id"]: r for r in only(bucket_doc, "aws_s3_bucket_lifecycle_configuration")["rule"]}
    archive = rules["archive-audit-trail"]
    (condition,) = archive["filter"][0]["and"]
    assert condition["prefix"] == AUDIT_PREFIX
    # Without an explicit size filter S3 skips objects < 128 KB; 0 makes every audit object eligible.
    assert condition["object_size_greater_than"] == 0
    assert archive["transition"][0]["days"] == 90
    assert rules["expire-noncurrent-versions"]["noncurrent_version_expiration"][0]["noncurrent_days"] == 30


def test_force_destroy_off_by_default_and_object_lock_optional(bucket_doc: dict) -> None:
    assert only(bucket_doc, "aws_s3_bucket")["force_destroy"] is False
    assert resources(bucket_doc, "aws_s3_bucket_object_lock_configuration") == {}
    locked = _synth(object_lock_days=365, force_destroy=True)
    lock = only(locked, "aws_s3_bucket_object_lock_configuration")
    assert lock["rule"]["default_retention"] == {"mode": "GOVERNANCE", "days": 365}
    assert lock["object_lock_enabled"] == "Enabled"


def test_object_lock_never_touches_the_bucket_resource(bucket_doc: dict) -> None:
    """``object_lock_enabled`` on the bucket forces a new bucket: turning the lock on must not change it."""
    locked = _synth(object_lock_days=365, force_destroy=True)
    assert "object_lock_enabled" not in only(locked, "aws_s3_bucket")
    assert only(locked, "aws_s3_bucket") == only(_synth(force_destroy=True), "aws_s3_bucket")


@pytest.mark.parametrize(("variant", "protected"), [("dev", False), ("prod", True), ("privileged", True)])
def test_protected_presets_prevent_destroying_the_audit_bucket(variant: str, protected: bool, variant_stacks) -> None:
    from tests.support.app_helpers import by_path

    bucket = by_path(variant_stacks(variant)["app"], "aws_s3_bucket", "app/audit/bucket")
    assert bucket.get("lifecycle", {}).get("prevent_destroy", False) is protected


def test_overrides_reach_the_bucket_and_nothing_else() -> None:
    doc = _synth(overrides={"tags": {"data-class": "audit"}})
    assert only(doc, "aws_s3_bucket")["tags"] == {"data-class": "audit"}
    assert "tags" not in only(doc, "aws_s3_bucket_versioning")
