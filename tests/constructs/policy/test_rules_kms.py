"""Policy rules for KMS: each rule's compliant and non-compliant cases."""

from __future__ import annotations

import pytest

from tests.constructs.policy.rule_cases import (
    LOGS_WITH_CONDITION,
    NA,
    PUBLIC_ALLOW,
    PUBLIC_WITH_CONDITION,
    ROOT,
    C,
    Case,
    N,
    doc,
    judge,
)

pytestmark = pytest.mark.unit

CASES: list[Case] = [
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
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule_id}:{c.label}")
def test_rule_verdict(case: Case) -> None:
    assert judge(case) is case.expected
