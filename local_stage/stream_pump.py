"""Plays the table-stream event source mapping locally: stream records -> the real stream handler.

In AWS, Lambda polls the table's stream and invokes the stream function with batches, bisects
a failing batch, retries, and finally sends an on-failure record (shard and sequence range,
no data) to the DLQ. The emulator cannot run the function, so this pump does the same with
``DescribeStream`` / ``GetShardIterator`` / ``GetRecords`` and the stream function's worker: same
event shape (``eventSourceARN`` added, as Lambda does), same batch size, bisect on error,
bounded retries, and the same kind of on-failure record, so ``redrive-dlq`` works locally too.

The mapping's filter (``contract.STREAM_AUDITED_EVENTS``: only inserts of ``TXN#`` items) is applied
as Lambda event filtering applies it ("Filtering DynamoDB events"): a record that does not match is
dropped without invoking the function, and the pump moves past it (so the ``AUDITED#`` ledger items
the stream function writes never invoke it again).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fraud_detection import contract
from fraud_ops.stream_records import lambda_record, matches_filter
from local_stage.background import BackgroundLoop
from local_stage.functions import HandlerError


@dataclass(frozen=True)
class PumpSettings:
    batch_size: int = 100
    max_retry_attempts: int = 5
    poll_seconds: float = 1.0
    shard_refresh_seconds: float = 30.0


def failure_record(
    records: Sequence[Mapping[str, Any]], stream_arn: str, shard_id: str, function_arn: str, now: datetime
) -> dict[str, Any]:
    """The on-failure destination record Lambda writes for a stream batch (positions, not data)."""
    first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
    return {
        "requestContext": {
            "requestId": "local",
            "functionArn": function_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 1,
        },
        "responseContext": {"statusCode": 200, "executedVersion": contract.LIVE_ALIAS, "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": now.astimezone(UTC).isoformat(),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": first["SequenceNumber"],
            "endSequenceNumber": last["SequenceNumber"],
            "approximateArrivalOfFirstRecord": str(first.get("ApproximateCreationDateTime", "")),
            "approximateArrivalOfLastRecord": str(last.get("ApproximateCreationDateTime", "")),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


class StreamPump(BackgroundLoop):
    """Polls every shard of one stream; ``drain()`` processes everything available now."""

    thread_name = "stream-pump"
    join_seconds = 30.0

    def __init__(
        self,
        streams: Any,  # botocore dynamodbstreams client
        stream_arn: str,
        deliver: Callable[[dict[str, Any]], Any],
        *,
        function_arn: str,
        send_failure: Callable[[str], None],
        settings: PumpSettings = PumpSettings(),
        filter_pattern: Mapping[str, Any] | None = contract.STREAM_AUDITED_EVENTS,
        say: Callable[[str], None] = lambda _line: None,
    ) -> None:
        self._streams = streams
        self._filter = filter_pattern
        self._arn = stream_arn
        self._deliver = deliver
        self._function_arn = function_arn
        self._send_failure = send_failure
        self._settings = settings
        self._say = say
        self._iterators: dict[str, str | None] = {}
        self._shard_ids: list[str] | None = None
        self._described_at = 0.0
        self._lock = threading.Lock()
        self._init_loop()
        self.delivered = 0
        self.filtered = 0
        """Records dropped by the filter (never handed to the function)."""
        self.failed_batches = 0

    def _shards(self) -> list[str]:
        """The stream's shards, described again at most every ``shard_refresh_seconds`` (not every poll)."""
        now = time.monotonic()
        if self._shard_ids is None or now - self._described_at >= self._settings.shard_refresh_seconds:
            description = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]
            self._shard_ids = [shard["ShardId"] for shard in description.get("Shards", [])]
            self._described_at = now
        return self._shard_ids

    def _iterator(self, shard_id: str) -> str | None:
        if shard_id not in self._iterators:
            self._iterators[shard_id] = self._streams.get_shard_iterator(
                StreamArn=self._arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
        return self._iterators[shard_id]

    def poll_once(self) -> int:
        """One GetRecords per shard; returns how many records were handed to the function."""
        return self._poll()[1]

    def _poll(self) -> tuple[int, int]:
        """(records read, records handed to the function after the filter)."""
        with self._lock:
            read = handled = 0
            for shard_id in self._shards():
                iterator = self._iterator(shard_id)
                if iterator is None:
                    continue
                response = self._streams.get_records(ShardIterator=iterator, Limit=self._settings.batch_size)
                self._iterators[shard_id] = response.get("NextShardIterator")
                records = [lambda_record(record, self._arn) for record in response.get("Records", [])]
                read += len(records)
                wanted = [record for record in records if self._filter is None or matches_filter(self._filter, record)]
                self.filtered += len(records) - len(wanted)
                if wanted:
                    self._process(wanted, shard_id, attempt=0)
                    handled += len(wanted)
            return read, handled

    def drain(self, max_rounds: int = 50) -> int:
        """Poll until a round reads nothing; returns how many records were handed to the function."""
        total = 0
        for _ in range(max_rounds):
            read, handled = self._poll()
            total += handled
            if not read:
                break
        return total

    def _process(self, records: list[dict[str, Any]], shard_id: str, attempt: int) -> None:
        try:
            self._deliver({"Records": records})
            self.delivered += len(records)
        except HandlerError as error:
            self._say(f"stream batch of {len(records)} failed: {error}")
            if len(records) > 1:  # bisect_batch_on_function_error
                middle = len(records) // 2
                self._process(records[:middle], shard_id, attempt + 1)
                self._process(records[middle:], shard_id, attempt + 1)
            elif attempt < self._settings.max_retry_attempts:
                self._process(records, shard_id, attempt + 1)
            else:
                self.failed_batches += 1
                record = failure_record(records, self._arn, shard_id, self._function_arn, datetime.now(UTC))
                self._send_failure(json.dumps(record))
                self._say(f"stream record {records[0]['dynamodb']['SequenceNumber']} sent to the DLQ")

    def _run(self) -> None:
        while not self._stop.wait(self._settings.poll_seconds):
            try:
                self.poll_once()
            except Exception as error:  # keep pumping; the next poll retries
                self._say(f"stream pump error: {type(error).__name__}: {error}")
