"""Training data: the shared datasets, the project's own examples and analyst reviews.

Every source becomes `Example` rows whose labels are 0, 1 or None. None means "not
annotated" and is never read as 0: a head is trained and evaluated only on the rows
that annotate its label.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cohesion.classify.prediction import LABELS
from cohesion.classify.taxonomy import NARRATIVES, THREAT_TARGETS, map_targets
from cohesion.resources import package_path

# Where `cohesion train` and `cohesion evaluate` look for the public datasets unless
# --data says otherwise: a folder in the working directory, filled by
# scripts/fetch_training_data.py (see docs/training-data.md).
DEFAULT_DATA_DIR = Path("training-data")
EXAMPLES_FILE = package_path("classify", "examples", "cohesion_examples.jsonl")


@dataclass(frozen=True)
class DatasetInfo:
    """A known dataset: its file, licence and whether the default model may use it."""

    name: str
    licence: str
    origin: str
    default: bool
    note: str


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo(
            "davidson2017", "MIT", "t-davidson/hate-speech-and-offensive-language", True,
            "hate vs offensive vs neither; offensive rows are hate negatives",
        ),
        DatasetInfo(
            "implicit_hate2021", "CC BY 4.0 (cite ElSherief et al., EMNLP 2021)",
            "SALT-NLP/implicit-hate", True,
            "hate (implicit and explicit), targets, threat (stage-2 'threatening' only)",
        ),
        DatasetInfo(
            "gab_hate2022",
            "no licence file in the mirror; published openly for research by its authors "
            "(osf.io/edua3, cite Kennedy et al., LRE 2022): confirm its terms before "
            "redistributing; the model keeps weights only, no text",
            "Gab Hate Corpus (liuchaoqun/hate-speech-datasets mirror)", True,
            "real fringe-feed posts: hate (hd or cv) and threat (cv) positives and many "
            "ordinary negatives; a slice of train calibrates the feed thresholds, dev is held out",
        ),
        DatasetInfo(
            "covid_vaccine_conspiracy2022", "MIT", "AminHasibul/ConspiracyAgaintstCovidVaccines", True,
            "vaccine-conspiracy comments: not annotated for any Cohesion label; used only as a "
            "diagnostic (how often anti_government fires on conspiracy vs other comments)",
        ),
        DatasetInfo(
            "incivility_congress2020", "GPL-3.0", "pablobarbera/incivility-sage-open", False,
            "opt-in only (copyleft); annotates incivility, not a Cohesion label; diagnostic use",
        ),
        DatasetInfo(
            "cohesion_examples", "project's own (same licence as Cohesion)",
            "classify/examples/cohesion_examples.jsonl", True,
            "codebook-written examples with contrast pairs for every label",
        ),
        DatasetInfo(
            "reviews", "the analyst's own decisions", "exported from the review store", False,
            "analyst-confirmed or corrected posts (--with-reviews)",
        ),
    )
}  # fmt: skip


@dataclass
class Example:
    id: str
    text: str
    source: str
    split: str
    labels: dict[str, int | None]
    targets: list[str] | None = None
    narratives: list[str] | None = None
    threat_target: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _label(value: Any) -> int | None:
    if value is None:
        return None
    return 1 if int(value) else 0


def holdout_half(example_id: str) -> str:
    """Split a dev-only dataset's dev rows 50/50 (stable hash): 'tune' or 'heldout'."""
    digest = hashlib.sha256(example_id.encode("utf-8")).digest()
    return "tune" if digest[0] % 2 == 0 else "heldout"


def feed_slice(example_id: str) -> str:
    """Split a real-feed dataset's train rows (stable hash): 'calibration' (20%) or 'train'.

    The calibration slice fits each head's feed calibration and thresholds, so the
    dataset's own dev split stays a clean held-out measure of what a feed looks like.
    """
    digest = hashlib.sha256(f"feed:{example_id}".encode()).digest()
    return "calibration" if digest[0] < 51 else "train"


