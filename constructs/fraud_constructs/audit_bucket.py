"""S3 bucket for the audit trail, window analyses and daily reports.

Secure by default (the :class:`~fraud_constructs.secure_bucket.SecureBucket` baseline):
versioned, SSE-KMS with the project key and an S3 bucket key (fewer KMS calls), all public access
blocked, ACLs disabled (BucketOwnerEnforced), a policy that denies any request not made over TLS;
plus optional Object Lock (governance mode) and, for protected environments, ``prevent_destroy``.

Object Lock is turned on **only** through the object-lock configuration resource, never through
the bucket's ``object_lock_enabled`` argument: that argument forces a new bucket (Terraform would
delete the old one with every audit object when ``force_destroy`` is set, or fail in prod),
while S3 lets an existing versioned bucket enable Object Lock with
``PutObjectLockConfiguration`` (Amazon S3 User Guide, "Configuring S3 Object Lock": "Enable Object
Lock on an existing bucket"). Turning it on later is therefore an in-place change, and
``object_lock_days`` is only the default retention. Once on, S3 cannot turn it off again. With a
default retention every PutObject needs a checksum header: the image's audit store sends one.
A bucket that is new by design (a replica) can instead be created with Object Lock
(``object_lock_at_creation``): it is then lockable from its first object, whether or not a default
retention is set.

Lifecycle and the 128 KB rule: since 2024 S3 skips objects smaller than 128 KB in lifecycle
*transitions* unless the rule carries its own size filter. The archive rule filters on
``prefix = <archive_prefix>`` **and** ``object_size_greater_than = 0``, which replaces the 128 KB
default, so every object under the prefix is archived after ``transition_days`` (write few,
larger objects there: one per batch, not one per event). Objects outside the prefix stay in S3
Standard. Noncurrent versions expire after ``noncurrent_expiry_days``; incomplete multipart
uploads are aborted after 7 days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleFilterAnd,
    S3BucketLifecycleConfigurationRuleTransition,
)
from cdktf_cdktf_provider_aws.s3_bucket_object_lock_configuration import (
    S3BucketObjectLockConfigurationA,
    S3BucketObjectLockConfigurationRuleA,
    S3BucketObjectLockConfigurationRuleDefaultRetentionA,
)
from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from fraud_constructs.secure_bucket import SecureBucket, expire_noncurrent_versions


@dataclass(frozen=True)
class AuditBucketProps:
    """Props of :class:`AuditBucket`."""

    name_prefix: str
    """Bucket name prefix; the account id and region are appended (names are global)."""
    kms_key_arn: str
    """CMK for SSE-KMS."""
    archive_prefix: str
    """Key prefix of the objects the archive rule moves to ``transition_storage_class`` (e.g. ``audit/``)."""
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
    prevent_destroy: bool = False
    """Terraform refuses any plan that destroys the bucket (protected presets). Default: False."""
    object_lock_at_creation: bool = False
    """Create the bucket with Object Lock enabled (``object_lock_enabled``). Only for a bucket that is
    new by design, such as a replication destination: on an existing bucket it forces a replacement.
    Default: False (Object Lock only through ``object_lock_days``, in place)."""
    overrides: Mapping[str, object] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths on the bucket. Default: none."""


class AuditBucket(SecureBucket):
    """The :class:`SecureBucket` baseline plus archive lifecycle and optional Object Lock; adds
    ``lifecycle`` and ``object_lock`` (or None)."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: AuditBucketProps) -> None:
        lock = props.object_lock_days is not None
        super().__init__(
            scope,
            construct_id,
            aws=aws,
            name_prefix=props.name_prefix,
            kms_key_arn=props.kms_key_arn,
            force_destroy=props.force_destroy,
            prevent_destroy=props.prevent_destroy,
            object_lock_enabled=props.object_lock_at_creation,
            overrides=props.overrides,
        )
        self.lifecycle = self.add_lifecycle(
            [
                S3BucketLifecycleConfigurationRule(
                    id="archive-audit-trail",
                    status="Enabled",
                    filter=[
                        S3BucketLifecycleConfigurationRuleFilter(
                            and_=[
                                S3BucketLifecycleConfigurationRuleFilterAnd(
                                    prefix=props.archive_prefix, object_size_greater_than=0
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
                expire_noncurrent_versions("expire-noncurrent-versions", props.noncurrent_expiry_days),
            ]
        )
        self.object_lock = (
            S3BucketObjectLockConfigurationA(
                self,
                "object-lock",
                bucket=self.bucket.id,
                object_lock_enabled="Enabled",
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
