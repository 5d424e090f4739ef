"""What every handler stands on: one way to set up Powertools, one way to hold a container's dependencies,
and the REST resolver of the webhook's one route.

``observability(role)`` builds the Logger, Metrics and Tracer of a function from the variables the
stacks set (``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``, ``ENVIRONMENT``; the
contract's values when unset, as outside Lambda), and ``Observability.lambda_handler`` is the one
decorator stack every handler uses: context in the logs, the ``## handler`` subsegment without its
response, metrics flushed with the ``service`` and ``environment`` dimensions.

``PerContainer`` holds what a handler builds once per cold start (clients, cached parameters, clocks):
built on first use (not at import, so nothing talks to AWS before the first request), ``cache_clear``
starts over as a new container would, and ``use`` injects another builder (a test's pinned clock,
the bench's clients) instead of patching module globals.

``RestResolver`` is the part of Powertools' ``APIGatewayRestResolver`` a one-route function uses, with
the same decorators (``post``, ``exception_handler``, ``not_found``), the same ``current_event`` and
``lambda_context``, and the same REST proxy response (``statusCode``, ``body``, ``isBase64Encoded``,
``multiValueHeaders``). Importing Powertools' event handler costs about 0.3x ``import boto3`` at every
cold start (its OpenAPI, validation and every resolver type load with it), and even its event data
classes cost 0.15x (the package imports every event source): see docs/performance.md. This one is
plain Python: exact routes only, no path parameters, CORS, compression or validation.
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
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
E = TypeVar("E", bound=BaseException)
APPLICATION_JSON = "application/json"


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


# --- API Gateway REST proxy integration ----------------------------------------------------------------


class RestEvent:
    """An API Gateway REST proxy event (payload 1.0), read the way Powertools' ``APIGatewayProxyEvent`` reads it:
    header names case-insensitive (the last of several spellings wins), a missing map is empty."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw

    @property
    def http_method(self) -> str:
        return str(self.raw.get("httpMethod") or "")

    @property
    def path(self) -> str:
        return str(self.raw.get("path") or "")

    @property
    def body(self) -> str | None:
        return self.raw.get("body")

    @property
    def is_base64_encoded(self) -> bool:
        return bool(self.raw.get("isBase64Encoded"))

    @cached_property
    def headers(self) -> dict[str, str]:
        """Header names lower-cased: ``headers["content-type"]`` whatever the sender's case."""
        return {name.lower(): value for name, value in (self.raw.get("headers") or {}).items()}

    @property
    def request_id(self) -> str:
        """``requestContext.requestId``: API Gateway's id, the one callers are shown."""
        return str((self.raw.get("requestContext") or {}).get("requestId") or "")

    @property
    def source_ip(self) -> str:
        """``requestContext.identity.sourceIp``."""
        return str(((self.raw.get("requestContext") or {}).get("identity") or {}).get("sourceIp") or "")


class Response:
    """A proxy response; ``content_type`` becomes the ``Content-Type`` header unless ``headers`` sets one."""

    def __init__(
        self,
        status_code: int,
        body: str = "",
        content_type: str | None = APPLICATION_JSON,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status_code = status_code
        self.body = body
        self.content_type = content_type
        self.headers = headers

    def to_proxy(self) -> dict[str, Any]:
        """The REST proxy integration's response, shaped as Powertools' REST resolver shapes it."""
        headers = dict(self.headers or {})
        if self.content_type:
            headers.setdefault("Content-Type", self.content_type)
        return {
            "statusCode": self.status_code,
            "body": self.body,
            "isBase64Encoded": False,
            "multiValueHeaders": {name: [value] for name, value in headers.items()},
        }


class NotFoundError(Exception):
    """No route matches the request's method and path (what a ``not_found`` handler receives)."""


class RestResolver:
    """Exact-match routes of a REST proxy integration, with Powertools' resolver decorators.

    An exception a route raises goes to the handler registered for the closest class in its MRO (as in
    Powertools); with none registered it propagates. An unmatched request goes to the ``not_found``
    handler (default: a 404 with Powertools' body)."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Callable[[], Response]] = {}
        self.exception_handlers: dict[type[BaseException], Callable[[Any], Response]] = {}
        self.current_event = RestEvent({})
        self.lambda_context: Any = None

    def route(self, path: str, method: str) -> Callable[[Callable[[], Response]], Callable[[], Response]]:
        def register(function: Callable[[], Response]) -> Callable[[], Response]:
            self.routes[(method.upper(), path)] = function
            return function

        return register

    def post(self, path: str) -> Callable[[Callable[[], Response]], Callable[[], Response]]:
        return self.route(path, "POST")

    def exception_handler(self, exc_class: type[E]) -> Callable[[Callable[[E], Response]], Callable[[E], Response]]:
        def register(function: Callable[[E], Response]) -> Callable[[E], Response]:
            self.exception_handlers[exc_class] = function
            return function

        return register

    def not_found(self, function: Callable[[NotFoundError], Response]) -> Callable[[NotFoundError], Response]:
        return self.exception_handler(NotFoundError)(function)

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        self.current_event, self.lambda_context = RestEvent(event), context
        route = self.routes.get((self.current_event.http_method.upper(), self.current_event.path))
        try:
            if route is None:
                raise NotFoundError
            response = route()
        except Exception as error:
            handler = next(
                (self.exception_handlers[cls] for cls in type(error).__mro__ if cls in self.exception_handlers), None
            )
            if handler is None and isinstance(error, NotFoundError):
                handler = _default_not_found
            if handler is None:
                raise
            response = handler(error)
        return response.to_proxy()


def _default_not_found(error: NotFoundError) -> Response:
    return Response(404, '{"statusCode":404,"message":"Not found"}')


# --- what both API handlers (webhook, labels) do the same way ----------------------------------------------


def raw_body(body: str | None, is_base64: bool) -> bytes | None:
    """The bytes the caller signed; ``None`` when they cannot be recovered (bad base64/encoding)."""
    if body is None:
        return b""
    try:
        return base64.b64decode(body, validate=True) if is_base64 else body.encode("utf-8")
    except (binascii.Error, ValueError, UnicodeError):
        return None


def deadline_client_config(budget_seconds: float, *, min_budget: float, calls: int, attempts: int) -> Any:
    """A botocore ``Config`` whose timeouts and retries fit ``calls`` calls in sequence, each at its worst
    (``attempts`` x (connect + read)), into the request's budget: numbers derived from the deadline, not fixed
    ones that may outlive it."""
    from botocore.config import Config

    per_attempt = max(budget_seconds, min_budget) / calls / attempts
    return Config(
        connect_timeout=math.floor(min(2.0, max(0.2, per_attempt * 0.3)) * 1000) / 1000,
        read_timeout=math.floor(min(5.0, max(0.5, per_attempt * 0.7)) * 1000) / 1000,
        retries={"mode": "standard", "max_attempts": attempts},
    )


def utc_now() -> datetime:
    """The receive-time clock of the API handlers (tests pass their own)."""
    return datetime.now(UTC)


def request_budget(context: Any, *, margin: float, minimum: float) -> float:
    """Seconds a request may spend on its dependencies: the invocation's remaining time less ``margin`` (for
    the response, the log line and the metrics flush), never below ``minimum``."""
    return max(minimum, context.get_remaining_time_in_millis() / 1000 - margin)
