"""Fetching the public datasets, against a loopback HTTP server (never the network).

The server serves tiny files in each source's own format at the URLs the real sources
have (`/<owner>/<repo>/<commit>/<path>`), plus a missing file and a truncated one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from cohesion.classify import dataset_fetch
from cohesion.classify.dataset_convert import convert_covid_conspiracy, convert_davidson
from cohesion.classify.dataset_fetch import (
    SOURCES,
    FetchError,
    Source,
    default_datasets,
    download,
    fetch_dataset,
    main,
)

from tests.test_classify_dataset_convert import COVID_CSV, DAVIDSON_CSV, INCIVILITY_CSV

REPO_ROOT = Path(__file__).resolve().parents[1]


class FileServer:
    """Serves `files` (path -> bytes) on 127.0.0.1; `truncated` paths stop mid-body."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.truncated: set[str] = set()
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                path = unquote(urlsplit(self.path).path)
                server.requests.append(path)
                body = server.files.get(path)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if path in server.truncated:
                    self.wfile.write(body[: len(body) // 2])
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, source: Source, role: str, body: bytes) -> str:
        path = f"/{source.repo}/{source.commit}/{source.files[role]}"
        self.files[path] = body
        return path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def server() -> Iterator[FileServer]:
    served = FileServer()
    yield served
    served.close()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10.0) as http:
        yield http


@pytest.fixture
def tiny_sources(monkeypatch: pytest.MonkeyPatch) -> dict[str, Source]:
    """The real sources, expecting the split counts of the tiny files instead."""
    tiny = {
        "davidson2017": {"train": 8, "dev": 1, "test": 1},
        "covid_vaccine_conspiracy2022": {"train": 9, "dev": 1, "test": 1},
        "incivility_congress2020": {"train": 4, "test": 1},
    }
    for name, splits in tiny.items():
        monkeypatch.setitem(
            SOURCES, name, dataclasses.replace(SOURCES[name], expected_splits=splits)
        )
    return SOURCES


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_urls_are_raw_files_at_the_pinned_commit() -> None:
    covid = SOURCES["covid_vaccine_conspiracy2022"]
    assert covid.url("finaldataset") == (
        "https://raw.githubusercontent.com/AminHasibul/ConspiracyAgaintstCovidVaccines/"
        "6a4674d2af7cc61054b4e06b2faeb3ab41326d8f/finaldataset%20y.csv"
    )
    assert SOURCES["davidson2017"].url("labeled_data", "http://mirror.test/") == (
        "http://mirror.test/t-davidson/hate-speech-and-offensive-language/"
        "cb50f7e9eb855a99abc51423bf40df0e26d6fe30/data/labeled_data.csv"
    )


def test_gpl_data_is_fetched_only_on_request() -> None:
    assert "incivility_congress2020" not in default_datasets(include_gpl=False)
    assert default_datasets(include_gpl=True) == list(SOURCES)


def test_fetch_writes_the_converted_rows_and_their_provenance(
    server: FileServer, client: httpx.Client, tiny_sources: dict[str, Source], tmp_path: Path
) -> None:
    source = tiny_sources["davidson2017"]
    server.serve(source, "labeled_data", DAVIDSON_CSV.encode())
    summary = fetch_dataset(source, tmp_path / "training-data", client, server.url)

    written = read_jsonl(tmp_path / "training-data" / "davidson2017.jsonl")
    assert written == convert_davidson({"labeled_data": DAVIDSON_CSV.encode()})
    assert {r["split"] for r in written} == {"train", "dev", "test"}  # davidson keeps its test
    provenance = json.loads((tmp_path / "training-data" / "davidson2017.source.json").read_text())
    assert provenance == summary
    assert provenance["files"] == [{
        "path": "data/labeled_data.csv",
        "url": source.url("labeled_data", server.url),
        "bytes": len(DAVIDSON_CSV.encode()),
        "sha256": hashlib.sha256(DAVIDSON_CSV.encode()).hexdigest(),
    }]  # fmt: skip
    assert provenance["rows_written"] == {"train": 8, "dev": 1, "test": 1}
    assert provenance["rows_held_out"] == 0


def test_a_held_out_test_split_is_not_written(
    server: FileServer, client: httpx.Client, tiny_sources: dict[str, Source], tmp_path: Path
) -> None:
    source = tiny_sources["covid_vaccine_conspiracy2022"]
    server.serve(source, "finaldataset", COVID_CSV)
    summary = fetch_dataset(source, tmp_path, client, server.url)
    written = read_jsonl(tmp_path / "covid_vaccine_conspiracy2022.jsonl")
    every = convert_covid_conspiracy({"finaldataset": COVID_CSV})
    assert written == [r for r in every if r["split"] != "test"]
    assert summary["rows_written"] == {"train": 9, "dev": 1} and summary["rows_held_out"] == 1


