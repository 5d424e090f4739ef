"""The three functions of the app, their parameters, grants and the table-stream mapping.

Names, commands and environment variables follow docs/contract.md (``tests/infra/test_contract.py``
checks them against the image). Each grant is exactly what that handler calls, on the exact ARN.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.lambda_event_source_mapping import (
    LambdaEventSourceMapping,
    LambdaEventSourceMappingDestinationConfig,
    LambdaEventSourceMappingDestinationConfigOnFailure,
)
from constructs import Construct

from fraud_constructs.alert_topic import AlertTopic
from fraud_constructs.audit_bucket import AuditBucket
from fraud_constructs.aws_context import AwsContext
from fraud_constructs.container_function import Condition, ContainerFunction, ContainerFunctionProps
from fraud_constructs.dead_letter_queue import DeadLetterQueue
from fraud_constructs.encryption_key import EncryptionKey
from fraud_constructs.pattern_table import CARD_INDEX, CUSTOMER_INDEX, WINDOW_INDEX, PatternTable
from fraud_constructs.runtime_parameters import RuntimeParameters, RuntimeParametersProps
from stacks.config import AppConfig, permissions_boundary_name

METRICS_NAMESPACE = "FraudDetection"


@dataclass(frozen=True)
class FunctionSpec:
    """What differs between the functions (the contract's handler table)."""

    role: str  # webhook | stream | batch
    command: str
    memory_size: int
    timeout_seconds: int

    @property
    def service(self) -> str:
        """Powertools service name and metric dimension, e.g. ``fraud-batch``."""
        return f"fraud-{self.role}"

    def function_name(self, environment: str) -> str:
        return f"fraud-{self.role}-{environment}"


WEBHOOK = FunctionSpec("webhook", "fraud_detection.handlers.webhook.handler", 512, 15)
STREAM = FunctionSpec("stream", "fraud_detection.handlers.stream.handler", 512, 60)
BATCH = FunctionSpec("batch", "fraud_detection.handlers.batch.handler", 1024, 300)
FUNCTION_SPECS = (WEBHOOK, STREAM, BATCH)

STREAM_MAX_RETRY_ATTEMPTS = 5
STREAM_MAX_RECORD_AGE_SECONDS = 24 * 3600  # the stream's own retention


@dataclass(frozen=True)
class Resources:
    """The data plane the functions use (built by the app stack)."""

    key: EncryptionKey
    table: PatternTable
    bucket: AuditBucket
    dlq: DeadLetterQueue
    topic: AlertTopic


def common_environment(config: AppConfig, spec: FunctionSpec) -> dict[str, str]:
    return {
        "ENVIRONMENT": config.environment,
        "POWERTOOLS_SERVICE_NAME": spec.service,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "LOG_LEVEL": "INFO",
    }


class Compute(Construct):
    """Exposes ``parameters``, ``webhook``/``stream``/``batch`` (ContainerFunction), ``stream_mapping``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        aws: AwsContext,
        config: AppConfig,
        resources: Resources,
        image_uri: str,
    ) -> None:
        super().__init__(scope, construct_id)
        env = config.environment
        r = resources
        self.parameters = RuntimeParameters(
            self, "parameters", aws=aws, props=RuntimeParametersProps(environment=env, kms_key_arn=r.key.arn)
        )
        p = self.parameters
        settings_arn, signing_arn, fingerprint_arn = p.arns

        def make(spec: FunctionSpec, environment: Mapping[str, str], **extra: object) -> ContainerFunction:
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
                    environment=common_environment(config, spec) | dict(environment),
                    memory_size=spec.memory_size,
                    timeout_seconds=spec.timeout_seconds,
                    reserved_concurrency=config.reserved_concurrency,
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
            WEBHOOK,
            {
                "TABLE_NAME": r.table.name,
                "WINDOW_SHARDS": str(config.window_shards),
                "SETTINGS_PARAMETER": p.settings_name,
                "SIGNING_KEYS_PARAMETER": p.signing_keys_name,
                "FINGERPRINT_KEY_PARAMETER": p.fingerprint_key_name,
            },
            behind_api_gateway=True,
        )
        self.webhook.grant("WritePatterns", ["dynamodb:PutItem", "dynamodb:GetItem"], [r.table.arn])
        self.webhook.grant(
            "CountVelocity",
            ["dynamodb:Query"],
            [r.table.index_arn(CUSTOMER_INDEX), r.table.index_arn(CARD_INDEX)],
        )
        self.webhook.grant(
            "ReadParameters",
            ["ssm:GetParameters"],  # one call for all three (adapters/parameters.py)
            [settings_arn, signing_arn, fingerprint_arn],
        )

        # Stream: reads the table stream, writes one audit object per batch, publishes block alerts;
        # failed batches go to the DLQ (on-failure destination of the mapping, sent with this role).
        self.stream = make(STREAM, {"BUCKET_NAME": r.bucket.name, "TOPIC_ARN": r.topic.arn})
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
        self.stream.grant("WriteAuditTrail", ["s3:PutObject"], [f"{r.bucket.arn}/audit/*"])
        self.stream.grant("PublishAlerts", ["sns:Publish"], [r.topic.arn])
        self.stream.grant_key(["kms:GenerateDataKey"])
        self.stream.grant_dead_letter_queue()

        # Batch: async (EventBridge), one Query per window shard, analyses and reports in S3.
        self.batch = make(
            BATCH,
            {
                "TABLE_NAME": r.table.name,
                "WINDOW_SHARDS": str(config.window_shards),
                "BUCKET_NAME": r.bucket.name,
                "TOPIC_ARN": r.topic.arn,
                "SETTINGS_PARAMETER": p.settings_name,
            },
            async_invocation=True,
        )
        self.batch.grant("ReadWindows", ["dynamodb:Query"], [r.table.index_arn(WINDOW_INDEX)])
        self.batch.grant(
            "WriteAnalysesAndReports",
            ["s3:PutObject"],
            [f"{r.bucket.arn}/analyses/*", f"{r.bucket.arn}/reports/*"],
        )
        self.batch.grant("ReadAnalyses", ["s3:GetObject"], [f"{r.bucket.arn}/analyses/*"])
        self.batch.grant(
            "ListAnalyses",
            ["s3:ListBucket"],
            [r.bucket.arn],
            conditions=[Condition("StringLike", "s3:prefix", ("analyses/*",))],
        )
        self.batch.grant("PublishAlerts", ["sns:Publish"], [r.topic.arn])
        self.batch.grant("ReadSettings", ["ssm:GetParameter"], [settings_arn])
        self.batch.grant_key(["kms:GenerateDataKey"])

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
            destination_config=LambdaEventSourceMappingDestinationConfig(
                on_failure=LambdaEventSourceMappingDestinationConfigOnFailure(destination_arn=r.dlq.arn)
            ),
            # Lambda checks the stream read and DLQ send permissions when the mapping is created.
            depends_on=[self.stream.role_policy],
        )

    @property
    def functions(self) -> tuple[ContainerFunction, ContainerFunction, ContainerFunction]:
        return (self.webhook, self.stream, self.batch)
