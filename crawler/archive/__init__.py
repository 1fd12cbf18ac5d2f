"""The run's WARC archive: the writer (a downloader middleware), the one reader, and the
re-extraction of records from an archive (``scrapy reextract``)."""
