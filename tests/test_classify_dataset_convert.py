"""The public datasets' converters, run offline on tiny files in each source's own format.

Each tiny file uses the original column names and quoting; the tests check the mapped
labels, ids, nulls and split of every row. When ../shared/data is present, the last
tests rebuild original-format files from it and check that the converters give back
the same rows (the splits included).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from cohesion.classify.dataset_convert import (
    CONVERTERS,
    ConversionError,
    assign_splits,
    convert_covid_conspiracy,
    convert_davidson,
    convert_gab_hate,
    convert_implicit_hate,
    convert_incivility,
    normalise_targets,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def by_text(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["text"]: record for record in records}


# --- splits -------------------------------------------------------------------------------


def test_splits_cut_distinct_texts_80_10_10() -> None:
    texts = [f"post {i}" for i in range(37)] + ["post 3", "post 3"]  # a repeated text
    splits = assign_splits(texts, 7)
    assert len(splits) == 37
    assert Counter(splits.values()) == {"train": 29, "dev": 3, "test": 5}  # int(29.6), int(3.7)
    assert assign_splits(texts, 7) == splits
    assert assign_splits(texts, 8) != splits


def test_splits_follow_the_shuffle_order() -> None:
    texts = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
    splits = assign_splits(texts, 20240611, (("dev", 0.2), ("train", 0.8)))
    assert Counter(splits.values()) == {"dev": 2, "train": 8}
    # The order the texts are given in matters: the same set in another order is cut
    # differently, which is why each converter says which order it uses.
    assert assign_splits(list(reversed(texts)), 20240611, (("dev", 0.2), ("train", 0.8))) != splits


# --- davidson2017 -------------------------------------------------------------------------

DAVIDSON_CSV = (
    ",count,hate_speech,offensive_language,neither,class,tweet\n"
    '0,3,0,0,3,2,"""the parish festival"" was lovely"\n'
    "1,3,0,3,0,1,you ugly clown\n"
    "3,3,2,1,0,0,those people are vermin\n"
    '7,6,0,5,1,1,"line one\n\nline two"\n'
    "8,3,1,2,0,1,what a day\n"
    "9,3,0,1,2,2,see you at the meeting\n"
    "12,3,3,0,0,0,go back where you came from\n"
    "13,3,0,0,3,2,the bus was late again\n"
    "14,3,0,3,0,1,shut up already\n"
    "20,3,0,0,3,2,potholes on fifth street\n"
)


def test_davidson_rows() -> None:
    records = convert_davidson({"labeled_data": DAVIDSON_CSV.encode()})
    assert [r["id"] for r in records] == [
        f"davidson2017-{i}" for i in (0, 1, 3, 7, 8, 9, 12, 13, 14, 20)
    ]
    first, _, vermin, multiline, *_ = records
    assert first["text"] == '"the parish festival" was lovely'
    assert first["labels"] == {"class": "neither", "count": 3, "hate_speech": 0,
                               "offensive_language": 0, "neither": 3}  # fmt: skip
    assert (first["hate"], first["offensive"]) == (0, 0)
    assert vermin["labels"]["class"] == "hate_speech"
    assert (vermin["hate"], vermin["offensive"]) == (1, 0)
    assert multiline["text"] == "line one\n\nline two"
    assert (multiline["hate"], multiline["offensive"]) == (0, 1)
    # davidson keeps its original fields only: nothing it did not annotate is added.
    assert set(first) == {"id", "text", "source_dataset", "labels", "hate", "offensive", "split"}
    # Seed 20171 over the tweets in file order, 8 / 1 / 1 of 10.
    assert [r["split"] for r in records] == [
        "train", "train", "train", "train", "test", "dev", "train", "train", "train", "train"
    ]  # fmt: skip


