"""Run every benchmark and print one table (`make bench`).

Each benchmark is a script `benchmarks/bench_*.py` that prints its own report and, as
its last line, one JSON object. Numbers found there (at the top level or under
"results") become rows of the table, so every figure is shown beside the local
reference its script measured in the same run (raw sqlite3 inserts, spaCy blank
tokenisation...). Results are also written to benchmarks/results/latest.json.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
# Ingestion first: it is the quickest and says at once whether the store works.
ORDER = [
    "bench_ingest",
    "bench_crawl",
    "bench_classify",
    "bench_classify_db",
    "bench_trends",
    "bench_scale",
    "bench_report",
]


def scripts() -> list[Path]:
    found = {p.stem: p for p in HERE.glob("bench_*.py")}
    ordered = [found.pop(name) for name in ORDER if name in found]
    return ordered + sorted(found.values())


def flatten(prefix: str, value: Any) -> list[tuple[str, float]]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [(prefix, float(value))]
    if isinstance(value, dict):
        rows = []
        for key, inner in value.items():
            rows.extend(flatten(f"{prefix}.{key}" if prefix else str(key), inner))
        return rows
    return []


def last_json(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return None
    return None


def main() -> int:
    console = Console()
    table = Table(title="Cohesion benchmarks (this machine, this run)")
    table.add_column("benchmark")
    table.add_column("measure")
    table.add_column("value", justify="right")
    collected: dict[str, Any] = {}
    failed = []
    for script in scripts():
        console.print(f"[bold]running {script.name}[/]")
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, check=False
        )
        console.print(done.stdout.rstrip())
        if done.returncode != 0:
            console.print(done.stderr[-3000:])
            failed.append(script.name)
            continue
        result = last_json(done.stdout)
        if result is None:
            failed.append(f"{script.name} (no JSON result line)")
            continue
        result["wall_seconds"] = round(time.perf_counter() - start, 1)
        collected[script.stem] = result
        payload = result.get("results", result)
        for measure, value in flatten("", payload):
            table.add_row(script.stem.removeprefix("bench_"), measure, f"{value:,.2f}")
    console.print(table)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(collected, indent=2))
    if failed:
        console.print(f"[red]failed:[/] {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
