"""``make local``: the whole app on this machine, against moto, each function in its own worker process.

Steps (each timed and printed): start moto on 127.0.0.1 -> synthesize (``python main.py`` into
``.local-stage/synth`` with a pinned image tag) -> apply bootstrap, registry, push an image
manifest, apply app (working copies of the stacks, :class:`LocalStackRunner`) -> set the secrets
the way ``rotate-secret`` does (written to the mode-600 ``.local-stage/secrets.env``) -> start the
function workers, the gateway (API Gateway stand-in), the stream pump (the stream's event source
mapping, with its filter), the alert queues and the scheduler (the EventBridge rules). Ctrl-C, SIGTERM or
``make local-down`` destroys the stacks and stops every server and worker, each step on the log.

Each run logs into its own directory ``.local-stage/logs/<UTC time>/``: ``stage.log`` (what the
terminal shows), ``webhook.log`` / ``stream.log`` / ``batch.log`` / ``labels.log`` (each function's worker),
``moto.log`` and ``terraform/<stack>.log``. Stopping keeps the newest :data:`KEEP_RUNS` runs.

    python -m local_stage.stage up      # foreground; Ctrl-C to stop
    python -m local_stage.stage down    # stop the running one (PID file), showing its steps

Nothing here changes what we ship: emulator workarounds live in the override file of the working
copies (:mod:`local_stage.emulator_patches`), and the shipped ``cdk.tf.json`` is only read.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shlex
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from fraud_detection import contract
from fraud_ops import key_rotation, samples
from fraud_ops.alert_queues import QueueSubscription, subscribe_queue
from fraud_ops.synth import synthesize
from fraud_ops.targets import (
    API_KEY_VARIABLE,
    LABEL_SIGNING_KEY_ID_VARIABLE,
    LABEL_SIGNING_SECRET_VARIABLE,
    LABELS_API_KEY_VARIABLE,
    PID_FILE,
    ROOT,
    STAGE_DIR,
    Target,
    api_key_from_state,
    api_key_id_from_state,
    functions_from_state,
    label_signing_keys_parameter,
    labels_api_key_from_state,
    stream_arn_from_state,
)
from fraud_ops.terraform import StackRunner
from fraud_ops.timing import timed
from local_stage.alert_watcher import AlertWatcher
from local_stage.emulator import MotoServer, free_port, put_image
from local_stage.emulator_patches import write_override
from local_stage.functions import LocalFunctions
from local_stage.gateway import ApiKey, LocalGatewayServer
from local_stage.scheduler import Scheduler
from local_stage.stream_pump import PumpSettings, StreamPump

STACK_ORDER = ("bootstrap", "registry", "app")
KEEP_RUNS = 3
SECRETS_FILE = "secrets.env"
LOGS = "logs"


@dataclass
class LocalStackRunner(StackRunner):
    """The project's Terraform runner on working copies (``<workdir>/stacks/<stack>``) with the emulator
    override file: endpoints, dummy credentials, local state, the registered moto-gap patches."""

    endpoint: str = ""
    region: str = "us-east-1"

    def stack_dir(self, stack: str) -> Path:
        return self.workdir / "stacks" / stack

    def prepare(self, stack: str) -> Path:
        """Copy the synthesized stack and add the override file (the original is never modified)."""
        source = self.synth_outdir / "stacks" / stack
        target = self.stack_dir(stack)
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
        write_override(target, self.endpoint, self.region, self.tf_json(stack))
        return target

    def state(self, stack: str) -> dict[str, Any]:
        return dict(json.loads((self.stack_dir(stack) / "terraform.tfstate").read_text()))


@dataclass(frozen=True)
class StageOptions:
    stage_dir: Path = STAGE_DIR
    environment: str = "local"
    region: str = "us-east-1"
    schedule: bool = True
    pump_poll_seconds: float = 1.0
    keep_runs: int = KEEP_RUNS
    say: Callable[[str], None] = field(default=lambda line: print(line, flush=True))
    settings: Mapping[str, str] = field(default_factory=dict)
    """Configuration for the synth, as ``FRAUD_<NAME>`` variables (docs/configuration.md), e.g.
    ``{"FRAUD_SHADOW_SETTINGS_FILE": "settings/shadow.example.json"}``; the caller's own ``FRAUD_*`` environment
    is never used, so a stage is the same whatever shell starts it."""


def local_image_tag() -> str:
    """The content-hash tag ``make image`` would push: shows which handler code is running."""
    from stacks.image_tag import image_tag

    return image_tag(ROOT / "lambda_image")


def new_run_dir(stage_dir: Path) -> Path:
    """``<stage_dir>/logs/<UTC time>``: a fresh log directory for this run."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for suffix in ("", *(f"-{n}" for n in range(1, 100))):
        try:
            path = stage_dir / LOGS / f"{stamp}{suffix}"
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"cannot create a run directory under {stage_dir / LOGS}")


