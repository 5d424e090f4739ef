"""Test support: every IAM identity policy and trust policy of a synthesized variant, as real IAM JSON.

``cdk.tf.json`` holds policies as ``data.aws_iam_policy_document`` blocks or JSON strings, full of
Terraform tokens. The analyzers (our evaluator, parliament, cloudsplaining) need real IAM JSON, so
this module

- reads each policy with the policy pack's own parser (``fraud_constructs.policy.statement_reader.parse_policy``),
- substitutes every ``${...}`` token by a plausible value: account ``123456789012``, region
  ``us-east-1``, partition ``aws``, DNS suffix ``amazonaws.com``; a reference to a resource's ARN
  (or name/id) is built from that resource's own name attribute (``bucket``, ``name``,
  ``function_name``, ``url``), recursively; a token it cannot resolve becomes an obviously fake but
  valid ARN (``arn:aws:unresolved:...``) and is recorded in ``unresolved``,
- groups them per role: the trust policy, the *grants* (inline policies, ``aws_iam_role_policy``,
  attached managed policies) and, separately, the permissions boundary (a boundary never grants).

Policy names are ``<variant>/<construct path>`` (the construct path starts with the stack name).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fraud_constructs.policy.core import StackView, blocks
from fraud_constructs.policy.statement_reader import Statement, parse_policy

ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
DNS_SUFFIX = "amazonaws.com"
VERSION = "2012-10-17"
UNRESOLVED_SERVICE = "unresolved"

_TOKEN = re.compile(r"\$\{([^{}]*)\}")
_REFERENCE = re.compile(r"^(data\.)?([a-z0-9_]+)\.([A-Za-z_][\w-]*)\.([A-Za-z_]\w*)$")
# Terraform type -> (name attribute, ARN template over {partition, region, account, name}).
_ARN_OF: Mapping[str, tuple[str, str]] = {
    "aws_s3_bucket": ("bucket", "arn:{partition}:s3:::{name}"),
    "aws_dynamodb_table": ("name", "arn:{partition}:dynamodb:{region}:{account}:table/{name}"),
    "aws_sqs_queue": ("name", "arn:{partition}:sqs:{region}:{account}:{name}"),
    "aws_sns_topic": ("name", "arn:{partition}:sns:{region}:{account}:{name}"),
    "aws_cloudwatch_log_group": ("name", "arn:{partition}:logs:{region}:{account}:log-group:{name}"),
    "aws_cloudwatch_event_rule": ("name", "arn:{partition}:events:{region}:{account}:rule/{name}"),
    "aws_cloudwatch_metric_alarm": ("alarm_name", "arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}"),
    "aws_ssm_parameter": ("name", "arn:{partition}:ssm:{region}:{account}:parameter/{name}"),
    "aws_iam_role": ("name", "arn:{partition}:iam::{account}:role/{name}"),
    "aws_iam_policy": ("name", "arn:{partition}:iam::{account}:policy/{name}"),
    "aws_iam_openid_connect_provider": ("url", "arn:{partition}:iam::{account}:oidc-provider/{name}"),
    "aws_lambda_function": ("function_name", "arn:{partition}:lambda:{region}:{account}:function:{name}"),
    "aws_ecr_repository": ("name", "arn:{partition}:ecr:{region}:{account}:repository/{name}"),
    "aws_kms_alias": ("name", "arn:{partition}:kms:{region}:{account}:{name}"),
    "aws_kms_key": ("", "arn:{partition}:kms:{region}:{account}:key/{name}"),
}
# EC2 resources have no name, only a generated id (``<prefix>-<17 hex digits>``): Terraform type ->
# (ARN resource type, id prefix). The id is derived from the logical name, so it is stable.
_EC2_IDS: Mapping[str, tuple[str, str]] = {
    "aws_vpc": ("vpc", "vpc"),
    "aws_subnet": ("subnet", "subnet"),
    "aws_security_group": ("security-group", "sg"),
    "aws_route_table": ("route-table", "rtb"),
    "aws_vpc_endpoint": ("vpc-endpoint", "vpce"),
}
# Attributes that are the resource's name; ``.id`` is the name too, except for these types.
_NAME_ATTRS = frozenset({"name", "bucket", "function_name", "id", "alarm_name"})
_ID_IS_ARN = frozenset({"aws_sns_topic", "aws_iam_policy", "aws_iam_openid_connect_provider"})
_ID_IS_URL = frozenset({"aws_sqs_queue"})
# Resource types that carry or attach identity policies this renderer does not read: their presence
# is a problem (fail closed), not a silently smaller analysis.
UNSUPPORTED_TYPES = frozenset(
    {
        "aws_iam_policy_attachment",
        "aws_iam_role_policies_exclusive",
        "aws_iam_role_policy_attachments_exclusive",
        "aws_iam_user",
        "aws_iam_user_policy",
        "aws_iam_user_policy_attachment",
        "aws_iam_group",
        "aws_iam_group_policy",
        "aws_iam_group_policy_attachment",
    }
)


def fake_arn(what: str) -> str:
    """An obviously fake but well-formed ARN for a token that cannot be resolved."""
    safe = re.sub(r"[^A-Za-z0-9_./-]", "-", what)
    return f"arn:{PARTITION}:{UNRESOLVED_SERVICE}:{REGION}:{ACCOUNT}:{safe}"


class TokenResolver:
    """Substitutes the Terraform tokens of one stack (``resolve``); records what it could not."""

    def __init__(self, stack_json: Mapping[str, Any]) -> None:
        self.resources: Mapping[str, Mapping[str, Any]] = stack_json.get("resource", {})
        self.data: Mapping[str, Mapping[str, Any]] = stack_json.get("data", {})
        self.unresolved: set[str] = set()

    def resolve(self, value: str, _depth: int = 0) -> str:
        return _TOKEN.sub(lambda m: self._token(m.group(1).strip(), _depth), value)

    def _token(self, expression: str, depth: int) -> str:
        resolved = self._reference(expression, depth) if depth < 8 else None
        if resolved is None:
            self.unresolved.add(expression)
            return fake_arn(expression)
        return resolved

    def _reference(self, expression: str, depth: int) -> str | None:
        match = _REFERENCE.match(expression)
        if not match:
            return None
        is_data, kind, name, attr = match.groups()
        if is_data and kind == "aws_caller_identity" and attr == "account_id":
            return ACCOUNT
        if is_data and kind == "aws_region" and attr in ("name", "region", "id"):
            return REGION
        if is_data and kind == "aws_partition":
            return {"partition": PARTITION, "dns_suffix": DNS_SUFFIX, "id": PARTITION}.get(attr)
        config = (self.data if is_data else self.resources).get(kind, {}).get(name)
        if config is None:
            return None
        return self._attribute(kind, name, config, attr, depth)

    def _attribute(self, kind: str, name: str, config: Mapping[str, Any], attr: str, depth: int) -> str | None:
        def text(key: str) -> str | None:
            raw = config.get(key)
            return self.resolve(raw, depth + 1) if isinstance(raw, str) else None

        if kind == "aws_lambda_alias" and attr in ("arn", "name", "id"):
            alias, function = text("name"), text("function_name")
            if alias is None or function is None:
                return None
            if attr == "name":
                return alias
            if not function.startswith("arn:"):
                function = self._format("aws_lambda_function", function)
            return f"{function}:{alias}"
        if kind == "aws_dynamodb_table" and attr == "stream_arn":
            table = self._attribute(kind, name, config, "arn", depth)
            return None if table is None else f"{table}/stream/2026-01-01T00:00:00.000"
        if kind == "aws_kms_key" and attr in ("arn", "key_id", "id"):
            key_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"aws_kms_key.{name}"))
            return key_id if attr != "arn" else self._format(kind, key_id)
        if kind in _EC2_IDS and attr in ("arn", "id"):
            arn_type, prefix = _EC2_IDS[kind]
            ec2_id = f"{prefix}-{uuid.uuid5(uuid.NAMESPACE_URL, f'{kind}.{name}').hex[:17]}"
            return ec2_id if attr == "id" else f"arn:{PARTITION}:ec2:{REGION}:{ACCOUNT}:{arn_type}/{ec2_id}"
        if kind not in _ARN_OF:
            return None
        name_attr, _ = _ARN_OF[kind]
        own_name = text(name_attr)
        if own_name is None:
            return None
        if kind == "aws_iam_openid_connect_provider":
            own_name = own_name.removeprefix("https://")
        if (attr == "id" and kind in _ID_IS_ARN) or attr == "arn":
            return self._format(kind, own_name)
        if (attr == "id" and kind in _ID_IS_URL) or (attr == "url" and kind == "aws_sqs_queue"):
            return f"https://sqs.{REGION}.{DNS_SUFFIX}/{ACCOUNT}/{own_name}"
        if attr in _NAME_ATTRS:
            return own_name
        return None

    @staticmethod
    def _format(kind: str, own_name: str) -> str:
        if kind == "aws_ssm_parameter":
            own_name = own_name.lstrip("/")
        return _ARN_OF[kind][1].format(partition=PARTITION, region=REGION, account=ACCOUNT, name=own_name)

    def resolve_any(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.resolve(value)
        if isinstance(value, list | tuple):
            return [self.resolve_any(v) for v in value]
        if isinstance(value, Mapping):
            return {k: self.resolve_any(v) for k, v in value.items()}
        return value


def _one_or_list(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values


def render_statement(statement: Statement, resolver: TokenResolver | None = None) -> dict[str, Any]:
    """One parsed statement as IAM JSON (tokens substituted when ``resolver`` is given)."""
    r: Any = resolver.resolve if resolver else (lambda v: v)
    out: dict[str, Any] = {"Effect": statement.effect.capitalize()}
    for key, values in (
        ("Action", statement.actions),
        ("NotAction", statement.not_actions),
        ("Resource", statement.resources),
        ("NotResource", statement.not_resources),
    ):
        if values:
            out[key] = _one_or_list([r(v) for v in values])
    for key, principals in (("Principal", statement.principals), ("NotPrincipal", statement.not_principals)):
        if not principals:
            continue
        if any(kind == "*" for kind, _ in principals):
            out[key] = "*"
            continue
        grouped: dict[str, list[str]] = {}
        for kind, ident in principals:
            grouped.setdefault(kind, []).append(r(ident))
        out[key] = {kind: _one_or_list(idents) for kind, idents in grouped.items()}
    if statement.conditions:
        condition: dict[str, dict[str, Any]] = {}
        for c in statement.conditions:
            condition.setdefault(c.test, {})[r(c.variable)] = [r(v) for v in c.values]
        out["Condition"] = condition
    return out


@dataclass(frozen=True)
class RenderedPolicy:
    """One policy document as IAM JSON; ``name`` is ``<variant>/<construct path>``."""

    name: str
    kind: str  # "inline" | "managed" | "trust"
    address: str  # Terraform address of the resource carrying it
    document: Mapping[str, Any]

    @property
    def statements(self) -> list[Mapping[str, Any]]:
        raw = self.document.get("Statement", [])
        return [raw] if isinstance(raw, Mapping) else list(raw)


@dataclass
class RoleView:
    """A role with its trust policy, its grants (union of inline and attached managed policies) and,
    separately, its permissions boundary (limits, never grants)."""

    name: str  # "<variant>/<construct path of the role>"
    stack: str
    address: str
    role_name: str
    arn: str
    trust: RenderedPolicy | None = None
    grants: list[RenderedPolicy] = field(default_factory=list)
    boundary_arn: str | None = None
    boundary: RenderedPolicy | None = None

    @property
    def statements(self) -> list[tuple[str, Mapping[str, Any]]]:
        """``(policy name, statement)`` of the union of the grants."""
        return [(p.name, s) for p in self.grants for s in p.statements]


@dataclass
class VariantPolicies:
    variant: str
    roles: dict[str, RoleView]  # by role name (resolved)
    managed: dict[str, RenderedPolicy]  # by ARN (resolved), incl. boundaries
    inline: list[RenderedPolicy]
    unresolved: set[str]  # tokens that became fake ARNs
    problems: list[str]  # policies that could not be read or attached to a role

    @property
    def identity_policies(self) -> list[RenderedPolicy]:
        """Every identity policy: inline ones and every managed policy (boundaries included)."""
        return [*self.inline, *self.managed.values()]

    def role_by_suffix(self, suffix: str) -> RoleView:
        matches = [r for r in self.roles.values() if r.name.endswith(suffix)]
        assert len(matches) == 1, f"{suffix}: {[r.name for r in matches]}"
        return matches[0]


def _path(kind: str, name: str, config: Mapping[str, Any]) -> str:
    meta = config.get("//", {})
    path = meta.get("metadata", {}).get("path") if isinstance(meta, Mapping) else None
    return str(path) if path else f"{kind}.{name}"


def _document(
    value: Any, view: StackView, resolver: TokenResolver, where: str, problems: list[str]
) -> dict[str, Any] | None:
    statements = parse_policy(value, view)
    if statements is None:
        problems.append(f"{where}: policy cannot be read statically: {str(value)[:120]}")
        return None
    return {"Version": VERSION, "Statement": [render_statement(s, resolver) for s in statements]}


_ROLE_REF = re.compile(r"^\$\{aws_iam_role\.([A-Za-z_][\w-]*)\.(?:id|name)\}$")


def render_variant(variant: str, stacks: Mapping[str, Mapping[str, Any]]) -> VariantPolicies:
    """Every role (trust, grants, boundary) and identity policy of a variant's stacks."""
    out = VariantPolicies(variant, {}, {}, [], set(), [])
    pending: list[tuple[RoleView, str, list[str]]] = []  # role, stack, attached policy ARNs
    for stack_name, tf_json in sorted(stacks.items()):
        view = StackView.from_json(tf_json)
        resolver = TokenResolver(tf_json)
        resources = tf_json.get("resource", {})
        for kind in sorted(UNSUPPORTED_TYPES & set(resources)):
            out.problems.append(f"{variant}/{stack_name}: {kind} is not rendered (extend iam_render.py)")
        by_address: dict[str, RoleView] = {}
        for name, config in resources.get("aws_iam_policy", {}).items():
            path = f"{variant}/{_path('aws_iam_policy', name, config)}"
            doc = _document(config.get("policy"), view, resolver, path, out.problems)
            arn = resolver.resolve(f"${{aws_iam_policy.{name}.arn}}")
            if arn in out.managed:
                out.problems.append(f"{path}: a second managed policy {arn}")
            if doc is not None:
                out.managed[arn] = RenderedPolicy(path, "managed", f"aws_iam_policy.{name}", doc)
        for name, config in resources.get("aws_iam_role", {}).items():
            path = f"{variant}/{_path('aws_iam_role', name, config)}"
            role = RoleView(
                name=path,
                stack=stack_name,
                address=f"aws_iam_role.{name}",
                role_name=resolver.resolve(f"${{aws_iam_role.{name}.name}}"),
                arn=resolver.resolve(f"${{aws_iam_role.{name}.arn}}"),
            )
            trust = _document(config.get("assume_role_policy"), view, resolver, f"{path}[trust]", out.problems)
            if trust is not None:
                role.trust = RenderedPolicy(f"{path}[trust]", "trust", role.address, trust)
            for inline in blocks(config.get("inline_policy")):
                inline_name = f"{path}/inline/{resolver.resolve(str(inline.get('name', '')))}"
                doc = _document(inline.get("policy"), view, resolver, inline_name, out.problems)
                if doc is not None:
                    policy = RenderedPolicy(inline_name, "inline", role.address, doc)
                    role.grants.append(policy)
                    out.inline.append(policy)
            boundary = config.get("permissions_boundary")
            if isinstance(boundary, str):
                role.boundary_arn = resolver.resolve(boundary)
            attached = [resolver.resolve(a) for a in config.get("managed_policy_arns") or ()]
            by_address[name] = role
            if role.role_name in out.roles:
                out.problems.append(f"{path}: a second role named {role.role_name}")
            out.roles[role.role_name] = role
            pending.append((role, stack_name, attached))
        for name, config in resources.get("aws_iam_role_policy", {}).items():
            path = f"{variant}/{_path('aws_iam_role_policy', name, config)}"
            role = _find_role(str(config.get("role", "")), by_address, out.roles, resolver)
            doc = _document(config.get("policy"), view, resolver, path, out.problems)
            if doc is None:
                continue
            policy = RenderedPolicy(path, "inline", f"aws_iam_role_policy.{name}", doc)
            out.inline.append(policy)
            if role is None:
                out.problems.append(f"{path}: role {config.get('role')!r} not found")
            else:
                role.grants.append(policy)
        for name, config in resources.get("aws_iam_role_policy_attachment", {}).items():
            role = _find_role(str(config.get("role", "")), by_address, out.roles, resolver)
            if role is None:
                out.problems.append(f"aws_iam_role_policy_attachment.{name}: role {config.get('role')!r} not found")
                continue
            next(p for p in pending if p[0] is role)[2].append(resolver.resolve(str(config.get("policy_arn"))))
        out.unresolved |= resolver.unresolved
    # Attachments and boundaries may name a managed policy of another stack (by ARN): link them last.
    for role, _, attached in pending:
        for arn in attached:
            if arn in out.managed:
                role.grants.append(out.managed[arn])
            else:
                out.problems.append(f"{role.name}: attached policy {arn} is not rendered (not in any stack)")
        if role.boundary_arn is not None:
            role.boundary = out.managed.get(role.boundary_arn)
            if role.boundary is None:
                out.problems.append(f"{role.name}: boundary {role.boundary_arn} is not rendered (not in any stack)")
    return out


