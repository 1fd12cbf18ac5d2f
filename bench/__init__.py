"""Benchmarks of the crawler (``make bench``); not part of the deployed ``crawler`` package."""
