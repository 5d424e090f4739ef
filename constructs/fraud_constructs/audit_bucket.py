"""S3 bucket for the audit trail, window analyses and daily reports.

Secure by default: versioned, SSE-KMS with the project key and an S3 bucket key (fewer KMS
calls), all public access blocked, ACLs disabled (BucketOwnerEnforced), a policy that denies
any request not made over TLS, optional Object Lock (governance mode).

Lifecycle and the 128 KB rule: since 2024 S3 skips objects smaller than 128 KB in lifecycle
*transitions* unless the rule carries its own size filter. The audit layout is built for
transitions: the stream consumer writes one gzip JSONL object per stream batch (up to
``stream_batch_size`` records) under ``audit/dt=YYYY-MM-DD/hour=HH/``, not one object per event,
and the archive rule filters on ``prefix = audit/`` **and** ``object_size_greater_than = 0``,
which replaces the 128 KB default, so every audit object is archived after
``transition_days``. Reports and analyses stay in S3 Standard (they are read by people and the
daily roll-up). Noncurrent versions expire after ``noncurrent_expiry_days``; incomplete
multipart uploads are aborted after 7 days.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleFilterAnd,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
    S3BucketLifecycleConfigurationRuleTransition,
)
from cdktf_cdktf_provider_aws.s3_bucket_object_lock_configuration import (
    S3BucketObjectLockConfigurationA,
    S3BucketObjectLockConfigurationRuleA,
    S3BucketObjectLockConfigurationRuleDefaultRetentionA,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct

from fraud_constructs.aws_context import AwsContext

AUDIT_PREFIX = "audit/"


@dataclass(frozen=True)
class AuditBucketProps:
    """Props of :class:`AuditBucket`."""

    name_prefix: str
    """Bucket name prefix; the account id and region are appended (names are global)."""
    kms_key_arn: str
    """CMK for SSE-KMS."""
    force_destroy: bool = False
    """Let ``terraform destroy`` delete a non-empty bucket. Default: False (set by protection presets)."""
    transition_days: int = 90
    """Days before audit objects move to Glacier Flexible Retrieval. Default: 90."""
    transition_storage_class: str = "GLACIER"
    """Archive storage class for audit objects. Default: GLACIER."""
    noncurrent_expiry_days: int = 30
    """Days a replaced or deleted object version is kept. Default: 30."""
    object_lock_days: int | None = None
    """Governance-mode Object Lock retention in days; None (default) disables Object Lock."""


class AuditBucket(Construct):
    """Exposes ``bucket`` (and ``name``/``arn``), ``policy``, ``public_access_block``."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: AuditBucketProps) -> None:
        super().__init__(scope, construct_id)
        lock = props.object_lock_days is not None
        self.bucket = S3Bucket(
            self,
            "bucket",
            bucket=f"{props.name_prefix}-{aws.account_id}-{aws.region}",
            force_destroy=props.force_destroy,
            object_lock_enabled=lock or None,
        )
        bucket_id = self.bucket.id
        self.versioning = S3BucketVersioningA(
            self,
            "versioning",
            bucket=bucket_id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        self.encryption = S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=bucket_id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=(
                        S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                            sse_algorithm="aws:kms", kms_master_key_id=props.kms_key_arn
                        )
                    ),
                    bucket_key_enabled=True,
                )
            ],
        )
        self.public_access_block = S3BucketPublicAccessBlock(
            self,
            "public-access",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        self.ownership = S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=bucket_id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        self.policy_document = DataAwsIamPolicyDocument(
            self,
            "tls-only",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="DenyInsecureTransport",
                    effect="Deny",
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])],
                    actions=["s3:*"],
                    resources=[self.bucket.arn, f"{self.bucket.arn}/*"],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="Bool", variable="aws:SecureTransport", values=["false"]
                        )
                    ],
                )
            ],
        )
        # The policy waits for the public access block, or S3 may reject it mid-apply.
        self.policy = S3BucketPolicy(
            self,
            "policy",
            bucket=bucket_id,
            policy=self.policy_document.json,
            depends_on=[self.public_access_block],
        )
        self.lifecycle = S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=bucket_id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="archive-audit-trail",
                    status="Enabled",
                    filter=[
                        S3BucketLifecycleConfigurationRuleFilter(
                            and_=[
                                S3BucketLifecycleConfigurationRuleFilterAnd(
                                    prefix=AUDIT_PREFIX, object_size_greater_than=0
                                )
                            ]
                        )
                    ],
                    transition=[
                        S3BucketLifecycleConfigurationRuleTransition(
                            days=props.transition_days, storage_class=props.transition_storage_class
                        )
                    ],
                ),
                S3BucketLifecycleConfigurationRule(
                    id="expire-noncurrent-versions",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=props.noncurrent_expiry_days
                        )
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
                    ],
                ),
            ],
            depends_on=[self.versioning],
        )
        self.object_lock = (
            S3BucketObjectLockConfigurationA(
                self,
                "object-lock",
                bucket=bucket_id,
                rule=S3BucketObjectLockConfigurationRuleA(
                    default_retention=S3BucketObjectLockConfigurationRuleDefaultRetentionA(
                        mode="GOVERNANCE", days=props.object_lock_days
                    )
                ),
                depends_on=[self.versioning],
            )
            if lock
            else None
        )

    @property
    def name(self) -> str:
        return self.bucket.bucket

    @property
    def arn(self) -> str:
        return self.bucket.arn
