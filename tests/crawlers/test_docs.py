"""crawlers/README.md documents every spider option."""

from __future__ import annotations

import pytest
from cohesion.crawlers.spiders.base import SPIDERS, get_spider_class

from tests.crawlers.helpers import REPO_ROOT


@pytest.mark.parametrize("platform", sorted(SPIDERS))
def test_readme_documents_every_option(platform: str) -> None:
    readme = (REPO_ROOT / "crawlers" / "README.md").read_text()
    spider = get_spider_class(platform)
    missing = [key for key in spider.Options.model_fields if f"`{key}`" not in readme]
    assert not missing, f"crawlers/README.md does not document {platform} options {missing}"
    for variable in spider.credential_env:
        assert variable in readme
