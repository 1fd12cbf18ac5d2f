"""Listing batches from saved pages: cards, and the listing's own way to its next batch.

Each way of paging is ``en-listing.html`` with that pager in place of its script-driven
load-more element (``PAGERS``); the fragment and the JSON batch in ``samples/pagination/``
are the replica's (``--pagination load-more`` and ``json``).
"""

from __future__ import annotations

import json

import pytest
from scrapy.http import HtmlResponse, TextResponse

from crawler.pages import JsonBatch, ListingPage, UnreadableBatch, read_batch, read_listing
from crawler.pages.listing import is_next_label
from crawler.site import SiteProfile
from crawler.walk import NextLink
from tests.responses import SAMPLES, file_response, sample_record

LISTING = "https://caliber.az/en/category/analytics"
REPLICA = "http://127.0.0.1:8123"
SITE = SiteProfile()


#: The site's own load-more element, driven by a script: no URL to follow.
SCRIPT_LOAD_MORE = '<div class="load_more" data-page="next">loading</div>'
#: Ways of paging, each put in place of that element (and, for rel-next, in the head).
PAGERS: dict[str, str] = {
    "rel-next": '<div class="pagination"><a href="/en/category/analytics/page/1">1</a>'
                '<span class="current">2</span><a href="/en/category/analytics/page/3">3</a>'
                f'<a class="next" rel="next" href="{LISTING}/page/3">&raquo;</a></div>',
    "pager": '<ul class="pager"><li><a href="?page=1">&laquo; Previous</a></li>'
             '<li><a href="?page=1">1</a></li><li class="active"><span>2</span></li>'
             '<li><a href="?page=3">3</a></li><li><a href="?page=3">Next &raquo;</a></li></ul>',
    "numbered": f'<div class="page-numbers"><a href="{LISTING}?p=1">1</a>'
                f'<a href="{LISTING}?p=2">2</a><b>3</b><a href="{LISTING}?p=4">4</a>'
                f'<a href="{LISTING}?p=40">40</a></div>',
    "load-more": '<div class="load_more" data-page="next" '
                 'data-url="/ajax/more?lang=en&amp;offset=18">loading</div>',
}
REL_LINKS = (f'<link rel="prev" href="{LISTING}/page/1">\n'
             f'<link rel="next" href="{LISTING}/page/3">\n')


def paged_html(pager: str) -> str:
    """``en-listing.html`` paged the way ``PAGERS[pager]`` says."""
    html = (SAMPLES / "en-listing.html").read_text("utf-8")
    assert html.count(SCRIPT_LOAD_MORE) == 1 and html.count("</head>") == 1
    html = html.replace(SCRIPT_LOAD_MORE, PAGERS[pager])
    return html.replace("</head>", REL_LINKS + "</head>") if pager == "rel-next" else html


def listing(name: str, url: str = LISTING) -> ListingPage:
    """The listing page object of a saved sample, or of ``en-listing.html`` with a pager."""
    if name in PAGERS:
        return ListingPage(HtmlResponse(url=url, body=paged_html(name).encode(),
                                        encoding="utf-8"), SITE)
    return ListingPage(file_response(name, url), SITE)


def json_response(body: str, url: str = f"{REPLICA}/api/en/category/analytics/posts?page=2",
                  content_type: str = "application/json") -> TextResponse:
    return TextResponse(url=url, body=body.encode(), encoding="utf-8",
                        headers={"Content-Type": content_type})


def test_the_sites_page_1_links_no_next_batch() -> None:
    """Its load-more element is script-driven (``data-page="next"``): no URL to follow."""
    page = listing("en-listing.html")
    assert [card.href for card in page.cards()] == sample_record("en-listing.json")["article_urls"]
    assert page.next_link(LISTING) is None
    assert page.says_last() is False


@pytest.mark.parametrize(
    ("name", "url", "number", "expected"),
    [
        # rel=next in the head wins over the pager (whose anchor says the same)
        ("rel-next", f"{LISTING}/page/2", 2,
         NextLink(f"{LISTING}/page/3", "rel_next")),
        # a pager's "Next »" (no rel), relative to the page; "« Previous" is not it
        ("pager", f"{LISTING}?page=2", 2,
         NextLink(f"{LISTING}?page=3", "pager_next")),
        # numbered pager only: the link to page N+1, not to the last page
        ("numbered", f"{LISTING}?p=3", 3,
         NextLink(f"{LISTING}?p=4", "numbered_pager")),
        # a load-more element with the next batch's URL in a data-* attribute
        ("load-more", LISTING, 1,
         NextLink("https://caliber.az/ajax/more?lang=en&offset=18", "load_more")),
    ],
)
def test_each_way_to_the_next_batch(name: str, url: str, number: int,
                                     expected: NextLink) -> None:
    page = listing(name, url)
    assert len(page.cards()) == 5
    assert page.next_link("https://caliber.az", number) == expected


