"""The backtest (fraud_ops/backtest.py, docs/backtest.md): a candidate refused before anything is read,
archived ranges named with their restore commands, de-duplicated and smoke-free streaming, the live vs
candidate matrix and rule hits on a hand-computed fixture, velocity recounted from the timeline, labelled
precision / recall / value-weighted catch rate, and the report files.

The fixture's lines are built by the image's own code (scoring, decision record, audit line), as the
stream consumer would write them; moto runs in process."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest

from fraud_detection import audit, decision_record
from fraud_detection.pattern import iso_utc
from fraud_detection.scoring import Signals, score
from fraud_detection.settings import Settings, parse_settings, settings_version
from fraud_ops import backtest, cli
from tests.support.aws import REGION, moto_client

pytestmark = pytest.mark.unit

DAY = date(2026, 11, 3)
DAYS = backtest.DateRange(DAY, DAY)
LIVE = Settings()
BUCKET = "fraud-audit-dev-123456789012-us-east-1"
# Stricter: lower thresholds, one high-risk country (hand-computed outcomes below).
STRICT = {"review_threshold": 30, "block_threshold": 60, "high_risk_countries": ["RU"]}
# Velocity: a wider window, smaller limits, and a threshold at which one velocity hit blocks.
VELOCITY = {
    "review_threshold": 20,
    "block_threshold": 30,
    "velocity_window_seconds": 600,
    "velocity_customer_max": 2,
    "velocity_card_max": 1,
}
CARD = "ab" * 16


def at(hour: int, minute: int = 0, second: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def line(
    transaction_id: str,
    moment: datetime,
    amount: str,
    *,
    customer: str | None = None,
    country: str = "US",
    card: str | None = None,
    checksum: bool | None = None,
    upstream: str | None = None,
    customer_recent: int = 0,
    card_recent: int | None = None,
    settings: Settings = LIVE,
) -> dict[str, Any]:
    """The audit line the stream consumer writes for a decision the live webhook made (its stored velocity
    counts are the live window's, passed in)."""
    signals = Signals(
        amount=Decimal(amount),
        merchant="Corner Shop",
        country=country,
        received_at=moment,
        customer_recent=customer_recent,
        card_recent=(card_recent or 0) if card else None,
        card_checksum_ok=checksum,
        upstream_risk_score=None if upstream is None else Decimal(upstream),
        customer_id=customer or f"cust-{transaction_id}",
        card_fingerprint=card,
    )
    decision = score(signals, settings)
    item = {
        "transaction_id": transaction_id,
        "pattern_id": f"p-{transaction_id}",
        "request_id": f"r-{transaction_id}",
        "source_ip": "203.0.113.7",
        "received_at": iso_utc(moment),
        "action": decision.action,
        "risk_score": decision.risk_score,
        "reasons": list(decision.reasons),
        "amount": Decimal(amount),
        "currency": "USD",
        "merchant": "Corner Shop",
        "country": country,
        "customer_id": signals.customer_id,
        decision_record.RECORD_ATTRIBUTE: decision_record.build(signals, decision, settings_version(settings), "USD"),
    }
    return audit.audit_line(item)


def objects(batches: Iterable[tuple[str, list[dict[str, Any]]]]) -> dict[str, bytes]:
    """Audit objects as the stream consumer keys them: (first-last sequence, lines) per batch."""
    found = {}
    for sequences, lines in batches:
        first, last = sequences.split("-")
        moment = audit.parse_received_at(lines[0]["received_at"])
        found[audit.audit_key(first, last, moment)] = audit.encode_jsonl_gz(lines)
    return found


def to_dir(root: Path, bodies: Mapping[str, bytes]) -> Path:
    for key, body in bodies.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return root


def to_bucket(bodies: Mapping[str, bytes], storage_class: str = "STANDARD") -> None:
    s3 = moto_client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for key, body in bodies.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body, StorageClass=storage_class)


