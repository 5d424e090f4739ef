"""Operator CLI: ``python -m fraud_ops.cli <command> --help``.

Works against the running local stage (``.local-stage/stage.json``, written by ``make local``)
or a real account (``--target aws``: the app stack's Terraform outputs, from ``--outputs FILE``
or ``terraform output`` in ``cdktf.out/stacks/app``; credentials and region from the usual AWS
environment). Against the local stage the batch runs in a worker process of its own (the function's
environment, boto3 pointed at the emulator, its output in the run's ``batch.log``); in an account
through Lambda ``Invoke`` (the ``live`` alias).

``label`` posts a signed label to ``POST /<stage>/labels`` (docs/labels.md): the labels API key and the
newest key of the label signing-key set. Locally both come from the stage (secrets file, emulated SSM);
in an account the key from ``FRAUD_LABELS_API_KEY`` or API Gateway (the id the labels function is
configured with), the signing secret from ``FRAUD_LABEL_SIGNING_SECRET`` or the label signing-key
parameter (``ssm:GetParameter`` with decryption). ``labels`` shows a transaction's label history.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from fraud_detection import contract
from fraud_detection import labels as label_model
from fraud_detection.adapters.audited_ledger import AuditedLedger
from fraud_detection.audit import decode_jsonl_gz, dedupe_by_transaction
from fraud_detection.keys import pattern_pk, window_start
from fraud_detection.validation import InvalidDocument
from fraud_detection.window_analysis import iso_z
from fraud_ops import backtest, dlq, key_rotation, ledger_backfill, load, samples, smoke
from fraud_ops.alert_queues import alert_of, describe_alert
from fraud_ops.invoke import Invoker, LambdaInvoker
from fraud_ops.targets import (
    LABEL_SIGNING_SECRET_VARIABLE,
    LABELS_API_KEY_VARIABLE,
    ROOT,
    STAGE_FILE,
    Target,
    TargetError,
    aws_target,
    label_signing_keys_parameter,
    labels_api_key,
    load_local,
    outputs_from_file,
    outputs_from_terraform,
)
from local_stage.functions import LocalFunctions

Command = Callable[[argparse.Namespace, Target], int]


def resolve_target(args: argparse.Namespace) -> Target:
    if args.target == "local" or (args.target == "auto" and Path(args.stage_file).is_file()):
        return load_local(Path(args.stage_file))
    outputs = (
        outputs_from_file(Path(args.outputs))
        if args.outputs
        else outputs_from_terraform(ROOT / "cdktf.out" / "stacks" / "app")
    )
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return aws_target(outputs, region)


@contextlib.contextmanager
def invoker_for(target: Target, stage_file: str) -> Iterator[Invoker]:
    """Lambda ``Invoke`` in an account; locally, workers of this command (stopped when it ends) whose
    output goes to the running stage's log directory, not into the CLI's output."""
    if target.kind != "local":
        yield LambdaInvoker(target.client("lambda"))
        return
    log_dir = Path(target.log_dir) if target.log_dir else Path(stage_file).parent
    with LocalFunctions(target.functions, target.aws_environment(), region=target.region, log_dir=log_dir) as local:
        yield local


def batch_function(target: Target) -> str:
    """The alias EventBridge invokes (a real account), or the local function."""
    return str(target.output("batch_alias_arn")) if target.kind == "aws" else contract.BATCH.role


# ---------------------------------------------------------------- send


def post(url: str, body: bytes, headers: Mapping[str, str], timeout: float = 30) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - operator-given URL
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def audit_lines(target: Target, transaction_ids: set[str], wait_seconds: float) -> list[tuple[str, dict[str, Any]]]:
    """(key, line) of the audit lines of ``transaction_ids``, each transaction once (a replayed stream
    range writes lines into several objects), waiting for the stream consumer."""
    s3 = target.client("s3")
    bucket = str(target.output("bucket_name"))
    deadline = time.monotonic() + wait_seconds
    while True:
        pairs = [
            (entry["Key"], line)
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=contract.AUDIT_PREFIX)
            for entry in page.get("Contents", [])
            for line in decode_jsonl_gz(s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read())
        ]
        key_of = {id(line): key for key, line in pairs}
        found = [
            (key_of[id(line)], dict(line))
            for line in dedupe_by_transaction(line for _, line in pairs)
            if line.get("transaction_id") in transaction_ids
        ]
        if {line["transaction_id"] for _, line in found} >= transaction_ids or time.monotonic() > deadline:
            return found
        time.sleep(1)


def transaction_item_key(transaction_id: str) -> dict[str, dict[str, str]]:
    """The pattern table's key of a transaction item (``GetItem``'s ``Key``)."""
    return {contract.PARTITION_KEY: {"S": pattern_pk(transaction_id)}}


def newest_signing_key(target: Target) -> tuple[str, str] | None:
    """(key id, secret) senders sign with now; None (and the reason on stderr) when none is set."""
    adapter = key_rotation.ParameterAdapter(target.client("ssm"))
    try:
        return key_rotation.parse_key_set(adapter.read(target.parameter(contract.ENV_SIGNING_KEYS_PARAMETER))).newest()
    except key_rotation.KeySetError as error:
        print(f"error: {error}", file=sys.stderr)
        return None


def cmd_send(args: argparse.Namespace, target: Target) -> int:
    signing = newest_signing_key(target)
    if signing is None:
        return 2
    key_id, secret = signing
    run_id = args.run_id or datetime.now(UTC).strftime("%H%M%S")
    sample_set = samples.build_samples(secret, int(time.time()), run_id, target.api_key)
    print(f"sending to {target.webhook_url} (signing key {key_id}, run {run_id})")
    failures = 0
    for request in sample_set.requests:
        status, body = post(target.webhook_url, request.body, request.headers)
        ok = status == request.expected_status
        if ok and request.expected_action:
            ok = json.loads(body).get("action") == request.expected_action
        failures += not ok
        expected = f"{request.expected_status}{' ' + request.expected_action if request.expected_action else ''}"
        print(f"{'ok  ' if ok else 'FAIL'} {request.name:<22} -> {status} {body}   (expected {expected})")

    table = str(target.output("table_name"))
    dynamodb = target.client("dynamodb")
    print(f"\ntable {table}:")
    for transaction_id in sample_set.stored_transaction_ids:
        item = dynamodb.get_item(TableName=table, Key=transaction_item_key(transaction_id)).get("Item")
        if item is None:
            print(f"  {transaction_id}: MISSING")
            failures += 1
            continue
        fields = {name: next(iter(item[name].values())) for name in ("action", "risk_score", "window_start")}
        print(f"  {transaction_id}: {fields}")
    print(f"\nbucket {target.output('bucket_name')} (audit lines, waiting up to {args.wait:.0f} s for the stream):")
    wanted = set(sample_set.stored_transaction_ids)
    lines = audit_lines(target, wanted, args.wait)
    for key, line in lines:
        print(f"  {key}: {line['transaction_id']} {line['action']} {line['risk_score']}")
    missing = wanted - {line["transaction_id"] for _, line in lines}
    if missing:
        print(f"  not audited yet: {', '.join(sorted(missing))}")
    return 1 if failures else 0


# ---------------------------------------------------------------- smoke


def cmd_smoke(args: argparse.Namespace, target: Target) -> int:
    signing = newest_signing_key(target)
    if signing is None:
        return 2
    secret = signing[1]
    with invoker_for(target, args.stage_file) as invoker:

        def run_batch(event: dict[str, Any]) -> tuple[bool, str]:
            result = invoker.invoke(batch_function(target), event)
            return result.ok, result.detail

        environment = smoke.SmokeEnvironment(
            client=target.client,
            outputs=target.output,
            deliver=lambda body, headers: post(target.webhook_url, body, headers),
            signing_secret=secret,
            api_key=target.api_key,
            audit_lines=lambda ids, wait: audit_lines(target, ids, wait),
            run_batch=run_batch,
        )
        run_id = args.run_id or datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        return 0 if smoke.run(environment, run_id=run_id, wait_seconds=args.wait) else 1


def cmd_load(args: argparse.Namespace, target: Target) -> int:
    signing = newest_signing_key(target)
    if signing is None:
        return 2
    secret = signing[1]
    if not 1 <= args.senders <= 64 or not 1 <= args.events <= 100_000 or not 0 <= args.duplicates < 1:
        print("error: --senders 1-64, --events 1-100000, --duplicates 0-0.99", file=sys.stderr)
        return 2
    run_id = args.run_id or datetime.now(UTC).strftime("L%H%M%S")
    deliveries = load.plan(secret, target.api_key, run_id, args.events, args.duplicates)
    result = load.run(lambda body, headers: post(target.webhook_url, body, headers), deliveries, args.senders)
    print(load.summary(result))
    table, dynamodb = str(target.output("table_name")), target.client("dynamodb")

    def item_exists(transaction_id: str) -> bool:
        return "Item" in dynamodb.get_item(TableName=table, Key=transaction_item_key(transaction_id))

    problems = load.verify(deliveries, result, item_exists, lambda ids, w: audit_lines(target, ids, w), args.wait)
    for problem in problems:
        print(f"FAIL {problem}")
    print("guarantees: " + ("all hold" if not problems else f"{len(problems)} violated"))
    return 1 if problems else 0


# ---------------------------------------------------------------- batch / report


def window_event(args: argparse.Namespace, now: datetime | None = None) -> dict[str, Any]:
    """``--window``: that window (backfill); ``--current``: the open window, the events just sent;
    ``--now`` (the default): what a scheduled run now sends, so the batch analyses the last closed window."""
    moment = now or datetime.now(UTC)
    job = contract.WINDOW_SCHEDULE.job
    if args.window:
        return {"job": job, "window_start": args.window}
    if args.current:
        return {"job": job, "window_start": iso_z(window_start(moment))}
    return {"job": job, "time": iso_z(moment)}


def cmd_batch(args: argparse.Namespace, target: Target) -> int:
    event = window_event(args)
    with invoker_for(target, args.stage_file) as invoker:
        result = invoker.invoke(batch_function(target), event)
    print(f"{json.dumps(event)} -> {'ok' if result.ok else 'FAILED'}: {result.detail}")
    if result.ok and not args.quiet:
        key = json.loads(result.detail).get("analysis_key")
        if key:
            body = target.client("s3").get_object(Bucket=target.output("bucket_name"), Key=key)["Body"].read()
            print(f"\n{key}:\n{json.dumps(json.loads(body), indent=2)}")
    return 0 if result.ok else 1


def cmd_report(args: argparse.Namespace, target: Target) -> int:
    day = date.fromisoformat(args.day).isoformat()
    if not args.no_run:
        with invoker_for(target, args.stage_file) as invoker:
            result = invoker.invoke(batch_function(target), {"job": contract.DAILY_REPORT_SCHEDULE.job, "day": day})
        print(f"{contract.DAILY_REPORT_SCHEDULE.job} {day} -> {'ok' if result.ok else 'FAILED'}: {result.detail}")
        if not result.ok:
            return 1
    s3 = target.client("s3")
    bucket = str(target.output("bucket_name"))
    for name in ("summary.json", "flagged.csv"):
        key = f"{contract.REPORTS_PREFIX}{day}/{name}"
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        except s3.exceptions.NoSuchKey:
            print(f"\n{key}: not found")
            continue
        print(f"\n{key}:\n{body}")
    return 0


# ---------------------------------------------------------------- redrive-dlq


def cmd_redrive(args: argparse.Namespace, target: Target) -> int:
    queue = dlq.QueueAdapter(target.client("sqs"), str(target.output("dlq_url")))
    reader = dlq.DynamoStreamReader(target.client("dynamodbstreams"))
    print(
        "note: stream failure records carry only the shard and sequence range, not the data; they are "
        "redriven by re-reading the stream (24 h retention)"
    )
    with invoker_for(target, args.stage_file) as invoker:
        _, left = dlq.process_queue(queue, invoker, reader, apply=args.yes)
    return 1 if (args.yes and left) else 0


# ---------------------------------------------------------------- alerts


def cmd_alerts(args: argparse.Namespace, target: Target) -> int:
    if not target.alerts_queue_url:
        print(
            "error: alerts are shown for the local stage (its inbox queue on the alert topic); in an account "
            "they go to the topic's subscriptions (make check-alert-subscription)",
            file=sys.stderr,
        )
        return 2
    queue = dlq.QueueAdapter(target.client("sqs"), target.alerts_queue_url)
    messages = queue.receive_all(visibility_seconds=30, limit=args.limit)
    for message in messages:
        print(describe_alert(alert_of(message.body), message.attributes))
        if args.json:
            print(f"  {message.body}")
        if args.keep:
            queue.release(message)
        else:
            queue.delete(message)
    kept = " (kept in the inbox)" if args.keep else ""
    print(f"{len(messages)} alert(s){kept}" if messages else "no new alerts")
    return 0


# ---------------------------------------------------------------- label / labels


def label_document(args: argparse.Namespace, now: datetime | None = None) -> dict[str, str]:
    """The label to send, validated as the labels function validates it (``fraud_detection.labels``);
    ``--occurred-at`` defaults to now. Raises ``InvalidDocument`` naming the fields."""
    occurred_at = args.occurred_at or label_model.iso_utc(now or datetime.now(UTC))
    document = {
        "transaction_id": args.transaction_id,
        "label": args.label,
        "source": args.source,
        "occurred_at": occurred_at,
    }
    parsed = label_model.parse_label(document)
    return {**document, "occurred_at": parsed.occurred_at}


def label_request(
    document: Mapping[str, str], secret: str, api_key: str, timestamp: int
) -> tuple[bytes, dict[str, str]]:
    """(body, headers) of ``POST /labels``: compact JSON, signed like a webhook delivery with the label secret."""
    body = samples.encode(document)
    return body, samples.signed_headers(secret, body, timestamp, api_key)


def newest_label_signing_key(target: Target, environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(key id, secret) labellers sign with now: ``FRAUD_LABEL_SIGNING_SECRET`` when set, else the newest key of
    the label signing-key set; None (and the reason on stderr) when neither is there."""
    environment = os.environ if environ is None else environ
    if environment.get(LABEL_SIGNING_SECRET_VARIABLE):
        return "from " + LABEL_SIGNING_SECRET_VARIABLE, str(environment[LABEL_SIGNING_SECRET_VARIABLE])
    adapter = key_rotation.ParameterAdapter(target.client("ssm"))
    try:
        return key_rotation.parse_key_set(adapter.read(label_signing_keys_parameter(target))).newest()
    except (key_rotation.KeySetError, TargetError) as error:
        print(f"error: label signing key: {error} (make set-secrets creates it)", file=sys.stderr)
        return None


