"""Crawls as Scrapyd jobs: deploy the crawlers to Scrapyd nodes, schedule, poll, report.

Hub side (`cohesion crawl --scrapyd URL [URL ...]`, or the scheduler when `[scale]
scrapyd` lists nodes): `crawl_via_scrapyd()` builds an egg of the crawler code
(`build_egg()`: a `cohesion` package holding crawlers/, store/, config.py and
runtime.py, built with setuptools' bdist_egg, entry point
`scrapy.settings = cohesion.crawlers.scrapyd_settings`), uploads it to every node
(`addversion.json`, version = a hash of the egg, so unchanged code is not stored
twice), schedules one job per enabled source round-robin over the nodes
(`schedule.json`, pinned to that version), polls `listjobs.json` until every job has
finished, then reads the `crawl_runs` rows the jobs wrote and returns the same
`SourceSummary` list as a local crawl.

Node side: Scrapyd starts `scrapy crawl <platform> -a source=NAME -a cohesion_settings=JSON`.
`CohesionSpider.from_crawler` sees no injected context and calls
`standalone_context()`: it opens the hub's database, registers the source, reads its
cursor and applies the Scrapy settings derived from the config. From there the crawl is
the same as a local one: the lifecycle extension (crawlers/lifecycle.py) starts the
crawl_runs row (runner `scrapyd:<host>:<job>`) and, when the spider closes, saves the
cursor (only after a normal finish with every batch committed) and finishes the row.

What a node needs (see docs/scale.md): cohesion-monitor installed with the `scale` and
`postgres` extras, and in Scrapyd's environment `COHESION_DATABASE_URL` (the hub's
PostgreSQL, reachable from the node), `COHESION_PSEUDONYM_KEY` (the hub's key, so
pseudonyms match) and the platform credentials. The settings JSON sent with a job holds
the source, locality, crawl and privacy.keep_raw_handles settings and never a secret
(Scrapyd shows job arguments to anyone who can reach it): the database URL, the key
and credentials come from the node's environment. `-a config=/path/cohesion.toml`
instead of `cohesion_settings=` reads a config file on the node.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from cohesion.config import ConfigError, Settings, load_settings
from cohesion.crawlers.spiders.base import CrawlContext, get_spider_class
from cohesion.resources import package_path

PROJECT = "cohesion"
SETTINGS_MODULE = "cohesion.crawlers.scrapyd_settings"
# What the egg carries: the part of the `cohesion` package a crawl runs (the rest of the
# project stays on the hub). Paths are inside the installed package.
EGG_PACKAGES = ("crawlers", "store")
# The package's own top-level modules go along (settings, runtime, taxonomy, weeks,
# retry...), but not the faces: import-linter keeps the crawlers from needing them.
FACES = frozenset({"cli", "scheduler", "__main__"})


def egg_modules(root: Path) -> list[str]:
    return sorted(p.stem for p in root.glob("*.py") if p.stem not in FACES)


POLL_INTERVAL_S = 2.0
DEFAULT_TIMEOUT_S = 6 * 3600.0


class ScrapydError(ConfigError):
    """A Scrapyd node refused or could not be reached; the message names the node."""


# --- node side: a spider started by Scrapyd ----------------------------------------------


def node_settings(settings_json: str | None, config_path: str | None) -> Settings:
    """Settings on a node: the hub's JSON (plus this node's COHESION_* variables) or a file."""
    if config_path:
        return load_settings(config_path)
    if not settings_json:
        raise ConfigError(
            "a Scrapyd crawl needs the spider argument cohesion_settings=JSON or config=PATH"
        )
    from cohesion.config import _apply_environment

    data = json.loads(settings_json)
    applied = _apply_environment(data, dict(os.environ))
    if "database.url" not in applied:
        raise ConfigError(
            "set COHESION_DATABASE_URL in the Scrapyd node's environment to the hub's database"
        )
    return Settings.model_validate(data)


def standalone_context(crawler: Any, spider_cls: type, kwargs: dict[str, Any]) -> CrawlContext:
    """The crawl context of a spider that Scrapyd (or `scrapy crawl`) started.

    Pops the spider arguments it reads (source, cohesion_settings, config, _job) from
    kwargs. The crawl_runs row and the cursor are then the lifecycle extension's
    (crawlers/lifecycle.py), exactly as for a local crawl; the node's engine is disposed
    when the spider closes.
    """
    from cohesion.crawlers.lifecycle import open_context
    from cohesion.crawlers.settings import scrapy_settings
    from cohesion.store.engine import make_engine, make_session_factory
    from cohesion.store.pseudonyms import Pseudonymiser, load_key

    name = kwargs.pop("source", None)
    if not name:
        raise ConfigError("a Scrapyd crawl needs the spider argument source=NAME")
    settings = node_settings(kwargs.pop("cohesion_settings", None), kwargs.pop("config", None))
    job = kwargs.pop("_job", None) or uuid.uuid4().hex
    source = settings.source(name)
    if source.platform != spider_cls.name:  # type: ignore[attr-defined]
        raise ConfigError(f"source {name!r} is a {source.platform} source, not {spider_cls.name}")  # type: ignore[attr-defined]
    # The crawl policy from the config; Scrapyd's own -s settings (cmdline) still win.
    crawler.settings.setdict(scrapy_settings(settings), priority="spider")
    pseudonymiser = Pseudonymiser(load_key(settings.resolve(settings.privacy.key_file)))
    engine = make_engine(settings.database.url)
    try:
        return open_context(
            settings,
            name,
            make_session_factory(engine),
            pseudonymiser,
            runner=f"scrapyd:{socket.gethostname()}:{job}",
            on_close=engine.dispose,
        )
    except Exception:
        engine.dispose()
        raise


# --- hub side: egg, deploy, schedule, poll ---------------------------------------------


def build_egg(out_dir: Path, package_root: Path | None = None) -> Path:
    """An egg of the crawler code, built with setuptools' bdist_egg in a staging folder.

    The egg holds a `cohesion` package with only the crawlers, the store and the
    settings, so a node imports the same module names as the hub.
    """
    root = package_root or package_path()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cohesion-egg-") as tmp:
        stage = Path(tmp)
        package = stage / PROJECT
        package.mkdir()
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        for sub in EGG_PACKAGES:
            shutil.copytree(root / sub, package / sub, ignore=ignore)
        for module in egg_modules(root):
            shutil.copy2(root / f"{module}.py", package / f"{module}.py")
        (stage / "setup.py").write_text(
            "from setuptools import find_packages, setup\n"
            f"setup(name={PROJECT + '-crawlers'!r}, version='1.0',\n"
            f"      packages=find_packages(include=[{PROJECT!r}, {PROJECT + '.*'!r}]),\n"
            "      include_package_data=False,\n"
            f"      entry_points={{'scrapy': ['settings = {SETTINGS_MODULE}']}},\n"
            "      zip_safe=True)\n"
        )
        result = subprocess.run(
            [sys.executable, "setup.py", "-q", "bdist_egg", "-d", "dist"],
            cwd=stage,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        if result.returncode != 0:
            raise ScrapydError(f"building the crawler egg failed: {result.stderr.strip()[-500:]}")
        [built] = list((stage / "dist").glob("*.egg"))
        target = out_dir / f"{PROJECT}.egg"
        shutil.copy2(built, target)
    return target


def code_version(package_root: Path | None = None) -> str:
    """A version naming the crawler code (a hash of the egg's sources, not of the egg,
    whose metadata carries build times): the same code is deployed once per node."""
    root = package_root or package_path()
    digest = hashlib.sha256()
    paths = [p for sub in EGG_PACKAGES for p in (root / sub).rglob("*.py")]
    paths += [root / f"{module}.py" for module in egg_modules(root)]
    for path in sorted(paths):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return "c" + digest.hexdigest()[:16]


class ScrapydNode:
    """A Scrapyd node's HTTP API (JSON answers; status "error" raises ScrapydError)."""

    def __init__(self, url: str, timeout: float = 60.0) -> None:
        import httpx

        parts = urlsplit(url.rstrip("/"))
        auth = None
        if parts.username is not None:  # http://user:password@node:6800 (Scrapyd basic auth)
            auth = httpx.BasicAuth(unquote(parts.username), unquote(parts.password or ""))
            parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
        self.url = urlunsplit(parts)  # never with the password: it goes into messages
        self._client = httpx.Client(base_url=self.url, timeout=timeout, auth=auth)

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, endpoint: str, **kwargs: Any) -> dict[str, Any]:
        import httpx

        try:
            response = self._client.request(method, f"/{endpoint}", **kwargs)
            response.raise_for_status()
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ScrapydError(f"Scrapyd at {self.url}: {endpoint}: {exc}") from None
        if answer.get("status") != "ok":
            raise ScrapydError(
                f"Scrapyd at {self.url}: {endpoint}: {answer.get('message', answer)}"
            )
        return dict(answer)

    def daemon_status(self) -> dict[str, Any]:
        return self._call("GET", "daemonstatus.json")

    def versions(self) -> list[str]:
        try:
            return list(
                self._call("GET", "listversions.json", params={"project": PROJECT})["versions"]
            )
        except ScrapydError:
            return []

    def add_version(self, version: str, egg: Path) -> None:
        self._call(
            "POST",
            "addversion.json",
            data={"project": PROJECT, "version": version},
            files={"egg": (egg.name, egg.read_bytes(), "application/octet-stream")},
        )

    def schedule(
        self, spider: str, version: str, args: dict[str, str], settings: dict[str, Any]
    ) -> str:
        job = uuid.uuid4().hex
        data: dict[str, Any] = {
            **args,
            "project": PROJECT,
            "spider": spider,
            "_version": version,
            "jobid": job,
            "setting": [f"{key}={value}" for key, value in settings.items()],
        }
        self._call("POST", "schedule.json", data=data)
        return job

    def jobs(self) -> dict[str, dict[str, Any]]:
        """job id -> {"state": pending|running|finished, ...} for this project."""
        answer = self._call("GET", "listjobs.json", params={"project": PROJECT})
        found: dict[str, dict[str, Any]] = {}
        for state in ("pending", "running", "finished"):
            for job in answer.get(state, []):
                found[job["id"]] = {**job, "state": state}
        return found

    def cancel(self, job: str) -> None:
        try:
            self._call("POST", "cancel.json", data={"project": PROJECT, "job": job})
        except ScrapydError:
            pass


