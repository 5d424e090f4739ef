"""Smoke test of a deployed environment (or the local stage): ``make smoke`` / ``cli smoke``.

One line per check, exit 1 on any failure. Its traffic is marked (``fraud_detection.smoke``):
transaction ids start with ``smoke-``, so its block alert carries the ``smoke`` attribute (the
e-mail subscription filters it out: on-call is not paged) and analyses and reports leave it out.

Checks, in order:

1. ``decisions``: signed approve, review and block deliveries get those decisions;
2. ``items``: each has its item in the pattern table, with the same decision;
3. ``audit``: each has its audit line (deduplicated by transaction id) within ``wait`` seconds;
4. ``alert``: the block reaches a temporary SQS subscription of the alert topic (created for the
   run and removed after it, whatever happens), marked ``smoke=true``;
5. ``batch``: a batch run over the current window succeeds and its analysis saw the smoke events
   (``smoke_transactions``) without listing them;
6. ``dlq``: no new message appeared in the DLQ during the run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fraud_detection.contract import NAME_PREFIX, PARTITION_KEY, SMOKE_ATTRIBUTE, SMOKE_PREFIX, WINDOW_SCHEDULE
from fraud_detection.keys import pattern_pk, window_start
from fraud_detection.window_analysis import iso_z
from fraud_ops.alert_queues import remove_subscription, subscribe_queue

EXPECTED_ACTIONS = ("approve", "review", "block")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name:<9} {self.detail}"


@contextmanager
def alert_subscription(sqs: Any, sns: Any, topic_arn: str, run_id: str) -> Iterator[str]:
    """A queue subscribed to the topic for this run only; removed on exit."""
    subscription = subscribe_queue(sqs, sns, topic_arn, f"{NAME_PREFIX}-{SMOKE_PREFIX}{run_id}")
    try:
        yield subscription.queue_url
    finally:
        remove_subscription(sqs, sns, subscription)


def dlq_depth(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def wait_for_alert(sqs: Any, url: str, transaction_id: str, wait_seconds: float) -> dict[str, Any] | None:
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        for message in sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        ).get("Messages", []):
            if json.loads(message["Body"]).get("transaction_id") == transaction_id:
                return message
    return None


@dataclass(frozen=True)
class SmokeEnvironment:
    """What the smoke test talks to (a ``fraud_ops.targets.Target`` provides all of it)."""

    client: Callable[[str], Any]
    outputs: Callable[[str], Any]
    deliver: Callable[[bytes, dict[str, str]], tuple[int, str]]
    signing_secret: str
    api_key: str | None
    audit_lines: Callable[[set[str], float], list[tuple[str, dict[str, Any]]]]
    run_batch: Callable[[dict[str, Any]], tuple[bool, str]]


def run(env: SmokeEnvironment, *, run_id: str, wait_seconds: float, say: Callable[[str], None] = print) -> bool:
    """Every check, one line each; ``True`` when all passed."""
    from fraud_ops import samples

    sqs, sns = env.client("sqs"), env.client("sns")
    dlq_url = str(env.outputs("dlq_url"))
    checks: list[Check] = []

    def record(check: Check) -> None:
        checks.append(check)
        say(check.line())

    before = dlq_depth(sqs, dlq_url)
    sample_set = samples.build_samples(env.signing_secret, int(time.time()), run_id, env.api_key, prefix=SMOKE_PREFIX)
    wanted = [r for r in sample_set.requests if r.expected_action in EXPECTED_ACTIONS and r.name in EXPECTED_ACTIONS]
    ids = {r.expected_action: str(r.transaction_id) for r in wanted}
    with alert_subscription(sqs, sns, str(env.outputs("topic_arn")), run_id) as inbox:
        answers = {r.expected_action: env.deliver(r.body, dict(r.headers)) for r in wanted}
        decided = {
            action: json.loads(body).get("action") if status == 200 else status
            for action, (status, body) in answers.items()
        }
        record(Check("decisions", decided == {a: a for a in EXPECTED_ACTIONS}, json.dumps(decided, sort_keys=True)))

        table, dynamodb = str(env.outputs("table_name")), env.client("dynamodb")
        stored: dict[str, str | None] = {}
        windows: set[str] = set()
        for action, transaction_id in ids.items():
            key = {PARTITION_KEY: {"S": pattern_pk(transaction_id)}}
            item = dynamodb.get_item(TableName=table, Key=key).get("Item")
            stored[action] = item["action"]["S"] if item else None
            if item and "window_start" in item:
                windows.add(item["window_start"]["S"])
        record(Check("items", stored == {a: a for a in EXPECTED_ACTIONS}, json.dumps(stored, sort_keys=True)))

        lines = env.audit_lines(set(ids.values()), wait_seconds)
        audited = {line["transaction_id"] for _, line in lines}
        record(Check("audit", audited == set(ids.values()), f"{len(audited)}/3 lines within {wait_seconds:.0f} s"))

        message = wait_for_alert(sqs, inbox, ids["block"], wait_seconds)
        marked = (
            bool(message) and message.get("MessageAttributes", {}).get(SMOKE_ATTRIBUTE, {}).get("StringValue") == "true"
        )
        record(Check("alert", marked, "block alert received, marked smoke" if marked else "no marked block alert"))

    # the windows the items were filed under (the batch analyses closed or open windows alike)
    seen, listed, failures = 0, False, []
    for start in sorted(windows) or [iso_z(window_start(datetime.now(UTC)))]:
        ok, detail = env.run_batch({"job": WINDOW_SCHEDULE.job, "window_start": start})
        if not ok:
            failures.append(f"{start}: {detail}")
            continue
        key = json.loads(detail).get("analysis_key")
        analysis = json.loads(env.client("s3").get_object(Bucket=env.outputs("bucket_name"), Key=key)["Body"].read())
        seen += int(analysis.get("smoke_transactions", 0))
        listed = listed or SMOKE_PREFIX in json.dumps(analysis)
    covered = not failures and seen >= len(ids) and not listed
    record(
        Check(
            "batch",
            covered,
            "; ".join(failures)
            or f"{len(windows)} window(s): saw {seen} smoke events, listed {'some' if listed else 'none'}",
        )
    )

    after = dlq_depth(sqs, dlq_url)
    record(Check("dlq", after <= before, f"{before} -> {after} messages"))
    failed = [check.name for check in checks if not check.ok]
    say(f"smoke run {run_id}: " + (f"all {len(checks)} checks ok" if not failed else f"FAILED {', '.join(failed)}"))
    return not failed
