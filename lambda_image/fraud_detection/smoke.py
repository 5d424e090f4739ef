"""Smoke traffic: how the post-deploy smoke test marks its events (docs/contract.md, "Smoke traffic").

A transaction whose id starts with ``SMOKE_PREFIX`` is smoke traffic. It is processed like any
other (decision, item, audit line, alert), so the smoke test proves the real path, but:

- its block alert carries the SNS message attribute ``smoke=true``; the e-mail subscription's
  filter policy drops such messages (on-call is never paged by a smoke test), while the smoke
  test's own temporary queue subscription receives them;
- window analyses (and so the daily reports) leave it out and only count it
  (``smoke_transactions``), so a smoke run changes no figure an analyst reads.
"""

from __future__ import annotations

from fraud_detection.contract import SMOKE_PREFIX


def is_smoke(transaction_id: object) -> bool:
    return str(transaction_id).startswith(SMOKE_PREFIX)
