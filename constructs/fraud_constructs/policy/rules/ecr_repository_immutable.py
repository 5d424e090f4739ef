"""FD-ECR-2: a mutable tag can be re-pointed to other code; immutable tags make a tag a fixed artefact."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    ok = config.get("image_tag_mutability") == "IMMUTABLE"
    return Verdict.COMPLIANT if ok else Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-ECR-2",
    message="ECR repository allows tags to be overwritten.",
    explanation='Set image_tag_mutability = "IMMUTABLE" (the default is MUTABLE).',
    applies_to=frozenset({"aws_ecr_repository"}),
    check=_check,
)
