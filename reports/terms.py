"""Rising terms: which words flagged posts use more this week than in the baseline weeks.

Tokens are lowercase words of three or more letters; stopwords, numbers, URLs, e-mail
addresses and user handles (@name, @name@server, u/name) are dropped first, so no
account name ever becomes a "term".

The score is the log-odds ratio with an informative Dirichlet prior of Monroe, Colaresi
and Quinn (2008, "Fightin' Words", Political Analysis 16(4)). With y_w the count of
word w in this week's flagged posts (n tokens), b_w its count in the baseline weeks'
flagged posts (m tokens), and a prior a_w = a0 * (y_w + b_w) / (n + m) that spreads a0
pseudo-tokens over the words in proportion to their pooled frequency:

    delta_w = log((y_w + a_w) / (n + a0 - y_w - a_w)) - log((b_w + a_w) / (m + a0 - b_w - a_w))
    z_w     = delta_w / sqrt(1 / (y_w + a_w) + 1 / (b_w + a_w))

The prior shrinks rare words towards "no change", so a word seen twice does not top
the list; the z-score ranks words by how sure the rise is, not just how large.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

PRIOR_TOKENS = 1000.0
_STRIP = re.compile(
    r"https?://\S+|www\.\S+"  # links
    r"|\S+@\S+\.\S+"  # e-mail addresses
    r"|@[\w.]+(?:@[\w.-]+)?"  # @handle, @handle@server
    r"|(?<![\w/])/?u/[\w-]+",  # reddit u/handle
    re.IGNORECASE,
)
_HANDLE = re.compile(r"@[\w.]+(?:@[\w.-]+)?\b|(?<![\w/])/?u/[\w-]+", re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z']*[a-z]")
STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can can't cannot could couldn't did didn't
    do does doesn't doing don't down during each even every few for from further get gets
    got had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers
    herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its
    itself just know let's like make many may me might more most much must mustn't my
    myself need never new no nor not now of off on once one only or other ought our ours
    ourselves out over own people really right same say says see shan't she she'd she'll
    she's should shouldn't since so some still such take than that that's the their theirs
    them themselves then there there's these they they'd they'll they're they've think
    this those though through time to too under until up upon us very want was wasn't way
    we we'd we'll we're we've well were weren't what what's when when's where where's
    whether which while who who's whom why why's will with won't would wouldn't yes yet
    you you'd you'll you're you've your yours yourself yourselves going gonna got amp
    """.split()
)


def mask_handles(text: str) -> str:
    """Replace @handles and u/handles in a text by a placeholder (for showing posts)."""
    return _HANDLE.sub("@[user]", text)


def tokenise(text: str) -> list[str]:
    cleaned = _STRIP.sub(" ", text.lower())
    words = (w.removesuffix("'s").strip("'") for w in _WORD.findall(cleaned))
    return [w for w in words if len(w) >= 3 and w not in STOPWORDS]


def count_terms(texts: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(tokenise(text))
    return counts


@dataclass(slots=True, frozen=True)
class RisingTerm:
    term: str
    z: float
    log_odds: float
    week_count: int
    baseline_count: int


def rising_terms(
    week: Counter[str],
    baseline: Counter[str],
    *,
    limit: int = 15,
    min_count: int = 3,
    prior_tokens: float = PRIOR_TOKENS,
) -> list[RisingTerm]:
    """Words over-used this week against the baseline, best first (z > 0 only)."""
    n, m = sum(week.values()), sum(baseline.values())
    if n == 0 or m == 0:
        return []
    pooled = n + m
    found = []
    for term, y in week.items():
        if y < min_count:
            continue
        b = baseline.get(term, 0)
        prior = prior_tokens * (y + b) / pooled
        if n + prior_tokens - y - prior <= 0 or m + prior_tokens - b - prior <= 0:
            continue  # one word is the whole vocabulary: no odds to compare
        delta = math.log((y + prior) / (n + prior_tokens - y - prior)) - math.log(
            (b + prior) / (m + prior_tokens - b - prior)
        )
        z = delta / math.sqrt(1 / (y + prior) + 1 / (b + prior))
        if z > 0:
            found.append(RisingTerm(term, z, delta, y, b))
    found.sort(key=lambda t: (-t.z, t.term))
    return found[:limit]
