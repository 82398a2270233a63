"""Evidence spans: why a label was given, as character offsets into the original text.

Rule hits that belong to a label come first (a threat frame, a slur, a street
address...). When a flag rests on the n-gram model alone, the tokens whose word
features weigh most towards the label are the evidence; failing that, the start of
the text with the score as the reason. Every flag gets at least one span.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from cohesion.classify.features import TOKEN_PATTERN
from cohesion.classify.normalize import Normalized
from cohesion.classify.prediction import Evidence
from cohesion.classify.rules import Hit

MAX_SPANS = 5

# label -> (category prefix, reason) in order of strength.
LABEL_CUES: dict[str, tuple[tuple[str, str], ...]] = {
    "threat": (
        ("threat_frame_intent", "threat: stated intent to harm"),
        ("threat_frame_call", "threat: call on others to act"),
        ("threat_frame_wish", "threat: wish of violence"),
        ("threat_veiled", "threat: veiled or conditional threat"),
        ("threat_call", "threat: call to action"),
        ("threat_frame_object", "threat: violence aimed at someone"),
        ("threat_violent", "threat: violent language"),
        ("threat_weapon", "threat: weapon"),
    ),
    "hate": (
        ("slur:", "hate: slur"),
        ("dehuman", "hate: dehumanising or exclusionary language"),
        ("identity:", "hate: names a protected group"),
    ),
    "anti_government": (
        ("narr:", "anti-government narrative"),
        ("gov_", "aimed at government"),
        ("watch", "names a watchlisted official"),
    ),
    "doxxing": (
        ("dox_street", "doxxing: street address"),
        ("dox_phone", "doxxing: phone number"),
        ("dox_email", "doxxing: e-mail address"),
        ("dox_private", "doxxing: private detail (home, family, routine)"),
        ("dox_expose", "doxxing: invitation to act on the details"),
    ),
}
_TOKEN = re.compile(TOKEN_PATTERN)


def _reason(base: str, category: str) -> str:
    if ":" in category and base.startswith(("hate", "anti")):
        return f"{base} ({category.split(':', 1)[1]})"
    return base


def rule_evidence(label: str, hits: Sequence[Hit], norm: Normalized) -> list[Evidence]:
    """Evidence from the rule hits that belong to `label`, strongest first, no overlaps."""
    chosen: list[tuple[int, int, str]] = []
    for prefix, base in LABEL_CUES.get(label, ()):
        for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
            if not hit.category.startswith(prefix):
                continue
            if any(hit.start < end and start < hit.end for start, end, _ in chosen):
                continue
            chosen.append((hit.start, hit.end, _reason(base, hit.category)))
            if len(chosen) >= MAX_SPANS:
                break
        if len(chosen) >= MAX_SPANS:
            break
    out = []
    for start, end, reason in chosen:
        o_start, o_end = norm.to_original(start, end)
        out.append(Evidence(o_start, o_end, label, reason))
    return out


def model_evidence(
    label: str,
    norm: Normalized,
    token_weight: Callable[[list[str]], list[float]],
    score: float,
    threshold: float,
) -> list[Evidence]:
    """Evidence when no rule fired: the tokens that weigh most towards the label."""
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(norm.text[:5000])]
    words = [t for t in tokens if any(ch.isalnum() for ch in t[0])]
    if words:
        weights = token_weight([w for w, _, _ in words])
        ranked = sorted(zip(weights, words, strict=True), key=lambda x: -x[0])
        out = []
        for weight, (word, start, end) in ranked[:2]:
            if weight <= 0:
                break
            o_start, o_end = norm.to_original(start, end)
            out.append(Evidence(o_start, o_end, label, f"model: '{word}' weighs towards {label}"))
        if out:
            return out
    end = min(len(norm.original), 280)
    return [Evidence(0, end, label, f"model score {score:.2f} >= threshold {threshold:.2f}")]
