"""Policy documents as synthesized, normalized to one statement shape.

A policy reaches ``cdk.tf.json`` either as a JSON string (possibly holding ``${...}``
tokens inside string values) or as a reference to a ``data.aws_iam_policy_document``;
both become ``Statement`` tuples here. Anything else (e.g. ``${jsonencode(...)}``) cannot
be judged statically and yields ``None``, which rules treat as non-compliant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .core import Check, StackView, Verdict, blocks

__all__ = [
    "Condition",
    "Statement",
    "as_strings",
    "identity_policy_check",
    "parse_policy",
    "public_principal_without_condition",
    "resource_policy_verdict",
    "service_principal_of",
]

# A service principal as synthesized: ``<service>.<dns suffix>``, the suffix either literal
# (``amazonaws.com``, ``amazonaws.com.cn``, the ISO partitions') or the partition data source's token,
# which is how this project writes principals (``events.${data.aws_partition.<name>.dns_suffix}``).
_SERVICE_PRINCIPAL = re.compile(
    r"^(?P<service>[a-z0-9][a-z0-9-]*(?:\.(?:[a-z0-9-]+|\$\{data\.aws_region\.[\w-]+\.name\}))*?)\."
    r"(?:amazonaws\.com(?:\.cn)?|c2s\.ic\.gov|sc2s\.sgov\.gov|\$\{data\.aws_partition\.[\w-]+\.dns_suffix\})$"
)
_DOC_REF = re.compile(r"^\$\{data\.aws_iam_policy_document\.([A-Za-z_][\w-]*)\.(?:json|minified_json)\}$")


@dataclass(frozen=True)
class Condition:
    """One IAM condition: ``{test: {variable: values}}``."""

    test: str
    variable: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    principals: tuple[tuple[str, str], ...] = ()
    not_principals: tuple[tuple[str, str], ...] = ()
    conditions: tuple[Condition, ...] = ()

    @property
    def allows(self) -> bool:
        return self.effect.lower() == "allow"


def as_strings(value: Any) -> tuple[str, ...]:
    """A policy element (one string or a list) as a tuple of strings."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence):
        return tuple(str(v) for v in value)
    return (str(value),)


