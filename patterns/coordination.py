"""Copy-paste and coordinated posting: near-identical texts from many accounts at once.

A *burst* is a set of near-identical posts that, within `[coordination] window_hours`,
come from at least `min_accounts` distinct pseudonymous accounts, or appear on at
least `min_platforms` platforms.

Near-identical: the Jaccard similarity of the two texts' sets of `SHINGLE_WORDS`-word
shingles (every word, stopwords kept; links and handles dropped, so "@mayor" or a
tracking link does not tell copies apart) is at least `similarity` (default 0.7: one
word changed in a 20-word post still matches, a headline quoted with a sentence of
one's own does not). Candidate pairs come from MinHash LSH (`datasketch`'s numbers, 128
permutations, fixed seed, computed for all posts at once: patterns/minhash.py), then
every candidate pair is checked with the exact Jaccard similarity, so LSH only saves
work and never decides (it is tuned so that it rarely misses a pair: see LSH_WEIGHTS). Posts of fewer than
`min_words` words are left out: "lol" or "this!" from five accounts is not a campaign.
Near-identical posts are joined transitively (A~B and B~C puts A, B, C together).

Time: the posts of one group are sorted by time; every window of `window_hours`
starting at a post is tested, and overlapping windows that pass are merged into one
burst. A headline quoted by unrelated accounts over several days never gathers enough
accounts in one window, so it is not a burst.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from cohesion.config import CoordinationSettings
from cohesion.patterns import minhash
from cohesion.patterns.excerpt import excerpt
from cohesion.store.post_texts import PostText, watchlist_entries, week_posts
from cohesion.tokens import plain_words
from cohesion.weeks import week_label
from sqlalchemy.orm import Session

SHINGLE_WORDS = 3
NUM_PERM = 128
SEED = 17
# LSH tuned for recall: a missed pair is a missed copy, an extra candidate only costs an
# exact check. Banding for `similarity` - 0.1 (0.2 to 0.9: datasketch needs two bands),
# weighing false negatives nine times false positives: a pair at Jaccard 0.714 becomes
# a candidate with probability 0.99 at the default 0.7 (0.5 with datasketch's defaults;
# 197 of 200 such pairs in tests/patterns/test_coordination.py). A copy in a burst has
# several partners, and exact copies share one entry, so a burst is almost never missed.
LSH_MARGIN = 0.1
LSH_WEIGHTS = (0.1, 0.9)


def lsh_threshold(similarity: float) -> float:
    return min(max(similarity - LSH_MARGIN, 0.2), 0.9)


@dataclass(slots=True)
class Burst:
    posts: list[PostText]  # oldest first
    watchlist: list[str] = field(default_factory=list)

    @property
    def first(self) -> PostText:
        return self.posts[0]

    @property
    def key(self) -> str:
        """Stable while the burst grows: its first post."""
        return str(self.first.post_id)

    @property
    def text(self) -> str:
        return excerpt(self.first.text, 200)

    @property
    def accounts(self) -> int:
        return len({p.author for p in self.posts if p.author})

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(sorted({p.platform for p in self.posts}))

    @property
    def flagged(self) -> int:
        return sum(p.flagged for p in self.posts)

    @property
    def start(self) -> datetime:
        return self.first.created_at

    @property
    def end(self) -> datetime:
        return self.posts[-1].created_at

    @property
    def span(self) -> timedelta:
        return self.end - self.start

    def as_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "posts": len(self.posts),
            "accounts": self.accounts,
            "platforms": list(self.platforms),
            "first_author": self.first.author,
            "first_post_id": self.first.post_id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "span_minutes": round(self.span.total_seconds() / 60),
            "flagged": self.flagged,
            "watchlist": list(self.watchlist),
            "post_ids": [p.post_id for p in self.posts],
        }


@dataclass(slots=True)
class WeekBursts:
    week_start: date
    checked: int  # posts long enough to compare
    bursts: list[Burst]

    @property
    def week(self) -> str:
        return week_label(self.week_start)

    @property
    def summary(self) -> str:
        if not self.bursts:
            return f"No copy-paste or coordinated posting found in {self.week}."
        n = len(self.bursts)
        return f"{n} burst{'s' if n != 1 else ''} of near-identical posts in {self.week}."


def shingles(text: str) -> frozenset[str]:
    return shingles_of(plain_words(text))


def shingles_of(words: list[str]) -> frozenset[str]:
    # The runs of SHINGLE_WORDS consecutive words, joined by a space.
    runs = zip(*(words[k:] for k in range(SHINGLE_WORDS)), strict=False)
    return frozenset(map(" ".join, runs))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _by_shingles(
    posts: Sequence[PostText], rules: CoordinationSettings
) -> dict[frozenset[str], list[PostText]]:
    """The posts long enough to compare, by their set of shingles (exact copies share one
    entry: hashed and compared once)."""
    by_shingles: dict[frozenset[str], list[PostText]] = {}
    for post in posts:
        words = plain_words(post.text)
        if len(words) >= rules.min_words:
            by_shingles.setdefault(shingles_of(words), []).append(post)
    return by_shingles


def near_duplicate_groups(
    posts: Sequence[PostText], rules: CoordinationSettings
) -> list[list[PostText]]:
    """Posts grouped by near-identical text (groups of two or more), each oldest first."""
    return _groups(_by_shingles(posts, rules), rules)


def _groups(
    by_shingles: dict[frozenset[str], list[PostText]], rules: CoordinationSettings
) -> list[list[PostText]]:
    texts = list(by_shingles)
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # The candidate pairs of datasketch's MinHashLSH (patterns/minhash.py), each checked
    # exactly unless its texts are already joined (through other pairs: the groups are
    # the same either way).
    signature = minhash.signatures(texts, NUM_PERM, SEED)
    bands, rows = minhash.bands(lsh_threshold(rules.similarity), NUM_PERM, LSH_WEIGHTS)
    dissimilar: set[tuple[int, int]] = set()
    for bucket in minhash.candidate_buckets(signature, bands, rows):
        members = bucket.tolist()
        if len({root(i) for i in members}) == 1:
            continue  # all joined already
        for later, j in enumerate(members):
            for i in members[:later]:
                if root(i) == root(j) or (i, j) in dissimilar:
                    continue
                if jaccard(texts[i], texts[j]) >= rules.similarity:
                    parent[root(j)] = root(i)
                else:
                    dissimilar.add((i, j))
    grouped: dict[int, list[PostText]] = {}
    for i, text in enumerate(texts):
        grouped.setdefault(root(i), []).extend(by_shingles[text])
    groups = [sorted(g, key=lambda p: (p.created_at, p.post_id)) for g in grouped.values()]
    return [g for g in groups if len(g) > 1]


def _passes(posts: Sequence[PostText], rules: CoordinationSettings) -> bool:
    accounts = {p.author for p in posts if p.author}
    platforms = {p.platform for p in posts}
    return len(accounts) >= rules.min_accounts or len(platforms) >= rules.min_platforms


def bursts_in(group: list[PostText], rules: CoordinationSettings) -> list[Burst]:
    """The bursts of one group of near-identical posts (sorted by time)."""
    window = timedelta(hours=rules.window_hours)
    spans: list[list[int]] = []
    end = 0
    for start in range(len(group)):
        end = max(end, start)
        while end + 1 < len(group) and group[end + 1].created_at - group[start].created_at <= (
            window
        ):
            end += 1
        if _passes(group[start : end + 1], rules):
            if spans and start <= spans[-1][1]:
                spans[-1][1] = end  # overlaps the burst before: the same burst
            else:
                spans.append([start, end])
    return [Burst(group[a : b + 1]) for a, b in spans]


def find_bursts(posts: Sequence[PostText], rules: CoordinationSettings) -> list[Burst]:
    """Bursts among the posts, most accounts first (ties: earliest first)."""
    return _bursts(near_duplicate_groups(posts, rules), rules)


def _bursts(groups: list[list[PostText]], rules: CoordinationSettings) -> list[Burst]:
    found = [b for g in groups for b in bursts_in(g, rules)]
    found.sort(key=lambda b: (-b.accounts, -len(b.posts), b.start, b.first.post_id))
    return found


def bursts_between(
    session: Session,
    model_id: int | None,
    first: date,
    last: date,
    rules: CoordinationSettings,
) -> tuple[int, list[Burst]]:
    """(posts compared, bursts) among every post of the ISO weeks first..last, with the
    watchlist entries each burst's posts name."""
    posts = week_posts(session, model_id, first, last)
    by_shingles = _by_shingles(posts, rules)
    checked = sum(map(len, by_shingles.values()))
    bursts = _bursts(_groups(by_shingles, rules), rules)
    names = watchlist_entries(session, model_id, [p.post_id for b in bursts for p in b.posts])
    for burst in bursts:
        burst.watchlist = sorted({n for p in burst.posts for n in names.get(p.post_id, [])})
    return checked, bursts


def week_bursts(
    session: Session, model_id: int | None, week: date, rules: CoordinationSettings
) -> WeekBursts:
    checked, bursts = bursts_between(session, model_id, week, week, rules)
    return WeekBursts(week, checked, bursts)
