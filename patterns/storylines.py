"""Storylines: a week's flagged posts grouped by what they say, and followed week to week.

Method (chosen for a few hundred to a few thousand short posts a week, an unknown
number of storylines, and results an analyst can rerun and get again):

1. Each flagged post becomes a TF-IDF vector of its words and word pairs
   (`tokens.tokenise`: lower-case words of three or more letters, stopwords, links and
   account handles dropped, so no handle can become a label), with sublinear term
   frequency and L2 norm.
2. Agglomerative clustering, average linkage, on cosine distance, cut at
   `DISTANCE_THRESHOLD` (0.9): two groups merge while their posts' average cosine
   similarity is above 0.1. Unlike k-means it needs no number of storylines up front,
   it is deterministic (no random start), and it leaves off-topic posts alone instead
   of forcing them into the nearest group. Short posts of one storyline share two or
   three content words and have cosine similarities of about 0.1 to 0.5, so a group's
   average sits above 0.1 while posts of different storylines, sharing at most a
   common word, average well below it (on the planted corpus of tests/patterns, 0.85
   split one storyline in two and 0.9 recovered all five exactly). Groups smaller than
   `MIN_SIZE` (3) posts are not storylines.
   It needs the n x n distance matrix, so above `MAX_POSTS` (3,000) flagged posts a
   seeded random sample of that size is clustered and each other post joins the
   storyline whose centroid is nearest, when within the same threshold.
3. A storyline's label is its three most distinctive terms: highest mean TF-IDF weight
   inside the storyline minus the mean outside it, skipping a term that repeats a word
   already in the label. Its representative posts are the three closest to its centroid,
   leaving out near-copies of one already shown (Jaccard of 3-word shingles of 0.5 or more).
4. Tracking: each storyline is matched to the previous week's (computed the same way)
   whose centroid is most cosine-similar (over their top `CENTROID_TERMS` terms), one
   to one, greedily from the most similar pair, when the similarity is at least
   `MATCH_SIMILARITY` (0.3). Unmatched: "new". Matched: "growing" when at least
   `GROWTH` (1.5) times last week's size, "fading" when at most last week's size over
   `GROWTH`, else "steady". Last week's storylines left unmatched are "gone quiet".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from cohesion.patterns.coordination import jaccard, shingles
from cohesion.patterns.excerpt import excerpt
from cohesion.store.post_texts import PostText, week_posts
from cohesion.tokens import tokenise
from cohesion.weeks import week_label
from scipy import sparse
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sqlalchemy.orm import Session

DISTANCE_THRESHOLD = 0.9
MIN_SIZE = 3
MAX_POSTS = 3_000
SEED = 17
LABEL_TERMS = 3
REPRESENTATIVES = 3
CENTROID_TERMS = 30
MATCH_SIMILARITY = 0.3
GROWTH = 1.5
COPY_SIMILARITY = 0.5
STATUSES = ("new", "growing", "steady", "fading")


@dataclass(slots=True, frozen=True)
class StoryPost:
    post_id: int
    created_at: datetime
    source: str
    author: str | None
    url: str | None
    text: str  # handles masked, shortened: still to be escaped where shown


@dataclass(slots=True)
class Storyline:
    label: str
    terms: tuple[str, ...]
    size: int
    platforms: tuple[str, ...]
    accounts: int
    first: StoryPost
    representatives: list[StoryPost]
    post_ids: tuple[int, ...]
    centroid: dict[str, float] = field(repr=False)
    status: str = "new"
    previous_size: int | None = None
    previous_label: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "status": self.status,
            "size": self.size,
            "previous_size": self.previous_size,
            "previous_label": self.previous_label,
            "platforms": list(self.platforms),
            "accounts": self.accounts,
            "first_post_id": self.first.post_id,
            "first_posted_at": self.first.created_at.isoformat(),
            "first_author": self.first.author,
            "first_source": self.first.source,
            "representative_post_ids": [p.post_id for p in self.representatives],
            "representative_texts": [p.text for p in self.representatives],
        }


@dataclass(slots=True)
class WeekStorylines:
    week_start: date
    flagged: int
    storylines: list[Storyline]
    gone_quiet: list[Storyline]

    @property
    def week(self) -> str:
        return week_label(self.week_start)

    @property
    def clustered(self) -> int:
        return sum(s.size for s in self.storylines)

    @property
    def summary(self) -> str:
        """One plain sentence, also for a week with nothing to group."""
        if self.flagged == 0:
            return f"No flagged posts in {self.week}, so no storylines."
        if not self.storylines:
            return (
                f"{self.flagged} flagged post{'s' if self.flagged != 1 else ''} in "
                f"{self.week}, but no {MIN_SIZE} of them tell the same story."
            )
        n = len(self.storylines)
        return (
            f"{n} storyline{'s cover' if n != 1 else ' covers'} {self.clustered} of "
            f"{self.flagged} flagged posts in {self.week}."
        )


def week_storylines(session: Session, model_id: int | None, week: date) -> WeekStorylines:
    """The storylines of an ISO week (its Monday), tracked against the week before."""
    previous_week = week - timedelta(weeks=1)
    posts = week_posts(session, model_id, previous_week, week, flagged_only=True)
    current = [p for p in posts if p.week_start == week]
    previous = find_storylines([p for p in posts if p.week_start == previous_week])
    storylines = find_storylines(current)
    return WeekStorylines(week, len(current), storylines, track(storylines, previous))


def find_storylines(posts: Sequence[PostText]) -> list[Storyline]:
    """Group posts into storylines, largest first (ties: earliest first post)."""
    words = {p.text: tokenise(p.text) for p in posts}  # each text tokenised once
    posts = [p for p in posts if words[p.text]]
    if len(posts) < MIN_SIZE:
        return []
    vectorizer = TfidfVectorizer(
        tokenizer=words.__getitem__,
        lowercase=False,
        token_pattern=None,
        ngram_range=(1, 2),
        sublinear_tf=True,
    )
    matrix = sparse.csr_matrix(vectorizer.fit_transform([p.text for p in posts]))
    groups = [members for members in _cluster(matrix) if len(members) >= MIN_SIZE]
    terms = vectorizer.get_feature_names_out()
    inside, outside = _means(matrix, groups)
    closeness = matrix @ _unit_rows(inside).T  # posts x storylines
    found = [
        _storyline([posts[i] for i in members], inside[k], outside[k], closeness[members, k], terms)
        for k, members in enumerate(groups)
    ]
    found.sort(key=lambda s: (-s.size, s.first.created_at, s.first.post_id))
    return found


def _means(matrix: sparse.csr_matrix, groups: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """The mean row of each group's posts and of all the other posts (dense, a row per
    group), as one product each. Equal, bit for bit, to `matrix[rows].mean(axis=0)` per
    group: both add value / count row by row in row order, from zero (tested)."""
    n = matrix.shape[0]
    if not groups:
        return np.zeros((0, matrix.shape[1])), np.zeros((0, matrix.shape[1]))
    member = np.zeros((len(groups), n), dtype=bool)
    for k, rows in enumerate(groups):
        member[k, rows] = True
    sizes = member.sum(axis=1)

    def mean_of(mask: np.ndarray, counts: np.ndarray) -> np.ndarray:
        weights = np.where(mask, 1.0 / np.maximum(counts, 1)[:, None], 0.0)
        return np.asarray((sparse.csr_matrix(weights) @ matrix).toarray())

    return mean_of(member, sizes), mean_of(~member, n - sizes)


def _unit_rows(rows: np.ndarray) -> np.ndarray:
    """Each row over its norm (an all-zero row as it is), the norm taken row by row as
    for a single vector (`norm(rows, axis=1)` can differ in the last bit)."""
    return np.array([row / (float(np.linalg.norm(row)) or 1.0) for row in rows]).reshape(rows.shape)


def _cluster(matrix: sparse.csr_matrix) -> list[list[int]]:
    """Row indices per cluster (see the module docstring)."""
    n = matrix.shape[0]
    if n > MAX_POSTS:
        rng = np.random.default_rng(SEED)
        chosen = np.sort(rng.choice(n, size=MAX_POSTS, replace=False))
    else:
        chosen = np.arange(n)
    sample = matrix[chosen]
    similarity = (sample @ sample.T).toarray()
    distance = np.clip(1.0 - similarity, 0.0, 2.0)
    model = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=DISTANCE_THRESHOLD,
    )
    labels = model.fit_predict(distance) if len(chosen) > 1 else np.zeros(1, dtype=int)
    groups: dict[int, list[int]] = {}
    for row, label in zip(chosen.tolist(), labels.tolist(), strict=True):
        groups.setdefault(label, []).append(row)
    if n > MAX_POSTS:
        _assign_rest(matrix, chosen, groups)
    return [sorted(rows) for rows in groups.values()]


def _assign_rest(
    matrix: sparse.csr_matrix, chosen: np.ndarray, groups: dict[int, list[int]]
) -> None:
    """Posts left out of the sample join the nearest large enough cluster, if near."""
    keys = [k for k, rows in groups.items() if len(rows) >= MIN_SIZE]
    if not keys:
        return
    centroids = normalize(np.vstack([np.asarray(matrix[groups[k]].mean(axis=0)) for k in keys]))
    rest = np.setdiff1d(np.arange(matrix.shape[0]), chosen)
    similarity = np.asarray(matrix[rest] @ centroids.T)
    best = similarity.argmax(axis=1)
    for row, column, score in zip(
        rest.tolist(), best.tolist(), similarity.max(axis=1).tolist(), strict=True
    ):
        if score >= 1.0 - DISTANCE_THRESHOLD:
            groups[keys[column]].append(row)


def _storyline(
    posts: list[PostText],
    inside: np.ndarray,
    outside: np.ndarray,
    closeness: np.ndarray,
    terms: np.ndarray,
) -> Storyline:
    """One storyline from its posts, its mean row, the others' mean row and its posts'
    closeness to its centroid."""
    label_terms = _label_terms(inside - outside, terms)
    order = sorted(range(len(posts)), key=lambda i: (-closeness[i], posts[i].post_id))
    top = np.argsort(-inside, kind="stable")[:CENTROID_TERMS]
    first = min(posts, key=lambda p: (p.created_at, p.post_id))
    return Storyline(
        label=" · ".join(label_terms),
        terms=label_terms,
        size=len(posts),
        platforms=tuple(sorted({p.platform for p in posts})),
        accounts=len({p.author for p in posts if p.author}),
        first=_story_post(first),
        representatives=_distinct([_story_post(posts[i]) for i in order]),
        post_ids=tuple(p.post_id for p in posts),
        centroid={str(terms[i]): float(inside[i]) for i in top if inside[i] > 0},
    )


def _distinct(posts: list[StoryPost]) -> list[StoryPost]:
    """The first REPRESENTATIVES posts that are not copies of one already chosen (a copy
    with a hashtag added says nothing new): 3-word shingles' Jaccard below 0.5."""
    chosen: list[tuple[StoryPost, frozenset[str]]] = []
    for post in posts:
        words = shingles(post.text) or frozenset({post.text})
        if all(jaccard(words, other) < COPY_SIMILARITY for _, other in chosen):
            chosen.append((post, words))
        if len(chosen) == REPRESENTATIVES:
            break
    return [post for post, _ in chosen]


