"""Policy rules for ECR: each rule's compliant and non-compliant cases."""

from __future__ import annotations

import pytest

from tests.constructs.policy.rule_cases import CMK, C, Case, N, judge

pytestmark = pytest.mark.unit

CASES: list[Case] = [
    # FD-ECR-*
    Case(
        "FD-ECR-1",
        "kms cmk",
        "aws_ecr_repository",
        {"encryption_configuration": [{"encryption_type": "KMS", "kms_key": CMK}]},
        C,
    ),
    Case(
        "FD-ECR-1",
        "aes256",
        "aws_ecr_repository",
        {"encryption_configuration": [{"encryption_type": "AES256"}]},
        N,
    ),
    Case(
        "FD-ECR-1",
        "kms default key",
        "aws_ecr_repository",
        {"encryption_configuration": [{"encryption_type": "KMS"}]},
        N,
    ),
    Case("FD-ECR-2", "immutable", "aws_ecr_repository", {"image_tag_mutability": "IMMUTABLE"}, C),
    Case("FD-ECR-2", "default mutable", "aws_ecr_repository", {}, N),
    Case(
        "FD-ECR-3",
        "scan on push",
        "aws_ecr_repository",
        {"image_scanning_configuration": {"scan_on_push": True}},
        C,
    ),
    Case(
        "FD-ECR-3",
        "enhanced registry scanning",
        "aws_ecr_repository",
        {},
        C,
        {
            "aws_ecr_registry_scanning_configuration": {
                "r": {"scan_type": "ENHANCED", "rule": [{"scan_frequency": "SCAN_ON_PUSH"}]}
            }
        },
    ),
    Case(
        "FD-ECR-3",
        "no scan",
        "aws_ecr_repository",
        {"image_scanning_configuration": {"scan_on_push": False}},
        N,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule_id}:{c.label}")
def test_rule_verdict(case: Case) -> None:
    assert judge(case) is case.expected
