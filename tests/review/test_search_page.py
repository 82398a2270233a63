"""The review app's search page: results, highlights, filters, timeline, bad input."""

from __future__ import annotations

import re

from cohesion.review.rendering import highlight
from cohesion.store.search import MARK_END, MARK_START

from tests.review.client import AppClient
from tests.review.seed import World


def test_search_needs_a_login(anon: AppClient) -> None:
    response = anon.get("/search?q=county")
    assert response.status_code in (302, 303) and "/login" in response.headers["location"]


def test_results_link_the_post_and_mark_the_matches(world: World, analyst: AppClient) -> None:
    response = analyst.get("/search?q=rigged")
    assert response.status_code == 200
    html = response.text
    assert f'href="/posts/{world.ids["f_fraud"]}"' in html
    assert "<mark>rigged</mark>" in html
    assert "1 match" in html
    assert '<svg class="timeline"' in html and "Matches per 1,000 posts" in html


def test_filters_narrow_the_results(world: World, analyst: AppClient) -> None:
    both = analyst.get("/search?q=county OR commissioner").text
    only_forum = analyst.get("/search?q=county OR commissioner&platform=discourse").text
    assert f'/posts/{world.ids["t3_threat"]}"' in both
    assert f'/posts/{world.ids["t3_threat"]}"' not in only_forum
    assert f'/posts/{world.ids["f_fraud"]}"' in only_forum
    threat_only = analyst.get("/search?q=commissioner&label=threat").text
    assert f'/posts/{world.ids["t3_threat"]}"' in threat_only


def test_hostile_posts_stay_text_in_results(world: World, analyst: AppClient) -> None:
    html = analyst.get("/search?q=alert").text
    results = re.search(r'<table class="queue" id="search-results">(.*?)</table>', html, re.S)
    assert results is not None
    assert "<script>" not in results.group(1) and "<img" not in results.group(1)


def test_a_query_that_is_not_valid_syntax_says_why(analyst: AppClient) -> None:
    response = analyst.get('/search?q="unclosed')
    assert response.status_code == 200
    assert "not valid search syntax" in response.text and "quotation mark" in response.text
    assert analyst.get("/search?q=" + "x" * 600).status_code == 200  # said, not a crash


def test_bad_filters_are_a_400(analyst: AppClient) -> None:
    assert analyst.get("/search?q=county&label=nonsense").status_code == 400
    assert analyst.get("/search?q=county&since=yesterday").status_code == 400
    assert analyst.get("/search?q=county&page=x").status_code == 400


def test_highlights_are_balanced_and_escaped() -> None:
    snippet = f"a {MARK_START}<b>{MARK_END} {MARK_END}{MARK_START}{MARK_START}x"
    assert str(highlight(snippet)) == "a <mark>&lt;b&gt;</mark> <mark>x</mark>"
