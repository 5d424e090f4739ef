"""The handler platform layer: one observability factory driven by the stacks' variables, the
tracing rule read from Powertools' own variables, and a container's dependencies built once."""

from __future__ import annotations

import threading
import time

import pytest

from fraud_detection import contract
from fraud_detection.handlers import batch, stream, webhook
from fraud_detection.lambda_platform import PerContainer, observability
from fraud_detection.tracing import NoOpProvider, tracing_disabled

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("role", contract.FUNCTIONS, ids=[role.role for role in contract.FUNCTIONS])
def test_service_and_namespace_come_from_the_powertools_variables(role: contract.FunctionRole) -> None:
    env = {contract.ENV_SERVICE_NAME: f"{role.service}-x", contract.ENV_METRICS_NAMESPACE: "Elsewhere"}
    platform = observability(role, environ=env)
    assert platform.service == platform.logger.service == f"{role.service}-x"
    assert platform.metrics.namespace == "Elsewhere"
    assert platform.metrics.service == f"{role.service}-x"


@pytest.mark.parametrize("role", contract.FUNCTIONS, ids=[role.role for role in contract.FUNCTIONS])
def test_unset_variables_fall_back_to_the_contract(role: contract.FunctionRole) -> None:
    platform = observability(role, environ={})
    assert platform.service == role.service
    assert platform.metrics.namespace == contract.METRICS_NAMESPACE
    assert platform.tracer.disabled and isinstance(platform.tracer.provider, NoOpProvider)  # outside Lambda


def test_every_handler_stands_on_the_factory() -> None:
    for module, role in ((webhook, contract.WEBHOOK), (stream, contract.STREAM), (batch, contract.BATCH)):
        assert module.platform.service == role.service  # the tests set no POWERTOOLS_SERVICE_NAME
        assert (module.logger, module.metrics, module.tracer) == (
            module.platform.logger,
            module.platform.metrics,
            module.platform.tracer,
        )
        assert isinstance(module.dependencies, PerContainer)


@pytest.mark.parametrize(
    ("env", "disabled"),
    [
        ({}, True),  # outside Lambda
        ({"LAMBDA_TASK_ROOT": "/var/task"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "1"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "false"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_CHALICE_CLI_MODE": "true"}, True),
    ],
)
def test_tracing_is_disabled_by_powertools_documented_rule(env: dict[str, str], disabled: bool) -> None:
    assert tracing_disabled(env) is disabled


def test_dependencies_are_built_once_even_under_concurrent_first_use() -> None:
    built: list[int] = []

    def build() -> object:
        time.sleep(0.01)
        built.append(1)
        return object()

    dependencies = PerContainer(build)
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(dependencies())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1 and len({id(value) for value in seen}) == 1

    dependencies.cache_clear()  # a new container
    assert dependencies() is not seen[0] and len(built) == 2


def test_an_injected_builder_replaces_the_default_until_reset() -> None:
    dependencies = PerContainer(lambda: "default")
    assert dependencies() == "default"
    dependencies.use(lambda: "injected")
    assert dependencies() == "injected"
    dependencies.use()
    assert dependencies() == "default"
