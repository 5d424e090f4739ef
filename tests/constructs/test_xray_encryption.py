"""XrayEncryption: the account's X-Ray setting points at the given CMK (opt-in, bootstrap only)."""

from __future__ import annotations

import json

import pytest

from fraud_constructs.encryption_key import EncryptionKey, EncryptionKeyProps
from fraud_constructs.xray_encryption import XrayEncryption, XrayEncryptionProps
from tests.tfjson import only, resources, synth_scope

pytestmark = pytest.mark.synth


def test_config_uses_kms_with_the_key() -> None:
    def build(stack: object) -> None:
        key = EncryptionKey(
            stack, "xray-key", aws=stack.aws, props=EncryptionKeyProps(alias="fraud-xray", description="X-Ray traces")
        )
        XrayEncryption(stack, "xray", props=XrayEncryptionProps(kms_key_arn=key.arn))

    doc = synth_scope(build)
    config = only(doc, "aws_xray_encryption_config")
    assert config["type"] == "KMS"
    (key_name,) = resources(doc, "aws_kms_key")
    assert config["key_id"] == f"${{aws_kms_key.{key_name}.arn}}"
    # X-Ray needs no service principal on the key: the configuring principal's CreateGrant/DescribeKey and
    # the readers' Decrypt are IAM permissions through the account-root statement.
    policy = json.loads(only(doc, "aws_kms_key")["policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["AccountAdministers"]
    assert policy["Statement"][0]["Principal"]["AWS"].endswith(":root")


def test_alias_is_refused() -> None:
    with pytest.raises(ValueError, match="alias"):
        synth_scope(
            lambda stack: XrayEncryption(
                stack, "xray", props=XrayEncryptionProps(kms_key_arn="arn:aws:kms:us-east-1:123456789012:alias/x")
            )
        )
