"""Suppressions need a real reason, a known rule, and cover a construct subtree only."""

from __future__ import annotations

import json

import pytest

from fraud_constructs.policy import Suppression, evaluate_stack, suppress, suppressions_markdown

pytestmark = pytest.mark.unit


class FakeNode:
    """Just enough of ``construct.node`` for ``suppress`` (the real one is tested in test_policy_synth)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.metadata: list[tuple[str, object]] = []

    def add_metadata(self, kind: str, data: object, *, stack_trace: bool = True) -> None:
        self.metadata.append((kind, data))


class FakeConstruct:
    def __init__(self, path: str) -> None:
        self.node = FakeNode(path)


@pytest.mark.parametrize("reason", ["", "   ", "needed", "legacy, will fix", "x" * 30])
def test_suppression_without_a_sentence_is_rejected(reason: str) -> None:
    construct = FakeConstruct("app/queue")
    with pytest.raises(ValueError, match="reason of at least one sentence"):
        suppress(construct, "FD-SQS-1", reason)  # type: ignore[arg-type]
    assert construct.node.metadata == []


def test_unknown_rule_id_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown policy rule id"):
        suppress(FakeConstruct("app/q"), "FD-SQS-9", "A perfectly good reason that is long enough.")  # type: ignore[arg-type]


def test_suppression_is_recorded_as_metadata() -> None:
    construct = FakeConstruct("app/queue")
    got = suppress(construct, "FD-SQS-1", "  Test queue;   never receives data in any environment. ")  # type: ignore[arg-type]
    assert got == Suppression("app/queue", "FD-SQS-1", "Test queue; never receives data in any environment.")
    assert construct.node.metadata == [
        ("fraud_policy_suppression", {"rule_id": "FD-SQS-1", "reason": got.reason}),
    ]


def _stack(*paths: str) -> dict:
    return {
        "resource": {
            "aws_sqs_queue": {
                p.replace("/", "_"): {"//": {"metadata": {"path": p, "uniqueId": p}}, "name": p} for p in paths
            }
        }
    }


def test_suppression_covers_construct_and_children_only() -> None:
    tf = _stack("app/ops/queue", "app/ops/nested/queue", "app/opsx/queue", "app/other/queue")
    report = evaluate_stack(tf, [Suppression("app/ops", "FD-SQS-1", "r")])
    assert sorted(f.path for f in report.findings) == ["app/opsx/queue", "app/other/queue"]
    assert sorted(f.path for f, _ in report.suppressed) == ["app/ops/nested/queue", "app/ops/queue"]


def test_suppression_of_another_rule_does_not_hide_the_finding() -> None:
    report = evaluate_stack(_stack("app/q"), [Suppression("app/q", "FD-SNS-1", "r")])
    assert [f.rule_id for f in report.findings] == ["FD-SQS-1"]
    assert report.unused_suppressions == (Suppression("app/q", "FD-SNS-1", "r"),)


def test_finding_renders_rule_path_and_fix() -> None:
    (finding,) = evaluate_stack(_stack("app/q")).findings
    text = finding.render()
    assert text.startswith("[FD-SQS-1] ") and "at app/q." in text and "Fix: Set kms_master_key_id" in text


def test_evaluate_stack_accepts_a_synthesized_file_shape() -> None:
    report = evaluate_stack(json.loads(json.dumps(_stack("app/q"))))
    assert not report.ok


def test_suppressions_markdown_table() -> None:
    table = suppressions_markdown((Suppression("app/q", "FD-SQS-1", "Because a | b is fine."),))
    assert table.splitlines() == [
        "| rule | construct | reason |",
        "| --- | --- | --- |",
        "| FD-SQS-1 | `app/q` | Because a / b is fine. |",
    ]
