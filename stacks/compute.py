"""The four functions of the app, their parameters, grants and the table-stream mapping.

Names, commands, memory, timeouts and environment variable keys come from
``fraud_detection.contract`` (docs/contract.md; ``tests/contract/`` checks the doc and the image
against them). Each grant is exactly what that handler calls, on the exact ARN.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.lambda_event_source_mapping import (
    LambdaEventSourceMapping,
    LambdaEventSourceMappingDestinationConfig,
    LambdaEventSourceMappingDestinationConfigOnFailure,
    LambdaEventSourceMappingFilterCriteria,
    LambdaEventSourceMappingFilterCriteriaFilter,
)
from constructs import Construct

from fraud_constructs.alert_topic import AlertTopic
from fraud_constructs.audit_bucket import AuditBucket
from fraud_constructs.aws_context import AwsContext
from fraud_constructs.container_function import Condition, ContainerFunction, ContainerFunctionProps, VpcAttachment
from fraud_constructs.dead_letter_queue import DeadLetterQueue
from fraud_constructs.encryption_key import EncryptionKey
from fraud_constructs.runtime_parameters import RuntimeParameters, RuntimeParametersProps
from fraud_constructs.secure_table import SecureTable
from fraud_detection import contract
from fraud_detection.contract import (
    ANALYSES_PREFIX,
    AUDIT_PREFIX,
    AUDITED_KEY_PREFIX,
    BATCH,
    CARD_INDEX,
    CUSTOMER_INDEX,
    DEFAULT_LOG_LEVEL,
    LABELS,
    LABELS_PREFIX,
    LIVE_ALIAS,
    METRICS_NAMESPACE,
    REPORTS_PREFIX,
    SETTINGS_HISTORY_PREFIX,
    STREAM,
    WEBHOOK,
    WINDOW_INDEX,
    FunctionRole,
    label_signing_keys_parameter_name,
    secret_parameter_names,
    settings_parameter_name,
    shadow_settings_parameter_name,
)
from stacks.config import AppConfig, permissions_boundary_name, settings_document
from stacks.functions import variables_of
from stacks.specs import RETIRED_SECRET_IDS, SETTINGS_DESCRIPTION, SHADOW_SETTINGS_DESCRIPTION

STREAM_MAX_RETRY_ATTEMPTS = 5
STREAM_MAX_RECORD_AGE_SECONDS = 24 * 3600  # the stream's own retention
LATE_VARIABLES = frozenset({contract.ENV_LABELS_API_KEY_ID})
"""Variables whose value exists only once the API does (the labels route's own API key): the app stack sets
them with :meth:`Compute.set_labels_api_key` after building the API from these functions."""


def ledger_keys_only() -> Condition:
    """``dynamodb:LeadingKeys`` limited to the ledger's ``AUDITED#<transaction_id>`` items (DynamoDB developer
    guide, "Using IAM policy conditions for fine-grained access control": ``ForAllValues:StringLike`` on the
    partition key values the request names)."""
    return Condition("ForAllValues:StringLike", "dynamodb:LeadingKeys", (f"{AUDITED_KEY_PREFIX}*",))


@dataclass(frozen=True)
class Resources:
    """The data plane the functions use (built by the app stack)."""

    key: EncryptionKey
    table: SecureTable
    bucket: AuditBucket
    dlq: DeadLetterQueue
    topic: AlertTopic


class Compute(Construct):
    """Exposes ``parameters``, ``shadow_parameters`` (None without a shadow file),
    ``webhook``/``stream``/``batch``/``labels`` (ContainerFunction), ``stream_mapping``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        aws: AwsContext,
        config: AppConfig,
        resources: Resources,
        image_uri: str,
        vpc: VpcAttachment | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        env = config.environment
        r = resources
        signing_keys_name, fingerprint_key_name = secret_parameter_names(env)
        label_keys_name = label_signing_keys_parameter_name(env)
        self.parameters = RuntimeParameters(
            self,
            "parameters",
            aws=aws,
            props=RuntimeParametersProps(
                kms_key_arn=r.key.arn,
                settings_name=settings_parameter_name(env),
                settings_value=settings_document(config.settings_file),
                # The label key set: same shape, its own parameter (never readable by the webhook).
                secret_names=(signing_keys_name, fingerprint_key_name, label_keys_name),
                retired_ids=RETIRED_SECRET_IDS,
                description=SETTINGS_DESCRIPTION,
            ),
        )
        p = self.parameters
        settings_arn, signing_arn, fingerprint_arn, label_keys_arn = p.arns
        # Shadow settings (docs/backtest.md): a second Terraform-owned parameter, only with a shadow file; the
        # stream reads it, the webhook never does.
        self.shadow_parameters = (
            RuntimeParameters(
                self,
                "shadow-parameters",
                aws=aws,
                props=RuntimeParametersProps(
                    kms_key_arn=r.key.arn,
                    settings_name=shadow_settings_parameter_name(env),
                    settings_value=settings_document(config.shadow_settings_file),
                    description=SHADOW_SETTINGS_DESCRIPTION,
                ),
            )
            if config.shadow_settings_file
            else None
        )
        shadow = self.shadow_parameters

        # The value of every variable a function may get; each function takes its own (stacks/functions.py).
        values = {
            contract.ENV_ENVIRONMENT: config.environment,
            contract.ENV_METRICS_NAMESPACE: METRICS_NAMESPACE,
            contract.ENV_LOG_LEVEL: DEFAULT_LOG_LEVEL,
            contract.ENV_TABLE_NAME: r.table.name,
            contract.ENV_WINDOW_SHARDS: str(config.window_shards),
            contract.ENV_PATTERN_TTL_DAYS: str(config.pattern_ttl_days),
            contract.ENV_BUCKET_NAME: r.bucket.name,
            contract.ENV_TOPIC_ARN: r.topic.arn,
            contract.ENV_SETTINGS_PARAMETER: p.settings_name,
            # Empty without a shadow file: the stream then decides nothing twice, the report has no shadow section.
            contract.ENV_SHADOW_SETTINGS_PARAMETER: shadow.settings_name if shadow else "",
            contract.ENV_SHADOW_REPORT_TOP_N: str(config.shadow_report_top_n) if shadow else "",
            contract.ENV_SIGNING_KEYS_PARAMETER: signing_keys_name,
            contract.ENV_FINGERPRINT_KEY_PARAMETER: fingerprint_key_name,
            contract.ENV_LABEL_SIGNING_KEYS_PARAMETER: label_keys_name,
        }

        def make(spec: FunctionRole, **extra: object) -> ContainerFunction:
            own = values | {contract.ENV_SERVICE_NAME: spec.service}
            environment = {name: own[name] for name in variables_of(spec.role) if name not in LATE_VARIABLES}
            return ContainerFunction(
                self,
                spec.role,
                aws=aws,
                props=ContainerFunctionProps(
                    function_name=spec.function_name(env),
                    image_uri=image_uri,
                    command=spec.command,
                    kms_key_arn=r.key.arn,
                    dead_letter_queue_arn=r.dlq.arn,
                    environment=environment,
                    memory_size=spec.memory_size,
                    timeout_seconds=spec.timeout_seconds,
                    alias_name=LIVE_ALIAS,
                    reserved_concurrency=config.reserved_concurrency(spec.role),
                    vpc=vpc,
                    log_retention_days=config.log_retention_days,
                    # Roles created by the GitHub deploy role must carry the bootstrap's boundary.
                    permissions_boundary_arn=(
                        aws.arn("iam", f"policy/{permissions_boundary_name(aws.region)}", region=False)
                        if config.github_repository
                        else None
                    ),
                    **extra,  # type: ignore[arg-type]
                ),
            )

        # Webhook: sync behind API Gateway; conditional put + get on the table, velocity counts on two
        # indexes, the three parameters (SecureStrings decrypted with the CMK). The two secret ones are
        # granted by name: the rotation command creates them, Terraform never holds their values.
        self.webhook = make(
            WEBHOOK, behind_api_gateway=True, provisioned_concurrency=config.webhook_provisioned_concurrency
        )
        self.webhook.grant("WritePatterns", ["dynamodb:PutItem", "dynamodb:GetItem"], [r.table.arn])
        self.webhook.grant(
            "CountVelocity",
            ["dynamodb:Query"],
            [r.table.index_arn(CUSTOMER_INDEX.name), r.table.index_arn(CARD_INDEX.name)],
        )
        self.webhook.grant(
            "ReadParameters",
            ["ssm:GetParameters"],  # one call for all three (adapters/parameters.py)
            [settings_arn, signing_arn, fingerprint_arn],
        )

        # Stream: reads the table stream, writes one audit object per batch, publishes block alerts;
        # failed batches go to the DLQ (on-failure destination of the mapping, sent with this role).
        self.stream = make(STREAM)
        self.stream.grant(
            "ReadTableStream",
            ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
            [r.table.stream_arn],
        )
        self.stream.grant(
            "ListStreams",
            ["dynamodb:ListStreams"],
            ["*"],
            wildcard_reason="ListStreams has no resource type in IAM; it lists stream ARNs, reads no records",
        )
        self.stream.grant("WriteAuditTrail", ["s3:PutObject"], [f"{r.bucket.arn}/{AUDIT_PREFIX}*"])
        # Settings history: a conditional PutObject (If-None-Match) per new version, of the settings it reads
        # (the live parameter, and the shadow one when deployed).
        self.stream.grant("WriteSettingsHistory", ["s3:PutObject"], [f"{r.bucket.arn}/{SETTINGS_HISTORY_PREFIX}*"])
        self.stream.grant(
            "ReadSettings", ["ssm:GetParameter"], [settings_arn, *([shadow.settings.arn] if shadow else [])]
        )
        self.stream.grant("PublishAlerts", ["sns:Publish"], [r.topic.arn])
        # The ledger (docs/labels.md): one AUDITED#<transaction_id> item per audited line, after the batch's
        # audit object exists (BatchWriteItem of up to 25 puts: adapters/audited_ledger.py), never a pattern item.
        self.stream.grant(
            "WriteLedger",
            ["dynamodb:BatchWriteItem"],
            [r.table.arn],
            conditions=[ledger_keys_only()],
        )
        self.stream.grant_key(["kms:GenerateDataKey"])
        self.stream.grant_dead_letter_queue()

        # Batch: async (EventBridge), one Query per window shard, analyses and reports in S3.
        self.batch = make(BATCH, async_invocation=True)
        self.batch.grant("ReadWindows", ["dynamodb:Query"], [r.table.index_arn(WINDOW_INDEX.name)])
        self.batch.grant(
            "WriteAnalysesAndReports",
            ["s3:PutObject"],
            [f"{r.bucket.arn}/{ANALYSES_PREFIX}*", f"{r.bucket.arn}/{REPORTS_PREFIX}*"],
        )
        self.batch.grant("ReadAnalyses", ["s3:GetObject"], [f"{r.bucket.arn}/{ANALYSES_PREFIX}*"])
        self.batch.grant(
            "ListAnalyses",
            ["s3:ListBucket"],
            [r.bucket.arn],
            conditions=[Condition("StringLike", "s3:prefix", (f"{ANALYSES_PREFIX}*",))],
        )
        self.batch.grant("PublishAlerts", ["sns:Publish"], [r.topic.arn])
        self.batch.grant("ReadSettings", ["ssm:GetParameter"], [settings_arn])
        if shadow:
            # The daily report's shadow section reads the day's audit lines.
            self.batch.grant("ReadAuditTrail", ["s3:GetObject"], [f"{r.bucket.arn}/{AUDIT_PREFIX}*"])
            self.batch.grant(
                "ListAuditTrail",
                ["s3:ListBucket"],
                [r.bucket.arn],
                conditions=[Condition("StringLike", "s3:prefix", (f"{AUDIT_PREFIX}*",))],
            )
        self.batch.grant_key(["kms:GenerateDataKey"])

        # Labels: sync behind API Gateway (its own route, API key and signing-key set: docs/labels.md). It reads
        # only the ledger item of the transaction it labels, the settings and the label keys (never the webhook's
        # keys), and writes one object per label under labels/, reading it back only to answer a repeat.
        self.labels = make(LABELS, behind_api_gateway=True)
        self.labels.grant("ReadLedger", ["dynamodb:GetItem"], [r.table.arn], conditions=[ledger_keys_only()])
        self.labels.grant(
            "ReadParameters",
            ["ssm:GetParameters"],  # one call for both (adapters/parameters.py, LabelParameterStore)
            [settings_arn, label_keys_arn],
        )
        self.labels.grant("WriteLabels", ["s3:PutObject", "s3:GetObject"], [f"{r.bucket.arn}/{LABELS_PREFIX}*"])
        # SSE-KMS objects: a data key to write (PutObject), Decrypt to read one back (already granted).
        self.labels.grant_key(["kms:GenerateDataKey"])

        self.stream_mapping = LambdaEventSourceMapping(
            self,
            "stream-mapping",
            event_source_arn=r.table.stream_arn,
            function_name=self.stream.alias_arn,
            # TRIM_HORIZON: records written before the mapping exists, or while it is replaced, are still
            # audited (up to the stream's 24 h). A replay writes lines twice under other batch keys:
            # every audit reader de-duplicates by transaction id (fraud_detection.audit.read_audit_lines).
            starting_position="TRIM_HORIZON",
            batch_size=config.stream_batch_size,
            maximum_batching_window_in_seconds=config.stream_batching_window_seconds,
            bisect_batch_on_function_error=True,
            maximum_retry_attempts=STREAM_MAX_RETRY_ATTEMPTS,
            maximum_record_age_in_seconds=STREAM_MAX_RECORD_AGE_SECONDS,
            # Only pattern inserts invoke the stream function, so the ledger items it writes into the same table
            # never invoke it again (AWS Lambda Developer Guide, "Lambda event filtering", "Filtering DynamoDB
            # events": records that match no filter are dropped, not retried).
            filter_criteria=LambdaEventSourceMappingFilterCriteria(
                filter=[
                    LambdaEventSourceMappingFilterCriteriaFilter(pattern=json.dumps(contract.STREAM_AUDITED_EVENTS))
                ]
            ),
            destination_config=LambdaEventSourceMappingDestinationConfig(
                on_failure=LambdaEventSourceMappingDestinationConfigOnFailure(destination_arn=r.dlq.arn)
            ),
            # Lambda checks the stream read and DLQ send permissions when the mapping is created.
            depends_on=[self.stream.role_policy],
        )

    def set_labels_api_key(self, api_key_id: str) -> None:
        """Give the labels function the id of the labels route's API key (``LABELS_API_KEY_ID``): the API is
        built from the functions, so the key exists only after them (``LATE_VARIABLES``). Terraform has no
        cycle: the key depends on nothing, the function on the key, the route's integration on the function."""
        self.labels.add_environment(contract.ENV_LABELS_API_KEY_ID, api_key_id)

    @property
    def functions(self) -> tuple[ContainerFunction, ...]:
        """In the contract's order (``contract.FUNCTIONS``)."""
        return (self.webhook, self.stream, self.batch, self.labels)
