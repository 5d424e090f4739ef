"""Protection of the audit trail: access logs (``accessLogs``) and a copy in another region (``auditReplicaRegion``).

Access logs record who read or wrote the audit bucket; the replica keeps a copy that a regional
outage, or a principal who can only act in the app's region, cannot take away. docs/audit-trail-protection.md
describes both, their costs, and what each records.

- ``accessLogs = server``: S3 server access logs of the audit bucket (and of the replica, see below)
  into the log bucket the **bootstrap** stack creates once per account and region
  (``stacks.bootstrap.access_log_bucket_name``): separate Terraform states, so the app finds it by
  its deterministic name, under the prefix ``<audit bucket name>/``.
- ``accessLogs = cloudtrail``: a trail with S3 **data events** (read and write) of the audit bucket
  (and of the replica), delivered to the same log bucket under ``cloudtrail/``, encrypted with
  the app key, log file validation on.
- ``auditReplicaRegion``: an aliased provider for that region; there a key, a replica bucket
  created with Object Lock (the same default retention as the audit bucket), the replication
  role and configuration (:class:`~fraud_constructs.bucket_replication.BucketReplication`), and an
  alarm on ``OperationsFailedReplication``. With ``accessLogs = server`` the replica's access logs
  go to a log bucket of that region that this stack creates (``fraud-replica-logs-<env>-...``):
  a server access log target must be in the source bucket's region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cdktf_cdktf_provider_aws.cloudtrail import (
    Cloudtrail,
    CloudtrailAdvancedEventSelector,
    CloudtrailAdvancedEventSelectorFieldSelector,
)
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from fraud_constructs.access_log_bucket import AccessLogBucket, AccessLogBucketProps, access_log_prefix
from fraud_constructs.alarms import AlarmSpec
from fraud_constructs.audit_bucket import AuditBucket, AuditBucketProps
from fraud_constructs.aws_context import AwsContext
from fraud_constructs.bucket_replication import BucketReplication, BucketReplicationProps
from fraud_constructs.encryption_key import EncryptionKey, EncryptionKeyProps
from fraud_constructs.github_deploy_role import DeployStatement
from fraud_constructs.policy.statement_reader import Condition
from fraud_constructs.policy.suppressions import suppress
from fraud_constructs.regional_scope import RegionalScope
from fraud_constructs.secure_bucket import SecureBucket
from fraud_detection.contract import AUDIT_PREFIX, NAME_PREFIX, PROJECT, resource_name
from stacks.config import AppConfig, permissions_boundary_name
from stacks.registry import deploy_role_arn

if TYPE_CHECKING:  # stacks.deploy_permissions imports this module (its deploy rows): no import cycle at run time
    from stacks.deploy_permissions import DeployScope

CLOUDTRAIL_PREFIX = "cloudtrail"
"""Key prefix of the data-event trails' log files in the log bucket."""
REPLICATION_RULE_ID = "audit-replica"
"""The replication rule (the ``RuleId`` dimension of the replication metrics)."""
REPLICATION_ALARM_ANCHOR = "audit-replication-failed"
LOG_BUCKET_FD_S3_1_REASON = (
    "S3 delivers server access logs only to a bucket whose default encryption is SSE-S3 (Amazon S3 User Guide, "
    "'Enabling Amazon S3 server access logging': SSE-KMS is not supported); the bucket holds only access logs, "
    "is versioned, TLS-only and private, and only logging.s3 / this project's trails may write to it."
)


TRAIL_BASE = "audit-data-events"


def trail_name(config: AppConfig) -> str:
    """The data-event trail of an environment, e.g. ``fraud-audit-data-events-dev``."""
    return config.name(TRAIL_BASE)


def replica_name_prefix(config: AppConfig) -> str:
    """The replica bucket's name prefix (account id and replica region are appended) and its key's alias."""
    return config.name("audit-replica")


def replica_log_name_prefix(config: AppConfig) -> str:
    """The replica region's log bucket (``accessLogs = server`` with a replica)."""
    return config.name("replica-logs")


