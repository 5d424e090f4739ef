"""``lambda_platform.RestResolver``: what the webhook kept of Powertools' REST resolver, answered the same way.

The webhook dropped ``APIGatewayRestResolver`` for its import cost (docs/performance.md), not for its
behaviour: each case here runs one captured event through both resolvers, registered alike, and
requires the same proxy response, so API Gateway sees no difference.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler import Response as PowertoolsResponse
from aws_lambda_powertools.event_handler.exceptions import NotFoundError as PowertoolsNotFound

from fraud_detection.lambda_platform import NotFoundError, Response, RestEvent, RestResolver
from tests.support.events import load_event
from tests.support.lambda_context import FakeLambdaContext

pytestmark = pytest.mark.unit


class Refused(Exception):
    pass


class RefusedLater(Refused):
    pass


def build(resolver: Any, response: type, not_found_error: type, *, custom_not_found: bool) -> Any:
    """The same routes and handlers on either resolver; ``response`` is its Response class."""

    @resolver.post("/webhook")
    def receive() -> Any:
        event = resolver.current_event
        body = json.loads(event.body or "{}")
        if body.get("refuse") == "later":
            raise RefusedLater("try again")
        if body.get("refuse"):
            raise Refused("no")
        if body.get("crash"):
            raise ValueError("crash")
        return response(status_code=200, content_type="application/json", body=json.dumps({"seen": body}))

    @resolver.exception_handler(Refused)
    def refused(error: Refused) -> Any:
        headers = {"Retry-After": "2"} if isinstance(error, RefusedLater) else None
        return response(status_code=503, content_type="application/json", body='{"message": "no"}', headers=headers)

    if custom_not_found:

        @resolver.not_found
        def missing(error: Any) -> Any:
            assert isinstance(error, not_found_error)
            return response(status_code=404, content_type="application/json", body='{"message": "not found"}')

    return resolver


def both(*, custom_not_found: bool = True) -> tuple[Callable[..., Any], Callable[..., Any]]:
    ours = build(RestResolver(), Response, NotFoundError, custom_not_found=custom_not_found)
    stock = build(APIGatewayRestResolver(), PowertoolsResponse, PowertoolsNotFound, custom_not_found=custom_not_found)
    return ours.resolve, stock.resolve


def event(body: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    captured = load_event("webhook_post.json")
    if body is not None:
        captured["body"] = json.dumps(body)
    captured.update(changes)
    return captured


def plain(response: dict[str, Any]) -> dict[str, Any]:
    """Powertools returns a defaultdict of headers; compare plain values."""
    return json.loads(json.dumps(response))


@pytest.mark.parametrize(
    "request_event",
    [
        pytest.param(event({"amount": 1}), id="route"),
        pytest.param(event({"refuse": True}), id="exception-handler"),
        pytest.param(event({"refuse": "later"}), id="handler-of-the-closest-base-class-with-headers"),
        pytest.param(load_event("webhook_get.json"), id="other-method"),
        pytest.param(event({}, path="/webhook/extra"), id="other-path"),
        pytest.param(event({}, httpMethod="post"), id="lower-case-method"),
    ],
)
def test_answers_as_powertools_rest_resolver_does(request_event: dict[str, Any]) -> None:
    ours, stock = both()
    assert plain(ours(request_event, FakeLambdaContext())) == plain(stock(request_event, FakeLambdaContext()))


def test_default_not_found_is_powertools_404() -> None:
    ours, stock = both(custom_not_found=False)
    get = load_event("webhook_get.json")
    assert plain(ours(get, FakeLambdaContext())) == plain(stock(get, FakeLambdaContext()))
    assert ours(get, FakeLambdaContext())["statusCode"] == 404


def test_an_unhandled_exception_propagates() -> None:
    ours, stock = both()
    for resolve in (ours, stock):
        with pytest.raises(ValueError, match="crash"):
            resolve(event({"crash": True}), FakeLambdaContext())


def test_the_event_and_context_of_the_current_request_are_exposed() -> None:
    resolver = RestResolver()
    context = FakeLambdaContext(1234)
    seen: list[tuple[str, str, str | None, str | None, int]] = []

    @resolver.post("/webhook")
    def receive() -> Response:
        current = resolver.current_event
        seen.append(
            (
                current.request_id,
                current.source_ip,
                current.headers.get("content-type"),
                current.headers.get("x-fraud-signature"),
                resolver.lambda_context.get_remaining_time_in_millis(),
            )
        )
        return Response(200)

    captured = event({})
    resolver.resolve(captured, context)
    [(request_id, source_ip, content_type, signature, remaining)] = seen
    assert request_id == captured["requestContext"]["requestId"]
    assert source_ip == captured["requestContext"]["identity"]["sourceIp"]
    assert content_type == captured["headers"]["Content-Type"]
    assert signature == captured["headers"]["X-Fraud-Signature"]
    assert remaining == 1234


def test_header_names_are_case_insensitive_and_missing_maps_are_empty() -> None:
    headers = RestEvent({"headers": {"Content-Type": "a", "X-Fraud-Signature": "s"}}).headers
    assert headers.get("content-type") == "a" and headers.get("x-fraud-signature") == "s"
    bare = RestEvent({"headers": None, "requestContext": None})
    assert bare.headers == {} and bare.request_id == "" and bare.source_ip == ""
    assert bare.body is None and bare.is_base64_encoded is False
