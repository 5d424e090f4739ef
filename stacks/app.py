"""App stack: the data plane (key, table, bucket, queue, topic) and, on top, compute and API.

The Lambda image is found by name and tag, and pinned by **digest**: ``image_tag`` is the
content hash of ``lambda_image/`` (see ``stacks/image_tag.py``), and the ECR image data source
resolves it to ``sha256:...`` at plan time, so a function only ever changes when the image's
content does, and a rollback is a redeploy of the previous tag.
"""

from __future__ import annotations

import json

from cdktf import TerraformOutput
from cdktf_cdktf_provider_aws.data_aws_ecr_image import DataAwsEcrImage
from cdktf_cdktf_provider_aws.data_aws_ecr_repository import DataAwsEcrRepository
from constructs import Construct

from fraud_constructs.alarms import Alarms, AlarmSpec, AlarmsProps
from fraud_constructs.alert_topic import AlertTopic, AlertTopicProps
from fraud_constructs.audit_bucket import AuditBucket, AuditBucketProps
from fraud_constructs.container_function import VpcAttachment
from fraud_constructs.dead_letter_queue import DeadLetterQueue, DeadLetterQueueProps
from fraud_constructs.encryption_key import EncryptionKey, EncryptionKeyProps
from fraud_constructs.schedule import Schedule, ScheduleProps
from fraud_constructs.secure_table import SecureTable
from fraud_constructs.webhook_api import ProxyRoute, WebhookApi, WebhookApiProps
from fraud_detection.contract import (
    AUDIT_PREFIX,
    LABELS_PATH,
    METRICS_NAMESPACE,
    PROJECT,
    SCHEDULES,
    SMOKE_ATTRIBUTE,
    TABLE_BASE,
    dashboard_name,
    repository_name,
)
from stacks.audit_protection import AuditProtection
from stacks.base import FraudStack
from stacks.bootstrap import access_log_bucket_name
from stacks.compute import Compute, Resources
from stacks.config import AppConfig
from stacks.monitoring import RUNBOOK, MonitoredFunction, MonitoringInputs, alarm_specs, dashboard_body
from stacks.network import NetworkResources, vpc_network
from stacks.registry import deploy_role_arn
from stacks.specs import ALARMED_INDEXES, LABELS_REQUEST_SCHEMA, WEBHOOK_REQUEST_SCHEMA, pattern_table_props

# Services that act on this account's behalf with the app key.
_KEY_SERVICES = ("dynamodb", "s3", "sqs", "sns", "ssm", "lambda")


