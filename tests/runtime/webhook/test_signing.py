"""Signature scheme: round trip, rotation, replay window, malformed headers, tampering."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fraud_detection import signing

pytestmark = pytest.mark.unit

SECRET = "s" * 32
OTHER = "o" * 32
NOW = 1_795_342_050
BODY = b'{"transaction_id":"t-1"}'


def verify(header: str | None, body: bytes = BODY, secrets: tuple[str, ...] = (SECRET,), now: float = NOW) -> int:
    return signing.verify(header, body, secrets, now=now, tolerance_seconds=300)


def test_sign_matches_documented_formula() -> None:
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert signing.sign(SECRET, BODY, NOW) == f"t={NOW},v1={expected}"


def test_round_trip_returns_timestamp() -> None:
    assert verify(signing.sign(SECRET, BODY, NOW)) == NOW


def test_any_active_key_is_accepted() -> None:
    assert verify(signing.sign(OTHER, BODY, NOW), secrets=(SECRET, OTHER)) == NOW


def test_several_v1_entries_one_valid() -> None:
    good = signing.compute(SECRET, NOW, BODY)
    header = f"t={NOW},v1={'0' * 64},v1={good},v0=legacy"
    assert verify(header) == NOW


def test_uppercase_hex_is_accepted() -> None:
    header = f"t={NOW},v1={signing.compute(SECRET, NOW, BODY).upper()}"
    assert verify(header) == NOW


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("garbage", "malformed"),
        (f"v1={'0' * 64}", "malformed"),
        (f"t={NOW}", "malformed"),
        (f"t=abc,v1={'0' * 64}", "malformed"),
        (f"t=-5,v1={'0' * 64}", "malformed"),
        (f"t={NOW},t={NOW},v1={'0' * 64}", "malformed"),
        (f"t={NOW},v1=short", "malformed"),
        (f"t={NOW}," + ",".join(["v1=" + "0" * 64] * 9), "malformed"),
        ("t=" + "1" * 2000, "malformed"),
        (f"t={NOW},v1={'0' * 64}", "mismatch"),
    ],
)
def test_rejections_carry_a_reason(header: str | None, reason: str) -> None:
    with pytest.raises(signing.SignatureError) as caught:
        verify(header)
    assert caught.value.reason == reason


def test_stale_and_future_timestamps_are_rejected_even_when_correctly_signed() -> None:
    with pytest.raises(signing.SignatureError, match="stale"):
        verify(signing.sign(SECRET, BODY, NOW - 301))
    with pytest.raises(signing.SignatureError, match="future"):
        verify(signing.sign(SECRET, BODY, NOW + 301))
    assert verify(signing.sign(SECRET, BODY, NOW - 300)) == NOW - 300


def test_timestamp_is_bound_into_the_mac() -> None:
    digest = signing.compute(SECRET, NOW - 1000, BODY)
    with pytest.raises(signing.SignatureError, match="mismatch"):
        verify(f"t={NOW},v1={digest}")


def test_removed_key_is_no_longer_accepted() -> None:
    with pytest.raises(signing.SignatureError, match="mismatch"):
        verify(signing.sign(OTHER, BODY, NOW), secrets=(SECRET,))


@given(body=st.binary(max_size=512), flip=st.integers(min_value=0))
def test_any_single_byte_change_breaks_the_signature(body: bytes, flip: int) -> None:
    header = signing.sign(SECRET, body, NOW)
    assert verify(header, body=body) == NOW
    if body:
        index = flip % len(body)
        tampered = body[:index] + bytes([body[index] ^ 0x01]) + body[index + 1 :]
        with pytest.raises(signing.SignatureError):
            verify(header, body=tampered)
    with pytest.raises(signing.SignatureError):
        verify(header, body=body + b" ")


@given(header=st.text(max_size=300))
def test_arbitrary_headers_never_raise_anything_but_signature_error(header: str) -> None:
    with pytest.raises(signing.SignatureError):
        verify(header)
