"""Builders for the IAM policy statements this project writes more than once.

Each says what a statement is for (a service trust, a TLS-only deny) instead of spelling out
``DataAwsIamPolicyDocumentStatement(... Principals(...) ... Condition(...))`` at every use, so the
security-relevant shapes (service principals, ``aws:SecureTransport``) are written once.

Service principals get only the condition keys AWS documents for that principal and that use
(the caller cites the page next to the call): a global key such as ``aws:SourceAccount`` that a
service does not send makes the statement match nothing, and the role or grant silently fails
on a real account (function creation, account setup, DLQ delivery).
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
    scope: Construct,
    construct_id: str,
    service: str,
    aws: AwsContext,
    *,
    conditions: Sequence[DataAwsIamPolicyDocumentStatementCondition] = (),
) -> DataAwsIamPolicyDocument:
    """Trust policy of a role that ``service`` assumes, with exactly ``conditions`` (default: none).

    Pass only the keys AWS documents for that service's trust. Lambda execution roles: none
    (Lambda developer guide, "Defining Lambda function permissions with an execution role": the
    trust policy names ``lambda.amazonaws.com``, no condition). The API Gateway CloudWatch role:
    none ("Set up CloudWatch logging for REST APIs in API Gateway": a role with
    ``apigateway.amazonaws.com`` as its trusted entity). Who may pass the role is IAM's
    ``iam:PassRole`` of the deploying principal, not the trust policy.
    """
    return DataAwsIamPolicyDocument(
        scope,
        construct_id,
        statement=[
            DataAwsIamPolicyDocumentStatement(
                actions=["sts:AssumeRole"],
                principals=[service_principal(service, aws)],
                condition=list(conditions) or None,
            )
        ],
    )
