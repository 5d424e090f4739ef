"""Where the operator CLI points: the local stage (``.local-stage/stage.json``) or a real account.

Both are described by one ``Target``: the app stack's outputs, the webhook and labels URLs, the
senders' API key (and locally the labellers' one), and per function (:class:`FunctionSpec`) its
name, handler and environment. The local stage writes the file when it is READY (values read from
Terraform state, plus its run's log directory, secrets file and alert inbox); for a real account
the same facts come from the app stack's Terraform outputs, the API key from API Gateway and the
environments from Lambda (the labels API key is read only by ``cli label``, :func:`labels_api_key`).

The stage file holds no secret: the API keys stay in the stage's mode-600 secrets file
(``FRAUD_API_KEY=...``, ``FRAUD_LABELS_API_KEY=...``), which the stage file names and
:func:`load_local` reads.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fraud_detection import contract
from local_stage.emulator import emulator_client, emulator_environment

ROOT = Path(__file__).resolve().parent.parent
STAGE_DIR = ROOT / ".local-stage"
STAGE_FILE = STAGE_DIR / "stage.json"
PID_FILE = STAGE_DIR / "local-stage.pid"
API_KEY_VARIABLE = "FRAUD_API_KEY"
"""The API key's variable: in the local stage's secrets file, and the override of the key in an account."""
LABELS_API_KEY_VARIABLE = "FRAUD_LABELS_API_KEY"
"""The labels API key's variable: in the local stage's secrets file, and the override in an account."""
LABEL_SIGNING_KEY_ID_VARIABLE = "FRAUD_LABEL_SIGNING_KEY_ID"
LABEL_SIGNING_SECRET_VARIABLE = "FRAUD_LABEL_SIGNING_SECRET"  # noqa: S105 - a variable name, not a secret
"""The label signing key's variables: in the local stage's secrets file; the secret also overrides the key set's
newest key for ``cli label`` in an account."""
SENDER_KEY_SUFFIX = "-default"
LABELS_KEY_SUFFIX = f"-{contract.LABELS_PATH}"
"""``aws_api_gateway_api_key`` names: ``<api_name>-default`` (senders), ``<api_name>-<route path>`` (the labels
route's own key: ``constructs/fraud_constructs/webhook_api.py``)."""


@dataclass(frozen=True)
class FunctionSpec:
    """One deployed function as the tooling needs it."""

    role: str  # webhook | stream | batch | labels
    name: str
    handler: str  # module.attribute, the image's command
    environment: Mapping[str, str]
    memory_mb: int
    timeout_seconds: int
    aliases: tuple[str, ...] = ()  # ARNs / qualified names that also mean this function

    def matches(self, function: str) -> bool:
        return (
            function in (self.role, self.name, *self.aliases)
            or function.split(":")[-1] == self.name
            or (":function:" in function and function.split(":function:")[1].split(":")[0] == self.name)
        )


class TargetError(RuntimeError):
    """The CLI cannot tell where to point (no local stage running, no outputs found)."""


@dataclass(frozen=True)
class Target:
    kind: str  # "local" | "aws"
    region: str
    webhook_url: str
    api_key: str
    outputs: Mapping[str, Any]
    functions: tuple[FunctionSpec, ...]
    endpoint_url: str | None = None
    stream_arn: str | None = None
    pid: int | None = None
    log_dir: str | None = None
    """The local stage's log directory of this run (one log file per function worker)."""
    secrets_file: str | None = None
    """The local stage's mode-600 file with the API key and the signing secret."""
    alerts_queue_url: str | None = None
    """The local stage's queue subscribed to the alert topic (``cli alerts`` reads it)."""
    labels_url: str = ""
    """``POST /<stage>/labels`` (empty for a stage file written before labels existed)."""
    labels_api_key: str = ""
    """The labellers' API key (a secret like ``api_key``: never in the stage file). Empty for an account:
    ``cli label`` reads it when it needs it (:func:`labels_api_key`)."""
    api_key_id: str = ""
    labels_api_key_id: str = ""
    """The keys' ids (not secrets): the local gateway passes them on as ``identity.apiKeyId``."""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def output(self, name: str) -> Any:
        if name not in self.outputs:
            raise TargetError(f"app stack output {name!r} is missing")
        return self.outputs[name]

    def function(self, role: str) -> FunctionSpec:
        for spec in self.functions:
            if spec.role == role:
                return spec
        raise TargetError(f"no {role} function in the target")

    def parameter(self, variable: str) -> str:
        """An SSM parameter name from the function environments (e.g. ``SIGNING_KEYS_PARAMETER``)."""
        for spec in self.functions:
            if variable in spec.environment:
                return str(spec.environment[variable])
        raise TargetError(f"no function has {variable}")

    def aws_environment(self) -> dict[str, str]:
        """What boto3 needs to reach this target (the emulator: endpoint + dummy credentials)."""
        return {} if self.endpoint_url is None else emulator_environment(self.endpoint_url)

    def client(self, service: str) -> Any:
        return emulator_client(service, self.endpoint_url, self.region)

    def to_json(self) -> str:
        """The stage file: every field but the API keys (secrets: they stay in the secrets file)."""
        document = asdict(self)
        del document["api_key"], document["labels_api_key"]
        document["functions"] = [
            {**asdict(spec), "environment": dict(spec.environment), "aliases": list(spec.aliases)}
            for spec in self.functions
        ]
        return json.dumps(document, indent=2, default=str)

    @classmethod
    def from_json(cls, text: str, *, api_key: str, labels_api_key: str = "") -> Target:
        document = json.loads(text)
        document.pop("api_key", None)
        document.pop("labels_api_key", None)
        functions = tuple(
            FunctionSpec(**{**spec, "aliases": tuple(spec.get("aliases", ()))}) for spec in document.pop("functions")
        )
        return cls(functions=functions, api_key=api_key, labels_api_key=labels_api_key, **document)


def _resources(state: Mapping[str, Any], resource_type: str) -> list[Mapping[str, Any]]:
    found = []
    for resource in state.get("resources", []):
        if resource.get("mode") == "managed" and resource.get("type") == resource_type:
            found += [instance["attributes"] for instance in resource.get("instances", [])]
    return found


def functions_from_state(state: Mapping[str, Any], outputs: Mapping[str, Any]) -> tuple[FunctionSpec, ...]:
    """Each function's handler (image command) and ``environment.variables`` from Terraform state."""
    by_name = {attributes["function_name"]: attributes for attributes in _resources(state, "aws_lambda_function")}
    specs = []
    for function in contract.FUNCTIONS:
        role = function.role
        name = outputs[f"{role}_function_name"]
        attributes = by_name[name]
        environment = (attributes.get("environment") or [{}])[0].get("variables") or {}
        command = (attributes.get("image_config") or [{}])[0].get("command") or []
        specs.append(
            FunctionSpec(
                role=role,
                name=name,
                handler=command[0],
                environment=dict(environment),
                memory_mb=int(attributes.get("memory_size") or function.memory_size),
                timeout_seconds=int(attributes.get("timeout") or function.timeout_seconds),
                aliases=(outputs[f"{role}_function_arn"], outputs[f"{role}_alias_arn"]),
            )
        )
    return tuple(specs)


def _api_key_attributes(state: Mapping[str, Any], suffix: str) -> Mapping[str, Any]:
    keys = _resources(state, "aws_api_gateway_api_key")
    found = [attributes for attributes in keys if str(attributes.get("name", "")).endswith(suffix)]
    if len(found) == 1:
        return found[0]
    if suffix == SENDER_KEY_SUFFIX and len(keys) == 1:  # a state from before the labels key existed
        return keys[0]
    names = ", ".join(str(attributes.get("name")) for attributes in keys) or "none"
    raise TargetError(f"expected one API key named *{suffix} in the app state, found: {names}")


def api_key_from_state(state: Mapping[str, Any]) -> str:
    """The senders' API key value (``<api_name>-default``)."""
    return str(_api_key_attributes(state, SENDER_KEY_SUFFIX)["value"])


def api_key_id_from_state(state: Mapping[str, Any]) -> str:
    return str(_api_key_attributes(state, SENDER_KEY_SUFFIX)["id"])


def labels_api_key_from_state(state: Mapping[str, Any]) -> tuple[str, str]:
    """(id, value) of the labellers' API key (``<api_name>-labels``)."""
    attributes = _api_key_attributes(state, LABELS_KEY_SUFFIX)
    return str(attributes["id"]), str(attributes["value"])


def labels_url_from(outputs: Mapping[str, Any]) -> str:
    """``POST /<stage>/labels``: the output ``labels_url`` when the app stack has one, else next to the
    webhook (same REST API and stage)."""
    if outputs.get("labels_url"):
        return str(outputs["labels_url"])
    webhook = str(outputs.get("webhook_url") or "").rstrip("/")
    suffix = f"/{contract.WEBHOOK_PATH}"
    return webhook[: -len(suffix)] + f"/{contract.LABELS_PATH}" if webhook.endswith(suffix) else ""


def stream_arn_from_state(state: Mapping[str, Any], table_name: str) -> str:
    for attributes in _resources(state, "aws_dynamodb_table"):
        if attributes.get("name") == table_name:
            return str(attributes["stream_arn"])
    raise TargetError(f"table {table_name} not in state")


def read_secrets_file(path: Path) -> dict[str, str]:
    """The ``NAME=value`` lines of the local stage's secrets file (comments and blank lines skipped)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    pairs = (line.partition("=") for line in lines if line.strip() and not line.lstrip().startswith("#"))
    return {name.strip(): value for name, _, value in pairs}


def load_local(path: Path = STAGE_FILE) -> Target:
    """The running local stage: its stage file, and the API keys from the secrets file it names."""
    if not path.is_file():
        raise TargetError(f"no local stage is running ({path} not found): start one with `make local`")
    text = path.read_text()
    secrets_file = json.loads(text).get("secrets_file")
    try:
        secrets = read_secrets_file(Path(secrets_file)) if secrets_file else {}
    except OSError:
        secrets = {}
    api_key = secrets.get(API_KEY_VARIABLE)
    if api_key is None:
        raise TargetError(f"the local stage's API key is not in its secrets file ({secrets_file}); restart it")
    return Target.from_json(text, api_key=api_key, labels_api_key=secrets.get(LABELS_API_KEY_VARIABLE, ""))


def aws_target(outputs: Mapping[str, Any], region: str) -> Target:
    """A real account: API key value from API Gateway, function environments from Lambda."""
    import boto3

    api_key = os.environ.get(API_KEY_VARIABLE) or str(
        boto3.client("apigateway", region_name=region).get_api_key(apiKey=outputs["api_key_id"], includeValue=True)[
            "value"
        ]
    )
    lambda_client = boto3.client("lambda", region_name=region)
    specs = []
    for function in contract.FUNCTIONS:
        role = function.role
        name = outputs[f"{role}_function_name"]
        configuration = lambda_client.get_function_configuration(FunctionName=name)
        image_config = (configuration.get("ImageConfigResponse") or {}).get("ImageConfig", {})
        specs.append(
            FunctionSpec(
                role=role,
                name=name,
                handler=str(image_config.get("Command", [""])[0]),
                environment=dict((configuration.get("Environment") or {}).get("Variables") or {}),
                memory_mb=function.memory_size,
                timeout_seconds=function.timeout_seconds,
                aliases=(outputs[f"{role}_function_arn"], outputs[f"{role}_alias_arn"]),
            )
        )
    return Target(
        kind="aws",
        region=region,
        webhook_url=str(outputs["webhook_url"]),
        api_key=api_key,
        outputs=dict(outputs),
        functions=tuple(specs),
        labels_url=labels_url_from(outputs),
        api_key_id=str(outputs.get("api_key_id") or ""),
        labels_api_key_id=str(outputs.get("labels_api_key_id") or ""),
    )


def label_signing_keys_parameter(target: Target) -> str:
    """The label signing-key set's parameter: as the labels function is configured, else the contract's
    name for the target's environment."""
    try:
        return target.parameter(contract.ENV_LABEL_SIGNING_KEYS_PARAMETER)
    except TargetError:
        return contract.label_signing_keys_parameter_name(target.parameter(contract.ENV_ENVIRONMENT))


def labels_api_key(target: Target, environ: Mapping[str, str] | None = None) -> str:
    """The labellers' API key: the local stage's (secrets file), else ``FRAUD_LABELS_API_KEY``, else read
    from API Gateway (``apigateway:GET``) by its id: the app stack's output ``labels_api_key_id``, or the id
    the labels function is configured with (``LABELS_API_KEY_ID``)."""
    environment = os.environ if environ is None else environ
    if target.labels_api_key:
        return target.labels_api_key
    if environment.get(LABELS_API_KEY_VARIABLE):
        return str(environment[LABELS_API_KEY_VARIABLE])
    if target.kind != "aws":
        raise TargetError("the local stage's labels API key is not in its secrets file; restart the stage")
    key_id = target.labels_api_key_id or target.parameter(contract.ENV_LABELS_API_KEY_ID)
    response = target.client("apigateway").get_api_key(apiKey=key_id, includeValue=True)
    return str(response["value"])


def outputs_from_file(path: Path) -> dict[str, Any]:
    """``terraform output -json`` (``{"name": {"value": ...}}``) or a plain ``{"name": value}`` map."""
    raw = json.loads(path.read_text())
    return {
        name: value["value"] if isinstance(value, dict) and "value" in value else value for name, value in raw.items()
    }


def outputs_from_terraform(stack_dir: Path) -> dict[str, Any]:
    """Outputs of the deployed app stack (the synthesized, initialised ``cdktf.out/stacks/app``)."""
    from fraud_ops.terraform import Terraform, write_cli_config

    if not (stack_dir / ".terraform").is_dir():
        raise TargetError(f"{stack_dir} is not initialised: deploy first, or pass --outputs FILE")
    terraform = Terraform(stack_dir, write_cli_config(ROOT / ".local" / "terraform-cli"))
    result = terraform.run("output", "-json", "-no-color").check()
    return {name: value["value"] for name, value in json.loads(result.stdout).items()}
