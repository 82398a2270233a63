"""Convert the public datasets' original files into the JSONL rows `cohesion train` reads.

Offline and pure: bytes in, records out. `dataset_fetch` downloads the files; this module
knows each source's columns, the label mapping and the seeded splits (docs/training-data.md).

Every record keeps the original labels under `labels` so the mapping can be audited.
A label field is 0, 1 or None; None means "this dataset did not annotate it", never "no".
"""

from __future__ import annotations

import csv
import io
import random
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

Record = dict[str, Any]

# Seeds of the shuffles that fix the splits. DAVIDSON_SEED reproduces the splits of the
# davidson2017 file the project was developed with, row for row; the others use SPLIT_SEED.
SPLIT_SEED = 20240611
DAVIDSON_SEED = 20171
TRAIN_DEV_TEST = (("train", 0.8), ("dev", 0.1), ("test", 0.1))
# The label fields of the common schema, in the order the files list them.
COMMON_LABELS = ("hate", "offensive", "threat", "anti_government", "conspiracy")


class ConversionError(ValueError):
    """A source file is not in the shape its converter expects."""


def assign_splits(
    texts: Sequence[str], seed: int, layout: Sequence[tuple[str, float]] = TRAIN_DEV_TEST
) -> dict[str, str]:
    """Split distinct texts with a seeded shuffle: text -> split name.

    `texts` may repeat; each distinct text is placed once (in the order given), so a
    duplicated text never straddles splits. After `random.Random(seed).shuffle`, the first
    int(n * fraction) texts go to the first split, and so on; the last split takes the rest.
    """
    distinct = list(dict.fromkeys(texts))
    random.Random(seed).shuffle(distinct)
    n = len(distinct)
    bounds: list[tuple[str, int]] = []
    end = 0
    for name, fraction in layout[:-1]:
        end += int(n * fraction)
        bounds.append((name, end))
    bounds.append((layout[-1][0], n))
    splits: dict[str, str] = {}
    position = 0
    for name, stop in bounds:
        for text in distinct[position:stop]:
            splits[text] = name
        position = stop
    return splits


