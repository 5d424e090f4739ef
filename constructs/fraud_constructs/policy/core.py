"""Building blocks of the policy pack: verdicts, rules, and a read-only stack view.

Rules judge resources exactly as synthesized (the ``cdk.tf.json`` shape), not the Python
objects that produced them: that is what Terraform will apply, tokens included.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = [
    "Rule",
    "StackView",
    "Suppression",
    "Verdict",
    "blocks",
    "customer_managed_key_check",
    "freeze",
    "is_customer_managed_key",
    "is_token",
    "references",
    "refers_to",
    "truthy",
]


class Verdict(enum.Enum):
    """What a rule says about one resource."""

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"
    NOT_APPLICABLE = "not_applicable"


Check = Callable[[str, Mapping[str, Any], "StackView"], Verdict]


@dataclass(frozen=True)
class Rule:
    """One policy: an id for suppressions, a message for the finding, a fix for the reader."""

    id: str
    message: str
    explanation: str
    applies_to: frozenset[str]
    check: Check = field(repr=False)

    def __call__(self, resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
        if resource_type not in self.applies_to:
            return Verdict.NOT_APPLICABLE
        return self.check(resource_type, config, stack)


@dataclass(frozen=True)
class Suppression:
    """An accepted exception: rule ``rule_id`` does not apply under construct ``path``, because ``reason``."""

    path: str
    rule_id: str
    reason: str


def freeze(value: Any) -> Any:
    """Deep read-only copy: rules are pure, and a frozen view makes that hard to break by accident."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


@dataclass(frozen=True)
class StackView:
    """Read-only view of one synthesized stack, for rules that need other resources."""

    resources: Mapping[str, Mapping[str, Mapping[str, Any]]]
    data: Mapping[str, Mapping[str, Mapping[str, Any]]]

    @classmethod
    def from_json(cls, tf_json: Mapping[str, Any]) -> StackView:
        return cls(resources=freeze(tf_json.get("resource", {})), data=freeze(tf_json.get("data", {})))

    @classmethod
    def of(
        cls, resources: Mapping[str, Any] | None = None, data: Mapping[str, Any] | None = None
    ) -> StackView:
        """Build a view from plain dicts (tests)."""
        return cls(resources=freeze(resources or {}), data=freeze(data or {}))

    def of_type(self, resource_type: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        yield from self.resources.get(resource_type, {}).items()

    def data_of_type(self, data_type: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        yield from self.data.get(data_type, {}).items()

    def name_of(self, resource_type: str, config: Mapping[str, Any]) -> str | None:
        """The Terraform name of ``config`` (rules get the config, not the name)."""
        for name, other in self.of_type(resource_type):
            if other is config or other == freeze(config):
                return name
        return None


_TOKEN = re.compile(r"\$\{([^}]*)\}")
_REF = re.compile(r"(?:^|[^\w.])(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z_][\w-]*)(?=\.|\[|$|[^\w-])")


def is_token(value: Any) -> bool:
    """True for a string holding a Terraform expression (its value is known only at apply time)."""
    return isinstance(value, str) and "${" in value


def references(value: Any) -> set[tuple[str, str]]:
    """(type, name) pairs referenced anywhere in ``value``; data sources as ('data.TYPE', name)."""
    found: set[tuple[str, str]] = set()
    if isinstance(value, str):
        for expr in _TOKEN.findall(value):
            for is_data, rtype, name in _REF.findall(expr):
                found.add((f"data.{rtype}" if is_data else rtype, name))
    elif isinstance(value, Mapping):
        for item in value.values():
            found |= references(item)
    elif isinstance(value, Sequence):
        for item in value:
            found |= references(item)
    return found


def refers_to(value: Any, resource_type: str, name: str, literal: Any = None) -> bool:
    """Does ``value`` point at resource ``resource_type.name`` (by reference or by literal name)?"""
    if (resource_type, name) in references(value):
        return True
    return literal is not None and not is_token(literal) and value == literal


def blocks(value: Any) -> list[Mapping[str, Any]]:
    """Terraform JSON allows a nested block as an object or a list of objects: normalize."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [v for v in value if isinstance(v, Mapping)]
    return []


def truthy(value: Any) -> bool:
    """Terraform coerces "true" to true; a token is not a known true."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def is_customer_managed_key(value: Any) -> bool:
    """A KMS key reference that is not empty and not an AWS-managed key (alias/aws/...)."""
    if not isinstance(value, str) or not value.strip():
        return False
    return "alias/aws/" not in value


def customer_managed_key_check(attribute: str) -> Check:
    """The check of a resource whose one ``attribute`` names its KMS key (log groups, topics, queues)."""

    def check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
        ok = is_customer_managed_key(config.get(attribute))
        return Verdict.COMPLIANT if ok else Verdict.NON_COMPLIANT

    return check
