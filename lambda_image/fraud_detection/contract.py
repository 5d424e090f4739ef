"""The runtime contract: every name, key and default the image, the stacks and the tooling share.

Pure Python with no AWS imports, owned by the image package (the image is where these facts take
effect) and imported by the stacks, the app-specific layer over the constructs, the operator
tooling, the local stage, the bench and the tests, which import these names instead of writing
them again. ``docs/contract.md``'s tables are rendered from this module (``python -m
stacks.contract_docs``), and a test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- project-wide names -----------------------------------------------------------------------------------

PROJECT = "fraud-detection"
"""Project tag value, ECR repository and dashboard stem, SSM parameter root, state key prefix."""
NAME_PREFIX = "fraud"
"""Every environment-scoped resource is ``fraud-<base>-<environment>``."""


def resource_name(base: str, environment: str) -> str:
    """Environment-scoped resource name, e.g. ``fraud-patterns-dev``."""
    return f"{NAME_PREFIX}-{base}-{environment}"


def project_name(environment: str) -> str:
    """The project's name in one environment, e.g. ``fraud-detection-dev``."""
    return f"{PROJECT}-{environment}"


def repository_name(environment: str) -> str:
    """The ECR repository of the image, e.g. ``fraud-detection-dev``."""
    return project_name(environment)


def dashboard_name(environment: str) -> str:
    """The CloudWatch dashboard of one environment, e.g. ``fraud-detection-dev``."""
    return project_name(environment)


def parameter_prefix(environment: str) -> str:
    """SSM parameters live under ``/fraud-detection/<environment>``."""
    return f"/{PROJECT}/{environment}"


SETTINGS_PARAMETER_BASE = "settings"
SIGNING_KEYS_PARAMETER_BASE = "webhook-signing-keys"
FINGERPRINT_KEY_PARAMETER_BASE = "card-fingerprint-key"


def settings_parameter_name(environment: str) -> str:
    return f"{parameter_prefix(environment)}/{SETTINGS_PARAMETER_BASE}"


SHADOW_SETTINGS_PARAMETER_BASE = "shadow-settings"


def shadow_settings_parameter_name(environment: str) -> str:
    """The shadow settings (docs/backtest.md, "Shadow settings"): exists only when ``shadowSettingsFile`` is set."""
    return f"{parameter_prefix(environment)}/{SHADOW_SETTINGS_PARAMETER_BASE}"


def secret_parameter_names(environment: str) -> tuple[str, str]:
    """The signing-key set and the card-fingerprint key: created by the operator tooling, never by Terraform."""
    prefix = parameter_prefix(environment)
    return f"{prefix}/{SIGNING_KEYS_PARAMETER_BASE}", f"{prefix}/{FINGERPRINT_KEY_PARAMETER_BASE}"


PLACEHOLDER = "UNSET"
"""A secret parameter holding this value reads as "not set" (the webhook answers 503)."""

# --- the functions ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionRole:
    """One function of the image: its role name, handler command, memory and timeout."""

    role: str  # webhook | stream | batch | labels
    command: str
    memory_size: int
    timeout_seconds: int

    @property
    def service(self) -> str:
        """Powertools service name and the ``service`` metric dimension, e.g. ``fraud-batch``."""
        return f"{NAME_PREFIX}-{self.role}"

    def function_name(self, environment: str) -> str:
        """e.g. ``fraud-webhook-dev`` (also names the role and the log group)."""
        return resource_name(self.role, environment)


WEBHOOK = FunctionRole("webhook", "fraud_detection.handlers.webhook.handler", 512, 15)
STREAM = FunctionRole("stream", "fraud_detection.handlers.stream.handler", 512, 60)
BATCH = FunctionRole("batch", "fraud_detection.handlers.batch.handler", 1024, 300)
LABELS = FunctionRole("labels", "fraud_detection.handlers.labels.handler", 256, 15)
"""``POST /labels`` (docs/labels.md): its own role, API key and signing-key set, apart from the webhook's."""
FUNCTIONS = (WEBHOOK, STREAM, BATCH, LABELS)
LIVE_ALIAS = "live"

# --- environment variables the stacks set and the handlers read ---------------------------------------------

ENV_ENVIRONMENT = "ENVIRONMENT"
ENV_TABLE_NAME = "TABLE_NAME"
ENV_WINDOW_SHARDS = "WINDOW_SHARDS"
ENV_PATTERN_TTL_DAYS = "PATTERN_TTL_DAYS"
ENV_BUCKET_NAME = "BUCKET_NAME"
ENV_TOPIC_ARN = "TOPIC_ARN"
ENV_SETTINGS_PARAMETER = "SETTINGS_PARAMETER"
ENV_SHADOW_SETTINGS_PARAMETER = "SHADOW_SETTINGS_PARAMETER"
"""The stream's shadow settings parameter; empty when no shadow is set."""
ENV_SHADOW_REPORT_TOP_N = "SHADOW_REPORT_TOP_N"
"""The daily report's number of differing transactions to list; empty when no shadow is set (no shadow section)."""
ENV_SIGNING_KEYS_PARAMETER = "SIGNING_KEYS_PARAMETER"
ENV_FINGERPRINT_KEY_PARAMETER = "FINGERPRINT_KEY_PARAMETER"
ENV_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
ENV_METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"
ENV_LOG_LEVEL = "LOG_LEVEL"
DEFAULT_LOG_LEVEL = "INFO"

