"""The demo's planted copy-paste campaign, and the storylines of its report week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cohesion.config import CoordinationSettings
from cohesion.demo.corpus import COPY_PASTE_ACCOUNTS, DemoCorpus, generate
from cohesion.patterns.coordination import find_bursts
from cohesion.patterns.storylines import find_storylines
from cohesion.store.post_texts import PostText

TODAY = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def corpus() -> DemoCorpus:
    return generate(today=TODAY)


def _as_stored(corpus: DemoCorpus, week: int, flagged_only: bool = False) -> list[PostText]:
    return [
        PostText(
            n,
            corpus.week_starts[week - 1],
            post.created_at,
            post.platform,
            post.source,
            post.author,
            None,
            post.text,
            post.truth.flagged,
        )
        for n, post in enumerate(corpus.posts)
        if post.week == week and (post.truth.flagged or not flagged_only)
    ]


def test_the_campaign_is_the_weeks_burst(corpus: DemoCorpus) -> None:
    planted = [p for p in corpus.posts if p.truth.kind == "copypaste"]
    assert len(planted) == COPY_PASTE_ACCOUNTS
    assert len({p.author for p in planted}) == COPY_PASTE_ACCOUNTS
    assert max(p.created_at for p in planted) - min(p.created_at for p in planted) < timedelta(
        hours=2
    )
    bursts = find_bursts(_as_stored(corpus, corpus.spike_week), CoordinationSettings())
    campaign = [b for b in bursts if "Marlow County Election Office before noon" in b.text]
    assert len(campaign) == 1
    assert campaign[0].accounts == COPY_PASTE_ACCOUNTS
    assert campaign[0].platforms == ("bluesky", "mastodon", "reddit")


def test_other_weeks_have_no_campaign_like_it(corpus: DemoCorpus) -> None:
    settings = CoordinationSettings()
    for week in range(1, corpus.spike_week):
        for burst in find_bursts(_as_stored(corpus, week), settings):
            assert burst.accounts < COPY_PASTE_ACCOUNTS, burst.text


def test_the_campaign_changes_no_other_post() -> None:
    without = generate(today=TODAY, copy_paste=False)
    with_it = generate(today=TODAY)
    others = [
        (p.platform, p.created_at, p.text, p.author)
        for p in with_it.posts
        if p.truth.kind != "copypaste"
    ]
    assert others == [(p.platform, p.created_at, p.text, p.author) for p in without.posts]


def test_the_spike_week_has_storylines(corpus: DemoCorpus) -> None:
    stories = find_storylines(_as_stored(corpus, corpus.spike_week, flagged_only=True))
    assert len(stories) >= 3
    labels = " ".join(s.label for s in stories)
    assert "election" in labels or "canvass" in labels or "ballots" in labels