def read_table(data: str, delimiter: str, columns: Sequence[str], source: str,
               plain: bool = False) -> Iterator[dict[str, str]]:  # fmt: skip
    """Rows of a CSV/TSV with a header, checked to hold `columns` (extra columns are kept).

    `plain`: quote characters are text (no CSV quoting), for files written without it.
    """
    stream = io.StringIO(data, newline="")
    if plain:
        reader = csv.reader(stream, delimiter=delimiter, quoting=csv.QUOTE_NONE)
    else:
        reader = csv.reader(stream, delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise ConversionError(f"{source}: the file is empty")
    missing = [name for name in columns if name not in header]
    if missing:
        raise ConversionError(
            f"{source}: missing column(s) {', '.join(map(repr, missing))}; header is {header}"
        )
    for number, row in enumerate(reader, 2):
        if not row:
            continue
        if len(row) != len(header):
            raise ConversionError(
                f"{source}: line {number} has {len(row)} fields, the header {len(header)}"
            )
        yield dict(zip(header, row, strict=True))


def decode_utf8(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConversionError(f"{source}: not UTF-8 ({exc.reason} at byte {exc.start})") from None


def decode_mixed_lines(data: bytes) -> str:
    """Each line as UTF-8 where valid, otherwise as Windows-1252 (the covid CSV mixes both)."""
    out = []
    for line in data.splitlines(keepends=True):
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(line.decode("cp1252", errors="replace"))
    return "".join(out).removeprefix("\ufeff")


def common_record(dataset: str, record_id: str, text: str, labels: dict[str, Any], split: str,
                  targets: list[str] | None, **flags: int | None) -> Record:  # fmt: skip
    """A row of the common schema; each label not in `flags` is None (not annotated)."""
    unknown = set(flags) - set(COMMON_LABELS)
    if unknown:
        raise TypeError(f"not labels of the common schema: {sorted(unknown)}")
    return {
        "id": record_id,
        "text": text,
        "source_dataset": dataset,
        "labels": labels,
        **{label: flags.get(label) for label in COMMON_LABELS},
        "targets": targets,
        "split": split,
    }


def _flag(value: str, source: str, field: str, number: int) -> int:
    if value.strip() not in ("0", "1"):
        raise ConversionError(f"{source}: row {number}: {field} is {value!r}, not 0 or 1")
    return int(value)


def _count(value: str, source: str, field: str, number: int) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConversionError(
            f"{source}: row {number}: {field} is {value!r}, not a number"
        ) from None


# --- davidson2017 -------------------------------------------------------------------------

DAVIDSON_CLASSES = {"0": "hate_speech", "1": "offensive_language", "2": "neither"}


def convert_davidson(files: Mapping[str, bytes]) -> list[Record]:
    """data/labeled_data.csv: an unnamed index column, vote counts, `class` and `tweet`."""
    source = "davidson2017 labeled_data.csv"
    columns = ("", "count", "hate_speech", "offensive_language", "neither", "class", "tweet")
    rows = list(read_table(decode_utf8(files["labeled_data"], source), ",", columns, source))
    splits = assign_splits([row["tweet"] for row in rows], DAVIDSON_SEED)
    records: list[Record] = []
    for number, row in enumerate(rows):
        name = DAVIDSON_CLASSES.get(row["class"])
        if name is None:
            raise ConversionError(f"{source}: row {number}: class is {row['class']!r}")
        votes = {k: _count(row[k], source, k, number) for k in columns[1:5]}
        records.append({
            "id": f"davidson2017-{row['']}",
            "text": row["tweet"],
            "source_dataset": "davidson2017",
            "labels": {"class": name, **votes},
            "hate": int(name == "hate_speech"),
            "offensive": int(name == "offensive_language"),
            "split": splits[row["tweet"]],
        })  # fmt: skip
    return records


# --- implicit_hate2021 --------------------------------------------------------------------

IMPLICIT_CLASSES = ("implicit_hate", "explicit_hate", "not_hate")

# Free-text stage-3 targets -> the shared normalised names, by keyword (case-insensitive,
# at word starts). Every matching rule adds its name; a target that matches none is
# `other`, one that says no group was named gives nothing.
TARGET_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("jewish", r"\bjew|\bzionist"),
    ("muslim", r"\bmuslim|\bislam"),
    ("christian", r"\bchristian|\bcatholic"),
    ("lgbtq", r"\bgays?\b|\blgbt|\bhomosexual|\blesbian|\bqueer"),
    ("transgender", r"\btrans\b|\btransgender|\btranssexual"),
    ("black", r"\bblacks?\b|\bafrican"),
    ("asian", r"\basians?\b|\bchinese\b|\bindians?\b|\bpakistani"),
    ("hispanic", r"\bhispanic|\blatin[oa]|\bmexican"),
    ("indigenous", r"\bindigenous|\bnative americans?\b|\baboriginal"),
    ("arab", r"\barab|\bmiddle east"),
    ("immigrant", r"\bimmigra|\bmigrants?\b|\billegal|\baliens?\b|\bforeigners?\b|\bundocumented"),
    ("refugee", r"\brefugee"),
    ("women", r"\bwom[ae]n|\bfemales?\b|\bgirls?\b|\bwomanist"),
    ("men", r"\bmen\b|\bmales?\b|\bboys?\b"),
    ("disability", r"\bdisab|\bhandicap|\bautis|\bmentally ill"),
    ("political", r"\bdemocrat|\brepublican|\bconservative|\bliberal|\bprogressive|\bcommunis"
                  r"|\bsocialist|\bmarxist|\bleft(?:ists?)?\b|\balt-right|\bright[- ]wing"
                  r"|\bantifa|\bpolitician|\bgovernment|\btrump supporter"),
)  # fmt: skip
_TARGET_PATTERNS = tuple((name, re.compile(rx, re.IGNORECASE)) for name, rx in TARGET_KEYWORDS)
_NO_GROUP = {"not specified", "no specific group"}


def normalise_targets(raw_targets: Sequence[str]) -> list[str]:
    """Union of the normalised names of a post's free-text targets, sorted."""
    names: set[str] = set()
    for raw in raw_targets:
        text = raw.strip()
        if not text or text.lower() in _NO_GROUP:
            continue
        hits = {name for name, pattern in _TARGET_PATTERNS if pattern.search(text)}
        names |= hits or {"other"}
    return sorted(names)


def convert_implicit_hate(files: Mapping[str, bytes]) -> list[Record]:
    """The three `implicit_hate_v1_stg*_posts.tsv` files, joined on the exact post text."""
    stage1 = list(read_table(decode_utf8(files["stg1"], "stg1"), "\t", ("post", "class"), "stg1"))
    stage2: dict[str, dict[str, str]] = {}
    for row in read_table(decode_utf8(files["stg2"], "stg2"), "\t",
                          ("post", "implicit_class", "extra_implicit_class"), "stg2"):  # fmt: skip
        stage2.setdefault(row["post"], row)  # the first annotation of a repeated post
    stage3: dict[str, list[dict[str, str]]] = {}
    for row in read_table(decode_utf8(files["stg3"], "stg3"), "\t",
                          ("post", "target", "implied_statement"), "stg3"):  # fmt: skip
        rows = stage3.setdefault(row["post"], [])
        if row not in rows:  # the same explanation twice counts once
            rows.append(row)
    splits = assign_splits([row["post"] for row in stage1], SPLIT_SEED)
    records: list[Record] = []
    for number, row in enumerate(stage1):
        text, name = row["post"], row["class"]
        if name not in IMPLICIT_CLASSES:
            raise ConversionError(f"stg1: row {number}: class is {name!r}")
        labels: dict[str, Any] = {"class": name}
        threat: int | None = None
        targets: list[str] = []
        # Stages 2 and 3 annotated implicit hate only: other posts stay "not annotated".
        if name == "implicit_hate":
            fine = stage2.get(text)
            if fine is not None:
                labels["implicit_class"] = fine["implicit_class"]
                if fine["extra_implicit_class"]:
                    labels["extra_implicit_class"] = fine["extra_implicit_class"]
                classes = {fine["implicit_class"], fine["extra_implicit_class"]}
                threat = int("threatening" in classes)
            explained = stage3.get(text, [])
            if explained:
                labels["target_raw"] = [r["target"] for r in explained]
                labels["implied_statement"] = [r["implied_statement"] for r in explained]
                targets = normalise_targets(labels["target_raw"])
        records.append(common_record(
            "implicit_hate2021", f"implicit_hate2021:stg1-{number}", text, labels, splits[text],
            targets, hate=int(name != "not_hate"), threat=threat,
        ))  # fmt: skip
    return records


# --- gab_hate2022 -------------------------------------------------------------------------


def convert_gab_hate(files: Mapping[str, bytes]) -> list[Record]:
    """GabHateCorpus/Data/ghc_train.tsv: `text`, `hd`, `cv`, `vo` (majority labels).

    Read as a plain TSV (quote characters are text), which keeps the posts' own quotes.
    Its own test file is the held-out test split, so this one is cut into dev (10%) and
    train over the distinct texts in sorted order.
    """
    source = "gab_hate2022 ghc_train.tsv"
    data = decode_utf8(files["ghc_train"], source)
    rows = list(read_table(data, "\t", ("text", "hd", "cv", "vo"), source, plain=True))
    splits = assign_splits(sorted({row["text"] for row in rows}), SPLIT_SEED,
                           (("dev", 0.1), ("train", 0.9)))  # fmt: skip
    records: list[Record] = []
    for number, row in enumerate(rows):
        hd, cv, vo = (_flag(row[k], source, k, number) for k in ("hd", "cv", "vo"))
        records.append(common_record(
            "gab_hate2022", f"gab_hate2022:train-{number}", row["text"],
            {"hd": hd, "cv": cv, "vo": vo}, splits[row["text"]],
            None,  # the file has no target-group columns
            hate=int(bool(hd or cv)), offensive=vo, threat=cv,
        ))  # fmt: skip
    return records


# --- covid_vaccine_conspiracy2022 ---------------------------------------------------------


def convert_covid_conspiracy(files: Mapping[str, bytes]) -> list[Record]:
    """`finaldataset y.csv`: `comments`, `label` (1 = conspiracy), `conspiracy_found`."""
    source = "covid_vaccine_conspiracy2022 finaldataset y.csv"
    data = decode_mixed_lines(files["finaldataset"])
    rows = list(read_table(data, ",", ("comments", "label", "conspiracy_found"), source))
    splits = assign_splits([row["comments"] for row in rows], SPLIT_SEED)
    records: list[Record] = []
    for number, row in enumerate(rows):
        label = _flag(row["label"], source, "label", number)
        records.append(common_record(
            "covid_vaccine_conspiracy2022", f"covid_vaccine_conspiracy2022:row-{number}",
            row["comments"], {"label": label, "conspiracy_found": row["conspiracy_found"]},
            splits[row["comments"]], [], conspiracy=label,
        ))  # fmt: skip
    return records


# --- incivility_congress2020 (GPL-3.0) -------------------------------------------------------


def convert_incivility(files: Mapping[str, bytes]) -> list[Record]:
    """data/training-data.csv: `id_str`, `uncivil` (yes/no), `created_at`, `text`."""
    source = "incivility_congress2020 training-data.csv"
    data = decode_utf8(files["training_data"], source)
    rows = list(read_table(data, ",", ("id_str", "uncivil", "created_at", "text"), source))
    splits = assign_splits([row["text"] for row in rows], SPLIT_SEED)
    records: list[Record] = []
    for number, row in enumerate(rows):
        if row["uncivil"] not in ("yes", "no"):
            raise ConversionError(f"{source}: row {number}: uncivil is {row['uncivil']!r}")
        records.append(common_record(
            "incivility_congress2020", f"incivility_congress2020:{row['id_str']}", row["text"],
            {"uncivil": row["uncivil"], "created_at": row["created_at"]}, splits[row["text"]], [],
            offensive=int(row["uncivil"] == "yes"),  # an approximation: see the doc
        ))  # fmt: skip
    return records


CONVERTERS: dict[str, Callable[[Mapping[str, bytes]], list[Record]]] = {
    "davidson2017": convert_davidson,
    "implicit_hate2021": convert_implicit_hate,
    "gab_hate2022": convert_gab_hate,
    "covid_vaccine_conspiracy2022": convert_covid_conspiracy,
    "incivility_congress2020": convert_incivility,
}
