"""Every read is checked before it becomes a CardRead, and a failure names its check."""

from datetime import date

import pytest
from hypothesis import given

from domain.card import MaskedPan
from domain.events import CardRead, EntryMode, ReadCheck, ReadError
from drivers.cardreader.checks import check_read
from drivers.cardreader.tracks import TrackData, TrackFormatError, mask, parse_track1, parse_track2
from drivers.errors import LocalProtocolError, RemoteProtocolError
from tests.drivers.cardreader.strategies import TODAY, future_expiries, pans, service_codes

VISA = "4111111111111111"


def track(pan=VISA, expiry="3012", service="201", name="", source="track 2"):
    return TrackData(source, pan, expiry, service, name)


def check(*tracks, today=TODAY):
    return check_read(tracks, EntryMode.SWIPE, today)


def test_a_good_read_becomes_a_card_read_with_the_name_from_track_1():
    result = check(track(), track(name="ZHANG/WEI", source="track 1"))
    assert isinstance(result, CardRead)
    assert result.card.pan == VISA and str(result.card.expiry) == "3012" and result.card.name == "ZHANG/WEI"
    assert result.entry_mode is EntryMode.SWIPE


@pytest.mark.parametrize(("tracks", "expected"), [
    ((track(pan="4242424242424241"),), ReadCheck.LUHN),
    ((track(expiry="2012"),), ReadCheck.EXPIRY),
    ((track(expiry="3013"),), ReadCheck.EXPIRY),  # month 13
    ((track(service="301"),), ReadCheck.SERVICE_CODE),  # unassigned first digit
    ((track(service="103"),), ReadCheck.SERVICE_CODE),  # ATM only
    ((track(pan="41111111"),), ReadCheck.FORMAT),  # too short to be a card number
    ((track(pan="41111111111111111111"),), ReadCheck.FORMAT),  # 20 digits
    ((track(pan="4111 1111 1111 1111"),), ReadCheck.FORMAT),
    ((track(expiry="30A2"),), ReadCheck.FORMAT),
    ((track(service="2O1"),), ReadCheck.FORMAT),
    ((track(), track(pan="4012888888881881", source="track 1")), ReadCheck.TRACK_MISMATCH),
    ((track(), track(expiry="3112", source="track 1")), ReadCheck.TRACK_MISMATCH),
    ((track(), track(service="101", source="track 1")), ReadCheck.TRACK_MISMATCH),
])
def test_each_failure_names_its_check(tracks, expected):
    result = check(*tracks)
    assert isinstance(result, ReadError) and result.check is expected, result


def test_the_last_day_of_the_expiry_month_is_still_valid():
    assert isinstance(check(track(expiry="2601"), today=date(2026, 1, 31)), CardRead)
    error = check(track(expiry="2601"), today=date(2026, 2, 1))
    assert isinstance(error, ReadError) and error.check is ReadCheck.EXPIRY
    assert "01/2026" in error.detail


def test_a_garbled_read_is_reported_before_anything_derived_from_its_digits():
    result = check(track(pan="4242424242424241", expiry="2012"), track(pan="41x1", source="track 1"))
    assert result.check is ReadCheck.FORMAT and "track 1" in result.detail


def test_a_mismatch_names_both_sources_and_the_field():
    result = check(track(), track(expiry="3112", source="track 1"))
    assert result.detail == "track 2 and track 1 disagree on the expiry date"
    assert result.masked == MaskedPan.of(VISA)


@given(pan=pans, expiry=future_expiries, service=service_codes)
def test_details_never_hold_a_full_card_number(pan, expiry, service):
    for variant in (track(pan=pan[:-1] + str((int(pan[-1]) + 1) % 10), expiry=expiry, service=service),
                    track(pan=pan, expiry="2001", service=service),
                    track(pan=pan, expiry=expiry, service="001"),
                    track(pan=pan, expiry="99AB", service=service)):
        result = check(variant)
        assert isinstance(result, ReadError)
        assert variant.pan not in result.detail
        assert result.masked == MaskedPan.of(variant.pan)


@pytest.mark.parametrize("pan", ["41111111", "4111111111", "", "4111111111111111111111"])
def test_a_number_too_short_or_long_to_mask_safely_is_not_masked(pan):
    assert mask(pan) is None  # MaskedPan.of would show every digit of a short number
    result = check(track(pan=pan))
    assert result.check is ReadCheck.FORMAT and result.masked is None
    assert not pan or pan not in result.detail


def test_checking_nothing_is_our_bug():
    with pytest.raises(LocalProtocolError):
        check_read((), EntryMode.SWIPE, TODAY)


def test_track_parsers_split_fields_and_keep_the_card_number_out_of_errors():
    one = parse_track1("B4111111111111111^ZHANG/WEI                 ^3012201000000")
    assert (one.pan, one.name, one.expiry, one.service_code) == (VISA, "ZHANG/WEI", "3012", "201")
    two = parse_track2("4111111111111111=301220100000")
    assert (two.pan, two.expiry, two.service_code, two.name) == (VISA, "3012", "201", "")
    assert VISA not in repr(one) and "411111******1111" in repr(one)


@pytest.mark.parametrize(("parser", "data", "words"), [
    (parse_track1, "A4111111111111111^X^3012201", "format code"),
    (parse_track1, "B4111111111111111^X3012201", "field separators"),
    (parse_track1, "B4111111111111111^X^30122", "need 7"),
    (parse_track1, "B4111111111111111^zhang^3012201", "0x7A at offset 18"),
    (parse_track1, "B" + "1" * 80, "at most 76"),
    (parse_track2, "4111111111111111D3012201", "0x44 at offset 16"),
    (parse_track2, "41111111111111113012201", "no separator"),
    (parse_track2, "4111111111111111=3012=201", "second separator"),
    (parse_track2, "4111111111111111=30122", "need 7"),
    (parse_track2, "1" * 38, "at most 37"),
])
def test_track_format_errors_say_what_is_wrong(parser, data, words):
    with pytest.raises(TrackFormatError) as caught:
        parser(data)
    assert isinstance(caught.value, RemoteProtocolError)
    assert words in str(caught.value) and VISA not in str(caught.value)
