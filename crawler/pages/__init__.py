"""Page objects: a response in, the fields as the page shows them out. Pure and reactor-free."""

from crawler.pages.article import ArticlePage
from crawler.pages.listing import (
    Batch,
    Card,
    JsonBatch,
    ListingPage,
    UnreadableBatch,
    read_batch,
)

__all__ = ["ArticlePage", "Batch", "Card", "JsonBatch", "ListingPage", "UnreadableBatch",
           "read_batch"]
