"""`make bench`: the performance numbers of issue 7, measured side by side in one run.

Prints one Markdown table (ratio first, absolute numbers second, machine described above it)
and writes it to ``bench/results/latest.md``. Sections:

- synth: ``python main.py`` with the lazy provider import vs ``FRAUD_STOCK_PROVIDER_IMPORT=1``,
  alternating runs, median.
- batch read amplification: items the real batch handler reads (sum of ``ScannedCount`` over
  its Query pages, seen through a botocore ``after-call.dynamodb.Query`` hook) for one window of
  k items in a table of N items, against a full-table Scan of the same data (moto, in process).
- cold start: ``-X importtime`` of the webhook handler module vs ``import boto3``; size of the
  image's added wheels for aarch64.
- webhook path cost: AWS calls per accepted event and per duplicate, S3 requests per 1,000
  stream events, and a request-price model per million events next to the reference design.

Seconds are only reported, never asserted; a section whose code is missing reports "n/a".
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib.util
import io
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from fraud_detection import contract
from tests.support.tables import pattern_table_definition
from tools.jsii_env import silence_banner

REPO = Path(__file__).resolve().parents[1]

IMAGE = REPO / "lambda_image"
RESULTS = Path(__file__).resolve().parent / "results"
EVENTS = REPO / "tests" / "runtime" / "events"
PYTHON = sys.executable
REGION = "us-east-1"
ENVIRONMENT = "bench"
TABLE = contract.resource_name(contract.TABLE_BASE, ENVIRONMENT)
BUCKET = f"{contract.resource_name('audit', ENVIRONMENT)}-123456789012-{REGION}"
ALERTS_TOPIC = contract.resource_name("alerts", ENVIRONMENT)
SETTINGS_PARAMETER = contract.settings_parameter_name(ENVIRONMENT)
SIGNING_PARAMETER, FINGERPRINT_PARAMETER = contract.secret_parameter_names(ENVIRONMENT)
SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"  # noqa: S105  (>= 32 chars, moto only)
FINGERPRINT_SECRET = "bench-fingerprint-key-0123456789abcdef"  # noqa: S105
PRICES_AS_OF = "2026-11-22"  # stated on this date from the named pages; not re-fetched (no network to AWS)


@dataclass
class Row:
    """One line of the table: ratio (with target) first, absolute numbers second."""

    metric: str
    ratio: str
    target: str
    absolute: str
    note: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # sections printed below the main table


# --------------------------------------------------------------------------------------------
# machine


def machine() -> str:
    """Cores, CPU model, Python and Node: timings mean nothing without them."""
    model = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        node = "n/a"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores, {model}; Python {platform.python_version()}; Node {node}; "
        f"{platform.system()} {platform.machine()}; load average at start {load}"
    )


# --------------------------------------------------------------------------------------------
# synth


def _synth_once(stock: bool, workdir: Path) -> tuple[float, int]:
    outdir = Path(tempfile.mkdtemp(dir=workdir))
    env = {k: v for k, v in os.environ.items() if k != "FRAUD_STOCK_PROVIDER_IMPORT"}
    env |= {"CDKTF_OUTDIR": str(outdir), "FRAUD_IMAGE_TAG": "bench"}
    silence_banner(env)
    if stock:
        env["FRAUD_STOCK_PROVIDER_IMPORT"] = "1"
    modules = outdir / "modules.json"
    started = time.perf_counter()
    subprocess.run(
        [PYTHON, str(REPO / "tests" / "perf" / "run_app.py"), str(REPO / "main.py"), str(modules)],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - started
    return elapsed, len(json.loads(modules.read_text()))


def bench_synth(report: Report, runs: int, budget_s: float) -> None:
    if not (REPO / "main.py").exists():
        report.rows.append(Row("synth, all stacks (lazy / stock)", "n/a", "~0.3x", "main.py missing"))
        return
    fast: list[float] = []
    stock: list[float] = []
    fast_modules = stock_modules = 0
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        for _ in range(runs):  # alternate, so drift in machine load hits both sides alike
            seconds, fast_modules = _synth_once(False, Path(tmp))
            fast.append(seconds)
            seconds, stock_modules = _synth_once(True, Path(tmp))
            stock.append(seconds)
            spent = time.perf_counter() - started
            if len(fast) < runs and spent / len(fast) * (len(fast) + 1) > budget_s:
                report.notes.append(
                    f"synth: stopped after {len(fast)} of {runs} pairs to stay within {budget_s:.0f} s "
                    f"(a pair took {spent / len(fast):.0f} s on this machine right now)."
                )
                break
    f, s = statistics.median(fast), statistics.median(stock)
    engaged = fast_modules < 200
    report.rows.append(
        Row(
            "synth, all stacks: `python main.py` lazy / stock provider import",
            f"{f / s:.2f}x",
            "~0.3x",
            f"median of {len(fast)}: {f:.1f} s vs {s:.1f} s; provider submodules imported {fast_modules} vs "
            f"{stock_modules}",
            "" if engaged else "LAZY PATH NOT ENGAGED: the provider was imported before main.py installed the loader",
        )
    )


# --------------------------------------------------------------------------------------------
# moto helpers


def _aws_env(**extra: str) -> dict[str, str]:
    return {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        contract.ENV_ENVIRONMENT: ENVIRONMENT,
        "POWERTOOLS_TRACE_DISABLED": "true",
        contract.ENV_METRICS_NAMESPACE: contract.METRICS_NAMESPACE,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


@contextlib.contextmanager
def patched_env(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class FakeContext:
    """The attributes Powertools reads from a Lambda context."""

    function_name = "fraud-bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:fraud-bench"
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/fraud-bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def create_pattern_table(client: Any, *, stream: bool = True) -> None:
    """The table per the contract (``tests.support.tables``): pk, its GSIs and projections, NEW_IMAGE stream."""
    client.create_table(**pattern_table_definition(TABLE, stream=stream))


def item_template() -> dict[str, Any]:
    """A realistic pattern item: the NewImage of the captured stream event, deserialized."""
    from boto3.dynamodb.types import TypeDeserializer

    record = json.loads((EVENTS / "dynamodb_stream_patterns.json").read_text())["Records"][0]
    image = record["dynamodb"]["NewImage"]
    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in image.items()}


def pattern_item(template: dict[str, Any], txn: str, moment: datetime, shards: int) -> dict[str, Any]:
    from fraud_detection import keys

    item = dict(template)
    start = keys.window_start(moment)
    item.update(
        pk=keys.pattern_pk(txn),
        transaction_id=txn,
        window_key=keys.window_key(start, keys.shard_for(txn, shards)),
        event_ts=Decimal(int(moment.timestamp() * 1000)),
        received_at=moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        window_start=start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        customer_key=f"{contract.CUSTOMER_KEY_PREFIX}c{hash(txn) % 5000}",
    )
    return item


# --------------------------------------------------------------------------------------------
# batch read amplification


def _image_module_exists(name: str) -> bool:
    """Whether the image package has ``name``, without importing it (its env is read at import)."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def bench_read_amplification(report: Report, sizes: list[int], k: int, budget_s: float, scan_max: int) -> None:
    if not _image_module_exists("fraud_detection.handlers.batch"):
        report.rows.append(Row("batch read amplification", "n/a", "<= 1.05", "batch handler missing"))
        return
    import boto3
    from moto import mock_aws

    shards = 8
    env = _aws_env(
        **{
            contract.ENV_TABLE_NAME: TABLE,
            contract.ENV_WINDOW_SHARDS: str(shards),
            contract.ENV_BUCKET_NAME: BUCKET,
            contract.ENV_TOPIC_ARN: f"arn:aws:sns:{REGION}:123456789012:{ALERTS_TOPIC}",
            contract.ENV_SETTINGS_PARAMETER: SETTINGS_PARAMETER,
            contract.ENV_SERVICE_NAME: contract.BATCH.service,
        },
        AWS_LAMBDA_FUNCTION_NAME=contract.BATCH.function_name("bench"),
    )
    target = datetime(2026, 11, 21, 10, 5, tzinfo=UTC)
    template = item_template()
    rng = random.Random(7)
    started = time.perf_counter()
    rate = None  # seconds per item (load + read), measured on the previous size
    results: list[str] = []
    worst = 0.0
    with patched_env(env), mock_aws():
        boto3.setup_default_session()
        from fraud_detection.handlers import batch as batch_handler

        boto3.client("s3").create_bucket(Bucket=BUCKET)
        boto3.client("sns").create_topic(Name=ALERTS_TOPIC)
        boto3.client("ssm").put_parameter(Name=SETTINGS_PARAMETER, Type="SecureString", Value="{}")
        for n in sizes:
            spent = time.perf_counter() - started
            if rate is not None and rate * n * 1.5 > budget_s - spent:
                report.notes.append(
                    f"read amplification: N={n:,} not run (moto loads and reads ~{1 / rate:,.0f} items/s; "
                    f"projected {rate * n:.0f} s exceeds the remaining budget of {budget_s - spent:.0f} s)."
                )
                continue
            dynamodb = boto3.client("dynamodb")
            with contextlib.suppress(dynamodb.exceptions.ResourceNotFoundException):
                dynamodb.delete_table(TableName=TABLE)
            create_pattern_table(dynamodb)
            table = boto3.resource("dynamodb").Table(TABLE)
            load_started = time.perf_counter()
            with table.batch_writer() as writer:
                for i in range(n - k):  # background: 7 days around the target, never inside it
                    moment = target - timedelta(days=3) + timedelta(seconds=rng.randrange(7 * 86400))
                    if target <= moment < target + timedelta(minutes=5):
                        moment += timedelta(minutes=5)
                    writer.put_item(Item=pattern_item(template, f"bg-{n}-{i}", moment, shards))
                for i in range(k):
                    moment = target + timedelta(milliseconds=rng.randrange(300_000))
                    writer.put_item(Item=pattern_item(template, f"win-{n}-{i}", moment, shards))

            scanned: list[int] = []
            pages: list[int] = []

            def count(parsed: dict[str, Any], scanned: list[int] = scanned, **_: Any) -> None:
                scanned.append(int(parsed.get("ScannedCount", 0)))

            events = boto3.DEFAULT_SESSION._session.get_component("event_emitter")  # type: ignore[union-attr]
            events.register("after-call.dynamodb.Query", count)
            batch_handler.dependencies.cache_clear()
            with contextlib.redirect_stdout(io.StringIO()):
                result = batch_handler.handler(
                    {"job": "window", "window_start": target.strftime("%Y-%m-%dT%H:%M:%SZ")}, FakeContext()
                )
            events.unregister("after-call.dynamodb.Query", count)
            pages.append(len(scanned))
            read = sum(scanned)
            rate = (time.perf_counter() - load_started) / n  # load + handler; the baseline is extra
            if n <= scan_max:
                scan_read = sum(
                    int(page["ScannedCount"]) for page in dynamodb.get_paginator("scan").paginate(TableName=TABLE)
                )
                scan_how = "Scan"
            else:  # a Scan reads every item; moto needs ~6 ms per scanned item, so count instead
                scan_read = int(dynamodb.describe_table(TableName=TABLE)["Table"]["ItemCount"])
                scan_how = "Scan (= item count)"
            found = int(result.get("transactions", -1))
            worst = max(worst, read / k)
            results.append(
                f"N={n:,}: handler read {read} items in {pages[0]} Query pages "
                f"({found} in window) vs {scan_how} {scan_read:,}"
            )
    if not results:
        report.rows.append(Row("batch read amplification", "n/a", "<= 1.05", "no size fit the time budget"))
        return
    report.rows.append(
        Row(
            f"batch read amplification: items read / k (k={k}, real batch handler, moto)",
            f"{worst:.2f}",
            "<= 1.05",
            "; ".join(results),
            f"worst over the N run; a full-table Scan reads N (run for real up to N={scan_max:,})",
        )
    )


