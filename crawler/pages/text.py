"""Text helpers shared by the page objects."""

from __future__ import annotations

from parsel import Selector, SelectorList


def first_text(selection: SelectorList[Selector]) -> str | None:
    """All text inside the first matched element, as written (entities decoded); None if absent."""
    if not selection:
        return None
    return "".join(selection[0].css("::text").getall())
