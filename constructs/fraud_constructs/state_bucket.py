"""S3 bucket for Terraform state: versioned, SSE-KMS with its own key, TLS-only, nothing public.

Not the audit bucket: state needs none of its archive rules or Object Lock, and keeps old
versions longer (a bad apply is undone by restoring the previous state version). The name
carries the account and region because bucket names are global.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from fraud_constructs.secure_bucket import SecureBucket, expire_noncurrent_versions


@dataclass(frozen=True)
class StateBucketProps:
    """Props of :class:`StateBucket`."""

    name_prefix: str
    """The account id and region are appended, e.g. ``fraud-tfstate-<account>-<region>``."""
    kms_key_arn: str
    """The state key (not the app key: state outlives any one environment)."""
    noncurrent_expiry_days: int = 90
    """Days an old state version is kept. Default: 90."""
    force_destroy: bool = False
    """Default: False: state is the last thing to lose."""


class StateBucket(SecureBucket):
    """The :class:`SecureBucket` baseline plus one lifecycle rule for old state versions (``lifecycle``)."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: StateBucketProps) -> None:
        super().__init__(
            scope,
            construct_id,
            aws=aws,
            name_prefix=props.name_prefix,
            kms_key_arn=props.kms_key_arn,
            force_destroy=props.force_destroy,
        )
        self.lifecycle = self.add_lifecycle(
            [expire_noncurrent_versions("expire-old-state-versions", props.noncurrent_expiry_days)]
        )
