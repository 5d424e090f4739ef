"""IAM proofs: every AWS call a handler really makes is granted by its synthesized role, and
every grant no handler call uses is an explained, infrastructure-side one.

How: a ``before-parameter-build`` hook on boto3's default session (every handler builds its clients from
it, on first use) records ``(operation, params)`` while one function's real paths run against
moto (webhook: accepted, duplicate, rejected; stream: a batch with a block decision, its ledger items;
batch: a window with an alert, then the daily report; labels: recorded, duplicate, conflicting, not
audited, wrong API key). Each call maps to the IAM actions it needs
(``service:Operation``, the documented exceptions such as ``ListObjectsV2 -> s3:ListBucket``,
and the KMS calls AWS makes on the caller's behalf for the encrypted parameter, bucket and
topic), with the resource in the synthesized JSON's token form (``${aws_x.name.arn}/...``) and the
request's condition keys (``s3:prefix``; ``dynamodb:LeadingKeys``, one need per partition key value the
request names, which is what ``ForAllValues`` asks of every value: DynamoDB developer guide, "Using IAM
policy conditions for fine-grained access control").
The role is found from the function: ``aws_lambda_function`` ``fraud-<fn>-dev`` -> its role ->
the inline role policy -> the ``aws_iam_policy_document`` statements.
"""

from __future__ import annotations

import fnmatch
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from fraud_detection import contract
from fraud_detection.contract import label_signing_keys_parameter_name, secret_parameter_names
from fraud_detection.handlers import batch, stream
from tests.runtime.labels.labels_support import (
    LABEL_KEYS_PARAMETER,
    LABEL_SECRET,
    LABELLED_AT,
    LABELS_API_KEY_ID,
    SENDER_API_KEY_ID,
    LabelsClient,
    base_label,
)
from tests.runtime.webhook.webhook_support import FIXED_NOW, WebhookClient, base_transaction
from tests.support.aws import moto_client
from tests.support.clocks import MovableClock
from tests.support.events import input_transformer, load_event
from tests.support.lambda_context import FakeLambdaContext
from tests.support.moto_stack import NAMES, Names
from tests.support.outputs import subscribe_inbox
from tests.support.tables import pattern_item, put_patterns
from tests.tfjson import data_sources, only, resources

pytestmark = pytest.mark.synth

FUNCTIONS = ("webhook", "stream", "batch", "labels")
APP_ENVIRONMENT = "dev"  # tests/conftest.py TEST_CONTEXT

# Operations whose IAM action is not ``<service>:<Operation>``.
ACTION_EXCEPTIONS = {
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "HeadBucket"): "s3:ListBucket",
}

# Grants no handler call uses, each with the reason it must stay. Anything else unused fails.
INFRA_SIDE_GRANTS: dict[str, dict[str, str]] = {
    "webhook": {
        "logs:CreateLogStream": "the Lambda service writes the function's stdout to its log group",
        "logs:PutLogEvents": "the Lambda service writes the function's stdout to its log group",
        "xray:PutTraceSegments": "active tracing: Lambda and the X-Ray SDK send segments with the role",
        "xray:PutTelemetryRecords": "active tracing: the X-Ray daemon reports telemetry with the role",
    },
    "stream": {
        "logs:CreateLogStream": "the Lambda service writes the function's stdout to its log group",
        "logs:PutLogEvents": "the Lambda service writes the function's stdout to its log group",
        "xray:PutTraceSegments": "active tracing: Lambda and the X-Ray SDK send segments with the role",
        "xray:PutTelemetryRecords": "active tracing: the X-Ray daemon reports telemetry with the role",
        "dynamodb:DescribeStream": "the event source mapping polls the table stream with the function's role",
        "dynamodb:GetRecords": "the event source mapping polls the table stream with the function's role",
        "dynamodb:GetShardIterator": "the event source mapping polls the table stream with the function's role",
        "dynamodb:ListStreams": "the event source mapping polls the table stream with the function's role",
        "sqs:SendMessage": "the mapping's on-failure destination (DLQ) is written with the function's role",
    },
    "batch": {
        "logs:CreateLogStream": "the Lambda service writes the function's stdout to its log group",
        "logs:PutLogEvents": "the Lambda service writes the function's stdout to its log group",
        "xray:PutTraceSegments": "active tracing: Lambda and the X-Ray SDK send segments with the role",
        "xray:PutTelemetryRecords": "active tracing: the X-Ray daemon reports telemetry with the role",
        "sqs:SendMessage": "the async invoke config's on-failure destination (DLQ) is written with the role",
    },
    "labels": {
        "logs:CreateLogStream": "the Lambda service writes the function's stdout to its log group",
        "logs:PutLogEvents": "the Lambda service writes the function's stdout to its log group",
        "xray:PutTraceSegments": "active tracing: Lambda and the X-Ray SDK send segments with the role",
        "xray:PutTelemetryRecords": "active tracing: the X-Ray daemon reports telemetry with the role",
    },
}
# Unused grants that are NOT infrastructure-side: over-grants found by this proof and reported.
# Listed (not silently allowed) so the test fails again, and this entry is deleted, once fixed.
KNOWN_OVERGRANTS: dict[str, dict[str, str]] = {
    "webhook": {},
    "stream": {},
    "batch": {},
    "labels": {},
}


