"""Pure audit builders: keys, determinism, allow-list, masking (no AWS)."""

from __future__ import annotations

import copy
import gzip
import json

import pytest

from fraud_detection.audit import (
    AUDIT_FIELDS,
    MalformedRecordError,
    audit_line,
    build_audit_batch,
    changes_from_event,
)
from fraud_detection.redaction import REDACTED, redact_pan
from tests.support.events import load_event
from tests.support.leaks import SENTINEL_PAN

pytestmark = pytest.mark.unit

STREAM_EVENT = "dynamodb_stream_patterns.json"


def _lines(body: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in gzip.decompress(body).decode().splitlines()]


def test_batch_key_is_derived_from_sequence_numbers_and_received_at() -> None:
    batch = build_audit_batch(changes_from_event(load_event(STREAM_EVENT)))
    assert batch is not None
    assert batch.key == (
        "audit/dt=2026-11-22/hour=10/4421584500000000017450439091-4421584700000000017450439093.jsonl.gz"
    )


def test_only_pattern_inserts_are_audited_in_stream_order() -> None:
    batch = build_audit_batch(changes_from_event(load_event(STREAM_EVENT)))
    assert batch is not None
    lines = _lines(batch.body)
    assert [line["transaction_id"] for line in lines] == ["txn-0001", "txn-0002", "txn-0003"]
    assert batch.line_count == 3


def test_lines_carry_request_id_source_ip_decision_and_nothing_outside_the_allow_list() -> None:
    batch = build_audit_batch(changes_from_event(load_event(STREAM_EVENT)))
    assert batch is not None
    blocked = _lines(batch.body)[1]
    assert blocked["request_id"] == "req-bbb-0002"
    assert blocked["source_ip"] == "198.51.100.23"
    assert blocked["action"] == "block"
    assert blocked["amount"] == 12500
    assert set(blocked) <= set(AUDIT_FIELDS)
    assert not {"card_key", "card_last4", "pattern_data", "pk"} & set(blocked)


def test_same_batch_gives_same_bytes() -> None:
    first = build_audit_batch(changes_from_event(load_event(STREAM_EVENT)))
    second = build_audit_batch(changes_from_event(load_event(STREAM_EVENT)))
    assert first is not None and second is not None
    assert (first.key, first.body) == (second.key, second.body)


def test_one_block_alert_per_block_decision_keyed_by_transaction() -> None:
    batch = build_audit_batch(changes_from_event(load_event(STREAM_EVENT)))
    assert batch is not None
    assert [alert.dedupe_key for alert in batch.alerts] == ["txn-0002"]
    body = json.loads(batch.alerts[0].body())
    assert body["dedupe_key"] == "txn-0002"
    assert body["kind"] == "block"


def test_batch_without_inserts_writes_nothing() -> None:
    event = load_event(STREAM_EVENT)
    event["Records"] = [r for r in event["Records"] if r["eventName"] != "INSERT"]
    assert build_audit_batch(changes_from_event(event)) is None


def test_non_pattern_items_are_ignored() -> None:
    event = load_event(STREAM_EVENT)
    for record in event["Records"][:1]:
        record["dynamodb"]["NewImage"]["pk"] = {"S": "META#settings"}
    batch = build_audit_batch(changes_from_event(event))
    assert batch is not None
    assert batch.key.split("/")[-1].startswith("4421584600000000017450439092-")


def test_a_pattern_insert_without_received_at_raises_instead_of_being_skipped() -> None:
    event = load_event(STREAM_EVENT)
    del event["Records"][1]["dynamodb"]["NewImage"]["received_at"]
    with pytest.raises(MalformedRecordError):
        build_audit_batch(changes_from_event(event))


def test_sentinel_card_number_in_any_attribute_never_reaches_the_audit_object_or_alerts() -> None:
    event = copy.deepcopy(load_event(STREAM_EVENT))
    image = event["Records"][1]["dynamodb"]["NewImage"]
    image["card_number"] = {"S": SENTINEL_PAN}
    image["pattern_data"] = {"M": {"pan": {"S": SENTINEL_PAN}}}
    spaced = " ".join(SENTINEL_PAN[i : i + 4] for i in range(0, 16, 4))
    image["merchant"] = {"S": f"Evil Corp {spaced}"}
    image["reasons"] = {"L": [{"S": f"card {SENTINEL_PAN}"}]}
    batch = build_audit_batch(changes_from_event(event))
    assert batch is not None
    text = gzip.decompress(batch.body).decode()
    alert_text = "".join(alert.body() + alert.subject for alert in batch.alerts)
    for rendered in (text, alert_text):
        assert SENTINEL_PAN not in rendered.replace(" ", "")
        assert REDACTED in rendered


def test_redaction_keeps_ids_and_amounts_that_are_not_card_numbers() -> None:
    assert redact_pan("order 1234567890123 for 12500.00") == "order 1234567890123 for 12500.00"
    assert redact_pan(f"x{SENTINEL_PAN}y") == f"x{REDACTED}y"


def test_line_requires_decision() -> None:
    with pytest.raises(MalformedRecordError):
        audit_line({"transaction_id": "t", "received_at": "2026-11-22T10:00:00Z"})


def test_a_replay_with_other_batch_boundaries_reads_each_transaction_once() -> None:
    """TRIM_HORIZON replays up to 24 h with new boundaries: the objects overlap, the readers do not."""
    from fraud_detection.audit import read_audit_lines

    changes = changes_from_event(load_event(STREAM_EVENT))
    original = build_audit_batch(changes)
    replay = [build_audit_batch(changes[:2]), build_audit_batch(changes[2:]), build_audit_batch(changes[1:])]
    assert original is not None and all(replay)
    bodies = [original.body, *(batch.body for batch in replay if batch)]
    raw = [line for body in bodies for line in _lines(body)]
    assert len(raw) > 3  # the replay wrote lines twice, into other keys
    assert len({original.key, *(batch.key for batch in replay if batch)}) == 4
    assert list(read_audit_lines(bodies)) == _lines(original.body)