def replication_role_name(config: AppConfig, region: str) -> str:
    """The replication role (IAM is global: the name carries the app's region)."""
    return f"{config.name('audit-replication')}-{region}"


def log_sources(partition: str) -> tuple[str, ...]:
    """Buckets whose server access logs a project log bucket accepts: this project's (``fraud-*``)."""
    return (f"arn:{partition}:s3:::{NAME_PREFIX}-*",)


def access_log_bucket_props(aws: AwsContext, name_prefix: str) -> AccessLogBucketProps:
    """The bootstrap's log bucket: server access logs of this project's buckets, and the data-event
    trails of every environment (a trail name is ``fraud-audit-data-events-<env>``)."""
    return AccessLogBucketProps(
        name_prefix=name_prefix,
        server_access_log_sources=log_sources(aws.partition),
        cloudtrail_trails=(aws.arn("cloudtrail", f"trail/{resource_name(TRAIL_BASE, '*')}"),),
        cloudtrail_prefix=CLOUDTRAIL_PREFIX,
    )


def suppress_log_bucket_cmk_rule(bucket: AccessLogBucket) -> None:
    """FD-S3-1 (CMK encryption) cannot hold for a server access log target; the reason is recorded."""
    suppress(bucket, "FD-S3-1", LOG_BUCKET_FD_S3_1_REASON)


@dataclass
class Replica:
    """What the replication option creates in the replica region."""

    scope: RegionalScope
    key: EncryptionKey
    bucket: AuditBucket
    log_bucket: AccessLogBucket | None
    replication: BucketReplication


