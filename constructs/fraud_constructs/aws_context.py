"""Account, region and partition of the deploying credentials, looked up once per stack.

Names and policies are built from these tokens rather than hard-coded values, so the same
constructs deploy to any account, region or partition (aws, aws-us-gov, aws-cn).
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion
from constructs import Construct


class AwsContext(Construct):
    """Exposes ``account_id``, ``region``, ``partition`` and ``dns_suffix`` as Terraform tokens."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.caller = DataAwsCallerIdentity(self, "caller")
        self.region_data = DataAwsRegion(self, "region")
        self.partition_data = DataAwsPartition(self, "partition")

    @property
    def account_id(self) -> str:
        return self.caller.account_id

    @property
    def region(self) -> str:
        return self.region_data.name

    @property
    def partition(self) -> str:
        return self.partition_data.partition

    @property
    def dns_suffix(self) -> str:
        return self.partition_data.dns_suffix

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        """An ARN in this account/region, e.g. ``arn("logs", "log-group:/aws/lambda/x")``."""
        return ":".join(
            [
                "arn",
                self.partition,
                service,
                self.region if region else "",
                self.account_id if account else "",
                resource,
            ]
        )
