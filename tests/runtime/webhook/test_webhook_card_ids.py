"""Card numbers sent as ``transaction_id``/``customer_id`` are refused (docs/contract.md, body fields).

Rule under test (``redaction.identifier_is_card_number``): an identifier made only of digits and
the separators ``-`` ``.`` ``:`` ``_`` (space: outside the id charset, so refused anyway) whose
digits, 13 to 19 of them, pass the Luhn check is a card number. It is answered with a 400 that
names the field and never the value, before anything is written. ``card_token`` is exempt.
The Luhn-valid numbers below are built with the project's own ``luhn_valid`` (check digit = the
one digit it accepts) and anchored by published test card numbers.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fraud_detection.redaction import identifier_is_card_number, luhn_valid
from tests.runtime.webhook.webhook_support import WebhookClient, base_transaction
from tests.support.leaks import SENTINEL_PAN
from tests.support.moto_stack import NAMES, REGION
from tests.support.tables import count_items

pytestmark = pytest.mark.unit

PROPERTY_SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
ID_FIELDS = ("transaction_id", "customer_id")
SEPARATORS = ("-", ".", ":", "_", " ")
DIGITS = "0123456789"
_IN_ID_CHARSET = re.compile(r"[A-Za-z0-9._:-]{1,128}")

# Published test card numbers (13, 15, 16 and 19 digits) and near misses.
KNOWN_VALID = ("4222222222222", "378282246310005", "4111111111111111", SENTINEL_PAN, "6011000990139424")
KNOWN_INVALID = ("4222222222223", "378282246310006", "4111111111111112", "4917612345009879")


def luhn_completions(body: str, valid: bool) -> list[str]:
    """``body`` plus each check digit that makes it Luhn-valid (exactly one) or invalid (the nine others)."""
    return [body + digit for digit in DIGITS if luhn_valid(body + digit) is valid]


@dataclass(frozen=True)
class CardLikeId:
    text: str  # what is sent
    digits: str  # its digits, separators removed
    luhn: bool

    @property
    def is_card_number(self) -> bool:
        """The contract's rule, stated independently of the implementation."""
        return self.luhn and 13 <= len(self.digits) <= 19

    @property
    def in_charset(self) -> bool:
        return bool(_IN_ID_CHARSET.fullmatch(self.text))


def formatted(digits: str, cuts: list[int], separators: list[str], luhn: bool) -> CardLikeId:
    bounds = [0, *cuts, len(digits)]
    groups = [digits[start:end] for start, end in itertools.pairwise(bounds)]
    text = groups[0] + "".join(sep + group for sep, group in zip(separators, groups[1:], strict=False))
    return CardLikeId(text=text, digits=digits, luhn=luhn)


@st.composite
def card_like_ids(draw: st.DrawFn, separators: tuple[str, ...] = SEPARATORS) -> CardLikeId:
    """12-20 digits, Luhn-valid or not, split into groups joined by random separators."""
    length = draw(st.integers(12, 20))
    luhn = draw(st.booleans())
    body = draw(st.text(DIGITS, min_size=length - 1, max_size=length - 1))
    digits = draw(st.sampled_from(luhn_completions(body, luhn)))
    cuts = sorted(draw(st.sets(st.integers(1, length - 1), max_size=5)))
    chosen = [draw(st.sampled_from(separators)) for _ in cuts]
    return formatted(digits, cuts, chosen, luhn)


VALID_12 = luhn_completions("41111111111", True)[0]
VALID_20 = luhn_completions("4111111111111111111", True)[0]
EDGE_CASES = [
    formatted(VALID_12, [], [], True),  # 12 digits: too short for a card number
    formatted(VALID_20, [4, 8, 12, 16], ["-"] * 4, True),  # 20 digits: too long
    formatted(KNOWN_VALID[0], [], [], True),  # 13
    formatted("4000000000000000006", [4, 8, 12, 16], [":", ".", "_", "-"], True),  # 19
    formatted(SENTINEL_PAN, [4, 8, 12], [" "] * 3, True),
    formatted(SENTINEL_PAN, [4, 8, 12], ["_"] * 3, True),
]


def stored(transaction_id: str) -> dict[str, Any] | None:
    response = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=NAMES.table, Key={"pk": {"S": f"TXN#{transaction_id}"}}
    )
    return response.get("Item")


_serial = itertools.count()


def fresh_transaction_id() -> str:
    """Unique per call, so every accepted example writes its own item (no duplicate deliveries)."""
    return f"prop-{next(_serial)}-{uuid.uuid4().hex[:8]}"


# --- the rule, as a pure function --------------------------------------------------------------


def test_published_test_numbers_anchor_the_luhn_check() -> None:
    assert all(luhn_valid(number) for number in KNOWN_VALID)
    assert not any(luhn_valid(number) for number in KNOWN_INVALID)
    assert luhn_valid("4000000000000000006")
    assert len(VALID_12) == 12 and len(VALID_20) == 20


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("4111111111111111", True),
        ("4111-1111-1111-1111", True),
        ("4111.1111.1111.1111", True),
        ("4111:1111:1111:1111", True),
        ("4111_1111_1111_1111", True),
        ("4111 1111 1111 1111", True),
        ("4111.1111_1111:1111", True),
        ("-4222222222222-", True),
        ("4111111111111112", False),  # Luhn-invalid
        (VALID_12, False),
        (VALID_20, False),
        ("txn-123", False),
        ("txn-20261122-000123", False),
        ("cust-4111111111111111", False),  # a letter: not an identifier that is a card number
        ("4111111111111111x", False),
        ("4111/1111/1111/1111", False),  # not a separator of the id charset
        ("\uff14" + "\uff11" * 15, False),  # fullwidth (non-ASCII) digits
        ("", False),
        ("----", False),
    ],
)
def test_identifier_is_card_number_examples(identifier: str, expected: bool) -> None:
    assert identifier_is_card_number(identifier) is expected


