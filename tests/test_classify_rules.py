"""The spaCy rule layer: lexicons, threat frames, doxxing patterns, gazetteer, watchlist."""

from __future__ import annotations

import pytest
from cohesion.classify.normalize import normalize
from cohesion.classify.rules import build_pipeline


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline(
        gazetteer=[{"name": "Maple County", "aliases": ["Maple Co"], "kind": "county"}],
        watchlist=[{"name": "Mayor Jane Roe", "aliases": ["Jane Roe"], "kind": "official"}],
    )


def hits(nlp, text: str) -> dict[str, list[str]]:
    doc = nlp(normalize(text).text)
    out: dict[str, list[str]] = {}
    for hit in doc._.hits:
        out.setdefault(hit.category, []).append(doc.text[hit.start : hit.end])
    return out


def test_threat_frames(nlp) -> None:
    found = hits(nlp, "Someone should sh00t the mayor. I'll burn it down.")
    assert "someone should shoot" in found["threat_frame_call"]
    assert "threat_frame_intent" in found
    assert "mayor" in found["gov_official"]


def test_negated_threat_is_its_own_category(nlp) -> None:
    found = hits(nlp, "I would never hurt anyone, we are not going to hurt anybody")
    assert "threat_frame_negated" in found
    assert "threat_frame_intent" not in found


def test_negated_frame_cancels_the_frame_inside_it(nlp) -> None:
    # "should hurt" inside "nobody should hurt" is no wish of violence.
    for text in ("Nobody should hurt the mayor.", "No one should ever shoot Jane Roe."):
        found = hits(nlp, text)
        assert "threat_frame_negated" in found
        assert "threat_frame_wish" not in found and "threat_frame_call" not in found
    # A negation earlier in the sentence does not cancel a later threat.
    found = hits(nlp, "I don't care i will shoot him")
    assert "threat_frame_intent" in found
    assert "threat_frame_wish" in hits(nlp, "Somebody should hurt the mayor.")


def test_negated_frame_is_not_threat_evidence() -> None:
    from cohesion.classify.features import rule_names, rule_vector
    from cohesion.classify.rules import Hit, categories, default_lexicons

    names = rule_names(categories(default_lexicons()))
    index = {name: i for i, name in enumerate(names)}
    text = "nobody should hurt the mayor"
    hits_ = [Hit("threat_frame_negated", 0, 18), Hit("threat_violent", 14, 18),
             Hit("gov_official", 23, 28)]  # fmt: skip
    vector = rule_vector(hits_, text, index)
    assert index["hit:threat_frame_negated"] in vector
    assert index["x:frame*gov"] not in vector  # the negated frame is no threat frame
    assert vector[index["n:threat_"]] == 0.25  # only the violent word counts


def test_doxxing_patterns(nlp) -> None:
    found = hits(nlp, "She lives at 412 Birchwood Lane, cell (555) 555-0142, mail jo@example.org")
    assert found["dox_street"] == ["412 birchwood lane"]
    assert found["dox_phone"] == ["(555) 555-0142"]
    assert "dox_email" in found
    assert "lives at" in found["dox_private"]


def test_masked_and_obfuscated_slurs(nlp) -> None:
    assert "slur:jewish" in hits(nlp, "those k*kes again")
    assert "slur:lgbtq" in hits(nlp, "f@ggots")


def test_context_cues(nlp) -> None:
    found = hits(
        nlp, '"kill them all" he said. Disgusting, reported to police. This budget is killing us'
    )
    for category in ("ctx_quote", "ctx_condemn", "ctx_figurative"):
        assert category in found


def test_gazetteer_and_watchlist_from_config(nlp) -> None:
    doc = nlp(normalize("jane roe was in maple co today").text)
    ents = {(e.label_, e.ent_id_) for e in doc.ents}
    assert ("PLACE", "Maple County") in ents
    assert ("WATCH", "Mayor Jane Roe") in ents
    assert {"place", "watch"} <= {h.category for h in doc._.hits}
