"""The first deployment, one make target per step (docs/deploy.md walks a real account through it).

    make deploy-bootstrap          bootstrap on local state (state/<env>/bootstrap.tfstate)
    make migrate-bootstrap-state   move that state into the bucket bootstrap created (FRAUD_BACKEND=s3 ...)
    make deploy-registry           ECR repository
    make pin-base-image; make image   build and push the Lambda image (Docker, registry access)
    make deploy-app                everything else; the webhook answers 503 until the next step
    make set-secrets               create the signing-key sets (webhook, labels) and card-fingerprint parameters
    make check-alert-subscription  is the alert e-mail subscription confirmed yet?

Each target runs ``python -m fraud_ops.deploy <step>``: validate the configuration (stacks.config),
synthesize (``python main.py``), then Terraform in ``cdktf.out/stacks/<stack>`` itself, so the
local backend's relative path lands in ``state/<env>/`` as before. Terraform is run by the
project's one runner (:class:`fraud_ops.terraform.StackRunner`, in place) with the offline provider
mirror when the machine has one.

``FRAUD_EMULATOR_ENDPOINT=http://127.0.0.1:<port>`` (a moto server) makes the same steps deploy to
the emulator: the emulator override file (``local_stage.emulator_patches``: provider endpoints,
dummy credentials, the registered moto-gap patches), the S3 backend pointed at moto through a
``-backend-config`` file (endpoint, path-style, dummy credentials, no account checks), boto3 calls
of this module sent to the emulator, and ``make image`` pushes a bare manifest (no Docker needed).
Nothing of that reaches the synthesized JSON: those files sit next to it and are removed again by
a run without the variable.

``CDKTF_OUTDIR`` moves the synth output (and with it ``state/``, its sibling) elsewhere, e.g. a
test's temporary directory. The new signing secrets of ``set-secrets`` (the senders' and the labellers')
are written to new mode-600 files under ``FRAUD_SECRET_DIR`` (default ``.local/secrets``), never to
stdout (CI logs).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fraud_detection import contract
from fraud_ops import key_rotation
from fraud_ops.synth import SynthError
from fraud_ops.synth import synthesize as run_synth
from fraud_ops.targets import ROOT
from fraud_ops.terraform import StackRunner, TerraformError
from fraud_ops.timing import timed
from local_stage.emulator import emulator_client, put_image
from local_stage.emulator_patches import OVERRIDE_FILE, s3_backend_config, write_override
from stacks.config import AppConfig, ConfigError, load_config
from tools.preflight import concurrency_problem, expected_image, image_exists

EMULATOR_VARIABLE = "FRAUD_EMULATOR_ENDPOINT"
SECRET_DIR_VARIABLE = "FRAUD_SECRET_DIR"  # noqa: S105 - a variable name, not a secret
BACKEND_CONFIG_FILE = "emulator.s3.tfbackend"
_EMULATOR_URL = re.compile(r"^http://(127\.0\.0\.1|localhost):\d{1,5}$")
# (zz_local_stage_override.tf.json: the second override file of earlier versions, removed if still there)
EMULATOR_ONLY_FILES = (OVERRIDE_FILE, BACKEND_CONFIG_FILE, "zz_local_stage_override.tf.json")


class DeployError(RuntimeError):
    """A step cannot run (wrong order, missing setting); the message says what to do. Nothing changed."""


@dataclass(frozen=True)
class Deployment:
    """Where and what: the validated configuration, the synth output directory, the emulator (or None)."""

    config: AppConfig
    outdir: Path
    endpoint: str | None
    secret_dir: Path
    environ: Mapping[str, str]

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Deployment:
        context = json.loads((ROOT / "cdktf.json").read_text()).get("context", {})
        config = load_config(context, environ)  # ConfigError names the setting
        endpoint = environ.get(EMULATOR_VARIABLE) or None
        if endpoint is not None and not _EMULATOR_URL.fullmatch(endpoint):
            raise DeployError(
                f"{EMULATOR_VARIABLE}={endpoint!r} is not a local emulator URL (http://127.0.0.1:<port>); "
                "unset it to deploy to the AWS account of your credentials"
            )
        outdir = Path(environ.get("CDKTF_OUTDIR") or ROOT / "cdktf.out").resolve()
        secret_dir = Path(environ.get(SECRET_DIR_VARIABLE) or ROOT / ".local" / "secrets").resolve()
        return cls(config, outdir, endpoint, secret_dir, dict(environ))

    @property
    def where(self) -> str:
        return f"the emulator at {self.endpoint}" if self.endpoint else f"AWS ({self.config.region})"

    def client(self, service: str, region: str | None = None) -> Any:
        """A boto3 client for this deployment: the account of the usual AWS credentials, or the emulator."""
        return emulator_client(service, self.endpoint, region or self.config.region)

    def runner(self) -> DeployRunner:
        return DeployRunner(
            self.outdir,
            self.outdir.parent / ".local" / "deploy",
            isolated=self.endpoint is not None,
            command_timeout=3600.0,
            endpoint=self.endpoint or "",
            region=self.config.region,
        )


@dataclass
class DeployRunner(StackRunner):
    """The project's Terraform runner, in place in ``<outdir>/stacks/<stack>``; with an emulator endpoint it
    adds the emulator files there, without one it removes any left from an emulator run."""

    endpoint: str = ""
    region: str = "us-east-1"

    def tf_json(self, stack: str) -> dict[str, Any]:
        path = self.stack_dir(stack) / "cdk.tf.json"
        if not path.is_file():
            raise DeployError(f"{path} does not exist: the synth did not write the {stack} stack")
        return dict(json.loads(path.read_text()))

    def backend(self, stack: str) -> tuple[str, dict[str, Any]]:
        """(type, settings) of the synthesized backend, e.g. ("s3", {"bucket": ..., "key": ...})."""
        ((kind, settings),) = self.tf_json(stack)["terraform"]["backend"].items()
        return str(kind), dict(settings)

    def prepare(self, stack: str) -> Path:
        target = self.stack_dir(stack)
        tf_json = self.tf_json(stack)
        for name in EMULATOR_ONLY_FILES:
            (target / name).unlink(missing_ok=True)
        if self.endpoint:
            write_override(target, self.endpoint, self.region, tf_json, local_state=False)
            if self.backend(stack)[0] == "s3":
                (target / BACKEND_CONFIG_FILE).write_text(s3_backend_config(self.endpoint))
        return target

    def init_args(self, stack: str) -> tuple[str, ...]:
        config = self.stack_dir(stack) / BACKEND_CONFIG_FILE
        return (f"-backend-config={config.name}",) if config.is_file() else ()

    def recorded_backend(self, stack: str) -> dict[str, Any] | None:
        """The backend ``terraform init`` last recorded in the working directory (None: never initialised)."""
        record = self.stack_dir(stack) / ".terraform" / "terraform.tfstate"
        if not record.is_file():
            return None
        return dict(json.loads(record.read_text()).get("backend") or {}) or None

    def apply_here(self, stack: str) -> None:
        """prepare + init + apply, Terraform's output streamed (the make target shows the plan)."""
        self.echo = True
        try:
            self.apply(stack)
        finally:
            self.echo = False


