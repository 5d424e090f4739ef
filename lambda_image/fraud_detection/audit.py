"""Audit objects built from the pattern table's stream (pure: no AWS calls).

One stream batch (decoded by Powertools' data classes) becomes one gzip JSONL object. The key is
derived from the batch itself (first/last sequence number, hour of the first record's ``received_at``), never from the
clock, so a replayed batch rewrites the same key with the same bytes. Lines are built from an
allow-list of attributes: anything else on the item (``pattern_data``, a stray card field)
is never copied.

A replay with *other* batch boundaries (the mapping reads from ``TRIM_HORIZON``, so a recreated
mapping replays up to 24 h of the stream; a bisected retry splits a batch) writes the same lines
into other objects. Readers therefore never count raw lines: :func:`read_audit_lines` yields each
transaction once (docs/contract.md, "Audit trail").
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent

from fraud_detection.alerts import Alert, block_alert
from fraud_detection.contract import AUDIT_PREFIX, PARTITION_KEY, TRANSACTION_KEY_PREFIX
from fraud_detection.decision_record import RECORD_ATTRIBUTE
from fraud_detection.jsonutil import canonical_dumps, plain
from fraud_detection.redaction import redact_pan
from fraud_detection.settings import Settings
from fraud_detection.shadow import SHADOW_ATTRIBUTE, extra_block_samples, shadow_outcome

AUDIT_FIELDS: tuple[str, ...] = (
    "transaction_id",
    "pattern_id",
    "request_id",
    "source_ip",
    "received_at",
    "action",
    "risk_score",
    "reasons",
    "amount",
    "currency",
    "merchant",
    "country",
    "customer_id",
    RECORD_ATTRIBUTE,
)
"""``decision_record`` (docs/contract.md, "Decision record") is copied whole: it was built from an allow-list
of inputs (a card appears only as its keyed fingerprint), and its merchant values are masked again here."""
_FREE_TEXT_FIELDS = frozenset({"merchant", "reasons"})
_MERCHANT_RULES = frozenset({"blocked_merchant", "allowed_merchant"})
ALERT_OMITS = frozenset({RECORD_ATTRIBUTE, SHADOW_ATTRIBUTE})
"""Left out of block alerts: the e-mail carries the live decision, not the replay inputs or the shadow's."""


class MalformedRecordError(ValueError):
    """A pattern INSERT without the attributes the audit needs; raised, never skipped."""


@dataclass(frozen=True)
class StreamChange:
    event_name: str
    sequence_number: str
    new_image: Mapping[str, Any]


@dataclass(frozen=True)
class AuditBatch:
    key: str
    body: bytes
    line_count: int
    alerts: tuple[Alert, ...]
    settings_versions: tuple[str, ...] = ()
    """The live settings versions the batch's decision records were made under, in first-seen order."""
    shadow_samples: tuple[int, ...] = ()
    """One per line decided under the shadow settings: 100 when the shadow blocks and live does not, else 0."""


def changes_from_event(event: dict[str, Any]) -> list[StreamChange]:
    """A DynamoDB stream event, decoded by Powertools' ``DynamoDBStreamEvent``, in record order."""
    if not event.get("Records"):
        return []
    changes = []
    for record in DynamoDBStreamEvent(event).records:
        stream_record = record.dynamodb
        changes.append(
            StreamChange(
                event_name=record.event_name.name if record.event_name else "",
                sequence_number=(stream_record.sequence_number if stream_record else None) or "",
                new_image=stream_record.new_image if stream_record else {},
            )
        )
    return changes


def is_pattern_insert(change: StreamChange) -> bool:
    """Only new pattern items are audited; TTL removals and other item types are not."""
    pk = change.new_image.get(PARTITION_KEY)
    return change.event_name == "INSERT" and isinstance(pk, str) and pk.startswith(TRANSACTION_KEY_PREFIX)


def _masked(name: str, value: Any) -> Any:
    if name == RECORD_ATTRIBUTE and isinstance(value, dict):
        return _masked_record(value)
    if name not in _FREE_TEXT_FIELDS:
        return value
    if isinstance(value, str):
        return redact_pan(value)
    if isinstance(value, list):
        return [redact_pan(item) if isinstance(item, str) else item for item in value]
    return value


