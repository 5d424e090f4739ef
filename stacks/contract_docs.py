"""The tables of docs/contract.md, rendered from ``fraud_detection.contract`` and ``stacks.functions``.

``python -m stacks.contract_docs`` prints them; ``tests/contract/test_contract_docs.py`` fails when a
table in the doc differs from its rendering (like the suppressions table). No cdktf import.
"""

from __future__ import annotations

import json

from fraud_detection import contract
from fraud_detection.contract import FUNCTIONS, SCHEDULES
from stacks.functions import variables_of

ENV = "<env>"

TRIGGERS = {
    contract.WEBHOOK.role: "API Gateway REST proxy, `POST /webhook` (sync, <= 29 s)",
    contract.STREAM.role: f"DynamoDB stream of the pattern table ({contract.STREAM_VIEW_TYPE})",
    contract.LABELS.role: f"API Gateway REST proxy, `POST /{contract.LABELS_PATH}` (sync, <= 29 s)",
}


def _code(text: str) -> str:
    return f"`{text}`"


def batch_trigger() -> str:
    """EventBridge, one rule per schedule of the contract, with the event each one sends."""
    rules = []
    for schedule in SCHEDULES:
        event = "{" + f'"job": {json.dumps(schedule.job)}, "time": <event time>' + "}"
        rules.append(f"{_code(schedule.expression)} ({_code(event)})")
    return "EventBridge: " + " and ".join(rules)


def handlers_table() -> str:
    lines = ["| function | command | trigger |", "| --- | --- | --- |"]
    for fn in FUNCTIONS:
        trigger = TRIGGERS.get(fn.role) or batch_trigger()
        lines.append(f"| {fn.role} | {_code(fn.command)} | {trigger} |")
    return "\n".join(lines)


def env_meanings() -> dict[str, str]:
    services = ", ".join(_code(fn.service) for fn in FUNCTIONS)
    return {
        contract.ENV_ENVIRONMENT: "environment suffix, e.g. `dev` (also a metric dimension)",
        contract.ENV_TABLE_NAME: "pattern table name",
        contract.ENV_WINDOW_SHARDS: f"write shards of the time-window index (default {contract.DEFAULT_WINDOW_SHARDS})",
        contract.ENV_PATTERN_TTL_DAYS: f"days before a pattern item expires (`patternTtlDays`, default "
        f"{contract.DEFAULT_PATTERN_TTL_DAYS})",
        contract.ENV_BUCKET_NAME: "audit bucket name",
        contract.ENV_TOPIC_ARN: "alert topic ARN",
        contract.ENV_SETTINGS_PARAMETER: "SSM SecureString parameter name holding settings JSON",
        contract.ENV_SHADOW_SETTINGS_PARAMETER: "SSM SecureString name of the shadow settings JSON; empty without "
        "`shadowSettingsFile`",
        contract.ENV_SHADOW_REPORT_TOP_N: "differing transactions the daily report's shadow section lists "
        "(`shadowReportTopN`); empty without `shadowSettingsFile` (no shadow section)",
        contract.ENV_SIGNING_KEYS_PARAMETER: "SSM SecureString name: webhook HMAC keys",
        contract.ENV_FINGERPRINT_KEY_PARAMETER: "SSM SecureString name: card fingerprint HMAC key",
        contract.ENV_LABEL_SIGNING_KEYS_PARAMETER: "SSM SecureString name: label HMAC keys (never the webhook's)",
        contract.ENV_LABELS_API_KEY_ID: "id of the labels API key; a request admitted with another key gets 403",
        contract.ENV_SERVICE_NAME: services,
        contract.ENV_METRICS_NAMESPACE: _code(contract.METRICS_NAMESPACE),
        contract.ENV_LOG_LEVEL: _code(contract.DEFAULT_LOG_LEVEL),
    }


def functions_with(variable: str) -> list[str]:
    return [fn.role for fn in FUNCTIONS if variable in variables_of(fn.role)]


def environment_table() -> str:
    """Every variable some function gets: which functions, and what it means."""
    lines = ["| variable | functions | meaning |", "| --- | --- | --- |"]
    meanings = env_meanings()
    variables = dict.fromkeys(name for fn in FUNCTIONS for name in variables_of(fn.role))
    for variable in sorted(variables, key=list(meanings).index):
        roles = functions_with(variable)
        who = "all" if len(roles) == len(FUNCTIONS) else ", ".join(roles)
        lines.append(f"| {_code(variable)} | {who} | {meanings[variable]} |")
    return "\n".join(lines)


def ssm_names() -> str:
    names = (
        contract.settings_parameter_name(ENV),
        *contract.secret_parameter_names(ENV),
        contract.label_signing_keys_parameter_name(ENV),
    )
    return "SSM names: " + ", ".join(_code(name) for name in names) + "."


def settings_json() -> str:
    """The ``Settings JSON`` block: the contract's defaults, one key per line."""
    body = ",\n".join(f"  {json.dumps(key)}: {json.dumps(value)}" for key, value in contract.DEFAULT_SETTINGS.items())
    return "```json\n{\n" + body + "\n}\n```"


def metrics_heading() -> str:
    return (
        f"## Metrics (Powertools EMF, namespace {_code(contract.METRICS_NAMESPACE)}, "
        f"default dimensions {_code(contract.DIMENSION_SERVICE)} and {_code(contract.DIMENSION_ENVIRONMENT)})"
    )


def staleness_dimensions() -> str:
    return _code(f"{contract.DIMENSION_SERVICE}={contract.BATCH.service}, {contract.DIMENSION_ENVIRONMENT}={ENV}")


def service_dimensions() -> dict[str, str]:
    """Role -> ``service=<name>`` as the metrics list writes it."""
    return {fn.role: _code(f"{contract.DIMENSION_SERVICE}={fn.service}") for fn in (contract.STREAM, contract.BATCH)}


def blocks() -> dict[str, str]:
    """Name -> text that docs/contract.md must contain verbatim."""
    return {
        "handlers table": handlers_table(),
        "environment table": environment_table(),
        "SSM names": ssm_names(),
        "settings JSON": settings_json(),
        "metrics heading": metrics_heading(),
        "staleness dimensions": staleness_dimensions(),
        **{f"{role} service dimension": text for role, text in service_dimensions().items()},
    }


if __name__ == "__main__":
    for name, text in blocks().items():
        print(f"<!-- {name} -->\n{text}\n")
