"""The demo corpus: eight weeks of posts about the fictional Marlow County.

Deterministic: the same seed, scale and end week give the same posts, byte for byte.
The end week is the last complete ISO week (locality time) before `today`, so the
weekly report's default week is populated whenever the demo runs.

What is planted (all parameters of `generate`):
- mostly ordinary local talk, with offensive, hateful, anti-government, threatening and
  doxxing posts at rates that differ per platform (a hostile Telegram channel and 4chan
  threads, a mostly civil forum and news site);
- a spike in `spike_week` (default: the last week, the one the report covers): the
  county commission's canvass meeting on its Monday is followed, from Tuesday on, by
  an election-fraud narrative and threats against the election office, mostly from the
  loud accounts;
- in the same week, St. Brendan's Church holds a Pride service on Thursday, and from
  Friday on hate against LGBTQ+ residents and the church's pastor floods in (with
  counter-speech beside it): a second spike, by target;
- both events are on the local calendar (`DemoCorpus.events`, written into the demo
  config), so the report can say which event each spike began after;
- threats and doxxing aimed at the watchlist (the Marlow County Election Office and
  Election Director Sam Okafor) in the spike week;
- a few loud accounts writing a large share of the flagged posts;
- a copy-paste campaign in `spike_week`: one script naming the election office, posted
  word for word by `COPY_PASTE_ACCOUNTS` ordinary accounts on reddit, Mastodon and
  Bluesky within two hours (`copy_paste=False` leaves it out);
- `silent_source` (the hostile Telegram channel) posting nothing in `silent_week`
  (default: the week before the last), which collector health must flag; it is back in
  the report week.
Every post carries its intended labels (`truth`), which the demo analyst reviews by.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cohesion import weeks as isoweeks
from cohesion.demo.pools import Template, Truth, fill, first_sentence, load_pool
from cohesion.demo.vocab import FIRST_NAMES, HANDLE_PARTS, LOUD_ACCOUNTS, TIMEZONE, place_names

DEFAULT_SEED = 20240601
WEEKS = 8
PLATFORMS = ("reddit", "mastodon", "bluesky", "telegram", "fourchan", "rss", "discourse")
# The demo source (config name) of each platform and the listing it reads.
SOURCE_NAMES = {
    "reddit": "reddit-marlowcounty",
    "mastodon": "mastodon-marlow",
    "bluesky": "bluesky-marlow",
    "telegram": "telegram-marlowpatriots",
    "fourchan": "fourchan-pol",
    "rss": "rss-marlow-gazette",
    "discourse": "discourse-quill-lake",
}
TELEGRAM_CHANNEL = "marlowpatriots"
# Posts per week per platform at scale 1.0 (4chan also gets an off-topic thread).
WEEKLY_POSTS = {
    "reddit": 70,
    "mastodon": 30,
    "bluesky": 30,
    "telegram": 20,
    "fourchan": 25,
    "rss": 30,
    "discourse": 30,
}
# Share of each kind per platform: ordinary, hard_negative, offensive, hate, antigov,
# threat, doxxing.
KINDS = ("ordinary", "hard_negative", "offensive", "hate", "antigov", "threat", "doxxing")
MIX = {
    "reddit": (0.76, 0.09, 0.06, 0.02, 0.05, 0.015, 0.005),
    "mastodon": (0.80, 0.10, 0.03, 0.02, 0.04, 0.01, 0.0),
    "bluesky": (0.72, 0.09, 0.05, 0.03, 0.07, 0.03, 0.01),
    "telegram": (0.25, 0.02, 0.08, 0.12, 0.35, 0.14, 0.04),
    "fourchan": (0.34, 0.03, 0.17, 0.18, 0.17, 0.09, 0.02),
    "rss": (0.72, 0.08, 0.07, 0.03, 0.07, 0.02, 0.01),
    "discourse": (0.86, 0.08, 0.03, 0.01, 0.02, 0.0, 0.0),
}
SPIKE_POSTS = 80  # extra posts in the spike week at scale 1.0
SPIKE_PLATFORMS = {
    "telegram": 0.15,
    "reddit": 0.3,
    "bluesky": 0.2,
    "fourchan": 0.2,
    "mastodon": 0.1,
    "rss": 0.1,
    "discourse": 0.1,
}
LOUD_SHARE = 0.6  # chance that a flagged post comes from a loud account (where one posts)
SPIKE_LOUD_SHARE = 0.8
# The local calendar of the spike week: (day of the week, title, kind), and the day
# each burst begins (the day after its event).
CANVASS_EVENT = (0, "County commission meeting: canvass certification", "meeting")
CHURCH_EVENT = (3, "Pride service at St. Brendan's Church", "community")
SPIKE_FIRST_DAY = CANVASS_EVENT[0] + 1
CHURCH_FIRST_DAY = CHURCH_EVENT[0] + 1
CHURCH_POSTS = 30  # the church burst at scale 1.0
CHURCH_PLATFORMS = {"reddit": 0.3, "bluesky": 0.25, "mastodon": 0.15, "telegram": 0.15,
                    "fourchan": 0.15}  # fmt: skip
AUTHORS_PER_PLATFORM = 150
COPY_PASTE_ACCOUNTS = 9
COPY_PASTE_PLATFORMS = ("reddit", "mastodon", "bluesky")


@dataclass(slots=True)
class DemoPost:
    """One generated post, with what the renderers need and its ground truth."""

    platform: str
    source: str
    created_at: datetime  # UTC, whole seconds, unique per platform
    text: str
    truth: Truth
    author: str | None
    week: int  # 1..WEEKS
    title: str | None = None
    parent: DemoPost | None = field(default=None, repr=False)
    root: DemoPost | None = field(default=None, repr=False)  # thread start (None: itself)
    seq: int = 0  # 1-based position in its platform's posts, by time (renderers' ids)
    local: bool = True  # names a place of the gazetteer (with its thread's title)

    @property
    def thread(self) -> DemoPost:
        return self.root or self

    @property
    def epoch(self) -> int:
        return int(self.created_at.timestamp())


@dataclass(slots=True)
class DemoCorpus:
    posts: list[DemoPost]
    week_starts: list[date]  # Monday of each week, oldest first
    spike_week: int
    silent_week: int
    silent_source: str
    seed: int
    scale: float
    # The local calendar: (day, title, kind) of the events planted before the bursts.
    events: list[tuple[date, str, str]] = field(default_factory=list)
    _truth: dict[tuple[str, int], Truth] = field(default_factory=dict, repr=False)

    def for_platform(self, platform: str) -> list[DemoPost]:
        return [post for post in self.posts if post.platform == platform]

    def truth_of(self, platform: str, created_at: datetime) -> Truth | None:
        """The intended labels of the post a platform dated `created_at` (unique key)."""
        moment = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
        if not self._truth:
            self._truth.update({(post.platform, post.epoch): post.truth for post in self.posts})
        return self._truth.get((platform, int(moment.timestamp())))

    def counts(self) -> Counter[tuple[str, int]]:
        return Counter((post.platform, post.week) for post in self.posts)


def last_complete_week(today: datetime | None = None, tz: str = TIMEZONE) -> date:
    """Monday of the last ISO week that ended before `today` (locality time)."""
    return isoweeks.last_complete_week(today or datetime.now(UTC), tz)


def generate(
    *,
    today: datetime | None = None,
    end_week: date | None = None,
    scale: float = 1.0,
    seed: int = DEFAULT_SEED,
    spike_week: int = WEEKS,
    silent_week: int = WEEKS - 1,
    silent_platform: str = "telegram",
    copy_paste: bool = True,
) -> DemoCorpus:
    """The demo corpus: WEEKS weeks ending with `end_week` (default: last complete)."""
    end = end_week or last_complete_week(today)
    starts = [end - timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]
    builder = _Builder(random.Random(seed), starts, scale)
    for week in range(1, WEEKS + 1):
        for platform in PLATFORMS:
            if platform == silent_platform and week == silent_week:
                continue
            builder.week_of_platform(platform, week)
        if week == spike_week:
            builder.spike(week, skip=silent_platform if silent_week == week else None)
    if copy_paste:  # last, so every other post stays as it was without it
        builder.copy_paste(spike_week)
    posts = builder.finish()
    monday = starts[spike_week - 1]
    events = [
        (monday + timedelta(days=day), title, kind)
        for day, title, kind in (CANVASS_EVENT, CHURCH_EVENT)
    ]
    return DemoCorpus(
        posts, starts, spike_week, silent_week, SOURCE_NAMES[silent_platform], seed, scale,
        events,
    )  # fmt: skip


class _Builder:
    def __init__(self, rng: random.Random, starts: list[date], scale: float) -> None:
        self.rng = rng
        self.starts = starts
        self.scale = scale
        self.posts: list[DemoPost] = []
        self.taken: dict[str, set[int]] = {p: set() for p in PLATFORMS}
        self.authors = {p: _ordinary_authors(random.Random(f"{p}-authors")) for p in PLATFORMS}
        self.weights = [1 / (rank + 1) ** 0.8 for rank in range(AUTHORS_PER_PLATFORM)]
        self.zone = ZoneInfo(TIMEZONE)
        names = "|".join(re.escape(name) for name in place_names())
        self.places = re.compile(rf"(?<!\w)(?:{names})(?!\w)", re.IGNORECASE)

    # Counts and times -------------------------------------------------------------
    def count(self, per_week: float) -> int:
        jitter = self.rng.uniform(0.85, 1.15)
        return max(1, round(per_week * self.scale * jitter))

    def week_bounds(self, week: int) -> tuple[datetime, datetime]:
        start = datetime.combine(self.starts[week - 1], time(0), tzinfo=self.zone)
        return start, start + timedelta(days=7)

    def moment(
        self, platform: str, week: int, after: datetime | None = None, from_day: int = 0
    ) -> datetime:
        """A free second in the week (from its day `from_day` on), or shortly after
        `after` (a reply)."""
        start, end = self.week_bounds(week)
        earliest = start + timedelta(days=from_day, hours=1)
        if after is None:
            low, high = earliest, end - timedelta(hours=1)
        else:
            low = max(after + timedelta(minutes=2), earliest)
            high = min(max(after, earliest) + timedelta(hours=30), end - timedelta(minutes=10))
            high = max(high, low + timedelta(minutes=5))
        seconds = self.rng.randrange(int((high - low).total_seconds()))
        moment = (low + timedelta(seconds=seconds)).astimezone(UTC).replace(microsecond=0)
        while int(moment.timestamp()) in self.taken[platform]:
            moment += timedelta(seconds=1)
        self.taken[platform].add(int(moment.timestamp()))
        return moment

    # Content ------------------------------------------------------------------------
    def template(self, pool: str) -> Template:
        """A random template of a pool (the pools of KINDS are named after them)."""
        return self.rng.choice(load_pool(pool).templates)

    def kind(self, platform: str) -> str:
        return self.rng.choices(KINDS, weights=MIX[platform])[0]

    def author(self, platform: str, truth: Truth, loud_share: float = LOUD_SHARE) -> str | None:
        if platform == "telegram":
            return TELEGRAM_CHANNEL
        loud = [handles[platform] for handles in LOUD_ACCOUNTS.values() if platform in handles]
        if truth.flagged and loud and self.rng.random() < loud_share:
            return self.rng.choices(loud, weights=[len(loud) - i for i in range(len(loud))])[0]
        if platform == "fourchan":
            return None  # Anonymous: 4chan posters without a tripcode have no identity
        return handle_on(
            platform, self.rng.choices(self.authors[platform], weights=self.weights)[0]
        )

    def add(
        self,
        platform: str,
        week: int,
        template: Template,
        *,
        parent: DemoPost | None = None,
        title: str | None = None,
        titled: bool = False,
        loud_share: float = LOUD_SHARE,
        from_day: int = 0,
        text: str | None = None,
    ) -> DemoPost:
        """One post; `titled`: its title is its first sentence (a forum topic); `text`:
        this text instead of the template filled anew (a copy)."""
        text = fill(template.text, self.rng) if text is None else text
        if platform == "mastodon":  # a hashtag timeline shows only posts with the tag
            text += " #MarlowCounty"
        elif platform == "bluesky" and not self.places.search(text):
            text += " #Marlow"  # found by the source's searches, like people tag posts
        if titled:
            title = first_sentence(text)
        post = DemoPost(
            platform=platform,
            source=SOURCE_NAMES[platform],
            created_at=self.moment(platform, week, parent.created_at if parent else None, from_day),
            text=text,
            truth=template.truth,
            author=self.author(platform, template.truth, loud_share),
            week=week,
            title=title,
            parent=parent,
            root=(parent.thread if parent is not None else None),
        )
        thread_title = post.thread.title or ""
        post.local = bool(self.places.search(f"{thread_title}\n{post.title or ''}\n{text}"))
        self.posts.append(post)
        return post

    def random_post(self, platform: str, week: int, **kwargs: object) -> DemoPost:
        kind = self.kind(platform)
        return self.add(platform, week, self.template(kind), **kwargs)  # type: ignore[arg-type]

    # Structure per platform ----------------------------------------------------------
    def week_of_platform(self, platform: str, week: int) -> None:
        n = self.count(WEEKLY_POSTS[platform])
        if platform in ("reddit", "discourse"):
            self.threads(platform, week, n, per_thread=(0, 6), titled=True)
        elif platform in ("mastodon", "bluesky"):
            self.threads(platform, week, n, per_thread=(0, 2), titled=False)
        elif platform == "telegram":
            for _ in range(n):
                self.random_post(platform, week)
        elif platform == "fourchan":
            self.fourchan(week, n)
        elif platform == "rss":
            self.rss(week, n)

    def threads(
        self, platform: str, week: int, n: int, *, per_thread: tuple[int, int], titled: bool
    ) -> None:
        while n > 0:
            root = self.add(platform, week, self.template(self.kind(platform)), titled=titled)
            n -= 1
            replies = min(n, self.rng.randint(*per_thread))
            thread = [root]
            for _ in range(replies):
                parent = self.rng.choice(thread)
                thread.append(self.random_post(platform, week, parent=parent))
                n -= 1

    def fourchan(self, week: int, n: int) -> None:
        threads = max(1, round(n / 8))
        subjects = [
            "Marlow County General /mcg/",
            "Quill Lake thread",
            "Bexley is finished",
            "Fenwick news general",
            "Harlan Springs thread",
        ]
        for index in range(threads):
            op = self.random_post("fourchan", week, title=self.rng.choice(subjects))
            for _ in range(max(0, n // threads - 1) + (index < n % threads)):
                self.random_post("fourchan", week, parent=op)
        # an off-topic thread that the locality filter drops
        op = self.add("fourchan", week, self.template("offtopic"), title="/cheap/ dinner thread")
        for _ in range(self.rng.randint(2, 4)):
            self.add("fourchan", week, self.template("offtopic"), parent=op)

    def rss(self, week: int, n: int) -> None:
        articles = []
        for _ in range(max(1, round(n / 6))):
            template = self.template("news")
            articles.append(
                self.add("rss", week, template, title=fill(template.title or "", self.rng))
            )
        for _ in range(n - len(articles)):
            self.random_post("rss", week, parent=self.rng.choice(articles))

    def spike(self, week: int, skip: str | None) -> None:
        platforms = {p: w for p, w in SPIKE_PLATFORMS.items() if p != skip}
        for _ in range(round(SPIKE_POSTS * self.scale)):
            platform = self.rng.choices(list(platforms), weights=list(platforms.values()))[0]
            self._spike_post(platform, week, self.template("spike"), SPIKE_FIRST_DAY)
        # every watchlist template once: threats and doxxing aimed at the watchlist
        for template in load_pool("watchlist").templates:
            platform = self.rng.choice(["reddit", "bluesky", "fourchan", "mastodon"])
            self._spike_post(platform, week, template, SPIKE_FIRST_DAY)
        church = {p: w for p, w in CHURCH_PLATFORMS.items() if p != skip}
        for _ in range(round(CHURCH_POSTS * self.scale)):
            platform = self.rng.choices(list(church), weights=list(church.values()))[0]
            self._spike_post(platform, week, self.template("church"), CHURCH_FIRST_DAY)

    def _spike_post(self, platform: str, week: int, template: Template, from_day: int) -> None:
        """A post in the week's threads (always on 4chan and RSS: replies), or a new one."""
        existing = [
            p
            for p in self.posts
            if p.platform == platform
            and p.week == week
            and p.parent is None
            and p.truth.kind != "offtopic"
        ]
        parent = None
        if platform in ("fourchan", "rss") or (
            platform != "telegram" and existing and self.rng.random() < 0.5
        ):
            parent = self.rng.choice(existing) if existing else None
        titled = parent is None and platform in ("reddit", "discourse")
        self.add(
            platform, week, template, parent=parent, titled=titled,
            loud_share=SPIKE_LOUD_SHARE, from_day=from_day,
        )  # fmt: skip

    def copy_paste(self, week: int) -> None:
        """One script, word for word, from COPY_PASTE_ACCOUNTS accounts within two hours
        of Wednesday evening (locality time), spread over COPY_PASTE_PLATFORMS."""
        template = self.template("copypaste")
        text = fill(template.text, self.rng)
        start, _ = self.week_bounds(week)
        evening = (start + timedelta(days=2, hours=19)).astimezone(UTC)
        for n in range(COPY_PASTE_ACCOUNTS):
            platform = COPY_PASTE_PLATFORMS[n % len(COPY_PASTE_PLATFORMS)]
            moment = evening + timedelta(minutes=13 * n, seconds=self.rng.randrange(60))
            while int(moment.timestamp()) in self.taken[platform]:
                moment += timedelta(seconds=1)
            self.taken[platform].add(int(moment.timestamp()))
            post = self.add(platform, week, template, text=text)
            # Its own time and a distinct ordinary account (add() drew others).
            self.taken[platform].discard(post.epoch)
            post.created_at = moment
            post.author = handle_on(platform, self.authors[platform][-1 - n])

    def finish(self) -> list[DemoPost]:
        self.posts.sort(key=lambda p: (p.platform, p.created_at))
        for platform in PLATFORMS:
            for seq, post in enumerate((p for p in self.posts if p.platform == platform), 1):
                post.seq = seq
        return self.posts


def _ordinary_authors(rng: random.Random) -> list[str]:
    first, second = HANDLE_PARTS
    handles: list[str] = []
    while len(handles) < AUTHORS_PER_PLATFORM:
        a, b, n = rng.choice(first), rng.choice(second), rng.randrange(1, 99)
        handle = rng.choice([f"{a}_{b}", f"{a}_{b}_{n}", f"{a}{b}{n}"])
        if handle not in handles:
            handles.append(handle)
    return handles


def handle_on(platform: str, handle: str) -> str:
    """An ordinary handle as the platform writes it (loud handles are already so)."""
    if platform == "mastodon" and "@" not in handle:
        return f"{handle}@social.marlow.example"
    if platform == "bluesky" and "." not in handle:
        return f"{handle.replace('_', '')}.bsky.social"
    if platform == "rss" and not handle[:1].isupper():
        return f"{FIRST_NAMES[hash_index(handle, len(FIRST_NAMES))]} {handle[:1].upper()}."
    return handle


def hash_index(text: str, size: int) -> int:
    """A stable (not Python-hash-seeded) index for a text."""
    return sum(text.encode("utf-8")) % size
