"""A scope for resources in another region of the same account (e.g. a replica bucket and its key).

Terraform chooses a region per resource through its ``provider``; cdktf has no scope-wide provider.
:class:`RegionalScope` adds an Aspect that, at synth, sets ``provider`` on every Terraform resource
and data source under it that has none, so any construct of this library (written for the
stack's default provider) can be built there unchanged, including children added after it. Its
``aws`` is an :class:`~fraud_constructs.aws_context.AwsContext` looked up through that provider:
``aws.region`` is the other region, for names, ARNs and ``kms:ViaService`` values.
"""

from __future__ import annotations

import jsii
from cdktf import Aspects, IAspect, TerraformDataSource, TerraformProvider, TerraformResource
from constructs import Construct, IConstruct

from fraud_constructs.aws_context import AwsContext


@jsii.implements(IAspect)
class _UseProvider:
    def __init__(self, provider: TerraformProvider) -> None:
        self._provider = provider

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, TerraformResource | TerraformDataSource) and node.provider is None:
            node.provider = self._provider


class RegionalScope(Construct):
    """Everything under it uses ``provider`` (an aliased ``AwsProvider`` of another region); exposes
    ``provider`` and ``aws`` (the account, region and partition as seen through that provider)."""

    def __init__(self, scope: Construct, construct_id: str, *, provider: TerraformProvider) -> None:
        super().__init__(scope, construct_id)
        self.provider = provider
        Aspects.of(self).add(_UseProvider(provider))
        self.aws = AwsContext(self, "aws-context")
