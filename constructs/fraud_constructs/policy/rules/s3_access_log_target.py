"""FD-S3-4: server access logs need a target S3 can deliver to, and that is not the logged bucket itself.

Amazon S3 User Guide, "Enabling Amazon S3 server access logging": the target bucket's default
encryption may only be SSE-S3 (SSE-KMS is not supported), it can't have S3 Object Lock, and
delivering logs to the source bucket "will cause an infinite loop of logs". A target S3 cannot
deliver to loses the logs silently: the configuration is accepted, the log objects never arrive.
The target is judged when it is a bucket of the same stack (a reference, or its literal name);
a target in another state (the bootstrap's log bucket, found by name) cannot be judged here, and
only the self-target check applies to it.
"""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, blocks, is_token, references, truthy

_KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})


def _bucket_names(value: Any, stack: StackView) -> set[str]:
    """Terraform names of the stack's buckets that ``value`` designates (by reference or literal name)."""
    found = {name for rtype, name in references(value) if rtype == "aws_s3_bucket"}
    if isinstance(value, str) and not is_token(value):
        found |= {name for name, bucket in stack.of_type("aws_s3_bucket") if bucket.get("bucket") == value}
    return found


def _configures(stack: StackView, resource_type: str, bucket: str, literal: Any) -> list[Mapping[str, Any]]:
    """Configurations of ``resource_type`` that belong to the stack's bucket ``bucket``."""
    return [
        config
        for _, config in stack.of_type(resource_type)
        if bucket in _bucket_names(config.get("bucket"), stack)
        or (literal is not None and not is_token(literal) and config.get("bucket") == literal)
    ]


def _can_receive_logs(stack: StackView, bucket: str) -> bool:
    config = dict(stack.resources["aws_s3_bucket"][bucket])
    literal = config.get("bucket")
    if truthy(config.get("object_lock_enabled")):
        return False
    if any(
        rule.get("object_lock_enabled") == "Enabled" for rule in blocks(config.get("object_lock_configuration"))
    ) or _configures(stack, "aws_s3_bucket_object_lock_configuration", bucket, literal):
        return False
    for sse in _configures(stack, "aws_s3_bucket_server_side_encryption_configuration", bucket, literal):
        for rule in blocks(sse.get("rule")):
            for default in blocks(rule.get("apply_server_side_encryption_by_default")):
                if default.get("sse_algorithm") in _KMS_ALGORITHMS:
                    return False
    return True


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    targets = _bucket_names(config.get("target_bucket"), stack)
    sources = _bucket_names(config.get("bucket"), stack)
    if targets & sources or (
        not is_token(config.get("target_bucket")) and config.get("target_bucket") == config.get("bucket")
    ):
        return Verdict.NON_COMPLIANT
    if not all(_can_receive_logs(stack, target) for target in targets):
        return Verdict.NON_COMPLIANT
    return Verdict.COMPLIANT


RULE = Rule(
    id="FD-S3-4",
    message="Server access logs target the logged bucket itself, or a bucket S3 cannot deliver logs to.",
    explanation=(
        "Log into a separate bucket of the same account and region with default encryption SSE-S3 "
        "(sse_algorithm = AES256; SSE-KMS is not supported), no Object Lock, and a bucket policy letting "
        "logging.s3.amazonaws.com s3:PutObject (AccessLogBucket)."
    ),
    applies_to=frozenset({"aws_s3_bucket_logging"}),
    check=_check,
)
