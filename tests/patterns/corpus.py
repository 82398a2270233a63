"""Planted storylines and bursts on top of the report dataset (tests/reports/dataset.py).

Storylines (flagged posts), in 2026-W46 and the report week 2026-W47, each written
from its own key words mixed with filler words that every storyline shares:

- drag: "library drag show" hate (W46: 4 posts, W47: 10) -> growing
- mosque: "mosque parking permit" hate (W46: 6, W47: 6) -> steady
- fluoride: "fluoride water mandate" anti-government (W46: 9, W47: 3) -> fading
- sheriff: "sheriff election rigged" anti-government (W47 only: 5) -> new

The dataset itself adds, flagged: W46 five "taxes" posts (gone quiet in W47) and W47
eleven copies of the "ballots" post (new), plus a few odd posts.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from tests.reports import dataset as ds

PREVIOUS = ds.BASELINE[-1]  # 2026-W46
FILLER = "town tonight again everyone disgusting sick tired enough folks neighbors".split()
STORIES: dict[str, tuple[list[str], tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # key words, flags, targets, narratives
    "drag": (
        "drag show library kids drag queen library show groomers".split(),
        ("hate",),
        ("lgbtq",),
        (),
    ),
    "mosque": (
        "mosque parking permit mosque expansion zoning permit mosque".split(),
        ("hate",),
        ("muslim",),
        (),
    ),
    "fluoride": (
        "fluoride water mandate fluoride poison water fluoride".split(),
        ("anti_government",),
        (),
        ("public_health_tyranny",),
    ),
    "sheriff": (
        "sheriff election rigged sheriff ballots sheriff recount rigged".split(),
        ("anti_government",),
        (),
        ("election_fraud",),
    ),
}
SIZES = {"drag": (4, 10), "mosque": (6, 6), "fluoride": (9, 3), "sheriff": (0, 5)}


def story_text(rng: random.Random, story: str) -> str:
    keys = STORIES[story][0]
    words = rng.sample(keys, 4) + rng.sample(FILLER, 3)
    rng.shuffle(words)
    return f"@someone {' '.join(words)} https://example.org/{rng.randrange(1000)}"


def story_specs() -> list[ds.Spec]:
    rng = random.Random(7)
    specs = []
    for story, (before, now) in SIZES.items():
        _keys, flags, targets, narratives = STORIES[story]
        for week, count in ((PREVIOUS, before), (ds.WEEK, now)):
            for n in range(count):
                specs.append(
                    ds.Spec(
                        f"{story}-{week.isoformat()}-{n}",
                        "r-olathe" if n % 2 else "news-rss",
                        f"S{story}{n}",
                        flags,
                        targets,
                        narratives,
                        text=story_text(rng, story),
                        created_at=ds._local(week + timedelta(days=3), 9 + n % 8, n),
                    )
                )
    return specs


def build(sessions: sessionmaker[Session]) -> ds.Dataset:
    data = ds.build(sessions)
    ds.add(sessions, data, story_specs(), ds._local(ds.WEEK, 12, 0))
    return data


def session_model(session: Session) -> int | None:
    from cohesion.store.trends import active_model_id

    return active_model_id(session)