# --------------------------------------------------------------------------------------------
# cold start


def _lambda_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"_X_AMZN_TRACE_ID", "PYTHONPATH"}}
    env |= {
        "AWS_LAMBDA_FUNCTION_NAME": contract.WEBHOOK.function_name(ENVIRONMENT),
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        # Powertools decides "in Lambda" (tracing on, X-Ray SDK loaded) from LAMBDA_TASK_ROOT.
        "LAMBDA_TASK_ROOT": str(IMAGE),
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        contract.ENV_ENVIRONMENT: ENVIRONMENT,
        contract.ENV_TABLE_NAME: TABLE,
        contract.ENV_WINDOW_SHARDS: str(contract.DEFAULT_WINDOW_SHARDS),
        contract.ENV_SETTINGS_PARAMETER: SETTINGS_PARAMETER,
        contract.ENV_SIGNING_KEYS_PARAMETER: SIGNING_PARAMETER,
        contract.ENV_FINGERPRINT_KEY_PARAMETER: FINGERPRINT_PARAMETER,
        contract.ENV_SERVICE_NAME: contract.WEBHOOK.service,
        contract.ENV_METRICS_NAMESPACE: contract.METRICS_NAMESPACE,
        contract.ENV_LOG_LEVEL: contract.DEFAULT_LOG_LEVEL,
    }
    return env


_IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def _import_us(statement: str, env: dict[str, str], startup: set[str]) -> int:
    """Cumulative microseconds of the top-level imports ``statement`` triggered (startup excluded)."""
    proc = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", statement], env=env, capture_output=True, text=True, check=True
    )
    total = 0
    for line in proc.stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match and match.group(3) == " " and match.group(4) not in startup:
            total += int(match.group(2))
    return total


def _direct_imports(module: str, env: dict[str, str], top: int = 5) -> list[tuple[str, int]]:
    """The modules ``module`` imports directly, by cumulative microseconds (where the time goes)."""
    proc = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", f"import {module}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    children: list[tuple[str, int]] = []
    pending: list[tuple[str, int]] = []  # importtime prints children before their parent
    for line in proc.stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if not match:
            continue
        depth, name, cumulative = len(match.group(3)), match.group(4), int(match.group(2))
        if depth == 3:
            pending.append((name, cumulative))
        elif depth == 1:
            if name == module:
                children = pending
            pending = []
    return sorted(children, key=lambda item: -item[1])[:top]


# What the webhook needs on every request, imported without any of our code: the floor our
# modules sit on. boto3, the Powertools logger/metrics/tracer (X-Ray SDK when tracing is on) and
# REST resolver, pydantic (the settings model gates every request, even a 401).
REQUIRED_LIBRARIES = (
    "import boto3, boto3.dynamodb.types, aws_xray_sdk.core, aws_lambda_powertools.event_handler; "
    "from pydantic import BaseModel, ConfigDict, Field, ValidationError; "
    "from aws_lambda_powertools import Logger, Metrics, Tracer"
)


