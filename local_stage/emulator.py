"""Apply the synthesized stacks to a local AWS emulator (moto), without touching what we ship.

Used by the end-to-end test (``tests/e2e``) and meant for a future ``make local``:

    with MotoServer.start() as moto:
        runner = StackRunner(synth_outdir, workdir, moto.url)
        runner.apply("bootstrap"); runner.apply("registry")
        put_image(moto.url, "fraud-detection-dev", "src-...")
        runner.apply("app")
        ...
        runner.destroy("app")

How it stays out of the shipped JSON: each stack directory of ``cdktf.out`` is *copied* to a
working directory, and a Terraform override file (``zz_emulator_override.tf.json``, merged last
by Terraform) points the AWS provider at the emulator, supplies dummy credentials, skips the
account/metadata checks and replaces the backend with a local state file in the copy. The CLI
config of :mod:`fraud_ops.terraform` (``TF_CLI_CONFIG_FILE``, set only in the child's
environment) installs the provider from the offline mirror when present and shares one plugin
cache across stacks. Known emulator gaps are patched in the copy only
(:data:`EMULATOR_RESOURCE_PATCHES`, each with its reason).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fraud_ops.terraform import write_cli_config

OVERRIDE_FILE = "zz_emulator_override.tf.json"
DUMMY_CREDENTIALS = {"access_key": "testing", "secret_key": "testing"}

# Every AWS service the stacks use (provider ``endpoints`` block keys).
EMULATED_SERVICES = (
    "apigateway",
    "cloudwatch",
    "cloudwatchlogs",
    "dynamodb",
    "ecr",
    "events",
    "iam",
    "kms",
    "lambda",
    "s3",
    "sns",
    "sqs",
    "ssm",
    "sts",
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MotoServer:
    """A ``moto.server`` child process on 127.0.0.1 and a free port; stop() always reaps it."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(
        cls, *, log_path: Path | None = None, timeout: float = 60.0, environ: Mapping[str, str] | None = None
    ) -> MotoServer:
        port = free_port()
        env = dict(os.environ if environ is None else environ)
        # Lambda must find the image in the emulated ECR by digest, as in AWS.
        env.setdefault("MOTO_LAMBDA_STUB_ECR", "false")
        log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115 - closed by the child
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        server = cls(port=port, process=process, log_path=log_path)
        try:
            server._wait_ready(timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self.process.returncode} (log: {self.log_path})")
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=2):  # noqa: S310 - local URL
                    return
            except OSError:
                time.sleep(0.25)
        raise TimeoutError(f"moto_server did not answer on {self.url} within {timeout} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def __enter__(self) -> MotoServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def provider_override(
    endpoint: str, region: str, tf_json: Mapping[str, Any] | None = None, *, local_state: bool = True
) -> dict[str, Any]:
    """Override-file content: the AWS provider talks to ``endpoint``; with ``local_state`` the state is a
    local file of the copy (otherwise the stack's own backend stays, see :func:`s3_backend_config`)."""
    override: dict[str, Any] = {
        "provider": {
            "aws": [
                {
                    "region": region,
                    **DUMMY_CREDENTIALS,
                    "skip_credentials_validation": True,
                    "skip_requesting_account_id": True,
                    "skip_metadata_api_check": "true",
                    "skip_region_validation": True,
                    "s3_use_path_style": True,
                    "endpoints": [{service: endpoint for service in EMULATED_SERVICES}],
                }
            ]
        },
    }
    if local_state:
        override["terraform"] = {"backend": {"local": {"path": "terraform.tfstate"}}}
    patches = resource_patches(tf_json or {})
    if patches:
        override["resource"] = patches
    return override


# moto 5.2.1 gaps, patched in the *working copy only* (the shipped JSON is never changed):
# - UpdateAccount crashes (KeyError 'value', HTTP 500) on the value-less patch operation that
#   ``reset_on_delete`` sends on destroy: the copy keeps the account setting on destroy.
EMULATOR_RESOURCE_PATCHES: Mapping[str, Mapping[str, Any]] = {
    "aws_api_gateway_account": {"reset_on_delete": False},
}


