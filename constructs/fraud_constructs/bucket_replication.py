"""Live replication of one SSE-KMS bucket to a bucket in another region, under a key there.

What it creates, and the AWS page each part follows (Amazon S3 User Guide):

- the **replication role**, trusted by ``s3.amazonaws.com`` with no condition: the trust policy of
  "Setting up permissions for live replication" has none, and this library adds only condition
  keys AWS documents for a service's trust (``iam_statements``). Who may hand the role to S3 is
  ``iam:PassRole`` of the principal that writes the replication configuration;
- its **policy**, the documented minimum plus what this source needs: ``s3:GetReplicationConfiguration``
  and ``s3:ListBucket`` on the source bucket; ``s3:GetObjectVersionForReplication``,
  ``s3:GetObjectVersionAcl`` and ``s3:GetObjectVersionTagging`` on its objects ("Setting up
  permissions for live replication"); ``s3:GetObjectRetention`` and ``s3:GetObjectLegalHold`` on
  its objects, so that objects under Object Lock replicate with their retention and legal hold
  ("Object Lock considerations", "Using Object Lock with S3 Replication"; always granted: the
  source may turn Object Lock on in place later); ``s3:ReplicateObject`` and ``s3:ReplicateTags``
  on the destination's objects, ``s3:ReplicateDelete`` only with ``delete_marker_replication``;
- the **KMS grants** of "Replicating encrypted objects (SSE-S3, SSE-KMS, DSSE-KMS, SSE-C)":
  ``kms:Decrypt`` on the source key and ``kms:Encrypt`` on the destination key, each limited with
  ``kms:ViaService = s3.<region>.<suffix>`` and ``kms:EncryptionContext:aws:s3:arn``. With S3
  Bucket Keys the encryption context is the **bucket** ARN, not the object ARN ("S3 Bucket Keys
  and replication"), so both the bucket ARN and ``<bucket ARN>/*`` are allowed; and the destination
  key also needs ``kms:Decrypt`` for the role, which checks the bucket key's integrity (same
  section). The key policies must let IAM policies of the account grant this (the account-root
  statement of :class:`~fraud_constructs.encryption_key.EncryptionKey`);
- the **replication configuration** on the source: one rule for the whole bucket, SSE-KMS objects
  opted in (``source_selection_criteria.sse_kms_encrypted_objects = Enabled``), replicas
  encrypted with ``replica_kms_key_arn`` (``encryption_configuration.replica_kms_key_id``; the key
  must be in the destination's region), replication metrics on ("Monitoring progress with
  replication metrics": they can be enabled without S3 Replication Time Control, and
  ``OperationsFailedReplication`` exists only with them). Delete markers are **not** replicated by
  default: a delete on the source (or a compromised writer) does not hide objects in the replica.
  S3 needs versioning on both buckets before the configuration (``depends_on``).

What S3 does not do: objects that existed before the configuration are not replicated (S3 Batch
Replication does that, out of band), and lifecycle actions of the source are not replicated (the
destination needs its own lifecycle). A destination bucket for an Object Lock source must have
Object Lock enabled itself (``AuditBucketProps.object_lock_at_creation``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.s3_bucket_replication_configuration import (
    S3BucketReplicationConfigurationA,
    S3BucketReplicationConfigurationRule,
    S3BucketReplicationConfigurationRuleDeleteMarkerReplication,
    S3BucketReplicationConfigurationRuleDestination,
    S3BucketReplicationConfigurationRuleDestinationEncryptionConfiguration,
    S3BucketReplicationConfigurationRuleDestinationMetrics,
    S3BucketReplicationConfigurationRuleFilter,
    S3BucketReplicationConfigurationRuleSourceSelectionCriteria,
    S3BucketReplicationConfigurationRuleSourceSelectionCriteriaSseKmsEncryptedObjects,
)
from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from fraud_constructs.iam_statements import condition, service_trust_document
from fraud_constructs.overrides import apply_overrides

# The source reads of "Setting up permissions for live replication" plus the Object Lock reads.
SOURCE_BUCKET_ACTIONS = ("s3:GetReplicationConfiguration", "s3:ListBucket")
SOURCE_OBJECT_ACTIONS = (
    "s3:GetObjectVersionForReplication",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectVersionTagging",
    "s3:GetObjectRetention",
    "s3:GetObjectLegalHold",
)


@dataclass(frozen=True)
class BucketReplicationProps:
    """Props of :class:`BucketReplication`."""

    role_name: str
    """Name of the replication role (IAM is global: put the region in it)."""
    source_bucket_name: str
    """The bucket that is replicated (its configuration is written here)."""
    source_bucket_arn: str
    source_kms_key_arn: str
    """The key its objects are encrypted with (SSE-KMS)."""
    destination_bucket_arn: str
    """The replica bucket (versioned; Object Lock enabled if the source has it)."""
    destination_region: str
    """Region of the replica bucket and key (token allowed), for ``kms:ViaService``."""
    replica_kms_key_arn: str
    """Key in ``destination_region`` the replicas are encrypted with (an ARN: S3 does not check it)."""
    rule_id: str = "replicate-all"
    """Replication rule id (the ``RuleId`` dimension of the replication metrics). Default: replicate-all."""
    delete_marker_replication: bool = False
    """Replicate delete markers (and grant ``s3:ReplicateDelete``). Default: False."""
    storage_class: str | None = None
    """Storage class of the replicas. Default: None (the source object's class)."""
    permissions_boundary_arn: str | None = None
    """Permissions boundary of the role. Default: None."""
    overrides: Mapping[str, object] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths on the replication configuration. Default: none."""


class BucketReplication(Construct):
    """Exposes ``role``, ``role_policy``, ``policy_document``, ``configuration`` and ``rule_id``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        aws: AwsContext,
        props: BucketReplicationProps,
        depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        """``aws`` is the source's context; ``depends_on`` must hold the versioning of both buckets."""
        super().__init__(scope, construct_id)
        self.props = props
        self.rule_id = props.rule_id
        source, destination = props.source_bucket_arn, props.destination_bucket_arn
        trust = service_trust_document(self, "trust", "s3", aws)
        self.role = IamRole(
            self,
            "role",
            name=props.role_name,
            description=f"S3 replication of {props.source_bucket_name}",
            assume_role_policy=trust.json,
            permissions_boundary=props.permissions_boundary_arn,
        )
        replicate = ["s3:ReplicateObject", "s3:ReplicateTags"]
        if props.delete_marker_replication:
            replicate.append("s3:ReplicateDelete")
        statements = [
            DataAwsIamPolicyDocumentStatement(
                sid="ReadReplicationConfiguration", actions=list(SOURCE_BUCKET_ACTIONS), resources=[source]
            ),
            DataAwsIamPolicyDocumentStatement(
                sid="ReadSourceVersions", actions=list(SOURCE_OBJECT_ACTIONS), resources=[f"{source}/*"]
            ),
            DataAwsIamPolicyDocumentStatement(sid="WriteReplicas", actions=replicate, resources=[f"{destination}/*"]),
            DataAwsIamPolicyDocumentStatement(
                sid="DecryptSourceObjects",
                actions=["kms:Decrypt"],
                resources=[props.source_kms_key_arn],
                condition=[
                    condition("StringEquals", "kms:ViaService", [f"s3.{aws.region}.{aws.dns_suffix}"]),
                    condition("StringLike", "kms:EncryptionContext:aws:s3:arn", [source, f"{source}/*"]),
                ],
            ),
            DataAwsIamPolicyDocumentStatement(
                sid="EncryptReplicas",
                actions=["kms:Encrypt", "kms:Decrypt"],
                resources=[props.replica_kms_key_arn],
                condition=[
                    condition("StringEquals", "kms:ViaService", [f"s3.{props.destination_region}.{aws.dns_suffix}"]),
                    condition("StringLike", "kms:EncryptionContext:aws:s3:arn", [destination, f"{destination}/*"]),
                ],
            ),
        ]
        self.policy_document = DataAwsIamPolicyDocument(self, "policy", statement=statements)
        self.role_policy = IamRolePolicy(
            self, "role-policy", name="replication", role=self.role.id, policy=self.policy_document.json
        )
        self.configuration = S3BucketReplicationConfigurationA(
            self,
            "configuration",
            bucket=props.source_bucket_name,
            role=self.role.arn,
            rule=[
                S3BucketReplicationConfigurationRule(
                    id=props.rule_id,
                    status="Enabled",
                    priority=1,
                    filter=S3BucketReplicationConfigurationRuleFilter(prefix=""),
                    delete_marker_replication=S3BucketReplicationConfigurationRuleDeleteMarkerReplication(
                        status="Enabled" if props.delete_marker_replication else "Disabled"
                    ),
                    source_selection_criteria=S3BucketReplicationConfigurationRuleSourceSelectionCriteria(
                        sse_kms_encrypted_objects=(
                            S3BucketReplicationConfigurationRuleSourceSelectionCriteriaSseKmsEncryptedObjects(
                                status="Enabled"
                            )
                        )
                    ),
                    destination=S3BucketReplicationConfigurationRuleDestination(
                        bucket=destination,
                        storage_class=props.storage_class,
                        encryption_configuration=(
                            S3BucketReplicationConfigurationRuleDestinationEncryptionConfiguration(
                                replica_kms_key_id=props.replica_kms_key_arn
                            )
                        ),
                        metrics=S3BucketReplicationConfigurationRuleDestinationMetrics(status="Enabled"),
                    ),
                )
            ],
            # The role's grants first: S3 replicates with them from the first write.
            depends_on=[*depends_on, self.role_policy],
        )
        apply_overrides(self.configuration, props.overrides)
