"""The dataset mappings onto the taxonomy (cohesion/taxonomy.py), and the model's heads."""

from __future__ import annotations

# The taxonomy itself is defined once, in cohesion/taxonomy.py; the classifier's modules
# read it from here beside the mappings.
from cohesion.taxonomy import GOVERNMENT_TARGETS, LABELS, NARRATIVES, TARGETS, THREAT_TARGETS

__all__ = [
    "DATASET_TARGETS",
    "GOVERNMENT_TARGETS",
    "LABELS",
    "NARRATIVES",
    "TARGETS",
    "THREAT_TARGETS",
    "head_names",
    "map_targets",
]

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