def _masked_record(record: dict[str, Any]) -> dict[str, Any]:
    """The record's free text is the merchant (an input and a list rule's value); fingerprints are hex and
    are never passed through the card-number mask (a digit run in one is not a card)."""
    masked = dict(record)
    if isinstance(masked.get("merchant"), str):
        masked["merchant"] = redact_pan(masked["merchant"])
    rules = masked.get("rules")
    if isinstance(rules, list):
        masked["rules"] = [
            {**rule, "value": redact_pan(rule["value"])}
            if isinstance(rule, dict) and rule.get("code") in _MERCHANT_RULES and isinstance(rule.get("value"), str)
            else rule
            for rule in rules
        ]
    return masked


def audit_line(image: Mapping[str, Any]) -> dict[str, Any]:
    """The masked audit record of one pattern: allow-listed attributes only."""
    missing = [name for name in ("transaction_id", "received_at", "action") if not image.get(name)]
    if missing:
        raise MalformedRecordError(f"pattern item lacks {', '.join(missing)}")
    line = {name: _masked(name, plain(image[name])) for name in AUDIT_FIELDS if name in image}
    return line


def parse_received_at(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise MalformedRecordError(f"received_at has no timezone: {value!r}")
    return moment.astimezone(UTC)


def audit_day_prefix(day: date) -> str:
    """``audit/dt=YYYY-MM-DD/``: every audit object whose first record was received on ``day`` (UTC)."""
    return f"{AUDIT_PREFIX}dt={day:%Y-%m-%d}/"


def audit_hour_prefix(hour: datetime) -> str:
    """``audit/dt=YYYY-MM-DD/hour=HH/``: the partition of ``hour`` (UTC), the unit a backtest lists."""
    return f"{audit_day_prefix(hour)}hour={hour:%H}/"


def audit_key(first_sequence: str, last_sequence: str, received_at: datetime) -> str:
    """``audit/dt=YYYY-MM-DD/hour=HH/<first seq>-<last seq>.jsonl.gz``."""
    return f"{audit_hour_prefix(received_at)}{first_sequence}-{last_sequence}.jsonl.gz"


def encode_jsonl_gz(lines: Iterable[Mapping[str, Any]]) -> bytes:
    """Deterministic gzip (mtime 0, no file name): same lines, same bytes."""
    text = "".join(canonical_dumps(line) + "\n" for line in lines)
    return gzip.compress(text.encode("utf-8"), mtime=0)


def build_audit_batch(changes: Sequence[StreamChange], shadow: Settings | None = None) -> AuditBatch | None:
    """Audit object and block alerts for one batch; ``None`` when nothing is auditable. With ``shadow``
    settings, each line with a decision record also gets the shadow outcome (``fraud_detection.shadow``)."""
    audited = [change for change in changes if is_pattern_insert(change)]
    if not audited:
        return None
    if not all(change.sequence_number for change in audited):
        raise MalformedRecordError("stream record without a sequence number")
    lines = [audit_line(change.new_image) for change in audited]
    if shadow is not None:
        for line in lines:
            outcome = shadow_outcome(line, shadow)
            if outcome is not None:
                line[SHADOW_ATTRIBUTE] = outcome
    versions = dict.fromkeys(
        str(line[RECORD_ATTRIBUTE]["settings_version"])
        for line in lines
        if isinstance(line.get(RECORD_ATTRIBUTE), dict) and line[RECORD_ATTRIBUTE].get("settings_version")
    )
    first_received = parse_received_at(str(lines[0]["received_at"]))
    key = audit_key(audited[0].sequence_number, audited[-1].sequence_number, first_received)
    alerts = tuple(
        block_alert({name: value for name, value in line.items() if name not in ALERT_OMITS})
        for line in lines
        if line["action"] == "block"
    )
    return AuditBatch(
        key=key,
        body=encode_jsonl_gz(lines),
        line_count=len(lines),
        alerts=alerts,
        settings_versions=tuple(versions),
        shadow_samples=tuple(extra_block_samples(lines)),
    )


def decode_jsonl_gz(body: bytes) -> list[dict[str, Any]]:
    """The lines of one audit object."""
    return [json.loads(text) for text in gzip.decompress(body).decode("utf-8").splitlines() if text]


def dedupe_by_transaction(lines: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Each transaction once, in first-seen order: every line of one transaction is built from the
    same table item (its insert is the only audited change), so any copy is the line."""
    seen: set[str] = set()
    for line in lines:
        transaction_id = str(line["transaction_id"])
        if transaction_id not in seen:
            seen.add(transaction_id)
            yield line


def read_audit_lines(bodies: Iterable[bytes]) -> Iterator[Mapping[str, Any]]:
    """The one way to read the audit trail: objects' lines, deduplicated by transaction id."""
    return dedupe_by_transaction(line for body in bodies for line in decode_jsonl_gz(body))