class AuditProtection(Construct):
    """Exposes ``alarms`` (for the app's Alarms), ``replica`` (or None) and ``trail`` (or None)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        aws: AwsContext,
        config: AppConfig,
        key: EncryptionKey,
        bucket: AuditBucket,
        log_bucket_name: str,
    ) -> None:
        """``log_bucket_name``: the bootstrap's log bucket of this account and region."""
        super().__init__(scope, construct_id)
        self.alarms: list[AlarmSpec] = []
        self.replica: Replica | None = None
        self.trail: Cloudtrail | None = None
        if config.access_logs == "server":
            bucket.enable_access_logs(log_bucket_name, access_log_prefix(bucket.name))
        if config.audit_replica_region:
            self.replica = self._replicate(aws, config, key, bucket)
            self.alarms.append(self._replication_alarm(aws, config, bucket))
        if config.access_logs == "cloudtrail":
            self.trail = self._trail(aws, config, key, bucket, log_bucket_name)

    def _replicate(self, aws: AwsContext, config: AppConfig, key: EncryptionKey, bucket: AuditBucket) -> Replica:
        protection = config.protection
        provider = AwsProvider(
            self,
            "aws-replica",
            alias="replica",
            region=config.audit_replica_region,
            default_tags=[AwsProviderDefaultTags(tags=config.resource_tags)],
        )
        region = RegionalScope(self, "replica", provider=provider)
        replica_key = EncryptionKey(
            region,
            "key",
            aws=region.aws,
            props=EncryptionKeyProps(
                alias=replica_name_prefix(config),
                description=f"Encrypts the {PROJECT} audit trail replica ({config.environment})",
                # The replication role's grants are IAM grants (kms:ViaService = s3.<replica region>),
                # which the account-root statement lets IAM give.
                deploy_role_arn=deploy_role_arn(aws, config),
            ),
        )
        replica = AuditBucket(
            region,
            "bucket",
            aws=region.aws,
            props=AuditBucketProps(
                name_prefix=replica_name_prefix(config),
                kms_key_arn=replica_key.arn,
                archive_prefix=AUDIT_PREFIX,
                force_destroy=protection.force_destroy,
                transition_days=config.audit_transition_days,
                noncurrent_expiry_days=config.audit_noncurrent_expiry_days,
                # Replicas keep the retention of their source object ("Object Lock considerations", "Using
                # Object Lock with S3 Replication"; replication-what-is-isnot-replicated: retention information
                # is replicated); the default retention covers objects that had none, as on the source.
                object_lock_days=config.audit_object_lock_days,
                # A destination must have Object Lock when the source has it (Amazon S3 User Guide,
                # "Requirements and considerations for replication"). The replica is new by design, so it is
                # created lockable: the audit bucket may turn Object Lock on in place at any time.
                object_lock_at_creation=True,
                prevent_destroy=protection.deletion_protection,
            ),
        )
        log_bucket = None
        if config.access_logs == "server":
            # A server access log target must be in the source bucket's region ("Enabling Amazon S3 server
            # access logging"): the replica's logs go to a log bucket of the replica region.
            log_bucket = AccessLogBucket(
                region,
                "access-logs",
                aws=region.aws,
                props=AccessLogBucketProps(
                    name_prefix=replica_log_name_prefix(config),
                    server_access_log_sources=(replica.arn,),
                    force_destroy=protection.force_destroy,
                    prevent_destroy=protection.deletion_protection,
                ),
            )
            suppress_log_bucket_cmk_rule(log_bucket)
            replica.enable_access_logs(log_bucket.name, access_log_prefix(replica.name), depends_on=[log_bucket.policy])
        replication = BucketReplication(
            self,
            "replication",
            aws=aws,
            props=BucketReplicationProps(
                role_name=replication_role_name(config, aws.region),
                source_bucket_name=bucket.name,
                source_bucket_arn=bucket.arn,
                source_kms_key_arn=key.arn,
                destination_bucket_arn=replica.arn,
                destination_region=region.aws.region,
                replica_kms_key_arn=replica_key.arn,
                rule_id=REPLICATION_RULE_ID,
                permissions_boundary_arn=(
                    aws.arn("iam", f"policy/{permissions_boundary_name(aws.region)}", region=False)
                    if config.github_repository
                    else None
                ),
            ),
            # S3 needs versioning on both buckets, and Object Lock on the replica before a locked object
            # replicates (the replica is created with it; its default retention is set here too).
            depends_on=[
                bucket.versioning,
                replica.versioning,
                *([replica.object_lock] if replica.object_lock else []),
            ],
        )
        return Replica(region, replica_key, replica, log_bucket, replication)

    @staticmethod
    def _replication_alarm(aws: AwsContext, config: AppConfig, bucket: AuditBucket) -> AlarmSpec:
        # Amazon S3 User Guide, "Monitoring progress with replication metrics": OperationsFailedReplication
        # in AWS/S3 per rule (dimensions SourceBucket, DestinationBucket, RuleId), published only with
        # replication metrics on and only when an operation failed: missing data is not breaching.
        return AlarmSpec(
            f"{config.name('audit-replication')}-failed",
            REPLICATION_ALARM_ANCHOR,
            "Objects of the audit trail failed to replicate to the replica region",
            "AWS/S3",
            "OperationsFailedReplication",
            {
                # The names as configured (account and region tokens, the replica region literal), so the
                # alarm reads the same in docs/alarms.md for every account.
                "SourceBucket": str(bucket.bucket.bucket_input),
                "DestinationBucket": f"{replica_name_prefix(config)}-{aws.account_id}-{config.audit_replica_region}",
                "RuleId": REPLICATION_RULE_ID,
            },
            0,
        )

    def _trail(
        self, aws: AwsContext, config: AppConfig, key: EncryptionKey, bucket: AuditBucket, log_bucket_name: str
    ) -> Cloudtrail:
        name = trail_name(config)
        trail_arn = aws.arn("cloudtrail", f"trail/{name}")
        key.allow_cloudtrail_trails([trail_arn])
        buckets: list[SecureBucket] = [bucket]
        if self.replica is not None:
            buckets.append(self.replica.bucket)
        # AWS CloudTrail User Guide, "Logging data events": advanced event selectors, eventCategory Data,
        # resources.type AWS::S3::Object, resources.ARN StartsWith the bucket ARN + "/". Read and write
        # (no readOnly selector): a read of the audit trail is what an exfiltration looks like.
        selector = CloudtrailAdvancedEventSelector(
            name="Audit trail objects, read and write",
            field_selector=[
                CloudtrailAdvancedEventSelectorFieldSelector(field="eventCategory", equal_to=["Data"]),
                CloudtrailAdvancedEventSelectorFieldSelector(field="resources.type", equal_to=["AWS::S3::Object"]),
                CloudtrailAdvancedEventSelectorFieldSelector(
                    field="resources.ARN", starts_with=[f"{b.arn}/" for b in buckets]
                ),
            ],
        )
        return Cloudtrail(
            self,
            "data-events",
            name=name,
            s3_bucket_name=log_bucket_name,
            s3_key_prefix=CLOUDTRAIL_PREFIX,
            # Multi-Region: the replica's data events happen in the replica region. Only data events are
            # selected, so the trail records no management events (the account's own trail does).
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            kms_key_id=key.arn,
            advanced_event_selector=[selector],
        )


