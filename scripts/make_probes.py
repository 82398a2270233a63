"""Generate the functional probe set (a dev-only diagnostic, never training data).

    python scripts/make_probes.py                          # writes tests/fixtures/classify/probes.jsonl
    python scripts/make_probes.py --model models/default   # ... and prints pass rates per category

The probes are templates filled with the identity terms and slurs of the project's own
lexicons (classify/lexicons) and with invented officials of an invented county, so they
exercise each functionality with many surface forms: negation, counter-speech, quoting
to condemn, reclaimed slurs, spelling variation (leetspeak, dropped, doubled or spaced
letters), neutral and positive identity mentions, slur homonyms, threats against groups,
officials, staff and institutions, anti-government narratives, doxxing, and their
negatives (civil criticism, news reports, figurative speech, public office contacts).
Each case has the same shape as classify/examples/hardcases.jsonl, so
`cohesion.classify.evaluate.evaluate_hardcases(model, path)` scores it per functionality.
The output is deterministic (a seeded generator), so a diff shows any change.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "classify" / "probes.jsonl"
PER_CATEGORY = 18

# Plural group nouns, as the lexicons name them (the generator adds articles itself).
GROUPS = ["Jews", "Muslims", "gay people", "trans people", "Black people", "Asians",
          "Mexicans", "immigrants", "refugees", "women", "Hispanics", "Arabs", "lesbians",
          "Chinese people", "disabled people", "Latinos"]  # fmt: skip
SLURS = ["kikes", "ragheads", "faggots", "trannies", "niggers", "chinks", "wetbacks",
         "spics", "towelheads", "gooks", "beaners", "dykes", "coons", "muzzies"]  # fmt: skip
DEHUMAN = ["vermin", "parasites", "animals", "rats", "a disease", "cockroaches", "filth",
           "subhuman", "a plague", "savages"]  # fmt: skip
OFFICIALS = ["the mayor", "Mayor Okonkwo", "Commissioner Halvorsen", "the county clerk",
             "Judge Pemberton", "the sheriff", "Councilwoman Reyes", "the school board president",
             "the city manager", "Senator Whitcombe", "the health director", "the county assessor"]  # fmt: skip
STAFF = ["the poll workers", "the election staff", "the librarians", "the clerk's staff",
         "the county employees", "the teachers at Fenwick High", "the health inspectors"]  # fmt: skip
INSTITUTIONS = ["city hall", "the courthouse", "the elections office", "the county building",
                "the library", "the health department", "the school district office",
                "the police station"]  # fmt: skip
PLACE = "Harrowgate"


def _leet(word: str, rng: random.Random) -> str:
    table = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "$"}
    chars = list(word)
    spots = [i for i, c in enumerate(chars) if c in table and 0 < i < len(chars) - 1]
    for i in rng.sample(spots, k=min(len(spots), 1 + rng.randrange(2))) if spots else []:
        chars[i] = table[chars[i]]
    return "".join(chars)


def _spell(word: str, rng: random.Random) -> str:
    """One spelling variant: leetspeak, a dropped letter, a doubled letter, spaced letters,
    a masking asterisk or a stray space inside the word."""
    kind = rng.choice(["leet", "drop", "double", "spaced", "mask", "split"])
    core = word.rstrip("s") if len(word) > 4 else word
    tail = word[len(core) :]
    if kind == "leet":
        return _leet(word, rng)
    if kind == "drop" and len(core) > 4:
        i = rng.randrange(1, len(core) - 1)
        return core[:i] + core[i + 1 :] + tail
    if kind == "double":
        i = rng.randrange(1, len(core) - 1)
        return core[:i] + core[i] + core[i:] + tail
    if kind == "spaced":
        return " ".join(word)
    if kind == "mask":
        return word[0] + "*" * (len(core) - 2) + core[-1] + tail
    i = rng.randrange(2, len(core) - 1)
    return core[:i] + " " + core[i:] + tail


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


Maker = Callable[[random.Random], tuple[str, dict[str, int]]]


def _pick(rng: random.Random, *lists: list[str]) -> list[str]:
    return [rng.choice(items) for items in lists]


def hate_dehumanising(rng: random.Random) -> tuple[str, dict[str, int]]:
    g, d = _pick(rng, GROUPS, DEHUMAN)
    t = rng.choice([
        f"{_cap(g)} are {d} and should be treated like it.",
        f"Honestly {g} are nothing but {d}.",
        f"We need to get rid of the {g}, they are {d}.",
        f"I can't stand {g}. {_cap(d)}, all of them.",
        f"{_cap(g)} are {d}. Never trust one.",
    ])  # fmt: skip
    return t, {"hate": 1}


def hate_slur(rng: random.Random) -> tuple[str, dict[str, int]]:
    s = rng.choice(SLURS)
    t = rng.choice([
        f"Get these {s} out of {PLACE}.",
        f"Too many {s} moving into my street lately.",
        f"Fucking {s} ruin everything they touch.",
        f"No {s} allowed in this bar.",
        f"Those {s} at the gas station again, disgusting.",
    ])  # fmt: skip
    return t, {"hate": 1}


def hate_spelling(rng: random.Random) -> tuple[str, dict[str, int]]:
    if rng.random() < 0.5:
        s = _spell(rng.choice(SLURS), rng)
        t = rng.choice([f"Get these {s} out of {PLACE}.", f"Fucking {s} ruin everything.",
                        f"Too many {s} around here now."])  # fmt: skip
    else:
        g = rng.choice(["jews", "muslims", "immigrants", "refugees", "mexicans", "gays"])
        d = rng.choice(["vermin", "parasites", "rats", "cockroaches", "subhuman"])
        t = rng.choice([f"{_spell(g, rng)} are {d}", f"the {g} are {_spell(d, rng)}",
                        f"{_spell(g, rng)} are {_spell(d, rng)}, every one of them"])  # fmt: skip
    return t, {"hate": 1}


def hate_threat_group(rng: random.Random) -> tuple[str, dict[str, int]]:
    g = rng.choice(GROUPS + SLURS)
    t = rng.choice([
        f"I'm going to kill every one of those {g}.",
        f"All {g} should be shot.",
        f"Someone needs to burn down the houses of the {g} on Maple Street.",
        f"The {g} deserve to hang, every last one.",
        f"We will wipe out the {g} in this town.",
    ])  # fmt: skip
    return t, {"hate": 1, "threat": 1}


def negation(rng: random.Random) -> tuple[str, dict[str, int]]:
    g, d = _pick(rng, GROUPS, DEHUMAN)
    t = rng.choice([
        f"{_cap(g)} are not {d}.",
        f"I don't think {g} are {d} at all.",
        f"No one should ever call {g} {d}.",
        f"It is simply not true that {g} are {d}.",
        f"I would never say {g} are {d}.",
        f"I don't hate {g}, I just disagree with the zoning plan.",
    ])  # fmt: skip
    return t, {"hate": 0}


def counter_speech(rng: random.Random) -> tuple[str, dict[str, int]]:
    g, d = _pick(rng, GROUPS, DEHUMAN)
    t = rng.choice([
        f"Calling {g} {d} is disgusting and has no place in {PLACE}.",
        f"Stop saying {g} are {d}. They are our neighbors.",
        f"Anyone who says {g} are {d} should be ashamed of themselves.",
        f"If you think {g} are {d}, you are the problem.",
        f"Comparing {g} to {d} is how dehumanisation starts. We must call it out.",
    ])  # fmt: skip
    return t, {"hate": 0}


def quote_condemn(rng: random.Random) -> tuple[str, dict[str, int]]:
    g, d, s = _pick(rng, GROUPS, DEHUMAN, SLURS)
    t = rng.choice([
        f'Someone spray-painted "{g} are {d}" on the school fence. Shameful.',
        f'A man at the meeting shouted "{s} go home". That is unacceptable.',
        f'My neighbor got a note saying "{g} are {d}". We stand with her.',
        f"The post said '{g} are {d}' and it was rightly removed.",
        f'"{_cap(g)} are {d}" is the kind of hate we will not tolerate here.',
    ])  # fmt: skip
    return t, {"hate": 0}


def reclaimed_slur(rng: random.Random) -> tuple[str, dict[str, int]]:
    t = rng.choice([
        "me and my niggas out here all night",
        "that's my nigga right there, love him",
        "As a queer woman I say queer with pride.",
        "We're here, we're queer, get used to it!",
        "Dyke march this Saturday, all my dykes come through!",
        "my niggas stayed with me through everything",
        "Proud to be a dyke and proud of my wife.",
        "Queer folks of Harrowgate, potluck at the library tonight.",
    ])  # fmt: skip
    return t, {"hate": 0}


def neutral_identity(rng: random.Random) -> tuple[str, dict[str, int]]:
    g = rng.choice(GROUPS)
    t = rng.choice([
        f"There are a lot of {g} living in {PLACE} these days.",
        f"The report counts how many {g} work in the county.",
        f"Some of my coworkers are {g}.",
        f"The panel tonight is about the history of {g} in the valley.",
        f"A survey of {g} in the state came out this week.",
        f"My sister married into a family of {g}.",
    ])  # fmt: skip
    return t, {"hate": 0}


def positive_identity(rng: random.Random) -> tuple[str, dict[str, int]]:
    g = rng.choice(GROUPS)
    t = rng.choice([
        f"I love my {g} neighbors, they make this town better.",
        f"{_cap(g)} are welcome here, always.",
        f"So proud of the {g} who organized the food drive.",
        f"{_cap(g)} have made {PLACE} a kinder place.",
        f"Thank you to all the {g} who volunteered this weekend!",
    ])  # fmt: skip
    return t, {"hate": 0}


def slur_homonym(rng: random.Random) -> tuple[str, dict[str, int]]:
    t = rng.choice([
        "Nipped outside for a fag and a coffee before work.",
        "Grandad rolled a fag and told us about the war.",
        "Faggots and peas is a classic from the Black Country, gran makes them every Sunday.",
        "The coon hound treed a raccoon in the back field.",
        "Our old coonhound still howls at the mailman.",
        "That was the one chink in his armor all season.",
        "The river broke through the dyke near the old mill.",
        "Spooky season! The kids loved the spook house at the fair.",
        "And poof, the rabbit vanished from the hat.",
        "Wrapped the sandwiches in a towel, headed to the beach.",
        "The Redskins game is on at eight, bring snacks.",
        "Dutch farmers reinforced the dyke before the storm.",
    ])  # fmt: skip
    return t, {"hate": 0}


def profanity_no_target(rng: random.Random) -> tuple[str, dict[str, int]]:
    t = rng.choice([
        "This fucking weather is killing my garden.",
        "Shit, I forgot my keys at the gym again.",
        "That game was a damn disaster from start to finish.",
        "Hell yeah, the bakery on Third reopened!",
        "What a shitty week, glad it's Friday.",
    ])  # fmt: skip
    return t, {"hate": 0, "threat": 0}


def threat_official(rng: random.Random) -> tuple[str, dict[str, int]]:
    o = rng.choice(OFFICIALS)
    t = rng.choice([
        f"I am going to shoot {o} when he leaves the meeting.",
        f"Someone should put a bullet in {o}.",
        f"{_cap(o)} deserves to hang for this.",
        f"We will burn {o}'s house down with him inside.",
        f"I'll kill {o} if that ordinance passes.",
        f"{_cap(o)} better watch out, I have a rifle and nothing to lose.",
        f"Somebody needs to take out {o} before the vote.",
        f"{_cap(o)} will be dead by Friday, I promise.",
    ])  # fmt: skip
    return t, {"threat": 1}


def threat_staff(rng: random.Random) -> tuple[str, dict[str, int]]:
    s = rng.choice(STAFF)
    t = rng.choice([
        f"If {s} certify this, we will hunt them down one by one.",
        f"I'm going to beat {s} until they can't stand.",
        f"{_cap(s)} should all be lined up and shot.",
        f"Someone ought to string up {s}.",
        f"We know where {s} park. They won't make it home tonight.",
    ])  # fmt: skip
    return t, {"threat": 1}


def threat_institution(rng: random.Random) -> tuple[str, dict[str, int]]:
    i = rng.choice(INSTITUTIONS)
    t = rng.choice([
        f"I'm going to bomb {i} on Monday morning.",
        f"We should burn {i} to the ground.",
        f"Somebody needs to blow up {i}.",
        f"There will be blood at {i} if they pass this.",
        f"Gonna shoot up {i}, see what happens.",
    ])  # fmt: skip
    return t, {"threat": 1}


def threat_obfuscated(rng: random.Random) -> tuple[str, dict[str, int]]:
    o = rng.choice(OFFICIALS)
    verb = rng.choice(["kill", "shoot", "hang", "murder", "stab"])
    t = rng.choice([f"I will {_spell(verb, rng)} {o}.", f"someone should {_spell(verb, rng)} {o}",
                    f"{_cap(o)} deserves to {_spell(verb, rng)}"])  # fmt: skip
    return t, {"threat": 1}


def threat_news_report(rng: random.Random) -> tuple[str, dict[str, int]]:
    o = rng.choice(OFFICIALS)
    t = rng.choice([
        f"Police arrested a man who threatened to kill {o}, the sheriff's office said.",
        f"A {PLACE} woman was charged with threatening to shoot {o} in a voicemail.",
        f"Prosecutors say the suspect planned to bomb {rng.choice(INSTITUTIONS)}.",
        f"News: {o} received death threats after the vote; the FBI is investigating.",
        f"The man who wrote that he would hang {o} pleaded guilty on Tuesday.",
    ])  # fmt: skip
    return t, {"threat": 0}


def threat_quoted_condemned(rng: random.Random) -> tuple[str, dict[str, int]]:
    o = rng.choice(OFFICIALS)
    t = rng.choice([
        f'Someone left a note saying "we will kill {o}". This is vile and must stop.',
        f"Posting 'hang {o}' is not free speech, it is a crime. Report it.",
        f'Whoever wrote "burn {rng.choice(INSTITUTIONS)}" on the wall should be ashamed.',
        f"Threatening to shoot {o} is disgusting, whatever you think of the vote.",
    ])  # fmt: skip
    return t, {"threat": 0}


def figurative_violence(rng: random.Random) -> tuple[str, dict[str, int]]:
    o = rng.choice(OFFICIALS)
    t = rng.choice([
        f"{_cap(o)} absolutely killed it at the debate last night.",
        "I would kill for a coffee right now, this meeting is endless.",
        f"{_cap(o)} bombed that speech, it was painful to watch.",
        "The council is going to murder this budget in committee.",
        "These property taxes are killing me.",
        f"{_cap(o)} shot down the parking proposal again.",
        "My kids are going to destroy me at Monopoly tonight.",
    ])  # fmt: skip
    return t, {"threat": 0}


def civil_criticism(rng: random.Random) -> tuple[str, dict[str, int]]:
    o = rng.choice(OFFICIALS)
    t = rng.choice([
        f"I think {o} made the wrong call on the bus routes.",
        f"{_cap(o)} should resign over the budget mess. Vote them out in November.",
        f"Very disappointed in {o}; the library cuts are a mistake.",
        f"Come to the public hearing and tell {o} the tax hike is too much.",
        f"{_cap(o)} has been wrong on every zoning decision this year.",
        f"Sign the recall petition against {o} at the farmers market.",
    ])  # fmt: skip
    return t, {"threat": 0, "anti_government": 0}


def anti_government_narrative(rng: random.Random) -> tuple[str, dict[str, int]]:
    o = rng.choice(OFFICIALS)
    t = rng.choice([
        "The county election was rigged, the clerk stuffed the ballots and everyone knows it.",
        f"{_cap(o)} is a traitor working for the globalists.",
        "The health department has no authority over us. We do not consent to their tyranny.",
        f"{_cap(o)} and the whole council are bought and paid for by Soros.",
        "The sheriff's deputies are the gestapo now, enforcing medical tyranny.",
        "Agenda 2030 is being pushed through city hall by traitors.",
        "The government stole the election and the courts are in on it.",
    ])  # fmt: skip
    return t, {"anti_government": 1}


def doxxing(rng: random.Random) -> tuple[str, dict[str, int]]:
    o = rng.choice(OFFICIALS)
    n = rng.randrange(100, 9999)
    street = rng.choice(["Oak Lane", "Birch Street", "Kestrel Drive", "Mill Road"])
    phone = f"555-{rng.randrange(1000, 9999)}"
    t = rng.choice([
        f"Here's where {o} lives: {n} {street}. Go pay a visit.",
        f"{_cap(o)}'s home address is {n} {street}, kids get off the bus at 3pm. Spread it.",
        f"Personal cell for {o}: {phone}. Call all night until they quit.",
        f"Found {o}'s house, {n} {street}, blue door. You know what to do.",
        f"{_cap(o)}'s wife drives a red Civic and parks at {n} {street} every night.",
    ])  # fmt: skip
    return t, {"doxxing": 1}


def office_public_address(rng: random.Random) -> tuple[str, dict[str, int]]:
    o = rng.choice(OFFICIALS)
    n = rng.randrange(100, 999)
    phone = f"555-{rng.randrange(1000, 9999)}"
    t = rng.choice([
        f"Call {o}'s office at {phone} during business hours to comment on the plan.",
        f"{_cap(o)} holds office hours at City Hall, {n} Main Street, on Tuesdays.",
        f"The county clerk's office is at {n} Court Street, open 8 to 4:30.",
        f"Email the council at council@{PLACE.lower()}.gov or call {phone}.",
        f"Public meeting tonight at {n} Main Street, 7pm. {_cap(o)} will take questions.",
    ])  # fmt: skip
    return t, {"doxxing": 0}


MAKERS: dict[str, Maker] = {
    f.__name__: f
    for f in (hate_dehumanising, hate_slur, hate_spelling, hate_threat_group, negation,
              counter_speech, quote_condemn, reclaimed_slur, neutral_identity, positive_identity,
              slur_homonym, profanity_no_target, threat_official, threat_staff,
              threat_institution, threat_obfuscated, threat_news_report,
              threat_quoted_condemned, figurative_violence, civil_criticism,
              anti_government_narrative, doxxing, office_public_address)
}  # fmt: skip


def generate(seed: int = 13) -> Iterator[dict[str, object]]:
    rng = random.Random(seed)
    for name, make in MAKERS.items():
        seen: set[str] = set()
        for _ in range(PER_CATEGORY * 20):
            if len(seen) >= PER_CATEGORY:
                break
            text, expect = make(rng)
            if text in seen:
                continue
            seen.add(text)
            yield {"id": f"probe:{name}-{len(seen)}", "text": text, "functionality": name,
                   "expect": expect}  # fmt: skip


def report(model_dir: Path) -> None:
    """Pass rate per functionality of a model on the probes, then every failure."""
    from cohesion import classify
    from cohesion.classify.evaluate import evaluate_hardcases

    result = evaluate_hardcases(classify.load_model(model_dir), OUT)
    print(f"{model_dir}: {result['passed']} of {result['cases']} probes pass")
    for name, row in result["by_functionality"].items():
        print(f"  {name:28s} {row['n']:3d}  {row['pass_rate']:.2f}")
    for failure in result["failures"]:
        print(f"  FAIL {failure['id']}: expected {failure['expect']}, got {failure['flags']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="also score this model directory")
    args = parser.parse_args()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as handle:
        for case in generate():
            handle.write(json.dumps(case, ensure_ascii=False) + "\n")
    print(f"wrote {sum(1 for _ in OUT.open(encoding='utf-8'))} probes to {OUT}")
    if args.model:
        report(args.model)


if __name__ == "__main__":
    main()
