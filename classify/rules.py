"""The rule layer: a `spacy.blank("en")` pipeline with lexicon, pattern and gazetteer components.

Components (in pipeline order):
- ``entity_ruler``: the locality gazetteer (label ``PLACE``) and the watchlist (label
  ``WATCH``), built from config at load time, so a new locality needs no retraining;
- ``cohesion_rules``: PhraseMatcher lexicons (threat, narrative, slur, identity and
  context cues), Matcher patterns for threat frames (intent, calls on others, wishes,
  conditionals; run only when a violent word is present), a masked-slur matcher (``n*****``) and regexes for doxxing details
  (phone numbers, street addresses, e-mail addresses).

Every match becomes a `Hit` (category, start, end) in *normalised* text offsets, stored
on ``doc._.hits``. The hits are features for the models (see `features.py`) and the
evidence for flags; they never decide a label on their own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import spacy
from cohesion.classify.normalize import normalize
from cohesion.resources import package_path
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

LEXICON_FILES = ("cues.json", "identity.json", "slurs.json", "reclaimable.json")

if not Doc.has_extension("hits"):
    Doc.set_extension("hits", default=None)

PHONE_RE = re.compile(
    r"(?<![\d-])(?:(?:\+?1[-. ]?)?(?:\(\d{3}\)\s?|\d{3}[-. ]))?\d{3}[-. ]\d{4}(?![\d-])"
)
TIME_RE = re.compile(r"\b\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}:\d{2}\b")
STREET_RE = re.compile(
    r"\b\d{1,6}\s+(?:[nsew]\.?\s+)?(?:[a-z0-9']+\s+){0,3}"
    r"(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|court|ct|boulevard|blvd|way|place|pl|"
    r"circle|cir|terrace|ter|parkway|pkwy|highway|hwy|trail|trl|loop|row|square|sq|pike|run|"
    r"crossing|xing|ridge|hollow|path|alley)\b\.?"
)
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+\.[a-z]{2,}\b")
_DIGIT = re.compile(r"\d")
PUBLIC_DOMAIN_RE = re.compile(r"\.(?:gov|mil|us)(?:\.[a-z]{2})?$|\.gov\.")
IMPERATIVE_RE = re.compile(
    r"(?:^|[.!?\n]\s*|\b(?:just|so|then|now|and|let's|lets)\s+)"
    r"((?:(?:kill|shoot|gas|nuke|exterminate|lynch|behead|stab|slaughter|euthanize|string up)"
    r"\s+(?:them|him|her|em|'em|all|every|each|the|those|these|any)"
    r"|(?:hang|bomb|round up|line up|wipe out)\s+(?:them|him|her|em|'em|all|every|those|these)"
    # Arson and bombing of a place: "burn the election office down", "torch city hall".
    r"|(?:torch|firebomb|bomb|blow up)\s+(?:the|that|this|their|his|her|every|all|those)"
    r"|burn\s+(?:the|that|this|their|his|her|every|all|those)(?:\s+[\w']+){1,4}?\s+down"
    # Fetching the means of a lynching: "get the rope", "grab the pitchforks".
    r"|(?:get|grab|bring|fetch)\s+(?:the|a|some|your|our)\s+"
    r"(?:rope|ropes|noose|nooses|pitchforks|torches|gallows))\b)"
)
CONDITIONAL_RE = re.compile(
    r"\b(?:if|when|unless)\b[^.!?\n]{0,60}?\b(?:we|i|people|someone|somebody)\s*"
    r"(?:will|'ll|ll|are|'re|gonna|gon na|might|may)\b|\bor else\b"
)
# Positive threat frames that a negated frame ending on the same violent word cancels.
NEGATABLE_FRAMES = frozenset({"threat_frame_intent", "threat_frame_call", "threat_frame_wish"})
QUOTE_RE = re.compile(r"[\"“”]([^\"“”]{3,400})[\"“”]")

_FIRST = ["i", "we", "ima", "imma", "im", "ill"]
_MODAL = ["will", "'ll", "ll", "am", "'m", "m", "are", "'re", "re", "gon", "gonna", "going", "wanna",
          "want", "would", "'d", "d", "should", "must", "shall", "could", "can", "need", "gotta",
          "swear", "promise", "plan", "'ve", "got"]  # fmt: skip
_CALLERS = ["someone", "somebody", "anyone", "anybody", "people", "y'all", "yall", "you", "patriots",
            "citizens", "men", "guys", "everyone", "everybody", "folks", "we", "they", "who"]  # fmt: skip
_OUGHT = [
    "should",
    "needs",
    "need",
    "ought",
    "has",
    "have",
    "gotta",
    "must",
    "better",
    "will",
    "'ll",
]
_WISH = ["should", "deserves", "deserve", "ought", "hope", "hoping", "wish", "pray", "praying",
         "needs", "need", "must"]  # fmt: skip
_NEGATIONS = ["not", "never", "n't", "no", "nobody", "none", "nothing", "neither", "nor", "dont",
              "wont", "cannot", "without", "against", "stop"]  # fmt: skip
_PHRASAL = ["wipe", "take", "blow", "string", "strings", "gun", "mow", "shoot", "burn", "line", "round",
            "wiped", "took", "blew", "strung", "gunned", "mowed", "burned", "lined", "rounded"]  # fmt: skip
_PARTICLES = ["out", "up", "down"]
_RUN = ["run", "runs", "ran", "running"]
_BREAK = ["break", "smash", "bash", "crack", "cave", "snap", "stomp"]
_BODY = ["jaw", "jaws", "neck", "necks", "legs", "leg", "face", "faces", "skull", "skulls",
         "head", "heads", "teeth", "arms", "knees", "kneecaps", "ribs", "nose"]  # fmt: skip
_ROUTE = ["to", "there", "here", "and", "for", "with", "tomorrow", "later", "now", "soon"]
_NOT_FRAME_VERBS = frozenset({"fire"})
_SELF_VERBS = frozenset({"die", "dies", "dead", "death"})
_OBJECTS = [
    "him",
    "her",
    "them",
    "you",
    "'em",
    "em",
    "they",
    "he",
    "she",
    "ya",
    "yall",
    "y'all",
    "u",
]


@dataclass(slots=True, frozen=True)
class Hit:
    """One rule match in normalised-text character offsets."""

    category: str
    start: int
    end: int


def default_lexicons() -> dict[str, Any]:
    """The lexicons shipped with the package (a trained model keeps its own copy)."""
    folder = package_path("classify", "lexicons")
    return {name: json.loads((folder / name).read_text("utf-8")) for name in LEXICON_FILES}


def _phrase_groups(lexicons: Mapping[str, Any]) -> dict[str, list[str]]:
    """Flatten the lexicon files into {category: phrases}."""
    groups: dict[str, list[str]] = {}
    for category, phrases in lexicons["cues.json"].items():
        if not category.startswith("_"):
            groups[category] = list(phrases)
    for group, phrases in lexicons["identity.json"].items():
        if not group.startswith("_"):
            groups[f"identity:{group}"] = list(phrases)
    for group, phrases in lexicons["slurs.json"].items():
        if not group.startswith("_"):
            groups[f"slur:{group}"] = list(phrases)
    groups["reclaimable"] = list(lexicons["reclaimable.json"]["terms"])
    return groups


def _masked_patterns(lexicons: Mapping[str, Any]) -> list[tuple[str, re.Pattern[str]]]:
    """Regexes for slurs with masked letters: first and last letter kept, '*' inside."""
    out = []
    for group, words in lexicons["slurs.json"].items():
        if group.startswith("_"):
            continue
        for word in words:
            if " " in word or len(word) < 3:
                continue
            inner = len(word) - 2
            out.append((f"slur:{group}", re.compile(rf"{word[0]}[a-z*]{{{inner}}}{word[-1]}")))
    return out


def categories(lexicons: Mapping[str, Any]) -> list[str]:
    """Every hit category the rule layer can produce, in a fixed order (feature layout)."""
    cats = sorted(_phrase_groups(lexicons))
    cats += ["threat_frame_intent", "threat_frame_call", "threat_frame_wish", "threat_frame_negated",
             "threat_frame_object", "threat_conditional",
             "dox_phone", "dox_street", "dox_time", "dox_email", "place", "watch"]  # fmt: skip
    return cats


class RuleComponent:
    """spaCy component: runs every lexicon, pattern and regex; sets ``doc._.hits``."""

    def __init__(self, nlp: Language, lexicons: Mapping[str, Any]) -> None:
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        for category, phrases in _phrase_groups(lexicons).items():
            texts = [normalize(p).text for p in phrases if p.strip()]
            self.phrases.add(category, [nlp.make_doc(text) for text in texts])
        violent = sorted(
            {p for p in lexicons["cues.json"]["threat_violent"] if " " not in p}
            | {
                "hanged",
                "hung",
                "shot",
                "killed",
                "executed",
                "lynched",
                "beaten",
                "burned",
                "die",
                "burn",
                "blow",
                "torch",
                "gas",
                "nuke",
                "wipe",
            }
        )
        # "fire" is mostly dismissal ("must fire McCabe"): no frame ends on it.
        violent = [w for w in violent if w not in _NOT_FRAME_VERBS]
        v: dict[str, Any] = {"LOWER": {"IN": violent}}
        # "we are all gonna die" is no intent to harm: first-person intent needs a verb
        # that acts on someone.
        v_act: dict[str, Any] = {"LOWER": {"IN": [w for w in violent if w not in _SELF_VERBS]}}
        # Phrasal violent verbs ("wipe out", "take out", "gun down", "string up"): a frame
        # may end on the particle as well as on a one-word violent verb.
        phrasal: list[dict[str, Any]] = [
            {"LOWER": {"IN": _PHRASAL}},
            {"OP": "{0,3}"},
            {"LOWER": {"IN": _PARTICLES}},
        ]
        gap: dict[str, Any] = {"LOWER": {"NOT_IN": _NEGATIONS}, "OP": "{0,3}"}
        neg = {"LOWER": {"IN": _NEGATIONS}}
        self.matcher = Matcher(nlp.vocab)
        # A violent verb governed by a negation ("would never hurt", "not going to hurt",
        # "no one should shoot") is its own category, so the models can weigh it apart.
        self.matcher.add(
            "threat_frame_negated",
            [[{"LOWER": {"IN": _FIRST + _CALLERS + ["one"]}}, {"OP": "{0,3}"}, neg, {"OP": "{0,3}"}, v],
             [neg, {"LOWER": {"IN": ["one", "body"]}, "OP": "?"}, {"LOWER": {"IN": _OUGHT + _MODAL}},
              {"OP": "{0,3}"}, v]],
        )  # fmt: skip
        intent: list[dict[str, Any]] = [{"LOWER": {"IN": _FIRST}}, {"LOWER": {"IN": _MODAL}}, gap]
        call: list[dict[str, Any]] = [{"LOWER": {"IN": _CALLERS}}, {"LOWER": {"IN": _OUGHT}}, gap]
        wish: list[dict[str, Any]] = [{"LOWER": {"IN": _WISH}}, gap]
        self.matcher.add("threat_frame_intent", [intent + [v_act], intent + phrasal])
        self.matcher.add("threat_frame_call", [call + [v], call + phrasal])
        self.matcher.add("threat_frame_wish", [wish + [v], wish + phrasal])
        self.matcher.add("threat_frame_object", [[v, {"OP": "{0,2}"}, {"LOWER": {"IN": _OBJECTS}}]])
        # Running someone over: "over" must not start a route ("run over to city hall").
        run_over: list[list[dict[str, Any]]] = [
            [{"LOWER": {"IN": _RUN}}, {"LOWER": "over"}, {"LOWER": {"NOT_IN": _ROUTE}}],
            [{"LOWER": {"IN": _RUN}}, {"LOWER": {"IN": _OBJECTS}}, {"LOWER": "over"}],
        ]
        # Harm to the body: "break his jaw", "smash her face", "bash their heads in".
        body_harm: list[dict[str, Any]] = [
            {"LOWER": {"IN": _BREAK}},
            {"LOWER": {"IN": ["his", "her", "their", "your", "ur", "the"]}},
            {"LOWER": {"IN": _BODY}},
        ]
        for frame, opening in (("threat_frame_intent", intent), ("threat_frame_call", call),
                               ("threat_frame_wish", wish)):  # fmt: skip
            self.matcher.add(frame, [opening + act for act in (*run_over, body_harm)])
        # "Death to X" is a slogan calling for a killing, the imperative of a crowd.
        self.matcher.add("threat_frame_call", [[{"LOWER": "death"}, {"LOWER": "to"}]])
        self.masked = _masked_patterns(lexicons)
        self.use_entities = False  # set by build_pipeline when an EntityRuler runs first
        self.names = {
            category: nlp.vocab.strings.add(category) for category in categories(lexicons)
        }

    def __call__(self, doc: Doc) -> Doc:
        hits: list[Hit] = []
        strings = doc.vocab.strings
        for match_id, start, end in self.phrases(doc):
            span = doc[start:end]
            hits.append(Hit(strings[match_id], span.start_char, span.end_char))
        text = doc.text
        # The token Matcher is the slow part: run it only when a violent word is present.
        if any(h.category == "threat_violent" for h in hits):
            matches = [(strings[m], start, end) for m, start, end in self.matcher(doc)]
            # A frame whose violent word is governed by a negation ("nobody should hurt",
            # "no one should ever shoot") is negated only: the wish/call/intent pattern
            # that starts just after the negation ("should hurt") ends on the same word.
            negated = [(start, end) for cat, start, end in matches
                       if cat == "threat_frame_negated"]  # fmt: skip
            for category, start, end in matches:
                if category in NEGATABLE_FRAMES and any(
                    end == n_end and 0 <= start - n_start <= 3 for n_start, n_end in negated
                ):
                    continue
                span = doc[start:end]
                hits.append(Hit(category, span.start_char, span.end_char))
        # An imperative at the start of a sentence ("Hang them all", "Burn the office
        # down") calls on the reader: the same frame as "someone should". A regex, cheap
        # enough to run on every text ("burn ... down" holds no one violent word).
        hits += [Hit("threat_frame_call", *m.span(1)) for m in IMPERATIVE_RE.finditer(text)]
        hits += [Hit("threat_conditional", *m.span()) for m in CONDITIONAL_RE.finditer(text)]
        if "*" in text:
            for token in doc:
                if "*" in token.text:
                    for category, pattern in self.masked:
                        if pattern.fullmatch(token.lower_):
                            hits.append(Hit(category, token.idx, token.idx + len(token)))
                            break
        if _DIGIT.search(text):
            hits += [Hit("dox_phone", *m.span()) for m in PHONE_RE.finditer(text)]
            hits += [Hit("dox_street", *m.span()) for m in STREET_RE.finditer(text)]
            hits += [Hit("dox_time", *m.span()) for m in TIME_RE.finditer(text)]
        if "@" in text:
            for m in EMAIL_RE.finditer(text):
                hits.append(Hit("dox_email", *m.span()))
                # A public body's address (.gov, .us) is a public office contact.
                if PUBLIC_DOMAIN_RE.search(m.group()):
                    hits.append(Hit("dox_office", *m.span()))
        for ent in doc.ents if self.use_entities else ():
            if ent.label_ == "PLACE":
                hits.append(Hit("place", ent.start_char, ent.end_char))
            elif ent.label_ == "WATCH":
                hits.append(Hit("watch", ent.start_char, ent.end_char))
        doc._.hits = hits
        return doc


@Language.factory("cohesion_rules", default_config={"lexicons": {}})
def make_rule_component(nlp: Language, name: str, lexicons: dict[str, Any]) -> RuleComponent:
    return RuleComponent(nlp, lexicons or default_lexicons())


def entity_patterns(
    entries: Iterable[Mapping[str, Any]] | None, label: str
) -> list[dict[str, Any]]:
    """EntityRuler patterns for gazetteer or watchlist entries: {name, aliases, kind}."""
    patterns = []
    for entry in entries or []:
        name = str(entry.get("name", "")).strip()
        if not name:
            continue
        for alias in [name, *(entry.get("aliases") or [])]:
            alias = normalize(str(alias)).text.strip()
            if alias:
                patterns.append({"label": label, "pattern": alias, "id": name})
    return patterns


def build_pipeline(
    lexicons: Mapping[str, Any] | None = None,
    gazetteer: Iterable[Mapping[str, Any]] | None = None,
    watchlist: Iterable[Mapping[str, Any]] | None = None,
) -> Language:
    """A blank English pipeline with the gazetteer, watchlist and rule components."""
    nlp = spacy.blank("en")
    patterns = entity_patterns(gazetteer, "PLACE") + entity_patterns(watchlist, "WATCH")
    if patterns:
        ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
        ruler.add_patterns(patterns)  # type: ignore[attr-defined]
    rules = nlp.add_pipe(
        "cohesion_rules", config={"lexicons": dict(lexicons or default_lexicons())}
    )
    rules.use_entities = bool(patterns)  # type: ignore[attr-defined]
    return nlp


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Character spans inside quotation marks (a quoting frame)."""
    return [m.span(1) for m in QUOTE_RE.finditer(text)]
