"""Which environment variables each function gets (the contract's keys; no cdktf import, so the docs
renderer and the tests read it without a synth). ``stacks/compute.py`` sets exactly these."""

from __future__ import annotations

from fraud_detection.contract import (
    BATCH,
    ENV_BUCKET_NAME,
    ENV_ENVIRONMENT,
    ENV_FINGERPRINT_KEY_PARAMETER,
    ENV_LABEL_SIGNING_KEYS_PARAMETER,
    ENV_LABELS_API_KEY_ID,
    ENV_LOG_LEVEL,
    ENV_METRICS_NAMESPACE,
    ENV_PATTERN_TTL_DAYS,
    ENV_SERVICE_NAME,
    ENV_SETTINGS_PARAMETER,
    ENV_SHADOW_REPORT_TOP_N,
    ENV_SHADOW_SETTINGS_PARAMETER,
    ENV_SIGNING_KEYS_PARAMETER,
    ENV_TABLE_NAME,
    ENV_TOPIC_ARN,
    ENV_WINDOW_SHARDS,
    LABELS,
    STREAM,
    WEBHOOK,
)

COMMON_VARIABLES = (ENV_ENVIRONMENT, ENV_SERVICE_NAME, ENV_METRICS_NAMESPACE, ENV_LOG_LEVEL)
"""Every function gets these first."""
FUNCTION_VARIABLES: dict[str, tuple[str, ...]] = {
    WEBHOOK.role: (
        ENV_TABLE_NAME,
        ENV_WINDOW_SHARDS,
        ENV_PATTERN_TTL_DAYS,
        ENV_SETTINGS_PARAMETER,
        ENV_SIGNING_KEYS_PARAMETER,
        ENV_FINGERPRINT_KEY_PARAMETER,
    ),
    # TABLE_NAME: the stream writes the ledger's ``AUDITED#<transaction_id>`` items (contract.AUDITED_KEY_PREFIX).
    STREAM.role: (
        ENV_TABLE_NAME,
        ENV_BUCKET_NAME,
        ENV_TOPIC_ARN,
        ENV_SETTINGS_PARAMETER,
        ENV_SHADOW_SETTINGS_PARAMETER,
    ),
    BATCH.role: (
        ENV_TABLE_NAME,
        ENV_WINDOW_SHARDS,
        ENV_BUCKET_NAME,
        ENV_TOPIC_ARN,
        ENV_SETTINGS_PARAMETER,
        ENV_SHADOW_REPORT_TOP_N,
    ),
    LABELS.role: (
        ENV_TABLE_NAME,
        ENV_BUCKET_NAME,
        ENV_SETTINGS_PARAMETER,
        ENV_LABEL_SIGNING_KEYS_PARAMETER,
        ENV_LABELS_API_KEY_ID,
    ),
}
"""Role -> the variables only some functions need, in the order they are set."""


def variables_of(role: str) -> tuple[str, ...]:
    """Every variable the function of ``role`` gets, in order."""
    return COMMON_VARIABLES + FUNCTION_VARIABLES[role]
