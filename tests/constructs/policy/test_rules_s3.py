"""Policy rules for S3: each rule's compliant and non-compliant cases."""

from __future__ import annotations

import pytest

from tests.constructs.policy.rule_cases import BUCKET, PAB_OK, SSE_OK, TLS_DENY, C, Case, N, doc, judge

pytestmark = pytest.mark.unit

CASES: list[Case] = [
    # FD-S3-1
    Case(
        "FD-S3-1",
        "sse resource",
        "aws_s3_bucket",
        BUCKET,
        C,
        {"aws_s3_bucket_server_side_encryption_configuration": {"s": SSE_OK}},
    ),
    Case(
        "FD-S3-1",
        "sse by literal bucket name",
        "aws_s3_bucket",
        BUCKET,
        C,
        {"aws_s3_bucket_server_side_encryption_configuration": {"s": {**SSE_OK, "bucket": BUCKET["bucket"]}}},
    ),
    Case("FD-S3-1", "no sse", "aws_s3_bucket", BUCKET, N),
    Case(
        "FD-S3-1",
        "AES256",
        "aws_s3_bucket",
        BUCKET,
        N,
        {
            "aws_s3_bucket_server_side_encryption_configuration": {
                "s": {
                    **SSE_OK,
                    "rule": [{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
                }
            }
        },
    ),
    Case(
        "FD-S3-1",
        "sse for another bucket",
        "aws_s3_bucket",
        BUCKET,
        N,
        {
            "aws_s3_bucket_server_side_encryption_configuration": {
                "s": {**SSE_OK, "bucket": "${aws_s3_bucket.other.id}"}
            }
        },
    ),
    # FD-S3-2
    Case(
        "FD-S3-2",
        "all four",
        "aws_s3_bucket",
        BUCKET,
        C,
        {"aws_s3_bucket_public_access_block": {"p": PAB_OK}},
    ),
    Case(
        "FD-S3-2",
        "one false",
        "aws_s3_bucket",
        BUCKET,
        N,
        {"aws_s3_bucket_public_access_block": {"p": {**PAB_OK, "restrict_public_buckets": False}}},
    ),
    Case("FD-S3-2", "no block", "aws_s3_bucket", BUCKET, N),
    # FD-S3-3
    Case(
        "FD-S3-3",
        "tls deny",
        "aws_s3_bucket",
        BUCKET,
        C,
        {"aws_s3_bucket_policy": {"p": {"bucket": "${aws_s3_bucket.subject.id}", "policy": doc(TLS_DENY)}}},
    ),
    Case(
        "FD-S3-3",
        "tls deny via policy document",
        "aws_s3_bucket",
        BUCKET,
        C,
        {
            "aws_s3_bucket_policy": {
                "p": {
                    "bucket": "${aws_s3_bucket.subject.id}",
                    "policy": "${data.aws_iam_policy_document.tls.json}",
                }
            }
        },
        {
            "aws_iam_policy_document": {
                "tls": {
                    "statement": [
                        {
                            "effect": "Deny",
                            "actions": ["s3:*"],
                            "resources": ["${aws_s3_bucket.subject.arn}", "${aws_s3_bucket.subject.arn}/*"],
                            "principals": [{"type": "*", "identifiers": ["*"]}],
                            "condition": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}],
                        }
                    ]
                }
            }
        },
    ),
    Case("FD-S3-3", "no policy", "aws_s3_bucket", BUCKET, N),
    Case(
        "FD-S3-3",
        "deny only objects",
        "aws_s3_bucket",
        BUCKET,
        N,
        {
            "aws_s3_bucket_policy": {
                "p": {
                    "bucket": "${aws_s3_bucket.subject.id}",
                    "policy": doc({**TLS_DENY, "Resource": "${aws_s3_bucket.subject.arn}/*"}),
                }
            }
        },
    ),
    Case(
        "FD-S3-3",
        "allow not deny",
        "aws_s3_bucket",
        BUCKET,
        N,
        {
            "aws_s3_bucket_policy": {
                "p": {"bucket": "${aws_s3_bucket.subject.id}", "policy": doc({**TLS_DENY, "Effect": "Allow"})}
            }
        },
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule_id}:{c.label}")
def test_rule_verdict(case: Case) -> None:
    assert judge(case) is case.expected
