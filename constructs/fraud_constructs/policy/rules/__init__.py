"""All rules of the pack, one module each; adding a module here is what enables it."""

from ..core import Rule
from . import (
    apigw_method_auth,
    apigw_no_data_trace,
    dynamodb_table_cmk,
    dynamodb_table_pitr,
    ecr_repository_cmk,
    ecr_repository_immutable,
    ecr_repository_scan_on_push,
    eventbridge_target_retry_dlq,
    iam_no_aws_managed_policies,
    iam_no_wildcard_actions,
    iam_wildcard_resources,
    kms_key_policy_principals,
    kms_key_rotation,
    lambda_async_on_failure,
    lambda_image_digest,
    lambda_provisioned_concurrency_qualified,
    lambda_tracing,
    log_group_cmk,
    log_group_retention,
    resource_policy_principals,
    s3_access_log_target,
    s3_bucket_cmk,
    s3_bucket_public_access_block,
    s3_bucket_tls_only,
    s3_replication_kms,
    sns_topic_cmk,
    sqs_queue_cmk,
    ssm_secure_string_cmk,
    vpc_default_security_group_closed,
    vpc_endpoint_policy,
    vpc_no_internet_route,
    waf_body_inspection,
    waf_logging_redaction,
)

ALL_RULES: tuple[Rule, ...] = tuple(
    sorted(
        (
            apigw_method_auth.RULE,
            apigw_no_data_trace.RULE,
            dynamodb_table_cmk.RULE,
            dynamodb_table_pitr.RULE,
            ecr_repository_cmk.RULE,
            ecr_repository_immutable.RULE,
            ecr_repository_scan_on_push.RULE,
            eventbridge_target_retry_dlq.RULE,
            iam_no_aws_managed_policies.RULE,
            iam_no_wildcard_actions.RULE,
            iam_wildcard_resources.RULE,
            kms_key_policy_principals.RULE,
            kms_key_rotation.RULE,
            lambda_async_on_failure.RULE,
            lambda_image_digest.RULE,
            lambda_provisioned_concurrency_qualified.RULE,
            lambda_tracing.RULE,
            log_group_cmk.RULE,
            log_group_retention.RULE,
            resource_policy_principals.RULE,
            s3_access_log_target.RULE,
            s3_bucket_cmk.RULE,
            s3_bucket_public_access_block.RULE,
            s3_bucket_tls_only.RULE,
            s3_replication_kms.RULE,
            sns_topic_cmk.RULE,
            sqs_queue_cmk.RULE,
            ssm_secure_string_cmk.RULE,
            vpc_default_security_group_closed.RULE,
            vpc_endpoint_policy.RULE,
            vpc_no_internet_route.RULE,
            waf_body_inspection.RULE,
            waf_logging_redaction.RULE,
        ),
        key=lambda rule: rule.id,
    )
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in ALL_RULES}
assert len(RULES_BY_ID) == len(ALL_RULES), "duplicate rule id"

__all__ = ["ALL_RULES", "RULES_BY_ID"]
