"""Every rule: at least one compliant and one non-compliant resource, as synthesized JSON (no synth)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from fraud_constructs.policy import ALL_RULES, RULES_BY_ID, StackView, Verdict

pytestmark = pytest.mark.unit

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

CASES: list[Case] = [
    # FD-DDB-1
    Case(
        "FD-DDB-1",
        "cmk",
        "aws_dynamodb_table",
        {"server_side_encryption": {"enabled": True, "kms_key_arn": CMK}},
        C,
    ),
    Case("FD-DDB-1", "no sse block", "aws_dynamodb_table", {"name": "t"}, N),
    Case("FD-DDB-1", "aws managed key", "aws_dynamodb_table", {"server_side_encryption": {"enabled": True}}, N),
    # FD-DDB-2
    Case("FD-DDB-2", "pitr on", "aws_dynamodb_table", {"point_in_time_recovery": {"enabled": True}}, C),
    Case("FD-DDB-2", "pitr off", "aws_dynamodb_table", {"point_in_time_recovery": {"enabled": False}}, N),
    Case("FD-DDB-2", "pitr absent", "aws_dynamodb_table", {}, N),
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
    # FD-SQS-1 / FD-SNS-1 / FD-LOG-1 / FD-SSM-1
    Case("FD-SQS-1", "cmk", "aws_sqs_queue", {"kms_master_key_id": CMK}, C),
    Case("FD-SQS-1", "sqs managed", "aws_sqs_queue", {"sqs_managed_sse_enabled": True}, N),
    Case("FD-SQS-1", "aws managed alias", "aws_sqs_queue", {"kms_master_key_id": "alias/aws/sqs"}, N),
    Case("FD-SNS-1", "cmk", "aws_sns_topic", {"kms_master_key_id": CMK}, C),
    Case("FD-SNS-1", "none", "aws_sns_topic", {"name": "fraud-alerts-dev"}, N),
    Case("FD-SNS-1", "aws managed alias", "aws_sns_topic", {"kms_master_key_id": "alias/aws/sns"}, N),
    Case("FD-LOG-1", "cmk", "aws_cloudwatch_log_group", {"kms_key_id": CMK, "retention_in_days": 30}, C),
    Case("FD-LOG-1", "none", "aws_cloudwatch_log_group", {"retention_in_days": 30}, N),
    Case("FD-SSM-1", "cmk", "aws_ssm_parameter", {"type": "SecureString", "key_id": CMK}, C),
    Case("FD-SSM-1", "default key", "aws_ssm_parameter", {"type": "SecureString"}, N),
    Case("FD-SSM-1", "plain string", "aws_ssm_parameter", {"type": "String"}, NA),
    # FD-LOG-2
    Case("FD-LOG-2", "30 days", "aws_cloudwatch_log_group", {"retention_in_days": 30}, C),
    Case("FD-LOG-2", "from variable", "aws_cloudwatch_log_group", {"retention_in_days": "${var.retention}"}, C),
    Case("FD-LOG-2", "absent", "aws_cloudwatch_log_group", {"kms_key_id": CMK}, N),
    Case("FD-LOG-2", "zero is forever", "aws_cloudwatch_log_group", {"retention_in_days": 0}, N),
    # FD-ECR-*
    Case(
        "FD-ECR-1",
        "kms cmk",
        "aws_ecr_repository",
        {"encryption_configuration": [{"encryption_type": "KMS", "kms_key": CMK}]},
        C,
    ),
    Case(
        "FD-ECR-1",
        "aes256",
        "aws_ecr_repository",
        {"encryption_configuration": [{"encryption_type": "AES256"}]},
        N,
    ),
    Case(
        "FD-ECR-1",
        "kms default key",
        "aws_ecr_repository",
        {"encryption_configuration": [{"encryption_type": "KMS"}]},
        N,
    ),
    Case("FD-ECR-2", "immutable", "aws_ecr_repository", {"image_tag_mutability": "IMMUTABLE"}, C),
    Case("FD-ECR-2", "default mutable", "aws_ecr_repository", {}, N),
    Case(
        "FD-ECR-3",
        "scan on push",
        "aws_ecr_repository",
        {"image_scanning_configuration": {"scan_on_push": True}},
        C,
    ),
    Case(
        "FD-ECR-3",
        "enhanced registry scanning",
        "aws_ecr_repository",
        {},
        C,
        {
            "aws_ecr_registry_scanning_configuration": {
                "r": {"scan_type": "ENHANCED", "rule": [{"scan_frequency": "SCAN_ON_PUSH"}]}
            }
        },
    ),
    Case(
        "FD-ECR-3",
        "no scan",
        "aws_ecr_repository",
        {"image_scanning_configuration": {"scan_on_push": False}},
        N,
    ),
    # FD-LMB-1
    Case("FD-LMB-1", "active", "aws_lambda_function", {"tracing_config": {"mode": "Active"}}, C),
    Case("FD-LMB-1", "passthrough", "aws_lambda_function", {"tracing_config": {"mode": "PassThrough"}}, N),
    Case("FD-LMB-1", "absent", "aws_lambda_function", {}, N),
    # FD-LMB-2
    Case("FD-LMB-2", "digest token", "aws_lambda_function", IMAGE_FN, C),
    Case(
        "FD-LMB-2",
        "literal digest",
        "aws_lambda_function",
        {**IMAGE_FN, "image_uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud@sha256:" + "a" * 64},
        C,
    ),
    Case(
        "FD-LMB-2",
        "ecr image data uri",
        "aws_lambda_function",
        {**IMAGE_FN, "image_uri": "${data.aws_ecr_image.app.image_uri}"},
        C,
    ),
    Case(
        "FD-LMB-2",
        "tag",
        "aws_lambda_function",
        {**IMAGE_FN, "image_uri": "${aws_ecr_repository.repo.repository_url}:v1"},
        N,
    ),
    Case("FD-LMB-2", "tag token", "aws_lambda_function", {**IMAGE_FN, "image_uri": "repo:${var.image_tag}"}, N),
    Case("FD-LMB-2", "zip function", "aws_lambda_function", {"filename": "f.zip"}, NA),
    # FD-LMB-3
    Case(
        "FD-LMB-3",
        "eventbridge target with on-failure",
        "aws_lambda_function",
        IMAGE_FN,
        C,
        {
            "aws_cloudwatch_event_target": {"t": EVENT_TARGET},
            "aws_lambda_function_event_invoke_config": {"i": ON_FAILURE},
        },
    ),
    Case(
        "FD-LMB-3",
        "eventbridge target without",
        "aws_lambda_function",
        IMAGE_FN,
        N,
        {"aws_cloudwatch_event_target": {"t": EVENT_TARGET}},
    ),
    Case(
        "FD-LMB-3",
        "invoke config without destination",
        "aws_lambda_function",
        IMAGE_FN,
        N,
        {
            "aws_cloudwatch_event_target": {"t": EVENT_TARGET},
            "aws_lambda_function_event_invoke_config": {
                "i": {**ON_FAILURE, "destination_config": {"on_success": {"destination": "x"}}}
            },
        },
    ),
    Case(
        "FD-LMB-3",
        "sns permission makes it async",
        "aws_lambda_function",
        IMAGE_FN,
        N,
        {
            "aws_lambda_permission": {
                "p": {
                    "function_name": "${aws_lambda_function.subject.function_name}",
                    "principal": "sns.amazonaws.com",
                }
            }
        },
    ),
    *(
        Case(
            "FD-LMB-3",
            f"{service} permission in the partition-token form makes it async",
            "aws_lambda_function",
            IMAGE_FN,
            N,
            {"aws_lambda_permission": {"p": permission(f"{service}.{DNS_SUFFIX}")}},
        )
        for service in ("events", "sns", "s3")
    ),
    Case(
        "FD-LMB-3",
        "partition-token eventbridge permission with on-failure",
        "aws_lambda_function",
        IMAGE_FN,
        C,
        {
            "aws_lambda_permission": {"p": permission(f"events.{DNS_SUFFIX}")},
            "aws_lambda_function_event_invoke_config": {"i": ON_FAILURE},
        },
    ),
    Case(
        "FD-LMB-3",
        "partition-token api gateway permission only (sync)",
        "aws_lambda_function",
        IMAGE_FN,
        NA,
        {"aws_lambda_permission": {"p": permission(f"apigateway.{DNS_SUFFIX}")}},
    ),
    Case(
        "FD-LMB-3",
        "api gateway only (sync)",
        "aws_lambda_function",
        IMAGE_FN,
        NA,
        {
            "aws_lambda_permission": {
                "p": {
                    "function_name": "${aws_lambda_function.subject.function_name}",
                    "principal": "apigateway.amazonaws.com",
                }
            }
        },
    ),
    # FD-IAM-1
    Case("FD-IAM-1", "named actions", "aws_iam_role_policy", {"policy": doc(XRAY, TABLE_WRITE)}, C),
    Case("FD-IAM-1", "star action", "aws_iam_role_policy", {"policy": doc({**TABLE_WRITE, "Action": "*"})}, N),
    Case(
        "FD-IAM-1",
        "service star",
        "aws_iam_policy",
        {"policy": doc({**TABLE_WRITE, "Action": ["dynamodb:*"]})},
        N,
    ),
    Case(
        "FD-IAM-1",
        "not action",
        "aws_iam_policy",
        {"policy": doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})},
        N,
    ),
    Case(
        "FD-IAM-1",
        "deny star is fine",
        "aws_iam_policy",
        {"policy": doc({"Effect": "Deny", "Action": "*", "Resource": "*"})},
        C,
    ),
    Case(
        "FD-IAM-1",
        "data doc scoped",
        "aws_iam_role_policy",
        {"policy": "${data.aws_iam_policy_document.scoped.json}"},
        C,
        data=DOC_DATA,
    ),
    Case(
        "FD-IAM-1",
        "data doc wildcard",
        "aws_iam_role_policy",
        {"policy": "${data.aws_iam_policy_document.wild_action.json}"},
        N,
        data=DOC_DATA,
    ),
    Case(
        "FD-IAM-1",
        "unreadable jsonencode",
        "aws_iam_role_policy",
        {"policy": "${jsonencode({Statement = []})}"},
        N,
    ),
    Case(
        "FD-IAM-1",
        "role inline policy",
        "aws_iam_role",
        {"inline_policy": [{"name": "x", "policy": doc({**TABLE_WRITE, "Action": "*"})}]},
        N,
    ),
    Case("FD-IAM-1", "role without inline policy", "aws_iam_role", {"assume_role_policy": doc()}, NA),
    # FD-IAM-2
    Case("FD-IAM-2", "xray on star", "aws_iam_role_policy", {"policy": doc(XRAY, TABLE_WRITE)}, C),
    Case(
        "FD-IAM-2",
        "scopable on star",
        "aws_iam_role_policy",
        {"policy": doc({**TABLE_WRITE, "Resource": "*"})},
        N,
    ),
    Case(
        "FD-IAM-2",
        "mixed statement",
        "aws_iam_role_policy",
        {"policy": doc({**XRAY, "Action": ["xray:PutTraceSegments", "s3:GetObject"]})},
        N,
    ),
    Case(
        "FD-IAM-2",
        "data doc star",
        "aws_iam_policy",
        {"policy": "${data.aws_iam_policy_document.star.json}"},
        N,
        data=DOC_DATA,
    ),
    Case(
        "FD-IAM-2",
        "data doc scoped",
        "aws_iam_policy",
        {"policy": "${data.aws_iam_policy_document.scoped.json}"},
        C,
        data=DOC_DATA,
    ),
    Case(
        "FD-IAM-2",
        "not resource",
        "aws_iam_policy",
        {"policy": doc({**TABLE_WRITE, "Resource": None, "NotResource": "x"})},
        N,
    ),
    # FD-IAM-3
    Case(
        "FD-IAM-3",
        "own policy",
        "aws_iam_role_policy_attachment",
        {"role": "r", "policy_arn": "${aws_iam_policy.p.arn}"},
        C,
    ),
    Case(
        "FD-IAM-3",
        "aws managed",
        "aws_iam_role_policy_attachment",
        {"role": "r", "policy_arn": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
        N,
    ),
    Case(
        "FD-IAM-3",
        "aws managed via partition token",
        "aws_iam_role",
        {"managed_policy_arns": ["arn:${data.aws_partition.p.partition}:iam::aws:policy/AdministratorAccess"]},
        N,
    ),
    # FD-KMS-1
    Case(
        "FD-KMS-1",
        "root and conditioned service",
        "aws_kms_key",
        {"policy": doc(ROOT, LOGS_WITH_CONDITION), "enable_key_rotation": True},
        C,
    ),
    Case("FD-KMS-1", "default policy", "aws_kms_key", {"enable_key_rotation": True}, C),
    Case("FD-KMS-1", "public allow", "aws_kms_key", {"policy": doc(ROOT, PUBLIC_ALLOW)}, N),
    Case(
        "FD-KMS-1",
        "public with condition",
        "aws_kms_key_policy",
        {"key_id": "k", "policy": doc(ROOT, PUBLIC_WITH_CONDITION)},
        C,
    ),
    Case(
        "FD-KMS-1",
        "aws star",
        "aws_kms_key_policy",
        {"key_id": "k", "policy": doc({**PUBLIC_ALLOW, "Principal": {"AWS": ["*"]}})},
        N,
    ),
    # FD-KMS-2
    Case("FD-KMS-2", "rotation on", "aws_kms_key", {"enable_key_rotation": True}, C),
    Case("FD-KMS-2", "rotation off", "aws_kms_key", {}, N),
    Case("FD-KMS-2", "asymmetric", "aws_kms_key", {"customer_master_key_spec": "RSA_2048"}, NA),
    # FD-RP-1
    Case(
        "FD-RP-1",
        "queue policy by source arn",
        "aws_sqs_queue_policy",
        {
            "policy": doc(
                {
                    **PUBLIC_ALLOW,
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Condition": {"ArnEquals": {"aws:SourceArn": "x"}},
                }
            )
        },
        C,
    ),
    Case(
        "FD-RP-1",
        "public topic policy",
        "aws_sns_topic_policy",
        {"arn": "t", "policy": doc({**PUBLIC_ALLOW, "Action": "sns:Publish"})},
        N,
    ),
    Case(
        "FD-RP-1",
        "tls deny to star is fine",
        "aws_s3_bucket_policy",
        {"bucket": "b", "policy": doc(TLS_DENY)},
        C,
    ),
    Case(
        "FD-RP-1",
        "trust policy to star",
        "aws_iam_role",
        {"assume_role_policy": doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})},
        N,
    ),
    Case(
        "FD-RP-1",
        "lambda permission with source arn",
        "aws_lambda_permission",
        {"principal": "events.amazonaws.com", "source_arn": "x"},
        C,
    ),
    Case("FD-RP-1", "lambda permission to anyone", "aws_lambda_permission", {"principal": "*"}, N),
    Case("FD-RP-1", "queue without policy", "aws_sqs_queue", {"kms_master_key_id": CMK}, NA),
    # FD-APIGW-1
    Case(
        "FD-APIGW-1",
        "api key",
        "aws_api_gateway_method",
        {"http_method": "POST", "authorization": "NONE", "api_key_required": True},
        C,
    ),
    Case(
        "FD-APIGW-1",
        "iam auth",
        "aws_api_gateway_method",
        {"http_method": "POST", "authorization": "AWS_IAM"},
        C,
    ),
    Case("FD-APIGW-1", "open", "aws_api_gateway_method", {"http_method": "POST", "authorization": "NONE"}, N),
    # FD-APIGW-2
    Case(
        "FD-APIGW-2",
        "data trace off",
        "aws_api_gateway_method_settings",
        {"settings": {"metrics_enabled": True, "data_trace_enabled": False}},
        C,
    ),
    Case(
        "FD-APIGW-2",
        "data trace on",
        "aws_api_gateway_method_settings",
        {"settings": {"data_trace_enabled": True}},
        N,
    ),
    Case(
        "FD-APIGW-2",
        "data trace unknown",
        "aws_api_gateway_method_settings",
        {"settings": {"data_trace_enabled": "${var.x}"}},
        N,
    ),
    # FD-EVB-1
    Case(
        "FD-EVB-1",
        "retry and dlq",
        "aws_cloudwatch_event_target",
        {
            **EVENT_TARGET,
            "retry_policy": {"maximum_retry_attempts": 4, "maximum_event_age_in_seconds": 3600},
            "dead_letter_config": {"arn": "${aws_sqs_queue.dlq.arn}"},
        },
        C,
    ),
    Case(
        "FD-EVB-1",
        "no dlq",
        "aws_cloudwatch_event_target",
        {**EVENT_TARGET, "retry_policy": {"maximum_retry_attempts": 4}},
        N,
    ),
    Case(
        "FD-EVB-1",
        "no retry",
        "aws_cloudwatch_event_target",
        {**EVENT_TARGET, "dead_letter_config": {"arn": "x"}},
        N,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule_id}:{c.label}")
def test_rule_verdict(case: Case) -> None:
    assert judge(case) is case.expected


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.id)
def test_every_rule_has_a_compliant_and_a_non_compliant_case(rule: Any) -> None:
    verdicts = {c.expected for c in CASES if c.rule_id == rule.id}
    assert {C, N} <= verdicts, f"{rule.id} needs at least one compliant and one non-compliant test case"


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.id)
def test_rule_is_documented(rule: Any) -> None:
    assert rule.id.startswith("FD-")
    assert rule.message.endswith(".") and len(rule.explanation) > 15
    assert rule.applies_to


def test_rules_ignore_other_resource_types() -> None:
    view = StackView.of({"aws_null_thing": {"x": {}}})
    assert all(rule("aws_null_thing", view.resources["aws_null_thing"]["x"], view) is NA for rule in ALL_RULES)


def test_rules_cannot_mutate_the_view() -> None:
    view = StackView.of({"aws_sqs_queue": {"q": {"tags": {"a": "b"}}}})
    with pytest.raises(TypeError):
        view.resources["aws_sqs_queue"]["q"]["tags"]["a"] = "c"  # type: ignore[index]


@pytest.mark.parametrize(
    ("principal", "service"),
    [
        ("events.amazonaws.com", "events"),
        ("events.amazonaws.com.cn", "events"),
        (f"events.{DNS_SUFFIX}", "events"),
        ("logs.us-east-1.amazonaws.com", "logs.us-east-1"),
        ("*", None),
        ("arn:aws:iam::123456789012:root", None),
        ("events.example.com", None),
        (None, None),
    ],
)
def test_service_principal_matcher_reads_both_synthesized_forms(principal: Any, service: str | None) -> None:
    from fraud_constructs.policy.statement_reader import service_principal_of

    assert service_principal_of(principal) == service
