"""Scrapy project: the Analytics section of Caliber.az as exact JSON Lines records."""
