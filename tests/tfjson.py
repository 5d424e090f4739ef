"""Small readers for synthesized Terraform JSON, and a one-construct synth for unit tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def resources(doc: dict, resource_type: str) -> dict[str, dict[str, Any]]:
    """Logical name -> config of every resource of one type."""
    return doc.get("resource", {}).get(resource_type, {})


def data_sources(doc: dict, data_type: str) -> dict[str, dict[str, Any]]:
    return doc.get("data", {}).get(data_type, {})


def only(doc: dict, resource_type: str) -> dict[str, Any]:
    """The single resource of a type (fails if there are zero or several)."""
    found = resources(doc, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.values()))


def policy_statements(doc: dict, reference: str) -> list[dict[str, Any]]:
    """Statements of the ``aws_iam_policy_document`` a ``${data....json}`` token points at."""
    assert reference.startswith("${data.aws_iam_policy_document.") and reference.endswith(".json}"), reference
    name = reference[len("${data.aws_iam_policy_document.") : -len(".json}")]
    return data_sources(doc, "aws_iam_policy_document")[name]["statement"]


def synth_scope(build: Callable[[Any], None]) -> dict:
    """Synthesize one throwaway stack (provider + ``AwsContext``) that ``build(stack)`` fills.

    ``build`` receives the stack; ``stack.aws`` is an :class:`AwsContext`.
    """
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from fraud_constructs.aws_context import AwsContext

    app = Testing.app()
    stack = TerraformStack(app, "unit")
    AwsProvider(stack, "aws", region="us-east-1")
    stack.aws = AwsContext(stack, "aws-context")
    build(stack)
    return json.loads(Testing.synth(stack))