@given(card_like_ids())
def test_identifier_rule_matches_the_contract(candidate: CardLikeId) -> None:
    assert identifier_is_card_number(candidate.text) is candidate.is_card_number


@given(st.uuids(version=4), st.sampled_from(["", "txn-", "cust_", "id:"]))
def test_uuids_and_ids_with_letters_are_never_card_numbers(value: uuid.UUID, prefix: str) -> None:
    assert not identifier_is_card_number(prefix + str(value))
    assert not identifier_is_card_number(prefix + value.hex)


# --- through the handler, against moto -----------------------------------------------------------


@PROPERTY_SETTINGS
@given(candidate=card_like_ids(), field=st.sampled_from(ID_FIELDS))
@example(candidate=EDGE_CASES[0], field="transaction_id")
@example(candidate=EDGE_CASES[1], field="customer_id")
@example(candidate=EDGE_CASES[2], field="customer_id")
@example(candidate=EDGE_CASES[3], field="transaction_id")
@example(candidate=EDGE_CASES[4], field="customer_id")
@example(candidate=EDGE_CASES[5], field="transaction_id")
def test_card_number_in_an_identifier_is_a_400_naming_the_field_and_writes_nothing(
    webhook: WebhookClient, candidate: CardLikeId, field: str
) -> None:
    transaction_id = candidate.text if field == "transaction_id" else fresh_transaction_id()
    document = base_transaction(**{"transaction_id": transaction_id, field: candidate.text})
    before = count_items(NAMES.table)
    log_before = len(webhook.log_text)

    result = webhook.post(document)

    if candidate.is_card_number or not candidate.in_charset:
        assert result.status == 400, result.text
        assert count_items(NAMES.table) == before
        errors = result.json["errors"]
        assert [error["field"] for error in errors] == [field]
        if candidate.in_charset:
            assert errors == [{"field": field, "error": "card_number_in_identifier"}]
        log = webhook.log_text[log_before:]
        for text in (result.text, log):
            assert candidate.text not in text
            assert candidate.digits not in text
    else:
        assert result.status == 200, result.text
        item = stored(transaction_id)
        assert item is not None
        assert item[field] == {"S": candidate.text}


def test_both_identifiers_and_another_bad_field_are_reported_at_once(webhook: WebhookClient) -> None:
    document = base_transaction(transaction_id="4111-1111-1111-1111", customer_id="4917.6123.4500.9878", currency="usd")
    result = webhook.post(document)
    assert result.status == 400
    assert result.json["message"] == "validation failed"
    assert sorted(result.json["errors"], key=lambda error: error["field"]) == [
        {"field": "currency", "error": "string_pattern_mismatch"},
        {"field": "customer_id", "error": "card_number_in_identifier"},
        {"field": "transaction_id", "error": "card_number_in_identifier"},
    ]
    assert count_items(NAMES.table) == 0
    for text in (result.text, webhook.log_text):
        for leaked in ("4111-1111-1111-1111", "4111111111111111", "4917.6123.4500.9878", "4917612345009878"):
            assert leaked not in text


@PROPERTY_SETTINGS
@given(
    transaction_id=st.one_of(
        st.just("txn-123"),
        st.just("txn-20261122-000123"),
        st.uuids(version=4).map(str),
        st.builds(lambda body: "txn-" + body, st.from_regex(r"\A[0-9]{13,19}\Z")),
    ),
    customer_id=st.one_of(st.just("cust-8812"), st.uuids(version=4).map(str)),
)
def test_ordinary_ids_are_still_accepted(webhook: WebhookClient, transaction_id: str, customer_id: str) -> None:
    result = webhook.post(base_transaction(transaction_id=transaction_id, customer_id=customer_id))
    assert result.status == 200, result.text
    assert result.json["transaction_id"] == transaction_id
    assert stored(transaction_id) is not None


@PROPERTY_SETTINGS
@given(
    digits=st.text(DIGITS, min_size=12, max_size=18).map(lambda body: luhn_completions(body, False)[0]),
    field=st.sampled_from(ID_FIELDS),
)
def test_luhn_invalid_numeric_ids_are_still_accepted(webhook: WebhookClient, digits: str, field: str) -> None:
    transaction_id = digits if field == "transaction_id" else fresh_transaction_id()
    result = webhook.post(base_transaction(**{"transaction_id": transaction_id, field: digits}))
    assert result.status == 200, result.text
    item = stored(transaction_id)
    assert item is not None
    assert item[field] == {"S": digits}


@pytest.mark.parametrize("token", [SENTINEL_PAN, "4111-1111-1111-1111", KNOWN_VALID[0]])
def test_luhn_valid_card_token_is_still_accepted_and_only_fingerprinted(webhook: WebhookClient, token: str) -> None:
    assert identifier_is_card_number(token)
    result = webhook.post(base_transaction(transaction_id="tok-ok", card_number=None, card_token=token))
    assert result.status == 200, result.text
    item = stored("tok-ok")
    assert item is not None
    assert item["card_key"]["S"].startswith("CARD#")
    assert token not in json.dumps(item)
    assert re.sub(r"\D", "", token) not in json.dumps(item)
