"""A page's lxml tree, built once per response without a parsel ``Selector``.

The tree is the one ``response.selector`` would give, parsed the cheaper way (``page_tree``).
Not going through ``response.selector`` also keeps the response out of a reference cycle:
Scrapy's ``Selector`` keeps its response and the response keeps its selector, so a page read
through it (and its libxml2 document, several times the page's size) waits for Python's full
garbage collection instead of going when the callback is done (about 11 MB of a crawl's
peak memory, docs/benchmarks.md).
"""

from __future__ import annotations

from lxml import etree
from parsel.selector import create_root_node
from scrapy.http import TextResponse

#: Bytes looked at for the markup at each end of a body (past as much whitespace, it is
#: parsed from its text).
_EDGE = 64


def page_tree(response: TextResponse) -> etree._Element:
    """The tree parsel builds from ``response.text``, built from the body's bytes where they
    are the very bytes that text gives lxml: UTF-8 decoded without a replacement, no NUL,
    markup at both ends (so parsel's strip of the text is its strip of the bytes). Skipping
    the text's strip and its encoding back to UTF-8 halves the parse (a sixth of a page's
    extraction); any other page is parsed from its text, as before."""
    text, body = response.text, response.body
    if (response.encoding == "utf-8" and "\ufffd" not in text and b"\0" not in body
            and body[:_EDGE].lstrip()[:1] == b"<" and body[-_EDGE:].rstrip()[-1:] == b">"):
        return create_root_node("", etree.HTMLParser, body=body, encoding="utf-8")
    return create_root_node(text, etree.HTMLParser)
