"""Daily roll-up of one UTC day's window analyses (pure: documents in, report out).

The report is built from the 288 ``analyses/`` objects, not from the table: the items may have
expired, and the analyses are the record of what the batch saw. Missing windows are listed
rather than hidden, so a gap in the 5-minute batch is visible in the report.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from fraud_detection.contract import (
    ANALYSES_PREFIX,
    REPORTS_PREFIX,
    WINDOW_ITEM_ATTRIBUTES,
    WINDOW_SECONDS,
)
from fraud_detection.jsonutil import canonical_dumps
from fraud_detection.window_analysis import ACTIONS

WINDOWS_PER_DAY = 86400 // WINDOW_SECONDS
CSV_COLUMNS: tuple[str, ...] = ("window_start", *WINDOW_ITEM_ATTRIBUTES)
"""One row per pattern: its window, then every attribute the batch read from the window index."""
# OWASP "CSV injection": a leading = + - @ (or tab / carriage return) makes spreadsheets evaluate.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class DailyReport:
    day: date
    summary_key: str
    summary_json: str
    csv_key: str
    flagged_csv: str


def analyses_prefix(day: date) -> str:
    return f"{ANALYSES_PREFIX}dt={day:%Y-%m-%d}/"


def report_keys(day: date) -> tuple[str, str]:
    base = f"{REPORTS_PREFIX}{day:%Y-%m-%d}/"
    return f"{base}summary.json", f"{base}flagged.csv"


def escape_cell(value: Any) -> str:
    """Neutralise spreadsheet formulas by prefixing a single quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_TRIGGERS) else text


def _window_hhmm(document: Mapping[str, Any]) -> str:
    start = str(document["window_start"])  # 2026-11-22T10:05:00Z
    return start[11:13] + start[14:16]


def _csv_row(window_start: str, pattern: Mapping[str, Any]) -> list[str]:
    values = {**pattern, "window_start": window_start, "reasons": ";".join(pattern.get("reasons", []))}
    return [escape_cell(values.get(column, "")) for column in CSV_COLUMNS]


def flagged_csv(analyses: Iterable[Mapping[str, Any]]) -> str:
    """One row per review/block pattern, ordered by receive time; every cell escaped."""
    rows: dict[str, list[str]] = {}
    order: dict[str, tuple[str, str]] = {}
    for document in analyses:
        for pattern in document.get("flagged_patterns", []):
            transaction_id = str(pattern["transaction_id"])
            rows[transaction_id] = _csv_row(str(document["window_start"]), pattern)
            order[transaction_id] = (str(pattern.get("received_at", "")), transaction_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for transaction_id in sorted(rows, key=order.__getitem__):
        writer.writerow(rows[transaction_id])
    return buffer.getvalue()


def summarize(day: date, analyses: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    counts: Counter[str] = Counter({action: 0 for action in ACTIONS})
    for document in analyses:
        counts.update({k: int(v) for k, v in document.get("counts_by_action", {}).items()})
    found = sorted({_window_hhmm(d) for d in analyses})
    expected = [f"{m // 60:02d}{m % 60:02d}" for m in range(0, 24 * 60, 5)]
    return {
        "day": day.isoformat(),
        "windows_expected": WINDOWS_PER_DAY,
        "windows_found": len(found),
        "missing_windows": sorted(set(expected) - set(found)),
        "transactions": sum(int(d.get("transactions", 0)) for d in analyses),
        "items_read": sum(int(d.get("items_read", 0)) for d in analyses),
        "counts_by_action": dict(sorted(counts.items())),
        "flagged_patterns": sum(len(d.get("flagged_patterns", [])) for d in analyses),
        "high_risk_patterns": sum(len(d.get("high_risk_patterns", [])) for d in analyses),
        "customer_anomalies": sum(len(d.get("customer_anomalies", [])) for d in analyses),
        "windows_alerted": sum(1 for d in analyses if d.get("alerted")),
    }


def build_daily_report(
    day: date, analyses: Sequence[Mapping[str, Any]], shadow: Mapping[str, Any] | None = None
) -> DailyReport:
    """``shadow``: the shadow section (``fraud_detection.shadow.shadow_section``), only when shadow settings are
    deployed; the summary then has a ``shadow`` key (live vs shadow counts, top differing transactions)."""
    ordered = sorted(analyses, key=lambda d: str(d["window_start"]))
    summary_key, csv_key = report_keys(day)
    summary = summarize(day, ordered)
    if shadow is not None:
        summary["shadow"] = dict(shadow)
    return DailyReport(
        day=day,
        summary_key=summary_key,
        summary_json=canonical_dumps(summary),
        csv_key=csv_key,
        flagged_csv=flagged_csv(ordered),
    )
