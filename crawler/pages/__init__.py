"""Page objects: a response in, the fields as the page shows them out. Pure and reactor-free."""

from crawler.pages.article import ArticlePage
from crawler.pages.listing import Card, ListingPage

__all__ = ["ArticlePage", "Card", "ListingPage"]
