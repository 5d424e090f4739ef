"""The hardened-profile settings (issue "A hardened production profile"): the prod preset, and one
failing case per cross-setting rule, each naming the setting."""

from __future__ import annotations

import pytest

from stacks.config import PRESETS, ConfigError, load_config

pytestmark = pytest.mark.unit


def test_dev_default_turns_every_option_off() -> None:
    config = load_config({}, {})
    assert (config.vpc_mode, config.waf, config.access_logs, config.audit_replica_region) == ("off", False, "off", None)
    assert [config.reserved_concurrency(role) for role in ("webhook", "stream", "batch")] == [None, None, None]
    assert config.webhook_provisioned_concurrency == 0
    assert config.audit_object_lock_days is None


def test_prod_preset_hardens_everything_but_the_network() -> None:
    config = load_config({"environment": "prod"}, {})
    assert config.waf is True and config.access_logs == "server"
    assert config.log_retention_days == 365 and config.audit_object_lock_days == 365
    assert [config.reserved_concurrency(role) for role in ("webhook", "stream", "batch")] == [200, 10, 2]
    assert config.protection.deletion_protection is True
    assert config.vpc_mode == "off"  # a deliberate choice: docs/network.md (endpoint cost per AZ)
    assert config.webhook_provisioned_concurrency == 0


def test_an_explicit_setting_beats_the_preset() -> None:
    config = load_config({"environment": "prod", "waf": False, "accessLogs": "cloudtrail"}, {"FRAUD_WAF": "no"})
    assert config.waf is False and config.access_logs == "cloudtrail"


def test_presets_only_name_real_settings() -> None:
    from dataclasses import fields

    from stacks.config import AppConfig

    names = {f.name for f in fields(AppConfig)}
    assert all(set(preset) <= names for preset in PRESETS.values())


def test_waf_rate_limit_defaults_to_the_stage_rate_over_five_minutes() -> None:
    assert load_config({"waf": True, "apiThrottleRate": 50}, {}).effective_waf_rate_limit == 15_000
    assert load_config({"waf": True, "wafRateLimit": 500}, {}).effective_waf_rate_limit == 500


def test_lists_parse_from_json_or_commas() -> None:
    config = load_config(
        {"vpcMode": "existing", "vpcSubnetIds": "subnet-0123456789abcdef0, subnet-0123456789abcdef1"},
        {"FRAUD_VPC_SECURITY_GROUP_IDS": '["sg-0123456789abcdef0"]'},
    )
    assert config.vpc_subnet_ids == ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")
    assert config.vpc_security_group_ids == ("sg-0123456789abcdef0",)
    assert load_config({"waf": True, "wafAllowedIps": ["52.94.76.0/22", "2600:1f18::/36"]}, {}).waf_allowed_ips


SUBNETS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
SG = ["sg-0123456789abcdef0"]


@pytest.mark.parametrize(
    ("context", "setting", "says"),
    [
        ({"reservedConcurrency": 10}, "reserved_concurrency", "webhookReservedConcurrency"),
        ({"vpcMode": "nat"}, "vpc_mode", "must be 'off' or 'create' or 'existing'"),
        ({"vpcMode": "existing", "vpcSubnetIds": SUBNETS[:1], "vpcSecurityGroupIds": SG}, "vpc_subnet_ids", "two"),
        ({"vpcMode": "existing", "vpcSubnetIds": SUBNETS}, "vpc_security_group_ids", "required"),
        ({"vpcMode": "create", "vpcSubnetIds": SUBNETS}, "vpc_subnet_ids", "only used with vpc_mode='existing'"),
        ({"vpcSubnetIds": ["subnet-xyz", SUBNETS[0]]}, "vpc_subnet_ids", "subnet ids"),
        ({"vpcEndpoints": "existing"}, "vpc_endpoints", "needs vpc_mode"),
        ({"vpcMode": "create", "vpcEndpoints": "existing"}, "vpc_endpoints", "has none"),
        ({"vpcMode": "create", "vpcCidr": "8.8.0.0/16"}, "vpc_cidr", "private"),
        ({"vpcMode": "create", "vpcCidr": "10.0.0.0/8"}, "vpc_cidr", "/16 to /24"),
        ({"wafRateLimit": 1000}, "waf_rate_limit", "needs waf=true"),
        ({"waf": True, "wafRateLimit": 5}, "waf_rate_limit", "10 to 2000000000"),
        ({"waf": True, "wafAllowedIps": ["10.0.0.0/8"]}, "waf_allowed_ips", "public"),
        ({"waf": True, "wafAllowedIps": ["52.94.76.7/22"]}, "waf_allowed_ips", "CIDR"),
        ({"accessLogs": "yes"}, "access_logs", "must be 'off' or 'server' or 'cloudtrail'"),
        ({"auditReplicaRegion": "us-east-1"}, "audit_replica_region", "another region"),
        ({"auditReplicaRegion": "mars-1"}, "audit_replica_region", "region name"),
        (
            {"webhookReservedConcurrency": 5, "webhookProvisionedConcurrency": 6},
            "webhook_provisioned_concurrency",
            "exceeds webhook_reserved_concurrency (5)",
        ),
        ({"streamReservedConcurrency": 0}, "stream_reserved_concurrency", "1 to 10000"),
    ],
)
def test_invalid_profile_settings_name_the_setting(context: dict, setting: str, says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(context, {})
    assert f"'{setting}'" in str(raised.value) and says in str(raised.value)


def test_at_most_three_deploy_environments() -> None:
    """The deploy role's boundary is one managed policy (6,144 characters); four environments never fit."""
    assert load_config({"deployEnvironments": "dev,staging,prod"}, {}).deploy_environments == ("dev", "staging", "prod")
    with pytest.raises(ConfigError, match=r"'deploy_environments'.*more than 3"):
        load_config({"deployEnvironments": "dev,qa,staging,prod"}, {})
