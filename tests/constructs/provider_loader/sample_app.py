# ruff: noqa: E402  (the lazy provider import must run before the cdktf imports below)
"""A small cdktf app that exercises the provider the way our stacks do, independent of them.

Why: the equivalence test runs this app with the lazy provider import and with the stock one and
compares the synthesized JSON byte for byte. It touches resources, data sources, nested blocks
(structs), output references returned by the Node side, an Aspect that walks the construct tree
(every node crosses from Node to Python), and a cross-stack reference. The outdir comes from
``CDKTF_OUTDIR``, as with ``cdktf synth``.
"""

from __future__ import annotations

import json

# The lazy provider import first: an explicit call, before anything imports the provider.
from fraud_constructs import provider_loader

provider_loader.install()

# isort: split
import jsii
from cdktf import App as CdktfApp
from cdktf import Aspects, IAspect, S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTableGlobalSecondaryIndex,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
    DynamodbTableTtl,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionEnvironment,
    LambdaFunctionImageConfig,
    LambdaFunctionTracingConfig,
)
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from constructs import Construct, IConstruct


@jsii.implements(IAspect)
class TagEverything:
    """Aspect: the Node side hands every construct back to Python (type resolution path)."""

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, KmsKey | DynamodbTable | S3Bucket | IamRole | LambdaFunction):
            node.add_override("tags.visited_by", type(node).__name__)


class KeyStack(TerraformStack):
    """Shared resources another stack references (cross-stack outputs)."""

    def __init__(self, scope: Construct, name: str) -> None:
        super().__init__(scope, name)
        AwsProvider(self, "aws", region="us-east-1")
        S3Backend(self, bucket="perf-sample-state", key=f"{name}.tfstate", region="us-east-1")
        self.key = KmsKey(self, "key", description="sample", enable_key_rotation=True)


class AppStack(TerraformStack):
    """Table, bucket, role and function wired together the way the real app stack is."""

    def __init__(self, scope: Construct, name: str, key: KmsKey) -> None:
        super().__init__(scope, name)
        AwsProvider(self, "aws", region="us-east-1")
        S3Backend(self, bucket="perf-sample-state", key=f"{name}.tfstate", region="us-east-1")
        me = DataAwsCallerIdentity(self, "me")
        region = DataAwsRegion(self, "region")
        table = DynamodbTable(
            self,
            "table",
            name="sample-patterns",
            billing_mode="PAY_PER_REQUEST",
            hash_key="pk",
            attribute=[
                DynamodbTableAttribute(name="pk", type="S"),
                DynamodbTableAttribute(name="window_key", type="S"),
                DynamodbTableAttribute(name="event_ts", type="N"),
            ],
            global_secondary_index=[
                DynamodbTableGlobalSecondaryIndex(
                    name="by_window", hash_key="window_key", range_key="event_ts", projection_type="ALL"
                )
            ],
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
            server_side_encryption=DynamodbTableServerSideEncryption(enabled=True, kms_key_arn=key.arn),
            ttl=DynamodbTableTtl(attribute_name="expires_at", enabled=True),
            stream_enabled=True,
            stream_view_type="NEW_IMAGE",
        )
        bucket = S3Bucket(self, "bucket", bucket=f"sample-audit-{me.account_id}-{region.name}")
        assume = DataAwsIamPolicyDocument(
            self,
            "assume",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    actions=["sts:AssumeRole"],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(
                            type="Service", identifiers=["lambda.amazonaws.com"]
                        )
                    ],
                )
            ],
        )
        role = IamRole(self, "role", assume_role_policy=assume.json)
        function = LambdaFunction(
            self,
            "fn",
            function_name="sample-fn",
            role=role.arn,
            package_type="Image",
            image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/sample@sha256:" + "0" * 64,
            image_config=LambdaFunctionImageConfig(command=["fraud_detection.handlers.batch.handler"]),
            environment=LambdaFunctionEnvironment(variables={"TABLE_NAME": table.name, "BUCKET_NAME": bucket.bucket}),
            tracing_config=LambdaFunctionTracingConfig(mode="Active"),
            timeout=60,
        )
        # Output references are objects created by the Node side and resolved in Python.
        TerraformOutput(self, "versioning", value=bucket.versioning.enabled)
        TerraformOutput(self, "stream_arn", value=table.stream_arn)
        TerraformOutput(self, "ttl_attr", value=table.ttl.attribute_name)
        TerraformOutput(self, "fn_arn", value=function.arn)
        TerraformOutput(self, "children", value=json.dumps(sorted(c.node.id for c in self.node.children)))
        Aspects.of(self).add(TagEverything())


def main() -> None:
    app = CdktfApp()
    keys = KeyStack(app, "sample-keys")
    AppStack(app, "sample-app", keys.key)
    app.synth()


if __name__ == "__main__":
    main()