def bench_cold_start(report: Report, runs: int) -> None:
    env = _lambda_env()
    if not (IMAGE / "fraud_detection" / "handlers" / "webhook.py").exists():
        report.rows.append(Row("cold start: webhook import / boto3 import", "n/a", "<= 1.5x", "handler missing"))
    else:
        startup_proc = subprocess.run(
            [PYTHON, "-X", "importtime", "-c", "pass"], env=env, capture_output=True, text=True, check=True
        )
        startup = {m.group(4) for m in map(_IMPORTTIME.match, startup_proc.stderr.splitlines()) if m}
        handler_us: list[int] = []
        boto_us: list[int] = []
        libraries_us: list[int] = []
        for _ in range(runs):  # alternate fresh processes
            handler_us.append(_import_us("import fraud_detection.handlers.webhook", env, startup))
            boto_us.append(_import_us("import boto3", env, startup))
            libraries_us.append(_import_us(REQUIRED_LIBRARIES, env, startup))
        h, b, lib = (statistics.median(us) / 1000 for us in (handler_us, boto_us, libraries_us))
        heaviest = ", ".join(
            f"{name} {us / 1000:.0f} ms" for name, us in _direct_imports("fraud_detection.handlers.webhook", env)
        )
        report.notes.append(f"cold start: heaviest direct imports of the webhook module (one run): {heaviest}.")
        report.rows.append(
            Row(
                "cold start: `import fraud_detection.handlers.webhook` / `import boto3`",
                f"{h / b:.2f}x",
                "<= 1.5x",
                f"median of {runs} fresh processes: {h:.0f} ms vs {b:.0f} ms",
                "-X importtime, Lambda env vars set, _X_AMZN_TRACE_ID unset",
            )
        )
        report.rows.append(
            Row(
                "cold start: the webhook's required libraries alone / `import boto3`",
                f"{lib / b:.2f}x",
                "-",
                f"median of {runs}: {lib:.0f} ms vs {b:.0f} ms",
                "boto3, pydantic, X-Ray SDK, Powertools logger/metrics/tracer/event_handler; none of our code",
            )
        )
        report.rows.append(
            Row(
                "cold start: webhook import / its required libraries alone",
                f"{h / lib:.2f}x",
                "-",
                f"our modules and the settings model add {h - lib:.0f} ms",
                "what this project's own code costs at init",
            )
        )
    report.rows.append(wheel_sizes())