def test_next_links_are_moved_onto_the_crawled_host() -> None:
    """Fetched from the replica, an absolute caliber.az link is asked of the replica."""
    page = listing("rel-next", f"{REPLICA}/en/category/analytics/page/2")
    assert page.next_link(REPLICA, 2) == NextLink(
        f"{REPLICA}/en/category/analytics/page/3", "rel_next")


def test_links_to_another_host_or_back_to_the_page_are_passed_over() -> None:
    """A foreign rel=next is no way on; the pager's own next link is used instead."""
    html = paged_html("rel-next").replace(
        '<link rel="next" href="https://caliber.az/en/category/analytics/page/3">',
        '<link rel="next" href="https://elsewhere.example/en/category/analytics/page/3">')
    html = html.replace(
        '<a class="next" rel="next" href="https://caliber.az/en/category/analytics/page/3">',
        '<a class="next" href="/en/category/analytics/page/2">')
    page = ListingPage(HtmlResponse(url=f"{LISTING}/page/2", body=html.encode(),
                                    encoding="utf-8"), SITE)
    # rel=next leaves the host, "»" points back at this page: the numbered pager remains
    assert page.next_link("https://caliber.az", 2) == NextLink(f"{LISTING}/page/3",
                                                               "numbered_pager")


def test_an_article_page_has_no_cards_and_no_next_batch() -> None:
    page = listing("en-article.html")
    assert page.cards() == []
    assert page.next_link(LISTING) is None


def test_a_fragment_of_cards_reads_like_a_page() -> None:
    """The load-more answer: cards only, and the element that loads the next ones."""
    response = file_response("pagination/en-listing-fragment.html", f"{REPLICA}/ajax/more?lang=en")
    page = read_batch(response, SITE)
    assert isinstance(page, ListingPage)
    cards = page.cards()
    assert len(cards) == 18
    assert all(card.title and card.date_text for card in cards)
    assert page.next_link(REPLICA, 1) == NextLink(f"{REPLICA}/ajax/more?lang=en&offset=18",
                                                  "load_more")


def test_a_json_batch_in_the_older_back_ends_shape() -> None:
    body = (SAMPLES / "pagination/en-listing-batch.json").read_text("utf-8")
    batch = read_batch(json_response(body), SITE)
    assert isinstance(batch, JsonBatch)
    expected = json.loads(body)["result"]
    assert [(card.href, card.title, card.date_text) for card in batch.cards()] == [
        (item["url"], item["title"], item["date"]) for item in expected]
    assert batch.pages_left() == 5
    assert batch.says_last() is False
    assert batch.next_link(REPLICA) is None


def test_json_card_fields_follow_the_setting() -> None:
    """Other key names, nested keys, relative links; objects without a link are no cards."""
    body = json.dumps({"result": [
        {"link": {"href": "/en/post/a"}, "name": "A", "published": "17 May 2025 10:29"},
        {"link": {}, "name": "no link"},
        "not an object",
    ], "pages_left": 0})
    site = SiteProfile(json_card_fields={"href": "link.href", "title": "name",
                                         "date_text": "published"})
    batch = JsonBatch(json_response(body, content_type="text/plain"), site)
    assert [(card.href, card.title, card.date_text) for card in batch.cards()] == [
        (f"{REPLICA}/en/post/a", "A", "17 May 2025 10:29")]
    assert batch.says_last() is True


@pytest.mark.parametrize(
    ("body", "message"),
    [("{not json", "does not parse"), ('{"error": "rate limited"}', "without a 'result' list"),
     ('["a", "b"]', "without a 'result' list")],
)
def test_json_of_another_shape_is_unreadable(body: str, message: str) -> None:
    batch = read_batch(json_response(body), SITE)
    with pytest.raises(UnreadableBatch, match=message):
        batch.cards()


def test_json_is_told_from_html_by_type_or_by_its_first_byte() -> None:
    assert isinstance(read_batch(json_response('{"result": []}', content_type="text/html"),
                                 SITE), JsonBatch)
    assert isinstance(read_batch(file_response("en-listing.html", LISTING), SITE), ListingPage)


@pytest.mark.parametrize(
    ("text", "says_next"),
    [("Next »", True), ("»", True), ("\u203a", True), ("Следующая →", True),
     ("Հաջորդը", True), ("next page", True), ("« Previous", False), ("4", False),
     ("", False), (None, False), ("Nextdoor", False)],
)
def test_pager_next_labels(text: str | None, says_next: bool) -> None:
    assert is_next_label(text) is says_next


