"""Property tests: whatever a labeller (or anyone holding the labels API key) sends, never a 5xx, a refusal
writes nothing, and no answer carries internals. Signed with the label key, so the bodies reach validation."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.runtime.labels.labels_support import TRANSACTION_ID, LabelsClient, label_objects, ledger
from tests.support.json_strategies import PROPERTY_SETTINGS, json_value
from tests.support.leaks import assert_no_leak

pytestmark = pytest.mark.unit

instants = st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat())
field_values: dict[str, st.SearchStrategy[Any]] = {
    "transaction_id": st.one_of(st.just(TRANSACTION_ID), st.from_regex(r"\A[A-Za-z0-9._:-]{1,20}\Z"), json_value),
    "label": st.one_of(st.sampled_from(["fraud", "legitimate"]), json_value),
    "source": st.one_of(st.sampled_from(["analyst", "chargeback", "customer"]), json_value),
    "occurred_at": st.one_of(instants, st.text(max_size=70), json_value),
}


@PROPERTY_SETTINGS
@given(
    document=st.one_of(
        st.fixed_dictionaries({}, optional=field_values),
        st.fixed_dictionaries({}, optional=field_values | {"extra": json_value}),
        json_value,
    )
)
def test_signed_hostile_bodies_are_never_a_5xx(labels: LabelsClient, document: Any) -> None:
    ledger()
    before = label_objects()
    result = labels.post(document)
    assert result.status in (200, 201, 400, 404, 409, 413), result.text
    assert_no_leak(result.text)
    if result.status >= 400:
        assert label_objects() == before


@PROPERTY_SETTINGS
@given(body=st.binary(max_size=512), signature=st.one_of(st.none(), st.text(max_size=120)))
def test_unsigned_garbage_is_always_a_4xx_and_writes_nothing(
    labels: LabelsClient, body: bytes, signature: str | None
) -> None:
    result = labels.post(body, signature=signature, base64_encoded=True)
    assert result.status in (400, 401, 413, 415)
    assert_no_leak(result.text)
    assert label_objects() == {}
