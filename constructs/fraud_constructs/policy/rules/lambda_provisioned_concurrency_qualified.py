"""FD-LMB-4: provisioned concurrency is kept on a published version or an alias, never ``$LATEST``.

AWS Lambda Developer Guide, "Configuring provisioned concurrency for a function": provisioned
concurrency applies to a version or an alias, and Lambda refuses ``$LATEST``; configured on an
alias, it follows each version the alias moves to, so a deploy keeps its warm environments.
"""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    qualifier = config.get("qualifier")
    if not isinstance(qualifier, str) or not qualifier or qualifier == "$LATEST":
        return Verdict.NON_COMPLIANT
    return Verdict.COMPLIANT


RULE = Rule(
    id="FD-LMB-4",
    message="Provisioned concurrency is not on a published version or alias.",
    explanation=(
        "Set qualifier to the alias callers invoke (e.g. ${aws_lambda_alias.<x>.name}) or a published "
        "version; Lambda refuses $LATEST, and only an alias carries the setting across deploys."
    ),
    applies_to=frozenset({"aws_lambda_provisioned_concurrency_config"}),
    check=_check,
)
