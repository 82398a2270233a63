"""The spaCy rule layer: lexicons, threat frames, doxxing patterns, gazetteer, watchlist."""

from __future__ import annotations

import pytest

from classify.normalize import normalize
from classify.rules import build_pipeline


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
