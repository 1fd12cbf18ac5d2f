"""The replica's home pages and its site variants: articles per language, rare fields."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from parsel import Selector

from tests.replica.generator import RARE_EVERY, build_site, language_order
from tests.replica.handle import ReplicaHandle
from tests.replica.lang import LANG
from tests.replica.render import SITE, render_home
from tests.test_replica import fetch


def menu(page: bytes) -> dict[str, str]:
    """The header menu: label -> link."""
    links = Selector(text=page.decode()).css("nav.menu a")
    return {link.css("::text").get(""): link.attrib["href"] for link in links}


def test_languages_can_have_their_own_article_counts() -> None:
    assert language_order(4) == ["en", "ru", "hy", "en"]
    assert language_order(99, {"en": 3, "hy": 1}) == ["en", "hy", "en", "en"]
    site = build_site(5, 0, {"en": 40, "ru": 5, "hy": 4})
    truth = site.truth()
    assert [sum(r["lang"] == lang for r in truth) for lang in ("en", "ru", "hy")] == [40, 5, 4]
    assert len(site.listing_page("ru", 1)) == 5 and site.listing_page("ru", 2) == []
    with pytest.raises(ValueError, match="unknown languages"):
        language_order(0, {"de": 1})


def test_rare_fields_stay_on_one_article_in_ten() -> None:
    plain = build_site(7, 60)
    rare = build_site(7, 60, rare_fields=("subtitle", "image"))
    for before, after in zip(plain.articles, rare.articles, strict=True):
        keep = after.key % RARE_EVERY == RARE_EVERY - 1
        assert after.subtitle == (before.subtitle if keep else None)
        assert after.subtitle_html == (before.subtitle_html if keep else None)
        assert after.image == (before.image if keep else None)
        assert after.author == before.author and after.title == before.title
    records = rare.truth()
    assert 0 < sum(bool(r["subtitle"]) for r in records) <= 60 // RARE_EVERY
    assert [r["url"] for r in records] == [r["url"] for r in plain.truth()]


def test_home_pages_carry_the_menu_with_the_section(
    replica: Callable[..., ReplicaHandle]
) -> None:
    r = replica(articles=9, seed=7)
    site = build_site(7, 9)
    for lang in ("en", "ru", "hy"):
        spec = LANG[lang]
        status, _, body = fetch(r.base_url, f"/{spec.prefix}")
        assert status == 200 and body == render_home(site, lang)
        assert menu(body)[spec.analytics_label] == SITE + spec.listing_path
    assert fetch(r.base_url, "/de/")[0] == 404