def wheel_sizes() -> Row:
    """Unpacked size of the image's added wheels (aarch64, CPython 3.11), from requirements.txt."""
    requirements = IMAGE / "requirements.txt"
    label = "image: added dependencies, aarch64 wheels unpacked"
    if not requirements.exists():
        return Row(label, "-", "-", "n/a (no lambda_image/requirements.txt)")
    cache = REPO / ".bench" / "wheels"  # git-ignored download cache
    cache.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [PYTHON, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--platform", "manylinux2014_aarch64", "--python-version", "3.11", "--implementation", "cp",
         "-r", str(requirements), "-d", str(cache)],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        return Row(label, "-", "-", "n/a (pip download failed: " + proc.stderr.strip().splitlines()[-1] + ")")
    wanted = {
        re.sub(r"[-_.]+", "_", line.split("==")[0].strip().lower())
        for line in requirements.read_text().splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    }
    sizes: dict[str, int] = {}
    for wheel in sorted(cache.glob("*.whl")):
        name = re.sub(r"[-_.]+", "_", wheel.name.split("-")[0].lower())
        if name in wanted:
            with zipfile.ZipFile(wheel) as archive:
                sizes[name] = sum(info.file_size for info in archive.infolist())
    total = sum(sizes.values())
    biggest = ", ".join(f"{n} {s / 1e6:.1f} MB" for n, s in sorted(sizes.items(), key=lambda x: -x[1])[:4])
    return Row(label, "-", "-", f"{total / 1e6:.1f} MB over {len(sizes)} wheels ({biggest})")


# --------------------------------------------------------------------------------------------
# webhook path cost


