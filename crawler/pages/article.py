"""Article page: every field as the page shows it (``RawArticle``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from scrapy.http import TextResponse

from crawler.items import RawArticle
from crawler.pages.body import body_paragraphs
from crawler.pages.chain import FieldChain
from crawler.pages.select import SelectorPlan, element_text, selector_plan
from crawler.pages.tree import page_tree
from crawler.site import SiteProfile

#: Keys no selector has: the selectors' plan and the page's tree, once parsed.
_PLAN, _ROOT = "\0plan", "\0root"
#: The selectors of ``SiteProfile.selectors`` an article page reads.
ARTICLE_KEYS = ("canonical", "og_url", "title", "title_fallback", "subtitle", "category", "date",
                "author", "cover", "views", "body")
_STYLE_URL = re.compile(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""")


@dataclass(frozen=True)
class ArticlePage:
    """Reads one article response with the selectors of a site profile."""

    response: TextResponse
    site: SiteProfile
    #: The first match of each selector of the profile asked for: the class and
    #: ``tag[name=value]`` selectors' in one pass at the first question, any other's when it
    #: is asked (the title's fallback only where the page has no title block).
    _found: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def _prepared(self) -> dict[str, Any]:
        """The found matches, the one pass's worked out (and the tree parsed) once."""
        found = self._found
        if not found:
            selectors = self.site.selectors
            found[_PLAN] = selector_plan(tuple((key, selectors[key]) for key in ARTICLE_KEYS))
            found[_ROOT] = self._root()
            found.update(found[_PLAN].walked_matches(found[_ROOT]))
        return found

    def _match(self, key: str) -> Any:
        found = self._prepared()
        plan: SelectorPlan = found[_PLAN]
        if key in plan.others and key not in found:
            found[key] = plan.first_match(found[_ROOT], key)
        return found.get(key)

    def _root(self) -> etree._Element:
        """The page's tree, parsed as ``response.selector`` parses it (parsel's own steps)
        but without working out the page's base URL (Scrapy's ``get_base_url``: 5% of a
        page's extraction), which no field needs: the links stay as written, joined later
        to the canonical URL. The parser is lxml's plain HTML one: the same tree, but its
        elements need no Python class lookup each time one is touched (``lxml.html``'s, a
        tenth of a page's extraction); no field needs ``lxml.html``'s methods."""
        return page_tree(self.response)

    def _text(self, key: str) -> str | None:
        return element_text(self._match(key))

    def _attribute(self, key: str) -> str | None:
        value = self._match(key)
        if value is not None and not isinstance(value, str):
            value = etree.tostring(value, encoding="unicode", method="html", with_tail=False)
        return value.strip() if value else None

    def title(self) -> str | None:
        """The title block's text, else the page's first h1."""
        return self._text("title") or self._text("title_fallback")

    def image_href(self) -> str | None:
        """The URL of the cover's ``background-image``, as written (or the URL itself, where
        the ``cover`` selector reads an ``<img>``'s ``src``)."""
        value = self._attribute("cover")
        match = _STYLE_URL.search(value) if value else None
        if match:
            return match.group(1).strip()
        if not value or not value.startswith(("http://", "https://", "/")):
            return None
        return None if any(char.isspace() for char in value) else value

    def paragraphs(self) -> list[str]:
        """The body's paragraphs, raw; none where the page has no body block."""
        body = self._match("body")
        return body_paragraphs(body) if isinstance(body, etree._Element) else []

    def selected(self, name: str) -> Any:
        """A record field as the site's selectors give it (the first layer)."""
        if name == "title":
            return self.title()
        if name == "image":
            return self.image_href()
        if name == "body":
            return self.paragraphs()
        return self._text(name)  # subtitle, category, date, views, author: keys of their own

    def to_raw(self, base_url: str, scraped_at: str) -> RawArticle:
        """All fields of the page, unnormalised, each from the first layer that gives it."""
        fields = FieldChain(self.selected, self._prepared()[_ROOT], self.response.url,
                            self.site).read()
        return RawArticle(
            fetched_url=self.response.url,
            base_url=base_url,
            scraped_at=scraped_at,
            canonical_href=self._attribute("canonical"),
            og_url=self._attribute("og_url"),
            title=fields.values["title"],
            subtitle=fields.values["subtitle"],
            category=fields.values["category"],
            date_text=fields.values["date"],
            views_text=fields.values["views"],
            author=fields.values["author"],
            image_href=fields.values["image"],
            body_paragraphs=fields.values["body"] or [],
            provenance=fields.provenance,
            cross_check=fields.cross_check,
        )
