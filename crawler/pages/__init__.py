"""Page objects: a response in, the fields as the page shows them out. Pure and reactor-free."""

from crawler.pages.article import ArticlePage
from crawler.pages.listing import (
    Batch,
    BatchReading,
    Card,
    Control,
    JsonBatch,
    ListingPage,
    UnreadableBatch,
    read_batch,
    read_listing,
)

__all__ = ["ArticlePage", "Batch", "BatchReading", "Card", "Control", "JsonBatch",
           "ListingPage", "UnreadableBatch", "read_batch", "read_listing"]
