"""The demo corpus: deterministic, invented, and carrying what the demo plants."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from cohesion.demo import corpus as corpus_module
from cohesion.demo.corpus import PLATFORMS, WEEKS, generate, last_complete_week
from cohesion.demo.pools import PoolError, fill, parse_pool
from cohesion.demo.vocab import LOUD_ACCOUNTS
from cohesion.taxonomy import LABELS

TODAY = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def corpus() -> corpus_module.DemoCorpus:
    return generate(today=TODAY)


def test_same_inputs_give_the_same_corpus(corpus: corpus_module.DemoCorpus) -> None:
    again = generate(today=TODAY)
    assert [(p.platform, p.epoch, p.text, p.author) for p in again.posts] == [
        (p.platform, p.epoch, p.text, p.author) for p in corpus.posts
    ]
    other = generate(today=TODAY, seed=1)
    assert [p.text for p in other.posts] != [p.text for p in corpus.posts]


def test_weeks_end_with_the_last_complete_week(corpus: corpus_module.DemoCorpus) -> None:
    # 2026-11-27 is a Friday: the last complete ISO week began Monday 2026-11-16.
    assert last_complete_week(TODAY) == date(2026, 11, 16)
    assert corpus.week_starts[-1] == date(2026, 11, 16)
    assert len(corpus.week_starts) == WEEKS
    assert all(d.weekday() == 0 for d in corpus.week_starts)
    assert all(p.created_at < TODAY for p in corpus.posts)
    zone = corpus_module.ZoneInfo(corpus_module.TIMEZONE)
    for post in corpus.posts:
        local_day = post.created_at.astimezone(zone).date()
        monday = corpus.week_starts[post.week - 1]
        assert 0 <= (local_day - monday).days < 7


def test_size_and_mix(corpus: corpus_module.DemoCorpus) -> None:
    assert 1500 <= len(corpus.posts) <= 2500
    assert set(Counter(p.platform for p in corpus.posts)) == set(PLATFORMS)
    flagged = sum(p.truth.flagged for p in corpus.posts)
    assert 0.1 < flagged / len(corpus.posts) < 0.3  # mostly ordinary local talk
    kinds = Counter(p.truth.kind for p in corpus.posts)
    for kind in (
        "ordinary",
        "hard_negative",
        "offensive",
        "hate",
        "antigov",
        "threat",
        "doxxing",
        "spike",
        "watchlist",
        "news",
    ):
        assert kinds[kind] > 0, kind
    narratives = {n for p in corpus.posts for n in p.truth.narratives}
    assert narratives >= {
        "election_fraud",
        "public_health_tyranny",
        "illegitimate_authority",
        "corruption_traitor",
        "globalist_conspiracy",
        "law_enforcement_hostility",
    }
    threat_targets = {t for p in corpus.posts for t in p.truth.threat_targets}
    assert threat_targets >= {"official", "staff", "law_enforcement", "institution", "community"}


def test_unique_time_per_platform_is_the_truth_key(corpus: corpus_module.DemoCorpus) -> None:
    keys = Counter((p.platform, p.epoch) for p in corpus.posts)
    assert max(keys.values()) == 1
    post = corpus.posts[100]
    assert corpus.truth_of(post.platform, post.created_at) is post.truth
    assert corpus.truth_of(post.platform, post.created_at.replace(tzinfo=None)) is post.truth


def test_spike_week_has_a_planted_spike(corpus: corpus_module.DemoCorpus) -> None:
    def rate(week: int, narrative: str) -> float:
        posts = [p for p in corpus.posts if p.week == week]
        return sum(narrative in p.truth.narratives for p in posts) / len(posts)

    spike = corpus.spike_week
    baseline = [rate(w, "election_fraud") for w in range(spike - 4, spike)]
    assert rate(spike, "election_fraud") > 4 * max(baseline)
    office = [
        p
        for p in corpus.posts
        if p.week == spike
        and "institution" in p.truth.threat_targets
        and "election" in p.text.lower()
    ]
    assert len(office) >= 5


def test_each_burst_begins_the_day_after_its_event(corpus: corpus_module.DemoCorpus) -> None:
    monday = corpus.week_starts[corpus.spike_week - 1]
    assert [(day - monday).days for day, _, _ in corpus.events] == [0, 3]
    (canvass, _, meeting), (service, title, community) = corpus.events
    assert (meeting, community) == ("meeting", "community") and "St. Brendan's" in title
    zone = ZoneInfo(corpus_module.TIMEZONE)

    def local_days(kind: str) -> set[date]:
        return {
            p.created_at.astimezone(zone).date()
            for p in corpus.posts
            if p.truth.kind == kind and p.week == corpus.spike_week
        }

    assert min(local_days("spike")) == canvass + timedelta(days=1)
    church = local_days("church")
    assert min(church) == service + timedelta(days=1) and len(church) <= 3  # Friday to Sunday
    lgbtq = [p for p in corpus.posts if p.truth.kind == "church" and "lgbtq" in p.truth.targets]
    assert len(lgbtq) >= 20


def test_silent_source_posts_nothing_that_week(corpus: corpus_module.DemoCorpus) -> None:
    counts = Counter((p.source, p.week) for p in corpus.posts)
    assert counts[(corpus.silent_source, corpus.silent_week)] == 0
    assert all(
        counts[(corpus.silent_source, w)] > 5
        for w in range(1, WEEKS + 1)
        if w != corpus.silent_week
    )


def test_loud_accounts_write_a_large_share_of_flagged_posts(
    corpus: corpus_module.DemoCorpus,
) -> None:
    loud = {h for handles in LOUD_ACCOUNTS.values() for h in handles.values()}
    loud.add(corpus_module.TELEGRAM_CHANNEL)  # the hostile channel speaks as one account
    flagged = [p for p in corpus.posts if p.truth.flagged and p.author]
    by_loud = sum(p.author in loud for p in flagged)
    assert by_loud / len(flagged) > 0.5
    authors = {p.author for p in corpus.posts if p.author}
    assert len(loud & authors) / len(authors) < 0.05  # a handful among hundreds


def test_watchlist_threats_and_doxxing(corpus: corpus_module.DemoCorpus) -> None:
    aimed = [p for p in corpus.posts if p.truth.watch]
    office = [p for p in aimed if p.truth.watch == "office" and "threat" in p.truth.labels]
    official_threats = [
        p for p in aimed if p.truth.watch == "official" and "threat" in p.truth.labels
    ]
    doxxing = [p for p in aimed if p.truth.watch == "official" and "doxxing" in p.truth.labels]
    assert office and official_threats and doxxing
    assert all(
        "Marlow County Election Office" in p.text or "election office" in p.text.lower()
        for p in office
    )
    assert all("Okafor" in p.text for p in official_threats + doxxing)


def test_everything_is_invented(corpus: corpus_module.DemoCorpus) -> None:
    for post in corpus.posts:
        assert "{" not in post.text and "}" not in post.text, post.text
        for phone in re.findall(r"\b\d{3}-\d{4}\b", post.text):
            assert re.fullmatch(r"555-01\d\d", phone), post.text


def test_truth_follows_the_codebook(corpus: corpus_module.DemoCorpus) -> None:
    for post in corpus.posts:
        truth = post.truth
        assert set(truth.labels) <= set(LABELS)
        government = {"official", "staff", "law_enforcement", "institution"}
        if "threat" in truth.labels and government & set(truth.threat_targets):
            assert "anti_government" in truth.labels, post.text
        if truth.kind in ("ordinary", "hard_negative", "offensive", "news", "offtopic"):
            assert not truth.labels, post.text
        if "hate" in truth.labels:
            assert truth.targets, post.text


def test_smaller_scale_keeps_the_plan() -> None:
    small = generate(today=TODAY, scale=0.1)
    assert 100 < len(small.posts) < 400
    assert not [
        p for p in small.posts if p.source == small.silent_source and p.week == small.silent_week
    ]
    assert [p for p in small.posts if p.truth.watch]


def test_pool_format_errors_name_the_line() -> None:
    with pytest.raises(PoolError, match="x.txt:2"):
        parse_pool("x", "@ kind=hate labels=hate\n@ kind=hate labels=nonsense\n")
    with pytest.raises(PoolError, match="before any"):
        parse_pool("x", "a template\n")
    pool = parse_pool("x", "# c\n@ kind=news\nHeadline || Body {city}\n")
    assert pool.templates[0].title == "Headline" and pool.templates[0].text == "Body {city}"


def test_fill_keeps_one_value_per_slot_and_agrees_pronouns() -> None:
    import random

    for seed in range(30):
        text = fill(
            "{official} said {he} will call {city}; {city} and {city2}. ({his})",
            random.Random(seed),
        )
        name = text.split(" said ")[0]
        he = text.split(" said ")[1].split()[0]
        assert (he == "she") == any(n in name for n in ("Dana", "Janet", "Grace", "Lena"))
        cities = re.findall(r"call (.+?); (.+?) and (.+?)\.", text)[0]
        assert cities[0] == cities[1] != cities[2]
