"""Read the hand-written text pools of demo/texts/ and fill their slots.

See demo/texts/README.md for the file format. Each template carries its intended
labels (`Truth`): the ground truth the demo analyst reviews by.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from functools import cache

from cohesion.demo.vocab import OFFICIALS, SLOTS
from cohesion.resources import package_path
from cohesion.taxonomy import LABELS

TEXTS_DIR = package_path("demo", "texts")
_SLOT = re.compile(r"\{([a-z_0-9]+)\}")
_LIST_KEYS = ("labels", "targets", "narratives", "threat_targets")


class PoolError(ValueError):
    """A malformed pool file: names the file and line."""


@dataclass(frozen=True, slots=True)
class Truth:
    """What a post is meant to be, by CODEBOOK.md."""

    kind: str
    labels: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    narratives: tuple[str, ...] = ()
    threat_targets: tuple[str, ...] = ()
    watch: str | None = None
    subkind: str | None = None

    @property
    def flagged(self) -> bool:
        return bool(self.labels)


@dataclass(frozen=True, slots=True)
class Template:
    text: str
    truth: Truth
    title: str | None = None


@dataclass(slots=True)
class Pool:
    name: str
    templates: list[Template] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Template]:
        return [t for t in self.templates if t.truth.kind == kind]


def _parse_header(line: str, where: str) -> Truth:
    values: dict[str, str] = {}
    for part in line[1:].split():
        key, sep, value = part.partition("=")
        if not sep:
            raise PoolError(f"{where}: expected key=value, got {part!r}")
        values[key] = value
    if "kind" not in values:
        raise PoolError(f"{where}: a section needs kind=")
    lists = {key: tuple(v for v in values.pop(key, "").split(",") if v) for key in _LIST_KEYS}
    unknown = set(lists["labels"]) - set(LABELS)
    if unknown:
        raise PoolError(f"{where}: unknown label(s) {sorted(unknown)}")
    truth = Truth(
        kind=values.pop("kind"),
        watch=values.pop("watch", None),
        subkind=values.pop("subkind", None),
        **lists,
    )
    if values:
        raise PoolError(f"{where}: unknown key(s) {sorted(values)}")
    return truth


def parse_pool(name: str, text: str) -> Pool:
    pool = Pool(name)
    truth: Truth | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        where = f"demo/texts/{name}.txt:{number}"
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            truth = _parse_header(line, where)
            continue
        if truth is None:
            raise PoolError(f"{where}: a template before any '@' section")
        title, sep, body = line.partition("||")
        if sep:
            pool.templates.append(Template(body.strip(), truth, title.strip()))
        else:
            pool.templates.append(Template(line, truth))
    return pool


@cache
def load_pool(name: str) -> Pool:
    return parse_pool(name, (TEXTS_DIR / f"{name}.txt").read_text(encoding="utf-8"))


def fill(template: str, rng: random.Random) -> str:
    """Fill `{slot}`s; one value per slot name, `city2` differs from `city`."""
    chosen: dict[str, str] = {}
    official = rng.choice(OFFICIALS)
    he, him, his = official.pronouns

    def value(match: re.Match[str]) -> str:
        slot = match.group(1)
        if slot not in chosen:
            if slot == "official":
                chosen[slot] = official.name
            elif slot == "official_last":
                chosen[slot] = official.last
            elif slot in ("he", "him", "his"):
                chosen[slot] = {"he": he, "him": him, "his": his}[slot]
            elif slot == "housenum":
                chosen[slot] = str(rng.randrange(100, 1000))
            elif slot == "phone2":
                chosen[slot] = f"{rng.randrange(100):02d}"
            elif slot == "city2":
                chosen[slot] = rng.choice([c for c in SLOTS["city"] if c != chosen.get("city")])
            elif slot in SLOTS:
                chosen[slot] = rng.choice(SLOTS[slot])
            else:
                raise PoolError(f"unknown slot {{{slot}}} in template {template!r}")
        return chosen[slot]

    # city before city2, whatever their order in the template
    if "{city2}" in template and "{city}" in template:
        chosen["city"] = rng.choice(SLOTS["city"])
    return _SLOT.sub(value, template)


def first_sentence(text: str, limit: int = 100) -> str:
    """A title made from the start of a post, as people title their own posts."""
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    sentence = match.group(1) if match else text
    if len(sentence) <= limit:
        return sentence
    return sentence[:limit].rsplit(" ", 1)[0] + "..."
