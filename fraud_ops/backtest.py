"""Backtest: what a candidate settings file would have done to a date range of the audit trail.

``python -m fraud_ops.cli backtest --candidate settings.json --from 2026-11-01 --to 2026-11-30 --out dir``
(docs/backtest.md). The steps, in this order:

1. **Validate the candidate** (``fraud_detection.settings.parse_settings``): an invalid one is refused
   before any object is listed or read.
2. **Plan**: list the audit objects of the range's hour partitions (``audit/dt=YYYY-MM-DD/hour=HH/``,
   docs/contract.md), from a lead-in before the range (see below) to one partition past its end. Objects
   in an archive storage class (``GLACIER``, ``DEEP_ARCHIVE``, not restored) are *named*, by partition
   range, with the ``aws s3api restore-object`` commands, and nothing is read.
3. **Stream** every object's gzip JSONL line by line (``zlib`` in chunks; never a whole object in
   memory, never the whole range), in partition order.
4. **Order**: a partition ``hour=H`` only holds lines received at ``H - ORDER_SLACK`` or later (its key
   comes from the first line of a stream batch; a later line was written later, and was received at
   most a webhook timeout earlier), so when partition ``H`` starts, every buffered line received before
   ``H - ORDER_SLACK`` is released in receive-time order. Memory: about one audit hour of raw lines.
5. **De-duplicate** by ``transaction_id`` (a replayed stream batch writes a line again, with the same
   ``received_at``; both copies are in the buffer together, so the seen-set only keeps recent ids).
6. **Rebuild velocity**: each customer's and card fingerprint's timeline of receive times is rebuilt
   from the ordered lines (:class:`Timeline`), and a line's prior count is taken in the *candidate's*
   ``velocity_window_seconds`` (the counts stored on the record are the live window's). Lines received
   in the lead-in (the candidate's velocity window before the range) only feed the timelines. Smoke
   traffic feeds the timelines too (the live webhook counted those items) but is left out of every
   figure.
7. **Decide again** under the candidate with the image's own pure scoring
   (:func:`candidate_decision`: ``fraud_detection.decision_record.replay`` of the record with the
   recounted velocity); the live decision is the line's own
   ``action``/``risk_score``/``reasons``. A line without a decision record (written before records
   carried their inputs) cannot be decided again: it is counted as ``not replayable`` and left out of
   the comparison.
8. **Report** (:func:`write_report`): ``summary.md``, ``matrix.csv`` (live x candidate actions),
   ``rules.csv`` (hits per rule code, live and candidate), ``metrics.csv`` (with labels: precision,
   recall, value-weighted catch rate) and ``changed.csv`` (one row per transaction whose action
   changed, written as the stream goes).

Labels come from the audit trail (:func:`read_trail_labels`): ``POST /labels`` writes one object per
accepted label under ``labels/dt=<transaction's received day>/<transaction_id>/...``, so the range's
labels are the objects under ``fraud_detection.labels.day_prefix(D)`` for each day ``D`` of the range
(listed and read once, before any audit line is streamed), reduced to one label per transaction by
``fraud_detection.labels.effective_labels`` (per source the latest, across sources analyst >
chargeback > customer). ``--labels FILE`` (optional: JSON Lines or CSV of ``{transaction_id, label}``
with ``label`` ``fraud`` or ``legitimate``, other columns ignored, a later line for the same transaction
wins) is an analyst's what-if on top: for a transaction it names, the file's label wins over the
trail's. The summary says how many labels came from each. Only labelled transactions count towards
precision and recall.

Settings history: every live ``settings_version`` met in the records should exist as
``settings/<version>.json`` (the stream consumer copies it there, docs/contract.md); the summary lists
the versions that do not (the backtest still runs: the records carry their own inputs).
"""

from __future__ import annotations

import bisect
import csv
import gc
import io
import json
import re
import shlex
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

import msgspec
from botocore.exceptions import ClientError

from fraud_detection.adapters.settings_history import history_key
from fraud_detection.audit import audit_hour_prefix
from fraud_detection.contract import LABEL_VALUES, SMOKE_PREFIX
from fraud_detection.daily_report import escape_cell
from fraud_detection.decision_record import RECORD_ATTRIBUTE, InvalidRecord, replay
from fraud_detection.labels import day_prefix, effective_labels, label_entry
from fraud_detection.scoring import Decision
from fraud_detection.settings import Settings, parse_settings, settings_version