def deploy(nodes: list[ScrapydNode], egg_dir: Path | None = None) -> str:
    """Upload the crawler code to every node that lacks this version; returns the version."""
    version = code_version()
    missing = [node for node in nodes if version not in node.versions()]
    if missing:
        with tempfile.TemporaryDirectory(prefix="cohesion-egg-") as tmp:
            egg = build_egg(egg_dir or Path(tmp))
            for node in missing:
                node.add_version(version, egg)
    return version


def job_settings(settings: Settings, source_name: str) -> str:
    """The settings JSON sent with a job: what the crawl needs, and no secret."""
    source = settings.source(source_name)
    data = {
        "locality": settings.locality.model_dump(mode="json"),
        "sources": [source.model_dump(mode="json")],
        "crawl": settings.crawl.model_dump(mode="json"),
        "privacy": {"keep_raw_handles": settings.privacy.keep_raw_handles},
    }
    return json.dumps(data, separators=(",", ":"))


@dataclass
class ScheduledJob:
    index: int
    source: str
    platform: str
    node: ScrapydNode
    job: str
    started: float
    state: str = "pending"


ProgressCallback = Callable[[str, str], None]  # source name, state


def crawl_via_scrapyd(
    settings: Settings,
    node_urls: list[str],
    names: list[str] | None = None,
    *,
    scrapy_overrides: dict[str, Any] | None = None,
    poll_interval: float = POLL_INTERVAL_S,
    timeout: float = DEFAULT_TIMEOUT_S,
    progress: ProgressCallback | None = None,
    egg_dir: Path | None = None,
) -> list[Any]:
    """Crawl the enabled (or named) sources as Scrapyd jobs; one SourceSummary each."""
    from cohesion.crawlers.run import CrawlJob, SourceSummary, record_skip

    if not node_urls:
        raise ScrapydError("no Scrapyd node given")
    if names:
        chosen = [settings.source(name) for name in dict.fromkeys(names)]
    else:
        chosen = [source for source in settings.sources if source.enabled]
    summaries: dict[int, SourceSummary] = {}
    runnable = []
    for index, source in enumerate(chosen):
        job = CrawlJob(settings, source.name)
        if not source.enabled:
            summaries[index] = record_skip(
                job, source, "skipped", "disabled in the config (enabled = false)"
            )
            continue
        try:  # credentials live on the nodes: only the spider and its options are checked here
            get_spider_class(source.platform).parse_options(source)
        except (ConfigError, ImportError, AttributeError) as exc:
            summaries[index] = record_skip(job, source, "failed", str(exc))
            continue
        runnable.append((index, source))
    nodes = [ScrapydNode(url) for url in dict.fromkeys(node_urls)]
    try:
        if runnable:
            for node in nodes:
                node.daemon_status()  # fail early, naming the node, when one is down
            version = deploy(nodes, egg_dir)
            scheduled = []
            for position, (index, source) in enumerate(runnable):
                node = nodes[position % len(nodes)]
                job_id = node.schedule(
                    source.platform,
                    version,
                    {
                        "source": source.name,
                        "cohesion_settings": job_settings(settings, source.name),
                    },
                    dict(scrapy_overrides or {}),
                )
                scheduled.append(
                    ScheduledJob(
                        index, source.name, source.platform, node, job_id, time.monotonic()
                    )
                )
            _wait(scheduled, poll_interval, timeout, progress)
            for item in scheduled:
                summaries[item.index] = _summary_of(settings, item)
    finally:
        for node in nodes:
            node.close()
    return [summaries[index] for index in range(len(chosen))]