# --- the pattern table ---------------------------------------------------------------------------------------

TABLE_BASE = "patterns"
PARTITION_KEY = "pk"
TRANSACTION_KEY_PREFIX = "TXN#"
CUSTOMER_KEY_PREFIX = "CUST#"
CARD_KEY_PREFIX = "CARD#"
WINDOW_KEY_PREFIX = "W#"
TTL_ATTRIBUTE = "expires_at"
STREAM_VIEW_TYPE = "NEW_IMAGE"
"""The table stream carries each new item whole: the stream consumer decodes the new image only."""
EVENT_TIME_ATTRIBUTE = "event_ts"


@dataclass(frozen=True)
class IndexSpec:
    """A global secondary index: its keys and its projection (``KEYS_ONLY``, ``INCLUDE`` or ``ALL``)."""

    name: str
    hash_key: str
    range_key: str
    projection: str
    non_key_attributes: tuple[str, ...] = ()
    """With ``INCLUDE``: the attributes copied into the index besides the table's and the index's keys."""


WINDOW_ITEM_ATTRIBUTES = (
    "transaction_id",
    "pattern_id",
    "action",
    "risk_score",
    "amount",
    "currency",
    "merchant",
    "country",
    "customer_id",
    "received_at",
    "reasons",
)
"""The pattern item's attributes the batch reads from a window (``window_analysis.Pattern.from_item``): the
only non-key attributes ``by_window`` projects and the window reader asks for, so an index entry stays under
1 KB however large the item grows (``tests/runtime/batch/test_window_projection.py`` holds it equal to what the
analysis code reads)."""
WINDOW_INDEX = IndexSpec("by_window", "window_key", EVENT_TIME_ATTRIBUTE, "INCLUDE", WINDOW_ITEM_ATTRIBUTES)
CUSTOMER_INDEX = IndexSpec("by_customer", "customer_key", EVENT_TIME_ATTRIBUTE, "KEYS_ONLY")
CARD_INDEX = IndexSpec("by_card", "card_key", EVENT_TIME_ATTRIBUTE, "KEYS_ONLY")
INDEXES = (WINDOW_INDEX, CUSTOMER_INDEX, CARD_INDEX)

DEFAULT_WINDOW_SHARDS = 8
MAX_WINDOW_SHARDS = 1000
DEFAULT_PATTERN_TTL_DAYS = 90
MAX_PATTERN_TTL_DAYS = 3650
WINDOW_SECONDS = 300

# --- the audit trail and alerts ------------------------------------------------------------------------------

AUDIT_PREFIX = "audit/"
SMOKE_PREFIX = "smoke-"
"""A transaction id starting with this is smoke traffic (docs/contract.md, "Smoke traffic")."""
SMOKE_ATTRIBUTE = "smoke"
"""SNS message attribute on smoke traffic's alerts; the e-mail subscription filters it out."""

# --- metrics -------------------------------------------------------------------------------------------------

METRICS_NAMESPACE = "FraudDetection"
DIMENSION_SERVICE = "service"
DIMENSION_ENVIRONMENT = "environment"

# --- schedules -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """An EventBridge rule that invokes the batch with ``{"job": <job>, "time": <event time>}``."""

    construct_id: str
    job: str
    expression: str
    every_seconds: int | None = None
    """For a ``rate(...)`` schedule: its period (the local stage aligns it to the clock)."""
    daily_at_utc: tuple[int, int] | None = None
    """For a daily ``cron(...)`` schedule: its (hour, minute) in UTC."""

    def rule_name(self, environment: str) -> str:
        """e.g. ``fraud-batch-daily-report-dev``."""
        return resource_name(f"{BATCH.role}-{self.job.replace('_', '-')}", environment)


WINDOW_SCHEDULE = Schedule("window-schedule", "window", "rate(5 minutes)", every_seconds=WINDOW_SECONDS)
DAILY_REPORT_SCHEDULE = Schedule("daily-report-schedule", "daily_report", "cron(15 0 * * ? *)", daily_at_utc=(0, 15))
SCHEDULES = (WINDOW_SCHEDULE, DAILY_REPORT_SCHEDULE)

# --- appended for the stacks (issue 12, contract adoption) ---------------------------------------------------

ANALYSES_PREFIX = "analyses/"
"""Window analyses in the audit bucket (``analyses/dt=YYYY-MM-DD/window=HHMM.json``)."""
REPORTS_PREFIX = "reports/"
"""Daily reports in the audit bucket (``reports/YYYY-MM-DD/...``)."""
METRIC_BATCH_WINDOW_SUCCEEDED = "BatchWindowSucceeded"
"""EMF metric the batch emits once per finished window; the staleness alarm watches it."""

