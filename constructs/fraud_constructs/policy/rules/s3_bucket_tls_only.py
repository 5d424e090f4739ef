"""FD-S3-3: deny plain-HTTP requests so audit data never crosses the network unencrypted."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, refers_to
from ..statement_reader import Statement, parse_policy


def _denies_insecure_transport(statement: Statement) -> bool:
    if statement.allows:
        return False
    everyone = any(ident == "*" for kind, ident in statement.principals if kind in ("*", "AWS"))
    all_s3 = any(a in ("*", "s3:*") for a in statement.actions)
    insecure = any(
        c.test == "Bool"
        and c.variable == "aws:SecureTransport"
        and tuple(v.lower() for v in c.values) == ("false",)
        for c in statement.conditions
    )
    objects = any(r == "*" or r.endswith("/*") for r in statement.resources)
    bucket = any(r == "*" or not r.endswith("/*") for r in statement.resources)
    return everyone and all_s3 and insecure and objects and bucket


def _policy_is_tls_only(policy: Any, stack: StackView) -> bool:
    statements = parse_policy(policy, stack)
    return statements is not None and any(_denies_insecure_transport(s) for s in statements)


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    if config.get("policy") is not None and _policy_is_tls_only(config["policy"], stack):
        return Verdict.COMPLIANT
    name = stack.name_of(resource_type, config)
    if name is None:
        return Verdict.NON_COMPLIANT
    for _, bucket_policy in stack.of_type("aws_s3_bucket_policy"):
        if refers_to(bucket_policy.get("bucket"), resource_type, name, config.get("bucket")) and (
            _policy_is_tls_only(bucket_policy.get("policy"), stack)
        ):
            return Verdict.COMPLIANT
    return Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-S3-3",
    message="S3 bucket policy does not deny requests without TLS.",
    explanation=(
        'Add an aws_s3_bucket_policy with a Deny statement: Principal "*", Action "s3:*", '
        'Resource the bucket ARN and "<arn>/*", Condition Bool aws:SecureTransport = "false".'
    ),
    applies_to=frozenset({"aws_s3_bucket"}),
    check=_check,
)