class CallCounter:
    """Counts botocore API calls (``before-call``) by ``service.Operation``."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        self.calls[f"{service}.{operation}"] += 1

    def take(self) -> Counter[str]:
        taken, self.calls = self.calls, Counter()
        return taken


def _webhook_event(body: bytes, request_id: str) -> dict[str, Any]:
    from fraud_detection import signing

    event = json.loads((EVENTS / "webhook_post.json").read_text())
    signature = signing.sign(SIGNING_SECRET, body, int(time.time()))
    event["headers"]["X-Fraud-Signature"] = signature
    event.setdefault("multiValueHeaders", {})["X-Fraud-Signature"] = [signature]
    event["body"] = body.decode("utf-8")
    event["isBase64Encoded"] = False
    event["requestContext"]["requestId"] = request_id
    return event


def _stream_events(template: dict[str, Any], total: int, batch_size: int) -> list[dict[str, Any]]:
    records = []
    for i in range(total):
        record = copy.deepcopy(template)
        image = record["dynamodb"]["NewImage"]
        txn = f"txn-stream-{i:06d}"
        image[contract.PARTITION_KEY] = {"S": f"{contract.TRANSACTION_KEY_PREFIX}{txn}"}
        image["transaction_id"] = {"S": txn}
        image["action"] = {"S": "approve"}
        image["risk_score"] = {"N": "10"}
        record["dynamodb"]["Keys"] = {contract.PARTITION_KEY: image[contract.PARTITION_KEY]}
        record["dynamodb"]["SequenceNumber"] = str(4421584500000000017450439091 + i)
        record["eventName"] = "INSERT"
        records.append(record)
    return [{"Records": records[i : i + batch_size]} for i in range(0, total, batch_size)]


def bench_webhook_cost(report: Report, stream_batch_size: int) -> dict[str, float] | None:
    if not all(_image_module_exists(f"fraud_detection.handlers.{m}") for m in ("webhook", "stream")):
        report.rows.append(Row("webhook path: AWS calls per event", "n/a", "-", "handler missing"))
        return None
    import boto3
    from moto import mock_aws

    env = _aws_env(
        **{
            contract.ENV_TABLE_NAME: TABLE,
            contract.ENV_WINDOW_SHARDS: str(contract.DEFAULT_WINDOW_SHARDS),
            contract.ENV_BUCKET_NAME: BUCKET,
            contract.ENV_TOPIC_ARN: f"arn:aws:sns:{REGION}:123456789012:{ALERTS_TOPIC}",
            contract.ENV_SETTINGS_PARAMETER: SETTINGS_PARAMETER,
            contract.ENV_SIGNING_KEYS_PARAMETER: SIGNING_PARAMETER,
            contract.ENV_FINGERPRINT_KEY_PARAMETER: FINGERPRINT_PARAMETER,
            contract.ENV_SERVICE_NAME: contract.WEBHOOK.service,
        },
        AWS_LAMBDA_FUNCTION_NAME=contract.WEBHOOK.function_name("bench"),
    )
    counter = CallCounter()
    with patched_env(env), mock_aws():
        boto3.setup_default_session()
        from fraud_detection.handlers import stream as stream_handler
        from fraud_detection.handlers import webhook as webhook_handler

        create_pattern_table(boto3.client("dynamodb"))
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        boto3.client("sns").create_topic(Name=ALERTS_TOPIC)
        ssm = boto3.client("ssm")
        ssm.put_parameter(Name=SETTINGS_PARAMETER, Type="SecureString", Value="{}")
        ssm.put_parameter(
            Name=SIGNING_PARAMETER, Type="SecureString", Value=json.dumps({"keys": {"k1": SIGNING_SECRET}})
        )
        ssm.put_parameter(Name=FINGERPRINT_PARAMETER, Type="SecureString", Value=FINGERPRINT_SECRET)
        events = boto3.DEFAULT_SESSION._session.get_component("event_emitter")  # type: ignore[union-attr]
        events.register("before-call", counter)
        webhook_handler.dependencies.cache_clear()
        stream_handler.dependencies.cache_clear()

        def deliver(txn: str, request_id: str) -> tuple[int, Counter[str]]:
            body = json.dumps(
                {
                    "transaction_id": txn,
                    "amount": "42.50",
                    "currency": "USD",
                    "merchant": "Bench Coffee",
                    "country": "US",
                    "customer_id": "cust-bench",
                    "card_number": "4111 1111 1111 1111",
                }
            ).encode("utf-8")
            with contextlib.redirect_stdout(io.StringIO()):
                response = webhook_handler.handler(_webhook_event(body, request_id), FakeContext())
            return int(response["statusCode"]), counter.take()

        counter.take()
        cold_status, cold = deliver("txn-bench-0001", "req-1")
        warm_status, warm = deliver("txn-bench-0002", "req-2")
        dup_status, dup = deliver("txn-bench-0002", "req-3")

        template = json.loads((EVENTS / "dynamodb_stream_patterns.json").read_text())["Records"][0]
        with contextlib.redirect_stdout(io.StringIO()):
            for event in _stream_events(template, 1000, stream_batch_size):
                stream_handler.handler(event, FakeContext())
        stream_calls = counter.take()
        events.unregister("before-call", counter)

    def fmt(calls: Counter[str]) -> str:
        return ", ".join(f"{n}x {op}" for op, n in sorted(calls.items())) or "none"

    s3_per_1000 = sum(n for op, n in stream_calls.items() if op.startswith("s3."))
    report.rows.append(
        Row(
            "webhook: AWS calls per accepted event (warm) / per duplicate",
            f"{sum(warm.values())} / {sum(dup.values())}",
            "-",
            f"accepted (HTTP {warm_status}): {fmt(warm)}; duplicate (HTTP {dup_status}): {fmt(dup)}; "
            f"first event of a cold start (HTTP {cold_status}): {fmt(cold)}",
            "reference design: 2 synchronous writes per event (DynamoDB + S3)",
        )
    )
    report.rows.append(
        Row(
            "stream consumer: S3 requests per 1,000 events / reference design",
            f"{s3_per_1000 / 1000:.3f}",
            "-",
            f"{fmt(stream_calls)} for 1,000 INSERT records in batches of {stream_batch_size}",
            "reference: 1 S3 object per event = 1,000 PUTs",
        )
    )
    return {
        "webhook_dynamodb_writes": warm.get("dynamodb.PutItem", 0),
        "webhook_dynamodb_queries": warm.get("dynamodb.Query", 0),
        "duplicate_calls": sum(dup.values()),
        "s3_puts_per_event": s3_per_1000 / 1000,
    }


# Request prices, us-east-1, list prices as of PRICES_AS_OF (USD). Sources, by page name:
# "Amazon DynamoDB pricing - On-Demand" (write request unit, read request unit),
# "Amazon S3 pricing - Requests & data retrievals" (S3 Standard PUT/COPY/POST/LIST),
# "Amazon SNS pricing" (standard topic API requests), "AWS Lambda pricing" (requests; duration
# for Arm), "Amazon API Gateway pricing" (REST APIs, first 333 million requests).
PRICE = {
    "dynamodb_wru": 0.625 / 1e6,
    "dynamodb_rru": 0.125 / 1e6,
    "s3_put": 0.005 / 1000,
    "sns_publish": 0.50 / 1e6,
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_s_arm": 0.0000133334,
    "apigw_rest": 3.50 / 1e6,
}
# Assumptions of the model (stated in the output): GSI writes cost one WRU each per item
# (< 1 KB); a velocity COUNT query and the batch's Query read < 4 KB (0.5 RRU, eventually
# consistent); webhook 512 MB x 60 ms, stream consumer 512 MB x 200 ms per batch.
GSI_COUNT = 3
WEBHOOK_SECONDS = 0.060
STREAM_SECONDS = 0.200
MEMORY_GB = 0.5


def cost_model(report: Report, measured: dict[str, float] | None, stream_batch_size: int) -> None:
    writes = measured["webhook_dynamodb_writes"] if measured else 1
    queries = measured["webhook_dynamodb_queries"] if measured else 2
    s3_puts = measured["s3_puts_per_event"] if measured else 1 / stream_batch_size
    million = 1e6
    ours = {
        "API Gateway REST": PRICE["apigw_rest"] * million,
        "Lambda webhook (requests + GB-s)": (
            PRICE["lambda_request"] + PRICE["lambda_gb_s_arm"] * MEMORY_GB * WEBHOOK_SECONDS
        )
        * million,
        "DynamoDB writes (item + GSIs)": PRICE["dynamodb_wru"] * writes * (1 + GSI_COUNT) * million,
        "DynamoDB velocity queries": PRICE["dynamodb_rru"] * 0.5 * queries * million,
        "DynamoDB batch window reads": PRICE["dynamodb_rru"] * 0.5 * million / 4,
        "S3 PUT (audit)": PRICE["s3_put"] * s3_puts * million,
        "Lambda stream consumer": (PRICE["lambda_request"] + PRICE["lambda_gb_s_arm"] * MEMORY_GB * STREAM_SECONDS)
        * million
        / stream_batch_size,
    }
    reference = {
        "API Gateway REST": ours["API Gateway REST"],
        "Lambda webhook (requests + GB-s)": ours["Lambda webhook (requests + GB-s)"],
        "DynamoDB writes (item + GSIs)": PRICE["dynamodb_wru"] * million,
        "DynamoDB velocity queries": 0.0,
        "DynamoDB batch window reads": 0.0,
        "S3 PUT (audit)": PRICE["s3_put"] * million,
        "Lambda stream consumer": 0.0,
    }
    lines = [
        f"### Cost per million accepted events (request list prices, us-east-1, stated {PRICES_AS_OF})",
        "",
        "| component | this design (USD) | reference: DynamoDB + S3 object per event (USD) |",
        "| --- | ---: | ---: |",
    ]
    for name in ours:
        lines.append(f"| {name} | {ours[name]:.2f} | {reference[name]:.2f} |")
    lines.append(f"| **total** | **{sum(ours.values()):.2f}** | **{sum(reference.values()):.2f}** |")
    lines += [
        "",
        "Prices: Amazon DynamoDB pricing (on-demand: $0.625 per million write request units, $0.125 "
        "per million read request units); Amazon S3 pricing (S3 Standard PUT $0.005 per 1,000); Amazon "
        "SNS pricing ($0.50 per million publishes, only block decisions and window alerts publish); AWS "
        "Lambda pricing ($0.20 per million requests, $0.0000133334 per GB-s on Arm); Amazon API Gateway "
        "pricing (REST API $3.50 per million, first 333 million). Assumptions: items < 1 KB (1 WRU, plus "
        f"one per GSI: {GSI_COUNT}); reads < 4 KB eventually consistent (0.5 RRU); webhook 512 MB x "
        f"{WEBHOOK_SECONDS * 1000:.0f} ms; stream 512 MB x {STREAM_SECONDS * 1000:.0f} ms per batch of "
        f"{stream_batch_size}. Excluded for both: storage, data transfer, CloudWatch Logs ingestion, "
        "X-Ray traces, KMS requests (SSM parameters are cached 300 s per container). The reference design "
        "here has no GSIs, no velocity reads and no batch; it is the request cost of the naive write path, "
        "not a like-for-like feature comparison. Prices were not re-fetched when this ran: check the "
        "pages before quoting.",
    ]
    report.extra.append("\n".join(lines))
    ours_storage = ours["S3 PUT (audit)"] + ours["Lambda stream consumer"]
    report.rows.append(
        Row(
            "cost per million events: S3 audit path (ours / reference)",
            f"{ours_storage / reference['S3 PUT (audit)']:.3f}x",
            "-",
            f"${ours_storage:.2f} vs ${reference['S3 PUT (audit)']:.2f}; all request costs "
            f"${sum(ours.values()):.2f} vs ${sum(reference.values()):.2f} (table below)",
        )
    )


# --------------------------------------------------------------------------------------------
# output


def render(report: Report, header: str, elapsed: float) -> str:
    lines = [
        "# Benchmarks (`make bench`)",
        "",
        f"Run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} in {elapsed:.0f} s. Machine: {header}.",
        "Timings are noisy on a shared 2-core box: each pair is measured side by side, alternating.",
        "",
        "| metric | ratio | target | absolute | note |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    for row in report.rows:
        cells = [row.metric, row.ratio, row.target, row.absolute, row.note]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    if report.notes:
        lines += ["", *[f"- {note}" for note in report.notes]]
    for section in report.extra:
        lines += ["", section]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synth-runs", type=int, default=3)
    parser.add_argument("--synth-budget", type=float, default=150.0, help="seconds for the synth pairs")
    parser.add_argument("--import-runs", type=int, default=7)
    parser.add_argument("--sizes", default="1000,10000,100000", help="table sizes N for read amplification")
    parser.add_argument("--window-items", type=int, default=100, help="k: items in the target window")
    parser.add_argument("--read-budget", type=float, default=380.0, help="seconds for the moto section")
    parser.add_argument("--scan-max", type=int, default=1000, help="largest N with a real baseline Scan")
    parser.add_argument("--skip", default="", help="comma list of sections to skip: synth,read,cold,cost")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.md")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    started = time.perf_counter()
    header = machine()
    report = Report()
    stream_batch_size = 100  # stacks/config.py default ``stream_batch_size``
    sections: list[tuple[str, Callable[[], Any]]] = [
        ("synth", lambda: bench_synth(report, args.synth_runs, args.synth_budget)),
        (
            "read",
            lambda: bench_read_amplification(
                report,
                [int(n) for n in args.sizes.split(",")],
                args.window_items,
                args.read_budget,
                args.scan_max,
            ),
        ),
        ("cold", lambda: bench_cold_start(report, args.import_runs)),
        (
            "cost",
            lambda: cost_model(report, bench_webhook_cost(report, stream_batch_size), stream_batch_size),
        ),
    ]
    for name, run in sections:
        if name in skip:
            continue
        section_started = time.perf_counter()
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                run()
        except Exception as error:  # a broken section must not hide the others
            report.rows.append(Row(name, "n/a", "-", f"failed: {type(error).__name__}: {error}"[:300]))
        print(f"[bench] {name} done in {time.perf_counter() - section_started:.0f} s", file=sys.stderr)
    text = render(report, header, time.perf_counter() - started)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
