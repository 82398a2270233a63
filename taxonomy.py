"""The label taxonomy (docs/codebook.md): the one definition the store, the classifier,
the reports and the review app share.

Four labels; sub-labels say whom hate targets, which anti-government narrative a post
carries, and whom a threat is aimed at.
"""

from __future__ import annotations

LABELS: tuple[str, ...] = ("hate", "anti_government", "threat", "doxxing")

TARGETS: tuple[str, ...] = (
    "jewish",
    "muslim",
    "lgbtq",
    "black",
    "asian",
    "hispanic_latino",
    "immigrant_refugee",
    "women",
    "other",
)

NARRATIVES: tuple[str, ...] = (
    "election_fraud",
    "public_health_tyranny",
    "illegitimate_authority",
    "corruption_traitor",
    "globalist_conspiracy",
    "law_enforcement_hostility",
)

THREAT_TARGETS: tuple[str, ...] = (
    "official",
    "staff",
    "law_enforcement",
    "institution",
    "community",
)
# Threat targets that make a threat anti-government too (CODEBOOK "Labels combine").
GOVERNMENT_TARGETS: frozenset[str] = frozenset(
    {"official", "staff", "law_enforcement", "institution"}
)

# Kinds of the local calendar's events (docs/codebook.md is silent on them: they are
# context for the analyst, not labels of posts).
EVENT_KINDS: tuple[str, ...] = ("meeting", "election", "community", "national")