def candidate_file(tmp_path: Path, document: Mapping[str, Any], name: str = "candidate.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def run_dir(root: Path, settings: Mapping[str, Any], out: Path, labels: Mapping[str, str] | None = None):
    return backtest.run(
        backtest.DirSource(root),
        DAYS,
        parse_settings(json.dumps(settings)),
        out,
        candidate_path="candidate.json",
        labels=labels,
        labels_path="labels.jsonl" if labels else None,
    )


# ---------------------------------------------------------------- the hand-computed fixture


def strict_fixture() -> dict[str, bytes]:
    """Nine transactions, one duplicated in another partition, one smoke transaction.

    live (defaults: review 50, block 80) -> candidate (STRICT: review 30, block 60, RU high risk):
    t1   42.50 US                        0 approve -> 0 approve
    t2   1500 US      high_amount_1000  20 approve -> 20 approve
    t3   6000 DE      5000 + intl       45 approve -> 45 review
    t4   200 RU       intl              10 approve -> 10 + high_risk_country 30 = 40 review
    t5   12000 RU     10000 + intl      60 review  -> 50 + 30 + 10 = 90 block
    t6   3 US         small_round       25 approve -> 25 approve
    t7   5500 BR      upstream 85       85 block   -> 85 block
    t8   7000 FR      5000+intl+luhn    65 review  -> 65 block
    t9   100 US       upstream 55       55 review  -> 55 review
    """
    t = {
        "t1": line("t1", at(12, 1), "42.50"),
        "t2": line("t2", at(12, 2), "1500"),
        "t3": line("t3", at(12, 3), "6000", country="DE"),
        "t4": line("t4", at(12, 4), "200", country="RU"),
        "t5": line("t5", at(12, 5), "12000", country="RU"),
        "t6": line("t6", at(12, 6), "3"),
        "t7": line("t7", at(12, 7), "5500", country="BR", upstream="85"),
        "t8": line("t8", at(12, 8), "7000", country="FR", card=CARD, checksum=False),
        "t9": line("t9", at(13, 1), "100", upstream="55"),
        "smoke": line("smoke-20261103", at(12, 30), "12000", country="RU"),
    }
    return objects(
        [
            ("0100-0104", [t["t1"], t["t2"], t["t3"], t["t4"], t["t5"]]),
            ("0105-0108", [t["t6"], t["t7"], t["t8"], t["smoke"]]),
            # a replayed batch with other boundaries: t3 and t9 again, keyed under hour 13 (its first line)
            ("0200-0201", [t["t9"], t["t3"]]),
            ("0200-0200", [t["t9"]]),
        ]
    )


LABELS = {
    "t3": "fraud",
    "t5": "fraud",
    "t8": "fraud",
    "t1": "legitimate",
    "t7": "legitimate",
    "t9": "legitimate",
    "not-in-range": "fraud",
}


def test_the_matrix_and_rule_hits_match_the_hand_computed_fixture(tmp_path: Path) -> None:
    result = run_dir(to_dir(tmp_path / "copy", strict_fixture()), STRICT, tmp_path / "out")
    tally = result.tally
    assert tally is not None and result.info is not None
    assert tally.transactions == 9
    assert dict(tally.matrix) == {
        ("approve", "approve"): 3,
        ("approve", "review"): 2,
        ("review", "block"): 2,
        ("review", "review"): 1,
        ("block", "block"): 1,
    }
    common = {
        "high_amount_1000": 1,
        "high_amount_5000": 3,
        "high_amount_10000": 1,
        "international": 5,
        "small_round_amount": 1,
        "upstream_risk_score": 2,
        "card_checksum_invalid": 1,
    }
    assert dict(tally.live_rules) == common
    assert dict(tally.candidate_rules) == common | {"high_risk_country": 2}
    assert (result.info.stats.duplicates, tally.smoke, tally.not_replayable) == (2, 1, 0)
    assert tally.live_versions == {settings_version(LIVE): 9}
    assert tally.candidate_version == settings_version(parse_settings(json.dumps(STRICT)))


def test_labels_give_precision_recall_and_value_weighted_catch_rate_for_both(tmp_path: Path) -> None:
    """Frauds t3 (6000), t5 (12000), t8 (7000); legitimate t1, t7, t9; one label outside the range.
    block: live blocks t7 only; the candidate t5, t7, t8. review_or_block: live t5, t7, t8, t9; the
    candidate t3, t4, t5, t7, t8, t9 (t4 unlabelled)."""
    tally = run_dir(to_dir(tmp_path / "copy", strict_fixture()), STRICT, tmp_path / "out", LABELS).tally
    assert tally is not None
    assert (tally.labels_given, tally.labelled) == (7, 6)
    figures = {
        key: (outcome.precision, outcome.recall, outcome.value_catch_rate) for key, outcome in tally.outcomes.items()
    }
    assert figures["live", "block"] == (0.0, 0.0, 0.0)
    assert figures["candidate", "block"] == pytest.approx((2 / 3, 2 / 3, 19000 / 25000))
    assert figures["live", "review_or_block"] == pytest.approx((0.5, 2 / 3, 19000 / 25000))
    assert figures["candidate", "review_or_block"] == pytest.approx((0.6, 1.0, 1.0))


def test_the_report_is_markdown_and_csv(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_dir(to_dir(tmp_path / "copy", strict_fixture()), STRICT, out, LABELS)
    matrix = list(csv.reader((out / "matrix.csv").open(newline="")))
    assert matrix[0] == ["live \\ candidate", "approve", "review", "block", "total"]
    assert matrix[1:] == [
        ["approve", "3", "2", "0", "5"],
        ["review", "0", "1", "2", "3"],
        ["block", "0", "0", "1", "1"],
        ["total", "3", "3", "3", "9"],
    ]
    rules = {row[0]: row[1:] for row in csv.reader((out / "rules.csv").open(newline=""))}
    assert rules["high_risk_country"] == ["0", "2", "+2"]
    metrics = {(row[0], row[1]): row[2:] for row in csv.reader((out / "metrics.csv").open(newline=""))}
    assert metrics["block", "recall"] == ["0.0000", "0.6667"]
    assert metrics["block", "value_catch_rate"] == ["0.0000", "0.7600"]
    changed = list(csv.DictReader((out / "changed.csv").open(newline="")))
    assert sorted(row["transaction_id"] for row in changed) == ["t3", "t4", "t5", "t8"]
    t5 = next(row for row in changed if row["transaction_id"] == "t5")
    assert (t5["live_action"], t5["candidate_action"], t5["candidate_score"], t5["label"]) == (
        "review",
        "block",
        "90",
        "fraud",
    )
    summary = (out / "summary.md").read_text()
    assert "| approve | 3 | 2 | 0 | 5 |" in summary
    assert "2 duplicate line(s), 1 smoke transaction(s)" in summary
    assert "| block | recall | 0.0000 | 0.6667 |" in summary


def test_without_labels_the_report_says_so(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_dir(to_dir(tmp_path / "copy", strict_fixture()), STRICT, out)
    assert "No labels: none in the audit trail" in (out / "summary.md").read_text()
    assert list(csv.reader((out / "metrics.csv").open(newline=""))) == [["caught_when", "metric", "live", "candidate"]]


# ---------------------------------------------------------------- velocity


def velocity_fixture() -> dict[str, bytes]:
    """Stored counts are the live window's (300 s); the candidate (600 s, customer max 2, card max 1,
    block at 30) must recount them.

    c8: 23:55 and 23:58 the day before (lead-in only), then 00:01 (+ night_time 10): live stored 1
        (23:58); recounted in 600 s: 2 -> customer_velocity 30 + 10 = 40 -> block.
    c9: 10:00, 10:04, 10:08, 10:09: live stored 0, 1, 1, 2; recounted 0, 1, 2, 3 -> 10:08 and 10:09
        fire (copying the stored counts would fire only at 10:09).
    card: 15:00 (cust a), 15:02 (cust b): recounted 0, 1 -> card_velocity 40 on the second.
    The 10:09 line sits in an object listed before the 10:00 one: lines are ordered by receive time.
    """
    before = DAY - timedelta(days=1)
    return objects(
        [
            ("0001-0002", [line("c8-1", at(23, 55, day=before), "20.25", customer="c8")]),
            (
                "0003-0004",
                [line("c8-2", at(23, 58, day=before), "20.25", customer="c8", customer_recent=1)],
            ),
            ("0005-0005", [line("c8-3", at(0, 1), "20.25", customer="c8", customer_recent=1)]),
            (
                "0010-0011",
                [
                    line("c9-4", at(10, 9), "20.25", customer="c9", customer_recent=2),
                    line("c9-2", at(10, 4), "20.25", customer="c9", customer_recent=1),
                ],
            ),
            (
                "0012-0013",
                [
                    line("c9-1", at(10, 0), "20.25", customer="c9"),
                    line("c9-3", at(10, 8), "20.25", customer="c9", customer_recent=1),
                ],
            ),
            (
                "0020-0021",
                [
                    line("k-1", at(15, 0), "20.25", customer="a", card=CARD, checksum=True),
                    line("k-2", at(15, 2), "20.25", customer="b", card=CARD, checksum=True, card_recent=1),
                ],
            ),
        ]
    )


def test_velocity_is_recounted_from_the_timeline_in_the_candidates_window(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_dir(to_dir(tmp_path / "copy", velocity_fixture()), VELOCITY, out)
    tally = result.tally
    assert tally is not None
    assert tally.lead_in == 2  # the day before: timeline only
    assert dict(tally.matrix) == {("approve", "approve"): 3, ("approve", "block"): 4}
    assert tally.live_rules["customer_velocity"] == tally.live_rules["card_velocity"] == 0
    assert (tally.candidate_rules["customer_velocity"], tally.candidate_rules["card_velocity"]) == (3, 1)
    blocked = {row["transaction_id"] for row in csv.DictReader((out / "changed.csv").open(newline=""))}
    assert blocked == {"c8-3", "c9-3", "c9-4", "k-2"}


def test_the_timeline_counts_like_the_live_query() -> None:
    timeline = backtest.Timeline(300)
    assert [timeline.count_then_add("c", ms) for ms in (0, 100_000, 300_000, 300_001, 700_000)] == [0, 1, 2, 2, 0]
    timeline.forget_before(2_000_000)
    assert len(timeline) == 0


# ---------------------------------------------------------------- reading


def test_lines_come_out_once_in_receive_order_across_objects_and_partitions() -> None:
    def raw(transaction_id: str, moment: datetime) -> bytes:
        return json.dumps({"transaction_id": transaction_id, "received_at": iso_utc(moment)}).encode()

    stats = backtest.ReadStats()
    partitions = [
        (at(10), [raw("b", at(10, 30)), raw("a", at(10, 10)), b"not json", raw("c", at(11, 2))]),
        (at(11), [raw("late", at(10, 58)), raw("d", at(11, 1)), raw("d", at(11, 1))]),
    ]
    released = [line["transaction_id"] for _, line in backtest.ordered_lines(partitions, stats)]
    assert released == ["a", "b", "late", "d", "c"]
    assert (stats.raw_lines, stats.duplicates, stats.malformed, stats.out_of_order) == (7, 1, 1, 0)


def test_gzip_lines_streams_chunks_and_concatenated_members() -> None:
    body = gzip.compress(b'{"a":1}\n{"b":2}\n') + gzip.compress(b'{"c":3}\n\n{"d":4}')
    chunks = [body[i : i + 7] for i in range(0, len(body), 7)]
    assert list(backtest.gzip_lines(chunks)) == [b'{"a":1}', b'{"b":2}', b'{"c":3}', b'{"d":4}']


def test_lines_without_a_decision_record_are_counted_not_compared(tmp_path: Path) -> None:
    legacy = {key: value for key, value in line("old", at(9), "20").items() if key != "decision_record"}
    tally = run_dir(to_dir(tmp_path / "copy", objects([("0001-0001", [legacy])])), {}, tmp_path / "out").tally
    assert tally is not None
    assert (tally.transactions, tally.not_replayable) == (0, 1)


def test_the_plan_covers_the_lead_in_and_one_partition_past_the_end() -> None:
    hours = backtest.partition_hours(DAYS, 600)
    assert (hours[0], hours[-1], len(hours)) == (at(23, day=DAY - timedelta(days=1)), at(0, day=DAY + timedelta(1)), 26)


def test_labels_load_from_jsonl_and_csv_and_a_bad_label_is_refused(tmp_path: Path) -> None:
    jsonl = tmp_path / "labels.jsonl"
    jsonl.write_text('{"transaction_id": "t1", "label": "fraud"}\n\n{"transaction_id": "t2", "label": "legitimate"}\n')
    table = tmp_path / "labels.csv"
    table.write_text("transaction_id,label,source\r\nt1,legitimate,analyst\r\n")
    assert backtest.load_labels(jsonl) == {"t1": "fraud", "t2": "legitimate"}
    assert backtest.load_labels(table) == {"t1": "legitimate"}
    jsonl.write_text('{"transaction_id": "t1", "label": "maybe"}\n')
    with pytest.raises(backtest.BacktestError, match="row 1"):
        backtest.load_labels(jsonl)


# ---------------------------------------------------------------- labels from the audit trail


NOON = at(12)


def label_objects(*labels: tuple[str, str, str, str], received: datetime = NOON) -> dict[str, bytes]:
    """Label objects as the labels function writes them: (transaction, label, source, occurred_at)."""
    from fraud_detection import labels as label_model

    found = {}
    for transaction_id, value, source, occurred_at in labels:
        parsed = label_model.parse_label(
            {"transaction_id": transaction_id, "label": value, "source": source, "occurred_at": occurred_at}
        )
        moment = label_model.parse_instant(parsed.occurred_at)
        key = label_model.label_key(transaction_id, received, source, moment)
        document = label_model.label_document(
            parsed, transaction_received_at=iso_utc(received), recorded_at=moment, request_id="r"
        )
        found[key] = json.dumps(document).encode()
    return found


# The trail's history: t3 first called legitimate by the customer, then a fraud chargeback; t5 a chargeback
# superseded by a later one (legitimate), then an analyst's fraud (analyst > chargeback); t8 fraud; t1
# legitimate; t9 labelled the day after the range (its transaction's day is outside: never listed).
TRAIL = label_objects(
    ("t3", "legitimate", "customer", "2026-11-04T08:00:00Z"),
    ("t3", "fraud", "chargeback", "2026-11-20T08:00:00Z"),
    ("t5", "fraud", "chargeback", "2026-11-10T08:00:00Z"),
    ("t5", "legitimate", "chargeback", "2026-11-12T08:00:00Z"),
    ("t5", "fraud", "analyst", "2026-11-11T08:00:00Z"),
    ("t8", "fraud", "customer", "2026-11-05T08:00:00Z"),
    ("t1", "legitimate", "analyst", "2026-11-05T08:00:00Z"),
) | label_objects(("t9", "fraud", "analyst", "2026-11-05T08:00:00Z"), received=at(12, day=date(2026, 11, 4)))


def test_labels_come_from_the_trail_with_history_and_precedence(tmp_path: Path) -> None:
    root = to_dir(tmp_path / "copy", strict_fixture() | TRAIL)
    out = tmp_path / "out"
    labels, read, unreadable = backtest.read_trail_labels(backtest.DirSource(root), DAYS)
    assert labels == {"t3": "fraud", "t5": "fraud", "t8": "fraud", "t1": "legitimate"}
    assert (read, unreadable) == (7, 0)
    tally = run_dir(root, STRICT, out).tally
    assert tally is not None and (tally.labels_given, tally.labelled) == (4, 4)
    # block: the candidate blocks t5 and t8 (both fraud), misses t3; live blocks neither
    block = tally.outcomes["candidate", "block"]
    assert (block.true_positive, block.false_positive, block.false_negative) == (2, 0, 1)
    summary = (out / "summary.md").read_text()
    assert "Labels: 4; 4 from the audit trail (7 label object(s)), none from a file." in summary


def test_a_labels_file_wins_over_the_trail_and_the_summary_counts_both(tmp_path: Path) -> None:
    root = to_dir(tmp_path / "copy", strict_fixture() | TRAIL)
    out = tmp_path / "out"
    what_if = {"t5": "legitimate", "t7": "legitimate"}
    result = run_dir(root, STRICT, out, what_if)
    assert result.info is not None and result.tally is not None
    origin = result.info.label_origin
    assert dict(origin.labels) == {
        "t3": "fraud",
        "t5": "legitimate",
        "t8": "fraud",
        "t1": "legitimate",
        "t7": "legitimate",
    }
    assert (origin.from_trail, origin.from_file, origin.overridden) == (3, 2, 1)
    assert result.tally.labels_given == 5
    assert (
        "3 from the audit trail (7 label object(s)), 2 from `labels.jsonl` (it won for 1 transaction(s)"
        in (out / "summary.md").read_text()
    )


def test_an_unreadable_label_object_is_skipped_and_counted(tmp_path: Path) -> None:
    broken = {"labels/dt=2026-11-03/t2/analyst/20261104T000000000000Z.json": b"{not json"}
    root = to_dir(tmp_path / "copy", strict_fixture() | TRAIL | broken)
    out = tmp_path / "out"
    result = run_dir(root, STRICT, out)
    assert result.info is not None and result.info.label_origin.unreadable == 1
    assert "t2" not in result.info.label_origin.labels
    assert "Skipped 1 unreadable label object(s)" in (out / "summary.md").read_text()


def test_settings_versions_missing_from_the_history_are_listed_not_fatal(tmp_path: Path) -> None:
    from fraud_detection.settings import canonical_json

    version = settings_version(LIVE)
    root = to_dir(tmp_path / "copy", strict_fixture())
    out = tmp_path / "out"
    result = run_dir(root, STRICT, out)
    assert result.info is not None and result.info.missing_settings == (version,)
    assert f"not in the settings history (`settings/<version>.json`): `{version}`" in (out / "summary.md").read_text()
    (root / "settings").mkdir()
    (root / "settings" / f"{version}.json").write_text(canonical_json(LIVE))
    result = run_dir(root, STRICT, tmp_path / "out2")
    assert result.info is not None and result.info.missing_settings == ()
    assert "settings history" not in (tmp_path / "out2" / "summary.md").read_text()


@pytest.mark.usefixtures("aws")
def test_labels_and_settings_history_are_read_from_the_bucket(tmp_path: Path) -> None:
    from fraud_detection.settings import canonical_json

    to_bucket(strict_fixture() | TRAIL | {f"settings/{settings_version(LIVE)}.json": canonical_json(LIVE).encode()})
    source = backtest.S3Source(boto3.client("s3", region_name=REGION), BUCKET)
    result = backtest.run(
        source, DAYS, parse_settings(json.dumps(STRICT)), tmp_path / "out", candidate_path="c.json", labels=None
    )
    assert result.info is not None and result.tally is not None
    assert dict(result.info.label_origin.labels) == {"t3": "fraud", "t5": "fraud", "t8": "fraud", "t1": "legitimate"}
    assert result.info.missing_settings == ()
    assert result.tally.labelled == 4


# ---------------------------------------------------------------- S3 and the CLI


def count_s3_calls() -> dict[str, int]:
    """Every S3 API call made on boto3's default session (the CLI's client is built on it)."""
    calls: dict[str, int] = {}

    def count(model: Any, **_: Any) -> None:
        calls[model.name] = calls.get(model.name, 0) + 1

    boto3._get_default_session().events.register("before-call.s3", count)
    return calls


def backtest_args(candidate: Path, out: Path, *extra: str) -> list[str]:
    dates = ["--from", "2026-11-03", "--to", "2026-11-03"]
    return ["backtest", "--candidate", str(candidate), *dates, "--out", str(out), *extra]


@pytest.mark.usefixtures("aws")
def test_an_invalid_candidate_is_refused_before_any_s3_call(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    to_bucket(strict_fixture())
    calls = count_s3_calls()
    bad = candidate_file(tmp_path, {"block_threshold": 20, "review_threshold": 40, "velocity_windw": 60})
    assert cli.main(backtest_args(bad, tmp_path / "out", "--bucket", BUCKET, "--region", REGION)) == 2
    error = capsys.readouterr().err
    assert "refused" in error and "fails settings validation" in error
    assert calls == {}
    assert not (tmp_path / "out").exists()

    good = candidate_file(tmp_path, STRICT, "good.json")
    assert cli.main(backtest_args(good, tmp_path / "out", "--bucket", BUCKET, "--region", REGION)) == 0
    # 26 hour partitions and the day's labels/ listed; 4 audit objects read; one settings version checked
    assert (calls["ListObjectsV2"], calls["GetObject"], calls["HeadObject"]) == (27, 4, 1)
    printed = capsys.readouterr().out
    assert "| review | 0 | 1 | 2 | 3 |" in printed


@pytest.mark.usefixtures("aws")
def test_archived_partitions_are_named_with_restore_commands_and_nothing_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bodies = strict_fixture()
    archived = {key: body for key, body in bodies.items() if "hour=12" in key}
    to_bucket({key: body for key, body in bodies.items() if key not in archived})
    for key, body in archived.items():
        moto_client("s3").put_object(Bucket=BUCKET, Key=key, Body=body, StorageClass="DEEP_ARCHIVE")
    calls = count_s3_calls()
    out = tmp_path / "out"
    assert cli.main(backtest_args(candidate_file(tmp_path, STRICT), out, "--bucket", BUCKET)) == 3
    error = capsys.readouterr().err
    assert "audit/dt=2026-11-03/hour=12/ .. audit/dt=2026-11-03/hour=12/ (2 object(s))" in error
    for key in archived:
        assert f"aws s3api restore-object --bucket {BUCKET} --key {key} --restore-request" in error
    assert "GetObject" not in calls
    script = (out / "restore.sh").read_text()
    assert script.count("aws s3api restore-object") == 2
    assert not (out / "summary.md").exists()


@pytest.mark.usefixtures("aws")
def test_a_restored_archive_object_is_read() -> None:
    s3 = backtest.S3Source(boto3.client("s3", region_name=REGION), BUCKET)
    moto_client("s3").create_bucket(Bucket=BUCKET)
    moto_client("s3").put_object(Bucket=BUCKET, Key="audit/dt=2026-11-03/hour=12/1-2.jsonl.gz", Body=b"x")
    listed = list(s3.list_partition("audit/dt=2026-11-03/hour=12/"))
    assert [(obj.key, obj.archived) for obj in listed] == [("audit/dt=2026-11-03/hour=12/1-2.jsonl.gz", False)]
    assert backtest.AuditObject("k", 1, "GLACIER", restored=True).archived is False
    assert backtest.AuditObject("k", 1, "GLACIER").archived is True
    assert backtest.AuditObject("k", 1, "GLACIER_IR").archived is False


def test_the_cli_reads_a_local_copy_and_needs_no_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = to_dir(tmp_path / "copy", strict_fixture())
    labels = tmp_path / "labels.jsonl"
    labels.write_text("".join(json.dumps({"transaction_id": t, "label": v}) + "\n" for t, v in LABELS.items()))
    args = backtest_args(candidate_file(tmp_path, STRICT), tmp_path / "out", "--source", "dir", "--dir", str(root))
    assert cli.main([*args, "--labels", str(labels), "--stage-file", str(tmp_path / "none.json")]) == 0
    assert "| block | precision | 0.0000 | 0.6667 |" in capsys.readouterr().out


def test_backtest_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["backtest", "--help"])
    assert done.value.code == 0
    assert "--candidate" in capsys.readouterr().out
