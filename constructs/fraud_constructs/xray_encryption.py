"""X-Ray encryption with a customer-managed KMS key (``aws_xray_encryption_config``, type ``KMS``).

**Region-wide, account-wide**: X-Ray has one encryption setting per account and region, so this
changes how the traces of every workload of the account in the region are encrypted, not only
this project's. That is why it is off by default (``xrayEncryption``) and lives in the bootstrap
stack, next to the other once-per-account settings; two stacks owning it would overwrite each
other. Destroying the resource does not reset the setting (the provider documents that removing
it has no effect on X-Ray): X-Ray keeps using the key, and stops storing traces if the key is
disabled or deleted ("Data protection in AWS X-Ray").

What the key needs (X-Ray developer guide, "Data protection in AWS X-Ray" and "How AWS X-Ray works
with IAM", user permissions for encryption):

- the principal that applies this setting (the administrator running bootstrap) calls
  ``kms:CreateGrant`` and ``kms:DescribeKey`` on the key: X-Ray encrypts through that grant;
- principals that read traces (console, ``GetTraceSummaries``/``BatchGetTraces``) need
  ``kms:Decrypt``;
- principals that *write* traces (the functions' ``xray:PutTraceSegments``) need nothing on the key.

All three are IAM permissions through the key policy's account-root statement
(:class:`~fraud_constructs.encryption_key.EncryptionKey` always has it); no service principal
statement is needed. X-Ray supports symmetric keys only (EncryptionKey creates one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.xray_encryption_config import XrayEncryptionConfig
from constructs import Construct

from fraud_constructs.overrides import apply_overrides


@dataclass(frozen=True)
class XrayEncryptionProps:
    """Props of :class:`XrayEncryption`."""

    kms_key_arn: str
    """ARN of the symmetric CMK X-Ray encrypts traces with (a key ARN, not an alias: the setting is
    account-wide, an alias could be re-pointed by anyone allowed to update it)."""
    overrides: Mapping[str, object] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths on the encryption config. Default: none."""


class XrayEncryption(Construct):
    """Sets this account and region's X-Ray encryption to ``kms_key_arn``; exposes ``config``."""

    def __init__(self, scope: Construct, construct_id: str, *, props: XrayEncryptionProps) -> None:
        super().__init__(scope, construct_id)
        if ":alias/" in props.kms_key_arn:
            raise ValueError("XrayEncryptionProps.kms_key_arn must be a key ARN, not an alias")
        self.props = props
        self.config = XrayEncryptionConfig(self, "config", type="KMS", key_id=props.kms_key_arn)
        apply_overrides(self.config, props.overrides)