# --- recording ----------------------------------------------------------------------------------


@dataclass
class Recorder:
    current: str | None = None
    calls: dict[str, list[tuple[str, str, dict[str, Any]]]] = field(default_factory=dict)

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if self.current is not None:
            service = model.service_model.signing_name
            self.calls.setdefault(self.current, []).append((service, model.name, dict(params)))

    def run(self, function: str) -> _Running:
        return _Running(self, function)


@dataclass
class _Running:
    recorder: Recorder
    function: str

    def __enter__(self) -> None:
        self.recorder.current = self.function

    def __exit__(self, *_: object) -> None:
        self.recorder.current = None


@pytest.fixture
def recorder(webhook: WebhookClient, fresh_containers: None) -> Iterator[Recorder]:
    """Hooked into the default session before any handler client exists (all caches cleared)."""
    recording = Recorder()
    events = boto3._get_default_session().events
    events.register("before-parameter-build", recording)
    yield recording
    events.unregister("before-parameter-build", recording)


@pytest.fixture
def labeller(stack: Names, monkeypatch: pytest.MonkeyPatch) -> Iterator[LabelsClient]:
    """The labels handler as a fresh container (its variables and the label key set as deployed)."""
    from fraud_detection.handlers import labels as module

    monkeypatch.setenv(contract.ENV_LABEL_SIGNING_KEYS_PARAMETER, LABEL_KEYS_PARAMETER)
    monkeypatch.setenv(contract.ENV_LABELS_API_KEY_ID, LABELS_API_KEY_ID)
    moto_client("ssm").put_parameter(
        Name=LABEL_KEYS_PARAMETER, Type="SecureString", Value=json.dumps({"keys": {"l1": LABEL_SECRET}})
    )
    client = LabelsClient(module=module, secret=LABEL_SECRET, now=LABELLED_AT, clock=MovableClock())
    module.dependencies.use(
        functools.partial(module.build_dependencies, now=lambda: client.now, monotonic=client.clock)
    )
    yield client
    module.dependencies.use()


WINDOW = datetime(2026, 11, 22, 10, 5, tzinfo=UTC)


def _stream_event_of(table: str) -> dict[str, Any]:
    """A table-stream event (the captured one's shape) inserting every item of ``table``."""
    from boto3.dynamodb.types import TypeSerializer

    serialize = TypeSerializer().serialize
    template = load_event("dynamodb_stream_patterns.json")["Records"][0]
    items = boto3.resource("dynamodb").Table(table).scan()["Items"]
    records = []
    for i, item in enumerate(items):
        record = {**template, "eventID": f"iam-proof-{i}", "eventName": "INSERT"}
        image = {name: serialize(value) for name, value in item.items()}
        record["dynamodb"] = {**template["dynamodb"], "Keys": {"pk": image["pk"]}, "NewImage": image}
        records.append(record)
    return {"Records": records}


