"""Across the per-service rule files (``test_rules_<service>.py``): every rule has a compliant and a
non-compliant case, is documented, ignores other resource types and cannot change the view it judges."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from fraud_constructs.policy import ALL_RULES, StackView
from tests.constructs.policy.rule_cases import DNS_SUFFIX, NA, C, N

pytestmark = pytest.mark.unit

# Every per-service file, found by name (a new service's file counts without editing this one).
SERVICE_MODULES = [
    importlib.import_module(f"tests.constructs.policy.{path.stem}")
    for path in sorted(Path(__file__).parent.glob("test_rules_*.py"))
]
CASES = [case for module in SERVICE_MODULES for case in module.CASES]


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.id)
def test_every_rule_has_a_compliant_and_a_non_compliant_case(rule: Any) -> None:
    verdicts = {c.expected for c in CASES if c.rule_id == rule.id}
    assert {C, N} <= verdicts, f"{rule.id} needs at least one compliant and one non-compliant test case"


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.id)
def test_rule_is_documented(rule: Any) -> None:
    assert rule.id.startswith("FD-")
    assert rule.message.endswith(".") and len(rule.explanation) > 15
    assert rule.applies_to


def test_rules_ignore_other_resource_types() -> None:
    view = StackView.of({"aws_null_thing": {"x": {}}})
    assert all(rule("aws_null_thing", view.resources["aws_null_thing"]["x"], view) is NA for rule in ALL_RULES)


def test_rules_cannot_mutate_the_view() -> None:
    view = StackView.of({"aws_sqs_queue": {"q": {"tags": {"a": "b"}}}})
    with pytest.raises(TypeError):
        view.resources["aws_sqs_queue"]["q"]["tags"]["a"] = "c"  # type: ignore[index]


@pytest.mark.parametrize(
    ("principal", "service"),
    [
        ("events.amazonaws.com", "events"),
        ("events.amazonaws.com.cn", "events"),
        (f"events.{DNS_SUFFIX}", "events"),
        ("logs.us-east-1.amazonaws.com", "logs.us-east-1"),
        ("*", None),
        ("arn:aws:iam::123456789012:root", None),
        ("events.example.com", None),
        (None, None),
    ],
)
def test_service_principal_matcher_reads_both_synthesized_forms(principal: Any, service: str | None) -> None:
    from fraud_constructs.policy.statement_reader import service_principal_of

    assert service_principal_of(principal) == service
