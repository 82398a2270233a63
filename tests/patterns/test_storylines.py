"""Storylines on a corpus with planted storylines (tests/patterns/corpus.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cohesion.patterns.storylines import WeekStorylines, find_storylines, week_storylines
from cohesion.store.engine import session_scope
from sqlalchemy.orm import Session, sessionmaker

from tests.patterns import corpus
from tests.reports import dataset as ds


@pytest.fixture
def week(sessions: sessionmaker[Session]) -> WeekStorylines:
    data = corpus.build(sessions)
    with session_scope(sessions) as session:
        return week_storylines(session, data.model_id, ds.WEEK)


def _by_label_word(found: WeekStorylines, word: str) -> list:
    return [s for s in found.storylines if word in s.terms[0].split()]


def test_planted_storylines_are_found_labelled_and_tracked(week: WeekStorylines) -> None:
    expected = {  # the label's first word -> (status, size, last week's size)
        "drag": ("growing", 10, 4),
        "mosque": ("steady", 6, 6),
        "fluoride": ("fading", 3, 9),
        "sheriff": ("new", 5, None),
        "ballots": ("new", 11 - 1, None),  # c0 (ballots + script) shares too little
    }
    assert len(week.storylines) == len(expected)
    for word, (status, size, before) in expected.items():
        (story,) = _by_label_word(week, word)
        assert (story.status, story.size, story.previous_size) == (status, size, before), word
        assert len(story.terms) == 3
        assert story.platforms == ("reddit", "rss")
    (drag,) = _by_label_word(week, "drag")
    assert set(drag.terms) <= set(corpus.STORIES["drag"][0])
    assert [s.label.split(" · ")[0] for s in week.gone_quiet] == ["taxes"]
    assert week.flagged == 37 and week.clustered == 34
    assert week.summary == "5 storylines cover 34 of 37 flagged posts in 2026-W47."


def test_storyline_details(week: WeekStorylines) -> None:
    (drag,) = _by_label_word(week, "drag")
    assert drag.accounts == 10
    assert drag.first.created_at == min(
        s.created_at for s in corpus.story_specs() if s.key.startswith(f"drag-{ds.WEEK}")
    )
    assert len(drag.representatives) == 3
    assert {p.post_id for p in drag.representatives} <= set(drag.post_ids)
    for post in drag.representatives:  # handles masked before anything shows them
        assert "@someone" not in post.text and "@[user]" in post.text
    assert "someone" not in " ".join(s.label for s in week.storylines)
    as_dict = drag.as_dict()
    assert as_dict["status"] == "growing" and len(as_dict["representative_post_ids"]) == 3


def test_deterministic(sessions: sessionmaker[Session]) -> None:
    data = corpus.build(sessions)
    with session_scope(sessions) as session:
        runs = [week_storylines(session, data.model_id, ds.WEEK) for _ in range(2)]
    assert [s.as_dict() for s in runs[0].storylines] == [s.as_dict() for s in runs[1].storylines]


def test_a_week_with_no_flagged_posts_says_so(sessions: sessionmaker[Session]) -> None:
    data = ds.build(sessions)
    empty = ds.WEEK + timedelta(weeks=1)
    with session_scope(sessions) as session:
        found = week_storylines(session, data.model_id, empty)
    assert found.storylines == [] and found.flagged == 0
    assert found.summary == "No flagged posts in 2026-W48, so no storylines."
    # The ballots storyline of W47 is last week's: it went quiet.
    assert [s.terms[0] for s in found.gone_quiet] == ["ballots"]


def test_too_few_posts_make_no_storyline() -> None:
    assert find_storylines([]) == []


def test_representatives_leave_out_near_copies() -> None:
    from datetime import UTC, date, datetime

    from cohesion.store.post_texts import PostText

    texts = [
        "the election office certified fraud and the canvass board signed the stolen count",
        "the election office certified fraud and the canvass board signed the stolen count #Marlow",
        "the election office certified fraud and the canvass board signed the stolen count",
        "canvass board members signed off on fraud at the election office, a stolen count",
        "stolen count: the canvass board and the election office certified fraud again",
    ]
    posts = [
        PostText(n, date(2026, 11, 16), datetime(2026, 11, 17, n, tzinfo=UTC), "reddit", "r",
                 f"a{n}", None, text, True)
        for n, text in enumerate(texts)
    ]  # fmt: skip
    (story,) = find_storylines(posts)
    shown = [p.text for p in story.representatives]
    assert len(shown) == 3 and len({t.removesuffix(" #Marlow") for t in shown}) == 3


def test_batched_arithmetic_equals_the_per_storyline_one() -> None:
    """The means of all storylines at once and the tracking similarities as arrays are
    the per-storyline scipy means and `similarity` to the bit (the labels and statuses
    rest on their order)."""
    import random

    import numpy as np
    from cohesion.patterns import storylines
    from scipy import sparse

    rng = random.Random(11)
    matrix = sparse.random(300, 80, density=0.08, format="csr", random_state=3)
    groups = [sorted(rng.sample(range(300), rng.randint(3, 60))) for _ in range(12)]
    inside, outside = storylines._means(matrix, groups)
    for k, rows in enumerate(groups):
        others = np.setdiff1d(np.arange(300), rows)
        assert np.array_equal(inside[k], np.asarray(matrix[rows].mean(axis=0)).ravel())
        assert np.array_equal(outside[k], np.asarray(matrix[others].mean(axis=0)).ravel())
        norm = float(np.linalg.norm(inside[k])) or 1.0
        assert np.array_equal(
            (matrix @ storylines._unit_rows(inside).T)[rows, k],
            np.asarray(matrix[rows] @ (inside[k] / norm)).ravel(),
        )

    words = [f"w{i}" for i in range(40)]

    def story(n: int) -> storylines.Storyline:
        terms = rng.sample(words, rng.randint(0, 30))
        centroid = {t: rng.random() / rng.choice([1, 3, 7]) for t in terms}
        return storylines.Storyline("", (), n, (), 0, None, [], (), centroid)  # type: ignore[arg-type]

    now, before = [story(5) for _ in range(15)], [story(5) for _ in range(12)]
    found = storylines._similarities(now, before)
    for i, a in enumerate(now):
        for j, b in enumerate(before):
            assert found[i, j] == storylines.similarity(a.centroid, b.centroid)
