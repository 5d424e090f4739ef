"""FD-S3-1: audit objects must be encrypted with the project CMK, so reading them needs kms:Decrypt too."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, blocks, is_customer_managed_key, refers_to

_KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})


def _rules_use_cmk(rules: Any) -> bool:
    defaults = [d for r in blocks(rules) for d in blocks(r.get("apply_server_side_encryption_by_default"))]
    return bool(defaults) and all(
        d.get("sse_algorithm") in _KMS_ALGORITHMS and is_customer_managed_key(d.get("kms_master_key_id"))
        for d in defaults
    )


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    # Deprecated inline block still counts: it is what Terraform applies.
    for inline in blocks(config.get("server_side_encryption_configuration")):
        if _rules_use_cmk(inline.get("rule")):
            return Verdict.COMPLIANT
    name = stack.name_of(resource_type, config)
    if name is None:
        return Verdict.NON_COMPLIANT
    for _, sse in stack.of_type("aws_s3_bucket_server_side_encryption_configuration"):
        if refers_to(sse.get("bucket"), resource_type, name, config.get("bucket")) and _rules_use_cmk(
            sse.get("rule")
        ):
            return Verdict.COMPLIANT
    return Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-S3-1",
    message="S3 bucket has no default encryption with a customer-managed KMS key.",
    explanation=(
        "Add aws_s3_bucket_server_side_encryption_configuration for the bucket with "
        "sse_algorithm = aws:kms and kms_master_key_id = <project CMK arn> (bucket_key_enabled = true)."
    ),
    applies_to=frozenset({"aws_s3_bucket"}),
    check=_check,
)
