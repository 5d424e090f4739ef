"""``backfill-ledger``: transactions audited before the ledger existed become labellable (moto in-process)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import boto3
import pytest
from moto import mock_aws

from fraud_detection import audit
from fraud_detection.adapters.audited_ledger import AuditedLedger
from fraud_ops.backtest import BacktestError
from fraud_ops.ledger_backfill import backfill
from local_stage.table_definition import pattern_table_definition

pytestmark = pytest.mark.unit

BUCKET, TABLE = "audit-bucket", "patterns"


def _line(transaction_id: str, received_at: str) -> dict[str, str]:
    return {"transaction_id": transaction_id, "received_at": received_at, "action": "approve"}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        s3, dynamodb = boto3.client("s3"), boto3.client("dynamodb")
        s3.create_bucket(Bucket=BUCKET)
        dynamodb.create_table(**pattern_table_definition(TABLE, stream=False))
        yield s3, AuditedLedger(dynamodb, TABLE, sleep=lambda _s: None)


def _put(s3, first: int, moment: datetime, lines: list[dict[str, str]], storage_class: str = "STANDARD") -> str:  # type: ignore[no-untyped-def]
    key = audit.audit_key(str(first), str(first + len(lines) - 1), moment)
    s3.put_object(Bucket=BUCKET, Key=key, Body=audit.encode_jsonl_gz(lines), StorageClass=storage_class)
    return key


def test_every_audited_transaction_of_the_range_gets_its_ledger_item_once(aws) -> None:  # type: ignore[no-untyped-def]
    s3, ledger = aws
    day1, day2 = datetime(2026, 3, 1, 10, tzinfo=UTC), datetime(2026, 3, 2, 23, tzinfo=UTC)
    first = _put(s3, 1, day1, [_line("t-1", "2026-03-01T10:00:00.000Z"), _line("t-2", "2026-03-01T10:00:01.000Z")])
    # a replayed batch with other boundaries holds t-2 again: one item, naming the object seen first
    _put(s3, 2, day1, [_line("t-2", "2026-03-01T10:00:01.000Z")])
    _put(s3, 9, day2, [_line("t-3", "2026-03-02T23:00:00.000Z")])
    _put(s3, 20, datetime(2026, 3, 3, tzinfo=UTC), [_line("t-out", "2026-03-03T00:00:00.000Z")])  # after the range

    result = backfill(s3, BUCKET, ledger, date(2026, 3, 1), date(2026, 3, 2), say=lambda _line: None)

    assert (result.transactions, result.objects, result.archived) == (3, 3, [])
    assert ledger.get("t-2") is not None and ledger.get("t-2").audit_key == first  # type: ignore[union-attr]
    assert ledger.get("t-3").received_at == "2026-03-02T23:00:00.000Z"  # type: ignore[union-attr]
    assert ledger.get("t-out") is None
    again = backfill(s3, BUCKET, ledger, date(2026, 3, 1), date(2026, 3, 2), say=lambda _line: None)
    assert again.transactions == 3  # idempotent: the same items again


def test_archived_objects_are_named_not_read(aws) -> None:  # type: ignore[no-untyped-def]
    s3, ledger = aws
    key = _put(s3, 1, datetime(2026, 3, 1, tzinfo=UTC), [_line("t-1", "2026-03-01T00:00:00.000Z")], "GLACIER")
    result = backfill(s3, BUCKET, ledger, date(2026, 3, 1), date(2026, 3, 1), say=lambda _line: None)
    assert result.archived == [key] and result.transactions == 0 and ledger.get("t-1") is None


def test_a_restored_archived_object_is_read(aws) -> None:  # type: ignore[no-untyped-def]
    """After a restore, ListObjectsV2 still says GLACIER: the restore status decides (Amazon S3 API Reference,
    "ListObjectsV2", ``OptionalObjectAttributes=RestoreStatus``)."""
    s3, ledger = aws
    key = _put(s3, 1, datetime(2026, 3, 1, tzinfo=UTC), [_line("t-1", "2026-03-01T00:00:00.000Z")], "GLACIER")
    s3.restore_object(Bucket=BUCKET, Key=key, RestoreRequest={"Days": 1})

    def restored(parsed: dict, **_: object) -> None:  # moto lists no RestoreStatus: S3's answer, at botocore's layer
        for entry in parsed.get("Contents", []):
            entry["RestoreStatus"] = {
                "IsRestoreInProgress": False,
                "RestoreExpiryDate": datetime(2026, 3, 9, tzinfo=UTC),
            }

    s3.meta.events.register("after-call.s3.ListObjectsV2", restored)
    result = backfill(s3, BUCKET, ledger, date(2026, 3, 1), date(2026, 3, 1), say=lambda _line: None)
    assert result.archived == [] and result.transactions == 1 and ledger.get("t-1") is not None


def test_a_reversed_range_is_refused_before_anything_is_read(aws) -> None:  # type: ignore[no-untyped-def]
    s3, ledger = aws
    calls: list[str] = []
    s3.meta.events.register("before-call", lambda event_name, **_: calls.append(event_name))
    with pytest.raises(BacktestError, match="before --from"):
        backfill(s3, BUCKET, ledger, date(2026, 3, 2), date(2026, 3, 1))
    assert calls == []
