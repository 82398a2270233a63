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
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

# Re-exported: the report and its tests name them here.
from cohesion.tokens import STOPWORDS, mask_handles, tokenise

__all__ = [
    "PRIOR_TOKENS",
    "STOPWORDS",
    "RisingTerm",
    "count_terms",
    "mask_handles",
    "rising_terms",
    "tokenise",
]

PRIOR_TOKENS = 1000.0


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
