"""The refresh schedule (ages after publication, the daily bound, gone articles) and the
content hash that tells an edit from a re-render."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from crawler.dataset.store import removed_at
from crawler.digest import changed_fields, content_hash, normalised_text
from crawler.setting_kinds import GROWING_DAYS
from crawler.state.refresh import RefreshCandidate, RefreshSchedule
from crawler.state.retries import RetrySchedule, found_hash

SCHEDULE = RefreshSchedule((1, 3, 7, 30, 90, 365), 500, RetrySchedule(1, 7))
PUBLISHED = datetime(2026, 1, 1, 12, tzinfo=UTC)
NOW = PUBLISHED + timedelta(days=40)
NO_WINDOW = NOW + timedelta(days=1)


def candidate(url: str, seen_after_days: float, published: datetime = PUBLISHED,
              gone: int = 0) -> RefreshCandidate:
    return RefreshCandidate(url, "en", published, published + timedelta(days=seen_after_days),
                            gone, NOW - timedelta(days=2) if gone else None)


def test_an_article_is_due_at_the_first_age_after_its_last_fetch() -> None:
    assert SCHEDULE.age_due(PUBLISHED, PUBLISHED) == PUBLISHED + timedelta(days=1)
    assert SCHEDULE.age_due(PUBLISHED, PUBLISHED + timedelta(days=3)) \
        == PUBLISHED + timedelta(days=7)  # an age reached exactly is done
    assert SCHEDULE.age_due(PUBLISHED, PUBLISHED + timedelta(days=100)) \
        == PUBLISHED + timedelta(days=365)
    # after the last age, every multiple of it: yearly
    assert SCHEDULE.age_due(PUBLISHED, PUBLISHED + timedelta(days=400)) \
        == PUBLISHED + timedelta(days=730)


def test_the_plan_takes_the_most_overdue_first_then_the_window_within_the_bound() -> None:
    fresh = candidate("fresh", 39.5)  # seen after its 30-day age: due at 90
    overdue = candidate("overdue", 2)  # its 3-, 7- and 30-day ages passed: due since day 3
    less = candidate("less", 20)  # due since day 30
    recent = candidate("recent", 0, published=NOW - timedelta(hours=5))
    plan = SCHEDULE.plan([fresh, less, overdue, recent], NOW, NOW - timedelta(days=1), 0)
    assert [c.url for c in plan.due] == ["overdue", "less", "recent"]
    bounded = RefreshSchedule(SCHEDULE.ages_days, 10, SCHEDULE.removed_retry).plan(
        [fresh, less, overdue, recent], NOW, NO_WINDOW, done_today=9)
    assert [c.url for c in bounded.chosen] == ["overdue"]
    assert bounded.summary() == {"due": 2, "requested": 1, "deferred": 1,
                                 "done_earlier_today": 9, "daily_max": 10}
    assert SCHEDULE.plan([overdue], NOW, NO_WINDOW, done_today=600).chosen == []


def test_a_gone_article_is_retried_by_the_rejects_schedule_not_its_age() -> None:
    gone_once = candidate("gone", 39.9, gone=1)  # by age not due for 50 days
    assert SCHEDULE.due_at(gone_once) == NOW - timedelta(days=2)  # the next run
    gone_four = candidate("gone4", 39.9, gone=4)  # then 1, 2, 4 ... days apart
    assert SCHEDULE.due_at(gone_four) == NOW - timedelta(days=2) + timedelta(days=4)
    plan = SCHEDULE.plan([gone_once, gone_four], NOW, NO_WINDOW, 0)
    assert [c.url for c in plan.due] == ["gone"]


def test_the_ages_setting_must_grow() -> None:
    assert GROWING_DAYS.read("[1, 3, 7]") == (1.0, 3.0, 7.0)
    for wrong in ("[3, 1]", "[]", "[0, 1]", "[1, 1]", "nonsense", "[1, -3]"):
        try:
            GROWING_DAYS.read(wrong)
        except ValueError:
            continue
        raise AssertionError(f"{wrong} accepted")


RECORD = {"title": "A title", "subtitle": None, "body": "One paragraph.\n\nTwo.",
          "author": "Someone", "image": "https://caliber.az/i.jpg", "views": 5,
          "scraped_at": "2026-01-01T00:00:00.000Z", "url": "https://caliber.az/post/x"}


def test_views_and_fetch_time_are_no_edit_but_a_text_change_is() -> None:
    assert content_hash(RECORD) == content_hash({**RECORD, "views": 9, "scraped_at": "x"})
    edited = {**RECORD, "title": "Another title", "body": "One paragraph.\n\nThree."}
    assert content_hash(edited) != content_hash(RECORD)
    assert changed_fields(RECORD, edited) == ["title", "body"]
    assert changed_fields(RECORD, {**RECORD, "image": None}) == ["image"]


@given(st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]),
                        min_size=1), min_size=1, max_size=6),
       st.lists(st.sampled_from([" ", "  ", "\n", "\n\n", "\t", "\u00a0 ", " \n "]),
                min_size=6, max_size=6))
def test_whitespace_alone_never_makes_an_edit(words: list[str], gaps: list[str]) -> None:
    words = [normalised_text(word) for word in words if normalised_text(word)]
    single = " ".join(words)
    spaced = gaps[0] + "".join(word + gap for word, gap in zip(words, gaps[1:] * 2,
                                                               strict=False))
    assert normalised_text(spaced) == normalised_text(single)
    assert content_hash({**RECORD, "body": spaced}) == content_hash({**RECORD, "body": single})


def test_unicode_form_is_no_edit() -> None:
    assert content_hash({**RECORD, "title": "Caf\u00e9"}) \
        == content_hash({**RECORD, "title": "Cafe\u0301"})


def test_the_rejects_page_hash_is_the_shared_digest_of_what_the_page_showed() -> None:
    found = {"title": "T", "views": "12", "scraped_at": "now", "body": "B"}
    assert found_hash(found) == found_hash({**found, "views": "13", "scraped_at": "later"})
    assert found_hash(found) != found_hash({**found, "body": "C"})


def test_removed_after_two_gone_refreshes_in_a_row_and_cleared_by_a_delivery() -> None:
    delivered = "2026-01-01T06:00:00.000Z"
    first, second = "2026-01-02T06:00:00Z", "2026-01-03T06:00:00Z"
    assert removed_at([first], delivered) is None  # one refresh said so
    assert removed_at([second, first], delivered) == first  # two in a row: since the first
    assert removed_at([first, second], "2026-01-04T06:00:00.000Z") is None  # it came back
    assert removed_at([first, second, "2026-01-05T06:00:00Z"],
                      "2026-01-04T06:00:00.000Z") is None  # gone once since it came back
