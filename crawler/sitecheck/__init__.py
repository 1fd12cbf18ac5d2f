"""``scrapy sitecheck``: checks (``checks``, ``pagination``, ``clues``), fetching (``spider``)
and the report (``findings``)."""
