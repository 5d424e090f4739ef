"""The first deployment of docs/deploy.md, make target by make target, on one moto server.

One module-scoped deployment (CI time: the stacks are applied once for every test here):
``make deploy-bootstrap`` -> ``migrate-bootstrap-state`` -> ``deploy-registry`` -> ``image`` ->
[the *previous* app, whose secret parameters were Terraform resources, secrets set with the CLI] ->
``deploy-app`` -> ``set-secrets`` -> ``check-alert-subscription``, each a ``make`` subprocess with
``FRAUD_EMULATOR_ENDPOINT`` set. There is no Docker here: ``make image`` pushes a bare manifest
under the expected tag (``local_stage.emulator.put_image``), nothing is built. After bootstrap the S3
backend is the bucket bootstrap created in moto (``FRAUD_BACKEND=s3``), as in an account.

Proves: every state object is written under the state key; the upgrade forgets the two secret
parameters without touching their values (an old signature still verifies, fingerprints are
unchanged); after a rotation, a refresh-only apply and a saved plan no secret is in any state,
plan, working directory or log; then the stacks are destroyed in reverse order (bootstrap after
its state was moved back out of the bucket). Slow: 7 to 8 minutes on 2 cores.

The deployment runs the **emulator profile** (``EMULATOR_PROFILE``): every option of the hardened
profile that moto can apply (VPC mode with endpoints and flow logs, WAF with an allow-list, server
access logs, audit replication to a second region, reserved concurrency per function), with protection
and provisioned concurrency off, so the Terraform of each option is applied and destroyed here, in the
same one deployment (README, "Profile options", lists what moto cannot check).
"""

from __future__ import annotations

import base64
import copy
import io
import json
import os
import secrets
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from fraud_detection import keys, privacy
from fraud_detection.contract import repository_name
from fraud_detection.key_set import PLACEHOLDER
from fraud_ops import deploy, samples
from fraud_ops.targets import api_key_from_state, functions_from_state
from fraud_ops.terraform import managed_resource_count
from local_stage import gateway
from local_stage.emulator import MotoServer, emulator_environment
from local_stage.emulator_patches import removed_resources
from local_stage.functions import LocalFunctions
from stacks.assembly import STACK_NAMES

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 3000
TARGETS_IN_ORDER = (
    "deploy-bootstrap",
    "migrate-bootstrap-state",
    "deploy-registry",
    "image",
    "deploy-app",
    "set-secrets",
    "check-alert-subscription",
)
ALERT_EMAIL = "oncall@example.com"
EMULATOR_PROFILE = {
    "FRAUD_VPC_MODE": "create",
    "FRAUD_WAF": "true",
    "FRAUD_WAF_ALLOWED_IPS": "52.94.76.0/22,2600:1f18::/36",
    "FRAUD_ACCESS_LOGS": "server",
    "FRAUD_AUDIT_REPLICA_REGION": "us-west-2",
    "FRAUD_WEBHOOK_RESERVED_CONCURRENCY": "20",
    "FRAUD_STREAM_RESERVED_CONCURRENCY": "4",
    "FRAUD_BATCH_RESERVED_CONCURRENCY": "2",
    "FRAUD_LABELS_RESERVED_CONCURRENCY": "2",
}
CARD_TOKEN = "tok-migration-0001"


