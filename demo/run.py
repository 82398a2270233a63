"""`cohesion demo`: the whole pipeline on the bundled Marlow County corpus, in one call.

Steps: a fresh demo folder; the corpus served on loopback in seven platforms' real
formats; a config pointing every source there; `init` (pseudonym key, schema,
sources); a crawl through the real spiders; classification; a demo analyst account
that reviews a calibration sample by the corpus's intended labels; the weekly report
for the last complete week; a summary. A step that cannot run (no model, a broken
install) stops the demo with an error; nothing is skipped or faked.

Safety: the demo runs with every COHESION_* variable removed from its environment (so
a COHESION_DATABASE_URL pointing at a real database is never touched) and with demo
credentials for the platforms that need them (so real ones are never sent anywhere);
its pseudonym key is the demo folder's own key file. Both are restored afterwards.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from cohesion.demo.corpus import PLATFORMS, DemoCorpus, generate
from cohesion.demo.server import DemoServer
from cohesion.demo.settings import (
    CONFIG_NAME,
    DEMO_CREDENTIALS,
    SCRAPY_OVERRIDES,
    demo_settings,
    write_config,
)
from cohesion.private_files import private_dir

DEFAULT_OUT = Path("demo-output")
MARKER = ".cohesion-demo"  # a folder holding it may be wiped by the next demo
DEMO_USER = "demo-analyst"
LOGIN_FILE = "demo-login.txt"
# The demo analyst works the calibration queue of the report week and the weeks before.
CALIBRATED_WEEKS = 4

Say = Callable[[str], None]


class DemoError(RuntimeError):
    """The demo cannot run (e.g. the output folder is not a demo folder)."""


@dataclass
class DemoResult:
    out_dir: Path
    config_path: Path
    week: date
    generated: dict[str, int] = field(default_factory=dict)
    stored: dict[str, int] = field(default_factory=dict)
    crawl_failures: list[str] = field(default_factory=list)
    classified: int = 0
    flagged: dict[str, int] = field(default_factory=dict)
    reviewed: int = 0
    week_upheld: tuple[int, int] | None = None  # (upheld, reviewed) of the report week
    report_path: Path | None = None
    username: str | None = None
    password: str | None = None


def run_demo(
    out_dir: Path | str = DEFAULT_OUT,
    *,
    serve: bool = False,
    progress: Say = print,
    scale: float = 1.0,
    today: datetime | None = None,
    one_process: bool = False,
    model_dir: Path | None = None,
) -> DemoResult:
    """Run the demo into `out_dir` (wiped first when it is an earlier demo's folder).

    `scale` shrinks or grows the corpus (tests use a small one); `one_process` crawls
    every source in one child process instead of one each (faster, used by tests);
    `model_dir` classifies with that model instead of the current one.
    """
    started = time.monotonic()
    out = _fresh_folder(Path(out_dir))
    corpus = generate(today=today, scale=scale)
    week = corpus.week_starts[-1]
    progress(
        f"demo corpus: {len(corpus.posts)} posts of the fictional Marlow County, "
        f"weeks {corpus.week_starts[0]} to {week + timedelta(days=6)}"
    )
    with _demo_environment(), DemoServer(corpus) as server:
        config_path = write_config(
            out / CONFIG_NAME,
            demo_settings(
                {platform: server.base_url(platform) for platform in PLATFORMS}, corpus.events
            ),
        )
        result = DemoResult(
            out,
            config_path.resolve(),
            week,
            generated={p: len(corpus.for_platform(p)) for p in PLATFORMS},
        )
        _init(config_path, progress)
        _crawl(config_path, result, progress, one_process)
    with _demo_environment():
        _after_crawl(corpus, result, progress, model_dir)
        summary(result, progress)
        progress(f"demo finished in {time.monotonic() - started:.0f} s")
        if serve:
            _serve(result, progress)
    return result


def _fresh_folder(out: Path) -> Path:
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise DemoError(
            f"{out} exists and is not a demo folder (no {MARKER} in it); "
            "choose another --out or remove it yourself"
        )
    if out.exists():
        shutil.rmtree(out)
    private_dir(out)  # it will hold a database, reports and the demo login
    (out / MARKER).write_text("written by `cohesion demo`; the next demo wipes this folder\n")
    return out.resolve()


@contextmanager
def _demo_environment() -> Iterator[None]:
    saved = dict(os.environ)
    for name in [n for n in os.environ if n.startswith("COHESION_")]:
        del os.environ[name]
    os.environ.update(DEMO_CREDENTIALS)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _init(config_path: Path, say: Say) -> None:
    from cohesion.jobs.setup import init_project

    init = init_project(config_path)
    say(f"init: database at schema {init.revision}, {len(init.sources)} sources registered")


def _crawl(config_path: Path, result: DemoResult, say: Say, one_process: bool) -> None:
    from cohesion.config import load_settings
    from cohesion.crawlers.run import CrawlJob, crawl_jobs, crawl_sources

    settings = load_settings(config_path)
    say("crawl: the real spiders against the loopback demo sites...")
    started = time.monotonic()
    if one_process:
        jobs = [CrawlJob(settings, s.name, dict(SCRAPY_OVERRIDES)) for s in settings.sources]
        summaries = crawl_jobs(jobs, one_process=True)
    else:
        summaries = crawl_sources(settings, scrapy_overrides=dict(SCRAPY_OVERRIDES))
    for s in summaries:
        note = f" ({s.message})" if s.message else ""
        say(f"  {s.name}: {s.status}, {s.pages} pages, {s.new} new posts{note}")
        if s.status != "ok":
            result.crawl_failures.append(s.name)
    say(f"crawl: done in {time.monotonic() - started:.0f} s")


def _after_crawl(corpus: DemoCorpus, result: DemoResult, say: Say, model_dir: Path | None) -> None:
    from cohesion.runtime import Runtime

    runtime = Runtime.open(result.config_path)
    try:
        result.stored = _stored_per_platform(runtime)
        _classify(runtime, result, model_dir, say)
        user_id = _account(runtime, result, say)
        _calibrate(runtime, corpus, result, user_id, say)
        _report(runtime, result, say)
    finally:
        runtime.close()


def _stored_per_platform(runtime: Any) -> dict[str, int]:
    from cohesion.store.engine import session_scope
    from cohesion.store.models import Post
    from sqlalchemy import func, select

    with session_scope(runtime.sessions) as session:
        rows = session.execute(select(Post.platform, func.count()).group_by(Post.platform))
        return {platform: count for platform, count in rows}


def _classify(runtime: Any, result: DemoResult, model_dir: Path | None, say: Say) -> None:
    from cohesion.jobs.classify import classify_stored

    started = time.monotonic()
    # A missing or broken model is an error of the install, not a step to skip: the
    # ModelLoadError reaches the command, which prints it and exits 2.
    outcome = classify_stored(runtime, model_dir=model_dir)
    if outcome.classified == 0:
        raise DemoError("classify: the model classified none of the crawled posts")
    result.classified = outcome.classified
    result.flagged = _flag_counts(runtime)
    say(
        f"classify: {outcome.classified} posts with {outcome.model_version}, "
        f"{outcome.flagged} flagged ({time.monotonic() - started:.0f} s)"
    )


def _flag_counts(runtime: Any) -> dict[str, int]:
    from cohesion.store.engine import session_scope
    from cohesion.store.models import Classification
    from cohesion.store.status import active_model
    from cohesion.taxonomy import LABELS
    from sqlalchemy import func, select

    with session_scope(runtime.sessions) as session:
        model = active_model(session)
        if model is None:
            return {}
        columns = [
            func.count().filter(getattr(Classification, f"flag_{label}")) for label in LABELS
        ]
        row = session.execute(
            select(func.count().filter(Classification.flagged), *columns).where(
                Classification.model_version_id == model.id
            )
        ).one()
        return {"any": row[0], **dict(zip(LABELS, row[1:], strict=True))}


def _account(runtime: Any, result: DemoResult, say: Say) -> int:
    """The demo analyst's account (role admin, so every page of the app can be toured)."""
    from cohesion.review.accounts import add_user

    password = secrets.token_urlsafe(12)
    user = add_user(runtime.sessions, DEMO_USER, password, "admin", actor="demo")
    login = result.out_dir / LOGIN_FILE
    login.touch(mode=0o600)
    login.write_text(
        f"review app login for this demo only\nuser: {DEMO_USER}\npassword: {password}\n"
    )
    result.username, result.password = DEMO_USER, password
    say(f"review: created the account {DEMO_USER} (role admin) with a random password")
    return user.id


def _calibrate(
    runtime: Any, corpus: DemoCorpus, result: DemoResult, user_id: int, say: Say
) -> None:
    from cohesion.demo.calibration import review_sample
    from cohesion.store.engine import session_scope

    weeks = [result.week - timedelta(weeks=n) for n in range(CALIBRATED_WEEKS)]
    with session_scope(runtime.sessions) as session:
        done = review_sample(session, corpus, user_id=user_id, actor=DEMO_USER, weeks=weeks)
    result.reviewed = done.reviewed
    if done.flagged_per_week.get(result.week):
        result.week_upheld = (
            done.upheld_per_week.get(result.week, 0),
            done.flagged_per_week[result.week],
        )
    decisions = ", ".join(f"{n} {d}" for d, n in sorted(done.decisions.items()))
    say(
        f"review: {DEMO_USER} worked the calibration queue of {len(weeks)} weeks, "
        f"{done.reviewed} posts, by the corpus's intended labels ({decisions or 'none'})"
    )


def _report(runtime: Any, result: DemoResult, say: Say) -> None:
    from cohesion.jobs.report import weekly_report

    started = time.monotonic()
    report = weekly_report(runtime, result.week)
    index = report.out_dir / "index.html"
    result.report_path = index if index.exists() else report.out_dir
    spikes = ", ".join(report.spikes) or "none"
    say(
        f"report: week {report.week} written to {report.out_dir} (spikes: {spikes}; "
        f"{time.monotonic() - started:.0f} s)"
    )


def summary(result: DemoResult, say: Say) -> None:
    say("")
    say(f"Cohesion demo: Marlow County (fictional), week of {result.week.isoformat()}")
    say("posts per platform (served -> stored; broad sources keep only local posts):")
    for platform in PLATFORMS:
        say(
            f"  {platform:<10} {result.generated.get(platform, 0):>5} -> "
            f"{result.stored.get(platform, 0):>5}"
        )
    if result.flagged:
        labels = ", ".join(f"{k} {v}" for k, v in result.flagged.items() if k != "any")
        say(f"flagged by the model: {result.flagged.get('any', 0)} posts ({labels})")
    if result.week_upheld is not None:
        upheld, reviewed = result.week_upheld
        say(
            f"measured precision this week: {upheld} of {reviewed} sampled flags upheld by the "
            "demo analyst's calibration reviews"
        )
    if result.report_path is not None:
        say(f"weekly report: {result.report_path.as_uri()}")
    config = _shown(result.config_path)
    if result.username:
        say(f"review app: cohesion --config {config} review   then open http://127.0.0.1:8080")
        say(
            f"  login: {result.username} / {result.password}   (kept in "
            f"{_shown(result.out_dir / LOGIN_FILE)})"
        )
    if result.crawl_failures:
        say(
            f"crawl problems: {', '.join(result.crawl_failures)} (see `cohesion --config "
            f"{config} status`)"
        )


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _serve(result: DemoResult, say: Say) -> None:
    from cohesion.jobs.review import serve_review
    from cohesion.runtime import Runtime

    runtime = Runtime.open(result.config_path)
    settings = runtime.settings.review
    say(f"serving the review app on http://{settings.host}:{settings.port} (Ctrl-C stops it)")
    try:
        serve_review(runtime)
    finally:
        runtime.close()
