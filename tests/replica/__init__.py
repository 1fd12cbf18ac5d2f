"""A local replica of caliber.az's Analytics section, for tests, the demo and benchmarks.

It never imports the crawler: the truth comes from the generator's own data.
"""

from .generator import Article, Site, build_site
from .handle import ReplicaHandle

__all__ = ["Article", "ReplicaHandle", "Site", "build_site"]
