"""`make bench`: the performance numbers of issues 7 and 14, measured side by side in one run.

Prints one Markdown table (ratio first, absolute numbers second, machine described above it)
and writes it to ``bench/results/latest.md``. Sections:

- synth: ``python main.py`` with the lazy provider import vs ``FRAUD_STOCK_PROVIDER_IMPORT=1``,
  alternating runs, median.
- batch read amplification: items the real batch handler reads (sum of ``ScannedCount`` over
  its Query pages, seen through a botocore ``after-call.dynamodb.Query`` hook) for one window of
  k items in a table of N items, against a full-table Scan of the same data (moto, in process).
- floor: the marginal import cost of each library the webhook uses (or dropped) after ``import boto3``,
  and the required libraries together, each in fresh processes with the Lambda environment.
- cold start: fresh processes with the webhook's Lambda environment (tracing on, ``_X_AMZN_TRACE_ID``
  set) import the handler and serve their first request against a moto server in another process
  (``bench/first_request.py``); ratios to ``import boto3`` are medians of alternating pairs: import
  alone, import + first accepted request, import + first rejected request, and the same AWS calls
  with plain boto3 (the floor). Host-architecture measurements: the arm64 image cannot run here.
- cpu: ``intake.process`` over 10,000 events in-process (``bench/request_cpu.py``), µs per event.
- write: write units per accepted event from real item and index-entry sizes (``bench/write_cost.py``),
  with the projections of ``fraud_detection.contract.INDEXES`` now and as committed, for today's item
  and a grown one.
- wheels: size of the image's added wheels for aarch64.
- cost: AWS calls per accepted event and per duplicate, S3 requests per 1,000 stream events, and a
  request-price model per million events next to the reference design.
- backtest: ``fraud_ops.backtest`` over a generated local copy of the audit trail (gzip JSONL, realistic
  lines and mix, ``bench_backtest``): lines/s and MB/s (target >= 50,000 lines/s).

Every row shows the figure of the last committed ``bench/results/latest.md`` beside it ("previous",
``bench/previous.py``). Seconds are only reported, never asserted; a section whose code is missing
reports "n/a".
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
import tarfile
import tempfile
import time
import types
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench import previous as previous_table
from bench import write_cost
from fraud_detection import contract
from local_stage.table_definition import pattern_table_definition
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
    """One line of the table: the figure (a ratio where there is one, with its target) first, absolute numbers
    second. ``previous`` is filled from the last committed table (``bench.previous``) unless a section sets it."""

    metric: str
    ratio: str
    target: str
    absolute: str
    note: str = ""
    previous: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # sections printed below the main table
    floor_ms: tuple[float, float] | None = None  # import boto3, required libraries (bench_import_floor)
    write_units: int | None = None  # per accepted event, today's item and projection (bench_write_cost)


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


_PROVIDER_SUBMODULE = re.compile(r"^import time:.*\|\s*(cdktf_cdktf_provider_aws\.\w+)$", re.MULTILINE)


def _synth_once(stock: bool, workdir: Path) -> tuple[float, int]:
    outdir = Path(tempfile.mkdtemp(dir=workdir))
    env = {k: v for k, v in os.environ.items() if k != "FRAUD_STOCK_PROVIDER_IMPORT"}
    env |= {"CDKTF_OUTDIR": str(outdir), "FRAUD_IMAGE_TAG": "bench"}
    silence_banner(env)
    if stock:
        env["FRAUD_STOCK_PROVIDER_IMPORT"] = "1"
    started = time.perf_counter()
    # ``-X importtime`` lists every module the app imported (as the synth-equivalence test reads them)
    proc = subprocess.run(
        [PYTHON, "-X", "importtime", str(REPO / "main.py")],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    return elapsed, len(set(_PROVIDER_SUBMODULE.findall(proc.stderr)))


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
    """The table per the contract (``local_stage.table_definition``): pk, its GSIs and projections, NEW_IMAGE stream."""
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
# cold start: host-architecture measurements (the image's arm64 build cannot run here)

# A sampled trace header, as Lambda sets it for an invocation with active tracing.
TRACE_HEADER = "Root=1-6744e0a1-5f8e2c9d4b1a7e6f3c2d1b0a;Parent=53995c3f42cd8ad8;Sampled=1"
FIRST_REQUEST = Path(__file__).resolve().parent / "first_request.py"


def _lambda_env(endpoint: str | None = None) -> dict[str, str]:
    """The webhook's environment in Lambda (docs/contract.md): tracing on, a trace header, Lambda's
    credentials variables; ``endpoint`` sends every AWS call to a moto server."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "POWERTOOLS_", "_X_AMZN", "LAMBDA_")) and name != "PYTHONPATH"
    }
    env |= {
        "AWS_LAMBDA_FUNCTION_NAME": contract.WEBHOOK.function_name(ENVIRONMENT),
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        # Powertools decides "in Lambda" (tracing on, X-Ray SDK loaded) from LAMBDA_TASK_ROOT.
        "LAMBDA_TASK_ROOT": str(IMAGE),
        "_X_AMZN_TRACE_ID": TRACE_HEADER,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
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
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


_IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


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


# What the webhook needs on every request, without any of our code: the floor our modules sit on.
# boto3; the Powertools logger, metrics and tracer (tracing on: the X-Ray SDK, botocore patched);
# Powertools Parameters (SSMProvider); msgspec (the settings gate every request, even a 401).
REQUIRED_LIBRARIES = (
    "import boto3, msgspec\n"
    "from aws_lambda_powertools import Logger, Metrics, Tracer\n"
    "from aws_lambda_powertools.utilities.parameters.ssm import SSMProvider\n"
    "Logger(service='s'); Metrics(namespace='n', service='s'); Tracer(service='s', patch_modules=('botocore',))"
)
REQUIRED_LIBRARIES_LABEL = (
    "boto3, msgspec, Powertools logger/metrics/tracer (X-Ray SDK, botocore patched) and Parameters; none of our code"
)

# The marginal import cost of each library after ``import boto3`` (each in its own fresh process).
MARGINAL_LIBRARIES: tuple[tuple[str, str, str], ...] = (
    ("Powertools package (Logger, Metrics, Tracer classes)", "import aws_lambda_powertools", "kept"),
    (
        "Powertools Logger() + Metrics()",
        "from aws_lambda_powertools import Logger, Metrics; Logger(service='s'); Metrics(namespace='n', service='s')",
        "kept: structured logs, EMF metrics",
    ),
    ("X-Ray SDK import (`aws_xray_sdk.core`)", "import aws_xray_sdk.core", "kept, in the next row"),
    (
        "Powertools Tracer(), tracing on: X-Ray SDK + botocore patched",
        "from aws_lambda_powertools import Tracer; Tracer(service='s', patch_modules=('botocore',))",
        "kept at init: traces every AWS call",
    ),
    (
        "Powertools REST resolver (`APIGatewayRestResolver()`)",
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver; APIGatewayRestResolver()",
        "dropped: `lambda_platform.RestResolver`",
    ),
    (
        "Powertools event data classes (`APIGatewayProxyEvent`)",
        "from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent",
        "not used: `lambda_platform.RestEvent`",
    ),
    (
        "Powertools Parameters (`SSMProvider`)",
        "from aws_lambda_powertools.utilities.parameters.ssm import SSMProvider",
        "kept: parameter cache",
    ),
    ("msgspec", "import msgspec", "kept: settings and request validation"),
    ("pydantic (`BaseModel`)", "from pydantic import BaseModel", "dropped: replaced by msgspec"),
    (
        "our handler platform (`fraud_detection.lambda_platform`)",
        "import aws_lambda_powertools; _m = time.perf_counter(); import fraud_detection.lambda_platform",
        "our platform layer: RestResolver, observability (after the Powertools package it imports)",
    ),
)

_AFTER_BOTO3 = (
    "import time\n"
    "t0 = time.perf_counter()\n"
    "import boto3\n"
    "t1 = time.perf_counter()\n"
    "_m = None\n"
    "{statement}\n"
    "t2 = time.perf_counter()\n"
    "print(t1 - t0, t2 - (_m or t1))\n"
)


def _after_boto3(statement: str, env: dict[str, str]) -> tuple[float, float] | None:
    """Seconds of ``import boto3`` and of ``statement`` after it, in one fresh process (``None``: it failed)."""
    proc = subprocess.run(
        [PYTHON, "-c", _AFTER_BOTO3.format(statement=statement)], env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        return None
    boto, marginal = proc.stdout.split()[-2:]
    return float(boto), float(marginal)


def bench_import_floor(report: Report, runs: int) -> None:
    """Marginal import cost of each library after boto3, and the floor the webhook's import sits on."""
    env = _lambda_env()
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label, _, _ in MARGINAL_LIBRARIES}
    floor: list[tuple[float, float]] = []
    for _ in range(runs):  # one round measures every library once, so load drift hits all alike
        for label, statement, _ in MARGINAL_LIBRARIES:
            measured = _after_boto3(statement, env)
            if measured is not None:
                samples[label].append(measured)
        measured = _after_boto3(REQUIRED_LIBRARIES.replace("import boto3, ", "import "), env)
        if measured is not None:
            floor.append(measured)
    lines = [
        f"### Cold start: marginal import cost after `import boto3` (median of {runs} fresh processes each)",
        "",
        "Host architecture, not the arm64 image. Lambda environment with tracing on and `_X_AMZN_TRACE_ID` "
        "set. Each row is measured in its own process after `import boto3`, so rows that share a dependency "
        "(the Powertools package) each include it: the rows do not add up.",
        "",
        "| library (after `import boto3`) | marginal ms | x `import boto3` | in the webhook |",
        "| --- | ---: | ---: | --- |",
    ]
    for label, _, use in MARGINAL_LIBRARIES:
        pairs = samples[label]
        if not pairs:
            lines.append(f"| {label} | n/a | n/a | {use} (not installed or failed) |")
            continue
        ms = statistics.median(m for _, m in pairs) * 1000
        ratio = statistics.median(m / b for b, m in pairs)
        lines.append(f"| {label} | {ms:.1f} | {ratio:.2f}x | {use} |")
    report.extra.append("\n".join(lines))
    if floor:
        boto = statistics.median(b for b, _ in floor) * 1000
        libraries = statistics.median(b + m for b, m in floor) * 1000
        report.floor_ms = (boto, libraries)
        report.rows.append(
            Row(
                "cold start: the webhook's required libraries alone / `import boto3`",
                f"{statistics.median((b + m) / b for b, m in floor):.2f}x",
                "-",
                f"median of {len(floor)} fresh processes: {libraries:.0f} ms vs {boto:.0f} ms",
                REQUIRED_LIBRARIES_LABEL,
            )
        )
    else:
        report.rows.append(Row("cold start: the webhook's required libraries alone / `import boto3`", "n/a", "-",
                               "failed (a library is not installed)"))  # fmt: skip


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """A moto server in another process, with the webhook's table and parameters; yields its URL."""
    import boto3

    from local_stage.emulator import MotoServer

    with MotoServer.start() as server:
        session = boto3.session.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106  (moto only)
            region_name=REGION,
        )
        create_pattern_table(session.client("dynamodb", endpoint_url=server.url))
        ssm = session.client("ssm", endpoint_url=server.url)
        ssm.put_parameter(Name=SETTINGS_PARAMETER, Type="SecureString", Value="{}")
        ssm.put_parameter(
            Name=SIGNING_PARAMETER, Type="SecureString", Value=json.dumps({"keys": {"k1": SIGNING_SECRET}})
        )
        ssm.put_parameter(Name=FINGERPRINT_PARAMETER, Type="SecureString", Value=FINGERPRINT_SECRET)
        yield server.url


