"""Shared pieces of the policy-rule cases: one ``Case`` per verdict, judged against a tiny stack view.

Each ``test_rules_<service>.py`` lists the cases of that service's rules (a compliant and a
non-compliant one at least per rule, checked in ``test_policy_rules.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fraud_constructs.policy import RULES_BY_ID, StackView, Verdict

C, N, NA = Verdict.COMPLIANT, Verdict.NON_COMPLIANT, Verdict.NOT_APPLICABLE
CMK = "${aws_kms_key.cmk.arn}"


@dataclass(frozen=True)
class Case:
    rule_id: str
    label: str
    resource_type: str
    config: dict[str, Any]
    expected: Verdict
    others: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    name: str = "subject"


def judge(case: Case) -> Verdict:
    resources = {rtype: dict(by_name) for rtype, by_name in case.others.items()}
    resources.setdefault(case.resource_type, {})[case.name] = case.config
    view = StackView.of(resources, case.data)
    return RULES_BY_ID[case.rule_id](case.resource_type, view.resources[case.resource_type][case.name], view)


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


BUCKET = {"bucket": "fraud-audit-dev-123456789012-us-east-1"}
SSE_OK = {
    "bucket": "${aws_s3_bucket.subject.id}",
    "rule": [{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": CMK}}],
}
PAB_OK = {
    "bucket": "${aws_s3_bucket.subject.id}",
    "block_public_acls": True,
    "block_public_policy": True,
    "ignore_public_acls": True,
    "restrict_public_buckets": True,
}
TLS_DENY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["${aws_s3_bucket.subject.arn}", "${aws_s3_bucket.subject.arn}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
IMAGE_FN = {
    "function_name": "fraud-batch-dev",
    "package_type": "Image",
    "image_uri": "${aws_ecr_repository.repo.repository_url}@${data.aws_ecr_image.app.image_digest}",
}
EVENT_TARGET = {
    "rule": "${aws_cloudwatch_event_rule.every5.name}",
    "arn": "${aws_lambda_function.subject.arn}",
}
ON_FAILURE = {
    "function_name": "${aws_lambda_function.subject.function_name}",
    "maximum_retry_attempts": 2,
    "destination_config": {"on_failure": {"destination": "${aws_sqs_queue.dlq.arn}"}},
}
# How this project writes a service principal's DNS suffix (AwsContext.dns_suffix), as synthesized.
DNS_SUFFIX = "${data.aws_partition.aws-context_partition_9ECE3875.dns_suffix}"


def permission(principal: str) -> dict[str, Any]:
    """An aws_lambda_permission letting ``principal`` invoke the subject function."""
    return {"function_name": "${aws_lambda_function.subject.function_name}", "principal": principal}


XRAY = {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"}
TABLE_WRITE = {"Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": "${aws_dynamodb_table.t.arn}"}
ROOT = {
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "kms:*",
    "Resource": "*",
}
LOGS_WITH_CONDITION = {
    "Effect": "Allow",
    "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
    "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"],
    "Resource": "*",
    "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:*"}},
}
PUBLIC_ALLOW = {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
PUBLIC_WITH_CONDITION = {
    **PUBLIC_ALLOW,
    "Condition": {"StringEquals": {"aws:PrincipalAccount": "123456789012"}},
}
DOC_DATA = {
    "aws_iam_policy_document": {
        "scoped": {"statement": [{"actions": ["dynamodb:Query"], "resources": ["${aws_dynamodb_table.t.arn}"]}]},
        "star": {"statement": [{"actions": ["dynamodb:Query"], "resources": ["*"]}]},
        "wild_action": {"statement": [{"actions": ["s3:*"], "resources": ["${aws_s3_bucket.b.arn}"]}]},
    }
}