def test_davidson_rejects_an_unknown_class_and_a_missing_column() -> None:
    with pytest.raises(ConversionError, match=r"row 0: class is '5'"):
        convert_davidson({"labeled_data": DAVIDSON_CSV.replace(',2,"', ',5,"', 1).encode()})
    with pytest.raises(ConversionError, match=r"missing column\(s\) 'tweet'"):
        convert_davidson({"labeled_data": DAVIDSON_CSV.replace("tweet", "text", 1).encode()})


# --- implicit_hate2021 --------------------------------------------------------------------


def tsv(header: list[str], rows: list[list[str]]) -> bytes:
    """A TSV quoted as the corpus's files are (CSV quoting, doubled quotes)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


IMPLICIT_POSTS = [
    ['  " : they are replacing us " " "', "implicit_hate"],  # quoted as in the real file
    ["they should all be hung", "implicit_hate"],
    ["send them back", "implicit_hate"],
    ["no stage two for this one", "implicit_hate"],
    ["explicit slur post", "explicit_hate"],
    ["a lovely day at the lake", "not_hate"],
    ["they should all be hung", "implicit_hate"],  # a repeated post
    ["liberals ruin everything", "implicit_hate"],
    ["city council meets tuesday", "not_hate"],
    ["jews and muslims run it", "implicit_hate"],
]
IMPLICIT_STAGE2 = [
    ['  " : they are replacing us " " "', "white_grievance", ""],
    ["they should all be hung", "threatening", ""],
    ["send them back", "incitement", "threatening"],
    ["explicit slur post", "threatening", ""],  # stage 2 covers implicit hate only
    ["liberals ruin everything", "stereotypical", ""],
    ["jews and muslims run it", "stereotypical", ""],
]
IMPLICIT_STAGE3 = [
    ['  " : they are replacing us " " "', "White people", "whites are being replaced"],
    ["they should all be hung", "Not specified", "they deserve death"],
    ["send them back", "Immigrants", "immigrants do not belong"],
    ["send them back", "Mexicans", "mexicans do not belong"],
    ["liberals ruin everything", "Liberals", "liberals are destructive"],
    ["jews and muslims run it", "Jews and Muslims", "they control things"],
    ["no stage two for this one", "Black folks", "black people are bad"],
]


def implicit_files() -> dict[str, bytes]:
    return {
        "stg1": tsv(["post", "class"], IMPLICIT_POSTS),
        "stg2": tsv(["post", "implicit_class", "extra_implicit_class"], IMPLICIT_STAGE2),
        "stg3": tsv(["post", "target", "implied_statement"], IMPLICIT_STAGE3),
    }


def test_implicit_hate_rows() -> None:
    records = convert_implicit_hate(implicit_files())
    assert [r["id"] for r in records] == [f"implicit_hate2021:stg1-{i}" for i in range(10)]
    assert records[0]["text"] == '  " : they are replacing us " " "'
    expected = {  # text: (hate, threat, targets, labels)
        '  " : they are replacing us " " "': (1, 0, ["other"], {
            "class": "implicit_hate", "implicit_class": "white_grievance",
            "target_raw": ["White people"], "implied_statement": ["whites are being replaced"]}),
        "they should all be hung": (1, 1, [], {
            "class": "implicit_hate", "implicit_class": "threatening",
            "target_raw": ["Not specified"], "implied_statement": ["they deserve death"]}),
        "send them back": (1, 1, ["hispanic", "immigrant"], {
            "class": "implicit_hate", "implicit_class": "incitement",
            "extra_implicit_class": "threatening", "target_raw": ["Immigrants", "Mexicans"],
            "implied_statement": ["immigrants do not belong", "mexicans do not belong"]}),
        "no stage two for this one": (1, None, ["black"], {
            "class": "implicit_hate", "target_raw": ["Black folks"],
            "implied_statement": ["black people are bad"]}),
        "explicit slur post": (1, None, [], {"class": "explicit_hate"}),
        "a lovely day at the lake": (0, None, [], {"class": "not_hate"}),
        "liberals ruin everything": (1, 0, ["political"], {
            "class": "implicit_hate", "implicit_class": "stereotypical",
            "target_raw": ["Liberals"], "implied_statement": ["liberals are destructive"]}),
        "city council meets tuesday": (0, None, [], {"class": "not_hate"}),
        "jews and muslims run it": (1, 0, ["jewish", "muslim"], {
            "class": "implicit_hate", "implicit_class": "stereotypical",
            "target_raw": ["Jews and Muslims"], "implied_statement": ["they control things"]}),
    }  # fmt: skip
    for record in records:
        hate, threat, targets, labels = expected[record["text"]]
        assert (record["hate"], record["threat"], record["targets"]) == (hate, threat, targets)
        assert record["labels"] == labels, record["text"]
        assert record["offensive"] is None
        assert record["anti_government"] is None and record["conspiracy"] is None
    # Nine distinct texts in first-seen order, seed 20240611: 7 train, 0 dev, 2 test.
    assert [r["split"] for r in records] == [
        "train", "train", "train", "train", "test", "test", "train", "train", "train", "train"
    ]  # fmt: skip
    assert records[1]["split"] == records[6]["split"]  # a repeated post never straddles


def test_implicit_hate_rejects_an_unknown_class() -> None:
    files = implicit_files()
    files["stg1"] = tsv(["post", "class"], [["a post", "hateful"]])
    with pytest.raises(ConversionError, match="class is 'hateful'"):
        convert_implicit_hate(files)


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        (["Jews and Muslims"], ["jewish", "muslim"]),
        (["White people"], ["other"]),
        (["Minorities, probably LGBT"], ["lgbtq"]),
        (["Female politicians"], ["political", "women"]),
        (["Progressive males"], ["men", "political"]),
        (["Indians"], ["asian"]),
        (["Middle-Easterners"], ["other"]),
        (["lefty"], ["other"]),
        (["Alt-Left"], ["political"]),
        (["Not specified", "No specific group"], []),
        (["Refugees", "Syrian immigrants"], ["immigrant", "refugee"]),
    ],
)
def test_free_text_targets_are_normalised(raw: list[str], names: list[str]) -> None:
    assert normalise_targets(raw) == names


# --- gab_hate2022 -------------------------------------------------------------------------

GAB_TSV = (
    "text\thd\tcv\tvo\n"
    '"Im Schnitt" sieben pro Tag \t0\t0\t0\n'
    "they are animals\t1\t0\t0\n"
    "someone should shoot them all\t1\t1\t1\n"
    "what the hell\t0\t0\t1\n"
    "kill them\t0\t1\t0\n"
    "good morning gab\t0\t0\t0\n"
    "good morning gab\t0\t0\t0\n"
    '"a quote" and more\t0\t0\t0\n'
    "nice weather\t0\t0\t0\n"
    "one more post\t0\t0\t0\n"
    "and the last one\t0\t0\t0\n"
)


def test_gab_hate_rows() -> None:
    records = convert_gab_hate({"ghc_train": GAB_TSV.encode()})
    assert [r["id"] for r in records] == [f"gab_hate2022:train-{i}" for i in range(11)]
    rows = by_text(records)
    assert '"Im Schnitt" sieben pro Tag ' in rows  # the post's own quotes and space are kept
    cases = {  # text: (hate, threat, offensive)
        "they are animals": (1, 0, 0),
        "someone should shoot them all": (1, 1, 1),
        "what the hell": (0, 0, 1),
        "kill them": (1, 1, 0),  # a call for violence is hate-based rhetoric too
        "nice weather": (0, 0, 0),
    }
    for text, flags in cases.items():
        assert (rows[text]["hate"], rows[text]["threat"], rows[text]["offensive"]) == flags
    assert rows["kill them"]["labels"] == {"hd": 0, "cv": 1, "vo": 0}
    for record in records:
        assert record["anti_government"] is None and record["conspiracy"] is None
        assert record["targets"] is None
    # Ten distinct texts in sorted order, seed 20240611: 1 dev (int(10 * 0.1)), 9 train.
    assert [r["split"] for r in records] == ["train"] * 5 + ["dev", "dev"] + ["train"] * 4
    assert records[5]["split"] == records[6]["split"]  # the repeated post, in dev twice


def test_gab_hate_rejects_a_label_that_is_not_0_or_1() -> None:
    with pytest.raises(ConversionError, match="row 1: cv is '2'"):
        convert_gab_hate({"ghc_train": GAB_TSV.replace("animals\t1\t0", "animals\t1\t2").encode()})


# --- covid_vaccine_conspiracy2022 ---------------------------------------------------------

COVID_CSV = (
    b"comments,label,conspiracy_found\n"
    b"Vaccine is  a failure,1,Yes\n"
    b"Don\x92t poison your babies!,1,Yes\n"  # a Windows-1252 line
    b"Don\xe2\x80\x99t be scared,0,No\n"  # a UTF-8 line
    b'"Thank you, governor",0,No\n'
    b"Great news!,0,No\n"
    b"Great news!,0,No\n"
    b"Fire them,1,Yes\n"
    b"It is a death shot,1,Yes\n"
    b"Got my shot today,0,No\n"
    b"Crimes against humanity.,1,Yes\n"
    b"Stay safe everyone,0,No\n"
)


def test_covid_conspiracy_rows() -> None:
    records = convert_covid_conspiracy({"finaldataset": COVID_CSV})
    assert [r["id"] for r in records] == [
        f"covid_vaccine_conspiracy2022:row-{i}" for i in range(11)
    ]
    assert records[1]["text"] == "Don\u2019t poison your babies!"
    assert records[2]["text"] == "Don\u2019t be scared"
    assert records[3]["text"] == "Thank you, governor"
    assert records[0]["labels"] == {"label": 1, "conspiracy_found": "Yes"}
    assert [r["conspiracy"] for r in records] == [1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0]
    for record in records:
        assert record["hate"] is None and record["threat"] is None
        assert record["offensive"] is None and record["anti_government"] is None
        assert record["targets"] == []
    # Ten distinct texts in first-seen order, seed 20240611: 8 train, 1 dev, 1 test.
    assert [r["split"] for r in records] == [
        "train", "train", "train", "train", "train", "train", "dev", "train", "train", "train",
        "test",
    ]  # fmt: skip


# --- incivility_congress2020 ----------------------------------------------------------------

INCIVILITY_CSV = (
    '"id_str","uncivil","created_at","text"\n'
    '"875483509741244416","no","Thu Jun 15 22:41:49 +0000 2017","@Rep Start doing more."\n'
    '"9.17797599587e+17","yes","Sat Sep 02 03:13:14 +0000 2017","@Sen you are a moron"\n'
    '"854475617651183616","no","Tue Apr 18 23:23:57 +0000 2017","@Rep thanks\nfor the vote"\n'
    '"854475617651183617","yes","Tue Apr 18 23:24:57 +0000 2017","@Rep shut up"\n'
    '"854475617651183618","no","Tue Apr 18 23:25:57 +0000 2017","@Rep why?"\n'
)


def test_incivility_rows() -> None:
    records = convert_incivility({"training_data": INCIVILITY_CSV.encode()})
    assert [r["id"] for r in records] == [
        "incivility_congress2020:875483509741244416",
        "incivility_congress2020:9.17797599587e+17",  # the file's own id, as written
        "incivility_congress2020:854475617651183616",
        "incivility_congress2020:854475617651183617",
        "incivility_congress2020:854475617651183618",
    ]
    assert [r["offensive"] for r in records] == [0, 1, 0, 1, 0]
    assert records[2]["text"] == "@Rep thanks\nfor the vote"
    assert records[1]["labels"] == {
        "uncivil": "yes",
        "created_at": "Sat Sep 02 03:13:14 +0000 2017",
    }
    for record in records:
        assert record["hate"] is None and record["threat"] is None
        assert record["anti_government"] is None and record["conspiracy"] is None
    # Five distinct texts, seed 20240611: 4 train, 0 dev, 1 test.
    assert [r["split"] for r in records] == ["train", "train", "train", "train", "test"]


def test_incivility_rejects_an_unknown_label() -> None:
    with pytest.raises(ConversionError, match="uncivil is 'maybe'"):
        convert_incivility({"training_data": INCIVILITY_CSV.replace('"no"', '"maybe"', 1).encode()})


def test_a_row_with_a_missing_field_is_an_error() -> None:
    with pytest.raises(ConversionError, match="line 3 has 3 fields, the header 4"):
        convert_gab_hate({"ghc_train": b"text\thd\tcv\tvo\nfine\t0\t0\t0\nshort\t0\t0\n"})


# --- the converters reproduce the development copies in ../shared/data --------------------


def shared_rows(name: str) -> list[dict[str, Any]]:
    with (SHARED / f"{name}.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def without(record: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in keys}


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not present")
def test_davidson_and_gab_are_reproduced_row_for_row() -> None:
    rows = shared_rows("davidson2017")
    classes = {"hate_speech": 0, "offensive_language": 1, "neither": 2}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["", "count", "hate_speech", "offensive_language", "neither", "class", "tweet"])
    for r in rows:
        labels = r["labels"]
        writer.writerow([r["id"].removeprefix("davidson2017-"), labels["count"],
                         labels["hate_speech"], labels["offensive_language"], labels["neither"],
                         classes[labels["class"]], r["text"]])  # fmt: skip
    assert convert_davidson({"labeled_data": buffer.getvalue().encode()}) == rows

    rows = shared_rows("gab_hate2022")
    lines = ["text\thd\tcv\tvo"] + [
        f"{r['text']}\t{r['labels']['hd']}\t{r['labels']['cv']}\t{r['labels']['vo']}" for r in rows
    ]
    assert convert_gab_hate({"ghc_train": ("\n".join(lines) + "\n").encode()}) == rows


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not present")
def test_the_label_mappings_match_the_kept_original_labels() -> None:
    """implicit_hate2021, covid and incivility lack their test rows in ../shared, so their
    splits cannot be rebuilt; every other field is, from the original labels kept."""
    rows = shared_rows("implicit_hate2021")
    stage1 = [[r["text"], r["labels"]["class"]] for r in rows]
    stage2 = [[r["text"], r["labels"]["implicit_class"], r["labels"].get("extra_implicit_class", "")]
              for r in rows if "implicit_class" in r["labels"]]  # fmt: skip
    stage3 = [[r["text"], target, implied] for r in rows if "target_raw" in r["labels"]
              for target, implied in zip(r["labels"]["target_raw"],
                                         r["labels"]["implied_statement"], strict=True)]  # fmt: skip
    files = {
        "stg1": tsv(["post", "class"], stage1),
        "stg2": tsv(["post", "implicit_class", "extra_implicit_class"], stage2),
        "stg3": tsv(["post", "target", "implied_statement"], stage3),
    }
    converted = CONVERTERS["implicit_hate2021"](files)
    assert [without(r, "id", "split") for r in converted] == [
        without(r, "id", "split") for r in rows
    ]

    rows = shared_rows("covid_vaccine_conspiracy2022")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(
        [["comments", "label", "conspiracy_found"]]
        + [[r["text"], r["labels"]["label"], r["labels"]["conspiracy_found"]] for r in rows]
    )
    converted = convert_covid_conspiracy({"finaldataset": buffer.getvalue().encode()})
    assert [without(r, "id", "split") for r in converted] == [
        without(r, "id", "split") for r in rows
    ]

    rows = shared_rows("incivility_congress2020")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(
        [["id_str", "uncivil", "created_at", "text"]]
        + [[r["id"].split(":", 1)[1], r["labels"]["uncivil"], r["labels"]["created_at"], r["text"]]
           for r in rows]
    )  # fmt: skip
    converted = convert_incivility({"training_data": buffer.getvalue().encode()})
    assert [without(r, "split") for r in converted] == [without(r, "split") for r in rows]
