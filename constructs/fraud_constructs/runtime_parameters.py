"""SSM parameters a function reads at cold start: one Terraform-managed settings parameter, and
secret parameters that Terraform knows only by name.

- ``settings_name`` (SecureString under the caller's CMK, not secret but encrypted like every
  parameter): written with ``settings_value``; operators may edit it (Terraform reconciles it back
  on the next deploy, so change the defaults in code, reviewed, rather than in the console). The
  only parameter Terraform manages.
- ``secret_names``: **not Terraform resources**. The AWS provider's read decrypts a parameter's
  ``value`` into state (and into every plan), whatever ``ignore_changes`` says, so a secret
  managed by Terraform sits in the state bucket. An operator tool creates and writes them; the
  construct only builds their ARNs from the names for grants (the parameters need not exist).

Migration (``retired_ids``): when secrets used to be ``aws_ssm_parameter`` resources of this
construct, one ``removed`` block per old construct id (``lifecycle { destroy = false }``,
Terraform >= 1.7) makes the next apply forget them and leave the parameters and their live values
in place; for an address not in state (a fresh environment) it is a no-op. cdktf 0.21 has no
``removed`` construct, so the blocks are a stack override; the addresses are allocated by cdktf
itself from construct ids at the old paths (``TerraformElement`` renders nothing), so they are
exactly the old resources' addresses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cdktf import TerraformElement, TerraformStack
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from fraud_constructs.overrides import apply_overrides

SSM_PARAMETER = "aws_ssm_parameter"


@dataclass(frozen=True)
class RuntimeParametersProps:
    """Props of :class:`RuntimeParameters`."""

    kms_key_arn: str
    """CMK of the settings SecureString (the secrets' writer should use the same key)."""
    settings_name: str
    """Hierarchical name of the settings parameter, starting with ``/``."""
    settings_value: Mapping[str, Any]
    """The settings document; written as compact JSON with sorted keys."""
    secret_names: tuple[str, ...] = ()
    """Hierarchical names of the secret parameters (never Terraform resources). Default: none."""
    retired_ids: tuple[str, ...] = ()
    """Construct ids of parameters this construct managed in earlier releases: each gets a ``removed``
    block. Never reuse one for another resource here. Default: none."""
    description: str = "Settings JSON"
    """Description of the settings parameter. Default: ``Settings JSON``."""
    overrides: Mapping[str, object] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths on the settings parameter. Default: none."""

    def __post_init__(self) -> None:
        for name in (self.settings_name, *self.secret_names):
            if not name.startswith("/"):
                raise ValueError(f"RuntimeParametersProps: {name!r} must be a hierarchical name starting with '/'")


class RuntimeParameters(Construct):
    """Exposes ``settings`` (SsmParameter), the literal names ``settings_name`` and ``secret_names``, the
    ``secret_arns`` built from them, ``arns`` (settings first) and ``removed_addresses`` (the forgotten
    resources)."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: RuntimeParametersProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.settings_name = props.settings_name
        self.secret_names = props.secret_names
        self.settings = SsmParameter(
            self,
            "settings",
            name=self.settings_name,
            type="SecureString",
            key_id=props.kms_key_arn,
            description=props.description,
            value=json.dumps(props.settings_value, sort_keys=True, separators=(",", ":")),
        )
        apply_overrides(self.settings, props.overrides)
        # Hierarchical names start with "/": the ARN is "...:parameter/<prefix>/<name>".
        self.secret_arns = tuple(aws.arn("ssm", f"parameter{name}") for name in props.secret_names)
        self.removed_addresses = self._forget_retired_resources() if props.retired_ids else ()

    def _forget_retired_resources(self) -> tuple[str, ...]:
        """Adds one ``removed { from = <old address>; lifecycle { destroy = false } }`` per retired id."""
        stack = TerraformStack.of(self)
        addresses = tuple(
            f"{SSM_PARAMETER}.{stack.get_logical_id(TerraformElement(self, construct_id, SSM_PARAMETER))}"
            for construct_id in self.props.retired_ids
        )
        # The stack's only ``removed`` blocks: an override replaces the key as a whole.
        stack.add_override("removed", [{"from": address, "lifecycle": {"destroy": False}} for address in addresses])
        return addresses

    def secret_arn(self, name: str) -> str:
        """ARN of one secret parameter, by its name."""
        return self.secret_arns[self.secret_names.index(name)]

    @property
    def arns(self) -> tuple[str, ...]:
        return (self.settings.arn, *self.secret_arns)
