"""One cold start of the webhook, as a fresh Lambda process sees it: import, then the first request.

Run by ``bench/run.py`` in a fresh interpreter with the function's environment (tracing on,
``_X_AMZN_TRACE_ID`` set, ``AWS_ENDPOINT_URL`` pointing at a moto server in another process):

    python bench/first_request.py boto3               # import boto3 alone
    python bench/first_request.py webhook EVENT.json  # import the handler, serve EVENT
    python bench/first_request.py sdk-floor SPEC.json # plain boto3: the accepted request's AWS calls

Both modes run the same preamble (this module's stdlib imports, reading the event) before the
clock starts, so the two sides of a pair differ only in what is measured. Prints ``BENCH <json>``
as its last line: seconds for the import and for import + first response, and the status.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


class Context:
    """The attributes Powertools and the handler read from a Lambda context."""

    function_name = "fraud-webhook-bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:fraud-webhook-bench"
    aws_request_id = "00000000-0000-4000-8000-000000000001"
    log_group_name = "/aws/lambda/fraud-webhook-bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 14_000


def sdk_floor(spec: dict[str, Any]) -> tuple[float, float]:
    """The AWS calls of a first accepted request with plain boto3 (no Powertools, X-Ray or code of ours):
    the SSM and DynamoDB clients, one GetParameters, one COUNT query per velocity index, one conditional
    PutItem. ``spec`` names the table, its key, the velocity indexes and the parameters (from the contract).
    Returns the clock when both clients exist and when the last call has answered."""
    import boto3

    ssm = boto3.client("ssm")
    dynamodb = boto3.client("dynamodb")
    clients = time.perf_counter()
    ssm.get_parameters(Names=spec["parameters"], WithDecryption=True)
    for index, hash_key, range_key in spec["velocity_indexes"]:
        dynamodb.query(
            TableName=spec["table"],
            IndexName=index,
            Select="COUNT",
            KeyConditionExpression="#k = :k AND #t BETWEEN :a AND :b",
            ExpressionAttributeNames={"#k": hash_key, "#t": range_key},
            ExpressionAttributeValues={":k": {"S": "floor"}, ":a": {"N": "0"}, ":b": {"N": "1"}},
        )
    key = spec["partition_key"]
    dynamodb.put_item(
        TableName=spec["table"],
        Item={key: {"S": f"floor-{time.time_ns()}"}},
        ConditionExpression=f"attribute_not_exists({key})",
    )
    return clients, time.perf_counter()


def main(argv: list[str]) -> int:
    mode = argv[0]
    argument = json.loads(Path(argv[1]).read_text()) if len(argv) > 1 else None
    context = Context()
    started = time.perf_counter()
    if mode == "boto3":
        import boto3  # noqa: F401

        imported = time.perf_counter()
        result = {"import_s": imported - started}
    elif mode == "sdk-floor":
        clients, answered = sdk_floor(argument)
        result = {"clients_s": clients - started, "total_s": answered - started}
    else:
        from fraud_detection.handlers import webhook

        imported = time.perf_counter()
        response = webhook.handler(argument, context)
        answered = time.perf_counter()
        result = {
            "import_s": imported - started,
            "total_s": answered - started,
            "status": response["statusCode"],
            "xray_sdk": "aws_xray_sdk.core" in sys.modules,
        }
    print("BENCH " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
