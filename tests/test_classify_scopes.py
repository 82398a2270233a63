"""Mentioned, not asserted (classify/scopes.py): a slur or dehumanising phrase inside a
refusing frame, or inside an attributed claim or quote the post condemns, is defused;
the same words asserted are not."""

from __future__ import annotations

import pytest
from cohesion.classify.normalize import normalize
from cohesion.classify.rules import build_pipeline
from cohesion.classify.scopes import (
    defused_hate,
    dehumanising_claim,
    hostile_to_group,
    slogan_only,
    targeted_slur,
)


@pytest.fixture(scope="module")
def nlp():  # type: ignore[no-untyped-def]
    return build_pipeline()


def _defused(nlp, text: str) -> bool:  # type: ignore[no-untyped-def]
    norm = normalize(text).text
    return defused_hate(nlp(norm)._.hits, norm)


@pytest.mark.parametrize(
    "text",
    [
        "I don't think refugees are animals at all.",
        "It is simply not true that immigrants are vermin.",
        "No one should ever call Jews a plague.",
        "Anyone who says Muslims are rats should be ashamed of themselves.",
        'Someone wrote "gays are a disease" on the fence. Disgusting.',
        "If you think Jews are savages, you are the problem.",
    ],
)
def test_mentioned_claims_are_defused(nlp, text: str) -> None:  # type: ignore[no-untyped-def]
    assert _defused(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "Refugees are animals and should go back.",
        "I think Muslims are rats.",
        "Don't call them refugees, they are invaders.",
        'As he said, "Jews are vermin", and he was right.',
        "Anyone who says it is fine, immigrants are parasites.",
        "The weather is lovely today.",  # nothing to defuse
    ],
)
def test_asserted_claims_are_not(nlp, text: str) -> None:  # type: ignore[no-untyped-def]
    assert not _defused(nlp, text)


def _aimed(nlp, text: str) -> bool:  # type: ignore[no-untyped-def]
    norm = normalize(text).text
    return targeted_slur(nlp(norm)._.hits, norm)


@pytest.mark.parametrize(
    "text",
    ["Too many kikes in this town.", "These trannies ruin everything.",
     "wetbacks should go home", "Get these muzzies out of here"],
)  # fmt: skip
def test_slurs_aimed_at_the_group(nlp, text: str) -> None:  # type: ignore[no-untyped-def]
    assert _aimed(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "He called them kikes, and that is disgusting.",  # named to condemn it
        'Someone shouted "these kikes" at the rabbi. Shameful.',  # quoted, condemned
        "As a gay man I say no fags allowed is a joke we tell each other.",  # in-group
        "The river broke through the dyke.",  # singular, not aimed at anyone
        "Jews are our neighbors.",  # no slur
    ],
)
def test_slurs_mentioned_or_not_aimed(nlp, text: str) -> None:  # type: ignore[no-untyped-def]
    assert not _aimed(nlp, text)


def _claimed(nlp, text: str) -> bool:  # type: ignore[no-untyped-def]
    norm = normalize(text).text
    return dehumanising_claim(nlp(norm)._.hits, norm)


@pytest.mark.parametrize(
    "text",
    ["Muslims are parasites.", "Honestly immigrants are nothing but vermin",
     "The Jews control the bank and they are parasites on this town.",
     "black people are animals", "Immigrants are all criminals and rapists",
     "Jews control the media", "Gay men are perverts"],
)  # fmt: skip
def test_dehumanising_claims_about_a_group(nlp, text: str) -> None:  # type: ignore[no-untyped-def]
    assert _claimed(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "It is not true that Muslims are parasites.",  # refused
        "Anyone who says immigrants are vermin should be ashamed.",  # attributed, condemned
        "Rats are animals too, and the mosque feeds the strays.",  # no group is the subject
        "They are animals, honestly, my cats.",  # no group named
        "Not all immigrants are criminals, most work two jobs.",  # refused
        "The men who robbed the store are criminals.",  # no protected group
        "I don't think Muslims are terrorists.",  # refused
    ],
)
def test_refused_or_not_about_a_group(nlp, text: str) -> None:  # type: ignore[no-untyped-def]
    assert not _claimed(nlp, text)


@pytest.mark.parametrize(
    ("text", "hostile"),
    [
        ("I hate women.", True),
        ("Honestly I can't stand Muslims", True),
        ("We need to get rid of all the gays in this town.", True),
        ("All Jews are greedy.", True),
        ("Women belong in the kitchen, not in office.", True),
        ("Muslims should not be allowed to vote here", True),
        ("I'll never hire a woman, they're too emotional", True),
        ("Immigrants don't deserve any rights", True),
        ("I'll never hire a contractor again after that roof", False),  # no group
        ("Should women be allowed to vote? Yes, since 1920.", False),  # not a claim
        ("I hate girls who text during movies", False),  # narrowed by a relative clause
        ("Yelling 'I hate white people' got him arrested, and he said he hates Jews", False),
        ("I don't hate gay people at all.", False),  # refused
        ("Chest tattoos on women are trash", False),  # the group does not open the clause
        ("As a gay man I hate gay bars on Saturdays", False),  # in-group
    ],
)
def test_plain_hostility_to_a_whole_group(nlp, text: str, hostile: bool) -> None:  # type: ignore[no-untyped-def]
    norm = normalize(text).text
    assert hostile_to_group(nlp(norm)._.hits, norm) is hostile


@pytest.mark.parametrize(
    ("text", "only"),
    [
        ("Black lives matter!", True),
        ("trans women are women. love is love", True),
        ("We stand with our immigrant neighbors", True),
        ("black lives matter calls for white deaths", False),  # the slogan quoted, then attacked
        ("where is black lives matter now?", False),
    ],
)
def test_a_post_of_slogans_only(text: str, only: bool) -> None:
    assert slogan_only(normalize(text).text) is only