def _json_principals(value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (("*", value),) if value == "*" else (("AWS", value),)
    if isinstance(value, Mapping):
        return tuple((str(kind), ident) for kind, ids in value.items() for ident in as_strings(ids))
    return ()


def _json_conditions(value: Any) -> tuple[Condition, ...]:
    if not isinstance(value, Mapping):
        return ()
    out: list[Condition] = []
    for test, variables in value.items():
        if isinstance(variables, Mapping):
            out.extend(Condition(str(test), str(var), as_strings(vals)) for var, vals in variables.items())
    return tuple(out)


def _from_json_document(doc: Mapping[str, Any]) -> tuple[Statement, ...]:
    raw = doc.get("Statement", ())
    items = [raw] if isinstance(raw, Mapping) else list(raw) if isinstance(raw, Sequence) else []
    return tuple(
        Statement(
            effect=str(s.get("Effect", "")),
            actions=as_strings(s.get("Action")),
            not_actions=as_strings(s.get("NotAction")),
            resources=as_strings(s.get("Resource")),
            not_resources=as_strings(s.get("NotResource")),
            principals=_json_principals(s.get("Principal")),
            not_principals=_json_principals(s.get("NotPrincipal")),
            conditions=_json_conditions(s.get("Condition")),
        )
        for s in items
        if isinstance(s, Mapping)
    )


def _block_principals(value: Any) -> tuple[tuple[str, str], ...]:
    return tuple(
        (str(p.get("type", "")), ident) for p in blocks(value) for ident in as_strings(p.get("identifiers"))
    )


def _from_data_document(name: str, stack: StackView, seen: frozenset[str]) -> tuple[Statement, ...] | None:
    doc = stack.data.get("aws_iam_policy_document", {}).get(name)
    if doc is None or name in seen:
        return None
    seen = seen | {name}
    statements: list[Statement] = []
    for key in ("source_policy_documents", "override_policy_documents"):
        for source in as_strings(doc.get(key)):
            nested = parse_policy(source, stack, seen)
            if nested is None:
                return None
            statements.extend(nested)
    for key in ("source_json", "override_json"):
        if doc.get(key) is not None:
            nested = parse_policy(doc[key], stack, seen)
            if nested is None:
                return None
            statements.extend(nested)
    statements.extend(
        Statement(
            effect=str(s.get("effect", "Allow")),
            actions=as_strings(s.get("actions")),
            not_actions=as_strings(s.get("not_actions")),
            resources=as_strings(s.get("resources")),
            not_resources=as_strings(s.get("not_resources")),
            principals=_block_principals(s.get("principals")),
            not_principals=_block_principals(s.get("not_principals")),
            conditions=tuple(
                Condition(str(c.get("test", "")), str(c.get("variable", "")), as_strings(c.get("values")))
                for c in blocks(s.get("condition"))
            ),
        )
        for s in blocks(doc.get("statement"))
    )
    return tuple(statements)


def parse_policy(
    value: Any, stack: StackView, _seen: frozenset[str] = frozenset()
) -> tuple[Statement, ...] | None:
    """Statements of a policy value as synthesized, or None if it cannot be read statically."""
    if isinstance(value, Mapping):
        return _from_json_document(value)
    if not isinstance(value, str):
        return None
    match = _DOC_REF.match(value.strip())
    if match:
        return _from_data_document(match.group(1), stack, _seen)
    try:
        doc = json.loads(value)
    except ValueError:
        return None
    return _from_json_document(doc) if isinstance(doc, Mapping) else None


def service_principal_of(value: Any) -> str | None:
    """The service of a service principal in either synthesized form, e.g. ``events`` for both
    ``events.amazonaws.com`` and ``events.${data.aws_partition.p.dns_suffix}``; None otherwise.
    Regional principals keep their region (``logs.us-east-1``, or the region token). The one
    matcher of service principals every rule uses."""
    if not isinstance(value, str):
        return None
    match = _SERVICE_PRINCIPAL.match(value.strip())
    return match.group("service") if match else None


def public_principal_without_condition(statements: Sequence[Statement]) -> bool:
    """An Allow to everyone (``*`` or ``AWS: *``) with no condition narrowing it."""
    for s in statements:
        if not s.allows or s.conditions:
            continue
        if any(ident == "*" for kind, ident in s.principals if kind in ("*", "AWS")):
            return True
        if s.not_principals:
            return True
    return False


IDENTITY_POLICY_TYPES = frozenset(
    {"aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy", "aws_iam_role"}
)


def identity_policy_values(resource_type: str, config: Mapping[str, Any]) -> list[Any]:
    """The identity-policy documents a resource carries (a role's trust policy is not one of them)."""
    if resource_type == "aws_iam_role":
        return [p.get("policy") for p in blocks(config.get("inline_policy")) if p.get("policy") is not None]
    if resource_type in IDENTITY_POLICY_TYPES:
        return [config.get("policy")]
    return []


def identity_policy_check(violates: Callable[[Statement], bool]) -> Check:
    """The check of a rule about identity-policy statements: non-compliant if any statement
    ``violates`` it, or if a policy cannot be read statically (fail closed)."""

    def check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
        values = identity_policy_values(resource_type, config)
        if not values:
            return Verdict.NOT_APPLICABLE
        for value in values:
            statements = parse_policy(value, stack)
            if statements is None or any(violates(s) for s in statements):
                return Verdict.NON_COMPLIANT
        return Verdict.COMPLIANT

    return check


def resource_policy_verdict(policy: Any, stack: StackView) -> Verdict:
    """A resource policy (or key policy) is non-compliant if it is public or cannot be read."""
    statements = parse_policy(policy, stack)
    if statements is None or public_principal_without_condition(statements):
        return Verdict.NON_COMPLIANT
    return Verdict.COMPLIANT