@dataclass
class Deployment:
    """The one shared deployment and what the fixture observed while building it."""

    root: Path
    moto: MotoServer
    env: dict[str, str]
    logs: Path
    ran: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)  # make target -> its output
    bootstrap_outputs: dict[str, Any] = field(default_factory=dict)
    local_bootstrap_resources: int = 0
    old_values: dict[str, str] = field(default_factory=dict)  # parameter name -> value before the upgrade
    old_signing_key: tuple[str, str] = ("", "")
    expected_card_key: str = ""
    webhook_status: int = 0
    webhook_body: dict[str, Any] = field(default_factory=dict)
    webhook_signed_at: int = 0

    def deployment(self, **overrides: str) -> deploy.Deployment:
        return deploy.Deployment.from_environment({**self.env, **overrides})

    def runner(self) -> deploy.DeployRunner:
        return self.deployment().runner()

    def client(self, service: str) -> Any:
        return self.deployment().client(service)

    @property
    def state_bucket(self) -> str:
        return str(self.bootstrap_outputs["state_bucket_name"])

    @property
    def state_key_arn(self) -> str:
        return str(self.bootstrap_outputs["state_key_arn"])

    def make(self, target: str, **overrides: str) -> subprocess.CompletedProcess[str]:
        """``make <target>`` as a user runs it; its output goes to ``logs/<target>.log`` (searched below)."""
        started = time.monotonic()
        done = subprocess.run(
            ["make", "--no-print-directory", target],
            cwd=ROOT,
            env={**self.env, **overrides},
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        self.timings[target] = round(time.monotonic() - started, 1)
        (self.logs / f"{target}.log").write_text(f"{done.stdout}\n--- stderr ---\n{done.stderr}")
        self.ran.append(target)
        self.outputs[target] = done.stdout + done.stderr
        return done

    def make_ok(self, target: str, **overrides: str) -> str:
        done = self.make(target, **overrides)
        assert done.returncode == 0, (
            f"make {target} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
        return done.stdout

    def cli(self, *args: str) -> str:
        """The operator CLI against the deployment (``--target aws`` with boto3 pointed at moto)."""
        outputs = self.root / "app-outputs.json"
        outputs.write_text(self.runner().run("app", "output", "-json", "-no-color"))
        env = {**self.env, "AWS_REGION": "us-east-1", **emulator_environment(self.moto.url)}
        done = subprocess.run(
            [sys.executable, "-m", "fraud_ops.cli", *args, "--target", "aws", "--outputs", str(outputs)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        with (self.logs / "cli.log").open("a") as log:
            log.write(f"$ cli {' '.join(args)} (exit {done.returncode})\n{done.stdout}\n{done.stderr}\n")
        assert done.returncode == 0, done.stderr
        return done.stdout

    def parameter(self, name: str) -> str:
        return str(self.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])

    def webhook_environment(self) -> dict[str, str]:
        config = self.client("lambda").get_function_configuration(FunctionName="fraud-webhook-dev")
        return dict(config["Environment"]["Variables"])


def previous_app_json(new: dict[str, Any], environment: dict[str, str]) -> dict[str, Any]:
    """Today's app JSON, rebuilt from the new one: no ``removed`` blocks, and at the addresses they
    name the two ``aws_ssm_parameter`` resources with ``UNSET`` and ``ignore_changes = [value]``,
    granted by reference as before (the new JSON grants the ARN built from the name)."""
    old = copy.deepcopy(new)
    removed = old.pop("removed")
    parameters = old["resource"]["aws_ssm_parameter"]
    (settings,) = parameters.values()
    references: dict[str, str] = {}
    for block in removed:
        assert block["lifecycle"] == {"destroy": False}
        resource_type, logical_id = block["from"].split(".", 1)
        assert resource_type == "aws_ssm_parameter"
        variable = "SIGNING_KEYS_PARAMETER" if "signing-keys" in logical_id else "FINGERPRINT_KEY_PARAMETER"
        name = environment[variable]
        parameters[logical_id] = {
            "name": name,
            "type": "SecureString",
            "key_id": settings["key_id"],
            "description": "set by the rotation command",
            "value": PLACEHOLDER,
            "lifecycle": {"ignore_changes": ["value"]},
        }
        references[f":parameter{name}"] = f"${{aws_ssm_parameter.{logical_id}.arn}}"

    replaced: list[str] = []

    def by_reference(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: by_reference(item) for key, item in value.items()}
        if isinstance(value, list):
            return [by_reference(item) for item in value]
        if isinstance(value, str) and value.startswith("arn:"):
            for suffix, reference in references.items():
                if value.endswith(suffix):
                    replaced.append(suffix)
                    return reference
        return value

    old["data"] = by_reference(old["data"])
    assert sorted(set(replaced)) == sorted(references), replaced  # the grant named both by ARN
    return old


def call_webhook(deployed: Deployment, body: bytes, headers: dict[str, str]) -> gateway.GatewayResponse:
    """One request through the local stage's gateway and the real webhook handler in a fresh worker process
    (a cold start), with the function environment from the app's state (as ``make local`` runs it)."""
    state = json.loads(deployed.runner().run("app", "state", "pull"))
    outputs = {name: value["value"] for name, value in state["outputs"].items()}
    stage = str(outputs["webhook_url"]).rstrip("/").split("/")[-2]
    request = gateway.GatewayRequest("POST", f"/{stage}/webhook", list(headers.items()), body, "127.0.0.1")
    with LocalFunctions(  # the worker's log, deployed.logs/webhook.log, is searched for secrets too
        functions_from_state(state, outputs),
        emulator_environment(deployed.moto.url),
        region="us-east-1",
        log_dir=deployed.logs,
    ) as functions:
        return gateway.handle(
            request,
            stage=stage,
            api_key=api_key_from_state(state),
            webhook=lambda event: functions.call("webhook", event),
        )


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, test_config) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("first-deployment")
    logs = root / "logs"
    logs.mkdir()
    moto = MotoServer.start(log_path=root / "moto.log")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FRAUD_", "CDKTF_OUTDIR"))}
    env = (
        base
        | {
            deploy.EMULATOR_VARIABLE: moto.url,
            "CDKTF_OUTDIR": str(root / "cdktf.out"),
            deploy.SECRET_DIR_VARIABLE: str(root / "secrets"),
            "FRAUD_ENVIRONMENT": test_config.environment,
            "FRAUD_REGION": test_config.region,
            "FRAUD_IMAGE_TAG": str(test_config.image_tag),  # pinned: not the hash of a tree others edit
            "FRAUD_ALERT_EMAIL": ALERT_EMAIL,
        }
        | EMULATOR_PROFILE
    )
    deployed = Deployment(root=root, moto=moto, env=env, logs=logs)
    try:
        _build(deployed)
        print("\nfirst deployment timings (s):", json.dumps(deployed.timings, indent=1))
        yield deployed
    finally:
        moto.stop()


def _build(d: Deployment) -> None:
    d.make_ok("deploy-bootstrap")
    local_state = json.loads((d.root / "state" / "dev" / "bootstrap.tfstate").read_text())
    d.bootstrap_outputs = {name: value["value"] for name, value in local_state["outputs"].items()}
    d.local_bootstrap_resources = len([r for r in local_state["resources"] if r["mode"] == "managed"])
    d.env |= {
        "FRAUD_BACKEND": "s3",
        "FRAUD_STATE_BUCKET": d.state_bucket,
        "FRAUD_STATE_KMS_KEY_ARN": d.state_key_arn,
    }
    d.make_ok("migrate-bootstrap-state")
    d.make_ok("deploy-registry")
    d.make_ok("image")

    # The app as deployed before this change: the secrets are aws_ssm_parameter resources (UNSET).
    started = time.monotonic()
    deployment = d.deployment()
    deploy.synthesize(deployment, lambda line: None)
    runner = deployment.runner()
    app_json = runner.stack_dir("app") / "cdk.tf.json"
    new = json.loads(app_json.read_text())
    webhook = next(
        f["environment"]["variables"]
        for f in new["resource"]["aws_lambda_function"].values()
        if "SIGNING_KEYS_PARAMETER" in f["environment"]["variables"]
    )
    app_json.write_text(json.dumps(previous_app_json(new, webhook), indent=2))
    runner.apply("app")
    in_state = runner.state_resources("app")
    assert sum(a.startswith("aws_ssm_parameter.") for a in in_state) == 3, in_state
    d.timings["previous app"] = round(time.monotonic() - started, 1)

    # Real random keys, set with the CLI, then a request signed with them and a card fingerprint.
    d.cli("rotate-secret", "--add", "--secret-dir", str(d.root / "secrets"))
    d.cli("rotate-secret", "--init-fingerprint")
    names = d.webhook_environment()
    for variable in ("SIGNING_KEYS_PARAMETER", "FINGERPRINT_KEY_PARAMETER"):
        d.old_values[names[variable]] = d.parameter(names[variable])
    (d.old_signing_key,) = json.loads(d.old_values[names["SIGNING_KEYS_PARAMETER"]])["keys"].items()
    fingerprint_key = d.old_values[names["FINGERPRINT_KEY_PARAMETER"]].encode()
    d.expected_card_key = keys.card_key(privacy.token_fingerprint(fingerprint_key, CARD_TOKEN))
    state = json.loads(runner.run("app", "state", "pull"))
    d.webhook_signed_at = int(time.time())
    body = samples.encode(samples.transaction("migration", "approve", amount=25.0, card_token=CARD_TOKEN))
    headers = samples.signed_headers(d.old_signing_key[1], body, d.webhook_signed_at, api_key_from_state(state))

    d.make_ok("deploy-app")
    # Right away (the signature's timestamp is accepted for 300 s): the webhook after the upgrade.
    response = call_webhook(d, body, headers)
    d.webhook_status, d.webhook_body = response.status, json.loads(response.body)
    d.make_ok("set-secrets")
    d.make("check-alert-subscription")  # its exit code is asserted by its test


@pytest.mark.timeout(TIMEOUT)
def test_every_step_ran_in_order_through_make(deployed: Deployment) -> None:
    assert tuple(deployed.ran) == TARGETS_IN_ORDER
    assert "no Docker build" in deployed.outputs["image"]
    assert "next: make set-secrets" in deployed.outputs["deploy-app"]


@pytest.mark.timeout(TIMEOUT)
def test_every_state_object_is_written_under_the_state_key(deployed: Deployment, test_config) -> None:
    s3 = deployed.client("s3")
    versions = s3.list_object_versions(Bucket=deployed.state_bucket).get("Versions", [])
    prefix = f"fraud-detection/{test_config.environment}"
    state_keys = {v["Key"] for v in versions if v["Key"].endswith(".tfstate")}
    assert state_keys == {f"{prefix}/{stack}.tfstate" for stack in STACK_NAMES}
    for version in versions:  # current and noncurrent, state and lock objects
        head = s3.head_object(Bucket=deployed.state_bucket, Key=version["Key"], VersionId=version["VersionId"])
        assert head["ServerSideEncryption"] == "aws:kms", version["Key"]
        assert head["SSEKMSKeyId"] == deployed.state_key_arn, version["Key"]
    # Bootstrap's state moved into the bucket: same resources, and the local file no backend reads any more.
    local = deployed.root / "state" / "dev" / "bootstrap.tfstate"
    assert not local.exists() and local.with_name("bootstrap.tfstate.migrated").is_file()
    runner = deployed.runner()
    assert runner.recorded_backend("bootstrap")["type"] == "s3"
    assert len(runner.state_resources("bootstrap")) == deployed.local_bootstrap_resources


@pytest.mark.timeout(TIMEOUT)
def test_state_holds_what_the_json_declares(deployed: Deployment, test_config) -> None:
    """(Was tests/e2e/test_emulator_apply.py.) Every declared resource is in state, except exactly the
    ones the emulator patches to count 0 (moto gaps: bucket policies, the stream mapping)."""
    runner = deployed.runner()
    for stack in STACK_NAMES:
        tf_json = runner.tf_json(stack)
        patched = removed_resources(tf_json)
        in_state = runner.state_resources(stack)
        assert not patched & set(in_state), stack
        assert len(in_state) == managed_resource_count(tf_json) - len(patched), (stack, sorted(in_state))
    outputs = runner.outputs("app")
    digest = deployed.client("ecr").describe_images(
        repositoryName=repository_name(test_config.environment), imageIds=[{"imageTag": str(test_config.image_tag)}]
    )["imageDetails"][0]["imageDigest"]
    assert outputs["webhook_url"].endswith("/v1/webhook")
    assert outputs["image_uri"].endswith("@" + digest)
    assert outputs["webhook_function_name"] == "fraud-webhook-dev"
    assert sorted(outputs["schedule_rule_names"]) == ["fraud-batch-daily-report-dev", "fraud-batch-window-dev"]


@pytest.mark.timeout(TIMEOUT)
def test_the_emulator_profile_options_were_applied(deployed: Deployment) -> None:
    """Each option of the emulator profile exists in the emulator after the apply (what moto can hold)."""
    app = deployed.runner().state_resources("app")
    for kind in (
        "aws_vpc",
        "aws_vpc_endpoint",
        "aws_default_security_group",
        "aws_flow_log",
        "aws_wafv2_web_acl",
        "aws_wafv2_web_acl_association",
        "aws_wafv2_web_acl_logging_configuration",
        "aws_s3_bucket_replication_configuration",
    ):
        assert any(address.startswith(kind + ".") for address in app), (kind, sorted(app))
    lam = deployed.deployment().client("lambda")
    webhook = lam.get_function(FunctionName="fraud-webhook-dev")
    assert len(webhook["Configuration"]["VpcConfig"]["SubnetIds"]) >= 2
    reserved = {
        role: lam.get_function_concurrency(FunctionName=f"fraud-{role}-dev").get("ReservedConcurrentExecutions")
        for role in ("webhook", "stream", "batch", "labels")
    }
    assert reserved == {"webhook": 20, "stream": 4, "batch": 2, "labels": 2}
    replica = deployed.deployment().client("s3", "us-west-2")
    names = [b["Name"] for b in replica.list_buckets()["Buckets"] if b["Name"].startswith("fraud-audit-replica-dev-")]
    assert len(names) == 1, names
    lock = replica.get_object_lock_configuration(Bucket=names[0])["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    acls = deployed.deployment().client("wafv2").list_web_acls(Scope="REGIONAL")["WebACLs"]
    assert [acl["Name"] for acl in acls] == ["fraud-dev"]


@pytest.mark.timeout(TIMEOUT)
def test_the_upgrade_forgets_the_secret_parameters_and_keeps_their_values(deployed: Deployment) -> None:
    runner = deployed.runner()
    removed = {block["from"] for block in runner.tf_json("app")["removed"]}
    in_state = runner.state_resources("app")
    assert not removed & set(in_state)
    (settings_id,) = runner.tf_json("app")["resource"]["aws_ssm_parameter"]  # the settings, still Terraform's
    assert [a for a in in_state if a.startswith("aws_ssm_parameter.")] == [f"aws_ssm_parameter.{settings_id}"]
    for name, value in deployed.old_values.items():  # the live values, untouched
        assert deployed.parameter(name) == value
    # The webhook after the upgrade verifies a signature made with the old key before it ...
    assert deployed.webhook_status == 200, deployed.webhook_body
    assert deployed.webhook_body["action"] == "approve"
    assert int(time.time()) - deployed.webhook_signed_at < 300
    # ... and fingerprints the card exactly as the key computed before the upgrade does.
    item = deployed.client("dynamodb").get_item(
        TableName=runner.outputs("app")["table_name"], Key={"pk": {"S": keys.pattern_pk("txn-migration-approve")}}
    )["Item"]
    assert item["card_key"]["S"] == deployed.expected_card_key
    # set-secrets ran after the upgrade and changed nothing.
    assert "nothing added" in deployed.outputs["set-secrets"]
    assert "left as it is" in deployed.outputs["set-secrets"]


@pytest.mark.timeout(TIMEOUT)
def test_check_alert_subscription_reports_the_email_subscription(deployed: Deployment) -> None:
    topic = deployed.runner().outputs("app")["topic_arn"]
    (email,) = [
        s
        for s in deployed.client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        if s["Protocol"] == "email"
    ]
    assert email["Endpoint"] == ALERT_EMAIL
    output = deployed.outputs["check-alert-subscription"]
    assert ALERT_EMAIL in output
    if email["SubscriptionArn"] == deploy.PENDING:
        assert "still PendingConfirmation" in output
    else:  # moto confirms e-mail subscriptions at once
        assert "the e-mail subscription is confirmed" in output


# ---------------------------------------------------------------- no secret anywhere


def secret_forms(secret: str) -> dict[str, bytes]:
    """How a secret can appear in a file: as is, JSON-escaped, and base64 at each of the three byte
    alignments it can have inside a longer base64 text (only the 4-character groups made of the
    secret's bytes alone: the groups it shares with its neighbours are cut)."""
    raw = secret.encode()
    forms = {"plain": raw, "json": json.dumps(secret)[1:-1].encode()}
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw)
        forms[f"base64+{offset}"] = encoded[4 if offset else 0 : (offset + len(raw)) // 3 * 4]
    return forms


def blobs_under(paths: Iterable[Path]) -> Iterator[tuple[str, bytes]]:
    """Every file (and every member of a zip, i.e. a saved plan), provider binaries excepted."""
    for top in paths:
        for path in sorted(p for p in top.rglob("*") if p.is_file() and not p.is_symlink()):
            if ".terraform/providers" in path.as_posix() or "plugin-cache" in path.as_posix():
                continue  # provider executables, installed before any secret existed
            data = path.read_bytes()
            yield str(path), data
            if zipfile.is_zipfile(io.BytesIO(data)):
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    for member in archive.namelist():
                        yield f"{path}!{member}", archive.read(member)


def s3_blobs(deployed: Deployment) -> Iterator[tuple[str, bytes]]:
    s3 = deployed.client("s3")
    for version in s3.list_object_versions(Bucket=deployed.state_bucket).get("Versions", []):
        body = s3.get_object(Bucket=deployed.state_bucket, Key=version["Key"], VersionId=version["VersionId"])
        yield f"s3://{deployed.state_bucket}/{version['Key']}?versionId={version['VersionId']}", body["Body"].read()


def find_secrets(blobs: Iterable[tuple[str, bytes]], values: dict[str, str]) -> list[str]:
    hits = []
    for where, data in blobs:
        for label, value in values.items():
            for form, needle in secret_forms(value).items():
                if needle in data:
                    hits.append(f"{label} ({form}) in {where}")
    return hits


def test_secret_forms_find_a_planted_secret(tmp_path: Path) -> None:
    """The canary: the same search over files that hold a secret in each form reports each one."""
    secret = secrets.token_urlsafe(48)
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / "plain.txt").write_text(f"value = {secret}\n")
    (planted / "state.json").write_text(json.dumps({"value": json.dumps({"keys": {"k1": secret}})}))
    for offset in range(3):
        (planted / f"b64-{offset}.txt").write_bytes(base64.b64encode(b"x" * offset + secret.encode() + b"tail"))
    with zipfile.ZipFile(planted / "tfplan", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("tfstate", f'{{"value": "{secret}"}}')
    hits = find_secrets(blobs_under([planted]), {"canary": secret})
    assert any("plain.txt" in hit for hit in hits)
    assert any("state.json" in hit and "(json)" in hit for hit in hits)
    for offset in range(3):
        assert any(f"b64-{offset}.txt" in hit for hit in hits), (offset, hits)
    assert any("tfplan!tfstate" in hit for hit in hits)
    assert find_secrets(blobs_under([planted]), {"other": secrets.token_urlsafe(48)}) == []


@pytest.mark.timeout(TIMEOUT)
def test_no_secret_in_any_state_plan_working_directory_or_log(deployed: Deployment) -> None:
    # A rotation, then what reads the parameters' world again: a refresh-only apply and a saved plan.
    deployed.cli("rotate-secret", "--add", "--secret-dir", str(deployed.root / "secrets"))
    runner = deployed.runner()
    plans = deployed.root / "plans"
    plans.mkdir()
    for stack in STACK_NAMES:
        runner.run(stack, "apply", "-refresh-only", "-auto-approve", "-no-color", "-input=false")
        plan_file = runner.stack_dir(stack) / "saved.tfplan"
        runner.run(stack, "plan", "-no-color", "-input=false", f"-out={plan_file.name}")
        (plans / f"{stack}.json").write_text(runner.run(stack, "show", "-json", "-no-color", plan_file.name))
    names = deployed.webhook_environment()
    signing_value = deployed.parameter(names["SIGNING_KEYS_PARAMETER"])
    values = {f"signing key {key_id}": secret for key_id, secret in json.loads(signing_value)["keys"].items()}
    values["fingerprint key"] = deployed.parameter(names["FINGERPRINT_KEY_PARAMETER"])
    assert len(values) == 3 and deployed.old_signing_key[0] in json.loads(signing_value)["keys"]

    searched = [
        deployed.root / "state",  # local state (bootstrap's, moved aside)
        deployed.root / "cdktf.out",  # synth output, .terraform dirs, saved plans
        deployed.root / ".local" / "deploy",  # Terraform logs of every make target
        deployed.logs,  # make and CLI output
        plans,  # terraform show -json of each saved plan
    ]
    blobs = list(blobs_under(searched)) + list(s3_blobs(deployed))
    assert any(".terraform" in where for where, _ in blobs) and any("saved.tfplan!" in w for w, _ in blobs)
    assert any("?versionId=" in where and "app.tfstate" in where for where, _ in blobs)
    assert any(where.endswith("webhook.log") and b"pattern written" in data for where, data in blobs)
    assert find_secrets(blobs, values) == []


@pytest.mark.timeout(TIMEOUT)
def test_turning_object_lock_on_plans_no_replacement_of_the_audit_bucket(deployed: Deployment) -> None:
    """From the deployed app's state: auditObjectLockDays adds the object-lock configuration in place.

    Plan only: moto refuses an object-lock configuration on a non-empty bucket (an emulator gap, README),
    and the plan is what decides whether Terraform would replace the bucket."""
    locked = deployed.deployment(FRAUD_AUDIT_OBJECT_LOCK_DAYS="30", CDKTF_OUTDIR=str(deployed.root / "cdktf.out-lock"))
    deploy.synthesize(locked, lambda line: None)
    runner = locked.runner()
    runner.prepare("app")
    runner.run("app", "init", "-no-color", "-input=false", *runner.init_args("app"))
    runner.run("app", "plan", "-no-color", "-input=false", "-out=lock.tfplan")
    plan = json.loads(runner.run("app", "show", "-json", "-no-color", "lock.tfplan"))
    changes = {c["address"]: c["change"]["actions"] for c in plan["resource_changes"]}
    buckets = {a: actions for a, actions in changes.items() if a.startswith("aws_s3_bucket.")}
    assert buckets and all(actions == ["no-op"] for actions in buckets.values()), buckets
    locks = {a: v for a, v in changes.items() if a.startswith("aws_s3_bucket_object_lock_configuration.")}
    # The audit bucket's, and (emulator profile: auditReplicaRegion) the replica's default retention, which
    # follows the audit bucket's; the replica bucket was created with Object Lock enabled, so neither is replaced.
    assert sorted(a.split(".")[1].split("_")[0] for a in locks) == ["audit", "audit-protection"], locks
    assert all(actions == ["create"] for actions in locks.values()), locks
    assert not [a for a, actions in changes.items() if "delete" in actions], changes


@pytest.mark.timeout(TIMEOUT)
def test_undo_destroys_every_stack_in_reverse_order(deployed: Deployment) -> None:
    deployed.make_ok("destroy-app")
    deployed.make_ok("destroy-registry")
    runner = deployed.runner()
    assert runner.state_resources("app") == [] and runner.state_resources("registry") == []
    # The secret parameters were never Terraform's: they outlive the app stack (docs/deploy.md, undo).
    assert set(deployed.old_values) <= {p["Name"] for p in deployed.client("ssm").describe_parameters()["Parameters"]}
    # Bootstrap: refused while its state is in the bucket it would delete; then state out, bucket emptied.
    refused = deployed.make("destroy-bootstrap")
    assert refused.returncode != 0 and "migrate-bootstrap-state" in refused.stderr
    local = {"FRAUD_BACKEND": "local", "FRAUD_STATE_BUCKET": "", "FRAUD_STATE_KMS_KEY_ARN": ""}
    deployed.make_ok("migrate-bootstrap-state", **local)
    s3 = deployed.client("s3")
    listing = s3.list_object_versions(Bucket=deployed.state_bucket)
    for entry in listing.get("Versions", []) + listing.get("DeleteMarkers", []):
        s3.delete_object(Bucket=deployed.state_bucket, Key=entry["Key"], VersionId=entry["VersionId"])
    deployed.make_ok("destroy-bootstrap", **local)
    bootstrap = deploy.Deployment.from_environment({**deployed.env, **local}).runner()
    assert bootstrap.state_resources("bootstrap") == []
