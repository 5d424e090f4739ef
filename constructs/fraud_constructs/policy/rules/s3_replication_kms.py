"""FD-S3-5: replication of an SSE-KMS bucket must opt in its KMS-encrypted objects and name the replica key.

Amazon S3 User Guide, "Replicating encrypted objects (SSE-S3, SSE-KMS, DSSE-KMS, SSE-C)": "By
default, Amazon S3 doesn't replicate objects that are stored at rest by using server-side encryption
with customer managed keys" unless the rule has ``SourceSelectionCriteria/SseKmsEncryptedObjects``
Enabled and its destination an ``EncryptionConfiguration/ReplicaKmsKeyID`` (a key in the
destination's region). Without them every object of this project's buckets (all SSE-KMS, FD-S3-1)
is silently skipped: the replica stays empty. A rule of a source whose default encryption is known
to be SSE-S3 is not judged.
"""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, blocks, references

_KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})


def _source_is_sse_s3_only(config: Mapping[str, Any], stack: StackView) -> bool:
    """True only when the source bucket's default encryption is in the stack and is not KMS."""
    source = {name for rtype, name in references(config.get("bucket")) if rtype == "aws_s3_bucket"}
    algorithms = {
        default.get("sse_algorithm")
        for _, sse in stack.of_type("aws_s3_bucket_server_side_encryption_configuration")
        if {name for rtype, name in references(sse.get("bucket")) if rtype == "aws_s3_bucket"} & source
        for rule in blocks(sse.get("rule"))
        for default in blocks(rule.get("apply_server_side_encryption_by_default"))
    }
    return bool(algorithms) and not (algorithms & _KMS_ALGORITHMS)


def _rule_replicates_kms_objects(rule: Mapping[str, Any]) -> bool:
    selected = any(
        kms.get("status") == "Enabled"
        for criteria in blocks(rule.get("source_selection_criteria"))
        for kms in blocks(criteria.get("sse_kms_encrypted_objects"))
    )
    keyed = any(
        isinstance(encryption.get("replica_kms_key_id"), str) and encryption["replica_kms_key_id"].strip()
        for destination in blocks(rule.get("destination"))
        for encryption in blocks(destination.get("encryption_configuration"))
    )
    return selected and keyed


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    if _source_is_sse_s3_only(config, stack):
        return Verdict.NOT_APPLICABLE
    enabled = [rule for rule in blocks(config.get("rule")) if rule.get("status") == "Enabled"]
    if all(_rule_replicates_kms_objects(rule) for rule in enabled):
        return Verdict.COMPLIANT
    return Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-S3-5",
    message="Replication rule does not select SSE-KMS objects or name a replica KMS key: KMS objects are skipped.",
    explanation=(
        "In every enabled rule set source_selection_criteria { sse_kms_encrypted_objects { status = "
        '"Enabled" } } and destination { encryption_configuration { replica_kms_key_id = <key ARN in the '
        "destination region> } }, and grant the role kms:Decrypt on the source key and kms:Encrypt on the "
        "replica key (BucketReplication)."
    ),
    applies_to=frozenset({"aws_s3_bucket_replication_configuration"}),
    check=_check,
)