# --- deploy role and permissions boundary (stacks/deploy_permissions.py renders them) ---------------


def _replica_bucket_arns(scope: DeployScope, env: AppConfig) -> tuple[str, ...]:
    """Replica bucket and replica-region log bucket of ``env``. Any region: the replica region is a
    per-environment setting, so the rows hold without re-bootstrapping; the names carry this account."""
    return tuple(
        f"arn:{scope.partition}:s3:::{prefix}-{scope.account}-*"
        for prefix in (replica_name_prefix(env), replica_log_name_prefix(env))
    )


def replication_role_arns(scope: DeployScope) -> tuple[str, ...]:
    """The replication role of each deploy environment: the deploy role creates it (with the boundary)."""
    return tuple(scope.role_arn(replication_role_name(env, scope.region)) for env in scope.environments)


def _replica_key_alias_condition(scope: DeployScope) -> Condition:
    aliases = tuple(f"alias/{replica_name_prefix(env)}" for env in scope.environments)
    return Condition("ForAnyValue:StringEquals", "kms:ResourceAliases", aliases)


def deploy_statements(scope: DeployScope) -> tuple[DeployStatement, ...]:
    """What ``make deploy-app`` needs for access logs, the data-event trail and replication.

    The bootstrap's log bucket is an administrator's resource: the deploy role only names it as a
    logging target (S3 checks the target's bucket policy, not the caller's rights on it)."""
    envs = scope.environments
    s3 = (scope.same_account_s3,)
    audit = tuple(scope.audit_bucket_arn(env) for env in envs)
    replicas = tuple(arn for env in envs for arn in _replica_bucket_arns(scope, env))
    from stacks.deploy_permissions import S3_BUCKET_ACTIONS  # late: that module imports this one

    statements = [
        DeployStatement(
            "AuditBucketLoggingAndReplication",
            ("s3:PutBucketLogging", "s3:PutReplicationConfiguration"),
            audit,
            "server access logs (accessLogs) and the replication configuration (auditReplicaRegion) of the "
            "audit bucket; PutReplicationConfiguration also deletes it",
            s3,
        ),
        DeployStatement(
            "PassReplicationRoles",
            ("iam:PassRole",),
            replication_role_arns(scope),
            "S3 checks iam:PassRole on the role named in a replication configuration; only to S3",
            (Condition("StringEquals", "iam:PassedToService", ("s3.amazonaws.com",)),),
        ),
        DeployStatement(
            "CreateReplicaBuckets",
            ("s3:CreateBucket",),
            replicas,
            "the replica bucket (created with Object Lock) and the replica region's log bucket; a bucket that "
            "does not exist has no owner yet, so no s3:ResourceAccount, and the name carries this account id",
        ),
        DeployStatement(
            "ReplicaBuckets",
            (*S3_BUCKET_ACTIONS, "s3:PutBucketLogging"),
            replicas,
            "the app stack owns the replica bucket's and the replica log bucket's configuration",
            s3,
        ),
        DeployStatement(
            "ReplicaKeyAliases",
            ("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"),
            tuple(f"arn:{scope.partition}:kms:*:{scope.account}:alias/{replica_name_prefix(env)}" for env in envs),
            "the alias half of the replica key's alias, in the replica region; the key half is in its policy",
        ),
        DeployStatement(
            "DataEventTrails",
            (
                "cloudtrail:AddTags",
                "cloudtrail:CreateTrail",
                "cloudtrail:DeleteTrail",
                "cloudtrail:GetEventSelectors",
                "cloudtrail:GetInsightSelectors",
                "cloudtrail:GetTrail",
                "cloudtrail:GetTrailStatus",
                "cloudtrail:ListTags",
                "cloudtrail:PutEventSelectors",
                "cloudtrail:RemoveTags",
                "cloudtrail:StartLogging",
                "cloudtrail:StopLogging",
                "cloudtrail:UpdateTrail",
            ),
            tuple(scope.arn("cloudtrail", f"trail/{trail_name(env)}") for env in envs),
            "the S3 data-event trail of accessLogs = cloudtrail (its log bucket and key policy are not its)",
        ),
        DeployStatement(
            "DescribeTrails",
            ("cloudtrail:DescribeTrails",),
            ("*",),
            "Terraform reads a trail with DescribeTrails, which has no resource type in IAM",
        ),
    ]
    disposable = tuple(
        f"{arn}/*" for env in envs if env.protection.force_destroy for arn in _replica_bucket_arns(scope, env)
    )
    if disposable:
        statements.append(
            DeployStatement(
                "ReplicaObjectsOnDestroy",
                ("s3:DeleteObject", "s3:DeleteObjectVersion"),
                disposable,
                "force_destroy empties a non-protected environment's replica and replica log buckets",
                s3,
            )
        )
    return tuple(statements)


