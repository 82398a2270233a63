"""The explicit-threat rule (classify/decide.py): a stated intent, a call on others or a
wish of violence aimed at an official, staff, law enforcement or an institution is a
threat even where the feed-calibrated head is cautious; quoting, reporting, condemning,
figurative speech and negation undo it."""

from __future__ import annotations

import pytest
from cohesion import classify
from cohesion.classify.decide import explicit_threat, public_contact_only, threat_categories
from cohesion.classify.rules import Hit


@pytest.fixture(scope="module")
def model() -> classify.Model:
    return classify.load_model()


@pytest.mark.parametrize(
    "text",
    [
        "I will kill the mayor tomorrow",
        "I'm going to shoot the county clerk.",
        "Someone should shoot the sheriff",
        "I hope the commissioner dies in a fire",
        "We will shoot the county clerk",
        "I will kill the mayor if he raises taxes again",  # "taxes" is no figure of speech
        "Death to the governor",
        "I hope someone runs over that state senator with a truck",
        # A condemning or denying word in another sentence does not undo the threat.
        "I will shoot the mayor. The council is a disgrace, no more taxes.",
        "If I see Commissioner Hale in town I'm going to break his jaw",
        "Burn the election office down",
        "Get the rope, the school board is meeting tonight",
    ],
)
def test_explicit_threats_against_officials_are_flagged(model: classify.Model, text: str) -> None:
    (prediction,) = model.predict([text])
    assert "threat" in prediction.flags and "anti_government" in prediction.flags
    assert prediction.scores["threat"] >= model.thresholds["threat"]
    assert any(e.label == "threat" for e in prediction.evidence)


@pytest.mark.parametrize(
    "text",
    [
        "The sheriff said a man was arrested for threatening to kill the mayor.",
        "He said he will kill the clerk, and that is disgusting.",
        "Nobody should hurt the mayor, vote him out instead",
        "I'm going to kill it at the commission presentation tomorrow",
        "That joke killed me, I'm dead.",
        "I will vote against the mayor and campaign for her opponent.",
        "I will run over to city hall tomorrow to file the form",
        "This budget is killing us. The mayor should resign.",
        "Nobody should ever hurt the mayor. Vote her out.",
        "I wish the council would kill this ordinance once and for all",
        "I'm going to break the news to the mayor tonight",
        "Burn the midnight oil, the council vote is tomorrow",
    ],
)
def test_reports_quotes_negations_and_figures_of_speech_are_not(
    model: classify.Model, text: str
) -> None:
    (prediction,) = model.predict([text])
    assert "threat" not in prediction.flags


def test_the_rule_needs_a_frame_a_target_and_nothing_that_defuses_it() -> None:
    frame, target = "threat_frame_intent", "gov_official"
    assert explicit_threat({frame, target}, names_watchlist_entry=False)
    assert explicit_threat({frame}, names_watchlist_entry=True)
    assert not explicit_threat({frame}, names_watchlist_entry=False)
    assert not explicit_threat({target, "threat_violent"}, names_watchlist_entry=False)
    for cue in ("ctx_quote", "ctx_report", "ctx_condemn", "ctx_figurative", "threat_frame_negated"):
        assert not explicit_threat({frame, target, cue}, names_watchlist_entry=False)


def test_sentence_defusers_count_only_in_the_frames_sentence() -> None:
    text = "I will shoot the mayor. That is disgusting? He said so."
    frame = Hit("threat_frame_intent", 0, 12)
    later_condemn = Hit("ctx_condemn", 32, 42)
    later_question = Hit("ctx_question", 42, 43)
    later_quote = Hit("ctx_quote", 47, 51)
    cats = threat_categories([frame, later_condemn, later_question, later_quote], text)
    # Condemning and asking elsewhere do not count; quoting colours the whole post.
    assert cats == {"threat_frame_intent", "ctx_quote"}
    same_sentence = Hit("ctx_condemn", 2, 6)
    assert "ctx_condemn" in threat_categories([frame, same_sentence], text)
    # No frame: sentence-level cues are moot and dropped; the rule needs a frame anyway.
    assert threat_categories([later_condemn], text) == set()


@pytest.mark.parametrize(
    ("categories", "public"),
    [
        ({"dox_phone", "dox_office"}, True),  # "call the clerk's office at 555-0100"
        ({"dox_email", "dox_office", "gov_official"}, True),  # a .gov address
        ({"dox_street", "dox_office", "dox_private"}, False),  # "his home is at ..."
        ({"dox_phone", "dox_office", "threat_veiled"}, False),  # "... we know where"
        ({"dox_street"}, False),  # no office cue
    ],
)
def test_public_office_contact(categories: set[str], public: bool) -> None:
    assert public_contact_only(categories) is public


@pytest.mark.parametrize(
    "text",
    [
        "Those filthy traitors must hang!!!",
        "Kill them all. Let God sort them out.",
        "The looters need to be shot on sight",
        "Someone should string up every last one of those traitors",
    ],
)
def test_calls_to_kill_anyone_are_threats(model: classify.Model, text: str) -> None:
    (prediction,) = model.predict([text])
    assert "threat" in prediction.flags


@pytest.mark.parametrize(
    "text",
    [
        "I could kill myself for forgetting the meeting",
        "We should hang out with the new neighbors this weekend",
        "You need to get the flu shot before winter",
        "So many people have been killed on that road, we need a light",
        "We must destroy them at the ballot box in November",
        "Should we hang in there until the vote?",
    ],
)
def test_the_call_rule_leaves_oneself_company_reports_and_weak_verbs(
    model: classify.Model, text: str
) -> None:
    (prediction,) = model.predict([text])
    assert "threat" not in prediction.flags


def test_the_harmless_use_veto_reads_only_a_vaccine_shot() -> None:
    """'the flu shot' is harmless; 'should have been shot' is no vaccine (a report-shaped
    pattern of the call rule once vetoed it)."""
    from cohesion.classify.decide import harmless_violence

    def shot_at(text: str) -> list[Hit]:
        start = text.rindex("shot")
        return [Hit("threat_violent", start, start + 4)]

    flu = "you need to get the flu shot"
    assert harmless_violence(shot_at(flu), flu, {"threat_violent"})
    wish = "those traitors should have been shot"
    assert not harmless_violence(shot_at(wish), wish, {"threat_violent"})
