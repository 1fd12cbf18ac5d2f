"""Build shim for ``scrapyd-deploy`` (it runs ``setup.py bdist_egg``); the metadata, the
packages, the package data (the JSON Schema) and the scrapy entry point are in pyproject.toml."""

from setuptools import setup

setup()
