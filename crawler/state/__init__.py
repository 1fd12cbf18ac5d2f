"""The incremental state: the SQLite store, whose a state file is, the component that owns
the store during a crawl, the retry policy of rejects, and the tools of ``scrapy state``."""
