"""App stack: the data plane (key, table, bucket, queue, topic) and, on top, compute and API.

The Lambda image is found by name and tag, and pinned by **digest**: ``image_tag`` is the
content hash of ``lambda_image/`` (see ``stacks/image_tag.py``), and the ECR image data source
resolves it to ``sha256:...`` at plan time, so a function only ever changes when the image's
content does, and a rollback is a redeploy of the previous tag.
"""

from __future__ import annotations

from cdktf import TerraformOutput
from cdktf_cdktf_provider_aws.data_aws_ecr_image import DataAwsEcrImage
from cdktf_cdktf_provider_aws.data_aws_ecr_repository import DataAwsEcrRepository
from constructs import Construct

from fraud_constructs.alert_topic import AlertTopic, AlertTopicProps
from fraud_constructs.audit_bucket import AuditBucket, AuditBucketProps
from fraud_constructs.dead_letter_queue import DeadLetterQueue, DeadLetterQueueProps
from fraud_constructs.encryption_key import EncryptionKey, EncryptionKeyProps
from fraud_constructs.pattern_table import PatternTable, PatternTableProps
from stacks.base import FraudStack
from stacks.config import AppConfig
from stacks.registry import repository_name

# Services that act on this account's behalf with the app key.
_KEY_SERVICES = ("dynamodb", "s3", "sqs", "sns", "ssm", "lambda")


class AppStack(FraudStack):
    """Exposes ``key``, ``table``, ``bucket``, ``dlq``, ``topic``, ``image_uri``."""

    def __init__(self, scope: Construct, stack_name: str, config: AppConfig, *, image_tag: str) -> None:
        super().__init__(scope, stack_name, config)
        env = config.environment
        self.image_tag = image_tag
        self.key = EncryptionKey(
            self,
            "app-key",
            aws=self.aws,
            props=EncryptionKeyProps(
                alias=f"fraud-app-{env}",
                description=f"Encrypts fraud-detection data, logs, queues and topics ({env})",
                allow_cloudwatch_logs=True,
                allow_eventbridge=True,
                allow_cloudwatch_alarms=True,
                via_services=_KEY_SERVICES,
            ),
        )
        self.table = PatternTable(
            self,
            "patterns",
            props=PatternTableProps(
                table_name=config.name("patterns"),
                kms_key_arn=self.key.arn,
                deletion_protection=config.protection.deletion_protection,
            ),
        )
        self.bucket = AuditBucket(
            self,
            "audit",
            aws=self.aws,
            props=AuditBucketProps(
                name_prefix=config.name("audit"),
                kms_key_arn=self.key.arn,
                force_destroy=config.protection.force_destroy,
                transition_days=config.audit_transition_days,
                noncurrent_expiry_days=config.audit_noncurrent_expiry_days,
                object_lock_days=config.audit_object_lock_days,
            ),
        )
        self.dlq = DeadLetterQueue(
            self, "dlq", aws=self.aws, props=DeadLetterQueueProps(queue_name=config.name("dlq"), kms_key_arn=self.key.arn)
        )
        self.topic = AlertTopic(
            self,
            "alerts",
            aws=self.aws,
            props=AlertTopicProps(topic_name=config.name("alerts"), kms_key_arn=self.key.arn, email=config.alert_email),
        )
        self.repository = DataAwsEcrRepository(self, "image-repository", name=repository_name(config))
        self.image = DataAwsEcrImage(
            self, "image", repository_name=self.repository.name, image_tag=image_tag
        )
        self.image_uri = f"{self.repository.repository_url}@{self.image.image_digest}"

        TerraformOutput(self, "table_name", value=self.table.name)
        TerraformOutput(self, "bucket_name", value=self.bucket.name)
        TerraformOutput(self, "dlq_url", value=self.dlq.url)
        TerraformOutput(self, "topic_arn", value=self.topic.arn)
        TerraformOutput(self, "app_key_arn", value=self.key.arn)
        TerraformOutput(self, "image_uri", value=self.image_uri)