ACTIONS = ("approve", "review", "block")
ARCHIVE_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE"})
"""Storage classes whose objects must be restored before a GetObject (``GLACIER_IR`` is readable)."""
ORDER_SLACK = timedelta(minutes=5)
"""How much earlier than its partition's hour a line may have been received (a webhook timeout is 29 s)."""
DEDUPE_HORIZON = timedelta(hours=1)
"""Ids of lines released this long before the release point are forgotten (a copy arrives before that)."""
CHUNK_BYTES = 256 * 1024
LABELS = LABEL_VALUES
RESTORE_DAYS = 7
RESTORE_TIER = "Standard"


class BacktestError(Exception):
    """A backtest that cannot run (bad input, missing source); the message is for the operator."""


# ---------------------------------------------------------------- range and plan


@dataclass(frozen=True)
class DateRange:
    """Whole UTC days, ``first`` to ``last`` inclusive."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise BacktestError(f"--to {self.last} is before --from {self.first}")

    @property
    def start(self) -> datetime:
        return datetime(self.first.year, self.first.month, self.first.day, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after ``last``."""
        return datetime(self.last.year, self.last.month, self.last.day, tzinfo=UTC) + timedelta(days=1)


def partition_hours(days: DateRange, velocity_window_seconds: int) -> list[datetime]:
    """The hour partitions to read: from the lead-in (the velocity window and ``ORDER_SLACK`` before the
    range, rounded down to the hour) to the partition ``ORDER_SLACK`` past the range's end."""
    first = _floor_hour(days.start - timedelta(seconds=velocity_window_seconds) - ORDER_SLACK)
    last = _floor_hour(days.end + ORDER_SLACK - timedelta(microseconds=1))
    hours = []
    while first <= last:
        hours.append(first)
        first += timedelta(hours=1)
    return hours


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def partition_prefix(hour: datetime) -> str:
    """The audit partition of ``hour`` (the layout is ``fraud_detection.audit``'s, written there once)."""
    return audit_hour_prefix(hour)


@dataclass(frozen=True)
class AuditObject:
    key: str
    size: int
    storage_class: str = "STANDARD"
    restored: bool = False
    """An archived object with a finished restore (a readable copy until the restore expires)."""

    @property
    def archived(self) -> bool:
        return self.storage_class in ARCHIVE_CLASSES and not self.restored


@dataclass(frozen=True)
class Plan:
    partitions: tuple[tuple[datetime, tuple[AuditObject, ...]], ...]

    @property
    def objects(self) -> int:
        return sum(len(objects) for _, objects in self.partitions)

    @property
    def compressed_bytes(self) -> int:
        return sum(obj.size for _, objects in self.partitions for obj in objects)

    @property
    def archived(self) -> list[tuple[datetime, list[AuditObject]]]:
        found = [(hour, [obj for obj in objects if obj.archived]) for hour, objects in self.partitions]
        return [(hour, objects) for hour, objects in found if objects]


class Source(Protocol):
    """Where the audit trail is read from: an S3 bucket or a local copy with the same layout."""

    def describe(self) -> str: ...
    def list_partition(self, prefix: str) -> Iterable[AuditObject]: ...
    def open(self, key: str) -> Iterable[bytes]: ...
    def restore_commands(self, objects: Iterable[AuditObject]) -> list[str]: ...
    def list_keys(self, prefix: str) -> Iterable[str]:
        """Every key under ``prefix``, at any depth (the label objects)."""
        ...

    def read(self, key: str) -> bytes:
        """A small object whole (a label, a settings version)."""
        ...

    def exists(self, key: str) -> bool: ...


def plan(source: Source, days: DateRange, velocity_window_seconds: int) -> Plan:
    """Every object of every partition the backtest needs (listing only; nothing is read)."""
    return Plan(
        tuple(
            (hour, tuple(sorted(source.list_partition(partition_prefix(hour)), key=lambda obj: obj.key)))
            for hour in partition_hours(days, velocity_window_seconds)
        )
    )


def archived_ranges(archived: list[tuple[datetime, list[AuditObject]]]) -> list[tuple[datetime, datetime, int]]:
    """Consecutive archived hour partitions as (first hour, last hour, objects)."""
    ranges: list[tuple[datetime, datetime, int]] = []
    for hour, objects in archived:
        if ranges and ranges[-1][1] + timedelta(hours=1) == hour:
            first, _, count = ranges[-1]
            ranges[-1] = (first, hour, count + len(objects))
        else:
            ranges.append((hour, hour, len(objects)))
    return ranges