FEED_DATASETS = ("gab_hate2022",)


def from_record(record: Mapping[str, Any], source: str | None = None) -> Example:
    """One JSON record (shared common schema or the project's schema) as an Example."""
    source = source or str(record.get("source_dataset") or "unknown")
    labels = {label: _label(record.get(label)) for label in LABELS}
    targets = record.get("targets")
    narratives = record.get("narratives")
    threat_target = record.get("threat_target")
    extra = {
        k: record.get(k) for k in ("offensive", "conspiracy", "phenomenon", "pair") if k in record
    }
    if source == "implicit_hate2021":
        # Targets come from stage 3, joined only for implicit hate: an empty list on a
        # hate post means "not annotated", not "no target".
        targets = map_targets(targets) if labels["hate"] == 1 and targets else None
        if labels["hate"] == 0:
            targets = []
        threat_target = "community" if labels["threat"] == 1 else None
    else:
        targets = map_targets(targets) if isinstance(targets, list) else None
    if isinstance(narratives, list):
        narratives = [n for n in narratives if n in NARRATIVES]
    else:
        narratives = None
    # "none" is an annotation (a private person or no civic target); None is "not said".
    if threat_target not in THREAT_TARGETS and threat_target != "none":
        threat_target = None
    split = str(record.get("split") or "train")
    if split == "dev" and source in ("implicit_hate2021", "covid_vaccine_conspiracy2022",
                                     "incivility_congress2020"):  # fmt: skip
        # These files ship without their test split: half the dev split tunes
        # thresholds and calibration, the other half is the held-out evaluation.
        split = "dev" if holdout_half(str(record.get("id"))) == "tune" else "test"
    elif source in FEED_DATASETS:
        # A real feed: its dev split is the held-out measure (test), a stable 20% slice
        # of its train split is the calibration set (see feed_slice).
        split = "test" if split == "dev" else feed_slice(str(record.get("id")))
    return Example(
        id=str(record.get("id")),
        text=str(record.get("text") or ""),
        source=source,
        split=split,
        labels=labels,
        targets=targets,
        narratives=narratives,
        threat_target=threat_target,
        extra=extra,
    )


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            line = line.strip()
            if not line:
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not valid JSON ({exc.msg})") from None


def find_dataset_files(data_dirs: Iterable[Path], datasets: Iterable[str]) -> dict[str, Path]:
    """Locate `<name>.jsonl` for each wanted dataset in the given dirs (first hit wins).

    A path in `data_dirs` may also be a .jsonl file: its stem is its dataset name.
    """
    wanted = list(datasets)
    found: dict[str, Path] = {}
    for entry in data_dirs:
        entry = Path(entry)
        if entry.is_file() and entry.suffix == ".jsonl":
            found.setdefault(entry.stem, entry)
            continue
        for name in wanted:
            candidate = entry / f"{name}.jsonl"
            if candidate.is_file():
                found.setdefault(name, candidate)
    return found


def load_examples(
    data_dirs: Iterable[Path],
    datasets: Iterable[str],
    extra_examples: Iterable[Mapping[str, Any]] | None = None,
    examples_file: Path | None = EXAMPLES_FILE,
) -> tuple[list[Example], dict[str, Path]]:
    """All examples from the datasets found, the project's examples and reviewed rows."""
    datasets = list(datasets)
    files = find_dataset_files(data_dirs, datasets)
    wanted = "cohesion_examples" in datasets
    if wanted and examples_file is not None and examples_file.is_file():
        files.setdefault("cohesion_examples", examples_file)
    out: list[Example] = []
    for name, path in files.items():
        for record in read_jsonl(path):
            source = name if name in DATASETS else str(record.get("source_dataset") or name)
            if name == "cohesion_examples":
                source = "cohesion_examples"
            out.append(from_record(record, source))
    for reviewed in extra_examples or ():
        example = from_record(reviewed, "reviews")
        example.split = str(reviewed.get("split") or "train")
        out.append(example)
    return out, files
