"""The shipped example configs are valid down to each source's platform options."""

from __future__ import annotations

from pathlib import Path

import pytest
from cohesion.config import load_settings
from cohesion.crawlers.spiders.base import get_spider_class

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_source_option_is_known_to_its_spider(path: Path) -> None:
    settings = load_settings(path, environ={})
    for source in settings.sources:
        get_spider_class(source.platform).parse_options(source)


def test_johnson_county_covers_the_locality() -> None:
    path = next(p for p in EXAMPLES if p.name == "johnson-county.toml")
    settings = load_settings(path, environ={})
    places = {place.name for place in settings.locality.places}
    assert {"Olathe", "Overland Park", "Shawnee", "Lenexa", "Leawood", "Gardner"} <= places
    platforms = {source.platform for source in settings.sources}
    assert {"reddit", "rss", "mastodon", "bluesky"} <= platforms
