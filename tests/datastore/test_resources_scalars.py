"""Calico's scalar types: Go durations, ports, AS numbers, timestamps (examples and properties)."""
import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datastore.resources import Duration, Port, parse_asn
from datastore.resources.scalars import parse_timestamp


@pytest.mark.parametrize(
    "text, canonical",
    [("0", "0s"), ("0s", "0s"), ("90s", "1m30s"), ("1h2m3.5s", "1h2m3.5s"), ("2h", "2h0m0s"), ("15m", "15m0s"),
     ("300ms", "300ms"), ("1.5ms", "1.5ms"), ("1500us", "1.5ms"), ("1µs", "1µs"), ("10ns", "10ns"),
     ("-5s", "-5s"), ("+1m", "1m0s"), ("1h0.5m", "1h0m30s"), (".5s", "500ms")],
)
def test_duration_canonical_text(text, canonical):
    assert str(Duration.parse(text)) == canonical


@pytest.mark.parametrize(
    "text, message",
    [("", 'time: invalid duration ""'), ("abc", 'time: invalid duration "abc"'),
     ("10", 'time: missing unit in duration "10"'), ("10x", 'time: unknown unit "x" in duration "10x"'),
     ("1.s.", 'time: invalid duration "1.s."')],
)
def test_duration_errors(text, message):
    with pytest.raises(ValueError) as info:
        Duration.parse(text)
    assert str(info.value) == message


def test_duration_helpers():
    assert Duration.of(hours=1, minutes=1, seconds=1.5).total_seconds() == 3661.5
    assert Duration.parse("1m") > Duration.parse("59s")


@given(st.integers(min_value=-(2**62), max_value=2**62))
def test_duration_text_round_trips(nanoseconds):
    duration = Duration(nanoseconds)
    assert Duration.parse(str(duration)) == duration


@given(st.integers(0, 65535), st.integers(0, 65535))
def test_port_range_round_trips(low, high):
    low, high = sorted((low, high))
    port = Port(low, high)
    assert Port.parse(str(port)) == port


@pytest.mark.parametrize(
    "text, message",
    [("1:65536", "invalid maximum port number in range (1:65536)"),
     ("65536:65537", "invalid minimum port number in range (65536:65537)"),
     ("65535:1", "minimum port number (65535) is greater than maximum port number (1) in port range"),
     ("", "invalid name for named port ()"), ("a:b", "invalid name for named port (a:b)")],
)
def test_port_errors(text, message):
    with pytest.raises(ValueError) as info:
        Port.parse(text)
    assert str(info.value) == message


@given(st.integers(0, 65535), st.integers(0, 65535))
def test_dotted_asn(high, low):
    assert parse_asn(f"{high}.{low}") == high * 65536 + low


@pytest.mark.parametrize("text", ["4294967296", "65536.1", "1.2.3", "-1", "+1", "", "a"])
def test_bad_asn_text(text):
    with pytest.raises(ValueError) as info:
        parse_asn(text)
    assert str(info.value) == f"invalid AS Number format ({text})"


def test_timestamps_normalise_to_utc_seconds():
    assert parse_timestamp("2024-05-01T12:00:00.123+02:00") == "2024-05-01T10:00:00Z"
    for bad in ("2024-05-01", "yesterday", "2024-05-01T10:00:00"):
        with pytest.raises(ValueError):
            parse_timestamp(bad)
    from datastore.resources.serde import format_timestamp

    assert format_timestamp(datetime.datetime(2024, 1, 2, 3, 4, 5, 999)) == "2024-01-02T03:04:05Z"
