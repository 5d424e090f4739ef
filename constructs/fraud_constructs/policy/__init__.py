"""Policy pack: security rules judged at synth time, cdk-nag style.

Pure parts (rules, engine, suppressions data) import no jsii; the Aspect is loaded lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .core import Rule, StackView, Suppression, Verdict
from .engine import Finding, Report, evaluate_stack
from .rules import ALL_RULES, RULES_BY_ID
from .suppressions import list_suppressions, suppress, suppressions_markdown

if TYPE_CHECKING:
    from .aspect import PolicyPack, StackPolicyValidation, apply_policy_pack

__all__ = [
    "ALL_RULES",
    "RULES_BY_ID",
    "Finding",
    "PolicyPack",
    "Report",
    "Rule",
    "StackPolicyValidation",
    "StackView",
    "Suppression",
    "Verdict",
    "apply_policy_pack",
    "evaluate_stack",
    "list_suppressions",
    "suppress",
    "suppressions_markdown",
]

_LAZY = {"PolicyPack", "StackPolicyValidation", "apply_policy_pack"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import aspect

        return getattr(aspect, name)
    raise AttributeError(name)
