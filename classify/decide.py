"""From calibrated head probabilities and rule hits to one `Prediction`.

Decision rules (all documented in the model card):
- a label is flagged when its calibrated score reaches the label's threshold;
- texts with no letters or digits get zero scores and no flags;
- confidently non-English texts get no flags (scores are kept; see language.py);
- an explicit threat against a government target is a threat whatever the head's score:
  a positive threat frame (first-person intent, a call on others, a wish: "I will kill
  the mayor", "someone should shoot the sheriff"; a negated frame does not count)
  together with an official, staff, law-enforcement, institution or watchlist cue,
  and no quoting, reporting, condemning, figurative, counter-speech or question cue.
  The feed-calibrated head is cautious on threats (real feeds are full of violent
  words in ordinary talk), and these are the threats the tool exists to catch; its
  score is raised to the threshold so score and flag agree;
- conversely, a text whose only threat frame is negated ("nobody should hurt her", "I
  would never shoot anyone") is not flagged threat, whatever the head's score;
- CODEBOOK convention: a threat against a government target (official, staff, law
  enforcement, institution) is also ``anti_government``; its anti_government score is
  raised to the threat score so score and flag agree;
- sub-labels are given only under their label: targets under ``hate``, narratives under
  ``anti_government``, threat targets under ``threat``. Each comes from its own head;
  when no head is confident the rule hits decide (slur or identity group for targets,
  lexicon narratives, government or community cues for threat targets).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from cohesion.classify.evidence import model_evidence, rule_evidence
from cohesion.classify.normalize import Normalized
from cohesion.classify.prediction import LABELS, Prediction
from cohesion.classify.taxonomy import GOVERNMENT_TARGETS, NARRATIVES, TARGETS, THREAT_TARGETS

if TYPE_CHECKING:
    from cohesion.classify.model import Model

# The explicit-threat rule (module docstring): frames, targets, and the cues that undo it.
EXPLICIT_FRAMES = frozenset({"threat_frame_intent", "threat_frame_call", "threat_frame_wish"})
GOVERNMENT_CUES = frozenset({"gov_official", "gov_staff", "gov_law", "gov_institution"})
DEFUSING_CUES = frozenset(
    {"ctx_quote", "ctx_report", "ctx_condemn", "ctx_figurative", "ctx_counter", "ctx_question",
     "ctx_negation", "threat_frame_negated"}
)  # fmt: skip

# Rule fallback for threat targets: hit category -> target kind.
THREAT_TARGET_CUES = (
    ("watch", "official"),
    ("gov_official", "official"),
    ("gov_law", "law_enforcement"),
    ("gov_staff", "staff"),
    ("gov_institution", "institution"),
    ("community_place", "community"),
    ("identity:", "community"),
    ("slur:", "community"),
)


class Decider:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.index = model.head_index
        self.thresholds = model.head_thresholds

    def _sub(self, probs: np.ndarray, prefix: str, names: tuple[str, ...]) -> list[str]:
        out = []
        for name in names:
            head = f"{prefix}:{name}"
            i = self.index.get(head)
            if i is not None and probs[i] >= self.thresholds.get(head, 0.5):
                out.append(name)
        return out

    def decide(self, probs: np.ndarray, norm: Normalized, doc: Any, language: str | None,
               non_english: bool) -> Prediction:  # fmt: skip
        places = sorted({e.ent_id_ or e.text for e in doc.ents if e.label_ == "PLACE"})
        watch = sorted({e.ent_id_ or e.text for e in doc.ents if e.label_ == "WATCH"})
        if not any(ch.isalnum() for ch in norm.text):
            return Prediction([], {label: 0.0 for label in LABELS}, language=language,
                              places=places, watchlist=watch)  # fmt: skip
        hits = doc._.hits or []
        cats = {h.category for h in hits}
        scores = {label: float(probs[self.index[label]]) for label in LABELS}
        flags = [] if non_english else [k for k in LABELS if scores[k] >= self.thresholds[k]]
        if not non_english and "threat" not in flags and explicit_threat(cats, bool(watch)):
            flags.append("threat")
            scores["threat"] = max(scores["threat"], self.thresholds["threat"])
        elif "threat" in flags and negated_only(cats):
            flags.remove("threat")  # "nobody should hurt the mayor": the frame is refused

        threat_targets: list[str] = []
        if "threat" in flags:
            threat_targets = self._sub(probs, "threat_target", THREAT_TARGETS)
            if not threat_targets:
                for prefix, kind in THREAT_TARGET_CUES:
                    if any(c.startswith(prefix) for c in cats) and kind not in threat_targets:
                        threat_targets.append(kind)
                        break
            if GOVERNMENT_TARGETS & set(threat_targets) and "anti_government" not in flags:
                flags.append("anti_government")
                scores["anti_government"] = max(scores["anti_government"], scores["threat"])
        flags = [k for k in LABELS if k in flags]

        targets: list[str] = []
        if "hate" in flags:
            targets = self._sub(probs, "target", TARGETS)
            slur_groups = sorted({c.split(":", 1)[1] for c in cats if c.startswith("slur:")})
            for group in slur_groups:
                if group not in targets:
                    targets.append(group)
            if not targets:
                targets = sorted({c.split(":", 1)[1] for c in cats if c.startswith("identity:")})
            targets = [t for t in TARGETS if t in targets] or ["other"]

        narratives: list[str] = []
        if "anti_government" in flags:
            narratives = self._sub(probs, "narrative", NARRATIVES)
            if not narratives:
                lexical = {c.split(":", 1)[1] for c in cats if c.startswith("narr:")}
                narratives = [n for n in NARRATIVES if n in lexical][:2]

        evidence = []
        for label in flags:
            found = rule_evidence(label, hits, norm)
            if label == "anti_government" and not found:
                found = rule_evidence("threat", hits, norm)
                found = [type(e)(e.start, e.end, label, "threat against a government target")
                         for e in found]  # fmt: skip
            if not found:
                weigh = partial(self.model.token_weights, label)
                found = model_evidence(label, norm, weigh, scores[label], self.thresholds[label])
            evidence.extend(found)
        return Prediction(
            flags=flags,
            scores=scores,
            targets=targets,
            narratives=narratives,
            threat_targets=threat_targets,
            evidence=evidence,
            language=language,
            places=places,
            watchlist=watch,
        )


def explicit_threat(categories: set[str], names_watchlist_entry: bool) -> bool:
    """A positive threat frame aimed at a government target, with nothing that defuses
    it (see the module docstring)."""
    aimed = bool(GOVERNMENT_CUES & categories) or names_watchlist_entry
    return bool(EXPLICIT_FRAMES & categories) and aimed and not DEFUSING_CUES & categories


def negated_only(categories: set[str]) -> bool:
    """The text refuses violence: a negated threat frame and no positive one."""
    return "threat_frame_negated" in categories and not EXPLICIT_FRAMES & categories