def _find_role(
    value: str, by_address: Mapping[str, RoleView], by_name: Mapping[str, RoleView], resolver: TokenResolver
) -> RoleView | None:
    match = _ROLE_REF.match(value.strip())
    if match:
        return by_address.get(match.group(1))
    return by_name.get(resolver.resolve(value))


GRANTS_SUFFIX = "/grants"


def iter_documents(policies: VariantPolicies) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """``(name, document)`` of every identity policy the third-party analyzers judge: each policy on its
    own, except the grants of a role that holds several (the GitHub deploy role's managed policies, split
    only to fit IAM's size quotas). Those are judged as one document, ``<role>/grants``, their union, as
    IAM evaluates them: a combination split across two policies (``iam:PassRole`` in one,
    ``lambda:CreateFunction`` in another) is seen, and an exclusion does not depend on how the statements
    happen to be packed."""
    combined = {id(policy) for role in policies.roles.values() if len(role.grants) > 1 for policy in role.grants}
    for policy in policies.identity_policies:
        if id(policy) not in combined:
            yield policy.name, policy.document
    for role in policies.roles.values():
        if len(role.grants) > 1:
            yield f"{role.name}{GRANTS_SUFFIX}", {"Version": VERSION, "Statement": [s for _, s in role.statements]}


def dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False)
