"""Dates, views and text rules, by example and by property (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.normalize import (
    FieldError,
    clean_text,
    collapse_whitespace,
    format_date,
    join_paragraphs,
    parse_iso_date,
    parse_site_date,
    parse_views,
)
from crawler.runs.instants import format_utc
from crawler.site import MONTH_NAMES

BAKU = ZoneInfo("Asia/Baku")


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ("01 March 2023 16:15", "2023-03-01T16:15:00+04:00"),
        ("25 November 2022 - 16:39", "2022-11-25T16:39:00+04:00"),
        ("INTERVIEWS  25 November 2022 - 16:39", "2022-11-25T16:39:00+04:00"),
        ("25 Июня 2026 17:24", "2026-06-25T17:24:00+04:00"),
        ("25 июня 2026 17:24", "2026-06-25T17:24:00+04:00"),
        ("13 Դեկտեմբերի 2023 13:10", "2023-12-13T13:10:00+04:00"),
        ("\n  7 may 2025   09:05 \n", "2025-05-07T09:05:00+04:00"),
        # Baku kept summer time until 2016: the offset comes from the zone.
        ("15 July 2015 12:00", "2015-07-15T12:00:00+05:00"),
        ("15 January 2015 12:00", "2015-01-15T12:00:00+04:00"),
    ],
)
def test_site_dates(shown: str, expected: str) -> None:
    assert format_date(parse_site_date(shown)) == expected


@pytest.mark.parametrize(
    "shown", ["", "yesterday", "31 February 2023 10:00", "12 Smarch 2023 10:00",
              "12 May 2023 25:00", "12 May 2023"],
)
def test_unreadable_dates_are_errors_not_guesses(shown: str) -> None:
    with pytest.raises(FieldError) as caught:
        parse_site_date(shown)
    assert caught.value.reason == "date_unreadable"


def test_a_local_time_that_never_existed_is_an_error() -> None:
    """29 March 2015, 04:30 in Baku fell into the spring-forward gap."""
    with pytest.raises(FieldError) as caught:
        parse_site_date("29 March 2015 04:30")
    assert caught.value.reason == "date_nonexistent"


@given(
    moment=st.datetimes(min_value=datetime(2005, 1, 1), max_value=datetime(2035, 12, 31)),
    lang=st.sampled_from(sorted(MONTH_NAMES)),
    case=st.sampled_from([str, str.lower, str.upper]),
    legacy=st.booleans(),
)
def test_any_shown_date_reads_back_with_the_zone_offset(
    moment: datetime, lang: str, case: type[str], legacy: bool
) -> None:
    instant = moment.replace(second=0, microsecond=0, tzinfo=UTC).astimezone(BAKU)
    month = case(MONTH_NAMES[lang][instant.month - 1])
    shown = f"{instant.day:02d} {month} {instant.year}{' -' if legacy else ''} {instant:%H:%M}"
    parsed = parse_site_date(shown)
    assert parsed.replace(tzinfo=None) == instant.replace(tzinfo=None)
    if instant.fold == 0:  # an hour shown twice in autumn reads as its first occurrence
        assert parsed.utcoffset() == instant.utcoffset()
        assert parsed.astimezone(UTC) == instant.astimezone(UTC)
    assert format_date(parsed)[:19] == instant.strftime("%Y-%m-%dT%H:%M:%S")


@pytest.mark.parametrize("shown", ["1 January 0001 00:01", "01 January 0001 - 00:00"])
def test_a_cms_empty_date_is_unreadable(shown: str) -> None:
    """The year-1 date a CMS shows for no date names no instant (its UTC is in year 0)."""
    with pytest.raises(FieldError) as caught:
        parse_site_date(shown)
    assert caught.value.reason == "date_unreadable"


@given(
    moment=st.datetimes(min_value=datetime.min, max_value=datetime.max),
    lang=st.sampled_from(sorted(MONTH_NAMES)),
)
def test_a_shown_date_of_any_year_reads_as_itself_or_is_an_error(
    moment: datetime, lang: str
) -> None:
    """Years 1 to 9999: the wall-clock time shown, in Baku, or a ``FieldError``, never
    another exception (the edges of the calendar name no instant in UTC)."""
    shown = (f"{moment.day} {MONTH_NAMES[lang][moment.month - 1]} {moment.year:04d} "
             f"{moment:%H:%M}")
    try:
        parsed = parse_site_date(shown)
    except FieldError as error:
        assert error.reason in ("date_unreadable", "date_nonexistent")
        return
    assert parsed.replace(tzinfo=None) == moment.replace(second=0, microsecond=0)
    assert parsed.tzinfo is not None and parsed.astimezone(UTC)  # an instant


@given(
    moment=st.datetimes(min_value=datetime.min, max_value=datetime.max),
    offset=st.none() | st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_a_structured_date_of_any_year_is_an_instant_or_an_error(
    moment: datetime, offset: int | None
) -> None:
    """Any ISO 8601 moment of years 1 to 9999, with or without an offset: the same instant
    in Baku, or a ``FieldError`` (none such in Baku), never another exception."""
    zone = None if offset is None else timezone(timedelta(minutes=offset))
    given_moment = moment.replace(tzinfo=zone)
    try:
        parsed = parse_iso_date(given_moment.isoformat())
    except FieldError as error:
        assert error.reason in ("date_unreadable", "date_nonexistent")
        return
    if zone is None:
        assert parsed.replace(tzinfo=None) == moment
    else:
        assert parsed == given_moment


def test_format_utc() -> None:
    moment = datetime(2026, 11, 28, 10, 0, 5, 999, tzinfo=timezone(timedelta(hours=4)))
    assert format_utc(moment) == "2026-11-28T06:00:05Z"


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ("Views: 818", 818),
        ("Просмотров: 179", 179),
        ("Դիտումներ: 2 468", 2468),
        ("Views: 12\u00a0345", 12345),
        ("Views: 1,234,567", 1234567),
        ("Views: 12.345", 12345),
        ("Views: 0", 0),
        (None, None),
    ],
)
def test_views(shown: str | None, expected: int | None) -> None:
    assert parse_views(shown) == expected


@pytest.mark.parametrize("shown", ["Views:", "Views: 12,34", "Views: 1 234,567", "Views: 12 abc"])
def test_views_that_are_not_whole_numbers_are_errors(shown: str) -> None:
    with pytest.raises(FieldError):
        parse_views(shown)


@given(
    number=st.integers(min_value=0, max_value=10**12),
    separator=st.sampled_from(["", " ", "\u00a0", ",", "."]),
    label=st.sampled_from(["Views: ", "Просмотров: ", "Դիտումներ: ", ""]),
)
def test_views_with_any_separator(number: int, separator: str, label: str) -> None:
    grouped = f"{number:,}".replace(",", separator)
    assert parse_views(f"{label}{grouped}") == number


@given(st.text())
def test_collapse_whitespace_is_idempotent_and_trimmed(text: str) -> None:
    once = collapse_whitespace(text)
    assert collapse_whitespace(once) == once
    assert once == once.strip()
    assert "  " not in once and "\n" not in once and "\t" not in once


@given(st.text())
def test_clean_text_never_returns_blank(text: str) -> None:
    cleaned = clean_text(text)
    assert cleaned is None or (cleaned and cleaned == collapse_whitespace(text))


@given(st.lists(st.text()))
def test_paragraphs_join_into_non_empty_collapsed_blocks(paragraphs: list[str]) -> None:
    body = join_paragraphs(paragraphs)
    blocks = body.split("\n\n") if body else []
    assert blocks == [collapse_whitespace(p) for p in paragraphs if collapse_whitespace(p)]
