"""A bounded load run against the local stage or a deployment: ``cli load``.

``events`` signed deliveries from ``senders`` concurrent senders, a share of them exact
duplicates of earlier deliveries (same bytes, same signature: what a retrying sender sends). It
stops by itself after the last delivery, then checks what a payment company cares about:

- no 5xx;
- every duplicate got the same answer as its original;
- every accepted event has exactly one item, and exactly one audit line once deduplicated by
  transaction id (the reader contract; raw lines may repeat after a stream replay);

and prints events/s and p50/p99 latency. On the local stage these are emulator figures, for
trend only (moto and in-process handlers, not AWS).
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from fraud_ops import samples

Deliver = Callable[[bytes, dict[str, str]], tuple[int, str]]


@dataclass(frozen=True)
class Delivery:
    transaction_id: str
    body: bytes
    headers: dict[str, str]
    duplicate_of: int | None = None


@dataclass
class LoadResult:
    statuses: list[int] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def events_per_second(self) -> float:
        return len(self.statuses) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def plan(
    secret: str, api_key: str | None, run_id: str, events: int, duplicate_share: float, seed: int = 7
) -> list[Delivery]:
    """Originals first, then duplicates of random originals (a retry comes after the first try)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    duplicates = int(events * duplicate_share)
    originals: list[Delivery] = []
    now = int(time.time())
    for index in range(events - duplicates):
        document = samples.transaction(
            run_id, f"{index:05d}", amount=rng.choice([12, 250, 1800, 6200, 11000]), country=rng.choice(["US", "FR"])
        )
        body = samples.encode(document)
        originals.append(
            Delivery(str(document["transaction_id"]), body, samples.signed_headers(secret, body, now, api_key))
        )
    repeats = [
        Delivery(originals[i].transaction_id, originals[i].body, originals[i].headers, duplicate_of=i)
        for i in (rng.randrange(len(originals)) for _ in range(duplicates))
    ]
    return originals + repeats


def run(deliver: Deliver, deliveries: list[Delivery], senders: int) -> LoadResult:
    result = LoadResult(
        statuses=[0] * len(deliveries), answers=[""] * len(deliveries), latencies=[0.0] * len(deliveries)
    )

    def send(index: int) -> None:
        delivery = deliveries[index]
        started = time.perf_counter()
        status, body = deliver(delivery.body, dict(delivery.headers))
        result.latencies[index] = time.perf_counter() - started
        result.statuses[index] = status
        result.answers[index] = body

    originals = [i for i, d in enumerate(deliveries) if d.duplicate_of is None]
    repeats = [i for i, d in enumerate(deliveries) if d.duplicate_of is not None]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=senders) as pool:
        list(pool.map(send, originals))
        list(pool.map(send, repeats))
    result.seconds = time.perf_counter() - started
    return result


def decision(body: str) -> tuple[Any, Any]:
    try:
        document = json.loads(body)
    except json.JSONDecodeError:
        return (None, None)
    return (document.get("action"), document.get("risk_score"))


def verify(
    deliveries: list[Delivery],
    result: LoadResult,
    item_exists: Callable[[str], bool],
    audit_lines: Callable[[set[str], float], list[tuple[str, dict[str, Any]]]],
    wait_seconds: float,
) -> list[str]:
    """Every violation of the guarantees, as sentences (empty when all hold)."""
    problems: list[str] = []
    server_errors = sum(status >= 500 for status in result.statuses)
    if server_errors:
        problems.append(f"{server_errors} 5xx answers")
    for index, delivery in enumerate(deliveries):
        original = delivery.duplicate_of
        if original is not None and decision(result.answers[index]) != decision(result.answers[original]):
            problems.append(f"duplicate of {delivery.transaction_id} answered differently")
    accepted = {d.transaction_id for i, d in enumerate(deliveries) if result.statuses[i] == 200}
    missing_items = sorted(t for t in accepted if not item_exists(t))
    if missing_items:
        problems.append(f"{len(missing_items)} accepted events without an item")
    lines = audit_lines(accepted, wait_seconds)
    per_transaction: dict[str, int] = {}
    for _, line in lines:
        per_transaction[line["transaction_id"]] = per_transaction.get(line["transaction_id"], 0) + 1
    not_one = sorted(t for t in accepted if per_transaction.get(t) != 1)
    if not_one:
        problems.append(f"{len(not_one)} accepted events without exactly one (deduplicated) audit line")
    return problems


def summary(result: LoadResult) -> str:
    p50, p99 = result.percentile(0.50), result.percentile(0.99)
    mean = statistics.fmean(result.latencies) if result.latencies else 0.0
    return (
        f"{len(result.statuses)} deliveries in {result.seconds:.1f} s: {result.events_per_second:.1f} events/s, "
        f"latency p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, mean {mean * 1000:.0f} ms (emulator figures)"
    )
