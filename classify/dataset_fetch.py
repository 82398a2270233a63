"""Download the public training datasets and write them where `cohesion train` reads them.

Run from a checkout as `python scripts/fetch_training_data.py --out training-data`
(or `python -m cohesion.classify.dataset_fetch`). Each dataset is downloaded from its
public repository at a pinned commit, converted (`dataset_convert`), checked against the
row and split counts it is known to give, and only then written, atomically, as
`<out>/<name>.jsonl` with a `<name>.source.json` beside it (URLs, sizes and SHA-256 of
what was downloaded). A dataset that fails leaves nothing half-written.
See docs/training-data.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from cohesion.classify.data import DEFAULT_DATA_DIR
from cohesion.classify.dataset_convert import CONVERTERS, ConversionError, Record

DEFAULT_BASE_URL = "https://raw.githubusercontent.com"
USER_AGENT = "cohesion-fetch-training-data (+https://github.com/; research use)"
TIMEOUT_SECONDS = 120.0


class FetchError(RuntimeError):
    """A download failed or what arrived is not what the dataset should be."""


@dataclass(frozen=True)
class Source:
    name: str
    repo: str
    commit: str
    files: Mapping[str, str]  # role (the converter's key) -> path in the repository
    licence: str
    # Splits the conversion gives (held-out test rows included): the check that the
    # download is the pinned file and was read as intended.
    expected_splits: Mapping[str, int]
    held_out_test: bool  # True: the test split is not written (docs/training-data.md)
    gpl: bool = False

    def url(self, role: str, base_url: str = DEFAULT_BASE_URL) -> str:
        return f"{base_url.rstrip('/')}/{self.repo}/{self.commit}/{quote(self.files[role])}"


MIRROR = ("liuchaoqun/hate-speech-datasets", "98f3ee8104cf87bb91ed3e64c31a3097b9f8de84")
SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        Source(
            "davidson2017", "t-davidson/hate-speech-and-offensive-language",
            "cb50f7e9eb855a99abc51423bf40df0e26d6fe30", {"labeled_data": "data/labeled_data.csv"},
            "MIT", {"train": 19826, "dev": 2478, "test": 2479}, held_out_test=False,
        ),
        Source(
            "implicit_hate2021", *MIRROR,
            {f"stg{i}": f"implicit-hate-corpus/implicit_hate_v1_stg{i}_posts.tsv" for i in (1, 2, 3)},
            "CC BY 4.0 (cite ElSherief et al., EMNLP 2021)",
            {"train": 17183, "dev": 2148, "test": 2149}, held_out_test=True,
        ),
        Source(
            "gab_hate2022", *MIRROR, {"ghc_train": "GabHateCorpus/Data/ghc_train.tsv"},
            "no licence file in the mirror; the authors' terms on OSF (osf.io/edua3) apply",
            {"train": 19835, "dev": 2201}, held_out_test=False,
        ),
        Source(
            "covid_vaccine_conspiracy2022", "AminHasibul/ConspiracyAgaintstCovidVaccines",
            "6a4674d2af7cc61054b4e06b2faeb3ab41326d8f", {"finaldataset": "finaldataset y.csv"},
            "MIT", {"train": 486, "dev": 60, "test": 63}, held_out_test=True,
        ),
        Source(
            "incivility_congress2020", "pablobarbera/incivility-sage-open",
            "37a66f5f57c14991a4ab14e4d86ccbbb0ea0a33e", {"training_data": "data/training-data.csv"},
            "GPL-3.0", {"train": 3200, "dev": 399, "test": 401}, held_out_test=True, gpl=True,
        ),
    )
}  # fmt: skip


def download(client: httpx.Client, url: str) -> bytes:
    """The body at `url`, complete, or a FetchError that says what went wrong."""
    try:
        response = client.get(url)
    except httpx.TransportError as exc:  # refused, timed out, cut off mid-body
        raise FetchError(f"{url}: download failed ({type(exc).__name__}: {exc})") from None
    if response.status_code != 200:
        raise FetchError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
    body = response.content
    declared = response.headers.get("content-length")
    # httpx already refuses most short bodies; a compressed transfer is checked by size
    # only when the server sent the body as is.
    if declared is not None and "content-encoding" not in response.headers:
        if int(declared) != len(body):
            raise FetchError(f"{url}: truncated ({len(body)} of {declared} bytes)")
    if not body:
        raise FetchError(f"{url}: the file is empty")
    return body


def check_splits(source: Source, records: Sequence[Record]) -> None:
    got = dict(Counter(str(record["split"]) for record in records))
    if got != dict(source.expected_splits):
        raise FetchError(
            f"{source.name}: expected splits {dict(source.expected_splits)}, got {got}: "
            "the file is not the pinned version or was not read as intended; nothing written"
        )


def write_atomically(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def fetch_dataset(source: Source, out_dir: Path, client: httpx.Client,
                  base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:  # fmt: skip
    """Download, convert, check and write one dataset; returns its provenance record."""
    files: dict[str, bytes] = {}
    provenance: list[dict[str, Any]] = []
    for role, path in source.files.items():
        url = source.url(role, base_url)
        files[role] = body = download(client, url)
        provenance.append({"path": path, "url": url, "bytes": len(body),
                           "sha256": hashlib.sha256(body).hexdigest()})  # fmt: skip
    try:
        records = CONVERTERS[source.name](files)
    except ConversionError as exc:
        raise FetchError(f"{source.name}: {exc}") from None
    check_splits(source, records)
    kept = [r for r in records if not (source.held_out_test and r["split"] == "test")]
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in kept)
    summary = {
        "dataset": source.name,
        "licence": source.licence,
        "repository": f"https://github.com/{source.repo}",
        "commit": source.commit,
        "files": provenance,
        "rows_written": dict(Counter(str(r["split"]) for r in kept)),
        "rows_held_out": len(records) - len(kept),
    }
    write_atomically(out_dir / f"{source.name}.jsonl", lines)
    write_atomically(out_dir / f"{source.name}.source.json", json.dumps(summary, indent=2) + "\n")
    return summary


def default_datasets(include_gpl: bool) -> list[str]:
    return [name for name, source in SOURCES.items() if include_gpl or not source.gpl]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="fetch_training_data.py",
        description="Download the public training datasets into the folder `cohesion train "
        "--data` reads. Example: python scripts/fetch_training_data.py --out training-data",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"folder to write <name>.jsonl into (default: {DEFAULT_DATA_DIR})",
    )
    parser.add_argument(
        "--dataset",
        action="append",
        metavar="NAME",
        help=f"fetch only this dataset (repeatable): {', '.join(SOURCES)}",
    )
    parser.add_argument(
        "--include-gpl",
        action="store_true",
        help="also fetch incivility_congress2020, which is GPL-3.0 (copyleft)",
    )
    parser.add_argument("--base-url", default=DEFAULT_BASE_URL,
                        help="where the repositories' raw files are served (a mirror)")  # fmt: skip
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, client: httpx.Client | None = None) -> int:
    args = parse_args(argv)
    names = args.dataset or default_datasets(args.include_gpl)
    unknown = [name for name in names if name not in SOURCES]
    if unknown:
        print(f"error: unknown dataset {unknown[0]!r} (known: {', '.join(SOURCES)})",
              file=sys.stderr)  # fmt: skip
        return 2
    gpl = [name for name in names if SOURCES[name].gpl and not args.include_gpl]
    if gpl:
        print(f"error: {gpl[0]} is GPL-3.0 (copyleft): a model trained on it and shared "
              "must be shared under GPL-3.0 too. Pass --include-gpl to fetch it anyway.",
              file=sys.stderr)  # fmt: skip
        return 2
    owned = client is None
    http = client or httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=True,
                                  headers={"User-Agent": USER_AGENT})  # fmt: skip
    failed = 0
    try:
        for name in names:
            try:
                summary = fetch_dataset(SOURCES[name], args.out, http, args.base_url)
            except FetchError as exc:
                print(f"error: {exc}", file=sys.stderr)
                failed += 1
                continue
            rows = ", ".join(f"{k} {v}" for k, v in sorted(summary["rows_written"].items()))
            print(f"{name}: wrote {args.out / (name + '.jsonl')} ({rows})")
    finally:
        if owned:
            http.close()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
