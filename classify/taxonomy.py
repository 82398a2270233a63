"""The label taxonomy (DESIGN.md "Taxonomy", CODEBOOK.md) and the dataset mappings onto it."""

from __future__ import annotations

from cohesion.classify.prediction import LABELS

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

# The shared datasets' normalised target names -> the taxonomy. `political` is not a
# protected characteristic, so it maps to nothing (the post keeps its other targets).
DATASET_TARGETS: dict[str, str | None] = {
    "jewish": "jewish",
    "muslim": "muslim",
    "arab": "other",
    "christian": "other",
    "lgbtq": "lgbtq",
    "transgender": "lgbtq",
    "black": "black",
    "asian": "asian",
    "hispanic": "hispanic_latino",
    "hispanic_latino": "hispanic_latino",
    "indigenous": "other",
    "immigrant": "immigrant_refugee",
    "refugee": "immigrant_refugee",
    "immigrant_refugee": "immigrant_refugee",
    "women": "women",
    "men": "other",
    "disability": "other",
    "other": "other",
    "political": None,
}


def map_targets(names: list[str] | None) -> list[str] | None:
    """Map dataset target names onto TARGETS; None (not annotated) stays None."""
    if names is None:
        return None
    mapped = {DATASET_TARGETS.get(str(name).lower(), "other") for name in names}
    mapped.discard(None)
    return sorted(t for t in mapped if t is not None)


def head_names() -> list[str]:
    """Every model head, in a fixed order: labels, then sub-labels."""
    return (
        list(LABELS)
        + [f"target:{t}" for t in TARGETS]
        + [f"narrative:{n}" for n in NARRATIVES]
        + [f"threat_target:{k}" for k in THREAT_TARGETS]
    )
