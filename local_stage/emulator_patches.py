"""The one override file of an emulator run, and the one registry of emulator gaps it patches.

Terraform merges ``*_override.tf.json`` files last, so one file next to a stack's ``cdk.tf.json``
points the AWS provider at the emulator (every service endpoint, the dummy credentials, no
account or metadata checks), optionally replaces the backend by a local state file, and patches
the resources moto 5.2.1 cannot handle. The shipped JSON is never changed: the local stage writes
the file into working copies, the first deployment next to the JSON and removes it again on a run
without the emulator.

Each gap is one :class:`EmulatorPatch` of :data:`EMULATOR_PATCHES`, with its reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_stage.emulator import DUMMY_ACCESS_KEY, DUMMY_SECRET_KEY

OVERRIDE_FILE = "zz_emulator_override.tf.json"

# Every AWS service the stacks use (provider ``endpoints`` block keys).
EMULATED_SERVICES = (
    "apigateway",
    "cloudtrail",
    "cloudwatch",
    "cloudwatchlogs",
    "dynamodb",
    "ec2",
    "ecr",
    "events",
    "iam",
    "kms",
    "lambda",
    "s3",
    "sns",
    "sqs",
    "ssm",
    "sts",
    "wafv2",
)


@dataclass(frozen=True)
class EmulatorPatch:
    """How one resource type is changed in the override file: ``patch`` maps a resource's synthesized
    configuration to its override entry, or to ``None`` when that resource needs none."""

    resource_type: str
    reason: str
    patch: Callable[[Mapping[str, Any]], dict[str, Any] | None]


def _lifecycle_rules_for_moto(rules: Any) -> Any:
    """A filter ``and { prefix, size > 0 }`` becomes ``prefix`` alone (the same objects: every object is
    larger than 0 bytes)."""
    if isinstance(rules, list):
        return [_lifecycle_rules_for_moto(item) for item in rules]
    if not isinstance(rules, dict):
        return rules
    patched = {key: _lifecycle_rules_for_moto(value) for key, value in rules.items()}
    conditions = patched.get("and")
    if isinstance(conditions, list) and len(conditions) == 1:
        condition = conditions[0]
        if condition.get("object_size_greater_than") == 0 and set(condition) == {"prefix", "object_size_greater_than"}:
            del patched["and"]
            patched["prefix"] = condition["prefix"]
    return patched


def _lifecycle_patch(config: Mapping[str, Any]) -> dict[str, Any] | None:
    rules = config.get("rule")
    patched = _lifecycle_rules_for_moto(rules)
    # An override replaces *all* nested blocks of a type, so the whole rule list is written.
    return {"rule": patched} if patched != rules else None


def _ignore_rule_readback(_config: Mapping[str, Any]) -> dict[str, Any]:
    return {"lifecycle": {"ignore_changes": ["description", "referenced_security_group_id"]}}


def _removed(_config: Mapping[str, Any]) -> dict[str, Any]:
    return {"count": 0}


EMULATOR_PATCHES: tuple[EmulatorPatch, ...] = (
    EmulatorPatch(
        "aws_api_gateway_account",
        "UpdateAccount crashes (KeyError 'value', HTTP 500) on the value-less patch operation that "
        "reset_on_delete sends on destroy: the copy keeps the account setting on destroy",
        lambda _config: {"reset_on_delete": False},
    ),
    EmulatorPatch(
        "aws_s3_bucket_lifecycle_configuration",
        "ObjectSizeGreaterThan is not implemented (dropped from an And filter), so the provider's wait for "
        "the configuration to read back as written never ends (create times out after 3 minutes)",
        _lifecycle_patch,
    ),
    EmulatorPatch(
        "aws_lambda_event_source_mapping",
        "with a DynamoDB-stream mapping registered, every table write makes moto invoke the function itself "
        "(Docker) and then drop the stream records; the local stage's stream pump plays the mapping",
        _removed,
    ),
    EmulatorPatch(
        "aws_s3_bucket_policy",
        "moto evaluates a bucket policy's Deny but ignores its Condition: the TLS-only statement would deny "
        "every object read and write, the state bucket's key-only Deny every state write",
        _removed,
    ),
    EmulatorPatch(
        "aws_s3_bucket_logging",
        "moto's PutBucketLogging requires the target's bucket policy to grant logging.s3.amazonaws.com, and "
        "the bucket policies are removed above; moto delivers no access logs anyway",
        _removed,
    ),
    *(
        EmulatorPatch(
            kind,
            "moto does not store a security-group rule's description and reads referenced_security_group_id "
            "back as '<account>/sg-...': every later plan would show the rule as changed",
            _ignore_rule_readback,
        )
        for kind in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule")
    ),
)


def resource_patches(tf_json: Mapping[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Override-file ``resource`` entries with the registered workarounds that apply to a stack."""
    patches: dict[str, dict[str, dict[str, Any]]] = {}
    declared = tf_json.get("resource", {})
    for entry in EMULATOR_PATCHES:
        for name, config in declared.get(entry.resource_type, {}).items():
            patch = entry.patch(config)
            if patch is not None:
                patches.setdefault(entry.resource_type, {})[name] = patch
    return patches


