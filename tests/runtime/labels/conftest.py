"""The labels handler against the moto stack: the webhook's stack plus the label key set and the labels key id."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from fraud_detection import contract
from tests.runtime.labels.labels_support import (
    LABEL_KEYS_PARAMETER,
    LABEL_SECRET,
    LABELLED_AT,
    LABELS_API_KEY_ID,
    SECOND_LABEL_SECRET,
    LabelsClient,
)
from tests.support.aws import moto_client
from tests.support.clocks import MovableClock
from tests.support.handler_clients import attached
from tests.support.moto_stack import Names


@pytest.fixture
def label_stack(stack: Names, monkeypatch: pytest.MonkeyPatch) -> Names:
    """The deployed environment as the labels function sees it: its two variables and its key set."""
    monkeypatch.setenv(contract.ENV_LABEL_SIGNING_KEYS_PARAMETER, LABEL_KEYS_PARAMETER)
    monkeypatch.setenv(contract.ENV_LABELS_API_KEY_ID, LABELS_API_KEY_ID)
    moto_client("ssm").put_parameter(
        Name=LABEL_KEYS_PARAMETER,
        Type="SecureString",
        Value=json.dumps({"keys": {"l1": LABEL_SECRET, "l2": SECOND_LABEL_SECRET}}),
    )
    return stack


@pytest.fixture
def labels(label_stack: Names) -> Iterator[LabelsClient]:
    """The labels handler as a fresh container whose clocks the test holds (as the ``webhook`` fixture)."""
    from fraud_detection.handlers import labels as module

    client = LabelsClient(module=module, secret=LABEL_SECRET, now=LABELLED_AT, clock=MovableClock())
    with attached(module, client):
        yield client
