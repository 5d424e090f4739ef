"""SSM parameters the functions read at cold start (names and defaults: docs/contract.md).

- ``/fraud-detection/<env>/settings`` (SecureString, project CMK, not secret but encrypted like
  every parameter): the risk settings JSON, written with the documented defaults; operators may
  edit it (Terraform reconciles it back on the next deploy, so change the defaults here, reviewed,
  rather than in the console). The only parameter Terraform manages.
- ``/fraud-detection/<env>/webhook-signing-keys`` and ``.../card-fingerprint-key``: **not
  Terraform resources**. The AWS provider's read decrypts a parameter's ``value`` into state (and
  into every plan), whatever ``ignore_changes`` says, so a secret managed by Terraform sits in the
  state bucket. The operator CLI's rotation command (``fraud_ops.key_rotation``) creates them
  (SecureString under the app key) and is their only writer. Terraform only knows their names:
  the functions' environment variables carry them and the grants name their ARNs, built from
  the names (the parameters need not exist for either).

Migration: releases before this one created the two secrets as ``aws_ssm_parameter`` resources
(construct ids ``signing-keys`` and ``fingerprint-key``). One ``removed`` block per old address
(``lifecycle { destroy = false }``, Terraform >= 1.7) makes the next apply forget them and
leave the parameters and their live values in place; for an address not in state (a fresh
environment) it is a no-op. cdktf 0.21 has no ``removed`` construct, so the blocks are a stack
override; the addresses are allocated by cdktf itself from construct ids at the old paths
(``TerraformElement`` renders nothing), so they are exactly the old resources' addresses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cdktf import TerraformElement, TerraformStack
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from fraud_constructs.aws_context import AwsContext

# The documented defaults (docs/contract.md, "Settings JSON"); tests parse this with the image's model.
DEFAULT_SETTINGS: dict[str, Any] = {
    "review_threshold": 50,
    "block_threshold": 80,
    "high_amount_tiers": [
        {"min_amount": 1000, "score": 20},
        {"min_amount": 5000, "score": 35},
        {"min_amount": 10000, "score": 50},
    ],
    "blocked_merchants": [],
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

# Construct ids of the two secret parameters when they were Terraform resources: they name the
# state addresses the ``removed`` blocks forget. Never reuse them for another resource here.
RETIRED_SECRET_IDS = ("signing-keys", "fingerprint-key")
SSM_PARAMETER = "aws_ssm_parameter"


def parameter_prefix(environment: str) -> str:
    return f"/fraud-detection/{environment}"


def secret_parameter_names(environment: str) -> tuple[str, str]:
    """The signing keys and the card-fingerprint key: the rotation command owns them, Terraform never does."""
    prefix = parameter_prefix(environment)
    return (f"{prefix}/webhook-signing-keys", f"{prefix}/card-fingerprint-key")


@dataclass(frozen=True)
class RuntimeParametersProps:
    """Props of :class:`RuntimeParameters`."""

    environment: str
    """Environment suffix; names are ``/fraud-detection/<environment>/...``."""
    kms_key_arn: str
    """CMK of the settings SecureString (the rotation command writes the secrets under the same key)."""


class RuntimeParameters(Construct):
    """Exposes ``settings`` (SsmParameter), the literal names ``settings_name``, ``signing_keys_name``,
    ``fingerprint_key_name``, their ``arns`` and ``removed_addresses`` (the forgotten resources)."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: RuntimeParametersProps) -> None:
        super().__init__(scope, construct_id)
        prefix = parameter_prefix(props.environment)
        self.settings_name = f"{prefix}/settings"
        self.signing_keys_name, self.fingerprint_key_name = secret_parameter_names(props.environment)
        self.settings = SsmParameter(
            self,
            "settings",
            name=self.settings_name,
            type="SecureString",
            key_id=props.kms_key_arn,
            description="Risk settings JSON (docs/contract.md); every key optional",
            value=json.dumps(DEFAULT_SETTINGS, sort_keys=True, separators=(",", ":")),
        )
        # Hierarchical names start with "/": the ARN is "...:parameter/fraud-detection/<env>/...".
        self.signing_keys_arn = aws.arn("ssm", f"parameter{self.signing_keys_name}")
        self.fingerprint_key_arn = aws.arn("ssm", f"parameter{self.fingerprint_key_name}")
        self.removed_addresses = self._forget_retired_secrets()

    def _forget_retired_secrets(self) -> tuple[str, ...]:
        """Adds one ``removed { from = <old address>; lifecycle { destroy = false } }`` per old secret."""
        stack = TerraformStack.of(self)
        addresses = tuple(
            f"{SSM_PARAMETER}.{stack.get_logical_id(TerraformElement(self, construct_id, SSM_PARAMETER))}"
            for construct_id in RETIRED_SECRET_IDS
        )
        # The stack's only ``removed`` blocks: an override replaces the key as a whole.
        stack.add_override("removed", [{"from": address, "lifecycle": {"destroy": False}} for address in addresses])
        return addresses

    @property
    def arns(self) -> tuple[str, str, str]:
        return (self.settings.arn, self.signing_keys_arn, self.fingerprint_key_arn)
