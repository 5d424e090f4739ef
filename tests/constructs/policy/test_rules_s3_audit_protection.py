"""Policy rules for access logs and replication (FD-S3-4, FD-S3-5): compliant and non-compliant cases."""

from __future__ import annotations

import pytest

from tests.constructs.policy.rule_cases import CMK, NA, C, Case, N, judge

pytestmark = pytest.mark.unit

SOURCE = {"bucket": "fraud-audit-dev-123456789012-us-east-1"}
LOGS = {"bucket": "fraud-access-logs-123456789012-us-east-1"}
LOGGING = {
    "bucket": "${aws_s3_bucket.source.id}",
    "target_bucket": "${aws_s3_bucket.logs.bucket}",
    "target_prefix": "${aws_s3_bucket.source.bucket}/",
}


def sse(bucket: str, algorithm: str) -> dict:
    default = {"sse_algorithm": algorithm} | ({"kms_master_key_id": CMK} if algorithm == "aws:kms" else {})
    return {"bucket": f"${{aws_s3_bucket.{bucket}.id}}", "rule": [{"apply_server_side_encryption_by_default": default}]}


def buckets(**extra: dict) -> dict:
    return {"aws_s3_bucket": {"source": SOURCE, "logs": LOGS} | extra}


REPLICATION_RULE = {
    "id": "audit-replica",
    "status": "Enabled",
    "filter": {"prefix": ""},
    "delete_marker_replication": {"status": "Disabled"},
    "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
    "destination": {
        "bucket": "${aws_s3_bucket.replica.arn}",
        "encryption_configuration": {"replica_kms_key_id": "${aws_kms_key.replica.arn}"},
        "metrics": {"status": "Enabled"},
    },
}
REPLICATION = {"bucket": "${aws_s3_bucket.source.bucket}", "role": "${aws_iam_role.r.arn}", "rule": [REPLICATION_RULE]}
KMS_SOURCE = {
    "aws_s3_bucket": {"source": SOURCE},
    "aws_s3_bucket_server_side_encryption_configuration": {"s": sse("source", "aws:kms")},
}


def rule_without(block: str) -> dict:
    return {**REPLICATION, "rule": [{k: v for k, v in REPLICATION_RULE.items() if k != block}]}


CASES: list[Case] = [
    # FD-S3-4
    Case(
        "FD-S3-4",
        "SSE-S3 log bucket of the stack",
        "aws_s3_bucket_logging",
        LOGGING,
        C,
        buckets() | {"aws_s3_bucket_server_side_encryption_configuration": {"l": sse("logs", "AES256")}},
    ),
    Case(
        "FD-S3-4",
        "log bucket of another state, by name",
        "aws_s3_bucket_logging",
        {**LOGGING, "target_bucket": "fraud-access-logs-${data.aws_caller_identity.c.account_id}-us-east-1"},
        C,
        buckets(),
    ),
    Case(
        "FD-S3-4",
        "logs into the logged bucket",
        "aws_s3_bucket_logging",
        {**LOGGING, "target_bucket": "${aws_s3_bucket.source.bucket}"},
        N,
        buckets(),
    ),
    Case(
        "FD-S3-4",
        "logs into the logged bucket by its literal name",
        "aws_s3_bucket_logging",
        {**LOGGING, "target_bucket": SOURCE["bucket"]},
        N,
        buckets(),
    ),
    Case(
        "FD-S3-4",
        "SSE-KMS target: S3 cannot deliver",
        "aws_s3_bucket_logging",
        LOGGING,
        N,
        buckets() | {"aws_s3_bucket_server_side_encryption_configuration": {"l": sse("logs", "aws:kms")}},
    ),
    Case(
        "FD-S3-4",
        "target created with Object Lock",
        "aws_s3_bucket_logging",
        LOGGING,
        N,
        {"aws_s3_bucket": {"source": SOURCE, "logs": {**LOGS, "object_lock_enabled": True}}},
    ),
    Case(
        "FD-S3-4",
        "target with an Object Lock configuration",
        "aws_s3_bucket_logging",
        LOGGING,
        N,
        buckets()
        | {
            "aws_s3_bucket_object_lock_configuration": {
                "l": {"bucket": "${aws_s3_bucket.logs.id}", "object_lock_enabled": "Enabled"}
            }
        },
    ),
    # FD-S3-5
    Case(
        "FD-S3-5",
        "KMS objects selected, replica key named",
        "aws_s3_bucket_replication_configuration",
        REPLICATION,
        C,
        KMS_SOURCE,
    ),
    Case(
        "FD-S3-5",
        "source encryption not in the stack: judged as KMS",
        "aws_s3_bucket_replication_configuration",
        REPLICATION,
        C,
    ),
    Case(
        "FD-S3-5",
        "no source selection criteria",
        "aws_s3_bucket_replication_configuration",
        rule_without("source_selection_criteria"),
        N,
        KMS_SOURCE,
    ),
    Case(
        "FD-S3-5",
        "KMS objects selected, but no replica key",
        "aws_s3_bucket_replication_configuration",
        {
            **REPLICATION,
            "rule": [{**REPLICATION_RULE, "destination": {"bucket": "${aws_s3_bucket.replica.arn}"}}],
        },
        N,
        KMS_SOURCE,
    ),
    Case(
        "FD-S3-5",
        "selection disabled",
        "aws_s3_bucket_replication_configuration",
        {
            **REPLICATION,
            "rule": [
                {**REPLICATION_RULE, "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Disabled"}}}
            ],
        },
        N,
        KMS_SOURCE,
    ),
    Case(
        "FD-S3-5",
        "SSE-S3 source: nothing to select",
        "aws_s3_bucket_replication_configuration",
        rule_without("source_selection_criteria"),
        NA,
        {
            "aws_s3_bucket": {"source": SOURCE},
            "aws_s3_bucket_server_side_encryption_configuration": {"s": sse("source", "AES256")},
        },
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule_id}:{c.label}")
def test_rule_verdict(case: Case) -> None:
    assert judge(case) is case.expected