def run_dirs(stage_dir: Path) -> list[Path]:
    """The runs' log directories, oldest first."""
    root = stage_dir / LOGS
    return sorted(path for path in root.iterdir() if path.is_dir()) if root.is_dir() else []


def rotate_runs(stage_dir: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` run directories; returns the removed ones."""
    removed = run_dirs(stage_dir)[:-keep] if keep > 0 else run_dirs(stage_dir)
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


class LocalStage:
    """Programmatic API: ``up()`` returns the ``Target``; ``down()`` always tears everything down."""

    def __init__(self, options: StageOptions = StageOptions()) -> None:
        self.options = options
        self.timings: dict[str, float] = {}
        self.run_dir: Path | None = None
        self.moto: MotoServer | None = None
        self.runner: LocalStackRunner | None = None
        self.applied: list[str] = []
        self.functions: LocalFunctions | None = None
        self.gateway: LocalGatewayServer | None = None
        self.pump: StreamPump | None = None
        self.scheduler: Scheduler | None = None
        self.alerts: AlertWatcher | None = None
        self.inbox: QueueSubscription | None = None
        self.target: Target | None = None
        self.signing_key: tuple[str, str] | None = None
        self.label_signing_key: tuple[str, str] | None = None
        self._log: TextIO | None = None
        self._log_lock = threading.Lock()

    @property
    def stage_file(self) -> Path:
        return self.options.stage_dir / "stage.json"

    @property
    def secrets_file(self) -> Path:
        return self.options.stage_dir / SECRETS_FILE

    def say(self, line: str) -> None:
        """A line for the terminal and this run's ``stage.log``."""
        self.options.say(line)
        with self._log_lock:
            if self._log is not None:
                self._log.write(f"{datetime.now(UTC):%H:%M:%S} {line}\n")
                self._log.flush()

    def _sayer(self, prefix: str) -> Callable[[str], None]:
        return lambda line: self.say(f"[{prefix}] {line}")

    def up(self) -> Target:
        try:
            return self._up()
        except BaseException:
            self.down()
            raise

    def _up(self) -> Target:
        opts = self.options
        opts.stage_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir = new_run_dir(opts.stage_dir)
        self._log = (self.run_dir / "stage.log").open("w", encoding="utf-8")
        say = self._sayer("local")
        say(f"logs of this run: {self.run_dir}")
        started = time.monotonic()
        with timed("start moto", self.timings, say):
            self.moto = MotoServer.start(log_path=self.run_dir / "moto.log")
        tag = local_image_tag()
        synth_dir = opts.stage_dir / "synth"
        with timed(f"synthesize (image tag {tag})", self.timings, say):
            synthesize(synth_dir, self._synth_environment(tag), timeout=600)
        runner = LocalStackRunner(
            synth_dir,
            opts.stage_dir / "terraform",
            isolated=True,
            log_dir=self.run_dir / "terraform",
            endpoint=self.moto.url,
            region=opts.region,
        )
        self.runner = runner
        for stack in STACK_ORDER:
            if stack == "app":
                with timed("push image manifest to emulated ECR", self.timings, say):
                    put_image(self.moto.url, contract.repository_name(opts.environment), tag, opts.region)
            with timed(f"apply {stack}", self.timings, say):
                self.applied.append(stack)
                runner.apply(stack)
        with timed("read Terraform state", self.timings, say):
            target = self._target_from_state(runner)
        with timed("set secrets (rotate-secret --add, --add --labels, --init-fingerprint)", self.timings, say):
            self.signing_key, self.label_signing_key = self._set_secrets(target)
            self._write_secrets_file(target, self.signing_key, self.label_signing_key)
        with timed("start function workers", self.timings, say):
            self.functions = LocalFunctions(
                target.functions,
                target.aws_environment(),
                region=target.region,
                log_dir=self.run_dir,
                say=self._sayer("functions"),
            ).start()
        with timed("start gateway, stream pump, alert queues, scheduler", self.timings, say):
            target = self._start_servers(target)
        self.timings["total"] = round(time.monotonic() - started, 1)
        self.target = target
        self._write_stage_file(target)
        return target

    def _synth_environment(self, tag: str) -> dict[str, str]:
        env = {name: value for name, value in os.environ.items() if not name.startswith("FRAUD_")}
        env.update(self.options.settings)
        env.update(
            FRAUD_ENVIRONMENT=self.options.environment,
            FRAUD_REGION=self.options.region,
            FRAUD_IMAGE_TAG=tag,
            FRAUD_BACKEND="local",
        )
        return env

    def _target_from_state(self, runner: LocalStackRunner) -> Target:
        outputs = runner.outputs("app")
        state = runner.state("app")
        assert self.moto is not None
        labels_key_id, labels_key = labels_api_key_from_state(state)
        return Target(
            kind="local",
            region=self.options.region,
            webhook_url="",  # known once the gateway listens (labels_url too)
            api_key=api_key_from_state(state),
            api_key_id=api_key_id_from_state(state),
            labels_api_key=labels_key,
            labels_api_key_id=labels_key_id,
            outputs=outputs,
            functions=functions_from_state(state, outputs),
            endpoint_url=self.moto.url,
            stream_arn=stream_arn_from_state(state, outputs["table_name"]),
            pid=os.getpid(),
            log_dir=str(self.run_dir),
            secrets_file=str(self.secrets_file),
        )

    def _set_secrets(self, target: Target) -> tuple[tuple[str, str], tuple[str, str]]:
        """(webhook signing key, label signing key), as ``make set-secrets`` creates them: the parameters do
        not exist yet, they are created under the app key."""
        adapter = key_rotation.ParameterAdapter(target.client("ssm"))
        done = key_rotation.ensure_initial_secrets(
            adapter,
            target.parameter(contract.ENV_SIGNING_KEYS_PARAMETER),
            target.parameter(contract.ENV_FINGERPRINT_KEY_PARAMETER),
            key_arn=str(target.output("app_key_arn")),
            now=datetime.now(UTC),
            label_signing_name=label_signing_keys_parameter(target),
        )
        assert done.added_key is not None and done.added_label_key is not None
        return done.added_key, done.added_label_key

    def _write_stage_file(self, target: Target) -> None:
        """What the CLI reads to reach this stage; no secret (the API keys are read from the secrets file)."""
        self.stage_file.write_text(target.to_json())

    def _write_secrets_file(
        self, target: Target, signing_key: tuple[str, str], label_signing_key: tuple[str, str] | None = None
    ) -> None:
        """The API keys and signing secrets for this run, readable only by the user (never printed)."""
        key_id, secret = signing_key
        lines = [
            "# make local: this run's credentials (mode 600; removed by make local-down)",
            "# webhook (senders): header x-api-key, X-Fraud-Signature with the signing secret",
            f"{API_KEY_VARIABLE}={target.api_key}",
            f"FRAUD_SIGNING_KEY_ID={key_id}",
            f"FRAUD_SIGNING_SECRET={secret}",
        ]
        if label_signing_key is not None:
            label_key_id, label_secret = label_signing_key
            lines += [
                "# labels (labellers): header x-api-key, X-Fraud-Signature with the label signing secret",
                f"{LABELS_API_KEY_VARIABLE}={target.labels_api_key}",
                f"{LABEL_SIGNING_KEY_ID_VARIABLE}={label_key_id}",
                f"{LABEL_SIGNING_SECRET_VARIABLE}={label_secret}",
            ]
        self.secrets_file.unlink(missing_ok=True)
        key_rotation.write_private_file(self.secrets_file, "\n".join(lines) + "\n")

    def _start_alert_queues(self, target: Target) -> str:
        """Two queues on the alert topic: the stage log's watcher, and the inbox ``cli alerts`` reads."""
        sqs, sns = target.client("sqs"), target.client("sns")
        topic_arn = str(target.output("topic_arn"))
        topic_name = topic_arn.rsplit(":", 1)[-1]
        watched = subscribe_queue(sqs, sns, topic_arn, f"{topic_name}-stage-log")
        self.inbox = subscribe_queue(sqs, sns, topic_arn, f"{topic_name}-inbox")
        self.alerts = AlertWatcher(sqs, watched.queue_url, self._sayer("alert")).start()
        return self.inbox.queue_url

    def _start_servers(self, target: Target) -> Target:
        opts = self.options
        functions = self.functions
        assert functions is not None
        stage_name = str(target.output("webhook_url")).rstrip("/").split("/")[-2]
        self.gateway = LocalGatewayServer(
            free_port(),
            stage=stage_name,
            api_key=ApiKey(target.api_key_id, target.api_key),
            webhook=lambda event: functions.call(contract.WEBHOOK.role, event),
            labels=lambda event: functions.call(contract.LABELS.role, event),
            labels_api_key=ApiKey(target.labels_api_key_id, target.labels_api_key),
            on_log=self._sayer("gateway"),
        ).start()
        sqs = target.client("sqs")
        dlq_url = str(target.output("dlq_url"))
        assert target.stream_arn is not None
        self.pump = StreamPump(
            target.client("dynamodbstreams"),
            target.stream_arn,
            lambda event: functions.call(contract.STREAM.role, event),
            function_arn=str(target.output("stream_alias_arn")),
            send_failure=lambda body: sqs.send_message(QueueUrl=dlq_url, MessageBody=body),
            settings=PumpSettings(poll_seconds=opts.pump_poll_seconds),
            filter_pattern=contract.STREAM_AUDITED_EVENTS,
            say=self._sayer("stream"),
        ).start()
        inbox_url = self._start_alert_queues(target)
        self.scheduler = Scheduler(
            run=lambda event: functions.call(contract.BATCH.role, event), say=self._sayer("schedule")
        )
        if opts.schedule:
            self.scheduler.start()
        return dataclasses.replace(
            target,
            webhook_url=self.gateway.url,
            labels_url=self.gateway.labels_url,
            alerts_queue_url=inbox_url,
            extra={"timings": self.timings},
        )

    def example(self, now: int | None = None) -> tuple[str, bytes, dict[str, str]]:
        """A concrete signed request: (curl command, body, headers), valid for 5 minutes. The command reads
        the API key from the secrets file when it runs, so the key is not in the printed text."""
        assert self.target is not None and self.signing_key is not None
        timestamp = int(time.time()) if now is None else now
        body = samples.encode(
            samples.transaction(f"curl{timestamp}", "example", amount=25.0, card_token=f"tok-curl-{timestamp}")
        )
        headers = samples.signed_headers(self.signing_key[1], body, timestamp, self.target.api_key)
        printed = {name: value for name, value in headers.items() if name != samples.API_KEY_HEADER}
        secrets = shlex.quote(str(self.secrets_file))
        key_from_file = f"{samples.API_KEY_HEADER}: $(sed -n 's/^{API_KEY_VARIABLE}=//p' {secrets})"
        curl = samples.curl_command(self.target.webhook_url, printed, body, shell_header=key_from_file)
        return curl, body, headers

    def ready_message(self) -> str:
        assert self.target is not None and self.signing_key is not None
        curl, _, _ = self.example()
        steps = "\n".join(f"  {label:<55} {seconds:>6.1f} s" for label, seconds in self.timings.items())
        cli = ".venv/bin/python -m fraud_ops.cli"
        return f"""
READY  local stage (moto at {self.target.endpoint_url})
  webhook URL : {self.target.webhook_url}
  labels URL  : {self.target.labels_url}
                (POST a signed {{transaction_id, label, source, occurred_at}}: {cli} label --help)
  secrets     : {self.secrets_file}
                (mode 600: {API_KEY_VARIABLE} for header x-api-key, FRAUD_SIGNING_KEY_ID, FRAUD_SIGNING_SECRET;
                 labels: {LABELS_API_KEY_VARIABLE}, {LABEL_SIGNING_KEY_ID_VARIABLE}, {LABEL_SIGNING_SECRET_VARIABLE})
  sign        : X-Fraud-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
                (fraud_detection.signing.sign; accepted for 300 s around the timestamp; labels are signed
                 with the label signing secret, never the senders')
  try (signed just now, valid for 5 minutes; bash, reads the API key from the secrets file):
{curl}
  label       : {cli} label --transaction-id <id> --label fraud --source analyst
  alerts      : one [alert] line each below; {cli} alerts
  logs        : {self.run_dir}  (stage, webhook, stream, batch, labels, moto, terraform/)
  more        : {cli} send | batch --current | batch --now | report --day YYYY-MM-DD | redrive-dlq
  batch now   : kill -USR1 {os.getpid()}   (the last closed window, like the schedule)
  stop        : Ctrl-C, or make local-down
step timings:
{steps}
"""

    def down(self) -> None:
        """Stop servers and workers, destroy applied stacks in reverse order, stop moto; never raises.
        Every step is a line on the stage log (``make local-down`` shows them as they happen)."""
        say = self._sayer("local")
        if self.run_dir is not None:
            say("stopping ...")
        for name in ("scheduler", "alerts", "pump", "gateway", "functions"):
            server = getattr(self, name)
            if server is None:
                continue
            with timed(f"stop {name}", self.timings, say), contextlib.suppress(Exception):
                server.close() if name == "functions" else server.stop()
            setattr(self, name, None)
        if self.runner is not None and self.moto is not None:
            for stack in reversed(self.applied):
                try:
                    with timed(f"destroy {stack}", self.timings, say):
                        self.runner.destroy(stack)
                except Exception as error:  # the emulator is discarded below anyway
                    say(f"destroy {stack} failed (emulator discarded anyway): {str(error)[:500]}")
            self.applied.clear()
        if self.moto is not None:
            with timed("stop moto", self.timings, say):
                self.moto.stop()
            self.moto = None
        for path in (self.stage_file, self.secrets_file):
            path.unlink(missing_ok=True)
        if self.run_dir is not None:
            removed = rotate_runs(self.options.stage_dir, self.options.keep_runs)
            say(f"stopped; logs kept in {self.run_dir} ({len(removed)} older run(s) removed)")
        with self._log_lock:
            if self._log is not None:
                self._log.close()
                self._log = None


def run_foreground(options: StageOptions) -> int:
    """``make local``: up, print READY, wait for Ctrl-C / SIGTERM, down."""
    options.stage_dir.mkdir(parents=True, exist_ok=True)
    pid_file = options.stage_dir / PID_FILE.name
    if pid_file.exists() and _alive(int(pid_file.read_text() or 0)):
        print(f"a local stage is already running (PID {pid_file.read_text()}); stop it with make local-down")
        return 1
    pid_file.write_text(str(os.getpid()))
    stop = threading.Event()
    stage = LocalStage(options)

    def interrupt(*_: object) -> None:
        # While coming up, abort at once (up() tears down what exists); once READY, leave the wait loop.
        if stage.target is None:
            raise KeyboardInterrupt
        stop.set()

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(
        signal.SIGUSR1,
        lambda *_: (
            threading.Thread(target=stage.scheduler.trigger_now, daemon=True).start() if stage.scheduler else None
        ),
    )
    try:
        stage.up()
        print(stage.ready_message(), flush=True)
        while not stop.wait(1):
            pass
        return 0
    except KeyboardInterrupt:
        print("\n[local] interrupted while coming up; torn down", file=sys.stderr)
        return 130
    except Exception as error:
        print(f"[local] failed: {error}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not abort the teardown
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stage.down()
        with contextlib.suppress(FileNotFoundError):
            pid_file.unlink()


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def follow(path: Path, offset: int, alive: Callable[[], bool], say: Callable[[str], None], poll: float = 0.5) -> int:
    """Print the lines appended to ``path`` after ``offset`` while ``alive()``, then the rest; returns the
    new offset."""
    while True:
        running = alive()
        with contextlib.suppress(FileNotFoundError), path.open("rb") as log:
            log.seek(offset)
            chunk = log.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]
            offset += len(complete)
            for line in complete.decode("utf-8", "replace").splitlines():
                say(line)
        if not running:
            return offset
        time.sleep(poll)


def stop_running(stage_dir: Path = STAGE_DIR, timeout: float = 600) -> int:
    """``make local-down``: SIGTERM the PID in the PID file, then show the stage's own log lines (each
    teardown step) as they are written, until the process has cleaned up."""
    pid_file = stage_dir / PID_FILE.name
    if not pid_file.exists():
        print("no local stage is running")
        return 0
    pid = int(pid_file.read_text() or 0)
    if not _alive(pid):
        pid_file.unlink()
        print(f"stale PID file removed (PID {pid} is gone)")
        return 0
    runs = run_dirs(stage_dir)
    log = runs[-1] / "stage.log" if runs else stage_dir / "none.log"
    offset = log.stat().st_size if log.is_file() else 0
    os.kill(pid, signal.SIGTERM)
    print(f"stopping local stage (PID {pid}); its steps, from {log}:", flush=True)
    deadline = time.monotonic() + timeout
    follow(log, offset, lambda: _alive(pid) and time.monotonic() < deadline, lambda line: print(line, flush=True))
    if _alive(pid):
        print(f"PID {pid} is still running after {timeout:.0f} s", file=sys.stderr)
        return 1
    print("local stage stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_stage.stage", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="bring the local stage up in the foreground (Ctrl-C stops it)")
    up.add_argument("--no-schedule", action="store_true", help="do not run the batch every 5 minutes")
    sub.add_parser("down", help="stop the running local stage (destroys stacks, stops servers), showing each step")
    args = parser.parse_args(argv)
    if args.command == "down":
        return stop_running()
    return run_foreground(StageOptions(schedule=not args.no_schedule))


if __name__ == "__main__":
    sys.exit(main())
