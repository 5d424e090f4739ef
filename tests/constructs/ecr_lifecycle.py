"""ECR lifecycle evaluation as the Amazon ECR User Guide documents it ("Lifecycle policies",
"Lifecycle policy evaluation rules"), for judging a policy on image lists offline.

- Rules are evaluated from the lowest ``rulePriority`` up.
- An image matched by a rule's tag selection is not considered by any lower-priority rule, whether
  or not that rule expires it.
- ``tagStatus``: ``untagged`` matches images without tags, ``tagged`` images with a tag matching
  ``tagPatternList`` (``*`` wildcards) or ``tagPrefixList``, ``any`` every image.
- ``sinceImagePushed``: expires the matched images pushed more than ``countNumber`` days ago;
  ``imageCountMoreThan``: keeps the ``countNumber`` most recently pushed matched images, expires
  the rest.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Image:
    digest: str
    tags: tuple[str, ...]
    pushed_at: datetime


def _matches(selection: dict, image: Image) -> bool:
    status = selection["tagStatus"]
    if status == "any":
        return True
    if status == "untagged":
        return not image.tags
    patterns = selection.get("tagPatternList")
    prefixes = selection.get("tagPrefixList")
    return any(
        (patterns and any(fnmatch.fnmatchcase(tag, p) for p in patterns))
        or (prefixes and any(tag.startswith(p) for p in prefixes))
        for tag in image.tags
    )


def expired(policy_json: str, images: list[Image], now: datetime) -> set[str]:
    """Digests the policy expires from ``images`` at ``now``."""
    rules = sorted(json.loads(policy_json)["rules"], key=lambda rule: rule["rulePriority"])
    unseen = list(images)
    gone: set[str] = set()
    for rule in rules:
        selection = rule["selection"]
        matched = [image for image in unseen if _matches(selection, image)]
        unseen = [image for image in unseen if image not in matched]
        if selection["countType"] == "sinceImagePushed":
            horizon = now - timedelta(days=selection["countNumber"])
            gone |= {image.digest for image in matched if image.pushed_at < horizon}
        else:
            newest_first = sorted(matched, key=lambda image: image.pushed_at, reverse=True)
            gone |= {image.digest for image in newest_first[selection["countNumber"] :]}
    return gone
