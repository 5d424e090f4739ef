"""The target bucket of S3 server access logs (and, optionally, of CloudTrail log files).

What AWS requires of a server access log target (Amazon S3 User Guide, "Enabling Amazon S3 server
access logging"), and so what this bucket is:

- same account and region as the source buckets (one log bucket per account and region);
- default encryption **SSE-S3 only**: "You can use default bucket encryption on the target bucket
  *only* if you use server-side encryption with Amazon S3 managed keys (SSE-S3) ... Default
  server-side encryption with AWS Key Management Service (AWS KMS) keys (SSE-KMS) is not
  supported." This is the one bucket of the project without the CMK (``SecureBucket`` with
  ``kms_key_arn=None``; the policy pack's FD-S3-1 is suppressed for it, with this reason);
- **no Object Lock** and no default retention ("You can't enable S3 Object Lock on the target
  bucket"; Amazon S3 User Guide, "Object Lock considerations": "S3 buckets with Object Lock can't
  be used as destination buckets for server access logs"); versioning protects the logs instead;
- not logged to itself ("delivering logs to the source bucket will cause an infinite loop of logs
  and is not recommended"), and no Requester Pays;
- ``BucketOwnerEnforced`` (ACLs disabled), so log delivery is granted by the **bucket policy**, not
  by the log delivery group's ACL ("Permissions for log delivery"): ``s3:PutObject`` for
  ``logging.s3.amazonaws.com`` with ``aws:SourceArn`` (ArnLike: only the named source buckets)
  and ``aws:SourceAccount`` (this account), as the page's example policy does.

CloudTrail (``cloudtrail_trails``): the two statements of AWS CloudTrail User Guide, "Amazon S3
bucket policy for CloudTrail" (``s3:GetBucketAcl`` on the bucket, ``s3:PutObject`` under
``<prefix>/AWSLogs/<account>/`` with ``s3:x-amz-acl = bucket-owner-full-control``), each limited
by ``aws:SourceArn`` to the named trails, as that page recommends. CloudTrail may encrypt its log
files with SSE-KMS per object even though the bucket default is SSE-S3.

Plus the baseline: versioned, all public access blocked, TLS-only policy, and a lifecycle: logs
expire after ``log_expiry_days`` (expiration applies to objects of any size), replaced or
deleted versions after ``noncurrent_expiry_days``, expired delete markers are removed and
incomplete uploads aborted after 7 days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocumentStatement
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from fraud_constructs.iam_statements import condition, service_principal
from fraud_constructs.secure_bucket import SecureBucket

SERVER_ACCESS_LOGGING_SERVICE = "logging.s3"
"""Service principal prefix of S3 log delivery (``logging.s3.amazonaws.com``)."""
CLOUDTRAIL_SERVICE = "cloudtrail"


def access_log_prefix(source_bucket_name: str) -> str:
    """The key prefix of one source bucket's server access logs: ``<source bucket name>/`` (names are
    unique, so prefixes never collide; use with :meth:`SecureBucket.enable_access_logs`)."""
    return f"{source_bucket_name}/"


@dataclass(frozen=True)
class AccessLogBucketProps:
    """Props of :class:`AccessLogBucket`."""

    name_prefix: str
    """Bucket name prefix; the account id and region are appended (names are global)."""
    server_access_log_sources: tuple[str, ...]
    """ARNs (``*`` allowed, ``ArnLike``) of the buckets whose server access logs may be delivered here,
    e.g. ``arn:aws:s3:::fraud-*``. Required: at least one."""
    cloudtrail_trails: tuple[str, ...] = ()
    """ARNs (``*`` allowed) of the trails that may deliver log files under ``cloudtrail_prefix``.
    Default: none (no CloudTrail statements)."""
    cloudtrail_prefix: str = "cloudtrail"
    """Key prefix of CloudTrail log files (the trail's ``s3_key_prefix``). Default: ``cloudtrail``."""
    log_expiry_days: int = 365
    """Days a log object is kept. Default: 365 (a year of access history)."""
    noncurrent_expiry_days: int = 30
    """Days a replaced or deleted log version is kept. Default: 30."""
    force_destroy: bool = False
    """Let ``terraform destroy`` delete a non-empty bucket. Default: False."""
    prevent_destroy: bool = False
    """Terraform refuses any plan that destroys the bucket. Default: False."""
    overrides: Mapping[str, object] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths on the bucket. Default: none."""

    def __post_init__(self) -> None:
        if not self.server_access_log_sources:
            raise ValueError("AccessLogBucketProps.server_access_log_sources: name the buckets that log here")
        if any(source in ("*", "arn:aws:s3:::*") for source in self.server_access_log_sources):
            raise ValueError("AccessLogBucketProps.server_access_log_sources: name buckets, not every bucket")
        if self.log_expiry_days < 1 or self.noncurrent_expiry_days < 1:
            raise ValueError("AccessLogBucketProps: expiry days must be at least 1")
        if not self.cloudtrail_prefix or self.cloudtrail_prefix.strip("/") != self.cloudtrail_prefix:
            raise ValueError("AccessLogBucketProps.cloudtrail_prefix: a non-empty prefix without '/' at either end")


class AccessLogBucket(SecureBucket):
    """The :class:`SecureBucket` baseline with SSE-S3, log-delivery policy and log lifecycle; adds
    ``lifecycle``. ``cloudtrail_prefix`` is the key prefix a trail must use."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: AccessLogBucketProps) -> None:
        super().__init__(
            scope,
            construct_id,
            aws=aws,
            name_prefix=props.name_prefix,
            kms_key_arn=None,  # SSE-S3: the only default encryption a server access log target may have
            force_destroy=props.force_destroy,
            prevent_destroy=props.prevent_destroy,
            overrides=props.overrides,
        )
        self.props = props
        self.cloudtrail_prefix = props.cloudtrail_prefix
        self.add_policy_statement(
            DataAwsIamPolicyDocumentStatement(
                sid="S3ServerAccessLogDelivery",
                effect="Allow",
                principals=[service_principal(SERVER_ACCESS_LOGGING_SERVICE, aws)],
                actions=["s3:PutObject"],
                # One resource for every source (each writes under its own prefix): the bucket is shared
                # by the stacks of an account and region, and the prefixes are theirs to choose.
                resources=[f"{self.bucket.arn}/*"],
                condition=[
                    condition("ArnLike", "aws:SourceArn", props.server_access_log_sources),
                    condition("StringEquals", "aws:SourceAccount", [aws.account_id]),
                ],
            )
        )
        if props.cloudtrail_trails:
            trails = condition("ArnLike", "aws:SourceArn", props.cloudtrail_trails)
            self.add_policy_statement(
                DataAwsIamPolicyDocumentStatement(
                    sid="CloudTrailAclCheck",
                    effect="Allow",
                    principals=[service_principal(CLOUDTRAIL_SERVICE, aws)],
                    actions=["s3:GetBucketAcl"],
                    resources=[self.bucket.arn],
                    condition=[trails],
                )
            )
            self.add_policy_statement(
                DataAwsIamPolicyDocumentStatement(
                    sid="CloudTrailWrite",
                    effect="Allow",
                    principals=[service_principal(CLOUDTRAIL_SERVICE, aws)],
                    actions=["s3:PutObject"],
                    resources=[f"{self.bucket.arn}/{props.cloudtrail_prefix}/AWSLogs/{aws.account_id}/*"],
                    condition=[condition("StringEquals", "s3:x-amz-acl", ["bucket-owner-full-control"]), trails],
                )
            )
        everything = [S3BucketLifecycleConfigurationRuleFilter(prefix="")]
        self.lifecycle = self.add_lifecycle(
            [
                S3BucketLifecycleConfigurationRule(
                    id="expire-logs",
                    status="Enabled",
                    filter=everything,
                    expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=props.log_expiry_days)],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=props.noncurrent_expiry_days
                        )
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
                    ],
                ),
                # An expiration with days cannot also remove delete markers: a second rule does, once the
                # marker's noncurrent versions are gone (Amazon S3 User Guide, "Lifecycle configuration elements").
                S3BucketLifecycleConfigurationRule(
                    id="remove-expired-delete-markers",
                    status="Enabled",
                    filter=everything,
                    expiration=[S3BucketLifecycleConfigurationRuleExpiration(expired_object_delete_marker=True)],
                ),
            ]
        )
