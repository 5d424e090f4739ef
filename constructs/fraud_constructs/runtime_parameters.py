"""SSM parameters the functions read at cold start (names and defaults: docs/contract.md).

- ``/fraud-detection/<env>/settings`` (SecureString, project CMK, not secret but encrypted like
  every parameter): the risk settings JSON, written with the
  documented defaults; operators may edit it (Terraform reconciles it back on the next deploy,
  so change the defaults here, reviewed, rather than in the console).
- ``/fraud-detection/<env>/webhook-signing-keys`` and ``.../card-fingerprint-key`` (SecureString,
  project CMK): created with the placeholder ``UNSET`` and ``ignore_changes = [value]``, so the
  real secrets are set by the rotation command and never reach Terraform state or plans.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

PLACEHOLDER = "UNSET"

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


def parameter_prefix(environment: str) -> str:
    return f"/fraud-detection/{environment}"


@dataclass(frozen=True)
class RuntimeParametersProps:
    """Props of :class:`RuntimeParameters`."""

    environment: str
    """Environment suffix; names are ``/fraud-detection/<environment>/...``."""
    kms_key_arn: str
    """CMK for the SecureStrings."""


class RuntimeParameters(Construct):
    """Exposes ``settings``, ``signing_keys``, ``fingerprint_key`` (SsmParameter), their ``arns`` and
    the literal names ``settings_name``, ``signing_keys_name``, ``fingerprint_key_name``."""

    def __init__(self, scope: Construct, construct_id: str, *, props: RuntimeParametersProps) -> None:
        super().__init__(scope, construct_id)
        prefix = parameter_prefix(props.environment)
        self.settings_name = f"{prefix}/settings"
        self.signing_keys_name = f"{prefix}/webhook-signing-keys"
        self.fingerprint_key_name = f"{prefix}/card-fingerprint-key"
        self.settings = SsmParameter(
            self,
            "settings",
            name=self.settings_name,
            type="SecureString",
            key_id=props.kms_key_arn,
            description="Risk settings JSON (docs/contract.md); every key optional",
            value=json.dumps(DEFAULT_SETTINGS, sort_keys=True, separators=(",", ":")),
        )
        secret_lifecycle = TerraformResourceLifecycle(ignore_changes=["value"])
        self.signing_keys = SsmParameter(
            self,
            "signing-keys",
            name=self.signing_keys_name,
            type="SecureString",
            key_id=props.kms_key_arn,
            description='Webhook HMAC keys {"keys": {id: secret}}; set by the rotation command',
            value=PLACEHOLDER,
            lifecycle=secret_lifecycle,
        )
        self.fingerprint_key = SsmParameter(
            self,
            "fingerprint-key",
            name=self.fingerprint_key_name,
            type="SecureString",
            key_id=props.kms_key_arn,
            description="Card fingerprint HMAC key; set by the rotation command",
            value=PLACEHOLDER,
            lifecycle=secret_lifecycle,
        )

    @property
    def arns(self) -> tuple[str, str, str]:
        return (self.settings.arn, self.signing_keys.arn, self.fingerprint_key.arn)
