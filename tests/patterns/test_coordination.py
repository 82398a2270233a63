"""Copy-paste and coordinated posting: planted bursts, and look-alikes that are not."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cohesion.config import ConfigError, CoordinationSettings, load_settings
from cohesion.patterns.coordination import find_bursts, jaccard, shingles
from cohesion.store.post_texts import PostText

RULES = CoordinationSettings()  # 5 accounts or 3 platforms within 6 hours, Jaccard 0.7
T0 = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)
SCRIPT = (
    "the county clerk rigged the count and everyone who works in that office "
    "should be ashamed of themselves tonight"
)
HEADLINE = "County commission votes four to one to change the library book policy"

_ids = iter(range(1, 10_000))


def post(text: str, minutes: float, author: str | None, platform: str = "reddit") -> PostText:
    return PostText(
        next(_ids),
        date(2026, 11, 16),
        T0 + timedelta(minutes=minutes),
        platform,
        platform,
        author,
        None,
        text,
        False,
    )


def test_a_planted_burst_is_found_despite_handles_links_and_a_changed_word() -> None:
    posts = [post(f"@target{n} {SCRIPT} https://t.co/{n}", 10 * n, f"acct{n}") for n in range(5)]
    posts.append(post(SCRIPT.replace("tonight", "today"), 55, "acct5"))
    posts.append(post("an ordinary post about the weather and the library opening hours", 3, "x"))
    (burst,) = find_bursts(posts, RULES)
    assert burst.accounts == 6 and len(burst.posts) == 6
    assert burst.first.author == "acct0"
    assert burst.span == timedelta(minutes=55)
    assert burst.platforms == ("reddit",)
    assert "@target0" not in burst.text and burst.text.startswith("@[user] the county clerk")


def test_the_same_text_on_three_platforms_is_a_burst_with_three_accounts() -> None:
    posts = [
        post(SCRIPT, n * 30, f"a{n}", platform)
        for n, platform in enumerate(("reddit", "mastodon", "telegram"))
    ]
    (burst,) = find_bursts(posts, RULES)
    assert burst.platforms == ("mastodon", "reddit", "telegram") and burst.accounts == 3


def test_a_headline_quoted_over_days_is_not_a_burst() -> None:
    """Eight unrelated accounts, on two platforms, quote one headline over four days."""
    comments = ("wow", "about time", "terrible", "finally", "", "read this", "hmm", "ok")
    posts = [
        post(
            f"{comment} {HEADLINE}".strip(),
            n * 12 * 60,  # one every twelve hours
            f"reader{n}",
            "reddit" if n % 2 else "mastodon",
        )
        for n, comment in enumerate(comments)
    ]
    assert find_bursts(posts, RULES) == []
    # The same quotes within one hour would be one.
    quick = [post(p.text, n * 5, p.author, p.platform) for n, p in enumerate(posts)]
    assert len(find_bursts(quick, RULES)) == 1


def test_look_alikes_that_are_not_coordinated() -> None:
    four = [post(SCRIPT, n, f"acct{n}") for n in range(4)]  # too few accounts
    one_account = [post(SCRIPT, n, "same") for n in range(10)]  # one account repeating
    short = [post("so true!!", n, f"s{n}") for n in range(10)]  # too short to compare
    unattributed = [post(SCRIPT, n, None) for n in range(10)]  # no account known
    different = [
        post(f"the county clerk {word} the meeting tonight and nobody noticed at all", n, f"d{n}")
        for n, word in enumerate(("missed", "ran", "recorded", "opened", "closed", "left"))
    ]
    for posts in (four, one_account, short, unattributed, different, []):
        assert find_bursts(posts, RULES) == []


def test_a_burst_stays_one_burst_and_two_separate_bursts_stay_two() -> None:
    morning = [post(SCRIPT, n * 20, f"m{n}") for n in range(6)]
    evening = [post(SCRIPT, 24 * 60 + n * 20, f"e{n}") for n in range(5)]
    bursts = find_bursts(morning + evening, RULES)
    assert sorted(len(b.posts) for b in bursts) == [5, 6]
    assert bursts[0].accounts == 6  # most accounts first


def test_settings_change_what_counts() -> None:
    posts = [post(SCRIPT, n * 60, f"acct{n}") for n in range(5)]  # five accounts over 4 hours
    assert len(find_bursts(posts, RULES)) == 1
    assert find_bursts(posts, CoordinationSettings(window_hours=2)) == []
    assert find_bursts(posts, CoordinationSettings(min_accounts=6)) == []


def test_jaccard_of_shingles() -> None:
    a = shingles("one two three four five")
    assert a == {"one two three", "two three four", "three four five"}
    assert jaccard(a, shingles("one two three four six")) == 0.5
    assert jaccard(frozenset(), frozenset()) == 0.0


def test_settings_are_checked_and_name_the_key(tmp_path: Path) -> None:
    path = tmp_path / "cohesion.toml"
    path.write_text("[coordination]\nsimilarity = 0.1\nwindow_hours = 6\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert str(path) in str(caught.value) and "coordination.similarity" in str(caught.value)
    path.write_text("[coordination]\nmin_accounts = 8\nwindow_hours = 1.5\n")
    rules = load_settings(path, environ={}).coordination
    assert (rules.min_accounts, rules.window_hours, rules.min_platforms) == (8, 1.5, 3)
    env = {"COHESION_COORDINATION__MIN_WORDS": "12"}
    assert load_settings(path, environ=env).coordination.min_words == 12


def test_csv_cells_never_run_as_formulas() -> None:
    from cohesion.cli import _spreadsheet_safe

    assert _spreadsheet_safe('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert _spreadsheet_safe("@[user] said so") == "'@[user] said so"
    assert _spreadsheet_safe(["reddit", "rss"]) == "reddit; rss"
    assert _spreadsheet_safe(5) == 5 and _spreadsheet_safe("plain") == "plain"


def test_every_allowed_similarity_works() -> None:
    copies = [post(SCRIPT, n, f"acct{n}") for n in range(5)]
    changed = [*copies[:4], post(SCRIPT.replace("tonight", "today"), 5, "acct4")]
    for similarity in (0.3, 0.5, 0.9, 0.95, 1.0):
        assert len(find_bursts(copies, CoordinationSettings(similarity=similarity))) == 1
    assert find_bursts(changed, CoordinationSettings(similarity=1.0)) == []
    # One shingle of seventeen changed: Jaccard 16/18 = 0.89.
    assert len(find_bursts(changed, CoordinationSettings(similarity=0.85))) == 1
    assert find_bursts(changed, CoordinationSettings(similarity=0.9)) == []


def test_lsh_rarely_misses_a_pair_just_above_the_threshold() -> None:
    """200 texts of 20 words, each with a copy that has its middle word changed: Jaccard
    15/21 = 0.714, just above 0.7. LSH tuned for recall finds 197 of them (datasketch's
    default weights about half); copies in a real burst have several partners each."""
    import random

    from cohesion.patterns.coordination import near_duplicate_groups

    rng = random.Random(3)
    vocabulary = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=7)) for _ in range(3000)]
    posts = []
    for n in range(200):
        words = rng.sample(vocabulary, 20)
        posts.append(post(" ".join(words), n, f"x{n}"))
        words[10] = f"changed{n}"
        posts.append(post(" ".join(words), n, f"y{n}"))
    pairs = near_duplicate_groups(posts, RULES)
    assert all(len(group) == 2 for group in pairs)
    assert len(pairs) >= 195
