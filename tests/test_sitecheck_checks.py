"""The pure checks of ``scrapy sitecheck`` on replica pages (no server, no reactor)."""

from __future__ import annotations

from scrapy.http import HtmlResponse

from crawler.site import SiteProfile
from crawler.sitecheck.checks import ArticleSample, article_urls, check_articles, check_section
from crawler.sitecheck.findings import FAIL, PASS, UNSEEN, WARN, Findings, format_report
from crawler.sitecheck.pagination import PaginationProbe, first_step, judge_pagination, read_batch_2
from crawler.walk import Next
from tests.replica.generator import build_site
from tests.replica.lang import LANG
from tests.replica.render import (
    SCRIPTED_LOAD_MORE,
    render_article,
    render_home,
    render_listing,
)

BASE = "http://127.0.0.1:8000"
SITE = build_site(7, 0, {"en": 40, "ru": 40, "hy": 4})
PROFILE = SiteProfile()
COVERAGE = {"views": 0.2, "subtitle": 0.2, "author": 0.0}


def listing(lang: str, page: int, first: bool = False) -> HtmlResponse:
    """Listing page ``page`` as the replica serves it at ``?page=N`` (``first``: at page 1's
    URL, as a site that ignores the query answers); the site's control where more follows."""
    path = LANG[lang].listing_path + (f"?page={page}" if page > 1 and not first else "")
    more = SCRIPTED_LOAD_MORE if len(SITE.listing(lang)) > 18 * page else ""
    body = render_listing(SITE, lang, page, tail=more) or b"<html><body>404</body></html>"
    return HtmlResponse(BASE + path, body=body, encoding="utf-8")


def probe(lang: str, *answers: tuple[str, HtmlResponse | str],
          profile: SiteProfile = PROFILE) -> PaginationProbe:
    """Page 1 of ``lang`` and the batches 2 built by each template (template, answer)."""
    first = listing(lang, 1)
    urls = tuple(article_urls(first, profile, BASE))
    walk, step = first_step(lang, first, profile, BASE)
    if not isinstance(step, Next):
        return PaginationProbe(lang, urls, step)
    batches = []
    for template, answer in answers:
        walk, asked = first_step(lang, first, profile, BASE, template)
        assert isinstance(asked, Next)
        batches.append(read_batch_2(walk, asked, answer, BASE, urls, template))
    return PaginationProbe(lang, urls, step, tuple(batches))


def verdicts(findings: Findings) -> dict[str, tuple[str, str]]:
    return {f"{c.lang}/{c.name}": (c.status, c.seen) for c in findings.checks}


def judged(probe: PaginationProbe) -> tuple[Findings, tuple[str, str]]:
    out = Findings()
    judge_pagination(out, probe)
    return out, verdicts(out)[f"{probe.lang}/pagination"]


DEFAULT = PROFILE.page_url


def test_pagination_passes_with_new_cards_and_on_a_page_followed_by_nothing() -> None:
    _, (status, seen) = judged(probe("en", (DEFAULT, listing("en", 2))))
    assert status == PASS and seen.endswith("?page=2 (HTML) has 18 further cards"), seen
    _, (status, seen) = judged(probe("hy", (DEFAULT, "HTTP 404")))
    assert status == PASS, seen
    assert seen == ("ANALYTICS_PAGE_URL='{path}?page={n}': batch 2 at "
                    f"{BASE}/arm/category/analytics?page=2 answers 404, after batch 1 brought 4 "
                    "new cards: the walk ends there")


def test_a_short_page_repeated_fails_whatever_its_size() -> None:
    _, (status, seen) = judged(probe("hy", (DEFAULT, listing("hy", 1, first=True))))
    assert status == FAIL and "no way to page 2 works" in seen, seen
    assert "it shows only cards already seen (4): the site ignored it" in seen
    assert "add 'hy' to ANALYTICS_ONE_PAGE_LANGUAGES" in seen
    one_page = SiteProfile(one_page_languages=frozenset({"hy"}))
    _, (status, seen) = judged(probe("hy", profile=one_page))
    assert (status, seen) == (PASS, "page 1: page 1 links no next batch and "
                                    "ANALYTICS_ONE_PAGE_LANGUAGES lists hy")


def test_a_page_with_a_control_and_no_working_next_batch_fails_naming_it() -> None:
    for answer in ("HTTP 404", listing("ru", 1, first=True)):
        _, (status, seen) = judged(probe("ru", (DEFAULT, answer)))
        assert status == FAIL and "no way to page 2 works" in seen
        assert ("batch 1 shows a \"more\" control carrying no URL: "
                "<div.load_more[data-page='next']> 'loading'") in seen
        assert "set ANALYTICS_PAGE_URL" in seen