def removed_resources(tf_json: Mapping[str, Any]) -> set[str]:
    """Addresses (``type.name``) the patches leave out of an emulator deployment (``count = 0``)."""
    return {
        f"{kind}.{name}"
        for kind, entries in resource_patches(tf_json).items()
        for name, patch in entries.items()
        if patch.get("count") == 0
    }


def emulator_override(
    endpoint: str, region: str, tf_json: Mapping[str, Any] | None = None, *, local_state: bool = True
) -> dict[str, Any]:
    """Override-file content: the AWS provider talks to ``endpoint``; with ``local_state`` the state is a
    local file of the working directory (otherwise the stack's own backend stays, see
    :func:`s3_backend_config`); the registered patches of the stack's resources."""

    def provider(provider_region: str, alias: str | None = None) -> dict[str, Any]:
        return {
            **({"alias": alias} if alias else {}),
            "region": provider_region,
            "access_key": DUMMY_ACCESS_KEY,
            "secret_key": DUMMY_SECRET_KEY,
            "skip_credentials_validation": True,
            "skip_requesting_account_id": True,
            "skip_metadata_api_check": "true",
            "skip_region_validation": True,
            "s3_use_path_style": True,
            "endpoints": [{service: endpoint for service in EMULATED_SERVICES}],
        }

    # An override merges with the provider block of the same alias: every aliased AWS provider (another
    # region, e.g. the audit replica's) is pointed at the emulator too, or it would reach real AWS.
    aliased = [
        provider(str(block.get("region", region)), str(block["alias"]))
        for block in (tf_json or {}).get("provider", {}).get("aws", [])
        if isinstance(block, Mapping) and block.get("alias")
    ]
    override: dict[str, Any] = {"provider": {"aws": [provider(region), *aliased]}}
    if local_state:
        override["terraform"] = {"backend": {"local": {"path": "terraform.tfstate"}}}
    patches = resource_patches(tf_json or {})
    if patches:
        override["resource"] = patches
    return override


def write_override(
    stack_dir: Path, endpoint: str, region: str, tf_json: Mapping[str, Any], *, local_state: bool = True
) -> Path:
    path = stack_dir / OVERRIDE_FILE
    path.write_text(json.dumps(emulator_override(endpoint, region, tf_json, local_state=local_state), indent=2))
    return path


def s3_backend_config(endpoint: str) -> str:
    """A ``-backend-config`` file (HCL) that points a stack's S3 backend at the emulator: its S3
    endpoint, path-style addressing, dummy credentials and no AWS account/region checks. Bucket, key,
    region, ``kms_key_id`` and locking stay as synthesized."""
    lines = [
        f'endpoints = {{ s3 = "{endpoint}", sts = "{endpoint}" }}',
        "use_path_style = true",
        f'access_key = "{DUMMY_ACCESS_KEY}"',
        f'secret_key = "{DUMMY_SECRET_KEY}"',
        "skip_credentials_validation = true",
        "skip_region_validation = true",
        "skip_requesting_account_id = true",
        "skip_metadata_api_check = true",
        "skip_s3_checksum = true",
    ]
    return "\n".join(lines) + "\n"