def cmd_label(args: argparse.Namespace, target: Target) -> int:
    """0 when the label was recorded (201) or already was (200); 1 on any 4xx/5xx answer; 2 when nothing was sent."""
    try:
        document = label_document(args)
    except InvalidDocument as error:
        print(f"refused before sending: {error.summary()}", file=sys.stderr)
        return 2
    if not target.labels_url:
        print(
            "error: the target has no labels URL (a stage started before labels existed: restart it)", file=sys.stderr
        )
        return 2
    signing = newest_label_signing_key(target)
    if signing is None:
        return 2
    try:
        api_key = labels_api_key(target)
    except (TargetError, KeyError, ClientError) as error:
        print(f"error: labels API key: {error} (or set {LABELS_API_KEY_VARIABLE})", file=sys.stderr)
        return 2
    body, headers = label_request(document, signing[1], api_key, int(time.time()))
    status, answer = post(target.labels_url, body, headers)
    print(f"POST {target.labels_url} (label signing key {signing[0]}) -> {status} {answer}")
    return 0 if 200 <= status < 300 else 1


def label_history(target: Target, transaction_id: str) -> tuple[str | None, list[dict[str, Any]]]:
    """(the transaction's received_at from the ledger, or None when not audited; its label objects, oldest
    first). Cheap: one GetItem for the day, then one ``labels/dt=<day>/<id>/`` listing."""
    entry = AuditedLedger(target.client("dynamodb"), str(target.output("table_name"))).get(transaction_id)
    if entry is None:
        return None, []
    received_at = entry.received_at
    s3, bucket = target.client("s3"), str(target.output("bucket_name"))
    prefix = label_model.transaction_prefix(transaction_id, label_model.parse_instant(received_at))
    documents = [
        json.loads(s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read())
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for entry in page.get("Contents", [])
    ]
    documents.sort(key=lambda document: (label_model.parse_instant(str(document["occurred_at"])), document["source"]))
    return received_at, documents


