"""``make local``: the whole app on this machine, against moto, with the real handlers in-process.

Steps (each timed and printed): start moto on 127.0.0.1 -> synthesize (``python main.py`` into
``.local-stage/synth`` with a pinned image tag) -> apply bootstrap, registry, push an image
manifest, apply app (the emulator harness, :mod:`local_stage.emulator`) -> set the secrets the way
``rotate-secret`` does -> start the gateway (API Gateway stand-in), the stream pump (the
stream's event source mapping) and the scheduler (the EventBridge rules). Ctrl-C, SIGTERM or
``make local-down`` destroys the stacks and stops every server.

    python -m local_stage.stage up      # foreground; Ctrl-C to stop
    python -m local_stage.stage down    # stop the running one (PID file)

Nothing here changes what we ship: emulator workarounds live in Terraform override files of
the working copies, and the shipped ``cdk.tf.json`` is only read.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from fraud_ops import key_rotation, samples
from fraud_ops.targets import (
    PID_FILE,
    ROOT,
    STAGE_DIR,
    Target,
    api_key_from_state,
    functions_from_state,
    stream_arn_from_state,
)
from local_stage.emulator import MotoServer, StackRunner, free_port, put_image, write_workload_override
from local_stage.functions import LocalFunctions
from local_stage.gateway import LocalGatewayServer
from local_stage.scheduler import Scheduler
from local_stage.stream_pump import PumpSettings, StreamPump
from tools.jsii_env import silence_banner

STACK_ORDER = ("bootstrap", "registry", "app")


class LocalStackRunner(StackRunner):
    """The emulator harness plus the patches of a running deployment (``WORKLOAD_RESOURCE_PATCHES``:
    no stream mapping, StreamPump plays it; no bucket policies)."""

    def prepare(self, stack: str) -> Path:
        target = super().prepare(stack)
        write_workload_override(target, json.loads((target / "cdk.tf.json").read_text()))
        return target

    def state(self, stack: str) -> dict[str, Any]:
        return json.loads((self.stack_dir(stack) / "terraform.tfstate").read_text())


@dataclass(frozen=True)
class StageOptions:
    stage_dir: Path = STAGE_DIR
    environment: str = "local"
    region: str = "us-east-1"
    schedule: bool = True
    pump_poll_seconds: float = 1.0
    say: Callable[[str], None] = field(default=lambda line: print(line, flush=True))


def synthesize(outdir: Path, environment: str, region: str, tag: str) -> None:
    """``python main.py`` into ``outdir`` (the project's own synth path) with a pinned tag."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("FRAUD_")}
    env.update(
        CDKTF_OUTDIR=str(outdir),
        FRAUD_ENVIRONMENT=environment,
        FRAUD_REGION=region,
        FRAUD_IMAGE_TAG=tag,
        FRAUD_BACKEND="local",
    )
    silence_banner(env)
    done = subprocess.run(
        [sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"synth failed ({done.returncode}):\n{done.stderr[-4000:]}")


def local_image_tag() -> str:
    """The content-hash tag ``make image`` would push: shows which handler code is running."""
    from stacks.image_tag import image_tag

    return image_tag(ROOT / "lambda_image")


class LocalStage:
    """Programmatic API: ``up()`` returns the ``Target``; ``down()`` always tears everything down."""

    def __init__(self, options: StageOptions = StageOptions()) -> None:
        self.options = options
        self.timings: dict[str, float] = {}
        self.moto: MotoServer | None = None
        self.runner: LocalStackRunner | None = None
        self.applied: list[str] = []
        self.functions: LocalFunctions | None = None
        self.gateway: LocalGatewayServer | None = None
        self.pump: StreamPump | None = None
        self.scheduler: Scheduler | None = None
        self.target: Target | None = None
        self.signing_key: tuple[str, str] | None = None
        self._log: TextIO | None = None

    @property
    def stage_file(self) -> Path:
        return self.options.stage_dir / "stage.json"

    @contextlib.contextmanager
    def _step(self, label: str) -> Iterator[None]:
        self.options.say(f"[local] {label} ...")
        start = time.monotonic()
        try:
            yield
        finally:
            self.timings[label] = round(time.monotonic() - start, 1)
        self.options.say(f"[local] {label}: done in {self.timings[label]} s")

    def up(self) -> Target:
        try:
            return self._up()
        except BaseException:
            self.down()
            raise

    def _up(self) -> Target:
        opts = self.options
        opts.stage_dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with self._step("start moto"):
            self.moto = MotoServer.start(log_path=opts.stage_dir / "moto.log")
        tag = local_image_tag()
        synth_dir = opts.stage_dir / "synth"
        with self._step(f"synthesize (image tag {tag})"):
            synthesize(synth_dir, opts.environment, opts.region, tag)
        runner = LocalStackRunner(synth_dir, opts.stage_dir / "terraform", self.moto.url, region=opts.region)
        self.runner = runner
        for stack in STACK_ORDER:
            if stack == "app":
                with self._step("push image manifest to emulated ECR"):
                    put_image(self.moto.url, f"fraud-detection-{opts.environment}", tag, opts.region)
            with self._step(f"apply {stack}"):
                self.applied.append(stack)
                runner.apply(stack)
        with self._step("read Terraform state"):
            target = self._target_from_state(runner)
        with self._step("set secrets (rotate-secret --add, fingerprint --init)"):
            self.signing_key = self._set_secrets(target)
        with self._step("start gateway, stream pump, scheduler"):
            target = self._start_servers(target)
        self.timings["total"] = round(time.monotonic() - started, 1)
        self.target = target
        self.stage_file.write_text(target.to_json())
        return target

    def _target_from_state(self, runner: LocalStackRunner) -> Target:
        outputs = runner.outputs("app")
        state = runner.state("app")
        assert self.moto is not None
        return Target(
            kind="local",
            region=self.options.region,
            webhook_url="",  # known once the gateway listens
            api_key=api_key_from_state(state),
            outputs=outputs,
            functions=functions_from_state(state, outputs),
            endpoint_url=self.moto.url,
            stream_arn=stream_arn_from_state(state, outputs["table_name"]),
            pid=os.getpid(),
        )

    def _set_secrets(self, target: Target) -> tuple[str, str]:
        # As ``rotate-secret`` does: the parameters do not exist yet, they are created under the app key.
        adapter = key_rotation.ParameterAdapter(target.client("ssm"))
        key_arn = str(target.output("app_key_arn"))
        result = key_rotation.rotate_add(
            adapter, target.parameter("SIGNING_KEYS_PARAMETER"), datetime.now(UTC), key_arn=key_arn
        )
        key_rotation.init_fingerprint(adapter, target.parameter("FINGERPRINT_KEY_PARAMETER"), key_arn=key_arn)
        assert result.key_set is not None
        return result.key_set.newest()

    def _start_servers(self, target: Target) -> Target:
        opts = self.options
        self._log = open(opts.stage_dir / "functions.log", "a", encoding="utf-8")  # noqa: SIM115 - closed in down()
        functions = LocalFunctions(target.functions, target.aws_environment(), region=target.region, log=self._log)
        self.functions = functions
        stage_name = str(target.output("webhook_url")).rstrip("/").split("/")[-2]
        self.gateway = LocalGatewayServer(
            free_port(),
            stage=stage_name,
            api_key=target.api_key,
            webhook=lambda event: functions.call("webhook", event),
            on_log=lambda line: opts.say(f"[gateway] {line}"),
        ).start()
        sqs = target.client("sqs")
        dlq_url = str(target.output("dlq_url"))
        assert target.stream_arn is not None
        self.pump = StreamPump(
            target.client("dynamodbstreams"),
            target.stream_arn,
            lambda event: functions.call("stream", event),
            function_arn=str(target.output("stream_alias_arn")),
            send_failure=lambda body: sqs.send_message(QueueUrl=dlq_url, MessageBody=body),
            settings=PumpSettings(poll_seconds=opts.pump_poll_seconds),
            say=lambda line: opts.say(f"[stream] {line}"),
        ).start()
        self.scheduler = Scheduler(
            run=lambda event: functions.call("batch", event), say=lambda line: opts.say(f"[schedule] {line}")
        )
        if opts.schedule:
            self.scheduler.start()
        return dataclasses.replace(target, webhook_url=self.gateway.url, extra={"timings": self.timings})

    def example(self, now: int | None = None) -> tuple[str, bytes, dict[str, str]]:
        """A concrete signed request: (curl command, body, headers), valid for 5 minutes."""
        assert self.target is not None and self.signing_key is not None
        timestamp = int(time.time()) if now is None else now
        body = samples.encode(
            samples.transaction(f"curl{timestamp}", "example", amount=25.0, card_token=f"tok-curl-{timestamp}")
        )
        headers = samples.signed_headers(self.signing_key[1], body, timestamp, self.target.api_key)
        return samples.curl_command(self.target.webhook_url, headers, body), body, headers

    def ready_message(self) -> str:
        assert self.target is not None and self.signing_key is not None
        curl, _, _ = self.example()
        key_id, secret = self.signing_key
        steps = "\n".join(f"  {label:<55} {seconds:>6.1f} s" for label, seconds in self.timings.items())
        return f"""
READY  local stage (moto at {self.target.endpoint_url})
  webhook URL : {self.target.webhook_url}
  API key     : {self.target.api_key}          (header x-api-key)
  signing key : {key_id} = {secret}
  sign        : X-Fraud-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
                (fraud_detection.signing.sign; accepted for 300 s around the timestamp)
  try (signed just now, valid for 5 minutes):
{curl}
  more        : .venv/bin/python -m fraud_ops.cli send | batch --now | report --day YYYY-MM-DD | redrive-dlq
  batch now   : kill -USR1 {os.getpid()}   (or: .venv/bin/python -m fraud_ops.cli batch --now)
  stop        : Ctrl-C, or make local-down
step timings:
{steps}
"""

    def down(self) -> None:
        """Stop servers, destroy applied stacks in reverse order, stop moto; never raises."""
        say = self.options.say
        for name in ("scheduler", "pump", "gateway"):
            server = getattr(self, name)
            if server is not None:
                with contextlib.suppress(Exception):
                    server.stop()
                setattr(self, name, None)
        if self.runner is not None and self.moto is not None:
            for stack in reversed(self.applied):
                start = time.monotonic()
                try:
                    self.runner.destroy(stack)
                    say(f"[local] destroy {stack}: done in {time.monotonic() - start:.1f} s")
                except Exception as error:  # the emulator is discarded below anyway
                    say(f"[local] destroy {stack} failed (emulator discarded anyway): {str(error)[:500]}")
            self.applied.clear()
        if self.moto is not None:
            self.moto.stop()
            self.moto = None
            say("[local] moto stopped")
        if self._log is not None:
            self._log.close()
            self._log = None
        with contextlib.suppress(FileNotFoundError):
            self.stage_file.unlink()


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
        lambda *_: threading.Thread(target=stage.scheduler.trigger_now, daemon=True).start()
        if stage.scheduler
        else None,
    )
    try:
        stage.up()
        print(stage.ready_message(), flush=True)
        while not stop.wait(1):
            pass
        print("\n[local] stopping ...", flush=True)
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


def stop_running(stage_dir: Path = STAGE_DIR, timeout: float = 600) -> int:
    """``make local-down``: SIGTERM the PID in the PID file, wait until it has cleaned up."""
    pid_file = stage_dir / PID_FILE.name
    if not pid_file.exists():
        print("no local stage is running")
        return 0
    pid = int(pid_file.read_text() or 0)
    if not _alive(pid):
        pid_file.unlink()
        print(f"stale PID file removed (PID {pid} is gone)")
        return 0
    os.kill(pid, signal.SIGTERM)
    print(f"stopping local stage (PID {pid}): destroying stacks, stopping servers ...")
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(1)
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
    sub.add_parser("down", help="stop the running local stage (destroys stacks, stops servers)")
    args = parser.parse_args(argv)
    if args.command == "down":
        return stop_running()
    return run_foreground(StageOptions(schedule=not args.no_schedule))


if __name__ == "__main__":
    sys.exit(main())