def _wait(
    jobs: list[ScheduledJob],
    poll_interval: float,
    timeout: float,
    progress: ProgressCallback | None,
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        states: dict[str, dict[str, Any]] = {}
        for node in {id(j.node): j.node for j in jobs}.values():
            states.update(node.jobs())
        for item in jobs:
            state = states.get(item.job, {}).get("state", item.state)
            if state != item.state and progress is not None:
                progress(item.source, state)
            item.state = state
        if all(item.state == "finished" for item in jobs):
            return
        if time.monotonic() > deadline:
            for item in jobs:
                if item.state != "finished":
                    item.node.cancel(item.job)
                    item.state = "timeout"
            return
        time.sleep(poll_interval)


def _summary_of(settings: Settings, item: ScheduledJob) -> Any:
    """The SourceSummary of a finished job, from the crawl_runs row its spider wrote."""
    from cohesion.crawlers.run import SourceSummary
    from cohesion.store.engine import make_engine, make_session_factory, session_scope
    from cohesion.store.models import CrawlRun
    from cohesion.store.runs import CrawlCounts as StoreCounts
    from cohesion.store.runs import finish_crawl_run
    from sqlalchemy import select

    seconds = round(time.monotonic() - item.started, 2)
    engine = make_engine(settings.database.url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            run = session.scalar(
                select(CrawlRun).where(CrawlRun.runner.like(f"scrapyd:%:{item.job}"))
            )
            if run is None:
                message = (
                    f"the Scrapyd job {item.job} on {item.node.url} ended without recording a "
                    f"run (see {item.node.url}/logs/{PROJECT}/{item.platform}/{item.job}.log)"
                    if item.state == "finished"
                    else f"the Scrapyd job {item.job} on {item.node.url} timed out and was cancelled"
                )
                return SourceSummary(
                    item.source, item.platform, "failed", errors=1, message=message, seconds=seconds
                )
            if run.status == "running":  # the node process died before closing the run
                counts = StoreCounts(run.pages, run.items_seen, run.items_new, run.items_duplicate,
                                     run.errors + 1)  # fmt: skip
                why = "timed out" if item.state == "timeout" else "ended"
                finish_crawl_run(
                    session, run.id, "failed", counts,
                    f"the Scrapyd job {why} before the crawl closed (node {item.node.url})",
                )  # fmt: skip
            return SourceSummary(
                item.source,
                item.platform,
                run.status,
                pages=run.pages,
                items=run.items_seen,
                new=run.items_new,
                duplicate=run.items_duplicate,
                errors=run.errors,
                message=run.message or "",
                seconds=seconds,
                cursor_saved=run.status == "ok",
            )
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    """`python -m crawlers.scrapyd deploy URL [URL ...]`: upload the crawler egg."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m crawlers.scrapyd")
    parser.add_argument("command", choices=["deploy", "egg"])
    parser.add_argument("targets", nargs="+", help="Scrapyd URLs (deploy) or a folder (egg)")
    args = parser.parse_args(argv)
    if args.command == "egg":
        print(build_egg(Path(args.targets[0])))
        return 0
    nodes = [ScrapydNode(url) for url in args.targets]
    try:
        version = deploy(nodes)
    finally:
        for node in nodes:
            node.close()
    print(f"deployed {PROJECT} version {version} to {', '.join(args.targets)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
