"""Builders for the IAM policy statements this project writes more than once.

Each says what a statement is for (a service trust, a TLS-only deny) instead of spelling out
``DataAwsIamPolicyDocumentStatement(... Principals(...) ... Condition(...))`` at every use, so the
security-relevant shapes (``aws:SourceAccount``, ``aws:SecureTransport``) are written once.
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from constructs import Construct

from fraud_constructs.aws_context import AwsContext


def condition(test: str, variable: str, values: Sequence[str]) -> DataAwsIamPolicyDocumentStatementCondition:
    """One condition block, e.g. ``condition("ArnEquals", "aws:SourceArn", [rule_arn])``."""
    return DataAwsIamPolicyDocumentStatementCondition(test=test, variable=variable, values=list(values))


def same_account(aws: AwsContext) -> DataAwsIamPolicyDocumentStatementCondition:
    """``aws:SourceAccount`` = this account: a service acts only for our resources (confused deputy)."""
    return condition("StringEquals", "aws:SourceAccount", [aws.account_id])


def service_principal(service: str, aws: AwsContext) -> DataAwsIamPolicyDocumentStatementPrincipals:
    """``<service>.<dns suffix>``: the suffix differs by partition (e.g. ``amazonaws.com.cn``)."""
    return DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=[f"{service}.{aws.dns_suffix}"])


def deny_insecure_transport(actions: Sequence[str], resources: Sequence[str]) -> DataAwsIamPolicyDocumentStatement:
    """Deny everyone ``actions`` on ``resources`` unless the request came over TLS."""
    return DataAwsIamPolicyDocumentStatement(
        sid="DenyInsecureTransport",
        effect="Deny",
        principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])],
        actions=list(actions),
        resources=list(resources),
        condition=[condition("Bool", "aws:SecureTransport", ["false"])],
    )


def service_trust_document(
    scope: Construct, construct_id: str, service: str, aws: AwsContext
) -> DataAwsIamPolicyDocument:
    """Trust policy of a role that ``service`` assumes, only on behalf of this account."""
    return DataAwsIamPolicyDocument(
        scope,
        construct_id,
        statement=[
            DataAwsIamPolicyDocumentStatement(
                actions=["sts:AssumeRole"],
                principals=[service_principal(service, aws)],
                condition=[same_account(aws)],
            )
        ],
    )
