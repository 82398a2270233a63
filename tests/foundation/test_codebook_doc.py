"""docs/codebook.md names exactly the labels and sub-labels the code defines.

The codebook's tables are parsed (first column of each table, under its heading) and
compared both ways with LABELS, TARGETS, NARRATIVES, THREAT_TARGETS and
GOVERNMENT_TARGETS, so a renamed or added name fails here until the doc follows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cohesion.taxonomy import GOVERNMENT_TARGETS, LABELS, NARRATIVES, TARGETS, THREAT_TARGETS

CODEBOOK = Path(__file__).resolve().parents[2] / "docs" / "codebook.md"


def table_rows(markdown: str, heading: str) -> list[list[str]]:
    """The body rows (cells stripped) of the first table under `heading`."""
    lines = markdown.splitlines()
    try:
        start = lines.index(heading)
    except ValueError:
        raise AssertionError(f"docs/codebook.md has no heading {heading!r}") from None
    rows: list[list[str]] = []
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break  # the table ended
    assert len(rows) > 2, f"no table under {heading!r}"
    header, rule, *body = rows
    assert set(rule[0]) <= {"-", ":"}, f"malformed table under {heading!r}"
    return body


def first_column_names(markdown: str, heading: str) -> list[str]:
    names = []
    for row in table_rows(markdown, heading):
        match = re.fullmatch(r"`([a-z_]+)`", row[0])
        assert match, f"under {heading!r}: first cell {row[0]!r} is not a `name`"
        names.append(match.group(1))
    return names


@pytest.fixture(scope="module")
def codebook() -> str:
    return CODEBOOK.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("heading", "names"),
    [
        ("## Labels", LABELS),
        ("### Hate targets", TARGETS),
        ("### Narratives", NARRATIVES),
        ("### Threat targets", THREAT_TARGETS),
    ],
)
def test_table_matches_the_code(codebook: str, heading: str, names: tuple[str, ...]) -> None:
    documented = first_column_names(codebook, heading)
    assert len(documented) == len(set(documented)), f"duplicate rows under {heading!r}"
    assert set(documented) - set(names) == set(), "documented but not in the code"
    assert set(names) - set(documented) == set(), "in the code but not documented"


def test_each_label_has_its_own_section(codebook: str) -> None:
    for label in LABELS:
        assert f"## {label}" in codebook.splitlines()


def test_government_threat_targets_are_marked_anti_government(codebook: str) -> None:
    marked = {row[0].strip("`"): row[-1] for row in table_rows(codebook, "### Threat targets")}
    assert set(marked.values()) <= {"yes", "no"}
    assert {name for name, mark in marked.items() if mark == "yes"} == GOVERNMENT_TARGETS


def test_the_parser_sees_a_name_missing_from_a_table() -> None:
    doc = "### Narratives\n\n| narrative | story |\n|---|---|\n| `election_fraud` | x |\n"
    assert first_column_names(doc, "### Narratives") == ["election_fraud"]
    assert set(NARRATIVES) - set(first_column_names(doc, "### Narratives"))
