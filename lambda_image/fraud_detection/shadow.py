"""Shadow settings: each new decision decided again under a second settings document (pure: no AWS).

The stream consumer (never the webhook) replays every audited decision's record under the shadow
settings (``decision_record.replay``) and writes the outcome beside the live one on the audit line, as
``shadow: {settings_version, action, risk_score, reasons}`` (docs/backtest.md, "Shadow settings"). A line
without a ``decision_record`` (an item written before records existed) gets no shadow. The velocity counts
replayed are the live window's: a shadow that changes ``velocity_window_seconds`` is judged on the live
window's counts (a backtest recounts them; see docs/backtest.md).

The daily report's shadow section (:class:`ShadowTally`) is built from the day's audit lines: live and shadow
counts per action, the live x shadow matrix, and the top N transactions where the two differ, by amount.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from fraud_detection.contract import SMOKE_PREFIX
from fraud_detection.decision_record import RECORD_ATTRIBUTE, InvalidRecord, replay
from fraud_detection.settings import Settings, settings_version

SHADOW_ATTRIBUTE = "shadow"
"""The audit line's attribute holding the shadow outcome."""
ACTIONS = ("approve", "review", "block")
BLOCK = "block"


def shadow_outcome(line: Mapping[str, Any], settings: Settings) -> dict[str, Any] | None:
    """The shadow outcome of one audit line, or ``None`` when the line has no (readable) decision record."""
    record = line.get(RECORD_ATTRIBUTE)
    if not isinstance(record, Mapping):
        return None
    try:
        decision = replay(record, settings)
    except InvalidRecord:
        return None
    return {
        "settings_version": settings_version(settings),
        "action": decision.action,
        "risk_score": decision.risk_score,
        "reasons": list(decision.reasons),
    }


def is_extra_block(line: Mapping[str, Any]) -> bool:
    """The shadow blocks a decision live did not block (what the shadow alarm measures)."""
    shadow = line.get(SHADOW_ATTRIBUTE)
    return isinstance(shadow, Mapping) and shadow.get("action") == BLOCK and line.get("action") != BLOCK


def extra_block_samples(lines: Iterable[Mapping[str, Any]]) -> list[int]:
    """One sample per line evaluated under the shadow: 100 for an extra block, else 0 (the metric's Average is
    the share in percent, its SampleCount the decisions evaluated)."""
    return [100 if is_extra_block(line) else 0 for line in lines if isinstance(line.get(SHADOW_ATTRIBUTE), Mapping)]


def _amount(line: Mapping[str, Any]) -> Decimal:
    try:
        return Decimal(str(line.get("amount", "0")))
    except InvalidOperation:
        return Decimal(0)


def difference_row(line: Mapping[str, Any]) -> dict[str, Any]:
    """A differing transaction as the report lists it (the line's masked values only)."""
    shadow = line[SHADOW_ATTRIBUTE]
    return {
        "transaction_id": line.get("transaction_id"),
        "received_at": line.get("received_at"),
        "amount": str(line.get("amount", "")),
        "currency": line.get("currency"),
        "merchant": line.get("merchant"),
        "customer_id": line.get("customer_id"),
        "live_action": line.get("action"),
        "live_risk_score": line.get("risk_score"),
        "live_reasons": list(line.get("reasons", [])),
        "shadow_action": shadow.get("action"),
        "shadow_risk_score": shadow.get("risk_score"),
        "shadow_reasons": list(shadow.get("reasons", [])),
        "shadow_settings_version": shadow.get("settings_version"),
    }


@dataclass
class ShadowTally:
    """The shadow section of a day, accumulated one (deduplicated) audit line at a time in bounded memory:
    counters and a heap of the ``top_n`` largest differing amounts."""

    top_n: int
    lines: int = 0
    evaluated: int = 0
    live: Counter[str] = field(default_factory=Counter)
    shadow: Counter[str] = field(default_factory=Counter)
    matrix: Counter[tuple[str, str]] = field(default_factory=Counter)
    versions: Counter[str] = field(default_factory=Counter)
    differing: int = 0
    extra_blocks: int = 0
    _top: list[tuple[Decimal, int, dict[str, Any]]] = field(default_factory=list)
    _order: itertools.count = field(default_factory=itertools.count)

    def add(self, line: Mapping[str, Any]) -> None:
        self.lines += 1
        shadow = line.get(SHADOW_ATTRIBUTE)
        if not isinstance(shadow, Mapping):
            return
        live_action, shadow_action = str(line.get("action")), str(shadow.get("action"))
        self.evaluated += 1
        self.live[live_action] += 1
        self.shadow[shadow_action] += 1
        self.matrix[(live_action, shadow_action)] += 1
        self.versions[str(shadow.get("settings_version"))] += 1
        self.extra_blocks += is_extra_block(line)
        if live_action == shadow_action or self.top_n <= 0:
            self.differing += live_action != shadow_action
            return
        self.differing += 1
        # ties on amount keep the first seen (a lower sequence number sorts as larger)
        entry = (_amount(line), -next(self._order), difference_row(line))
        if len(self._top) < self.top_n:
            heapq.heappush(self._top, entry)
        elif entry[:2] > self._top[0][:2]:
            heapq.heapreplace(self._top, entry)

    def document(self) -> dict[str, Any]:
        top = [row for _amount_, _order, row in sorted(self._top, key=lambda e: e[:2], reverse=True)]
        return {
            "lines": self.lines,
            "evaluated": self.evaluated,
            "live_counts_by_action": {action: self.live.get(action, 0) for action in ACTIONS},
            "shadow_counts_by_action": {action: self.shadow.get(action, 0) for action in ACTIONS},
            "live_vs_shadow": {
                live: {shadow: self.matrix.get((live, shadow), 0) for shadow in ACTIONS} for live in ACTIONS
            },
            "differing": self.differing,
            "extra_blocks": self.extra_blocks,
            "shadow_settings_versions": dict(sorted(self.versions.items())),
            "top_n": self.top_n,
            "top_differences_by_amount": top,
        }


MAX_REPORT_LINES = 2_000_000
"""The daily report reads at most this many (deduplicated) audit lines for its shadow section, so its memory
(the transaction ids seen) and its run time stay bounded; a day with more is reported ``complete: false``
with the objects it did not read (a backtest of the day under the shadow file gives the full picture)."""


def shadow_section(
    lines: Iterable[Mapping[str, Any]], top_n: int, *, objects_total: int, max_lines: int = MAX_REPORT_LINES
) -> dict[str, Any]:
    """The daily report's ``shadow`` section from the day's deduplicated audit lines (smoke traffic left out)."""
    tally = ShadowTally(top_n)
    complete = True
    for line in lines:
        if str(line.get("transaction_id", "")).startswith(SMOKE_PREFIX):
            continue
        if tally.lines >= max_lines:
            complete = False
            break
        tally.add(line)
    return {"complete": complete, "audit_objects": objects_total, **tally.document()}