def archive_message(plan_: Plan, source: Source) -> str:
    """What an operator reads when part of the range is archived: the ranges, and how to restore them."""
    archived = plan_.archived
    lines = ["audit objects in an archive storage class must be restored before this range can be backtested:"]
    for first, last, count in archived_ranges(archived):
        lines.append(f"  {partition_prefix(first)} .. {partition_prefix(last)} ({count} object(s))")
    lines.append(
        f"restore them (a copy for {RESTORE_DAYS} days, tier {RESTORE_TIER}; Standard takes hours from GLACIER, "
        "up to 12 h from DEEP_ARCHIVE), wait for the restores to finish, then run the backtest again:"
    )
    return "\n".join(lines)


# ---------------------------------------------------------------- sources


class DirSource:
    """A local copy of the bucket (``aws s3 sync s3://<bucket>/audit/dt=... <dir>/audit/dt=...``)."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise BacktestError(f"{root} is not a directory")
        self.root = root

    def describe(self) -> str:
        return f"directory {self.root}"

    def list_partition(self, prefix: str) -> Iterator[AuditObject]:
        folder = self.root / prefix
        if not folder.is_dir():
            return
        for path in folder.iterdir():
            if path.is_file() and path.name.endswith(".jsonl.gz"):
                yield AuditObject(key=prefix + path.name, size=path.stat().st_size)

    def open(self, key: str) -> Iterator[bytes]:
        with (self.root / key).open("rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                yield chunk

    def restore_commands(self, objects: Iterable[AuditObject]) -> list[str]:
        return []

    def list_keys(self, prefix: str) -> Iterator[str]:
        folder = self.root / prefix
        if not folder.is_dir():
            return
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                yield path.relative_to(self.root).as_posix()

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def exists(self, key: str) -> bool:
        return (self.root / key).is_file()


class S3Source:
    """The audit bucket: ``ListObjectsV2`` (with each object's storage class and restore status), then
    ``GetObject`` streamed in chunks."""

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def describe(self) -> str:
        return f"s3://{self.bucket}"

    def list_partition(self, prefix: str) -> Iterator[AuditObject]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, OptionalObjectAttributes=["RestoreStatus"]):
            for entry in page.get("Contents", []):
                status = entry.get("RestoreStatus") or {}
                restored = bool(status.get("RestoreExpiryDate")) and not status.get("IsRestoreInProgress", False)
                yield AuditObject(
                    key=entry["Key"],
                    size=int(entry.get("Size", 0)),
                    storage_class=str(entry.get("StorageClass", "STANDARD")),
                    restored=restored,
                )

    def open(self, key: str) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        try:
            yield from body.iter_chunks(CHUNK_BYTES)
        finally:
            body.close()

    def list_keys(self, prefix: str) -> Iterator[str]:
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            yield from (str(entry["Key"]) for entry in page.get("Contents", []))

    def read(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def restore_commands(self, objects: Iterable[AuditObject]) -> list[str]:
        request = json.dumps({"Days": RESTORE_DAYS, "GlacierJobParameters": {"Tier": RESTORE_TIER}})
        return [
            f"aws s3api restore-object --bucket {shlex.quote(self.bucket)} --key {shlex.quote(obj.key)} "
            f"--restore-request {shlex.quote(request)}"
            for obj in objects
        ]


# ---------------------------------------------------------------- streaming lines


def gzip_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The non-empty lines of a gzip stream (several members allowed), decompressed chunk by chunk."""
    inflater = zlib.decompressobj(wbits=31)
    carry = b""
    for chunk in chunks:
        while chunk:
            data = inflater.decompress(chunk)
            if inflater.eof:
                chunk = inflater.unused_data
                inflater = zlib.decompressobj(wbits=31)
            else:
                chunk = b""
            if not data:
                continue
            parts = (carry + data).split(b"\n")
            carry = parts.pop()
            yield from (part for part in parts if part)
    if carry.strip():
        yield carry


_RECEIVED = b'"received_at":"'
_DECODE = msgspec.json.Decoder(float_hook=Decimal)


def received_ms(raw: bytes) -> int | None:
    """Receive time (ms since the epoch) of a raw audit line, read without decoding the line (every
    ``received_at`` in a line, top-level or in its record, is the same moment)."""
    start = raw.find(_RECEIVED)
    if start >= 0:
        start += len(_RECEIVED)
        text: Any = raw[start : raw.find(b'"', start)].decode()
    else:  # not the stream consumer's canonical JSON (a re-serialized copy): decode the line
        try:
            text = _DECODE.decode(raw).get("received_at")
        except (msgspec.DecodeError, AttributeError):
            return None
        if not isinstance(text, str):
            return None
    return _iso_ms(text)


_MINUTES: dict[str, int] = {}


def _iso_ms(text: str) -> int | None:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` (the webhook's form) through a per-minute cache; anything else (other
    offsets or precision) through ``datetime.fromisoformat``; ``None`` without a timezone or unparseable."""
    if len(text) == 24 and text[19] == "." and text[23] == "Z":
        minute = _MINUTES.get(text[:16])
        if minute is None:
            minute = _MINUTES[text[:16]] = int(datetime.fromisoformat(text[:16] + "+00:00").timestamp()) * 1000
            if len(_MINUTES) > 100_000:
                _MINUTES.clear()
        try:
            return minute + int(text[17:19]) * 1000 + int(text[20:23])
        except ValueError:
            pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return int(moment.timestamp() * 1000)


@dataclass
class ReadStats:
    raw_lines: int = 0
    duplicates: int = 0
    malformed: int = 0
    out_of_order: int = 0
    """Lines received before lines already released (outside ``ORDER_SLACK``): replayed late."""


def ordered_lines(
    partitions: Iterable[tuple[datetime, Iterable[bytes]]], stats: ReadStats
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(receive ms, decoded line) of every transaction once, in receive-time order (module docstring,
    steps 4 and 5); ``partitions`` are (hour, raw lines) in hour order."""
    buffer: list[tuple[int, bytes]] = []
    seen: dict[str, int] = {}
    released_until = -(2**62)
    slack_ms = int(ORDER_SLACK.total_seconds() * 1000)
    horizon_ms = int(DEDUPE_HORIZON.total_seconds() * 1000)

    def release(until: int | None) -> Iterator[tuple[int, dict[str, Any]]]:
        nonlocal buffer
        buffer.sort(key=_first)
        cut = len(buffer) if until is None else bisect.bisect_left(buffer, until, key=_first)
        ready, buffer = buffer[:cut], buffer[cut:]
        for moment, raw in ready:
            try:
                line = _DECODE.decode(raw)
                transaction_id = str(line["transaction_id"])
            except (msgspec.DecodeError, KeyError, TypeError):
                stats.malformed += 1
                continue
            if transaction_id in seen:
                stats.duplicates += 1
                continue
            seen[transaction_id] = moment
            yield moment, line

    for hour, lines in partitions:
        watermark = int(hour.timestamp() * 1000) - slack_ms
        if watermark > released_until:
            yield from release(watermark)
            released_until = watermark
            forget = watermark - horizon_ms
            if seen and len(seen) > 4096:
                seen = {tid: moment for tid, moment in seen.items() if moment >= forget}
        for raw in lines:
            stats.raw_lines += 1
            moment = received_ms(raw)
            if moment is None:
                stats.malformed += 1
                continue
            if moment < released_until:
                stats.out_of_order += 1
            buffer.append((moment, raw))
    yield from release(None)


def _first(pair: tuple[int, bytes]) -> int:
    return pair[0]


# ---------------------------------------------------------------- velocity


class Timeline:
    """Receive times per key (a customer id or a card fingerprint), as the live webhook's count query sees
    them: transactions received in ``[now - window, now]`` before this one."""

    def __init__(self, window_seconds: int) -> None:
        self.window_ms = window_seconds * 1000
        self._times: dict[str, deque[int]] = {}

    def count_then_add(self, key: str, now_ms: int) -> int:
        times = self._times.get(key)
        if times is None:
            self._times[key] = deque((now_ms,))
            return 0
        cutoff = now_ms - self.window_ms
        while times and times[0] < cutoff:
            times.popleft()
        prior = len(times)
        times.append(now_ms)
        return prior

    def forget_before(self, now_ms: int) -> None:
        """Drop keys with nothing left in the window (bounded memory over a long range)."""
        cutoff = now_ms - self.window_ms
        self._times = {key: times for key, times in self._times.items() if times and times[-1] >= cutoff}

    def __len__(self) -> int:
        return len(self._times)


# ---------------------------------------------------------------- deciding again


def candidate_decision(
    record: Mapping[str, Any], settings: Settings, customer_recent: int, card_recent: int | None
) -> Decision:
    """The adapter to the image: its own replay (``fraud_detection.decision_record.replay``: the record's
    inputs scored by ``fraud_detection.scoring``) of the record with the velocity counts recounted from the
    timeline instead of the live window's."""
    recounted = {**record, "customer_recent": customer_recent}
    if card_recent is None:
        recounted.pop("card_recent", None)
    else:
        recounted["card_recent"] = card_recent
    return replay(recounted, settings)


# ---------------------------------------------------------------- labels and tally


def load_labels(path: Path) -> dict[str, str]:
    """``transaction_id -> fraud | legitimate`` from JSON Lines or CSV (by suffix; ``.csv`` is CSV)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BacktestError(f"labels: {error}") from None
    if path.suffix.lower() == ".csv":
        rows: Iterable[Mapping[str, Any]] = csv.DictReader(io.StringIO(text))
    else:
        rows = (_json_row(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip())
    labels: dict[str, str] = {}
    for number, row in enumerate(rows, 1):
        transaction_id, label = str(row.get("transaction_id") or "").strip(), str(row.get("label") or "").strip()
        if not transaction_id or label not in LABELS:
            raise BacktestError(f"labels {path}, row {number}: need transaction_id and label fraud|legitimate")
        labels[transaction_id] = label
    return labels


@dataclass(frozen=True)
class Labels:
    """The labels a backtest uses (``transaction_id -> fraud | legitimate``) and where they came from."""

    labels: Mapping[str, str] = field(default_factory=dict)
    from_trail: int = 0
    """Transactions whose label is the audit trail's effective label."""
    from_file: int = 0
    """Transactions whose label is the file's (including ``overridden``)."""
    overridden: int = 0
    """Transactions the trail labelled and the file labelled again (the file won)."""
    trail_objects: int = 0
    unreadable: int = 0
    """Label objects that are not a label (not JSON, a field missing): skipped, counted."""


def day_range(days: DateRange) -> Iterator[date]:
    day = days.first
    while day <= days.last:
        yield day
        day += timedelta(days=1)


def read_trail_labels(source: Source, days: DateRange) -> tuple[dict[str, str], int, int]:
    """(effective labels, label objects read, unreadable objects) of the transactions received in ``days``:
    every object under ``labels/dt=<D>/`` for each day, reduced by ``effective_labels``."""
    documents: list[Mapping[str, Any]] = []
    read = unreadable = 0
    for day in day_range(days):
        for key in source.list_keys(day_prefix(day.isoformat())):
            if not key.endswith(".json"):
                continue
            read += 1
            try:
                document = json.loads(source.read(key))
                if not isinstance(document, dict) or document.get("label") not in LABELS:
                    raise ValueError("not a label")
                label_entry(document)  # the fields effective_labels reads, parseable
            except (ValueError, KeyError, TypeError):
                unreadable += 1
                continue
            documents.append(document)
    return effective_labels(documents), read, unreadable


def merge_labels(
    trail: Mapping[str, str], file: Mapping[str, str] | None, *, trail_objects: int = 0, unreadable: int = 0
) -> Labels:
    """The trail's labels with the file's on top (the file wins for a transaction it names: a what-if)."""
    file = file or {}
    overridden = sum(1 for transaction_id in file if transaction_id in trail)
    return Labels(
        labels={**trail, **file},
        from_trail=len(trail) - overridden,
        from_file=len(file),
        overridden=overridden,
        trail_objects=trail_objects,
        unreadable=unreadable,
    )


def _json_row(number: int, line: str) -> Mapping[str, Any]:
    try:
        row = json.loads(line)
    except ValueError:
        raise BacktestError(f"labels line {number}: not JSON") from None
    if not isinstance(row, dict):
        raise BacktestError(f"labels line {number}: not a JSON object")
    return row


@dataclass
class Outcomes:
    """Labelled outcomes of one side (live or candidate) at one cut (what counts as caught)."""

    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    fraud_value: Decimal = Decimal(0)
    caught_value: Decimal = Decimal(0)

    def add(self, caught: bool, fraud: bool, amount: Decimal) -> None:
        if fraud:
            self.fraud_value += amount
            if caught:
                self.true_positive += 1
                self.caught_value += amount
            else:
                self.false_negative += 1
        elif caught:
            self.false_positive += 1

    @property
    def precision(self) -> float | None:
        flagged = self.true_positive + self.false_positive
        return self.true_positive / flagged if flagged else None

    @property
    def recall(self) -> float | None:
        frauds = self.true_positive + self.false_negative
        return self.true_positive / frauds if frauds else None

    @property
    def value_catch_rate(self) -> float | None:
        return float(self.caught_value / self.fraud_value) if self.fraud_value else None


CUTS: dict[str, frozenset[str]] = {"block": frozenset({"block"}), "review_or_block": frozenset({"review", "block"})}
"""What counts as caught: ``block`` (the headline) and ``review_or_block`` (sent to an analyst or stopped)."""


@dataclass
class Tally:
    candidate_version: str
    transactions: int = 0
    matrix: Counter[tuple[str, str]] = field(default_factory=Counter)
    live_rules: Counter[str] = field(default_factory=Counter)
    candidate_rules: Counter[str] = field(default_factory=Counter)
    live_versions: Counter[str] = field(default_factory=Counter)
    smoke: int = 0
    lead_in: int = 0
    after_range: int = 0
    not_replayable: int = 0
    labelled: int = 0
    labels_given: int = 0
    currencies: Counter[str] = field(default_factory=Counter)
    outcomes: dict[tuple[str, str], Outcomes] = field(default_factory=dict)
    """(side, cut) -> labelled outcomes; sides are ``live`` and ``candidate``."""

    def __post_init__(self) -> None:
        for side in ("live", "candidate"):
            for cut in CUTS:
                self.outcomes.setdefault((side, cut), Outcomes())


CHANGED_HEADER = (
    "transaction_id",
    "received_at",
    "customer_id",
    "amount",
    "currency",
    "live_action",
    "candidate_action",
    "live_score",
    "candidate_score",
    "live_reasons",
    "candidate_reasons",
    "label",
)


def backtest(
    lines: Iterable[tuple[int, Mapping[str, Any]]],
    days: DateRange,
    candidate: Settings,
    labels: Mapping[str, str] | None = None,
    on_changed: Callable[[list[str]], None] | None = None,
) -> Tally:
    """The pure core: ordered, de-duplicated (receive ms, line) pairs in, the tally out."""
    labels = labels or {}
    tally = Tally(candidate_version=settings_version(candidate), labels_given=len(labels))
    customers = Timeline(candidate.velocity_window_seconds)
    cards = Timeline(candidate.velocity_window_seconds)
    start_ms, end_ms = int(days.start.timestamp() * 1000), int(days.end.timestamp() * 1000)
    since_prune = 0
    for moment, line in lines:
        if moment >= end_ms:
            tally.after_range += 1
            continue
        record = line.get(RECORD_ATTRIBUTE)
        record = record if isinstance(record, dict) else None
        customer = (record or line).get("customer_id")
        card = record.get("card_fingerprint") if record else None
        customer_recent = customers.count_then_add(str(customer), moment) if customer is not None else 0
        card_recent = cards.count_then_add(str(card), moment) if card is not None else None
        since_prune += 1
        if since_prune >= 100_000:
            customers.forget_before(moment)
            cards.forget_before(moment)
            since_prune = 0
        transaction_id = str(line["transaction_id"])
        if transaction_id.startswith(SMOKE_PREFIX):
            tally.smoke += moment >= start_ms
            continue
        if moment < start_ms:
            tally.lead_in += 1
            continue
        if record is None:
            tally.not_replayable += 1
            continue
        try:
            decision = candidate_decision(record, candidate, customer_recent, card_recent)
        except InvalidRecord:
            tally.not_replayable += 1
            continue
        _count(tally, transaction_id, line, record, decision, labels, on_changed)
    return tally


def _count(
    tally: Tally,
    transaction_id: str,
    line: Mapping[str, Any],
    record: Mapping[str, Any],
    decision: Decision,
    labels: Mapping[str, str],
    on_changed: Callable[[list[str]], None] | None,
) -> None:
    live_action = str(line["action"])
    live_reasons = [str(reason) for reason in line.get("reasons") or ()]
    tally.transactions += 1
    tally.matrix[live_action, decision.action] += 1
    live_rules, candidate_rules = tally.live_rules, tally.candidate_rules
    for reason in live_reasons:
        live_rules[reason] += 1
    for reason in decision.reasons:
        candidate_rules[reason] += 1
    tally.live_versions[str(record.get("settings_version", "unknown"))] += 1
    label = labels.get(transaction_id)
    amount = _amount(record.get("amount", line.get("amount")))
    if label is not None:
        tally.labelled += 1
        tally.currencies[str(record.get("currency", line.get("currency", "")))] += 1
        for cut, caught in CUTS.items():
            tally.outcomes["live", cut].add(live_action in caught, label == "fraud", amount)
            tally.outcomes["candidate", cut].add(decision.action in caught, label == "fraud", amount)
    if on_changed is not None and live_action != decision.action:
        on_changed(
            [
                transaction_id,
                str(line.get("received_at", "")),
                str(record.get("customer_id", "")),
                str(amount),
                str(record.get("currency", "")),
                live_action,
                decision.action,
                str(line.get("risk_score", "")),
                str(decision.risk_score),
                ";".join(live_reasons),
                ";".join(decision.reasons),
                label or "",
            ]
        )


def _amount(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


# ---------------------------------------------------------------- report


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def matrix_rows(tally: Tally) -> list[list[str]]:
    rows = [["live \\ candidate", *ACTIONS, "total"]]
    for live in ACTIONS:
        counts = [tally.matrix[live, candidate] for candidate in ACTIONS]
        rows.append([live, *map(str, counts), str(sum(counts))])
    totals = [sum(tally.matrix[live, candidate] for live in ACTIONS) for candidate in ACTIONS]
    rows.append(["total", *map(str, totals), str(sum(totals))])
    return rows


def rule_rows(tally: Tally) -> list[list[str]]:
    codes = sorted(set(tally.live_rules) | set(tally.candidate_rules))
    rows = [["rule", "live_hits", "candidate_hits", "difference"]]
    for code in codes:
        live, candidate = tally.live_rules[code], tally.candidate_rules[code]
        rows.append([code, str(live), str(candidate), f"{candidate - live:+d}"])
    return rows


def metric_rows(tally: Tally) -> list[list[str]]:
    rows = [["caught_when", "metric", "live", "candidate"]]
    for cut in CUTS:
        live, candidate = tally.outcomes["live", cut], tally.outcomes["candidate", cut]
        for metric in ("precision", "recall", "value_catch_rate"):
            rows.append([cut, metric, _ratio(getattr(live, metric)), _ratio(getattr(candidate, metric))])
        for count in ("true_positive", "false_positive", "false_negative"):
            rows.append([cut, count, str(getattr(live, count)), str(getattr(candidate, count))])
    return rows


def _markdown_table(rows: list[list[str]]) -> list[str]:
    head, *body = rows
    align = ["---"] + ["---:"] * (len(head) - 1)
    return [
        "| " + " | ".join(head) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in body),
    ]


@dataclass(frozen=True)
class RunInfo:
    source: str
    candidate_path: str
    days: DateRange
    objects: int
    compressed_bytes: int
    stats: ReadStats
    seconds: float
    labels_path: str | None = None
    label_origin: Labels = field(default_factory=Labels)
    missing_settings: tuple[str, ...] = ()
    """Live settings versions met in the records without ``settings/<version>.json`` in the source."""


def summary_markdown(tally: Tally, info: RunInfo) -> str:
    changed = sum(count for (live, candidate), count in tally.matrix.items() if live != candidate)
    versions = ", ".join(f"`{version}` ({count})" for version, count in tally.live_versions.most_common()) or "none"
    rate = info.stats.raw_lines / info.seconds if info.seconds else 0.0
    lines = [
        f"# Backtest {info.days.first} .. {info.days.last} (UTC)",
        "",
        f"- candidate: `{info.candidate_path}`, settings version `{tally.candidate_version}`",
        f"- live settings versions seen: {versions}",
        f"- source: {info.source}; {info.objects} object(s), {info.compressed_bytes:,} bytes compressed, "
        f"{info.stats.raw_lines:,} raw lines in {info.seconds:.1f} s ({rate:,.0f} lines/s)",
        f"- transactions compared: {tally.transactions:,}; action changed: {changed:,}",
        f"- left out: {info.stats.duplicates:,} duplicate line(s), {tally.smoke:,} smoke transaction(s), "
        f"{tally.not_replayable:,} not replayable (no decision record), {info.stats.malformed:,} malformed line(s); "
        f"{tally.lead_in:,} lead-in transaction(s) only fed the velocity timelines",
    ]
    if info.missing_settings:
        missing = ", ".join(f"`{version}`" for version in info.missing_settings)
        lines.append(
            f"- warning: live settings version(s) not in the settings history (`settings/<version>.json`): {missing}"
        )
    if info.stats.out_of_order:
        lines.append(
            f"- warning: {info.stats.out_of_order:,} line(s) arrived after later lines had been decided "
            "(their velocity may be undercounted)"
        )
    lines += ["", "## Actions: live (rows) vs candidate (columns)", "", *_markdown_table(matrix_rows(tally))]
    lines += ["", "## Rule hits", "", *_markdown_table(rule_rows(tally))]
    lines += ["", "## Labelled outcomes", ""]
    origin = info.label_origin
    if origin.unreadable:
        lines.append(f"Skipped {origin.unreadable:,} unreadable label object(s) of the audit trail.")
        lines.append("")
    if not tally.labels_given:
        lines.append(
            "No labels: none in the audit trail (`labels/`) for this range's transactions and no `--labels FILE`; "
            "precision, recall and catch rate need them."
        )
    else:
        currencies = ", ".join(sorted(tally.currencies)) or "none"
        file_part = (
            f"{origin.from_file:,} from `{info.labels_path}` (it won for {origin.overridden:,} transaction(s) the "
            "trail also labelled)"
            if info.labels_path
            else "none from a file"
        )
        lines += [
            f"Labels: {tally.labels_given:,}; {origin.from_trail:,} from the audit trail ({origin.trail_objects:,} "
            f"label object(s)), {file_part}. Of them on compared transactions: "
            f"{tally.labelled:,}. Unlabelled transactions are left out. Value-weighted catch rate = caught fraud "
            f"amount / all labelled fraud amount, amounts summed as recorded (currencies: {currencies}; "
            "no conversion).",
            "",
            *_markdown_table(metric_rows(tally)),
        ]
    lines += [
        "",
        "Files: `matrix.csv`, `rules.csv`, `metrics.csv`, `changed.csv` (every transaction whose action changed).",
    ]
    return "\n".join(lines) + "\n"


_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def _cell(value: str) -> str:
    """A number as is (``-2``, ``+2``); any other text with a formula trigger prefixed (CSV injection)."""
    return value if _NUMBER.fullmatch(value) else escape_cell(value)


def _write_csv(path: Path, rows: Iterable[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerows([_cell(cell) for cell in row] for row in rows)


def write_report(out: Path, tally: Tally, info: RunInfo) -> None:
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "matrix.csv", matrix_rows(tally))
    _write_csv(out / "rules.csv", rule_rows(tally))
    _write_csv(out / "metrics.csv", metric_rows(tally) if tally.labels_given else [metric_rows(tally)[0]])
    (out / "summary.md").write_text(summary_markdown(tally, info), encoding="utf-8")


class ChangedWriter:
    """``changed.csv``, written row by row while the stream runs."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._handle, lineterminator="\r\n")
        self._writer.writerow(CHANGED_HEADER)

    def __call__(self, row: list[str]) -> None:
        """Ids, customer and reasons are escaped; the other columns are numbers, times and actions."""
        row[0], row[2], row[9], row[10] = escape_cell(row[0]), escape_cell(row[2]), _cell(row[9]), _cell(row[10])
        self._writer.writerow(row)

    def close(self) -> None:
        self._handle.close()


# ---------------------------------------------------------------- the whole run


def load_candidate(path: Path) -> Settings:
    """The candidate settings, validated exactly as the functions validate the parameter."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BacktestError(f"candidate: {error}") from None
    return parse_settings(text)


def stream_partitions(source: Source, plan_: Plan) -> Iterator[tuple[datetime, Iterator[bytes]]]:
    """(hour, lines) per partition, each object opened only when its lines are wanted."""
    for hour, objects in plan_.partitions:
        yield hour, (line for obj in objects for line in gzip_lines(source.open(obj.key)))


def missing_settings_versions(source: Source, versions: Iterable[str]) -> tuple[str, ...]:
    """The live versions without ``settings/<version>.json`` in the source (one existence check each)."""
    return tuple(
        version for version in sorted(versions) if version != "unknown" and not source.exists(history_key(version))
    )


@dataclass(frozen=True)
class Result:
    tally: Tally | None
    info: RunInfo | None
    archived_message: str | None = None
    restore_commands: tuple[str, ...] = ()


def run(
    source: Source,
    days: DateRange,
    candidate: Settings,
    out: Path,
    *,
    candidate_path: str,
    labels: Mapping[str, str] | None = None,
    labels_path: str | None = None,
    clock: Callable[[], float] | None = None,
) -> Result:
    """Plan, refuse archived ranges (writing ``restore.sh`` to ``out``), else read the range's labels from the
    trail (merged with ``labels``, the file's), stream, tally, check the settings history and report."""
    import time

    now = clock or time.perf_counter
    plan_ = plan(source, days, candidate.velocity_window_seconds)
    if plan_.archived:
        commands = tuple(source.restore_commands(obj for _, objects in plan_.archived for obj in objects))
        out.mkdir(parents=True, exist_ok=True)
        (out / "restore.sh").write_text("#!/bin/sh\nset -e\n" + "".join(f"{c}\n" for c in commands))
        return Result(None, None, archive_message(plan_, source), commands)
    trail, label_objects, unreadable = read_trail_labels(source, days)
    origin = merge_labels(trail, labels, trail_objects=label_objects, unreadable=unreadable)
    labels = origin.labels
    started = now()
    stats = ReadStats()
    changed = ChangedWriter(out / "changed.csv")
    collecting = gc.isenabled()
    gc.disable()  # decoded lines hold no cycles: reference counting frees them (~10% faster without GC passes)
    try:
        tally = backtest(ordered_lines(stream_partitions(source, plan_), stats), days, candidate, labels, changed)
    finally:
        changed.close()
        if collecting:
            gc.enable()
    seconds = now() - started
    info = RunInfo(
        source=source.describe(),
        candidate_path=candidate_path,
        days=days,
        objects=plan_.objects,
        compressed_bytes=plan_.compressed_bytes,
        stats=stats,
        seconds=seconds,
        labels_path=labels_path,
        label_origin=origin,
        missing_settings=missing_settings_versions(source, tally.live_versions),
    )
    write_report(out, tally, info)
    return Result(tally, info)
