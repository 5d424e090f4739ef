"""FD-ECR-3: scan every pushed image so a known-vulnerable base image is visible before it is deployed."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, blocks, truthy


def _registry_scans_on_push(stack: StackView) -> bool:
    """Enhanced registry scanning (Inspector) replaces the per-repository basic scan."""
    for _, registry in stack.of_type("aws_ecr_registry_scanning_configuration"):
        if registry.get("scan_type") != "ENHANCED":
            continue
        for rule in blocks(registry.get("rule")):
            if rule.get("scan_frequency") in ("SCAN_ON_PUSH", "CONTINUOUS_SCAN"):
                return True
    return False


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    scans = blocks(config.get("image_scanning_configuration"))
    if any(truthy(s.get("scan_on_push")) for s in scans) or _registry_scans_on_push(stack):
        return Verdict.COMPLIANT
    return Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-ECR-3",
    message="ECR repository does not scan images on push.",
    explanation="Set image_scanning_configuration { scan_on_push = true } (or enhanced registry scanning).",
    applies_to=frozenset({"aws_ecr_repository"}),
    check=_check,
)