def _first_request(mode: str, env: dict[str, str], event: Path | None = None) -> dict[str, Any]:
    """One fresh process of ``bench/first_request.py``: its ``BENCH`` line."""
    command = [PYTHON, str(FIRST_REQUEST), mode] + ([str(event)] if event else [])
    proc = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("BENCH ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"first_request.py {mode} failed: {(proc.stderr or proc.stdout).strip()[-300:]}")
    return json.loads(lines[-1][len("BENCH ") :])


def _bench_body(txn: str) -> bytes:
    """The bench's one transaction (a valid request body)."""
    document = {
        "transaction_id": txn,
        "amount": "42.50",
        "currency": "USD",
        "merchant": "Bench Coffee",
        "country": "US",
        "customer_id": "cust-bench",
        "card_number": "4111 1111 1111 1111",
    }
    return json.dumps(document).encode("utf-8")


def _signed_event(path: Path, txn: str, request_id: str, *, secret: str = SIGNING_SECRET) -> Path:
    body = _bench_body(txn)
    event = _webhook_event(body, request_id, secret=secret)
    path.write_text(json.dumps(event))
    return path


def _ratio_row(metric: str, pairs: list[tuple[float, float]], target: str, note: str) -> Row:
    """Median of the per-pair ratios (each pair side by side), and the two medians in ms."""
    ratio = statistics.median(x / b for b, x in pairs)
    x_ms = statistics.median(x for _, x in pairs) * 1000
    b_ms = statistics.median(b for b, _ in pairs) * 1000
    return Row(metric, f"{ratio:.2f}x", target, f"median of {len(pairs)} pairs: {x_ms:.0f} ms vs {b_ms:.0f} ms", note)


def bench_cold_start(report: Report, rounds: int) -> None:
    """What a user waits for at a cold start: import, then the first accepted / rejected request."""
    if not (IMAGE / "fraud_detection" / "handlers" / "webhook.py").exists():
        report.rows.append(Row("cold start: webhook import / boto3 import", "n/a", "<= 1.5x", "handler missing"))
        return
    heaviest = ", ".join(
        f"{name} {us / 1000:.0f} ms" for name, us in _direct_imports("fraud_detection.handlers.webhook", _lambda_env())
    )
    report.notes.append(
        f"cold start: heaviest direct imports of the webhook module (one run, `-X importtime`, which inflates "
        f"them): {heaviest}."
    )
    imports: list[tuple[float, float]] = []
    accepted: list[tuple[float, float]] = []
    rejected: list[tuple[float, float]] = []
    untraced: list[tuple[float, float]] = []
    sdk: list[tuple[float, float]] = []
    sdk_clients: list[float] = []
    traced = True
    with moto_server() as url, tempfile.TemporaryDirectory() as tmp:
        env = _lambda_env(url)
        spec = Path(tmp) / "floor.json"
        spec.write_text(
            json.dumps(
                {
                    "table": TABLE,
                    "partition_key": contract.PARTITION_KEY,
                    "velocity_indexes": [
                        [index.name, index.hash_key, index.range_key]
                        for index in (contract.CUSTOMER_INDEX, contract.CARD_INDEX)
                    ],
                    "parameters": [SETTINGS_PARAMETER, SIGNING_PARAMETER, FINGERPRINT_PARAMETER],
                }
            )
        )
        untraced_env = env | {"POWERTOOLS_TRACE_DISABLED": "true"}

        def pair(mode: str, mode_env: dict[str, str], event: Path, expect: int | None = None) -> tuple[float, dict]:
            """One ``import boto3`` process, then the measured one: side by side, so machine load hits both."""
            boto = _first_request("boto3", env)["import_s"]
            measured = _first_request(mode, mode_env, event)
            if expect is not None and measured["status"] != expect:
                raise RuntimeError(f"{event.stem}: the first request answered {measured['status']}, not {expect}")
            return boto, measured

        for number in range(rounds):  # alternate: boto3 then accepted, rejected, untraced, SDK floor
            good = _signed_event(Path(tmp) / f"accepted-{number}.json", f"txn-cold-{number:03d}", f"req-a{number}")
            bad = _signed_event(
                Path(tmp) / f"rejected-{number}.json",
                f"txn-cold-bad-{number:03d}",
                f"req-r{number}",
                secret="not-the-signing-secret-0123456789abcdef",  # noqa: S106
            )
            plain = _signed_event(Path(tmp) / f"untraced-{number}.json", f"txn-cold-off-{number:03d}", f"req-u{number}")
            boto, ok = pair("webhook", env, good, expect=200)
            imports.append((boto, ok["import_s"]))
            accepted.append((boto, ok["total_s"]))
            traced = traced and ok["xray_sdk"]
            boto, no = pair("webhook", env, bad, expect=401)
            imports.append((boto, no["import_s"]))
            rejected.append((boto, no["total_s"]))
            boto, off = pair("webhook", untraced_env, plain, expect=200)
            if off["xray_sdk"]:
                raise RuntimeError("the untraced request loaded the X-Ray SDK")
            untraced.append((boto, off["total_s"]))
            boto, floor = pair("sdk-floor", env, spec)
            sdk.append((boto, floor["total_s"]))
            sdk_clients.append(floor["clients_s"] - boto)
    where = (
        f"host architecture ({platform.machine()}), not the arm64 image; fresh process, tracing on, "
        "`_X_AMZN_TRACE_ID` set"
    )
    report.rows.append(
        _ratio_row(
            "cold start: `import fraud_detection.handlers.webhook` / `import boto3`",
            imports,
            "<= 1.5x",
            f"{where}; in-process clock (before issue 14: `-X importtime`, trace header unset)",
        )
    )
    if report.floor_ms:
        libraries_ms = report.floor_ms[1]
        webhook_ms = statistics.median(x for _, x in imports) * 1000
        report.rows.append(
            Row(
                "cold start: webhook import / its required libraries alone",
                f"{webhook_ms / libraries_ms:.2f}x",
                "-",
                f"our modules add {webhook_ms - libraries_ms:.0f} ms (medians: {webhook_ms:.0f} ms vs "
                f"{libraries_ms:.0f} ms)",
                "what this project's own code costs at init",
            )
        )
    report.rows.append(
        _ratio_row(
            "cold start: import + first accepted request (HTTP 200) / `import boto3`",
            accepted,
            "<= 1.8x",
            f"{where}; moto server in another process; X-Ray SDK {'loaded' if traced else 'NOT LOADED'}",
        )
    )
    report.rows.append(
        _ratio_row(
            "cold start: import + first rejected request (HTTP 401) / `import boto3`",
            rejected,
            "-",
            f"{where}; a bad signature still reads the parameters (SSM)",
        )
    )
    report.rows.append(
        _ratio_row(
            "cold start: import + first accepted request, `POWERTOOLS_TRACE_DISABLED=true` / `import boto3`",
            untraced,
            "-",
            "the same without the X-Ray SDK: the difference is what tracing costs a cold start in all; loading "
            "the SDK lazily would move its import into the first request, not below the traced row",
        )
    )
    clients_ms = statistics.median(sdk_clients) * 1000
    report.rows.append(
        _ratio_row(
            "cold start: the first accepted request's AWS calls alone, plain boto3 / `import boto3`",
            sdk,
            "-",
            f"import boto3, SSM + DynamoDB clients (about {clients_ms:.0f} ms: botocore loads their JSON service "
            "models), GetParameters, 2 Query, PutItem against the same moto server; no Powertools, no X-Ray, none of "
            "our code: the floor of the accepted row",
        )
    )
    import_ratio = statistics.median(x / b for b, x in imports)
    if import_ratio > 1.5 and report.floor_ms:
        report.notes.append(
            f"cold start: the import is {import_ratio:.2f}x against a 1.5x target; the libraries it needs alone are "
            f"{report.floor_ms[1] / report.floor_ms[0]:.2f}x (see the marginal-cost table). Pinning wrapt below 2 "
            "(the X-Ray SDK's one dependency; wrapt 2 imports asyncio) measured about 0.07x less on 2026-12-01; "
            "deferring the X-Ray SDK would move its cost into the first request, not remove it."
        )
    floor_ratio = statistics.median(x / b for b, x in sdk)
    boto_ms = statistics.median(b for b, _ in sdk) * 1000
    accepted_ratio = statistics.median(x / b for b, x in accepted)
    if accepted_ratio > 1.8:
        report.notes.append(
            f"cold start: import + first accepted request is {accepted_ratio:.2f}x against a 1.8x target. Its floor "
            f"is the same AWS calls made with plain boto3 and none of our code, {floor_ratio:.2f}x here: creating "
            f"the first two botocore clients alone takes about {clients_ms:.0f} ms ({clients_ms / boto_ms:.2f}x "
            "`import boto3`), and each call waits for moto. Meeting 1.8x would take reading the parameters without "
            "botocore's SSM client (the Lambda Parameters and Secrets extension over localhost, or an SSM service "
            "model trimmed to GetParameters): the floor is the AWS SDK's, not this code's."
        )


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
    return Row(label, f"{total / 1e6:.1f} MB", "-", f"{total / 1e6:.1f} MB over {len(sizes)} wheels ({biggest})")


# --------------------------------------------------------------------------------------------
# per-request CPU and write cost

REQUEST_CPU = Path(__file__).resolve().parent / "request_cpu.py"
CPU_METRIC = "per-request CPU: `intake.process` (verify, decode, validate, score, build item), µs per event"


def _request_cpu(events: int, passes: int, image: Path | None = None) -> dict[str, Any]:
    """``bench/request_cpu.py`` in a fresh process; ``image`` (a ``lambda_image`` copy) replaces the installed one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_", "_X_AMZN"))}
    env.pop("PYTHONPATH", None)
    if image is not None:
        env["PYTHONPATH"] = str(image)
    proc = subprocess.run(
        [PYTHON, str(REQUEST_CPU), "--events", str(events), "--passes", str(passes)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError((proc.stderr or proc.stdout).strip()[-300:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _committed_image(revision: str, workdir: Path) -> Path | None:
    """The image package as committed at ``revision``, unpacked under ``workdir`` (``git archive``)."""
    archive = subprocess.run(
        ["git", "archive", revision, "lambda_image/fraud_detection"], cwd=REPO, capture_output=True, check=False
    )
    if archive.returncode != 0:
        return None
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "lambda_image"


def bench_request_cpu(report: Report, events: int, rounds: int, previous: dict[str, str]) -> None:
    """µs per event now; when the committed table has no such row, HEAD's code too, in alternating processes."""
    with tempfile.TemporaryDirectory() as tmp:
        head = _committed_image("HEAD", Path(tmp)) if CPU_METRIC not in previous else None
        now: list[float] = []
        before: list[float] = []
        for _ in range(rounds):  # one pass per process, alternating, so machine load hits both alike
            now.append(_request_cpu(events, 1)["us_per_event"])
            if head is not None:
                try:
                    before.append(_request_cpu(events, 1, head)["us_per_event"])
                except RuntimeError as error:
                    report.notes.append(f"per-request CPU of HEAD's code: not measured ({error}).")
                    head = None
    row = Row(
        CPU_METRIC,
        f"{statistics.median(now):.1f} µs",
        "-",
        f"{events:,} events varied from the captured one, in-process, in-memory store; median of {rounds} fresh "
        "processes",
        "host architecture; no AWS call, no network",
    )
    if before:
        ratio = statistics.median(n / b for n, b in zip(now, before, strict=False))
        row.previous = f"{statistics.median(before):.1f} µs (HEAD's code, measured in this run)"
        row.note += f"; {ratio:.2f}x HEAD's code (median of {len(before)} alternating pairs)"
    report.rows.append(row)


# The rules a flagged transaction fires, as the next issue will store them on the item (code, points, the
# value the rule looked at, its threshold): a realistic grown item for the write-cost projection.
GROWN_ITEM_RULES: tuple[tuple[str, int, Any, Any], ...] = (
    ("high_amount_5000", 35, Decimal("5400.10"), Decimal(5000)),
    ("international", 15, "BR", "US"),
    ("night_time", 10, Decimal(2), "0-6"),
    ("customer_velocity", 20, Decimal(6), Decimal(5)),
)


def _accepted_item() -> dict[str, Any]:
    """The item the webhook's own code builds from the captured event (``intake.process``, in memory)."""
    from bench.request_cpu import FINGERPRINT_KEY, RECEIVED_AT, MemoryStore
    from bench.request_cpu import SECRET as CPU_SECRET
    from fraud_detection import intake, signing
    from fraud_detection.adapters.parameters import WebhookParameters
    from fraud_detection.settings import parse_settings

    body = json.loads((EVENTS / "webhook_post.json").read_text())["body"].encode("utf-8")
    store = MemoryStore()
    reply = intake.process(
        intake.Delivery(
            body=body,
            content_type="application/json",
            signature=signing.sign(CPU_SECRET, body, int(RECEIVED_AT.timestamp())),
            request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            source_ip="203.0.113.10",
            received_at=RECEIVED_AT,
        ),
        WebhookParameters(
            settings=parse_settings("{}"), signing_secrets=(CPU_SECRET,), fingerprint_key=FINGERPRINT_KEY
        ),
        store,
        shards=contract.DEFAULT_WINDOW_SHARDS,
    )
    if reply.outcome != "written":
        raise RuntimeError(f"the captured event was not accepted: {reply.outcome}")
    return store.items[0]


def committed_indexes(revision: str = "HEAD") -> tuple[Any, ...] | None:
    """``fraud_detection.contract.INDEXES`` as committed at ``revision`` (the projection before this change)."""
    done = subprocess.run(
        ["git", "show", f"{revision}:lambda_image/fraud_detection/contract.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    name = "_bench_committed_contract"
    module = types.ModuleType(name)
    sys.modules[name] = module  # dataclasses resolve annotations through the module
    try:
        exec(compile(done.stdout, f"{revision}:contract.py", "exec"), module.__dict__)  # noqa: S102 - our own file
    finally:
        del sys.modules[name]
    return tuple(module.INDEXES)


def _projections(indexes: tuple[Any, ...]) -> str:
    parts = []
    for index in indexes:
        included = getattr(index, "non_key_attributes", ())
        parts.append(f"{index.name} {index.projection}" + (f" ({len(included)} attributes)" if included else ""))
    return ", ".join(parts)


def bench_write_cost(report: Report) -> None:
    today = _accepted_item()
    grown = write_cost.grown_item(today, GROWN_ITEM_RULES)
    after = tuple(contract.INDEXES)
    before = committed_indexes() or after
    key = (contract.PARTITION_KEY,)
    costs = {
        (item_name, when): write_cost.write_cost(item, indexes, key)
        for item_name, item in (("today", today), ("grown", grown))
        for when, indexes in (("before", before), ("after", after))
    }
    report.write_units = costs["today", "after"].units
    price = PRICE["dynamodb_wru"] * 1e6
    report.rows.append(
        Row(
            "DynamoDB write units per accepted event: item + index entries",
            f"{costs['today', 'after'].units} WRU",
            "-",
            f"{costs['today', 'after'].describe()}; ${costs['today', 'after'].units * price:.2f} per million events",
            "from the item the webhook builds for the captured event, sizes as DynamoDB bills them",
        )
    )
    report.rows.append(
        Row(
            "DynamoDB write units per accepted event, grown item (features + fired rules)",
            f"{costs['grown', 'after'].units} WRU",
            "-",
            f"{costs['grown', 'after'].describe()}; ${costs['grown', 'after'].units * price:.2f} per million "
            f"(with the committed projection: {costs['grown', 'before'].units} WRU, "
            f"${costs['grown', 'before'].units * price:.2f})",
            "the next issue's replayable item: table below",
        )
    )
    lines = [
        "### Write cost per accepted event (DynamoDB on-demand, $0.625 per million write request units)",
        "",
        f"Projections: committed (HEAD) {_projections(before)}; now {_projections(after)}. Sizes follow "
        '"DynamoDB item sizes and formats"; each write (the item, every index entry) is rounded up to 1 KB. '
        "The grown item is today's item plus a `features` map (amount, currency, country, redacted merchant, "
        "customer id, card fingerprint, receive time, checksum result, upstream score, velocity counts) and "
        f"a `rules` list of the {len(GROWN_ITEM_RULES)} fired rules (code, points, value, threshold).",
        "",
        "| item | projection | write (bytes = WRU) | WRU | USD per million events |",
        "| --- | --- | --- | ---: | ---: |",
    ]
    for (item_name, when), cost in costs.items():
        label = {"today": "today's item", "grown": "grown item"}[item_name]
        which = {"before": "committed (HEAD)", "after": "now"}[when]
        lines.append(f"| {label} | {which} | {cost.describe()} | {cost.units} | {cost.units * price:.2f} |")
    report.extra.append("\n".join(lines))


# --------------------------------------------------------------------------------------------
# webhook path cost


class CallCounter:
    """Counts botocore API calls (``before-call``) by ``service.Operation``, and the items each batch write
    carried (a BatchWriteItem call of 25 items costs 25 writes)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.items: Counter[str] = Counter()

    def __call__(self, event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        self.calls[f"{service}.{operation}"] += 1

    def count_items(self, event_name: str, params: Mapping[str, Any] | None = None, **_: Any) -> None:
        """``before-parameter-build``: the API parameters as the caller passed them."""
        _, service, operation = event_name.split(".", 2)
        requests = (params or {}).get("RequestItems")
        if isinstance(requests, Mapping):
            self.items[f"{service}.{operation}"] += sum(len(writes) for writes in requests.values())

    def take(self) -> Counter[str]:
        taken, self.calls = self.calls, Counter()
        return taken

    def take_items(self) -> Counter[str]:
        taken, self.items = self.items, Counter()
        return taken


def _webhook_event(body: bytes, request_id: str, *, secret: str = SIGNING_SECRET) -> dict[str, Any]:
    from fraud_detection import signing

    event = json.loads((EVENTS / "webhook_post.json").read_text())
    signature = signing.sign(secret, body, int(time.time()))
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
        events.register("before-parameter-build", counter.count_items)
        webhook_handler.dependencies.cache_clear()
        stream_handler.dependencies.cache_clear()

        def deliver(txn: str, request_id: str) -> tuple[int, Counter[str]]:
            body = _bench_body(txn)
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
        stream_items = counter.take_items()
        events.unregister("before-call", counter)
        events.unregister("before-parameter-build", counter.count_items)

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
        "ledger_items_per_event": stream_items.get("dynamodb.BatchWriteItem", 0) / 1000,
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
# Assumptions of the model (stated in the output): the write units of an accepted event come from
# bench_write_cost (real item and index-entry sizes; 4 if that section did not run); a velocity COUNT
# query and the batch's Query read < 4 KB (0.5 RRU, eventually consistent); webhook 512 MB x 60 ms,
# stream consumer 512 MB x 200 ms per batch.
DEFAULT_WRITE_UNITS = 4
WEBHOOK_SECONDS = 0.060
STREAM_SECONDS = 0.200
MEMORY_GB = 0.5


def cost_model(report: Report, measured: dict[str, float] | None, stream_batch_size: int) -> None:
    writes = measured["webhook_dynamodb_writes"] if measured else 1
    queries = measured["webhook_dynamodb_queries"] if measured else 2
    s3_puts = measured["s3_puts_per_event"] if measured else 1 / stream_batch_size
    ledger_items = measured["ledger_items_per_event"] if measured else 1
    units = report.write_units or DEFAULT_WRITE_UNITS
    million = 1e6
    ours = {
        "API Gateway REST": PRICE["apigw_rest"] * million,
        "Lambda webhook (requests + GB-s)": (
            PRICE["lambda_request"] + PRICE["lambda_gb_s_arm"] * MEMORY_GB * WEBHOOK_SECONDS
        )
        * million,
        "DynamoDB writes (item + GSIs)": PRICE["dynamodb_wru"] * writes * units * million,
        "DynamoDB velocity queries": PRICE["dynamodb_rru"] * 0.5 * queries * million,
        "DynamoDB batch window reads": PRICE["dynamodb_rru"] * 0.5 * million / 4,
        "S3 PUT (audit)": PRICE["s3_put"] * s3_puts * million,
        # one ~100-byte AUDITED# item per transaction (docs/labels.md): 1 WRU each, in BatchWriteItem
        "DynamoDB audit ledger (labels)": PRICE["dynamodb_wru"] * ledger_items * million,
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
        "DynamoDB audit ledger (labels)": 0.0,
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
        "pricing (REST API $3.50 per million, first 333 million). Assumptions: "
        f"{units} write units per accepted event (item and index entries, from their sizes: see the write-cost "
        "table); reads < 4 KB eventually consistent (0.5 RRU); webhook 512 MB x "
        f"{WEBHOOK_SECONDS * 1000:.0f} ms; stream 512 MB x {STREAM_SECONDS * 1000:.0f} ms per batch of "
        f"{stream_batch_size}; the audit ledger: one item under 1 KB per transaction (1 WRU, counted from the "
        "stream's BatchWriteItem calls; docs/labels.md). Excluded for both: storage, data transfer, "
        "CloudWatch Logs ingestion, "
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
# backtest throughput (issue 15)


def backtest_fixture(root: Path, total: int, seed: int = 15) -> tuple[int, int, int]:
    """A local copy of the audit trail, ``audit/dt=.../hour=.../<seq>.jsonl.gz`` under ``root``: ``total``
    decisions at ~100 events/s made by the image's own code (live default settings, live velocity counted
    in a 300 s window), 100 lines per object (the stream batch size), every line with its decision record.
    Mix: 20,000 customers (a few hundred busy ones, so velocity fires), 70% with a card fingerprint (0.5%
    failing Luhn), 20% foreign (a few high-risk), log-normal amounts with some small round probes and
    big tickets, 30% with an upstream score, 0.1% smoke, and 1% of batches replayed (duplicate lines).
    Returns (lines written, objects, compressed bytes)."""
    from fraud_detection import audit, decision_record
    from fraud_detection.pattern import iso_utc
    from fraud_detection.scoring import Signals, score
    from fraud_detection.settings import Settings, settings_version
    from fraud_ops.backtest import Timeline

    rng = random.Random(seed)
    live = Settings()
    version = settings_version(live)
    customers = [f"cust-{n:06d}" for n in range(20_000)]
    busy = customers[:300]
    cards = [f"{rng.getrandbits(128):032x}" for _ in range(25_000)]
    merchants = [f"Merchant {n} Ltd" for n in range(500)]
    countries = ["US"] * 80 + ["GB", "DE", "FR", "CA", "MX", "BR", "IN", "NG", "RU"] * 2 + ["ES", "IT"]
    by_customer, by_card = Timeline(300), Timeline(300)
    moment = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    batch: list[dict[str, Any]] = []
    written = objects = size = 0
    sequence = 10**20

    def flush(lines: list[dict[str, Any]]) -> None:
        nonlocal objects, size, sequence
        first = audit.parse_received_at(str(lines[0]["received_at"]))
        key = audit.audit_key(str(sequence), str(sequence + len(lines) - 1), first)
        sequence += len(lines)
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        body = audit.encode_jsonl_gz(lines)
        path.write_bytes(body)
        objects += 1
        size += len(body)

    for n in range(total):
        moment += timedelta(milliseconds=rng.expovariate(1 / 10))
        customer = rng.choice(busy) if rng.random() < 0.15 else rng.choice(customers)
        card = rng.choice(cards) if rng.random() < 0.7 else None
        roll = rng.random()
        amount = (
            Decimal(rng.randint(1, 5))
            if roll < 0.02
            else Decimal(str(round(rng.lognormvariate(3.8, 1.4 if roll < 0.97 else 2.5), 2))).max(Decimal("0.01"))
        )
        now_ms = int(moment.timestamp() * 1000)
        signals = Signals(
            amount=amount,
            merchant=rng.choice(merchants),
            country=rng.choice(countries),
            received_at=moment,
            customer_recent=by_customer.count_then_add(customer, now_ms),
            card_recent=by_card.count_then_add(card, now_ms) if card else None,
            card_checksum_ok=(rng.random() > 0.005) if card else None,
            upstream_risk_score=Decimal(str(round(rng.uniform(0, 100), 1))) if rng.random() < 0.3 else None,
            customer_id=customer,
            card_fingerprint=card,
        )
        decision = score(signals, live)
        transaction_id = f"{'smoke-' if rng.random() < 0.001 else ''}txn-{n:08d}-{rng.getrandbits(32):08x}"
        item = {
            "transaction_id": transaction_id,
            "pattern_id": f"{rng.getrandbits(128):032x}",
            "request_id": f"{rng.getrandbits(128):032x}",
            "source_ip": f"198.51.100.{rng.randint(1, 254)}",
            "received_at": iso_utc(moment),
            "action": decision.action,
            "risk_score": decision.risk_score,
            "reasons": list(decision.reasons),
            "amount": amount,
            "currency": "USD",
            "merchant": signals.merchant,
            "country": signals.country,
            "customer_id": customer,
            decision_record.RECORD_ATTRIBUTE: decision_record.build(signals, decision, version, "USD"),
        }
        batch.append(audit.audit_line(item))
        if len(batch) == 100:
            flush(batch)
            if rng.random() < 0.01:  # a replayed batch with other boundaries
                flush(batch[50:])
                written += 50
            written += len(batch)
            batch = []
    if batch:
        flush(batch)
        written += len(batch)
    return written, objects, size


def bench_backtest(report: Report, total: int) -> None:
    """Lines/s and MB/s of ``fraud_ops.backtest.run`` over a generated local copy (``--source dir``): read,
    de-duplicate, order, recount velocity, decide under a stricter candidate, write the report."""
    from fraud_detection.settings import parse_settings
    from fraud_ops import backtest

    candidate = parse_settings(
        json.dumps(
            {
                "review_threshold": 40,
                "block_threshold": 70,
                "high_risk_countries": ["NG", "RU"],
                "velocity_window_seconds": 600,
                "velocity_customer_max": 3,
            }
        )
    )
    with tempfile.TemporaryDirectory(prefix="bench-backtest-") as workdir:
        root = Path(workdir) / "copy"
        started = time.perf_counter()
        lines, objects, size = backtest_fixture(root, total)
        generated = time.perf_counter() - started
        raw = sum(len(gzip_decompressed) for gzip_decompressed in _raw_sizes(root))
        days = backtest.DateRange(datetime(2026, 11, 3).date(), datetime(2026, 11, 3).date())
        result = backtest.run(
            backtest.DirSource(root), days, candidate, Path(workdir) / "out", candidate_path="bench candidate"
        )
    assert result.info is not None and result.tally is not None
    seconds = result.info.seconds
    rate = result.info.stats.raw_lines / seconds
    changed = sum(count for (live, new), count in result.tally.matrix.items() if live != new)
    report.rows.append(
        Row(
            "backtest throughput (local gzip JSONL)",
            f"{rate:,.0f} lines/s",
            ">= 50,000 lines/s",
            f"{size / seconds / 1e6:.1f} MB/s gzip, {raw / seconds / 1e6:.1f} MB/s JSON; {lines:,} lines "
            f"({result.info.stats.duplicates:,} duplicates, {result.tally.smoke} smoke) in {objects:,} objects, "
            f"{size / 1e6:.1f} MB gzip / {raw / 1e6:.1f} MB JSON, {seconds:.1f} s",
            f"one process; {result.tally.transactions:,} decided again, {changed:,} changed; fixture built in "
            f"{generated:.0f} s by the image's own code",
        )
    )


def _raw_sizes(root: Path) -> Iterator[bytes]:
    import gzip

    for path in sorted(root.rglob("*.jsonl.gz")):
        yield gzip.decompress(path.read_bytes())


# --------------------------------------------------------------------------------------------
# output


def render(report: Report, header: str, elapsed: float, previous: dict[str, str]) -> str:
    lines = [
        "# Benchmarks (`make bench`)",
        "",
        f"Run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} in {elapsed:.0f} s. Machine: {header}.",
        "Timings are noisy on a shared 2-core box: each pair is measured side by side, alternating. Cold-start "
        "and CPU figures are host-architecture measurements (the image's arm64 build cannot run here). "
        '"previous" is the figure of the last committed table (`git show HEAD:bench/results/latest.md`).',
        "",
        "| metric | figure | previous | target | absolute | note |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for row in report.rows:
        before = row.previous or previous.get(row.metric, "n/a")
        cells = [row.metric, row.ratio, before, row.target, row.absolute, row.note]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    if report.notes:
        lines += ["", *[f"- {note}" for note in report.notes]]
    for section in report.extra:
        lines += ["", section]
    return "\n".join(lines) + "\n"


SECTIONS = ("synth", "read", "floor", "cold", "cpu", "write", "wheels", "cost", "backtest")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synth-runs", type=int, default=3)
    parser.add_argument("--synth-budget", type=float, default=150.0, help="seconds for the synth pairs")
    parser.add_argument("--import-runs", type=int, default=9, help="fresh processes per library (floor)")
    parser.add_argument("--cold-rounds", type=int, default=9, help="alternating pairs per cold-start figure (>= 9)")
    parser.add_argument("--cpu-events", type=int, default=10_000)
    parser.add_argument("--cpu-rounds", type=int, default=5, help="fresh processes (pairs with HEAD's code)")
    parser.add_argument("--sizes", default="1000,10000,100000", help="table sizes N for read amplification")
    parser.add_argument("--window-items", type=int, default=100, help="k: items in the target window")
    parser.add_argument("--read-budget", type=float, default=380.0, help="seconds for the moto section")
    parser.add_argument("--scan-max", type=int, default=1000, help="largest N with a real baseline Scan")
    parser.add_argument("--backtest-lines", type=int, default=200_000, help="audit lines of the backtest fixture")
    parser.add_argument("--skip", default="", help=f"comma list of sections to skip: {','.join(SECTIONS)}")
    parser.add_argument("--only", default="", help="comma list of the only sections to run")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.md")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    only = set(filter(None, args.only.split(",")))
    started = time.perf_counter()
    header = machine()
    report = Report()
    previous = previous_table.figures(previous_table.committed_table(REPO) or "")
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
        ("floor", lambda: bench_import_floor(report, args.import_runs)),
        ("cold", lambda: bench_cold_start(report, args.cold_rounds)),
        ("cpu", lambda: bench_request_cpu(report, args.cpu_events, args.cpu_rounds, previous)),
        ("write", lambda: bench_write_cost(report)),
        ("wheels", lambda: report.rows.append(wheel_sizes())),
        (
            "cost",
            lambda: cost_model(report, bench_webhook_cost(report, stream_batch_size), stream_batch_size),
        ),
        ("backtest", lambda: bench_backtest(report, args.backtest_lines)),
    ]
    for name, run in sections:
        if name in skip or (only and name not in only):
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
    text = render(report, header, time.perf_counter() - started, previous)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
