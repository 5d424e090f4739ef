"""Powertools ``Tracer`` that does not load the X-Ray SDK when tracing is off.

Powertools declares ``aws_xray_sdk`` as a lazy import, but ``Tracer()`` resolves its default
provider in the constructor with ``from aws_xray_sdk.core import xray_recorder``, so the SDK
(and ``wrapt``) load at import even when tracing is disabled. Outside Lambda (tests, the bench,
local runs) that import also builds the SDK's centralized sampler, which creates two botocore
X-Ray clients: about 240 ms spent on a recorder that never records.

``build_tracer`` decides whether tracing is disabled by Powertools' documented rule, from the
variables Powertools reads (``POWERTOOLS_TRACE_DISABLED`` truthy, ``LAMBDA_TASK_ROOT`` unset, SAM or
Chalice local), and only then hands the Tracer a no-op provider; the stock Tracer is constructed
only when tracing is on (no private Powertools attribute is used). The Tracer behaves exactly as
a disabled Powertools Tracer does (decorators run, annotations are dropped, the SDK's global switch
is still turned off) without the SDK's modules. When tracing is on (deployed, the default) it is
the stock Tracer: SDK loaded and the given modules patched during init, as before.

Every ``capture_lambda_handler``/``capture_method`` in the handlers passes
``capture_response=False``: Powertools' default puts the return value (transaction ids, object
keys, counts) on the subsegment as metadata, and X-Ray is not where that data may be kept
(``tests/runtime/test_tracing.py`` runs each handler against a recording provider).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.shared import constants
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment


class NoOpSegment(BaseSegment):
    """A segment that records nothing (subclass it to record in tests)."""

    def close(self, end_time: int | None = None) -> None:
        pass

    def add_subsegment(self, subsegment: Any) -> None:
        pass

    def remove_subsegment(self, subsegment: Any) -> None:
        pass

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None:
        pass


class NoOpProvider(BaseProvider):
    """What a disabled Tracer talks to instead of ``aws_xray_sdk.core.xray_recorder``."""

    @contextlib.contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator[BaseSegment]:
        yield NoOpSegment()

    @contextlib.asynccontextmanager
    async def in_subsegment_async(self, name: str | None = None, **kwargs: Any) -> AsyncIterator[BaseSegment]:
        yield NoOpSegment()

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass

    def patch(self, modules: Sequence[str]) -> None:
        pass

    def patch_all(self) -> None:
        pass


def tracing_disabled(environ: Mapping[str, str] | None = None) -> bool:
    """Powertools' documented rule, read from the same variables (``aws_lambda_powertools.shared.constants``):
    tracing is off when ``POWERTOOLS_TRACE_DISABLED`` is truthy, outside Lambda (``LAMBDA_TASK_ROOT`` unset),
    and under SAM or Chalice local."""
    env = os.environ if environ is None else environ
    if resolve_truthy_env_var_choice(env=env.get(constants.TRACER_DISABLED_ENV, "false")):
        return True
    in_lambda = bool(env.get(constants.LAMBDA_TASK_ROOT_ENV))
    return not in_lambda or bool(env.get(constants.SAM_LOCAL_ENV) or env.get(constants.CHALICE_LOCAL_ENV))


def build_tracer(
    *, service: str | None = None, patch_modules: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> Tracer:
    """A Powertools Tracer; with tracing disabled, one that never imports the X-Ray SDK. The stock Tracer
    (X-Ray SDK, ``patch_modules`` patched) is only constructed when tracing is on."""
    if tracing_disabled(environ):
        return Tracer(service=service, disabled=True, provider=NoOpProvider())
    return Tracer(service=service, patch_modules=patch_modules)
