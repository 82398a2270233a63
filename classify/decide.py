"""From calibrated head probabilities and rule hits to one `Prediction`.

Decision rules (all documented in the model card):
- a label is flagged when its calibrated score reaches the label's threshold;
- texts with no letters or digits get zero scores and no flags;
- confidently non-English texts get no flags (scores are kept; see language.py);
- an explicit threat against a government target or a protected group is a threat
  whatever the head's score: a positive threat frame (first-person intent, a call on
  others, an imperative, a wish: "I will kill the mayor", "someone should shoot the
  sheriff", "all Muslims should be shot"; a negated frame does not count) together
  with an official, staff, law-enforcement, institution, watchlist, identity-group,
  slur or community-place cue, and no quoting, reporting, figurative or refused-frame
  cue in the post, nor a condemning, counter-speech, negation or question cue in the
  frame's own sentence ("I will shoot the mayor. The council is a disgrace" is a threat).
  "Death to X" is such a frame, and so are running someone over, harm to the body
  ("break his jaw"), arson of a place ("burn the office down") and fetching a rope;
- a call for violence at anyone is a threat too: a positive frame whose violent word
  is a killing word (kill, shoot, hang, lynch, gas, exterminate...: "those traitors must
  hang", "kill them all", "X need to be shot on sight"), with nothing in the post that
  defuses it, and not a report in the perfect ("people have been murdered"), a vaccine
  shot, company ("hang out with") or harm to oneself ("kill myself");
  The feed-calibrated head is cautious on threats (real feeds are full of violent
  words in ordinary talk), and these are the threats the tool exists to catch; its
  score is raised to the threshold so score and flag agree;
- CODEBOOK convention: a threat against a protected group ("a threat against a mosque
  is threat and hate") is also ``hate``: when the threat flag comes with an explicit
  frame aimed at an identity group, a slur or a community place (mosque, synagogue,
  pride event) and nothing defuses it, ``hate`` is flagged with its score raised to the
  threshold;
- a phone number, street address or e-mail address that comes with an office cue
  (office hours, city hall, a .gov address) and with no private, exposing or
  threatening cue is an office's public contact, not ``doxxing`` (CODEBOOK excludes it);
- a text whose every violent word is used harmlessly ("hang out with", "hang in there",
  "I could kill myself for forgetting", "the flu shot", a weak verb such as "destroy"
  beside legitimate action: "destroy them at the ballot box"), with no weapon or veiled
  cue, is not flagged threat, whatever the head's score;
- conversely, a text whose only threat frame is negated ("nobody should hurt her", "I
  would never shoot anyone") is not flagged threat, whatever the head's score;
- CODEBOOK convention: a threat against a government target (official, staff, law
  enforcement, institution) is also ``anti_government``; its anti_government score is
  raised to the threat score so score and flag agree;
- a post whose every slur and dehumanising phrase is mentioned, not asserted, is not
  flagged hate: inside a refusing frame ("I don't think X are vermin", "it is not true
  that ...") or inside an attributed claim or quote that the post condemns or answers
  ("anyone who says X are rats should be ashamed"); see scopes.py;
- a post that is nothing but solidarity slogans ("Black lives matter!", "Trans women
  are women") is not flagged hate;
- conversely, a slur in the plural aimed at its group ("these <slur>s", "<slur>s should
  go home") or a group said to be vermin ("<group> are parasites"), not in such a frame
  and with no in-group cue, is hate whatever the head's score (its score is raised to
  the threshold), and so is plain hostility to a whole group ("I hate <group>", "get rid
  of all the <group>", "<group> are disgusting / greedy / sneaky ...");
- sub-labels are given only under their label: targets under ``hate``, narratives under
  ``anti_government``, threat targets under ``threat``. Each comes from its own head;
  when no head is confident the rule hits decide (slur or identity group for targets,
  lexicon narratives, government or community cues for threat targets).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from cohesion.classify.evidence import model_evidence, rule_evidence
from cohesion.classify.normalize import Normalized
from cohesion.classify.prediction import LABELS, Prediction
from cohesion.classify.rules import Hit
from cohesion.classify.scopes import asserted_hate, defused_hate, slogan_only
from cohesion.classify.taxonomy import GOVERNMENT_TARGETS, NARRATIVES, TARGETS, THREAT_TARGETS

if TYPE_CHECKING:
    from cohesion.classify.model import Model

# The explicit-threat rule (module docstring): frames, targets, and the cues that undo it.
EXPLICIT_FRAMES = frozenset({"threat_frame_intent", "threat_frame_call", "threat_frame_wish"})
GOVERNMENT_CUES = frozenset({"gov_official", "gov_staff", "gov_law", "gov_institution"})
GROUP_CUE_PREFIXES = ("identity:", "slur:")
# The public-contact rule: details, and the cues that make them more than an office's.
CONTACT_DETAILS = frozenset({"dox_phone", "dox_street", "dox_email"})
NOT_PUBLIC_CUES = frozenset(
    {"dox_private", "dox_expose", "threat_veiled", "threat_violent", "threat_frame_intent",
     "threat_frame_call", "threat_frame_wish"}
)  # fmt: skip
DEFUSING_CUES = frozenset(
    {"ctx_quote", "ctx_report", "ctx_condemn", "ctx_figurative", "ctx_counter", "ctx_question",
     "ctx_negation", "threat_frame_negated"}
)  # fmt: skip
# Cues that defuse a frame only in its own sentence: "I will shoot the mayor. The council
# is a disgrace, no more taxes" is a threat whatever the next sentence condemns or
# denies. Quoting, reporting and a refused frame colour the whole post.
SENTENCE_DEFUSERS = frozenset({"ctx_condemn", "ctx_counter", "ctx_question", "ctx_negation"})
# The call-for-violence rule: a frame whose violent word is a killing word calls for
# violence at anyone ("those traitors must hang", "kill them all", "X need to be shot on
# sight"), aimed at an office or a group or not. Weaker verbs ("destroy", "beat",
# "fight") stay with the model: "we must destroy them in November".
KILLING_WORD = re.compile(
    r"\b(?:kill|kills|killed|killing|murder|murdered|shoot|shot|hang|hanged|hung|lynch|"
    r"lynched|stab|stabbed|behead|beheaded|execute|executed|bomb|gas|nuke|nuked|exterminate|"
    r"exterminated|slaughter|slaughtered|impale|impaled|euthanize|euthanized|euthanise|"
    r"euthanised|strangle|strangled|massacre|assassinate|assassinated|string up|strung up|"
    r"gun down|gunned down)\b"
)
# Not a call: a report in the perfect ("people have been murdered"), a vaccine or a photo
# ("take the shot"), company ("hang out with"), or harm to oneself ("kill myself").
VACCINE_SHOT = r"\b(?:the|a|my|your|flu|booster)\s+shot\b"
NOT_A_CALL = re.compile(rf"\bbeen\b|\b(?:have|has|had|'ve)\s+(?!to\b)|{VACCINE_SHOT}")
SHOT_GIVEN = re.compile(rf"{VACCINE_SHOT}$")
PERSON_AT_END = re.compile(r"\b(?:them|us|me|him|her|you|em)$")
WEAK_VIOLENCE = frozenset({"destroy", "beat", "crush", "fight", "eliminate", "violence"})
NOT_A_VICTIM = re.compile(r"^\W*(?:myself|ourselves|me|us)\b")
COMPANY = re.compile(r"(?:hang|hangs|hanging|hung)\W*$")
IN_COMPANY = re.compile(r"^\W*(?:out|with|around|in there)\b")

SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|\n+")

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
        threat_cats = threat_categories(hits, norm.text)
        scores = {label: float(probs[self.index[label]]) for label in LABELS}
        flags = [] if non_english else [k for k in LABELS if scores[k] >= self.thresholds[k]]
        if (not non_english and "threat" not in flags
                and (explicit_threat(threat_cats, bool(watch))
                     or called_violence(hits, norm.text, threat_cats))):  # fmt: skip
            flags.append("threat")
            scores["threat"] = max(scores["threat"], self.thresholds["threat"])
        elif "threat" in flags and negated_only(cats):
            flags.remove("threat")  # "nobody should hurt the mayor": the frame is refused
        elif "threat" in flags and harmless_violence(hits, norm.text, cats):
            flags.remove("threat")  # "we should hang out with the new neighbors"
        if "hate" in flags and (defused_hate(hits, norm.text) or slogan_only(norm.text)):
            flags.remove("hate")  # "anyone who says X are vermin should be ashamed"
        elif not non_english and "hate" not in flags and asserted_hate(hits, norm.text):
            flags.append("hate")  # "too many <slur>s around here", "<group> are vermin"
            scores["hate"] = max(scores["hate"], self.thresholds["hate"])

        if "threat" in flags and "hate" not in flags and threat_on_group(threat_cats):
            # CODEBOOK: "a threat against a mosque is threat and hate".
            flags.append("hate")
            scores["hate"] = max(scores["hate"], self.thresholds["hate"])

        if "doxxing" in flags and public_contact_only(cats):
            flags.remove("doxxing")  # "call the clerk's office at 555-0100"

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


def threat_categories(hits: Sequence[Hit], text: str) -> set[str]:
    """The hit categories the explicit-threat rule reads: a sentence-level defusing cue
    (SENTENCE_DEFUSERS) counts only when it shares a sentence with a threat frame."""
    frames = [h for h in hits if h.category in EXPLICIT_FRAMES]
    ends = [m.end() for m in SENTENCE_END.finditer(text)]

    def sentence(offset: int) -> int:
        return bisect.bisect_right(ends, offset)

    framed = {sentence(h.start) for h in frames}
    return {
        h.category for h in hits
        if h.category not in SENTENCE_DEFUSERS or sentence(h.start) in framed
    }  # fmt: skip


def called_violence(hits: Sequence[Hit], text: str, categories: set[str]) -> bool:
    """A stated intent, call or wish to kill (KILLING_WORD) that nothing defuses, whoever
    it is aimed at: the codebook's threat covers any person or group."""
    if DEFUSING_CUES & categories:
        return False
    for hit in hits:
        if hit.category not in EXPLICIT_FRAMES:
            continue
        frame = text[hit.start : hit.end]
        if KILLING_WORD.search(frame) and not NOT_A_CALL.search(frame):
            if not _harmless_object(frame, text[hit.end : hit.end + 16]):
                return True
    return False


