"""Properties of the finder (hypothesis): it never returns a date or a views number that the
site's rules would not read, whatever text a page holds around it."""

from __future__ import annotations

from html import escape

from hypothesis import given
from hypothesis import strategies as st
from scrapy.http import HtmlResponse

from crawler.normalize import parse_site_date, parse_views
from crawler.pages.finder import SiteRules, site_date, views_counter
from crawler.site import LANGUAGE_PREFIXES, LANGUAGES, MONTH_NAMES, VIEWS_LABELS, SiteProfile

#: Pieces a page's text is made of: the site's own words and numbers among arbitrary text,
#: so that near-dates and near-counters are common.
PIECES = st.one_of(
    st.sampled_from([name for names in MONTH_NAMES.values() for name in names]),
    st.sampled_from([name.upper() for names in MONTH_NAMES.values() for name in names]),
    st.sampled_from(list(VIEWS_LABELS.values())),
    st.sampled_from([" ", ":", " - ", "\u00a0", ",", ".", "\n", "17", "01", "32", "2023", "16:15",
                     "24:61", "1 310", "2,468", "12.345.6", "9999999", "0"]),
    st.integers(0, 3000).map(str),
    st.tuples(st.integers(0, 40), st.sampled_from([n for ns in MONTH_NAMES.values() for n in ns]),
              st.integers(1990, 2030), st.sampled_from([" ", " - ", ", ", "  "]),
              st.integers(0, 30), st.integers(0, 70)).map(
        lambda d: f"{d[0]:02d} {d[1]} {d[2]}{d[3]}{d[4]:02d}:{d[5]:02d}"),
    st.text(max_size=6),
)
TEXTS = st.lists(PIECES, max_size=14).map("".join)


def months_of(lang: str) -> set[str]:
    return {name.casefold() for name in MONTH_NAMES[lang]}


def assert_site_date(found: str | None, lang: str) -> None:
    """``found`` is None or a date the site's rules read, with a month of ``lang``."""
    if found is None:
        return
    parse_site_date(found)  # raises if the rules would not read it
    assert found.split()[1].casefold() in months_of(lang), found


def assert_views(found: str | None, lang: str) -> None:
    """``found`` is None or the language's counter whose number the rules read."""
    if found is None:
        return
    assert found.startswith(VIEWS_LABELS[lang]), found
    assert isinstance(parse_views(found), int)


@given(TEXTS, st.sampled_from(LANGUAGES))
def test_a_found_date_is_one_the_rules_read_in_the_language(text: str, lang: str) -> None:
    assert_site_date(site_date(text, lang), lang)


@given(TEXTS, st.sampled_from(LANGUAGES))
def test_a_found_counter_is_one_the_rules_read(text: str, lang: str) -> None:
    assert_views(views_counter(text, VIEWS_LABELS[lang]), lang)


@given(st.lists(TEXTS, min_size=1, max_size=8), st.sampled_from(LANGUAGES))
def test_on_a_whole_page_the_finder_returns_only_what_the_rules_read(
    blocks: list[str], lang: str
) -> None:
    """A page of arbitrary blocks after its heading: the date and the counter the finder
    returns (if any) are ones the rules read."""
    body = "".join(f"<div>{escape(block)}</div>" for block in blocks)
    html = (f"<html><body><main><div class='x'><h1>Title</h1>{body}</div></main>"
            "</body></html>")
    url = f"https://caliber.az{LANGUAGE_PREFIXES[lang]}post/some-slug"
    response = HtmlResponse(url, body=html.encode(), encoding="utf-8")
    rules = SiteRules(response.selector.root, url, SiteProfile())
    assert_site_date(rules.date_text(), lang)
    assert_views(rules.views_text(), lang)


def test_the_properties_can_fail() -> None:
    """The checks above refuse what the rules would not read (so they test something)."""
    for wrong, check in (("32 May 2023 16:15", assert_site_date),
                         ("17 Мая 2023 16:15", assert_site_date),
                         ("Просмотров: 5", assert_views), ("Views: 1,23", assert_views)):
        try:
            check(wrong, "en")
        except (AssertionError, ValueError):
            continue
        raise AssertionError(f"{wrong!r} passed")
    assert site_date("on 17 May 2023 16:15, said", "en") == "17 May 2023 16:15"
    assert site_date("17 Мая 2023 16:15", "en") is None
    assert views_counter("Views: 1 310", "Views") == "Views: 1 310"
    assert views_counter("Views: 1 310 since May", "Views") is None