def exercise(recorder: Recorder, webhook: WebhookClient, stack: Names, labeller: LabelsClient) -> None:
    """Every real path of the four handlers, each call attributed to its function."""
    with recorder.run("webhook"):
        accepted = webhook.post(
            base_transaction(transaction_id="iam-1", card_number="4917612345009878", card_token=None)
        )
        duplicate = webhook.post(base_transaction(transaction_id="iam-1"))
        blocked = webhook.post(
            base_transaction(transaction_id="iam-2", merchant="Evil Corp", card_number=None, card_token="tok_abcdef")
        )
        unsigned = webhook.post(base_transaction(transaction_id="iam-3"), signature=None)
        invalid = webhook.post(base_transaction(transaction_id="../x"))
    assert [r.status for r in (accepted, duplicate, blocked, unsigned, invalid)] == [200, 200, 200, 401, 400]
    assert blocked.json["action"] == "block"
    assert "duplicate delivery" in webhook.log_text

    subscribe_inbox(stack.topic_arn)
    # The items the webhook just wrote carry decision records: their settings version reaches the
    # settings history (the live parameter is read to copy it).
    inserted = _stream_event_of(stack.table)
    with recorder.run("stream"):
        result = stream.handler(load_event("dynamodb_stream_patterns.json"), FakeLambdaContext())
        written = stream.handler(inserted, FakeLambdaContext())
    assert result["alerts"] >= 1 and written["lines"] >= 1

    # iam-1 is in the audit trail now (the stream wrote its ledger item): label it.
    occurred = (FIXED_NOW + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    label = base_label(transaction_id="iam-1", occurred_at=occurred)
    with recorder.run("labels"):
        statuses = [
            labeller.post(label).status,  # recorded
            labeller.post(label).status,  # duplicate: the stored object is read back
            labeller.post({**label, "label": "legitimate"}).status,  # conflict
            labeller.post({**label, "transaction_id": "iam-never-sent"}).status,  # not in the audit trail
            labeller.post(label, api_key_id=SENDER_API_KEY_ID).status,  # a sender's key: refused before AWS
        ]
    assert statuses == [201, 200, 409, 404, 403]

    put_patterns(
        stack.table,
        [
            pattern_item(
                f"iam-w-{i}", WINDOW + timedelta(seconds=i), shards=stack.window_shards, action="block", risk_score=90
            )
            for i in range(6)
        ],
    )
    with recorder.run("batch"):
        window = batch.handler(
            input_transformer(load_event("eventbridge_scheduled_window.json"), "window"), FakeLambdaContext()
        )
        report = batch.handler({"job": "daily_report", "day": "2026-11-22"}, FakeLambdaContext())
    assert window["alerted"] is True
    assert report["windows_found"] == 1


# --- the synthesized roles ------------------------------------------------------------------------


def token(app: dict, resource_type: str, attribute: str = "arn") -> str:
    """``${type.name.attr}`` of the only resource of that type."""
    only(app, resource_type)
    (name,) = resources(app, resource_type)
    return "${" + f"{resource_type}.{name}.{attribute}" + "}"


def role_statements(app: dict, function: str) -> list[dict[str, Any]]:
    """Statements of the role attached to ``fraud-<function>-<env>``; fails on any other policy source."""
    functions = [
        f
        for f in resources(app, "aws_lambda_function").values()
        if f["function_name"] == f"fraud-{function}-{APP_ENVIRONMENT}"
    ]
    assert len(functions) == 1, function
    role_arn = functions[0]["role"]
    assert role_arn.startswith("${aws_iam_role.") and role_arn.endswith(".arn}"), role_arn
    role_name = role_arn[len("${aws_iam_role.") : -len(".arn}")]
    role = resources(app, "aws_iam_role")[role_name]
    assert not role.get("managed_policy_arns") and not role.get("inline_policy"), "policy outside the role policy"
    attachments = [a for a in resources(app, "aws_iam_role_policy_attachment").values() if role_name in str(a["role"])]
    assert attachments == [], f"{function}: managed policies attached: {attachments}"
    policies = [
        p for p in resources(app, "aws_iam_role_policy").values() if p["role"] == f"${{aws_iam_role.{role_name}.id}}"
    ]
    assert len(policies) == 1, f"{function}: expected one inline role policy"
    reference = policies[0]["policy"]
    document = reference[len("${data.aws_iam_policy_document.") : -len(".json}")]
    statements = data_sources(app, "aws_iam_policy_document")[document]["statement"]
    assert all(s.get("effect", "Allow") == "Allow" for s in statements)
    return statements


@dataclass(frozen=True)
class Need:
    """One IAM permission a recorded call needs: action, resource, request context (conditions)."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()
    why: str = ""


def needs(app: dict, service: str, operation: str, params: dict[str, Any]) -> list[Need]:
    """The permissions one recorded call needs, with resources in the synthesized token form."""
    action = ACTION_EXCEPTIONS.get((service, operation), f"{service}:{operation}")
    why = f"{service}.{operation}"
    key_arn = token(app, "aws_kms_key")
    if service == "dynamodb":
        table = token(app, "aws_dynamodb_table")
        if operation == "BatchWriteItem":
            ((name, requests),) = params["RequestItems"].items()
            assert name == NAMES.table
            items = [r["PutRequest"]["Item"] for r in requests]
            return [Need(action, table, (("dynamodb:LeadingKeys", item["pk"]["S"]),), why) for item in items]
        assert params["TableName"] == NAMES.table
        index = params.get("IndexName")
        key = (params.get("Key") or params.get("Item") or {}).get("pk", {}).get("S")
        context = (("dynamodb:LeadingKeys", key),) if key and not index else ()
        return [Need(action, f"{table}/index/{index}" if index else table, context, why)]
    if service == "s3":
        assert params["Bucket"] == NAMES.bucket
        bucket = token(app, "aws_s3_bucket")
        if action == "s3:ListBucket":
            return [Need(action, bucket, (("s3:prefix", params.get("Prefix", "")),), why)]
        found = [Need(action, f"{bucket}/{params['Key']}", why=why)]
        if kms_encrypted_bucket(app):  # SSE-KMS: S3 calls KMS with the caller's permissions
            kms_action = "kms:GenerateDataKey" if operation == "PutObject" else "kms:Decrypt"
            found.append(Need(kms_action, key_arn, why=f"{why} on an SSE-KMS bucket"))
        return found
    if service == "sns":
        assert params["TopicArn"] == NAMES.topic_arn
        topic = only(app, "aws_sns_topic")
        found = [Need(action, token(app, "aws_sns_topic"), why=why)]
        if topic.get("kms_master_key_id"):  # SSE topic: publishers need both (AWS SNS docs)
            found += [
                Need(a, key_arn, why=f"{why} to a KMS-encrypted topic") for a in ("kms:GenerateDataKey", "kms:Decrypt")
            ]
        return found
    if service == "ssm":
        names = params.get("Names") or [params["Name"]]
        found = []
        for name in names:
            managed = ssm_parameter(app, name)
            if managed is None:  # a secret: created by the rotation command under the app key, granted by name
                found.append(Need(action, parameter_arn_by_name(app, name), why=why))
                if params.get("WithDecryption"):
                    found.append(Need("kms:Decrypt", key_arn, why=f"{why} decrypting {name} (app key)"))
                continue
            parameter_name, parameter = managed
            found.append(Need(action, "${aws_ssm_parameter." + parameter_name + ".arn}", why=why))
            if params.get("WithDecryption") and parameter["type"] == "SecureString":
                found.append(Need("kms:Decrypt", parameter["key_id"], why=f"{why} decrypting {name}"))
        return found
    raise AssertionError(f"no IAM mapping for {service}.{operation}: add one")


SECRET_PARAMETERS = frozenset(
    (*secret_parameter_names(APP_ENVIRONMENT), label_signing_keys_parameter_name(APP_ENVIRONMENT))
)


def kms_encrypted_bucket(app: dict) -> bool:
    rule = only(app, "aws_s3_bucket_server_side_encryption_configuration")["rule"][0]
    return rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"


def _synthesized_name(test_name: str) -> str:
    return test_name.replace(f"/{NAMES.environment}/", f"/{APP_ENVIRONMENT}/")


def parameter_arn_by_name(app: dict, test_name: str) -> str:
    """The ARN the stack grants a parameter Terraform does not manage by (built from its name)."""
    suffix = f":parameter{_synthesized_name(test_name)}"
    found = {
        resource
        for document in data_sources(app, "aws_iam_policy_document").values()
        for statement in document.get("statement", [])
        for resource in statement.get("resources", [])
        if resource.startswith("arn:${data.aws_partition.") and resource.endswith(suffix)
    }
    assert len(found) == 1, f"no grant names the parameter {suffix}: {found}"
    return found.pop()


def ssm_parameter(app: dict, test_name: str) -> tuple[str, dict[str, Any]] | None:
    """The synthesized parameter for a test-environment name (same path, environment ``dev``), or
    ``None`` for the secrets, which the rotation command owns (not Terraform)."""
    wanted = _synthesized_name(test_name)
    matches = [(n, p) for n, p in resources(app, "aws_ssm_parameter").items() if p["name"] == wanted]
    if not matches and wanted in SECRET_PARAMETERS:
        return None
    assert len(matches) == 1, f"no synthesized parameter {wanted}"
    return matches[0]


def allows(statement: dict[str, Any], need: Need) -> bool:
    if need.action not in statement["actions"]:
        return False
    if not any(fnmatch.fnmatchcase(need.resource, pattern) for pattern in statement["resources"]):
        return False
    context = dict(need.context)
    for condition in statement.get("condition", []):
        # One need carries one value per key (a request's several LeadingKeys are several needs), so
        # ForAllValues:StringLike asks of it what StringLike does.
        assert condition["test"] in ("StringLike", "ForAllValues:StringLike"), f"{condition['test']} not modelled"
        value = context.get(condition["variable"])
        if value is None or not any(fnmatch.fnmatchcase(value, v) for v in condition["values"]):
            return False
    return True


def ungranted(app: dict, statements: list[dict[str, Any]], calls: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    """Every permission some call needs that no statement allows, described for the failure message."""
    return sorted(
        {
            f"{need.action} on {need.resource} ({need.why}{', ' + str(dict(need.context)) if need.context else ''})"
            for service, operation, params in calls
            for need in needs(app, service, operation, params)
            if not any(allows(statement, need) for statement in statements)
        }
    )


# --- the proofs ---------------------------------------------------------------------------------


@pytest.fixture
def recorded(
    recorder: Recorder, webhook: WebhookClient, stack: Names, labeller: LabelsClient
) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    exercise(recorder, webhook, stack, labeller)
    return recorder.calls


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_call_a_handler_makes_is_granted_by_its_role(
    synthesized: dict[str, dict], recorded: dict[str, list[tuple[str, str, dict[str, Any]]]], function: str
) -> None:
    app = synthesized["app"]
    statements = role_statements(app, function)
    calls = recorded.get(function, [])
    assert calls, f"{function}: no AWS call recorded"
    missing = ungranted(app, statements, calls)
    assert not missing, f"fraud-{function}-{APP_ENVIRONMENT} makes calls its role does not grant: {missing}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_grants_no_call_uses_are_only_the_explained_infra_side_ones(
    synthesized: dict[str, dict],
    recorded: dict[str, list[tuple[str, str, dict[str, Any]]]],
    function: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = synthesized["app"]
    used = {need.action for s, o, p in recorded.get(function, []) for need in needs(app, s, o, p)}
    granted = {action for statement in role_statements(app, function) for action in statement["actions"]}
    unused = granted - used
    with capsys.disabled():
        print(f"\nfraud-{function}-{APP_ENVIRONMENT}: used {sorted(used)}; granted but unused {sorted(unused)}")
    explained = set(INFRA_SIDE_GRANTS[function]) | set(KNOWN_OVERGRANTS[function])
    assert unused == explained, (
        f"{function}: unexplained unused grants {sorted(unused - explained)}; "
        f"stale allow-list entries (delete them) {sorted(explained - unused)}"
    )
    assert all(INFRA_SIDE_GRANTS[function].values()) and all(KNOWN_OVERGRANTS[function].values())


def test_recording_sees_exactly_the_operations_each_path_needs(
    recorded: dict[str, list[tuple[str, str, dict[str, Any]]]],
) -> None:
    """Guards the proof itself: if the hook missed calls, 'every call is granted' would be vacuous."""
    operations = {function: {f"{s}.{o}" for s, o, _ in calls} for function, calls in recorded.items()}
    assert operations == {
        "webhook": {"ssm.GetParameters", "dynamodb.Query", "dynamodb.PutItem", "dynamodb.GetItem"},
        # + the live settings (history), the ledger items
        "stream": {"s3.PutObject", "sns.Publish", "ssm.GetParameter", "dynamodb.BatchWriteItem"},
        "labels": {"ssm.GetParameters", "dynamodb.GetItem", "s3.PutObject", "s3.GetObject"},
        "batch": {
            "ssm.GetParameter",
            "dynamodb.Query",
            "s3.PutObject",
            "sns.Publish",
            "s3.ListObjectsV2",
            "s3.GetObject",
        },
    }
    queried = {p.get("IndexName") for s, o, p in recorded["webhook"] if o == "Query"}
    assert queried == {"by_customer", "by_card"}
    # The ledger only: the stream writes AUDITED# items, the labels function reads them.
    ledger_writes = [
        r["PutRequest"]["Item"]["pk"]["S"]
        for s, o, p in recorded["stream"]
        if o == "BatchWriteItem"
        for r in next(iter(p["RequestItems"].values()))
    ]
    assert ledger_writes and all(pk.startswith(contract.AUDITED_KEY_PREFIX) for pk in ledger_writes)
    reads = [p["Key"]["pk"]["S"] for s, o, p in recorded["labels"] if o == "GetItem"]
    assert reads and all(pk.startswith(contract.AUDITED_KEY_PREFIX) for pk in reads)


def test_the_proof_fails_when_a_grant_is_missing_or_too_narrow(
    synthesized: dict[str, dict], recorded: dict[str, list[tuple[str, str, dict[str, Any]]]]
) -> None:
    """Mutations of the batch role the proof must catch (it is not vacuously green)."""
    app = synthesized["app"]
    statements = role_statements(app, "batch")
    calls = recorded["batch"]
    without_publish = [s for s in statements if "sns:Publish" not in s["actions"]]
    assert any(m.startswith("sns:Publish on ") for m in ungranted(app, without_publish, calls))
    without_key = [s for s in statements if "kms:GenerateDataKey" not in s["actions"]]
    assert any(m.startswith("kms:GenerateDataKey on ") for m in ungranted(app, without_key, calls))
    narrowed = [
        {**s, "resources": [r.replace("/analyses/*", "/reports/*") for r in s["resources"]]}
        if "s3:PutObject" in s["actions"]
        else s
        for s in statements
    ]
    assert any(m.startswith("s3:PutObject on ") and "/analyses/" in m for m in ungranted(app, narrowed, calls))
    other_prefix = [
        {**s, "condition": [{**c, "values": ["reports/*"]} for c in s.get("condition", [])]} for s in statements
    ]
    assert any(m.startswith("s3:ListBucket on ") for m in ungranted(app, other_prefix, calls))


def test_the_proof_catches_a_ledger_grant_on_other_keys(
    synthesized: dict[str, dict], recorded: dict[str, list[tuple[str, str, dict[str, Any]]]]
) -> None:
    """The LeadingKeys conditions are checked, not ignored: on pattern items (TXN#) instead of the ledger's
    AUDITED# items, the stream's ledger writes and the labels function's reads are refused."""
    app = synthesized["app"]
    for function, action in (("stream", "dynamodb:BatchWriteItem"), ("labels", "dynamodb:GetItem")):
        statements = role_statements(app, function)
        on_patterns = [
            {**s, "condition": [{**c, "values": ["TXN#*"]} for c in s["condition"]]} if "condition" in s else s
            for s in statements
        ]
        assert not ungranted(app, statements, recorded[function])
        assert any(m.startswith(f"{action} on ") for m in ungranted(app, on_patterns, recorded[function])), function