def test_another_template_that_works_is_printed() -> None:
    out, (status, seen) = judged(probe("ru", (DEFAULT, listing("ru", 1, first=True)),
                                       ("{path}/page/{n}", listing("ru", 2))))
    assert status == FAIL and "but ANALYTICS_PAGE_URL='{path}/page/{n}' works" in seen
    assert out.settings == {"ANALYTICS_PAGE_URL": "{path}/page/{n}"}


def test_a_page_without_cards_is_not_judged() -> None:
    _, (status, _) = judged(PaginationProbe("en", (), None))
    assert status == UNSEEN


def home(lang: str) -> HtmlResponse:
    return HtmlResponse(BASE + "/" + LANG[lang].prefix, body=render_home(SITE, lang),
                        encoding="utf-8")


def test_the_section_is_read_from_the_menu() -> None:
    out = Findings()
    assert check_section(out, "hy", home("hy"), PROFILE, BASE, listing_works=True) is None
    moved = SiteProfile(section_paths={**PROFILE.section_paths, "hy": "/arm/analytics"})
    assert check_section(out, "hy", home("hy"), moved, BASE, False) == "/arm/category/analytics"
    assert check_section(out, "hy", home("hy"), moved, BASE, True) == "/arm/category/analytics"
    relabelled = SiteProfile(section_labels={**PROFILE.section_labels, "hy": "ANALYTICS"})
    assert check_section(out, "hy", home("hy"), relabelled, BASE, True) is None
    assert [c.status for c in out.checks] == [PASS, FAIL, WARN, WARN]
    assert "menu reads ['POLITICS', 'ECONOMICS', 'ՎԵՐԼՈՒԾՈՒԹՅՈՒՆ'" in out.checks[3].seen
    out.suggest("ANALYTICS_SECTION_PATHS", {"hy": "/arm/category/analytics"})
    assert ("  -s 'ANALYTICS_SECTION_PATHS={\"hy\": \"/arm/category/analytics\"}'"
            in format_report(BASE, out).splitlines())


def article(index: int, renames: dict[str, str] | None = None) -> HtmlResponse:
    a = SITE.listing("ru")[index]
    body = render_article(SITE, a).decode()
    for old, new in (renames or {}).items():
        body = body.replace(old, new)
    return HtmlResponse(BASE + a.path, body=body.encode(), encoding="utf-8")


def sampled(*pages: HtmlResponse | str) -> dict[str, tuple[str, str]]:
    sample = ArticleSample(PROFILE, BASE, "Просмотров")
    for page in pages:
        sample.add("http://x/post/y", page)
    out = Findings()
    check_articles(out, "ru", sample, COVERAGE, 20)
    return verdicts(out)


def test_optional_fields_never_seen_are_unseen_with_the_monitors_consequence() -> None:
    no_subtitle = [i for i, a in enumerate(SITE.listing("ru")) if not a.subtitle][:2]
    found = sampled(*(article(i) for i in no_subtitle))
    status, seen = found["ru/subtitle"]
    assert status == UNSEEN
    assert seen.endswith("lower ANALYTICS_MONITOR_MIN_COVERAGE_SUBTITLE (now 0.2)")
    assert found["ru/article"] == (PASS, "2 read")


def test_an_optional_field_under_another_class_fails_naming_it() -> None:
    with_subtitle = next(i for i, a in enumerate(SITE.listing("ru")) if a.subtitle)
    found = sampled(article(with_subtitle, {"post_subtitle": "entry_subtitle"}))
    status, seen = found["ru/subtitle"]
    assert status == FAIL and "similar classes on the page: entry_subtitle" in seen


def test_a_failed_article_is_replaced_and_none_read_fails() -> None:
    found = sampled("HTTP 503 after 5 retries", article(0))
    assert found["ru/article"][0] == WARN and "HTTP 503 after 5 retries" in found["ru/article"][1]
    assert found["ru/title"][0] == PASS
    found = sampled("HTTP 503 after 5 retries")
    assert found == {"ru/article": (FAIL, "http://x/post/y: HTTP 503 after 5 retries")}


def test_a_clue_on_a_later_article_is_not_lost() -> None:
    """The first article has no counter (rightly); the second shows it under another class."""
    ru = SITE.listing("ru")
    without = next(i for i, a in enumerate(ru) if a.views is None)
    with_views = next(i for i, a in enumerate(ru) if a.views is not None)
    found = sampled(article(without), article(with_views, {"post_hits": "entry_hits"}))
    status, seen = found["ru/views"]
    assert status == FAIL and "the counter stands in div.entry_hits: 'Просмотров:" in seen
