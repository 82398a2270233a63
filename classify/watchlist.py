"""Matching the watchlist: which protected people, roles and institutions a post names.

The rules (README "Watchlist", docs/watchlist.md), chosen so that a name that is also
an ordinary word (a mayor called Joy) never floods the queue:

1. A name or alias of two or more words matches in any letter case, anywhere:
   "Sam Okafor", "SAM OKAFOR", "county election office".
2. A one-word alias of a person matches only as written (capital letter included) and
   right after a title: "Director Okafor", "Mayor Joy's office", "Dr. Okafor" — never
   "joy" or "Joy to the world".
3. A one-word alias of a role or institution must be an acronym or a proper name with
   a capital letter (config.py refuses a lowercase single word such as "court") and
   matches only as written: "BOCC", "SMSD".
4. Possessives count ("Okafor's", "city hall's"): the tokenizer splits off "'s".
5. A reply to an entry's own account (config `accounts`, where the platform names the
   replied-to account) that says "you"/"your" names that entry (`addresses()`); the
   crawler records the entry, the classification job applies the rule.

Matching runs on the original text (the classifier's normalised text is lower-cased,
which would erase rule 2), tokenised by the same spaCy tokenizer, so character offsets
point into the post as stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from spacy.language import Language
from spacy.matcher import Matcher

# Words that introduce a person's surname or first name; lower-case, without the dot.
TITLES: tuple[str, ...] = (
    "mayor", "commissioner", "commish", "councilmember", "councilman", "councilwoman",
    "councillor", "councilor", "alderman", "alderwoman", "clerk", "sheriff", "deputy",
    "undersheriff", "director", "superintendent", "supt", "chief", "judge", "justice",
    "treasurer", "assessor", "manager", "administrator", "trustee", "chair", "chairman",
    "chairwoman", "rep", "representative", "sen", "senator", "officer", "sgt",
    "sergeant", "lt", "lieutenant", "captain", "capt", "mr", "mrs", "ms", "mx", "dr",
    "miss", "prof", "principal", "attorney", "da", "official", "president",
)  # fmt: skip

# Which threat target kind a watchlist entry stands for when a threat names it.
KIND_TARGET: dict[str, str] = {"person": "official", "role": "staff", "institution": "institution"}


# "you", "your", "you're", "ya", "u" addressing the account replied to.
ADDRESS_RE = re.compile(r"\b(?:you(?:r|rs|rself|'re|'ll|'d)?|ya|u|ur)\b", re.IGNORECASE)


def addresses(text: str) -> bool:
    """Whether a reply speaks to the account it answers ("you", "your"...)."""
    return bool(ADDRESS_RE.search(text or ""))


@dataclass(slots=True, frozen=True)
class WatchHit:
    name: str
    kind: str
    start: int
    end: int


class WatchlistMatcher:
    """Finds watchlist entries in original (not normalised) text."""

    def __init__(self, nlp: Language, entries: Iterable[Mapping[str, Any]] | None) -> None:
        self._tokenizer = nlp.tokenizer
        self._vocab = nlp.vocab
        self._matcher = Matcher(nlp.vocab)
        self.kinds: dict[str, str] = {}
        for entry in entries or []:
            name = str(entry.get("name", "")).strip()
            if not name:
                continue
            kind = str(entry.get("kind", "person"))
            self.kinds[name] = kind
            patterns = [
                pattern
                for alias in dict.fromkeys([name, *(entry.get("aliases") or [])])
                for pattern in self._patterns(str(alias).strip(), kind)
            ]
            if patterns:
                self._matcher.add(name, patterns)

    def __bool__(self) -> bool:
        return bool(self.kinds)

    def _patterns(self, alias: str, kind: str) -> list[list[dict[str, Any]]]:
        tokens = [t.text for t in self._tokenizer(alias) if not t.is_space]
        if not tokens:
            return []
        if len(tokens) > 1:
            return [[{"LOWER": t.lower()} for t in tokens]]
        word = tokens[0]
        if kind != "person":
            return [[{"ORTH": word}]]
        # "Dr." is one token to spaCy's tokenizer, "Supt ." two: accept both.
        title = {"LOWER": {"IN": [*TITLES, *(t + "." for t in TITLES)]}}
        return [[title, {"ORTH": word}], [title, {"ORTH": "."}, {"ORTH": word}]]

    def find(self, text: str) -> list[WatchHit]:
        if not self.kinds or not text:
            return []
        doc = self._tokenizer(text)
        hits = []
        for match_id, start, end in self._matcher(doc):
            name = self._vocab.strings[match_id]
            span = doc[start:end]
            hits.append(WatchHit(name, self.kinds[name], span.start_char, span.end_char))
        return sorted(hits, key=lambda h: (h.start, h.end))

    def names(self, text: str) -> list[str]:
        return sorted({hit.name for hit in self.find(text)})
