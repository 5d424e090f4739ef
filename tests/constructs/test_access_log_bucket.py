"""AccessLogBucket: what S3 requires of a server access log target (SSE-S3, no Object Lock, a delivery policy)."""

from __future__ import annotations

import pytest

from fraud_constructs.access_log_bucket import AccessLogBucket, AccessLogBucketProps, access_log_prefix
from fraud_constructs.secure_bucket import SecureBucket
from tests.tfjson import only, policy_statements, resources, synth_scope

pytestmark = pytest.mark.synth

SOURCES = ("arn:aws:s3:::fraud-*",)
TRAILS = ("arn:aws:cloudtrail:us-east-1:111111111111:trail/fraud-audit-data-events-*",)


def _synth(**overrides: object) -> dict:
    def build(stack: object) -> None:
        props = AccessLogBucketProps(name_prefix="fraud-access-logs", server_access_log_sources=SOURCES, **overrides)
        logs = AccessLogBucket(stack, "logs", aws=stack.aws, props=props)  # type: ignore[attr-defined]
        source = SecureBucket(
            stack,
            "source",
            aws=stack.aws,  # type: ignore[attr-defined]
            name_prefix="fraud-audit-unit",
            kms_key_arn="arn:aws:kms:us-east-1:111111111111:key/k",
            force_destroy=False,
        )
        source.enable_access_logs(logs.name, access_log_prefix(source.name), depends_on=[logs.policy])

    return synth_scope(build)


@pytest.fixture(scope="module")
def doc() -> dict:
    return _synth(cloudtrail_trails=TRAILS)


def _by_path(doc: dict, resource_type: str, path: str) -> dict:
    """The resource at construct path ``path`` (Testing.synth drops metadata; the logical name is the
    path with ``_`` for ``/`` and a hash)."""
    parts = path.split("/")
    # cdktf drops a component equal to its parent's (``bucket/bucket`` is ``bucket``)
    prefix = "_".join(c for i, c in enumerate(parts) if i == 0 or c != parts[i - 1]) + "_"
    (found,) = [c for name, c in resources(doc, resource_type).items() if name.startswith(prefix)]
    return found


def _statements(doc: dict) -> dict[str, dict]:
    policy = _by_path(doc, "aws_s3_bucket_policy", "logs/policy")["policy"]
    return {s["sid"]: s for s in policy_statements(doc, policy)}


def test_default_encryption_is_sse_s3_without_a_bucket_key(doc: dict) -> None:
    # "Enabling Amazon S3 server access logging": SSE-KMS default encryption is not supported on the target.
    (rule,) = _by_path(doc, "aws_s3_bucket_server_side_encryption_configuration", "logs/encryption")["rule"]
    assert rule == {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}


def test_no_object_lock_and_versioned_private(doc: dict) -> None:
    bucket = _by_path(doc, "aws_s3_bucket", "logs/bucket")
    assert "object_lock_enabled" not in bucket and "object_lock_configuration" not in bucket
    assert not resources(doc, "aws_s3_bucket_object_lock_configuration")
    assert bucket["force_destroy"] is False
    assert _by_path(doc, "aws_s3_bucket_versioning", "logs/versioning")["versioning_configuration"] == {
        "status": "Enabled"
    }
    block = _by_path(doc, "aws_s3_bucket_public_access_block", "logs/public-access")
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls"))
    ownership = _by_path(doc, "aws_s3_bucket_ownership_controls", "logs/ownership")
    assert ownership["rule"]["object_ownership"] == "BucketOwnerEnforced"


def test_log_delivery_policy_names_the_logging_principal_sources_and_account(doc: dict) -> None:
    statements = _statements(doc)
    tls = statements["DenyInsecureTransport"]
    assert tls["effect"] == "Deny" and tls["condition"][0]["variable"] == "aws:SecureTransport"
    delivery = statements["S3ServerAccessLogDelivery"]
    assert delivery["effect"] == "Allow" and delivery["actions"] == ["s3:PutObject"]
    assert delivery["principals"] == [{"type": "Service", "identifiers": [delivery["principals"][0]["identifiers"][0]]}]
    assert delivery["principals"][0]["identifiers"][0].startswith("logging.s3.${data.aws_partition.")
    (resource,) = delivery["resources"]
    assert resource.endswith(".arn}/*")  # one resource: the form moto's log-delivery check accepts
    conditions = {c["variable"]: c for c in delivery["condition"]}
    assert conditions["aws:SourceArn"] == {"test": "ArnLike", "variable": "aws:SourceArn", "values": list(SOURCES)}
    assert conditions["aws:SourceAccount"]["test"] == "StringEquals"
    assert conditions["aws:SourceAccount"]["values"][0].startswith("${data.aws_caller_identity.")