# ---------------------------------------------------------------- steps


def synthesize(deployment: Deployment, say: Callable[[str], None]) -> None:
    """``python main.py`` (what ``cdktf synth`` runs) into the deployment's output directory."""
    timings: dict[str, float] = {}
    with timed("synth", timings):
        run_synth(deployment.outdir, deployment.environ)
    say(f"synthesized into {deployment.outdir} in {timings['synth']:.0f} s")


def step_bootstrap(deployment: Deployment, say: Callable[[str], None]) -> int:
    synthesize(deployment, say)
    runner = deployment.runner()
    runner.apply_here("bootstrap")
    outputs = runner.outputs("bootstrap")
    kind, settings = runner.backend("bootstrap")
    say(f"bootstrap applied to {deployment.where}; state: {kind} {settings.get('key') or settings.get('path')}")
    say(f"  state_bucket_name = {outputs['state_bucket_name']}")
    say(f"  state_key_arn     = {outputs['state_key_arn']}")
    if kind == "local":
        say(
            "next: move this state into the bucket:\n"
            f"  export FRAUD_BACKEND=s3 FRAUD_STATE_BUCKET={outputs['state_bucket_name']} "
            f"FRAUD_STATE_KMS_KEY_ARN={outputs['state_key_arn']}\n"
            "  make migrate-bootstrap-state"
        )
    return 0