class AppStack(FraudStack):
    """Exposes ``key``, ``table``, ``bucket``, ``dlq``, ``topic``, ``image_uri``, ``compute``, ``api`` (and its
    ``labels_route``), ``schedules`` and ``alarms``."""

    def __init__(self, scope: Construct, stack_name: str, config: AppConfig, *, image_tag: str) -> None:
        super().__init__(scope, stack_name, config)
        env = config.environment
        self.image_tag = image_tag
        self.key = EncryptionKey(
            self,
            "app-key",
            aws=self.aws,
            props=EncryptionKeyProps(
                alias=config.name("app"),
                description=f"Encrypts {PROJECT} data, logs, queues and topics ({env})",
                # Log groups are named below, once the functions and the API exist
                # (the API execution log group's name holds the REST API id).
                allow_cloudwatch_logs=True,
                allow_eventbridge=True,
                allow_cloudwatch_alarms=True,
                via_services=_KEY_SERVICES,
                deploy_role_arn=deploy_role_arn(self.aws, config),
            ),
        )
        table_name = config.name(TABLE_BASE)
        queue_name, topic_name, api_name = config.name("dlq"), config.name("alerts"), config.name("webhook-api")
        self.table = SecureTable(
            self,
            "patterns",
            props=pattern_table_props(
                table_name, self.key.arn, deletion_protection=config.protection.deletion_protection
            ),
        )
        self.bucket = AuditBucket(
            self,
            "audit",
            aws=self.aws,
            props=AuditBucketProps(
                name_prefix=config.name("audit"),
                kms_key_arn=self.key.arn,
                archive_prefix=AUDIT_PREFIX,
                force_destroy=config.protection.force_destroy,
                transition_days=config.audit_transition_days,
                noncurrent_expiry_days=config.audit_noncurrent_expiry_days,
                object_lock_days=config.audit_object_lock_days,
                prevent_destroy=config.protection.deletion_protection,
            ),
        )
        self.dlq = DeadLetterQueue(
            self,
            "dlq",
            aws=self.aws,
            props=DeadLetterQueueProps(queue_name=queue_name, kms_key_arn=self.key.arn),
        )
        self.topic = AlertTopic(
            self,
            "alerts",
            aws=self.aws,
            props=AlertTopicProps(
                topic_name=topic_name,
                kms_key_arn=self.key.arn,
                # This environment's alarms: fraud-<base>-<env> and fraud-<base>-<env>-<what> (Alarms).
                alarm_name_patterns=(config.name("*"), f"{config.name('*')}-*"),
                email=config.alert_email,
                # Smoke-test alerts carry the contract's SMOKE_ATTRIBUTE (fraud_detection.smoke): on-call
                # is not paged by them; alarm notifications and real alerts have no such attribute.
                email_filter_policy=json.dumps({SMOKE_ATTRIBUTE: [{"exists": False}]}),
            ),
        )
        # Hardened-profile options (docs/configuration.md, "Profile options") add their alarms and the
        # log groups the app key must let CloudWatch Logs use here.
        extra_alarms: list[AlarmSpec] = []
        extra_log_groups: list[str] = []
        # [profile: audit access logs and replication]
        # Server access logs or CloudTrail data events of the audit bucket (into the bootstrap's log bucket of
        # this account and region, found by its name), and its replica in auditReplicaRegion.
        self.audit_protection = AuditProtection(
            self,
            "audit-protection",
            aws=self.aws,
            config=config,
            key=self.key,
            bucket=self.bucket,
            log_bucket_name=access_log_bucket_name(self.aws.account_id, self.aws.region),
        )
        extra_alarms += self.audit_protection.alarms

        # [profile: VPC mode] (sets the functions' VpcAttachment, or None)
        vpc_attachment: VpcAttachment | None = None
        self.network = vpc_network(
            self,
            aws=self.aws,
            config=config,
            resources=NetworkResources(key=self.key, table=self.table, bucket=self.bucket, topic=self.topic),
        )
        if self.network is not None:
            vpc_attachment = self.network.attachment
            extra_log_groups.extend(self.network.log_group_names)

        self.repository = DataAwsEcrRepository(self, "image-repository", name=repository_name(env))
        self.image = DataAwsEcrImage(self, "image", repository_name=self.repository.name, image_tag=image_tag)
        self.image_uri = f"{self.repository.repository_url}@{self.image.image_digest}"

        self.compute = Compute(
            self,
            "compute",
            aws=self.aws,
            config=config,
            resources=Resources(key=self.key, table=self.table, bucket=self.bucket, dlq=self.dlq, topic=self.topic),
            image_uri=self.image_uri,
            vpc=vpc_attachment,
        )
        webhook, labels = self.compute.webhook, self.compute.labels
        self.api = WebhookApi(
            self,
            "webhook-api",
            aws=self.aws,
            props=WebhookApiProps(
                api_name=api_name,
                environment=env,
                request_schema=WEBHOOK_REQUEST_SCHEMA,
                metrics_namespace=METRICS_NAMESPACE,
                description="Fraud-detection transaction webhook",
                function_name=webhook.function_name,
                alias_name=webhook.alias.name,
                alias_invoke_arn=webhook.invoke_arn,
                kms_key_arn=self.key.arn,
                log_retention_days=config.log_retention_days,
                throttle_rate=config.api_throttle_rate,
                throttle_burst=config.api_throttle_burst,
                quota_per_day=config.api_quota_per_day,
                # POST /labels (docs/labels.md): the labellers' own usage plan and API key.
                extra_routes=(
                    ProxyRoute(
                        path=LABELS_PATH,
                        function_name=labels.function_name,
                        alias_name=labels.alias.name,
                        alias_invoke_arn=labels.invoke_arn,
                        request_schema=LABELS_REQUEST_SCHEMA,
                        description="labellers (analysts, chargeback and customer feeds)",
                        # Sized from labelsReservedConcurrency so that API Gateway answers 429 before Lambda
                        # throttles the function (a 500 through the proxy integration): docs/capacity.md.
                        throttle_rate=config.labels_throttle_rate,
                        throttle_burst=config.labels_throttle_burst,
                        quota_per_day=config.labels_quota_per_day,
                    ),
                ),
            ),
        )
        self.labels_route = self.api.routes[LABELS_PATH]
        # The labels function refuses any other key (a sender's): it learns its own now that the key exists.
        self.compute.set_labels_api_key(self.labels_route.api_key.id)
        # [profile: WAF]
        self.edge = None
        if config.waf:
            from stacks.edge import protect_webhook  # the WAF provider modules load only when it is on

            self.edge = protect_webhook(self, aws=self.aws, config=config, api=self.api, kms_key_arn=self.key.arn)
            extra_alarms += self.edge.alarms
            extra_log_groups += self.edge.log_group_names

        # CloudWatch Logs may encrypt exactly these log groups with the app key. Their configured names
        # (``name_input``), not their ``name`` attributes: a reference would make the key depend on the
        # log groups that depend on it.
        self.key.allow_log_groups(
            log_group.name_input
            for log_group in (
                *(fn.log_group for fn in self.compute.functions),
                self.api.access_log_group,
                self.api.execution_log_group,
            )
        )
        self.key.allow_log_groups(extra_log_groups)
        batch = self.compute.batch
        self.schedules = [
            Schedule(
                self,
                schedule.construct_id,
                aws=self.aws,
                props=ScheduleProps(
                    rule_name=schedule.rule_name(env),
                    schedule_expression=schedule.expression,
                    job=schedule.job,
                    function_name=batch.function_name,
                    alias_name=batch.alias.name,
                    alias_arn=batch.alias_arn,
                    dead_letter_queue_arn=self.dlq.arn,
                ),
            )
            for schedule in SCHEDULES
        ]
        self.dlq.allow_eventbridge_rules([schedule.arn for schedule in self.schedules])
        monitored = MonitoringInputs(
            environment=env,
            functions=[
                MonitoredFunction(fn.props.function_name, fn.props.timeout_seconds) for fn in self.compute.functions
            ],
            stream_function_name=self.compute.stream.props.function_name,
            queue_name=queue_name,
            api_name=api_name,
            stage_name=self.api.props.stage_name,
            labels_resource=f"/{LABELS_PATH}",
            schedule_rule_names=[schedule.rule_name(env) for schedule in SCHEDULES],
            destination_function_names=[self.compute.stream.props.function_name, batch.props.function_name],
            async_function_names=[batch.props.function_name],
            table_name=table_name,
            table_index_names=[index.name for index in ALARMED_INDEXES],
            topic_name=topic_name,
            option_alarms=extra_alarms,
            shadow_block_share_percent=config.shadow_block_share_alarm if config.shadow_settings_file else None,
        )
        self.alarms = Alarms(
            self,
            "alarms",
            aws=self.aws,
            props=AlarmsProps(
                topic_arn=self.topic.arn,
                alarms=[*alarm_specs(monitored), *extra_alarms],
                dashboard_name=dashboard_name(env),
                dashboard_body=dashboard_body(monitored, self.aws.region),
                runbook=RUNBOOK,
            ),
        )

        outputs = {
            "table_name": self.table.name,
            "bucket_name": self.bucket.name,
            "dlq_url": self.dlq.url,
            "topic_arn": self.topic.arn,
            "app_key_arn": self.key.arn,
            "image_uri": self.image_uri,
            "ecr_repository_url": self.repository.repository_url,
            "webhook_url": self.api.url,
            "api_key_id": self.api.api_key.id,
            "labels_url": self.api.route_url(LABELS_PATH),
            "labels_api_key_id": self.labels_route.api_key.id,
            "schedule_rule_names": [schedule.name for schedule in self.schedules],
            "dashboard_name": self.alarms.dashboard_name,
        }
        for fn in self.compute.functions:
            role = fn.node.id
            outputs[f"{role}_function_name"] = fn.function_name
            outputs[f"{role}_function_arn"] = fn.function.arn
            outputs[f"{role}_alias_name"] = fn.alias.name
            outputs[f"{role}_alias_arn"] = fn.alias_arn
        for name, value in outputs.items():
            TerraformOutput(self, name, value=value)