def deploy_denies(scope: DeployScope) -> tuple[DeployStatement, ...]:
    """The replica holds against the deploy role as the audit bucket does."""
    replicas = tuple(
        r
        for env in scope.environments
        for r in (f"arn:{scope.partition}:s3:::{replica_name_prefix(env)}-{scope.account}-*",)
        for r in (r, f"{r}/*")
    )
    return (
        DeployStatement(
            "DenyReplicaGovernanceBypass",
            ("s3:BypassGovernanceRetention",),
            replicas,
            "Object Lock governance retention of the audit trail replica holds against the deploy role",
            effect="Deny",
        ),
    )


def boundary_statements(scope: DeployScope) -> tuple[DeployStatement, ...]:
    """What the replication role may do at most (it is created by the deploy role, so it carries the boundary).

    Decrypting audit objects is the boundary's ``AppKey`` row (kms:Decrypt on the app keys)."""
    envs = scope.environments
    audit = tuple(scope.audit_bucket_arn(env) for env in envs)
    replicas = tuple(f"arn:{scope.partition}:s3:::{replica_name_prefix(env)}-{scope.account}-*/*" for env in envs)
    from fraud_constructs.bucket_replication import SOURCE_BUCKET_ACTIONS, SOURCE_OBJECT_ACTIONS

    return (
        DeployStatement(
            "ReplicationReadsAuditTrail",
            (*SOURCE_BUCKET_ACTIONS, *SOURCE_OBJECT_ACTIONS),
            (*audit, *(f"{a}/*" for a in audit)),
            "S3 replication reads the audit bucket's configuration, versions, retention and legal holds",
        ),
        DeployStatement(
            "ReplicationWritesReplicas",
            ("s3:ReplicateObject", "s3:ReplicateTags"),
            replicas,
            "S3 replication writes replicas and their tags into the replica bucket",
        ),
        DeployStatement(
            "ReplicaKey",
            ("kms:Decrypt", "kms:Encrypt"),
            (f"arn:{scope.partition}:kms:*:{scope.account}:key/*",),
            "replicas are encrypted under the replica key (and its S3 bucket key checked); only keys whose "
            "alias is a replica key of a deploy environment (kms:ResourceAliases)",
            (_replica_key_alias_condition(scope),),
        ),
    )