def step_migrate_bootstrap_state(deployment: Deployment, say: Callable[[str], None]) -> int:
    """Moves bootstrap's state to the backend the configuration names: into the bucket (``FRAUD_BACKEND=s3``,
    the first deployment) or back out of it (``FRAUD_BACKEND=local``, before destroying bootstrap)."""
    backend = deployment.config.backend
    runner = deployment.runner()
    recorded = runner.recorded_backend("bootstrap")
    if recorded is None:
        raise DeployError(
            f"{runner.stack_dir('bootstrap')} was never initialised: run make deploy-bootstrap first "
            "(with the local backend). Nothing was changed."
        )
    if recorded.get("type") == backend.kind == "s3":
        say("bootstrap's state is already in the S3 backend; checking it")
        synthesize(deployment, say)
        runner.prepare("bootstrap")
        runner.init("bootstrap")
        return _verify_state_object(deployment, runner, say)
    if recorded.get("type") == backend.kind:
        raise DeployError(
            "bootstrap's state is local and so is the configured backend: to move it into the bucket set "
            "FRAUD_BACKEND=s3, FRAUD_STATE_BUCKET=<bootstrap output state_bucket_name> and "
            "FRAUD_STATE_KMS_KEY_ARN=<bootstrap output state_key_arn>. Nothing was changed."
        )
    if backend.kind == "s3":
        local_path = (runner.stack_dir("bootstrap") / str(recorded.get("config", {}).get("path"))).resolve()
        before = json.loads(local_path.read_text()) if local_path.is_file() else {}
        if not before.get("resources"):
            raise DeployError(f"no bootstrap state at {local_path}: run make deploy-bootstrap first. Nothing changed.")
    else:
        before = json.loads(runner.run("bootstrap", "state", "pull"))  # still the S3 backend's
    synthesize(deployment, say)
    if backend.kind == "local":
        _, settings = runner.backend("bootstrap")
        local_path = (runner.stack_dir("bootstrap") / str(settings["path"])).resolve()
        if local_path.exists():
            raise DeployError(f"{local_path} exists: move it away first, the migration would overwrite it")
    runner.prepare("bootstrap")
    runner.echo = True
    try:
        runner.init("bootstrap", "-migrate-state", "-force-copy")
    finally:
        runner.echo = False
    after = json.loads(runner.run("bootstrap", "state", "pull"))
    if _addresses(after) != _addresses(before):  # (the copy gets a new lineage and serial)
        raise DeployError(f"the migrated state does not hold the same resources as {local_path}; check both")
    if backend.kind == "local":
        say(
            f"bootstrap's state is back in {local_path}; the object in the bucket is left as it was "
            "(delete the bucket's objects before destroying bootstrap: docs/deploy.md)"
        )
        return 0
    code = _verify_state_object(deployment, runner, say)
    # The local copy is stale from now on: keep it for reference under a name no backend reads.
    aside = local_path.with_name(local_path.name + ".migrated")
    local_path.replace(aside)
    say(f"the local state file is now {aside} (not read by anything; delete it once you are satisfied)")
    return code


def _addresses(state: Mapping[str, Any]) -> set[tuple[str, ...]]:
    return {
        (str(item.get("module", "")), str(item["mode"]), str(item["type"]), str(item["name"]), str(index))
        for item in state.get("resources", [])
        for index, _ in enumerate(item.get("instances", []))
    }


