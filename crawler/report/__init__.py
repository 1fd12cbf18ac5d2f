"""``scrapy report``: the data it aggregates, its four figures, and the page."""
