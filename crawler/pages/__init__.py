"""Page objects: a response in, the fields as the page shows them out. Pure and reactor-free."""

from crawler.pages.article import ArticlePage
from crawler.pages.listing import (
    NEXT_LINK_MECHANISMS,
    Card,
    JsonBatch,
    ListingPage,
    NextLink,
    UnreadableBatch,
    read_batch,
)

__all__ = ["NEXT_LINK_MECHANISMS", "ArticlePage", "Card", "JsonBatch", "ListingPage",
           "NextLink", "UnreadableBatch", "read_batch"]
