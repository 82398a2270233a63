"""The invented world of the demo: Marlow County, its places, officials and people.

Nothing here is real. Places, streets, businesses, schools, officials and handles are
made up; the only phone numbers are 555-01xx (reserved for fiction). The text pools in
demo/texts/ fill their `{slot}`s from `SLOTS`; `{official}` also sets the pronoun slots
`{he}`, `{him}`, `{his}` of the same template.
"""

from __future__ import annotations

from dataclasses import dataclass

LOCALITY = "Marlow County"
TIMEZONE = "America/Chicago"
CITIES = ("Bexley", "Fenwick", "Harlan Springs", "Ostrander", "Quill Lake")


@dataclass(frozen=True, slots=True)
class Official:
    name: str  # with the title, as a post names them
    last: str
    pronouns: tuple[str, str, str]  # he, him, his


# The officials templates may name. The watchlisted official (Election Director Sam
# Okafor) and the sheriff are left out on purpose: posts aimed at them come only from the
# pools that label them so (watchlist.txt; law-enforcement threats).
OFFICIALS = (
    Official("Commissioner Dana Whitlock", "Whitlock", ("she", "her", "her")),
    Official("Commissioner Walt Brennan", "Brennan", ("he", "him", "his")),
    Official("Mayor Rafael Ortiz", "Ortiz", ("he", "him", "his")),
    Official("County Clerk Janet Pruitt", "Pruitt", ("she", "her", "her")),
    Official("Councilman Tom Haverty", "Haverty", ("he", "him", "his")),
    Official("Councilwoman Grace Liang", "Liang", ("she", "her", "her")),
    Official("School Board President Lena Brandt", "Brandt", ("she", "her", "her")),
)

# The watchlist of the demo config: an office and an official the county protects.
WATCHLIST = (
    {
        "name": "Marlow County Election Office",
        "kind": "institution",
        "aliases": ["county election office", "election office"],
    },
    {
        "name": "Sam Okafor",
        "kind": "person",
        "aliases": ["Election Director Sam Okafor", "Election Director Okafor", "Okafor"],
    },
)

# The gazetteer of the demo config (config.Place fields).
PLACES = (
    {"name": "Marlow County", "aliases": ["Marlow", "Marlow Co."], "kind": "county"},
    {"name": "Bexley", "aliases": [], "kind": "city"},
    {"name": "Fenwick", "aliases": [], "kind": "city"},
    {"name": "Harlan Springs", "aliases": ["Harlan Spgs"], "kind": "city"},
    {"name": "Ostrander", "aliases": [], "kind": "city"},
    {"name": "Quill Lake", "aliases": [], "kind": "city"},
    {"name": "Route 9", "aliases": [], "kind": "landmark"},
    {
        "name": "Marlow County Election Office",
        "aliases": ["county election office"],
        "kind": "institution",
    },
    {"name": "Bexley City Hall", "aliases": [], "kind": "institution"},
    # The church whose Pride service draws the second planted burst (demo/texts/church.txt).
    {"name": "St. Brendan's Church", "aliases": ["St. Brendan's"], "kind": "institution"},
)


def place_names() -> list[str]:
    """Every name and alias of the gazetteer, longest first."""
    names = {str(name) for place in PLACES for name in [place["name"], *place["aliases"]]}
    return sorted(names, key=len, reverse=True)


SLOTS: dict[str, tuple[str, ...]] = {
    "city": CITIES,
    "city2": CITIES,
    "street": (
        "Hollis Street",
        "Corwin Road",
        "Larkspur Lane",
        "Tamsin Avenue",
        "Mercer Pike",
        "Old Quarry Road",
        "Brambleton Way",
        "Juniper Court",
        "Sallow Street",
        "Kestrel Drive",
        "Pellham Avenue",
        "Wickett Lane",
        "Osgood Street",
        "Fairlow Road",
    ),
    "landmark": (
        "Quill Lake marina",
        "Fenwick library",
        "Bexley town square",
        "Ostrander rec center",
        "Harlan Springs pool",
        "county fairgrounds",
        "Bexley community center",
        "Fenwick riverwalk",
    ),
    "business": (
        "Dot's Diner",
        "Pinecone Hardware",
        "Lakeside Bakery",
        "the Copper Kettle",
        "Marlow Feed & Seed",
        "Hollis Street Pharmacy",
        "Fenwick Lanes",
        "Bexley Bagel Co.",
    ),
    "team": (
        "the Bexley Badgers",
        "the Fenwick Foxes",
        "the Quill Lake Loons",
        "the Ostrander Owls",
    ),
    "school": (
        "Fenwick Elementary",
        "Bexley Middle School",
        "Harlan Springs High",
        "Quill Lake Elementary",
        "Ostrander Middle School",
    ),
    "day": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "time": ("6pm", "6:30", "7pm", "7:30"),
    "petname": ("Biscuit", "Moose", "Duke", "Penny", "Waffles", "Scout"),
    "car": ("silver Subaru", "red pickup", "white minivan", "black Tahoe", "blue Civic"),
}

# Pseudonymous loud accounts: a handful of authors who write a large share of the
# flagged posts. Per platform, the handle each one uses there.
LOUD_ACCOUNTS: dict[str, dict[str, str]] = {
    "ballot_hawk": {
        "reddit": "ballot_hawk_76",
        "mastodon": "ballothawk@freedom.example",
        "bluesky": "ballothawk76.bsky.social",
        "fourchan": "!!BaLLotHawk76",
    },
    "truth_teller": {
        "reddit": "MarlowTruthTeller",
        "bluesky": "marlowtruth.bsky.social",
        "fourchan": "!!MTruth1776",
        "rss": "Truth Teller",
    },
    "lake_patriot": {
        "reddit": "quill_lake_patriot",
        "discourse": "lakepatriot",
        "rss": "QL Patriot",
        "bluesky": "qlpatriot.bsky.social",
    },
    "freeman": {
        "mastodon": "fenwickfreeman@freedom.example",
        "bluesky": "fenwickfreeman.bsky.social",
        "reddit": "fenwick_freeman",
    },
    "we_the_people": {
        "reddit": "WeThePeopleMC",
        "discourse": "wethepeople_mc",
        "rss": "WeThePeople",
    },
}

# Word parts for ordinary handles ("bexley_gardener_12").
HANDLE_PARTS = (
    (
        "bexley",
        "fenwick",
        "harlan",
        "ostrander",
        "quill",
        "lake",
        "marlow",
        "river",
        "north",
        "oak",
        "maple",
        "prairie",
        "cedar",
        "sunny",
        "old",
        "little",
        "big",
        "county",
    ),
    (
        "mom",
        "dad",
        "gardener",
        "runner",
        "fan",
        "neighbor",
        "reader",
        "teacher",
        "nurse",
        "fisher",
        "baker",
        "cyclist",
        "farmer",
        "vet",
        "student",
        "retiree",
        "birder",
        "local",
    ),
)
FIRST_NAMES = (
    "Pat",
    "Jo",
    "Lee",
    "Sam",
    "Alex",
    "Chris",
    "Robin",
    "Terry",
    "Dana",
    "Kim",
    "Jess",
    "Morgan",
    "Casey",
    "Jamie",
    "Kerry",
    "Drew",
    "Avery",
    "Riley",
)
