"""Labels: what happened to a transaction afterwards (pure: no AWS calls; docs/labels.md).

A label is ``{transaction_id, label: fraud | legitimate, source: analyst | chargeback | customer,
occurred_at}``, posted to ``POST /labels`` by a labeller (never by a sender of transactions: its own API
key and signing-key set). Each accepted label is one object in the audit bucket, never rewritten
(:func:`label_key`); the history is every object. Which label counts (:func:`effective_labels`):

1. per source, the label with the latest ``occurred_at`` (a later one supersedes an earlier one);
2. across sources, the first source in ``contract.LABEL_SOURCES`` that labelled the transaction
   (an analyst's verdict over a chargeback's, a chargeback's over the customer's report).

The handler (``handlers.labels``), the operator CLI (``fraud_ops.cli label``) and the backtest
(``fraud_ops.backtest``) share this module, so the key layout and the precedence are written once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec

from fraud_detection.contract import LABEL_SOURCES, LABELS_PREFIX
from fraud_detection.models import ID_PATTERN
from fraud_detection.validation import Invalid, Schema

LabelValue = Literal["fraud", "legitimate"]
LabelSource = Literal["analyst", "chargeback", "customer"]
OCCURRED_AT_KEY_FORMAT = "%Y%m%dT%H%M%S%fZ"


class LabelIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One label as a labeller sends it (unknown keys rejected); build it with ``parse_label``."""

    transaction_id: Annotated[str, msgspec.Meta(pattern=ID_PATTERN)]
    label: LabelValue
    source: LabelSource
    occurred_at: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


def parse_instant(value: str) -> datetime:
    """An ISO 8601 instant with a time zone (``Z`` or an offset), as UTC; ``Invalid`` otherwise."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid("datetime_parsing") from None
    if moment.tzinfo is None:
        raise Invalid("timezone_missing")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00: the UTC instant is before year 1
        raise Invalid("datetime_parsing") from None


def _instant(value: str) -> str:
    """``occurred_at`` normalised to UTC with microseconds, so equal instants compare and key equally."""
    return iso_utc(parse_instant(value))


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


SCHEMA: Schema[LabelIn] = Schema(LabelIn, after={"occurred_at": (_instant,)}, document_name="<body>")


def parse_label(document: Any) -> LabelIn:
    """A validated label (``occurred_at`` in UTC, ``...Z``), or ``InvalidDocument`` naming every field."""
    return SCHEMA.validate(document)


def transaction_prefix(transaction_id: str, transaction_received_at: datetime) -> str:
    """``labels/dt=<transaction's received date>/<transaction_id>/``: every label of one transaction."""
    return f"{day_prefix(f'{transaction_received_at.astimezone(UTC):%Y-%m-%d}')}{transaction_id}/"


def label_key(transaction_id: str, transaction_received_at: datetime, source: str, occurred_at: datetime) -> str:
    """``labels/dt=<transaction's received date>/<transaction_id>/<source>/<occurred_at>.json``."""
    stamp = occurred_at.astimezone(UTC).strftime(OCCURRED_AT_KEY_FORMAT)
    return f"{transaction_prefix(transaction_id, transaction_received_at)}{source}/{stamp}.json"


def day_prefix(day: str) -> str:
    """Every label of the transactions received on ``day`` (``YYYY-MM-DD``)."""
    return f"{LABELS_PREFIX}dt={day}/"


def label_document(
    label: LabelIn, *, transaction_received_at: str, recorded_at: datetime, request_id: str
) -> dict[str, Any]:
    """The object written for one accepted label (the history's unit)."""
    return {
        "transaction_id": label.transaction_id,
        "label": label.label,
        "source": label.source,
        "occurred_at": label.occurred_at,
        "recorded_at": iso_utc(recorded_at),
        "request_id": request_id,
        "transaction_received_at": transaction_received_at,
    }


def same_label(stored: Mapping[str, Any], label: LabelIn) -> bool:
    """Whether a stored label object says what ``label`` says (a retried POST is then a duplicate)."""
    return all(
        stored.get(name) == getattr(label, name) for name in ("transaction_id", "label", "source", "occurred_at")
    )


def label_entry(document: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """``(transaction_id, source, occurred_at in UTC, label)`` of a stored label object; ``KeyError`` or
    ``ValueError`` when it lacks a field or its ``occurred_at`` is not an instant."""
    return (
        str(document["transaction_id"]),
        str(document["source"]),
        _instant(str(document["occurred_at"])),
        str(document["label"]),
    )


def effective_labels(documents: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """``{transaction_id: label}`` from label objects in any order: per source the latest ``occurred_at``,
    across sources the first of ``LABEL_SOURCES``. Ties on ``occurred_at`` cannot happen (one key per source
    and instant; the handler refuses a second, different label for the same instant)."""
    latest: dict[tuple[str, str], tuple[str, str]] = {}
    for document in documents:
        transaction_id, source, occurred, label = label_entry(document)
        key = (transaction_id, source)
        if key not in latest or occurred > latest[key][0]:
            latest[key] = (occurred, label)
    rank = {source: position for position, source in enumerate(LABEL_SOURCES)}
    chosen: dict[str, tuple[int, str]] = {}
    for (transaction_id, source), (_, value) in latest.items():
        position = rank.get(source, len(rank))
        if transaction_id not in chosen or position < chosen[transaction_id][0]:
            chosen[transaction_id] = (position, value)
    return {transaction_id: value for transaction_id, (_, value) in chosen.items()}
