"""What every handler stands on: one way to set up Powertools, one way to hold a container's dependencies.

``observability(role)`` builds the Logger, Metrics and Tracer of a function from the variables the
stacks set (``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``, ``ENVIRONMENT``; the
contract's values when unset, as outside Lambda), and ``Observability.lambda_handler`` is the one
decorator stack every handler uses: context in the logs, the ``## handler`` subsegment without its
response, metrics flushed with the ``service`` and ``environment`` dimensions.

``PerContainer`` holds what a handler builds once per cold start (clients, cached parameters, clocks):
built on first use (not at import, so nothing talks to AWS before the first request), ``cache_clear``
starts over as a new container would, and ``use`` injects another builder (a test's pinned clock,
the bench's clients) instead of patching module globals.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer

from fraud_detection.contract import (
    DIMENSION_ENVIRONMENT,
    ENV_ENVIRONMENT,
    ENV_METRICS_NAMESPACE,
    ENV_SERVICE_NAME,
    METRICS_NAMESPACE,
    FunctionRole,
)
from fraud_detection.tracing import build_tracer

T = TypeVar("T")
Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class Observability:
    service: str
    logger: Logger
    metrics: Metrics
    tracer: Tracer

    def lambda_handler(self, *, correlation_id_path: str | None = None) -> Callable[[Handler], Handler]:
        """Logger context (and correlation id), the traced handler (response never captured), metrics."""

        def decorate(function: Handler) -> Handler:
            @functools.wraps(function)
            def with_dimensions(event: dict[str, Any], context: Any) -> Any:
                environment = os.environ.get(ENV_ENVIRONMENT) or "dev"
                if self.metrics.default_dimensions.get(DIMENSION_ENVIRONMENT) != environment:
                    # the container's first invocation (a deployed function's value never changes after
                    # it); nothing is pending yet, so the dimension is replaced, not overwritten
                    self.metrics.clear_default_dimensions()
                    self.metrics.clear_metrics()
                    self.metrics.set_default_dimensions(**{DIMENSION_ENVIRONMENT: environment})
                return function(event, context)

            measured = self.metrics.log_metrics(with_dimensions)
            traced = self.tracer.capture_lambda_handler(capture_response=False)(measured)
            return self.logger.inject_lambda_context(correlation_id_path=correlation_id_path, log_event=False)(traced)

        return decorate


def observability(
    role: FunctionRole, *, patch_modules: tuple[str, ...] | None = None, environ: Mapping[str, str] | None = None
) -> Observability:
    """The function's Powertools objects, from the environment the stacks give it."""
    env = os.environ if environ is None else environ
    service = env.get(ENV_SERVICE_NAME) or role.service
    return Observability(
        service=service,
        logger=Logger(service=service),
        metrics=Metrics(namespace=env.get(ENV_METRICS_NAMESPACE) or METRICS_NAMESPACE, service=service),
        tracer=build_tracer(service=service, patch_modules=patch_modules, environ=env),
    )


class PerContainer(Generic[T]):
    """A container's dependencies: built once, on first use, even under concurrent first use."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._default = build
        self._build = build
        self._lock = threading.Lock()
        self._built: tuple[T] | None = None

    def __call__(self) -> T:
        built = self._built
        if built is None:
            with self._lock:
                if self._built is None:
                    self._built = (self._build(),)
                built = self._built
        return built[0]

    def cache_clear(self) -> None:
        """Forget what was built: the next call builds anew, as a new container would."""
        with self._lock:
            self._built = None

    def use(self, build: Callable[[], T] | None = None) -> None:
        """Build with ``build`` from now on (``None``: the handler's own builder); forgets what was built."""
        with self._lock:
            self._build = build or self._default
            self._built = None