def _harmless_object(verb_part: str, after: str) -> bool:
    """Violence at oneself ("kill myself") or company, not violence ("hang out with")."""
    return bool(
        NOT_A_VICTIM.match(after) or (COMPANY.search(verb_part) and IN_COMPANY.match(after))
    )


def harmless_violence(hits: Sequence[Hit], text: str, categories: set[str]) -> bool:
    """Every violent word of the post is used harmlessly: company or oneself ("hang out
    with", "hang in there", "could kill myself"), a vaccine or a photo ("the flu shot"),
    inside a named figure of speech ("kill this ordinance"), or a weak verb beside
    legitimate action ("destroy them at the ballot box"). A weapon or a veiled cue keeps
    the post with the model."""
    violent = [h for h in hits if h.category == "threat_violent"]
    if not violent or "threat_weapon" in categories:
        return False
    # Named figures of speech, except those that end on a person ("beat them" is a match
    # won or a beating; "killing me" a joke or not): the model weighs those.
    figures = [h for h in hits if h.category == "ctx_figurative"
               and not PERSON_AT_END.search(text[h.start : h.end])]  # fmt: skip
    company = [h for h in violent if _harmless_object(text[h.start : h.end],
                                                      text[h.end : h.end + 16])]  # fmt: skip
    # A veiled cue built on a word used for company ("should hang" in "should hang out")
    # is judged with it; any other veiled cue ("deserves to die") keeps the post.
    if any(h.category == "threat_veiled"
           and not any(h.start <= v.start and v.end <= h.end for v in company)
           for h in hits):  # fmt: skip
        return False
    for hit in violent:
        word = text[hit.start : hit.end]
        if hit in company:
            continue
        # Inside a figure of speech the lexicon names ("kill this ordinance", "shoot me
        # an email", "killing it").
        if any(f.start <= hit.start and hit.end <= f.end for f in figures):
            continue
        if word == "shot" and SHOT_GIVEN.search(text[max(0, hit.start - 12) : hit.end]):
            continue
        if word in WEAK_VIOLENCE and "ctx_legit" in categories:
            continue
        return False
    return True