def cmd_labels(args: argparse.Namespace, target: Target) -> int:
    received_at, documents = label_history(target, args.transaction_id)
    if received_at is None:
        print(f"{args.transaction_id}: not in the audit trail (no ledger item); labels are refused for it")
        return 1
    print(f"{args.transaction_id}: received {received_at}; {len(documents)} label(s)")
    for document in documents:
        print(
            f"  {document['occurred_at']}  {document['source']:<10} {document['label']:<10} "
            f"(recorded {document.get('recorded_at', '?')})"
        )
    effective = label_model.effective_labels(documents).get(args.transaction_id)
    print(f"effective label: {effective or 'none'}")
    return 0


def cmd_backfill_ledger(args: argparse.Namespace, target: Target) -> int:
    try:
        first, last = date.fromisoformat(args.date_from), date.fromisoformat(args.date_to)
        backtest.DateRange(first, last)
    except (ValueError, backtest.BacktestError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    ledger = AuditedLedger(target.client("dynamodb"), str(target.output("table_name")))
    result = ledger_backfill.backfill(target.client("s3"), str(target.output("bucket_name")), ledger, first, last)
    print(f"ledger items written: {result.transactions} from {result.objects} audit object(s)")
    if result.archived:
        print(f"skipped {len(result.archived)} archived object(s) (restore them, then run again):", file=sys.stderr)
        for key in result.archived[:10]:
            print(f"  {key}", file=sys.stderr)
        return 3
    return 0


# ---------------------------------------------------------------- rotate-secret


def app_key_arn(target: Target) -> str | None:
    """The key new secret parameters are created under (None before the app stack is deployed)."""
    value = target.outputs.get("app_key_arn")
    return str(value) if value else None


def cmd_rotate(args: argparse.Namespace, target: Target) -> int:
    adapter = key_rotation.ParameterAdapter(target.client("ssm"))
    labels = bool(getattr(args, "labels", False))
    if labels and args.init_fingerprint:
        print("refused: --labels is about the label signing-key set; the fingerprint key is not one", file=sys.stderr)
        return 2
    kind = key_rotation.LABEL_KEYS if labels else key_rotation.WEBHOOK_KEYS
    signing = label_signing_keys_parameter(target) if labels else target.parameter(contract.ENV_SIGNING_KEYS_PARAMETER)
    try:
        if args.add:
            result = key_rotation.rotate_add(
                adapter, signing, datetime.now(UTC), key_arn=app_key_arn(target), kind=kind
            )
        elif args.retire:
            result = key_rotation.rotate_retire(adapter, signing, args.retire)
        elif args.init_fingerprint:
            result = key_rotation.init_fingerprint(
                adapter, target.parameter(contract.ENV_FINGERPRINT_KEY_PARAMETER), key_arn=app_key_arn(target)
            )
        else:
            value = adapter.read_optional(signing)
            ids = key_rotation.parse_key_set(value).ids if value is not None else ()
            state = f"none ({contract.PLACEHOLDER})" if value is not None else "none (parameter not created yet)"
            print(f"{'label ' if labels else ''}signing keys: {', '.join(ids) or state}")
            return 0
    except key_rotation.KeySetError as error:
        print(f"refused: {error}", file=sys.stderr)
        return 2
    print(result.message)
    if args.add and result.key_set is not None:
        key_id, secret = result.key_set.newest()
        if args.secret_dir:
            environment = str(
                target.function(contract.WEBHOOK.role).environment.get(contract.ENV_ENVIRONMENT, "unknown")
            )
            path = key_rotation.write_secret_file(
                Path(args.secret_dir), environment, signing, key_id, secret, kind=kind
            )
            holder = "labeller" if labels else "sender"
            print(f"new signing secret {key_id} written to {path} (mode 600): give it to the {holder}, then delete it")
        if args.show_secret:
            print(f"secret: {secret}")
    return 0


# ---------------------------------------------------------------- backtest


def backtest_source(args: argparse.Namespace) -> backtest.Source:
    """A local copy (``--source dir``), or the audit bucket: ``--bucket`` or the target's ``bucket_name``."""
    if args.source == "dir":
        if not args.dir:
            raise backtest.BacktestError("--source dir needs --dir DIR (a copy with the bucket's audit/ layout)")
        return backtest.DirSource(Path(args.dir))
    if args.bucket:
        import boto3

        region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        return backtest.S3Source(boto3.client("s3", region_name=region), args.bucket)
    target = resolve_target(args)
    return backtest.S3Source(target.client("s3"), str(target.output("bucket_name")))


def cmd_backtest(args: argparse.Namespace) -> int:
    """Validates the candidate (and the labels) before it lists or reads anything (docs/backtest.md)."""
    try:
        candidate = backtest.load_candidate(Path(args.candidate))
        labels = backtest.load_labels(Path(args.labels)) if args.labels else None
        days = backtest.DateRange(date.fromisoformat(args.date_from), date.fromisoformat(args.date_to))
    except InvalidDocument as error:
        print(f"refused: candidate {args.candidate} fails settings validation: {error.summary()}", file=sys.stderr)
        return 2
    except (backtest.BacktestError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        source = backtest_source(args)
    except (backtest.BacktestError, TargetError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out = Path(args.out)
    result = backtest.run(
        source, days, candidate, out, candidate_path=args.candidate, labels=labels, labels_path=args.labels
    )
    if result.archived_message is not None:
        print(result.archived_message, file=sys.stderr)
        for command in result.restore_commands[:10]:
            print(f"  {command}", file=sys.stderr)
        if len(result.restore_commands) > 10:
            print(f"  ... {len(result.restore_commands) - 10} more", file=sys.stderr)
        print(f"all {len(result.restore_commands)} command(s): {out / 'restore.sh'}", file=sys.stderr)
        return 3
    print((out / "summary.md").read_text(encoding="utf-8"))
    print(f"report: {out}/summary.md, matrix.csv, rules.csv, metrics.csv, changed.csv")
    return 0


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fraud_ops.cli", description=__doc__.splitlines()[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--target",
        choices=("auto", "local", "aws"),
        default="auto",
        help="auto (default): the local stage if its stage file exists, else the AWS account",
    )
    common.add_argument("--stage-file", default=str(STAGE_FILE), help="local stage file (default: %(default)s)")
    common.add_argument("--outputs", help="AWS: JSON of `terraform output -json` of the app stack")
    common.add_argument("--region", help="AWS region (default: AWS_REGION or us-east-1)")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, func: Command, **kwargs: Any) -> argparse.ArgumentParser:
        """A subcommand that takes the common target options and runs ``func``."""
        subparser = sub.add_parser(name, parents=[common], **kwargs)
        subparser.set_defaults(func=func)
        return subparser

    send = command(
        "send",
        cmd_send,
        help="send signed samples (approve, review, block, duplicate, bad signature, malformed)",
        description="Signs with the newest signing key, prints each response, then the table items and audit lines.",
    )
    send.add_argument("--run-id", help="suffix of the sample ids (default: HHMMSS now)")
    send.add_argument("--wait", type=float, default=30, help="seconds to wait for audit objects (default: 30)")

    smoke_test = command(
        "smoke",
        cmd_smoke,
        help="smoke-test a deployment: decisions, items, audit, alert, batch, DLQ (one line per check)",
        description=smoke.__doc__.split("\n\n")[0] if smoke.__doc__ else None,
    )
    smoke_test.add_argument("--run-id", help="suffix of the smoke ids (default: UTC timestamp)")
    smoke_test.add_argument("--wait", type=float, default=60, help="seconds to wait for audit and alert (default: 60)")

    load_run = command(
        "load",
        cmd_load,
        help="bounded load run: concurrent signed deliveries with duplicates, then the delivery guarantees",
        description=load.__doc__.split("\n\n")[0] if load.__doc__ else None,
    )
    load_run.add_argument("--events", type=int, default=2000, help="deliveries in total (default: 2000)")
    load_run.add_argument("--senders", type=int, default=16, help="concurrent senders (default: 16)")
    load_run.add_argument("--duplicates", type=float, default=0.1, help="share of exact re-sends (default: 0.1)")
    load_run.add_argument("--run-id", help="suffix of the ids (default: L + UTC time)")
    load_run.add_argument("--wait", type=float, default=120, help="seconds to wait for audit lines (default: 120)")

    batch = command(
        "batch",
        cmd_batch,
        help="run the window batch now or for a given window (backfill)",
        description=(
            "Without an option (or --now): like a scheduled run now, which analyses the last *closed* window. "
            "--current analyses the open window, the events just sent."
        ),
    )
    when = batch.add_mutually_exclusive_group()
    when.add_argument("--window", help="window start, a 5-minute boundary, e.g. 2026-11-22T10:05:00Z")
    when.add_argument("--now", action="store_true", help="as the schedule would now: the last closed window (default)")
    when.add_argument("--current", action="store_true", help="the open window (the events just sent)")
    batch.add_argument("--quiet", action="store_true", help="do not print the analysis object")

    report = command("report", cmd_report, help="run (or just show) the daily report of a day")
    report.add_argument("--day", required=True, help="YYYY-MM-DD (UTC)")
    report.add_argument("--no-run", action="store_true", help="only print the existing report objects")

    redrive = command(
        "redrive-dlq",
        cmd_redrive,
        help="show DLQ messages; with --yes move them back to their source",
        description=dlq.__doc__.split("\n\n")[1] if dlq.__doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    redrive.add_argument("--yes", action="store_true", help="redrive; delete each message only after success")

    alerts = command(
        "alerts",
        cmd_alerts,
        help="local stage: show the alerts that reached the stage's inbox queue on the alert topic",
        description="Each alert once: shown alerts are removed from the inbox unless --keep.",
    )
    alerts.add_argument("--keep", action="store_true", help="leave them in the inbox (shown again next time)")
    alerts.add_argument("--json", action="store_true", help="also print each alert's JSON body")
    alerts.add_argument("--limit", type=int, default=100, help="at most this many (default: 100)")

    rotate = command(
        "rotate-secret",
        cmd_rotate,
        help="signing keys: add / retire; card-fingerprint key: init once",
        description=(
            "Without an action: list the signing key ids. The fingerprint key is never rotated: every card "
            "fingerprint is an HMAC under it, so a new key would break card velocity continuity."
        ),
    )
    action = rotate.add_mutually_exclusive_group()
    action.add_argument("--add", action="store_true", help="add a new signing key; old keys stay valid")
    action.add_argument("--retire", metavar="KEY_ID", help="remove a signing key (never the last one)")
    action.add_argument(
        "--init-fingerprint",
        action="store_true",
        help=f"set the card-fingerprint key if missing or {contract.PLACEHOLDER}",
    )
    rotate.add_argument(
        "--labels",
        action="store_true",
        help="the label signing-key set (POST /labels) instead of the webhook's (with --add, --retire or alone)",
    )
    rotate.add_argument("--show-secret", action="store_true", help="with --add: print the new secret")
    rotate.add_argument(
        "--secret-dir", help="with --add: write the new secret to a new mode-600 file in this directory (not stdout)"
    )

    label = command(
        "label",
        cmd_label,
        help="record a label (fraud | legitimate) of an audited transaction: signed POST /labels",
        description=(
            "Validates the label as the labels function does, signs it with the newest label signing key and "
            "posts it with the labels API key. Exit code 0: recorded (201) or already recorded (200); 1: the "
            "API refused it (4xx) or failed (5xx); 2: nothing was sent. docs/labels.md."
        ),
    )
    label.add_argument("--transaction-id", required=True, help="an audited transaction's id")
    label.add_argument("--label", required=True, choices=contract.LABEL_VALUES)
    label.add_argument("--source", required=True, choices=contract.LABEL_SOURCES)
    label.add_argument("--occurred-at", help="when it was established, ISO 8601 with a time zone (default: now)")

    history = command(
        "labels",
        cmd_labels,
        help="show a transaction's label history and its effective label (from the audit trail)",
        description="One ledger GetItem (the transaction's day), then its labels/dt=<day>/<id>/ objects.",
    )
    history.add_argument("--transaction-id", required=True, help="an audited transaction's id")

    backfill = command(
        "backfill-ledger",
        cmd_backfill_ledger,
        help="ledger items for transactions audited before the ledger existed, so they can be labelled",
        description=ledger_backfill.__doc__.split("\n\n")[0] if ledger_backfill.__doc__ else None,
    )
    backfill.add_argument("--from", dest="date_from", required=True, help="first day, YYYY-MM-DD (UTC)")
    backfill.add_argument("--to", dest="date_to", required=True, help="last day, YYYY-MM-DD (UTC), inclusive")

    replay = sub.add_parser(
        "backtest",
        parents=[common],
        help="decide a date range of the audit trail again under candidate settings; write a report",
        description=(
            "Refuses a candidate that fails settings validation before reading anything; names archived "
            "(GLACIER, DEEP_ARCHIVE) partitions with their restore commands instead of reading. docs/backtest.md."
        ),
    )
    replay.set_defaults(func=cmd_backtest, own_target=True)
    replay.add_argument("--candidate", required=True, help="candidate settings JSON (the SSM document's format)")
    replay.add_argument("--from", dest="date_from", required=True, help="first day, YYYY-MM-DD (UTC)")
    replay.add_argument("--to", dest="date_to", required=True, help="last day, YYYY-MM-DD (UTC, inclusive)")
    replay.add_argument("--labels", help="JSONL or .csv of transaction_id,label (fraud|legitimate)")
    replay.add_argument("--out", required=True, help="report directory (created)")
    replay.add_argument("--source", choices=("s3", "dir"), default="s3", help="the audit bucket (default) or --dir")
    replay.add_argument("--dir", help="with --source dir: a local copy with the bucket's audit/ layout")
    replay.add_argument("--bucket", help="with --source s3: the audit bucket (default: the target's bucket_name)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "own_target", False):  # validates its input first, then resolves a target only if needed
        return int(args.func(args))
    try:
        target = resolve_target(args)
    except TargetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return int(args.func(args, target))


if __name__ == "__main__":
    sys.exit(main())