# --- appended for shadow settings and the settings history (issue 15) ----------------------------------------

SETTINGS_HISTORY_PREFIX = "settings/"
"""Every settings version in use, in the audit bucket: ``settings/<settings_version>.json`` holds its
``canonical_json`` (written once by the stream consumer, never rewritten)."""
METRIC_SHADOW_EXTRA_BLOCK = "ShadowExtraBlock"
"""EMF metric of the stream (``service=fraud-stream``): one sample per decision evaluated under the shadow
settings, 100 when the shadow blocks and live does not, else 0. Its Average is the share (percent) the shadow
would block more than live, its SampleCount the decisions evaluated; the shadow alarm watches the Average."""
DEFAULT_SHADOW_REPORT_TOP_N = 20
MAX_SHADOW_REPORT_TOP_N = 1000

DEFAULT_SETTINGS: dict = {
    "review_threshold": 50,
    "block_threshold": 80,
    "high_amount_tiers": [
        {"min_amount": 1000, "score": 20},
        {"min_amount": 5000, "score": 35},
        {"min_amount": 10000, "score": 50},
    ],
    "blocked_merchants": [],
    "blocked_customers": [],
    "blocked_card_fingerprints": [],
    "allowed_merchants": [],
    "allowed_customers": [],
    "allowed_card_fingerprints": [],
    "high_risk_countries": [],
    "home_countries": ["US"],
    "night_hours_utc": [0, 6],
    "velocity_window_seconds": 300,
    "velocity_customer_max": 5,
    "velocity_card_max": 3,
    "alert_suspicious_count": 5,
    "signature_tolerance_seconds": 300,
    "max_body_bytes": 65536,
}
"""The settings JSON's documented defaults (docs/contract.md, "Settings JSON"): Terraform writes them to the
settings parameter, and the image's settings model (``fraud_detection.settings.Settings``, a msgspec struct) has
the same defaults (tests/contract checks both)."""

# --- appended for labels (issue 15) ---------------------------------------------------------------------------

WEBHOOK_PATH = "webhook"
"""``POST /<stage>/webhook``: senders of transactions (the sender API key, the webhook signing-key set)."""
LABELS_PATH = "labels"
"""``POST /<stage>/labels``: labellers (the labels API key, the label signing-key set; docs/labels.md)."""
LABEL_SIGNING_KEYS_PARAMETER_BASE = "label-signing-keys"


def label_signing_keys_parameter_name(environment: str) -> str:
    """The labellers' signing-key set (same JSON shape as the webhook's): created by the operator tooling,
    never by Terraform, and never readable by the webhook, so a sender cannot label its own traffic."""
    return f"{parameter_prefix(environment)}/{LABEL_SIGNING_KEYS_PARAMETER_BASE}"


ENV_LABEL_SIGNING_KEYS_PARAMETER = "LABEL_SIGNING_KEYS_PARAMETER"
ENV_LABELS_API_KEY_ID = "LABELS_API_KEY_ID"
"""The id of the labels API key: the labels function refuses (403) a request API Gateway admitted with
another key (``requestContext.identity.apiKeyId``), e.g. a sender's."""

AUDITED_KEY_PREFIX = "AUDITED#"
"""Ledger item of the audit trail in the pattern table: ``pk = AUDITED#<transaction_id>``, written by the
stream consumer after the transaction's audit object exists, with ``transaction_id``, ``received_at`` and
``audit_key``, and no TTL: the labels function accepts a label for any transaction it names, long after the
pattern item's TTL (``AUDITED_ITEM_ATTRIBUTES``)."""
AUDITED_ITEM_ATTRIBUTES = ("transaction_id", "received_at", "audit_key")
STREAM_AUDITED_EVENTS = {
    "eventName": ["INSERT"],
    "dynamodb": {"Keys": {PARTITION_KEY: {"S": [{"prefix": TRANSACTION_KEY_PREFIX}]}}},
}
"""The stream mapping's filter (Lambda event filtering, "Filtering DynamoDB events"): only pattern inserts
invoke the stream function, so the ledger items it writes into the same table never invoke it again."""

LABELS_PREFIX = "labels/"
"""Labels in the audit bucket, one object per accepted label, never rewritten:
``labels/dt=<transaction's received date>/<transaction_id>/<source>/<occurred_at %Y%m%dT%H%M%S%fZ>.json``.
Keyed by the transaction's day so a backtest of a date range lists only the labels of its transactions."""
LABEL_VALUES = ("fraud", "legitimate")
LABEL_SOURCES = ("analyst", "chargeback", "customer")
"""Also the precedence between sources, strongest first: per source the label with the latest
``occurred_at`` stands (a later one supersedes, the earlier stay in the history); across sources the
first source in this order that labelled the transaction decides (docs/labels.md, "Which label counts")."""