#: "More" controls of classes no selector lists, each put in place of the site's
#: load-more element: (markup, the next link it gives, or None).
CONTROLS: dict[str, tuple[str, NextLink | None]] = {
    "onclick": ('<button type="button" class="feed-extend" '
                "onclick=\"feedExtend('/feed/more?lang=en&amp;from=4')\">Show more</button>",
                NextLink("https://caliber.az/feed/more?lang=en&from=4", "more_control")),
    "data-attribute": ('<div class="js-next" data-next-url="/feed/more?from=18">&#8635;</div>',
                       NextLink("https://caliber.az/feed/more?from=18", "more_control")),
    "ru-label": ('<a class="btn-x" href="?page=2">Показать ещё</a>',
                 NextLink(f"{LISTING}?page=2", "more_control")),
    "hy-label-inside": ('<a class="x" href="/arm/category/analytics?page=2"><span> Ավելին '
                        "</span></a>",
                        NextLink("https://caliber.az/arm/category/analytics?page=2",
                                 "more_control")),
    "next-arrow": ('<a class="go" href="/en/category/analytics?page=2">Next &raquo;</a>',
                   NextLink(f"{LISTING}?page=2", "more_control")),
}


def controlled(markup: str, url: str = LISTING) -> ListingPage:
    """``en-listing.html`` ending in ``markup`` instead of the site's load-more element."""
    html = (SAMPLES / "en-listing.html").read_text("utf-8").replace(SCRIPT_LOAD_MORE, markup)
    return ListingPage(HtmlResponse(url=url, body=html.encode(), encoding="utf-8"), SITE)


@pytest.mark.parametrize("name", list(CONTROLS))
def test_a_more_control_is_known_by_its_label_or_the_url_it_carries(name: str) -> None:
    markup, expected = CONTROLS[name]
    page = controlled(markup)
    assert page.next_link("https://caliber.az") == expected
    assert page.unfollowed_control("https://caliber.az") is None


def test_the_sites_own_control_carries_no_url_and_is_named() -> None:
    control = listing("en-listing.html").unfollowed_control("https://caliber.az")
    assert control is not None and control.known and control.url is None
    assert control.describe() == "<div.load_more[data-page='next']> 'loading'"


@pytest.mark.parametrize(("markup", "described"), [
    ('<button type="button" class="feed-extend">Show more</button>',
     "<button.feed-extend[type='button']> 'Show more'"),
    ('<span class="more-link" onclick="loadMore()">Ещё</span>',
     "<span.more-link[onclick='loadMore()']> 'Ещё'"),
    ('<a class="next" href="https://elsewhere.example/en/page/2">Next</a>',
     "<a.next[href='https://elsewhere.example/en/page/2']> 'Next'"),
    ('<a class="more" href="#">ավելին</a>', "<a.more[href='#']> 'ավելին'"),
])
def test_a_control_without_a_url_to_follow_is_unfollowed(markup: str, described: str) -> None:
    page = controlled(markup)
    assert page.next_link("https://caliber.az") is None
    control = page.unfollowed_control("https://caliber.az")
    assert control is not None and control.describe() == described


def test_what_carries_no_listing_url_is_no_control() -> None:
    """Images, articles, home pages and the page itself in data-* attributes; menu words."""
    page = controlled('<div class="lazy" data-src="/uploads/cover.jpg"></div>'
                      '<div class="share" data-url="https://caliber.az/en/post/some-article"></div>'
                      '<div class="lang" data-href="/en/"></div>'
                      f'<div class="self" data-href="{LISTING}#top"></div>'
                      '<a class="next disabled" href="/en/category/analytics">Next</a>'
                      '<p>More than a hundred readers</p>')
    assert page.next_link("https://caliber.az") is None
    assert page.unfollowed_control("https://caliber.az") is None
    assert [control.leads_here for control in page.controls("https://caliber.az")] == [True]


def test_a_control_inside_a_card_is_the_cards() -> None:
    html = (SAMPLES / "en-listing.html").read_text("utf-8").replace(SCRIPT_LOAD_MORE, "")
    html = html.replace('<div class="float_block">',
                        '<div class="float_block"><button data-next="/feed/more?p=2">more'
                        '</button>', 1)
    page = ListingPage(HtmlResponse(url=LISTING, body=html.encode(), encoding="utf-8"), SITE)
    assert page.controls("https://caliber.az") == []


def test_a_batch_read_for_the_walk() -> None:
    reading = read_listing(file_response("en-listing.html", LISTING), SITE, "https://caliber.az", 1)
    assert len(reading.cards) == len(reading.article_cards) == 5
    assert reading.article_cards[0][1].startswith("https://caliber.az/en/post/")
    assert reading.next_link is None and not reading.says_last
    assert reading.control == "<div.load_more[data-page='next']> 'loading'"
    size = len((SAMPLES / "en-listing.html").read_bytes())
    assert reading.described == f"HTTP 200, title 'ANALYTICS | Caliber.Az', {size} bytes"
