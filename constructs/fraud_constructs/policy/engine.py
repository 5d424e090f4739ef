"""Run the rules over one synthesized stack (pure: JSON in, report out)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .core import Rule, StackView, Suppression, Verdict
from .rules import ALL_RULES

__all__ = ["Finding", "Report", "evaluate_stack", "resource_path"]


@dataclass(frozen=True)
class Finding:
    rule_id: str
    message: str
    explanation: str
    resource: str  # Terraform address, e.g. aws_s3_bucket.audit_bucket_1A2B
    path: str  # construct path from the resource's "//" metadata

    def render(self) -> str:
        return (
            f"[{self.rule_id}] {self.message} Resource {self.resource} at {self.path}. "
            f"Fix: {self.explanation}"
        )


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    suppressed: tuple[tuple[Finding, Suppression], ...]
    unused_suppressions: tuple[Suppression, ...]

    @property
    def ok(self) -> bool:
        return not self.findings


def resource_path(resource_type: str, name: str, config: Mapping[str, Any]) -> str:
    """The construct path cdktf records in the resource's "//" metadata (fallback: the address)."""
    meta = config.get("//", {})
    path = meta.get("metadata", {}).get("path") if isinstance(meta, Mapping) else None
    return str(path) if path else f"{resource_type}.{name}"


def _covers(suppression: Suppression, rule_id: str, path: str) -> bool:
    return suppression.rule_id == rule_id and (
        path == suppression.path or path.startswith(suppression.path + "/")
    )


def evaluate_stack(
    tf_json: Mapping[str, Any],
    suppressions: Iterable[Suppression] = (),
    rules: Iterable[Rule] = ALL_RULES,
) -> Report:
    """Judge every resource of ``tf_json`` with every rule.

    A suppression covers the construct at its path and every construct below it.
    """
    view = StackView.from_json(tf_json)
    suppressions = tuple(suppressions)
    rules = tuple(rules)
    used: set[Suppression] = set()
    findings: list[Finding] = []
    suppressed: list[tuple[Finding, Suppression]] = []
    for resource_type, by_name in sorted(view.resources.items()):
        for name, config in sorted(by_name.items()):
            path = resource_path(resource_type, name, config)
            for rule in rules:
                if rule(resource_type, config, view) is not Verdict.NON_COMPLIANT:
                    continue
                finding = Finding(rule.id, rule.message, rule.explanation, f"{resource_type}.{name}", path)
                match = next((s for s in suppressions if _covers(s, rule.id, path)), None)
                if match is None:
                    findings.append(finding)
                else:
                    used.add(match)
                    suppressed.append((finding, match))
    unused = tuple(s for s in suppressions if s not in used)
    return Report(tuple(findings), tuple(suppressed), unused)