def explicit_threat(categories: set[str], names_watchlist_entry: bool) -> bool:
    """A positive threat frame aimed at a government target or at a protected group
    (named or by a slur), with nothing that defuses it (see the module docstring)."""
    aimed = bool(GOVERNMENT_CUES & categories) or names_watchlist_entry or _at_group(categories)
    return bool(EXPLICIT_FRAMES & categories) and aimed and not DEFUSING_CUES & categories


def threat_on_group(categories: set[str]) -> bool:
    """An explicit threat frame aimed at a protected group (named, a slur, or one of its
    places), with nothing that defuses it: also hate by the codebook's convention."""
    aimed = _at_group(categories)
    return bool(EXPLICIT_FRAMES & categories) and aimed and not DEFUSING_CUES & categories


def _at_group(categories: set[str]) -> bool:
    return "community_place" in categories or any(
        c.startswith(GROUP_CUE_PREFIXES) for c in categories
    )


def public_contact_only(categories: set[str]) -> bool:
    """Contact details that come with an office cue (office hours, city hall, a .gov
    address) and nothing private, exposing or threatening: an office's public contact,
    which the codebook excludes from doxxing."""
    return (
        bool(CONTACT_DETAILS & categories)
        and "dox_office" in categories
        and not NOT_PUBLIC_CUES & categories
    )


def negated_only(categories: set[str]) -> bool:
    """The text refuses violence: a negated threat frame and no positive one."""
    return "threat_frame_negated" in categories and not EXPLICIT_FRAMES & categories
