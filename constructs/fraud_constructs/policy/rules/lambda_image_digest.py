"""FD-LMB-2: Lambda resolves a tag once at deploy; a digest makes the running code the reviewed code."""

import re
from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict

_LITERAL_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
# "...@${<expr>.<attr containing digest>}" e.g. @${data.aws_ecr_image.app.image_digest}
_DIGEST_TOKEN = re.compile(r"@\$\{[^}]*\.[\w]*digest[\w]*\}$")
# The aws_ecr_image data source's image_uri is "<repository url>@<digest>".
_ECR_IMAGE_URI = re.compile(r"^\$\{data\.aws_ecr_image\.[\w-]+\.image_uri\}$")


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    if config.get("package_type", "Zip") != "Image":
        return Verdict.NOT_APPLICABLE
    uri = config.get("image_uri")
    if not isinstance(uri, str):
        return Verdict.NON_COMPLIANT
    pinned = bool(_LITERAL_DIGEST.search(uri) or _DIGEST_TOKEN.search(uri) or _ECR_IMAGE_URI.match(uri))
    return Verdict.COMPLIANT if pinned else Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-LMB-2",
    message="Lambda image is addressed by tag, not by digest.",
    explanation=(
        'Set image_uri = "<repository url>@${data.aws_ecr_image.<x>.image_digest}" (or a literal '
        "@sha256:<digest>); re-pushing a tag never updates a deployed function."
    ),
    applies_to=frozenset({"aws_lambda_function"}),
    check=_check,
)