def _verify_state_object(deployment: Deployment, runner: DeployRunner, say: Callable[[str], None]) -> int:
    """The bootstrap state object exists in the bucket, encrypted under the state key."""
    _, settings = runner.backend("bootstrap")
    head = deployment.client("s3", settings.get("region")).head_object(Bucket=settings["bucket"], Key=settings["key"])
    key_id = head.get("SSEKMSKeyId")
    if key_id != settings.get("kms_key_id"):
        location = f"s3://{settings['bucket']}/{settings['key']}"
        raise DeployError(f"{location} is encrypted with {key_id!r}, not the state key")
    say(f"bootstrap state: s3://{settings['bucket']}/{settings['key']} (SSE-KMS, state key {key_id})")
    return 0


def step_registry(deployment: Deployment, say: Callable[[str], None]) -> int:
    synthesize(deployment, say)
    runner = deployment.runner()
    runner.apply_here("registry")
    say(f"registry applied to {deployment.where}: {runner.outputs('registry')}")
    say("next: make pin-base-image (once), make image")
    return 0


def step_emulator_image(deployment: Deployment, say: Callable[[str], None]) -> int:
    """``make image`` on the emulator: no Docker here, so a bare manifest under the expected tag."""
    if deployment.endpoint is None:
        raise DeployError(f"only with {EMULATOR_VARIABLE}: a real image is built and pushed by tools.build_image")
    region, repository, tag = expected_image(dict(deployment.environ))
    digest = put_image(deployment.endpoint, repository, tag, region)
    say(f"emulator: pushed a bare image manifest as {repository}:{tag} ({digest}); no Docker build")
    return 0


def step_app(deployment: Deployment, say: Callable[[str], None]) -> int:
    region, repository, tag = expected_image(dict(deployment.environ))
    if not image_exists(deployment.client("ecr", region), repository, tag):
        raise DeployError(f"image {repository}:{tag} is not in ECR ({region}): run make image first")
    if deployment.endpoint is None:
        problem = concurrency_problem(deployment.client("lambda", region), deployment.config)
        if problem:
            raise DeployError(problem)
    else:
        say("emulator: account concurrency not checked (moto has no Lambda GetAccountSettings)")
    synthesize(deployment, say)
    runner = deployment.runner()
    runner.apply_here("app")
    outputs = runner.outputs("app")
    say(f"app applied to {deployment.where}: webhook {outputs.get('webhook_url')}")
    say("next: make set-secrets (until then the webhook answers 503 with Retry-After)")
    return 0


def app_outputs(deployment: Deployment, say: Callable[[str], None]) -> dict[str, Any]:
    """The deployed app stack's outputs; a clear error when it is not deployed yet."""
    synthesize(deployment, say)
    runner = deployment.runner()
    runner.prepare("app")
    runner.init("app")
    outputs = runner.outputs("app")
    if not outputs.get("app_key_arn"):
        raise DeployError("the app stack is not deployed yet (its state has no outputs): run make deploy-app first")
    return outputs


def step_set_secrets(deployment: Deployment, say: Callable[[str], None]) -> int:
    outputs = app_outputs(deployment, say)
    configuration = deployment.client("lambda").get_function_configuration(
        FunctionName=outputs["webhook_function_name"]
    )
    variables = (configuration.get("Environment") or {}).get("Variables") or {}
    signing = variables[contract.ENV_SIGNING_KEYS_PARAMETER]
    fingerprint = variables[contract.ENV_FINGERPRINT_KEY_PARAMETER]
    labels = contract.label_signing_keys_parameter_name(deployment.config.environment)
    adapter = key_rotation.ParameterAdapter(deployment.client("ssm"))
    try:
        done = key_rotation.ensure_initial_secrets(
            adapter,
            signing,
            fingerprint,
            key_arn=str(outputs["app_key_arn"]),
            now=datetime.now(UTC),
            label_signing_name=labels,
        )
    except key_rotation.KeySetError as error:
        raise DeployError(str(error)) from error
    for message in done.messages:
        say(message)
    added = (
        (done.added_key, signing, key_rotation.WEBHOOK_KEYS, "signing", "sender"),
        (done.added_label_key, labels, key_rotation.LABEL_KEYS, "label signing", "labeller"),
    )
    for key, parameter, kind, what, holder in added:
        if key is None:
            continue
        key_id, secret = key
        path = key_rotation.write_secret_file(
            deployment.secret_dir, deployment.config.environment, parameter, key_id, secret, kind=kind
        )
        say(
            f"the new {what} secret ({key_id}) is in {path} (mode 600, not printed): "
            f"give it to the {holder} over a secure channel, then delete the file"
        )
    return 0