def test_cloudtrail_statements_are_limited_to_the_named_trails(doc: dict) -> None:
    statements = _statements(doc)
    acl, write = statements["CloudTrailAclCheck"], statements["CloudTrailWrite"]
    assert acl["actions"] == ["s3:GetBucketAcl"] and acl["resources"][0].endswith(".arn}")
    assert write["actions"] == ["s3:PutObject"]
    assert "/cloudtrail/AWSLogs/${data.aws_caller_identity." in write["resources"][0]
    for statement in (acl, write):
        assert statement["principals"][0]["identifiers"][0].startswith("cloudtrail.")
        assert {"test": "ArnLike", "variable": "aws:SourceArn", "values": list(TRAILS)} in statement["condition"]
    assert {"test": "StringEquals", "variable": "s3:x-amz-acl", "values": ["bucket-owner-full-control"]} in write[
        "condition"
    ]


def test_no_cloudtrail_statements_unless_asked() -> None:
    doc = _synth()
    assert set(_statements(doc)) == {"DenyInsecureTransport", "S3ServerAccessLogDelivery"}


def test_lifecycle_expires_logs_old_versions_delete_markers_and_uploads(doc: dict) -> None:
    lifecycle = _by_path(doc, "aws_s3_bucket_lifecycle_configuration", "logs/lifecycle")
    assert lifecycle["depends_on"][0].startswith("aws_s3_bucket_versioning.")
    rules = {r["id"]: r for r in lifecycle["rule"]}
    expire = rules["expire-logs"]
    assert expire["filter"] == [{"prefix": ""}] and expire["status"] == "Enabled"
    assert expire["expiration"] == [{"days": 365}]
    assert expire["noncurrent_version_expiration"] == [{"noncurrent_days": 30}]
    assert expire["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    assert rules["remove-expired-delete-markers"]["expiration"] == [{"expired_object_delete_marker": True}]


def test_a_bucket_logs_into_it_under_its_own_prefix_after_the_policy(doc: dict) -> None:
    logging = only(doc, "aws_s3_bucket_logging")
    assert logging["bucket"].startswith("${aws_s3_bucket.source_bucket_")
    assert logging["target_bucket"].startswith("${aws_s3_bucket.logs_bucket_")
    assert logging["target_prefix"].startswith("${aws_s3_bucket.source_bucket_") and logging["target_prefix"].endswith(
        ".bucket}/"
    )
    assert logging["depends_on"] == [
        next(f"aws_s3_bucket_policy.{n}" for n in resources(doc, "aws_s3_bucket_policy") if n.startswith("logs_"))
    ]
    assert "target_grant" not in logging  # BucketOwnerEnforced targets reject grants


def test_kms_buckets_keep_their_encryption(doc: dict) -> None:
    (rule,) = _by_path(doc, "aws_s3_bucket_server_side_encryption_configuration", "source/encryption")["rule"]
    assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    assert rule["bucket_key_enabled"] is True


@pytest.mark.unit
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"server_access_log_sources": ()}, "server_access_log_sources"),
        ({"server_access_log_sources": ("arn:aws:s3:::*",)}, "server_access_log_sources"),
        ({"log_expiry_days": 0}, "expiry"),
        ({"cloudtrail_prefix": "/cloudtrail/"}, "cloudtrail_prefix"),
    ],
)
def test_props_reject_useless_or_open_settings(overrides: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        AccessLogBucketProps(**{"name_prefix": "x", "server_access_log_sources": SOURCES, **overrides})


def test_access_logs_are_enabled_once() -> None:
    def build(stack: object) -> None:
        bucket = SecureBucket(
            stack,
            "b",
            aws=stack.aws,
            name_prefix="b",
            kms_key_arn=None,
            force_destroy=False,  # type: ignore[attr-defined]
        )
        bucket.enable_access_logs("target", "b/")
        with pytest.raises(ValueError, match="already enabled"):
            bucket.enable_access_logs("other", "b/")

    synth_scope(build)
