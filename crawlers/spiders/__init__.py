"""One spider per platform; the registry is `base.SPIDERS` (see base.py's docstring)."""

from cohesion.crawlers.spiders.base import SPIDERS, CohesionSpider, get_spider_class

__all__ = ["SPIDERS", "CohesionSpider", "get_spider_class"]