def test_the_written_folder_is_what_cohesion_train_reads(
    server: FileServer, client: httpx.Client, tiny_sources: dict[str, Source], tmp_path: Path
) -> None:
    from cohesion.classify.data import load_examples

    server.serve(tiny_sources["davidson2017"], "labeled_data", DAVIDSON_CSV.encode())
    fetch_dataset(tiny_sources["davidson2017"], tmp_path, client, server.url)
    examples, files = load_examples([tmp_path], ["davidson2017"], examples_file=None)
    assert files == {"davidson2017": tmp_path / "davidson2017.jsonl"}
    assert len(examples) == 10
    hateful = [ex for ex in examples if ex.labels["hate"] == 1]
    assert {ex.text for ex in hateful} == {"those people are vermin", "go back where you came from"}
    assert all(ex.labels["threat"] is None for ex in examples)  # davidson never said


def test_a_missing_file_is_a_clear_error_and_writes_nothing(
    server: FileServer, client: httpx.Client, tmp_path: Path
) -> None:
    source = SOURCES["davidson2017"]
    with pytest.raises(FetchError, match=r"labeled_data\.csv: HTTP 404 Not Found"):
        fetch_dataset(source, tmp_path, client, server.url)
    assert list(tmp_path.iterdir()) == []


def test_a_truncated_download_is_a_clear_error(server: FileServer, client: httpx.Client) -> None:
    path = server.serve(SOURCES["davidson2017"], "labeled_data", DAVIDSON_CSV.encode())
    server.truncated.add(path)
    with pytest.raises(FetchError, match=r"labeled_data\.csv: (download failed|truncated)"):
        download(client, server.url + path)


def test_unexpected_counts_keep_the_previous_file(
    server: FileServer, client: httpx.Client, tmp_path: Path
) -> None:
    """The real source expects 24,783 rows: a 10-row file is refused, the old one kept."""
    previous = tmp_path / "davidson2017.jsonl"
    previous.write_text('{"id": "kept"}\n', encoding="utf-8")
    server.serve(SOURCES["davidson2017"], "labeled_data", DAVIDSON_CSV.encode())
    with pytest.raises(FetchError, match=r"expected splits .*'train': 19826.*got .*'train': 8"):
        fetch_dataset(SOURCES["davidson2017"], tmp_path, client, server.url)
    assert previous.read_text(encoding="utf-8") == '{"id": "kept"}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["davidson2017.jsonl"]


def test_a_file_in_another_shape_is_a_clear_error(
    server: FileServer, client: httpx.Client, tmp_path: Path
) -> None:
    server.serve(SOURCES["davidson2017"], "labeled_data", b"tweet,label\nhello,0\n")
    with pytest.raises(FetchError, match=r"davidson2017: .*missing column\(s\)"):
        fetch_dataset(SOURCES["davidson2017"], tmp_path, client, server.url)


def test_cli_fetches_the_named_datasets(
    server: FileServer,
    client: httpx.Client,
    tiny_sources: dict[str, Source],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server.serve(tiny_sources["incivility_congress2020"], "training_data", INCIVILITY_CSV.encode())
    server.serve(tiny_sources["covid_vaccine_conspiracy2022"], "finaldataset", COVID_CSV)
    argv = ["--out", str(tmp_path), "--base-url", server.url, "--include-gpl",
            "--dataset", "incivility_congress2020", "--dataset", "covid_vaccine_conspiracy2022"]  # fmt: skip
    assert main(argv, client=client) == 0
    out = capsys.readouterr().out
    assert f"incivility_congress2020: wrote {tmp_path / 'incivility_congress2020.jsonl'}" in out
    assert "(dev 1, train 9)" in out
    assert len(read_jsonl(tmp_path / "incivility_congress2020.jsonl")) == 4


def test_cli_reports_each_failure_and_keeps_going(
    server: FileServer,
    client: httpx.Client,
    tiny_sources: dict[str, Source],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server.serve(tiny_sources["covid_vaccine_conspiracy2022"], "finaldataset", COVID_CSV)
    argv = ["--out", str(tmp_path), "--base-url", server.url,
            "--dataset", "davidson2017", "--dataset", "covid_vaccine_conspiracy2022"]  # fmt: skip
    assert main(argv, client=client) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and "HTTP 404" in captured.err
    assert (tmp_path / "covid_vaccine_conspiracy2022.jsonl").is_file()
    assert not (tmp_path / "davidson2017.jsonl").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--dataset", "nope"], "error: unknown dataset 'nope' (known: davidson2017, "),
        (["--dataset", "incivility_congress2020"], "error: incivility_congress2020 is GPL-3.0"),
    ],
)
def test_cli_usage_errors_exit_2_before_any_download(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"no request expected, got {request.url}")

    with httpx.Client(transport=httpx.MockTransport(refuse)) as offline:
        assert main([*argv, "--out", str(tmp_path)], client=offline) == 2
    assert capsys.readouterr().err.startswith(message)
    assert list(tmp_path.iterdir()) == []


def test_the_script_runs_from_a_checkout() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "fetch_training_data.py"), "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "--include-gpl" in result.stdout and "training-data" in result.stdout
    assert dataset_fetch.DEFAULT_BASE_URL == "https://raw.githubusercontent.com"