def _lifecycle_rules_for_moto(rules: Any) -> Any:
    """moto 5.2.1 does not implement ``ObjectSizeGreaterThan`` (it drops it from an ``And``
    filter), so the provider's wait for the configuration to read back as written never ends
    (create times out after 3 minutes). In the copy, a filter ``and { prefix, size > 0 }`` becomes
    ``prefix`` alone: the same objects, since every object is larger than 0 bytes."""
    if isinstance(rules, list):
        return [_lifecycle_rules_for_moto(item) for item in rules]
    if not isinstance(rules, dict):
        return rules
    patched = {key: _lifecycle_rules_for_moto(value) for key, value in rules.items()}
    conditions = patched.get("and")
    if isinstance(conditions, list) and len(conditions) == 1:
        condition = conditions[0]
        if condition.get("object_size_greater_than") == 0 and set(condition) == {"prefix", "object_size_greater_than"}:
            del patched["and"]
            patched["prefix"] = condition["prefix"]
    return patched


def resource_patches(tf_json: Mapping[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Override-file ``resource`` entries with the emulator workarounds that apply to a stack."""
    patches: dict[str, dict[str, dict[str, Any]]] = {}
    declared = tf_json.get("resource", {})
    for resource_type, patch in EMULATOR_RESOURCE_PATCHES.items():
        for name in declared.get(resource_type, {}):
            patches.setdefault(resource_type, {})[name] = dict(patch)
    for name, config in declared.get("aws_s3_bucket_lifecycle_configuration", {}).items():
        rules = config.get("rule")
        patched = _lifecycle_rules_for_moto(rules)
        if patched != rules:
            # An override replaces *all* nested blocks of a type, so the whole rule list is written.
            patches.setdefault("aws_s3_bucket_lifecycle_configuration", {})[name] = {"rule": patched}
    return patches


def s3_backend_config(endpoint: str) -> str:
    """A ``-backend-config`` file (HCL) that points a stack's S3 backend at the emulator: its S3
    endpoint, path-style addressing, dummy credentials and no AWS account/region checks. Bucket, key,
    region, ``kms_key_id`` and locking stay as synthesized."""
    lines = [
        f'endpoints = {{ s3 = "{endpoint}", sts = "{endpoint}" }}',
        "use_path_style = true",
        f'access_key = "{DUMMY_CREDENTIALS["access_key"]}"',
        f'secret_key = "{DUMMY_CREDENTIALS["secret_key"]}"',
        "skip_credentials_validation = true",
        "skip_region_validation = true",
        "skip_requesting_account_id = true",
        "skip_metadata_api_check = true",
        "skip_s3_checksum = true",
    ]
    return "\n".join(lines) + "\n"


# moto 5.2.1 gaps of a *running* deployment (the functions run in-process, see local_stage.stage),
# patched in working copies only (the harness's own patches above apply as well):
# - aws_lambda_event_source_mapping: with a DynamoDB-stream mapping registered, every table
#   write makes moto invoke the function itself (Docker) and then *drop the stream records*, so
#   nothing could read them. No mapping is created in the emulator; StreamPump plays its role.
# - aws_s3_bucket_policy: moto evaluates a bucket policy's Deny but ignores its Condition, so
#   the TLS-only statement (Deny s3:* if aws:SecureTransport is false) denies every object
#   read and write, and the state bucket's "only with the state key" Deny every state write.
#   The emulator buckets have no policy (the endpoint is loopback HTTP anyway).
WORKLOAD_OVERRIDE_FILE = "zz_local_stage_override.tf.json"
WORKLOAD_RESOURCE_PATCHES: Mapping[str, Mapping[str, Any]] = {
    "aws_lambda_event_source_mapping": {"count": 0},
    "aws_s3_bucket_policy": {"count": 0},
}


def workload_patches(tf_json: Mapping[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Override-file ``resource`` entries of :data:`WORKLOAD_RESOURCE_PATCHES` for a stack's resources."""
    patches: dict[str, dict[str, dict[str, Any]]] = {}
    for resource_type, patch in WORKLOAD_RESOURCE_PATCHES.items():
        for name in tf_json.get("resource", {}).get(resource_type, {}):
            patches.setdefault(resource_type, {})[name] = dict(patch)
    return patches


def write_workload_override(stack_dir: Path, tf_json: Mapping[str, Any]) -> None:
    patches = workload_patches(tf_json)
    if patches:
        (stack_dir / WORKLOAD_OVERRIDE_FILE).write_text(json.dumps({"resource": patches}, indent=2))


def managed_resource_count(tf_json: Mapping[str, Any]) -> int:
    """Resources (not data sources) a stack declares."""
    return sum(len(items) for items in tf_json.get("resource", {}).values())


# A minimal single-image manifest (no layers): enough for ECR to record a tag and a digest.
IMAGE_MANIFEST: Mapping[str, Any] = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {
        "mediaType": "application/vnd.docker.container.image.v1+json",
        "size": 2,
        "digest": "sha256:" + hashlib.sha256(b"{}").hexdigest(),
    },
    "layers": [],
}


def put_manifest(ecr: Any, repository: str, tag: str, manifest: Mapping[str, Any] = IMAGE_MANIFEST) -> str:
    """``PutImage`` of ``manifest`` under ``tag`` with any ECR client (moto); returns its digest."""
    response = ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)
    return str(response["image"]["imageId"]["imageDigest"])