PENDING = "PendingConfirmation"


def step_check_alert_subscription(deployment: Deployment, say: Callable[[str], None]) -> int:
    topic_arn = str(app_outputs(deployment, say)["topic_arn"])
    return report_alert_subscriptions(deployment.client("sns"), topic_arn, say)


def report_alert_subscriptions(sns: Any, topic_arn: str, say: Callable[[str], None]) -> int:
    """Lists the topic's subscriptions. 0: the e-mail one is confirmed (or none is configured); 1: pending."""
    subscriptions = [
        item
        for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn)
        for item in page.get("Subscriptions", [])
    ]
    say(f"subscriptions of {topic_arn}:")
    for item in subscriptions:
        say(f"  {item['Protocol']:<6} {item['Endpoint']}  {item['SubscriptionArn']}")
    emails = [item for item in subscriptions if item["Protocol"] == "email"]
    if not emails:
        say("no e-mail subscription (setting alertEmail is not set): alarms reach no one by e-mail")
        return 0
    pending = [item["Endpoint"] for item in emails if item["SubscriptionArn"] == PENDING]
    if pending:
        say(
            f"still {PENDING}: {', '.join(pending)}. Open the mail 'AWS Notification - Subscription "
            "Confirmation' and click the link; alarms are not delivered by e-mail until then (the link "
            "expires after 3 days: then run make deploy-app again, which subscribes it anew)"
        )
        return 1
    say("the e-mail subscription is confirmed")
    return 0


def step_destroy(stack: str) -> Callable[[Deployment, Callable[[str], None]], int]:
    def destroy(deployment: Deployment, say: Callable[[str], None]) -> int:
        runner = deployment.runner()
        if stack == "bootstrap" and (runner.recorded_backend(stack) or {}).get("type") != "local":
            raise DeployError(
                "bootstrap's state lives in the bucket it would delete: move it out first with "
                "FRAUD_BACKEND=local make migrate-bootstrap-state, then empty the bucket (docs/deploy.md). "
                "Nothing was changed."
            )
        synthesize(deployment, say)
        runner.prepare(stack)
        runner.init(stack)
        runner.echo = True
        runner.destroy(stack)
        say(f"{stack} destroyed in {deployment.where}")
        return 0

    return destroy


STEPS: Mapping[str, Callable[[Deployment, Callable[[str], None]], int]] = {
    "bootstrap": step_bootstrap,
    "migrate-bootstrap-state": step_migrate_bootstrap_state,
    "registry": step_registry,
    "emulator-image": step_emulator_image,
    "app": step_app,
    "set-secrets": step_set_secrets,
    "check-alert-subscription": step_check_alert_subscription,
    "destroy-app": step_destroy("app"),
    "destroy-registry": step_destroy("registry"),
    "destroy-bootstrap": step_destroy("bootstrap"),
}


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fraud_ops.deploy", description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=sorted(STEPS))
    args = parser.parse_args(argv)

    def say(line: str) -> None:
        print(f"[{args.step}] {line}", flush=True)

    try:
        deployment = Deployment.from_environment(os.environ if environ is None else environ)
        return STEPS[args.step](deployment, say)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (DeployError, TerraformError, SynthError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
