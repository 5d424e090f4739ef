"""The settings history in the audit bucket: ``settings/<settings_version>.json``, written once per version.

SSM keeps at most 100 versions of a parameter, so the exact settings a decision was made under are copied
to the audit bucket when the stream consumer first sees them (docs/contract.md, "Settings history"): the
body is ``canonical_json(settings)``, the text the version hashes, so ``settings_version`` of the parsed
object equals the key. Each object is written with a conditional PutObject (``If-None-Match: *``): the first
writer wins, a later one is refused without rewriting (the function holds ``s3:PutObject`` on
``settings/*`` and nothing else there). Versions written or found are remembered per container, so a warm
container writes nothing for a version it has seen.
"""

from __future__ import annotations

import threading

from fraud_detection.adapters.audit_store import AuditStore
from fraud_detection.contract import SETTINGS_HISTORY_PREFIX
from fraud_detection.settings import Settings, canonical_json, settings_version


def history_key(version: str) -> str:
    """``settings/<settings_version>.json``."""
    return f"{SETTINGS_HISTORY_PREFIX}{version}.json"


class SettingsHistory:
    """Copies settings into the history once per version (and per container)."""

    def __init__(self, store: AuditStore) -> None:
        self._store = store
        self._seen: set[str] = set()
        self._missed: set[str] = set()
        self._lock = threading.Lock()

    def has(self, version: str) -> bool:
        """Whether this container has written (or found) ``version`` already."""
        return version in self._seen

    def missed(self, version: str) -> bool:
        """Whether ``version`` was already reported as not matching any settings (in this container)."""
        return version in self._missed

    def first_miss(self, version: str) -> bool:
        """True the first time ``version`` could not be matched to settings (report it once per container)."""
        with self._lock:
            first = version not in self._missed
            self._missed.add(version)
            return first

    def record(self, settings: Settings) -> bool:
        """Copy ``settings`` under its version unless seen; True when this call wrote the object."""
        version = settings_version(settings)
        with self._lock:
            if version in self._seen:
                return False
            written = self._store.put_if_absent(
                history_key(version), canonical_json(settings).encode("utf-8"), "application/json"
            )
            self._seen.add(version)
            return written
