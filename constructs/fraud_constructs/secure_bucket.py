"""The baseline every S3 bucket of this project gets; :class:`AuditBucket` and :class:`StateBucket` add to it.

- versioned (a bad write or delete is undone by restoring the previous version);
- SSE-KMS with the given CMK and an S3 bucket key (fewer KMS calls); ``kms_key_arn=None`` gives SSE-S3
  (``AES256``) instead, for the one kind of bucket that cannot use a KMS key: the target of S3 server
  access logs (:class:`~fraud_constructs.access_log_bucket.AccessLogBucket`);
- all public access blocked and ACLs disabled (``BucketOwnerEnforced``);
- a bucket policy that denies any request not made over TLS. It waits for the public access
  block, or S3 may reject it mid-apply.

Optional: ``object_lock_enabled`` creates the bucket with Object Lock (a new bucket only: on an
existing bucket the argument forces a replacement, see :class:`~fraud_constructs.audit_bucket.AuditBucket`
for turning it on in place), and :meth:`SecureBucket.enable_access_logs` sends S3 server access logs
to a log bucket.

The name carries the account id and region because bucket names are global. The children's
construct ids name Terraform resources (and state): keep them stable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cdktf import ITerraformDependable, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
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
from fraud_constructs.iam_statements import deny_insecure_transport
from fraud_constructs.overrides import apply_overrides


class SecureBucket(Construct):
    """Exposes ``bucket`` (and ``name``/``arn``), ``versioning``, ``encryption``, ``public_access_block``,
    ``ownership``, ``policy_document``, ``policy`` and ``access_logs`` (None until
    :meth:`enable_access_logs`)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        aws: AwsContext,
        name_prefix: str,
        kms_key_arn: str | None,
        force_destroy: bool,
        prevent_destroy: bool = False,
        object_lock_enabled: bool = False,
        overrides: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_logs: S3BucketLoggingA | None = None
        self.bucket = S3Bucket(
            self,
            "bucket",
            bucket=f"{name_prefix}-{aws.account_id}-{aws.region}",
            force_destroy=force_destroy,
            # Only ever True for a bucket created with it: the argument forces a new bucket.
            object_lock_enabled=True if object_lock_enabled else None,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True) if prevent_destroy else None,
        )
        apply_overrides(self.bucket, overrides or {})
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
                            sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
                        )
                        if kms_key_arn is not None
                        else S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                            sse_algorithm="AES256"
                        )
                    ),
                    # A bucket key only reduces KMS calls: SSE-S3 makes none.
                    bucket_key_enabled=True if kms_key_arn is not None else None,
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
        self.policy_statements = [deny_insecure_transport(["s3:*"], [self.bucket.arn, f"{self.bucket.arn}/*"])]
        self.policy_document = DataAwsIamPolicyDocument(self, "tls-only", statement=self.policy_statements)
        self.policy = S3BucketPolicy(
            self,
            "policy",
            bucket=bucket_id,
            policy=self.policy_document.json,
            depends_on=[self.public_access_block],
        )

    def add_policy_statement(self, statement: DataAwsIamPolicyDocumentStatement) -> None:
        """One more statement in the bucket policy (after the TLS-only deny)."""
        self.policy_statements.append(statement)
        self.policy_document.put_statement(self.policy_statements)

    def add_lifecycle(self, rules: list[S3BucketLifecycleConfigurationRule]) -> S3BucketLifecycleConfiguration:
        """The bucket's one lifecycle configuration; it waits for versioning, which noncurrent rules need."""
        return S3BucketLifecycleConfiguration(
            self, "lifecycle", bucket=self.bucket.id, rule=rules, depends_on=[self.versioning]
        )

    def enable_access_logs(
        self, target_bucket_name: str, target_prefix: str, *, depends_on: Sequence[ITerraformDependable] = ()
    ) -> S3BucketLoggingA:
        """S3 server access logs of this bucket into ``target_bucket_name`` under ``target_prefix``.

        The target must be in the same account and region, use SSE-S3 and have no Object Lock, and its
        policy must let ``logging.s3.amazonaws.com`` write (Amazon S3 User Guide, "Enabling Amazon S3
        server access logging"): :class:`~fraud_constructs.access_log_bucket.AccessLogBucket`. No target
        grants: with ``BucketOwnerEnforced`` on the target, S3 rejects them (same page). ``depends_on``: the
        target's bucket policy when it is created in the same apply."""
        if self.access_logs is not None:
            raise ValueError(f"{self.node.path}: access logs are already enabled (one target per bucket)")
        self.access_logs = S3BucketLoggingA(
            self,
            "access-logs",
            bucket=self.bucket.id,
            target_bucket=target_bucket_name,
            target_prefix=target_prefix,
            depends_on=list(depends_on) or None,
        )
        return self.access_logs

    @property
    def name(self) -> str:
        return self.bucket.bucket

    @property
    def arn(self) -> str:
        return self.bucket.arn


def expire_noncurrent_versions(rule_id: str, noncurrent_days: int) -> S3BucketLifecycleConfigurationRule:
    """Bucket-wide rule: drop replaced or deleted versions after ``noncurrent_days``, abort stale uploads (7 days)."""
    return S3BucketLifecycleConfigurationRule(
        id=rule_id,
        status="Enabled",
        filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
        noncurrent_version_expiration=[
            S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(noncurrent_days=noncurrent_days)
        ],
        abort_incomplete_multipart_upload=[
            S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
        ],
    )
