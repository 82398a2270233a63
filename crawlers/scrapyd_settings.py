"""Scrapy settings module of a Scrapyd node (the egg's `scrapy.settings` entry point).

The same fixed crawl policy as local crawls (crawlers/settings.py), plus the spider
modules, so that `scrapy crawl <platform>` finds the spiders by name. The settings that
come from the Cohesion config (User-Agent, delay, AutoThrottle...) are applied per job
by crawlers/scrapyd.py:standalone_context.
"""

from cohesion.crawlers.settings import _FIXED

globals().update(_FIXED)

SPIDER_MODULES = ["cohesion.crawlers.spiders"]
NEWSPIDER_MODULE = "cohesion.crawlers.spiders"
