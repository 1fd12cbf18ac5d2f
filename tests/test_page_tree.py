"""``page_tree`` builds from the body's bytes the very tree parsel builds from ``response.text``
(the article pages' parse; ``crawler.pages.article``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from parsel import Selector
from scrapy.http import HtmlResponse

from crawler.pages.tree import page_tree
from tests.replica.generator import build_site
from tests.replica.render import render_article

SITE = build_site(7, 30)


def parsel_tree(response: HtmlResponse) -> bytes:
    """What ``response.selector`` parses, serialised."""
    return etree.tostring(Selector(text=response.text, type="html").root, encoding="utf-8")


def tree(response: HtmlResponse) -> bytes:
    return etree.tostring(page_tree(response), encoding="utf-8")


@pytest.mark.parametrize("index", range(0, 30, 3))
def test_replica_articles(index: int) -> None:
    article = SITE.articles[index]
    response = HtmlResponse("http://127.0.0.1/" + article.path, encoding="utf-8",
                            body=render_article(SITE, article))
    assert tree(response) == parsel_tree(response)


#: Bytes where the two parses could part: a BOM, NUL, a non-breaking space, a control
#: character strip() removes from text, bytes UTF-8 refuses, a surrogate, a noncharacter.
_PIECES = [b"\xef\xbb\xbf", b"\x00", "\u00a0".encode(), b"\x1c", b"\xff", b"\xed\xa0\x80",
           "\ufffe".encode(), "\ufffd".encode(), b" ", b"\n", "Жё".encode(), b"<p>", b"</p>",
           b"<html><body>", b"</body></html>", b"text", b"<!-- c -->", b"&amp;", b"<br>"]


@given(st.lists(st.sampled_from(_PIECES), max_size=12),
       st.sampled_from(["utf-8", "cp1251", None]))
def test_any_bytes(pieces: list[bytes], encoding: str | None) -> None:
    body = b"".join(pieces)
    response = HtmlResponse("http://127.0.0.1/en/post/x", body=body, encoding=encoding)
    assert tree(response) == parsel_tree(response)
