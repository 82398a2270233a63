"""Evidence spans -> text segments, so templates can mark them up with autoescaping.

The post text is never turned into markup itself: the template renders each segment's
text escaped, wrapping the marked ones in <mark>. Offsets come from the classifier
and are clipped to the text; broken spans are dropped, overlapping ones merge labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Segment:
    text: str
    labels: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def marked(self) -> bool:
        return bool(self.labels)


def segments(text: str, evidence: Iterable[Mapping[str, Any]]) -> list[Segment]:
    spans = []
    for item in evidence:
        try:
            start, end = int(item["start"]), int(item["end"])
        except (KeyError, TypeError, ValueError):
            continue
        start, end = max(0, start), min(len(text), end)
        if start < end:
            spans.append((start, end, str(item.get("label", "")), str(item.get("reason", ""))))
    cuts = sorted({0, len(text), *(s for s, _, _, _ in spans), *(e for _, e, _, _ in spans)})
    out: list[Segment] = []
    for left, right in zip(cuts, cuts[1:], strict=False):
        covering = [span for span in spans if span[0] <= left and right <= span[1]]
        labels = list(dict.fromkeys(label for _, _, label, _ in covering if label))
        reasons = list(dict.fromkeys(reason for _, _, _, reason in covering if reason))
        if out and out[-1].labels == labels and out[-1].reasons == reasons:
            out[-1].text += text[left:right]
        else:
            out.append(Segment(text[left:right], labels, reasons))
    return out
