"""The classifier's output contract: what one post's prediction holds.

Everything downstream (the store, the review app, `classify-file`) reads this shape;
keep it plain data so it crosses process and JSON boundaries unchanged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from cohesion.taxonomy import LABELS


@dataclass(slots=True, frozen=True)
class Evidence:
    """Why a label was given: a span of the original text (character offsets)."""

    start: int
    end: int
    label: str
    reason: str


@dataclass(slots=True)
class Prediction:
    flags: list[str]
    scores: dict[str, float]
    targets: list[str] = field(default_factory=list)
    narratives: list[str] = field(default_factory=list)
    # official, staff, law_enforcement, institution, community (threats only)
    threat_targets: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    language: str | None = None
    # Gazetteer places the text mentions (canonical names from config).
    places: list[str] = field(default_factory=list)
    # Watchlist entries the text names (canonical names from config).
    watchlist: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    def to_json(self, post_id: Any, model_version: str) -> dict[str, Any]:
        """The line `cohesion classify-file` writes for one input."""
        return {
            "id": post_id,
            "flags": list(self.flags),
            "scores": {label: round(float(self.scores.get(label, 0.0)), 4) for label in LABELS},
            "targets": list(self.targets),
            "narratives": list(self.narratives),
            "threat_targets": list(self.threat_targets),
            "evidence": [asdict(item) for item in self.evidence],
            "language": self.language,
            "places": list(self.places),
            "watchlist": list(self.watchlist),
            "model": model_version,
        }