def _label_terms(scores: np.ndarray, terms: np.ndarray) -> tuple[str, ...]:
    chosen: list[str] = []
    shown: set[str] = set()
    for i in np.argsort(-scores, kind="stable"):
        if scores[i] <= 0 or len(chosen) == LABEL_TERMS:
            break
        words = str(terms[i]).split()
        if shown.intersection(words):
            continue  # a word already in the label: show another one instead
        chosen.append(str(terms[i]))
        shown.update(words)
    return tuple(chosen)


def _story_post(post: PostText) -> StoryPost:
    return StoryPost(
        post.post_id, post.created_at, post.source, post.author, post.url, excerpt(post.text)
    )


def similarity(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine similarity of two sparse term-weight vectors (any vocabularies)."""
    dot = sum(weight * b.get(term, 0.0) for term, weight in a.items())
    norms = np.sqrt(sum(w * w for w in a.values())) * np.sqrt(sum(w * w for w in b.values()))
    return float(dot / norms) if norms else 0.0


def _similarities(current: list[Storyline], previous: list[Storyline]) -> np.ndarray:
    """similarity(now.centroid, before.centroid) for every pair (a row per storyline now),
    as arrays: the same products added in the same order (a running sum along `now`'s
    terms), over the same norms, so the same numbers to the bit (tested)."""
    if not current or not previous:
        return np.zeros((len(current), len(previous)))
    vocabulary: dict[str, int] = {}
    for story in previous:
        for term in story.centroid:
            vocabulary.setdefault(term, len(vocabulary))
    weights = np.zeros((len(previous), len(vocabulary) + 1))  # last column: absent terms
    for j, story in enumerate(previous):
        weights[j, [vocabulary[t] for t in story.centroid]] = list(story.centroid.values())
    norms_before = [_norm(story.centroid) for story in previous]
    result = np.zeros((len(current), len(previous)))
    for i, story in enumerate(current):
        if not story.centroid:
            continue
        columns = [vocabulary.get(t, len(vocabulary)) for t in story.centroid]
        products = np.fromiter(story.centroid.values(), float) * weights[:, columns]
        dots = np.cumsum(products, axis=1)[:, -1]
        norm_now = _norm(story.centroid)
        for j, norm_before in enumerate(norms_before):
            norms = norm_now * norm_before
            result[i, j] = float(dots[j] / norms) if norms else 0.0
    return result


def _norm(weights: dict[str, float]) -> np.floating:
    return np.sqrt(sum(w * w for w in weights.values()))


def track(current: list[Storyline], previous: list[Storyline]) -> list[Storyline]:
    """Set each storyline's status against last week's; return last week's unmatched."""
    similarities = _similarities(current, previous).tolist()
    pairs = sorted(
        (-similarities[i][j], i, j)
        for i in range(len(current))
        for j in range(len(previous))
        if similarities[i][j] >= MATCH_SIMILARITY
    )
    matched_now: set[int] = set()
    matched_before: set[int] = set()
    for negative, i, j in pairs:
        if -negative < MATCH_SIMILARITY:
            break
        if i in matched_now or j in matched_before:
            continue
        matched_now.add(i)
        matched_before.add(j)
        story, before = current[i], previous[j]
        story.previous_size, story.previous_label = before.size, before.label
        if story.size >= before.size * GROWTH:
            story.status = "growing"
        elif story.size * GROWTH <= before.size:
            story.status = "fading"
        else:
            story.status = "steady"
    return [before for j, before in enumerate(previous) if j not in matched_before]
