"""S3 bucket for Terraform state: versioned, SSE-KMS with its own key, TLS-only, nothing public.

Not the audit bucket: state needs none of its archive rules or Object Lock, and keeps old
versions longer (a bad apply is undone by restoring the previous state version). The name
carries the account and region because bucket names are global.

The policy also denies ``s3:PutObject`` unless the request names the state key
(``s3:x-amz-server-side-encryption-aws-kms-key-id``; Amazon S3 User Guide, "Using server-side
encryption with AWS KMS keys (SSE-KMS)", requiring a specific key with a bucket policy): a writer
that forgets ``kms_key_id`` (the S3 backend then sends ``AES256``) is refused instead of silently
writing state under another key. The condition key is absent on a request without the header, and
``StringNotEquals`` on an absent key denies. Multipart ``UploadPart`` requests carry no encryption
header, so objects above the uploader's 5 MB part size would be refused too: state of this
project is far smaller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from fraud_constructs.iam_statements import condition
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
    overrides: Mapping[str, object] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths on the bucket. Default: none."""


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
            overrides=props.overrides,
        )
        self.add_policy_statement(
            DataAwsIamPolicyDocumentStatement(
                sid="DenyWritesWithoutTheStateKey",
                effect="Deny",
                principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])],
                actions=["s3:PutObject"],
                resources=[f"{self.bucket.arn}/*"],
                condition=[
                    condition("StringNotEquals", "s3:x-amz-server-side-encryption-aws-kms-key-id", [props.kms_key_arn])
                ],
            )
        )
        self.lifecycle = self.add_lifecycle(
            [expire_noncurrent_versions("expire-old-state-versions", props.noncurrent_expiry_days)]
        )