def put_image(endpoint: str, repository: str, tag: str, region: str = "us-east-1") -> str:
    """Push a minimal image manifest under ``tag`` to the emulated ECR; returns its digest."""
    import boto3  # dev dependency; imported late so the module loads without it

    ecr = boto3.client(
        "ecr",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=DUMMY_CREDENTIALS["access_key"],
        aws_secret_access_key=DUMMY_CREDENTIALS["secret_key"],
    )
    return put_manifest(ecr, repository, tag)


class TerraformError(RuntimeError):
    """A Terraform command failed; the message carries the command and the end of its output."""


@dataclass
class StackRunner:
    """Runs Terraform for copies of synthesized stacks against one emulator endpoint."""

    synth_outdir: Path
    workdir: Path
    endpoint: str
    region: str = "us-east-1"
    terraform: str = "terraform"
    timings: dict[str, float] = field(default_factory=dict)
    command_timeout: float = 600.0
    echo: bool = False
    """Also stream Terraform's output to this process's stdout/stderr as it runs (make targets)."""

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.cli_config_path = write_cli_config(self.workdir / "terraform-cli")

    def stack_dir(self, stack: str) -> Path:
        return self.workdir / "stacks" / stack

    def prepare(self, stack: str) -> Path:
        """Copy the synthesized stack and add the override file (the original is never modified)."""
        source = self.synth_outdir / "stacks" / stack
        target = self.stack_dir(stack)
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
        tf_json = json.loads((source / "cdk.tf.json").read_text())
        override = provider_override(self.endpoint, self.region, tf_json)
        (target / OVERRIDE_FILE).write_text(json.dumps(override, indent=2))
        return target

    def declared_resources(self, stack: str) -> int:
        return managed_resource_count(json.loads((self.synth_outdir / "stacks" / stack / "cdk.tf.json").read_text()))

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        env.update(
            TF_CLI_CONFIG_FILE=str(self.cli_config_path),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            CHECKPOINT_DISABLE="1",
            AWS_EC2_METADATA_DISABLED="true",
        )
        return env

    def run(self, stack: str, *args: str, ok_codes: tuple[int, ...] = (0,)) -> str:
        """Run one Terraform command in the stack's copy; the full output goes to ``logs/<stack>.log``."""
        return self._run(stack, args, ok_codes)[1]

    def _run(self, stack: str, args: tuple[str, ...], ok_codes: tuple[int, ...]) -> tuple[int, str]:
        try:
            returncode, stdout, stderr = self._execute(stack, args)
        except subprocess.TimeoutExpired as error:
            raise TerraformError(f"{stack}: terraform {' '.join(args)} timed out") from error
        logs = self.workdir / "logs"
        logs.mkdir(exist_ok=True)
        with (logs / f"{stack}.log").open("a") as log:
            log.write(f"$ terraform {' '.join(args)}  (exit {returncode})\n{stdout}\n{stderr}\n")
        if returncode not in ok_codes:
            tail = (stdout[-4000:] + "\n" + stderr[-8000:]).strip()
            raise TerraformError(f"{stack}: terraform {' '.join(args)} failed ({returncode}):\n{tail}")
        return returncode, stdout

    def _execute(self, stack: str, args: tuple[str, ...]) -> tuple[int, str, str]:
        """(exit code, stdout, stderr); with ``echo`` each line is also written through as it comes."""
        command = [self.terraform, *args]
        if not self.echo:
            done = subprocess.run(
                command,
                cwd=self.stack_dir(stack),
                env=self._env(),
                capture_output=True,
                text=True,
                timeout=self.command_timeout,
                check=False,
            )
            return done.returncode, done.stdout, done.stderr
        process = subprocess.Popen(
            command,
            cwd=self.stack_dir(stack),
            env=self._env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        captured: dict[str, list[str]] = {"out": [], "err": []}

        def pump(stream: Any, sink: Any, lines: list[str]) -> None:
            for line in stream:
                lines.append(line)
                sink.write(line)
                sink.flush()

        pumps = [
            threading.Thread(target=pump, args=(process.stdout, sys.stdout, captured["out"]), daemon=True),
            threading.Thread(target=pump, args=(process.stderr, sys.stderr, captured["err"]), daemon=True),
        ]
        for thread in pumps:
            thread.start()
        try:
            returncode = process.wait(timeout=self.command_timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        for thread in pumps:
            thread.join()
        return returncode, "".join(captured["out"]), "".join(captured["err"])

    def _timed(self, label: str) -> contextlib.AbstractContextManager[None]:
        @contextlib.contextmanager
        def timer() -> Iterator[None]:
            start = time.monotonic()
            try:
                yield
            finally:
                self.timings[label] = round(time.monotonic() - start, 1)

        return timer()

    def init_args(self, stack: str) -> tuple[str, ...]:
        """Extra ``terraform init`` arguments for a stack (none here; see fraud_ops.deploy)."""
        return ()

    def init(self, stack: str, *extra: str) -> None:
        self.run(stack, "init", "-no-color", "-input=false", *self.init_args(stack), *extra)

    def apply(self, stack: str) -> None:
        self.prepare(stack)
        with self._timed(f"init {stack}"):
            self.init(stack)
        with self._timed(f"apply {stack}"):
            self.run(stack, "apply", "-no-color", "-input=false", "-auto-approve", "-parallelism=10")

    def state_resources(self, stack: str) -> list[str]:
        """Managed resource addresses in state (data sources excluded)."""
        listing = self.run(stack, "state", "list").split()
        return [address for address in listing if not address.startswith("data.") and ".data." not in address]

    def outputs(self, stack: str) -> dict[str, Any]:
        raw = json.loads(self.run(stack, "output", "-json", "-no-color"))
        return {name: value.get("value") for name, value in raw.items()}

    def plan_is_empty(self, stack: str) -> bool:
        """``plan -detailed-exitcode`` after an apply: True when nothing would change (no drift)."""
        code, _ = self._run(stack, ("plan", "-no-color", "-input=false", "-detailed-exitcode"), ok_codes=(0, 2))
        return code == 0

    def destroy(self, stack: str) -> None:
        with self._timed(f"destroy {stack}"):
            self.run(stack, "destroy", "-no-color", "-input=false", "-auto-approve", "-parallelism=10")
