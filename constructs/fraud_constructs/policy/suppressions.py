"""Suppressions: a visible, reasoned exception to one rule for one construct and its children.

Stored as construct metadata (like cdk-nag), so they travel with the tree and can be listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .core import Suppression

if TYPE_CHECKING:
    from constructs import IConstruct

__all__ = ["METADATA_TYPE", "Suppression", "list_suppressions", "suppress", "suppressions_markdown"]

METADATA_TYPE = "fraud_policy_suppression"
MIN_REASON_CHARS = 20
MIN_REASON_WORDS = 4


def _check_reason(rule_id: str, reason: str) -> str:
    text = " ".join(str(reason or "").split())
    if len(text) < MIN_REASON_CHARS or len(text.split()) < MIN_REASON_WORDS:
        raise ValueError(
            f"suppressing {rule_id} needs a reason of at least one sentence "
            f"({MIN_REASON_WORDS}+ words, {MIN_REASON_CHARS}+ characters): say why the risk is accepted "
            f"and what compensates for it; got {reason!r}"
        )
    return text


def suppress(construct: IConstruct, rule_id: str, reason: str) -> Suppression:
    """Exempt ``construct`` (and everything under it) from rule ``rule_id``; ``reason`` is required."""
    from .rules import RULES_BY_ID  # late: rules import core only, but keep this module light

    if rule_id not in RULES_BY_ID:
        raise ValueError(f"unknown policy rule id {rule_id!r}; known: {', '.join(sorted(RULES_BY_ID))}")
    text = _check_reason(rule_id, reason)
    construct.node.add_metadata(METADATA_TYPE, {"rule_id": rule_id, "reason": text}, stack_trace=False)
    return Suppression(construct.node.path, rule_id, text)


def _entry(path: str, data: Any) -> Suppression | None:
    if not isinstance(data, Mapping):
        return None
    return Suppression(path, str(data.get("rule_id", "")), str(data.get("reason", "")))


def list_suppressions(scope: IConstruct) -> tuple[Suppression, ...]:
    """Every suppression under ``scope`` (e.g. the App), sorted by path and rule id."""
    found: list[Suppression] = []
    for node in scope.node.find_all():
        for entry in node.node.metadata:
            if entry.type == METADATA_TYPE:
                suppression = _entry(node.node.path, entry.data)
                if suppression is not None:
                    found.append(suppression)
    return tuple(sorted(found, key=lambda s: (s.path, s.rule_id)))


def suppressions_markdown(suppressions: tuple[Suppression, ...]) -> str:
    """docs/security.md's table, so a test can compare the documented table with the real one."""
    rows = ["| rule | construct | reason |", "| --- | --- | --- |"]
    rows += [f"| {s.rule_id} | `{s.path}` | {s.reason.replace('|', '/')} |" for s in suppressions]
    return "\n".join(rows) + "\n"
