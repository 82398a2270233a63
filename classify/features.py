"""Features: hashed word and character n-grams plus rule hits and their interactions.

Hashing keeps the feature space fixed without a stored vocabulary (so a model directory
holds no training text). The rule block comes last: one binary feature per hit
category, then interactions that encode the codebook's context rules (a violent word
inside a quote, a street address next to "office hours", a slur next to in-group
cues...). They are features, not overrides: the linear models learn their weights.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from cohesion.classify.rules import Hit, quoted_spans
from sklearn.feature_extraction.text import HashingVectorizer

TOKEN_PATTERN = r"[\w']+|[^\w\s]"
_TOKEN_RE = re.compile(TOKEN_PATTERN)
# Structure the n-grams cannot see: what a quote mark, a reporting or naming verb
# ("calling them X", "he said ..."), or a negation scopes over. Words in such a scope
# get a second, prefixed feature ("q:word", "neg:word"), so a slur that is quoted or
# named in order to condemn it can weigh differently from the same slur asserted.
REPORT_RE = re.compile(
    r"\b(?:call(?:s|ed|ing)?|label(?:s|ed|led|ing)?|brand(?:s|ed|ing)?|say(?:s|ing)?|said|"
    r"tell(?:s|ing)?|told|tweet(?:s|ed|ing)?|post(?:s|ed|ing)?|wr(?:ote|ites?|iting)|"
    r"chant(?:s|ed|ing)?|yell(?:s|ed|ing)?|shout(?:s|ed|ing)?|scream(?:s|ed|ing)?|"
    r"claim(?:s|ed|ing)?|accus(?:e|es|ed|ing)|quot(?:e|es|ed|ing)|spray[- ]?paint(?:ed)?|"
    r"graffiti|slur(?:s|red)?|words? like|term(?:s)? like|names? like)\b([^.!?;\n]{1,80})"
)
NEGATION_RE = re.compile(
    r"\b(?:not|never|no|nobody|no one|don't|dont|doesn't|won't|wouldn't|shouldn't|isn't|"
    r"aren't|can't|cannot|stop|against|nothing)\b((?:[^\w.!?;\n]+[\w']+){1,3})"
)

THREAT_CUES = ("threat_violent", "threat_veiled", "threat_call", "threat_frame_intent",
               "threat_frame_call", "threat_frame_wish", "threat_frame_object")  # fmt: skip
GOV_CUES = ("gov_official", "gov_staff", "gov_law", "gov_institution", "watch")
DETAIL_CUES = ("dox_phone", "dox_street", "dox_email")

# name -> (left group, right group); a group is a prefix ("slur:") or a category tuple.
INTERACTIONS: dict[str, tuple[Any, Any]] = {
    "violent*quote": ("threat_violent", "QUOTE"),
    "violent*condemn": ("threat_violent", "ctx_condemn"),
    "violent*report": ("threat_violent", "ctx_report"),
    "violent*figurative": ("threat_violent", "ctx_figurative"),
    "violent*literal": ("threat_violent", "ctx_literal"),
    "violent*legit": ("threat_violent", "ctx_legit"),
    "violent*negated": ("threat_violent", "NEGATED"),
    "violent*gov": ("threat_violent", GOV_CUES),
    "violent*community": ("threat_violent", "community_place"),
    "violent*identity": ("threat_violent", "identity:"),
    "violent*weapon": ("threat_violent", "threat_weapon"),
    "frame*quote": ("threat_frame_", "QUOTE"),
    "frame*condemn": ("threat_frame_", "ctx_condemn"),
    "frame*report": ("threat_frame_", "ctx_report"),
    "frame*figurative": ("threat_frame_", "ctx_figurative"),
    "frame*legit": ("threat_frame_", "ctx_legit"),
    "frame*gov": ("threat_frame_", GOV_CUES),
    "frame*community": ("threat_frame_", ("community_place",)),
    "frame*conditional": ("threat_frame_", "threat_conditional"),
    "veiled*gov": ("threat_veiled", GOV_CUES),
    "veiled*private": ("threat_veiled", "dox_private"),
    "veiled*quote": ("threat_veiled", "QUOTE"),
    "veiled*condemn": ("threat_veiled", "ctx_condemn"),
    "veiled*report": ("threat_veiled", "ctx_report"),
    "call*violent": ("threat_call", "threat_violent"),
    "call*legit": ("threat_call", "ctx_legit"),
    "slur*quote": ("slur:", "QUOTE"),
    "slur*condemn": ("slur:", "ctx_condemn"),
    "slur*ingroup": ("slur:", "ctx_ingroup"),
    "slur*counter": ("slur:", "ctx_counter"),
    "slur*negation": ("slur:", "ctx_negation"),
    "reclaimable*ingroup": ("reclaimable", "ctx_ingroup"),
    "identity*dehuman": ("identity:", "dehuman"),
    "identity*counter": ("identity:", "ctx_counter"),
    "identity*condemn": ("identity:", "ctx_condemn"),
    "identity*profanity": ("identity:", "profanity"),
    "identity*negation": ("identity:", "ctx_negation"),
    "identity*question": ("identity:", "ctx_question"),
    "identity*violent": ("identity:", THREAT_CUES),
    "dehuman*quote": ("dehuman", "QUOTE"),
    "dehuman*condemn": ("dehuman", "ctx_condemn"),
    "dehuman*negation": ("dehuman", "ctx_negation"),
    "narr*quote": ("narr:", "QUOTE"),
    "narr*condemn": ("narr:", "ctx_condemn"),
    "narr*question": ("narr:", "ctx_question"),
    "narr*report": ("narr:", "ctx_report"),
    "narr*gov": ("narr:", GOV_CUES),
    "narr*criticism": ("narr:", "ctx_criticism"),
    "narr*profanity": ("narr:", "profanity"),
    "gov*profanity": (GOV_CUES, "profanity"),
    "gov*criticism": (GOV_CUES, "ctx_criticism"),
    "gov*legit": (GOV_CUES, "ctx_legit"),
    "detail*office": (DETAIL_CUES, "dox_office"),
    "detail*private": (DETAIL_CUES, "dox_private"),
    "detail*report": (DETAIL_CUES, "dox_report"),
    "detail*expose": (DETAIL_CUES, "dox_expose"),
    "detail*gov": (DETAIL_CUES, GOV_CUES),
    "detail*threat": (DETAIL_CUES, THREAT_CUES),
    "private*expose": ("dox_private", "dox_expose"),
    "private*gov": ("dox_private", GOV_CUES),
    "private*threat": ("dox_private", THREAT_CUES),
    "private*office": ("dox_private", "dox_office"),
    "private*report": ("dox_private", "dox_report"),
    "time*private": ("dox_time", "dox_private"),
    "time*office": ("dox_time", "dox_office"),
    "time*gov": ("dox_time", GOV_CUES),
}
COUNTS = ("narr:", "threat_", "slur:", "identity:", "dox_")
# Categories that share a prefix with threat evidence but say the opposite: a negated
# frame ("nobody should hurt him") is not a threat frame and no threat cue to count.
NOT_EVIDENCE = frozenset({"threat_frame_negated"})


def _group_key(group: Any) -> str:
    return "|".join(group) if isinstance(group, tuple) else group


_GROUPS = {g for pair in INTERACTIONS.values() for g in pair}
_PAIRS = [(f"x:{name}", _group_key(a), _group_key(b)) for name, (a, b) in INTERACTIONS.items()]


def _tags(cats: set[str]) -> set[str]:
    """Every group key (category, prefix or tuple of categories) present in `cats`."""
    tags = set(cats)
    for group in _GROUPS:
        if isinstance(group, tuple):
            if any(c in cats for c in group):
                tags.add(_group_key(group))
        elif group.endswith((":", "_")) and any(
            c.startswith(group) and c not in NOT_EVIDENCE for c in cats
        ):
            tags.add(group)
    return tags


def _negated(hits: Sequence[Hit], text: str) -> bool:
    """A negation cue within 25 characters before a violent word ("would never hurt")."""
    negations = [h for h in hits if h.category == "ctx_negation"]
    for hit in hits:
        if hit.category == "threat_violent":
            for neg in negations:
                if 0 <= hit.start - neg.end <= 25:
                    return True
    return False


def _quoted(hits: Sequence[Hit], text: str) -> set[str]:
    """Hit categories that fall inside quotation marks."""
    spans = quoted_spans(text) if ('"' in text or "“" in text) else []
    return {h.category for h in hits for a, b in spans if a <= h.start and h.end <= b}


def scoped_tokens(text: str) -> list[str]:
    """Prefixed tokens for the words inside quotes, reported or named speech and negations."""
    out: list[str] = []
    spans = quoted_spans(text) if ('"' in text or "“" in text) else []
    spans += [m.span(1) for m in REPORT_RE.finditer(text)]
    for a, b in spans:
        out.extend("q:" + tok for tok in _TOKEN_RE.findall(text[a:b]))
    for m in NEGATION_RE.finditer(text):
        out.extend("neg:" + tok for tok in _TOKEN_RE.findall(m.group(1)))
    return out


def _scoped_analyzer(text: str) -> list[str]:
    return scoped_tokens(text)


def rule_names(categories: Sequence[str]) -> list[str]:
    """Names of the rule-feature columns, in order."""
    return (
        [f"hit:{c}" for c in categories]
        + [f"x:{name}" for name in INTERACTIONS]
        + [f"n:{prefix}" for prefix in COUNTS]
        + ["in_quotes", "len:short", "len:long"]
    )


def rule_vector(hits: Sequence[Hit], text: str, index: dict[str, int]) -> dict[int, float]:
    """Sparse rule features of one document, as {column: value}."""
    cats = {h.category for h in hits}
    quoted = _quoted(hits, text)
    extra = set()
    if quoted or "ctx_quote" in cats:
        extra.add("QUOTE")
    if _negated(hits, text):
        extra.add("NEGATED")
    tags = _tags(cats) | extra
    out: dict[int, float] = {}
    for c in cats:
        col = index.get(f"hit:{c}")
        if col is not None:
            out[col] = 1.0
    for name, left, right in _PAIRS:
        if left in tags and right in tags:
            out[index[name]] = 1.0
    for prefix in COUNTS:
        if prefix in tags or any(c.startswith(prefix) and c not in NOT_EVIDENCE for c in cats):
            n = len({(h.start, h.category) for h in hits
                     if h.category.startswith(prefix) and h.category not in NOT_EVIDENCE})  # fmt: skip
            out[index[f"n:{prefix}"]] = min(n, 4) / 4.0
    if quoted:
        out[index["in_quotes"]] = 1.0
    if len(text) < 40:
        out[index["len:short"]] = 1.0
    elif len(text) > 400:
        out[index["len:long"]] = 1.0
    return out


def _row_scale(word: sp.csr_matrix) -> np.ndarray:
    """Per row, the value of one binary word feature after L2 normalisation."""
    counts = np.diff(word.indptr).astype(np.float32)
    return (1.0 / np.sqrt(np.maximum(counts, 1.0))).reshape(-1, 1)


@dataclass
class Featurizer:
    """Turns normalised texts and their hits into one sparse matrix."""

    categories: list[str]
    word_features: int = 2**19
    char_features: int = 2**20
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    scoped: bool = False  # the scoped-word block (models trained before issue #13 lack it)
    spelling: bool = False  # lexicon spelling variants restored first (classify/spelling.py)

    def __post_init__(self) -> None:
        self.word = HashingVectorizer(
            analyzer="word", token_pattern=TOKEN_PATTERN, ngram_range=self.word_ngrams,
            n_features=self.word_features, alternate_sign=False, binary=True, lowercase=False,
            dtype=np.float32,
        )  # fmt: skip
        self.char = HashingVectorizer(
            analyzer="char_wb", ngram_range=self.char_ngrams, n_features=self.char_features,
            alternate_sign=False, binary=True, lowercase=False, dtype=np.float32,
        )  # fmt: skip
        # Scoped words hash into the word block (same columns, distinct "q:"/"neg:" keys).
        self.scope = HashingVectorizer(
            analyzer=_scoped_analyzer, n_features=self.word_features, alternate_sign=False,
            binary=True, norm=None, dtype=np.float32,
        )  # fmt: skip
        self.rule_columns = rule_names(self.categories)
        self.index = {name: i for i, name in enumerate(self.rule_columns)}

    @property
    def n_features(self) -> int:
        return self.word_features + self.char_features + len(self.rule_columns)

    @property
    def rule_offset(self) -> int:
        return self.word_features + self.char_features

    def config(self) -> dict[str, Any]:
        return {
            "word_features": self.word_features,
            "char_features": self.char_features,
            "word_ngrams": list(self.word_ngrams),
            "char_ngrams": list(self.char_ngrams),
            "token_pattern": TOKEN_PATTERN,
            "scoped": self.scoped,
            "spelling": self.spelling,
            "rule_columns": self.rule_columns,
        }

    def transform(self, texts: Sequence[str], hits: Sequence[Sequence[Hit]]) -> sp.csr_matrix:
        word = self.word.transform(texts)
        if self.scoped:
            # Scaled like one more word of the post, so the L2-normalised block stays comparable.
            scoped = self.scope.transform(texts).multiply(0.5 * _row_scale(word)).tocsr()
            word = (word + scoped).tocsr()
        char = self.char.transform(texts)
        rows, cols, vals = [], [], []
        for i, (text, doc_hits) in enumerate(zip(texts, hits, strict=True)):
            for col, val in rule_vector(doc_hits, text, self.index).items():
                rows.append(i)
                cols.append(col)
                vals.append(val)
        rules = sp.csr_matrix(
            (np.asarray(vals, dtype=np.float32), (rows, cols)),
            shape=(len(texts), len(self.rule_columns)),
        )
        return sp.hstack([word, char, rules], format="csr", dtype=np.float32)
