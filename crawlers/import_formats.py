"""4CAT and Zeeschuimer items -> the fields of a post, per platform (`cohesion import`).

One line or CSV row of a 4CAT or Zeeschuimer export is one of:

- a Zeeschuimer envelope `{"item_id", "source_platform", "timestamp_collected", "data"}`
  whose `data` is the platform's own item ("raw");
- a 4CAT "original" NDJSON item: the raw item itself, with the envelope's fields under
  `__import_meta` when it came from Zeeschuimer;
- a 4CAT mapped item: a row of the dataset's CSV ("Download csv") or a line of the
  API's NDJSON, with 4CAT's columns (id, thread_id, body, author, timestamp...).

`item_fields` tells them apart, names the platform (from `source_platform`, from the
shape of a raw item or from the columns of a mapped one; `--platform` where the file
does not say) and reads the post's fields through the platform's `Mapping` below.
The same tables are printed in docs/imports.md (`mapping_table_markdown`), and a test
keeps the two alike.

Identity follows the crawlers (crawlers/spiders/*.py) so that an imported and a
crawled copy of one post are stored once: 4chan `board/no`, Telegram `channel/no`,
Reddit fullnames (`t3_...`, `t1_...`), Bluesky `at://` URIs, Mastodon status URIs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cohesion.crawlers.spiders.bluesky import permalink
from cohesion.crawlers.spiders.fourchan import TITLE_CHARS
from cohesion.crawlers.spiders.mastodon import author_handle
from cohesion.crawlers.text import html_to_text

Item = dict[str, Any]
Getter = Callable[[Item], Any]


class BadRowError(ValueError):
    """One row is unusable; the message says why (never with the post's text)."""


# --- reading nested items --------------------------------------------------------------


def get_path(item: Any, path: str) -> Any:
    """`item["a"]["b"][0]` for "a.b.0"; None when any step is missing or empty."""
    value = item
    for key in path.split("."):
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return None
        if value is None:
            return None
    return None if value == "" else value


def first(*paths: str) -> Getter:
    def get(item: Item) -> Any:
        for path in paths:
            value = get_path(item, path)
            if value is not None:
                return value
        return None

    return get


@dataclass(frozen=True)
class Rule:
    """One post field (or `engagement.NAME`), where it comes from, and how it is read."""

    field: str
    source: str  # for the documentation table
    get: Getter


def take(field: str, *paths: str, note: str = "") -> Rule:
    """A field read from the first non-empty source path."""
    source = ", else ".join(f"`{p}`" for p in paths) + (f" ({note})" if note else "")
    return Rule(field, source, first(*paths))


def count(name: str, *paths: str) -> Rule:
    return take(f"engagement.{name}", *paths)


@dataclass(frozen=True)
class Mapping:
    platform: str
    rules: tuple[Rule, ...]
    # How a 4CAT "YYYY-MM-DD HH:MM:SS" time without a zone was written: "utc" (4CAT
    # converted it), or "local" (the 4CAT server's local time: refused unless
    # --timezone names that zone).
    naive_time: str = "local"
    # Text is HTML: True (Mastodon-like APIs), False, or None to tell from the text
    # itself (4CAT's 4chan bodies are the API's HTML in some exports, text in others).
    html: bool | None = False
    # Markup dropped from HTML text, as the platform's crawler drops it.
    drop_selectors: tuple[str, ...] = ()
    # Every post carries its thread's title, as the 4chan crawler stores them (so that a
    # reply in a thread about a place is local like its thread); read from the thread's
    # opening post earlier in the file.
    thread_titles: bool = False


# --- ids scoped as the crawlers scope them --------------------------------------------


def _scoped(scope: Any, local: Any, what: str) -> str | None:
    if local is None:
        return None
    if scope is None:
        raise BadRowError(f"no {what}: its post numbers are unique per {what} only")
    return f"{scope}/{local}"


_QUOTE = re.compile(r"(?:>>|&gt;&gt;)(\d+)")
_LOOKS_HTML = re.compile(r"<(?:br|a|span|p|wbr|s|b|i)\b[^>]*>|&(?:gt|lt|amp|quot|#0?39);")


def _fourchan_id(item: Item) -> str | None:
    return _scoped(get_path(item, "board"), get_path(item, "id"), "board")


def _fourchan_thread(item: Item) -> str | None:
    return _scoped(get_path(item, "board"), get_path(item, "thread_id"), "board")


def _fourchan_parent(item: Item) -> str | None:
    """As the crawler: the first post quoted (>>N), else the thread; none for the OP."""
    board, no, thread = (get_path(item, k) for k in ("board", "id", "thread_id"))
    if no is None or thread is None or str(no) == str(thread):
        return None
    quoted = _QUOTE.search(str(get_path(item, "body") or ""))
    return _scoped(board, quoted.group(1) if quoted else thread, "board")


# 4CAT's 4chan account columns: name, tripcode, poster ID, capcode. In a pseudonymised
# export each holds a salted hash; two of them alike are both the hash of "" (a name,
# a tripcode, an ID and a capcode are never the same text).
_FOURCHAN_ACCOUNT = ("author", "author_trip", "author_type", "author_type_id")


def _fourchan_value(item: Item, column: str) -> str | None:
    value = get_path(item, column)
    if value is None:
        return None
    text = str(value)
    if _HASHED.match(text) and any(
        other != column and str(item.get(other)) == text for other in _FOURCHAN_ACCOUNT
    ):
        return None
    return text


def _fourchan_author(item: Item) -> str | None:
    """As the crawler: the tripcode, else the name, else the thread's poster ID."""
    trip = _fourchan_value(item, "author_trip")
    if trip is not None:
        return trip
    name = _fourchan_value(item, "author")
    if name is not None and name.strip() != "Anonymous" and not _HASHED.match(name):
        return name
    # 4CAT keeps the API's per-thread poster ID in `author_type`. A name 4CAT hashed may
    # be "Anonymous" (most are): without a poster ID it is stored as no author.
    board, thread = get_path(item, "board"), get_path(item, "thread_id")
    poster = _fourchan_value(item, "author_type")
    if poster is not None and board is not None and thread is not None:
        return f"{board}/{thread}/ID:{poster}"
    return None if name is not None and _HASHED.match(name) else name


def _fourchan_url(item: Item) -> str | None:
    board, no, thread = (get_path(item, k) for k in ("board", "id", "thread_id"))
    if board is None or no is None or thread is None:
        return None
    return f"https://boards.4chan.org/{board}/thread/{thread}#p{no}"


def _telegram_channel_mapped(item: Item) -> Any:
    return first("thread_id", "chat")(item)


def _telegram_number_mapped(item: Item) -> str | None:
    """4CAT writes the id as `<channel>-<message number>`."""
    raw = get_path(item, "id")
    return None if raw is None else str(raw).rsplit("-", 1)[-1]


def _telegram_channel_raw(item: Item) -> Any:
    """The channel as 4CAT names it: username, else id, else its title without spaces."""
    chat = get_path(item, "_chat")
    if isinstance(chat, dict):
        name = get_path(chat, "username") or get_path(chat, "id")
        if name is None and get_path(chat, "title"):
            name = re.sub(r"\s", "", str(chat["title"]))
        return name
    return first("_chat_peer.chats.0.username", "_chat_peer.channel_id", "peer_id.channel_id")(item)


def _telegram(channel: Getter, number: Getter, reply: str) -> tuple[Rule, ...]:
    def external_id(item: Item) -> str | None:
        return _scoped(channel(item), number(item), "channel")

    def parent(item: Item) -> str | None:
        return _scoped(channel(item), get_path(item, reply), "channel")

    def url(item: Item) -> str | None:
        chan, no = channel(item), number(item)
        return f"https://t.me/{chan}/{no}" if chan is not None and no is not None else None

    return (
        Rule("external_id", "`<channel>/<message number>` (the crawler's key)", external_id),
        Rule("parent_id", f"`<channel>/` + `{reply}`", parent),
        Rule("url", "`https://t.me/<channel>/<message number>`", url),
    )


def _reddit_fullname(item: Item) -> str | None:
    raw, thread = get_path(item, "id"), get_path(item, "thread_id")
    if raw is None:
        return None
    raw = str(raw)
    if raw.startswith(("t1_", "t3_")):
        return raw
    return f"t3_{raw}" if thread is None or str(thread) == raw else f"t1_{raw}"


def _reddit_thread(item: Item) -> str | None:
    thread = get_path(item, "thread_id")
    if thread is None:
        return None
    return str(thread) if str(thread).startswith("t3_") else f"t3_{thread}"


def _reddit_url(item: Item) -> str | None:
    permalink = get_path(item, "permalink")
    if permalink:
        return f"https://www.reddit.com{permalink}" if str(permalink).startswith("/") else permalink
    name, thread = _reddit_fullname(item), _reddit_thread(item)
    if name is None or thread is None:
        return None
    if name == thread:
        return f"https://www.reddit.com/comments/{thread[3:]}/"
    return f"https://www.reddit.com/comments/{thread[3:]}/_/{name[3:]}/"


def _reddit_text(item: Item) -> Any:
    """A link post's only words are its title (as the crawler)."""
    return first("body", "subject")(item)


def _bluesky_parent_mapped(item: Item) -> str | None:
    """4CAT writes the parent as a bsky.app link; an at:// URI when it names a DID."""
    link = get_path(item, "replied_to_post")
    match = re.search(r"/profile/(did:[^/]+)/post/([^/?#]+)", str(link or ""))
    return f"at://{match.group(1)}/app.bsky.feed.post/{match.group(2)}" if match else None


def _bluesky_url_raw(item: Item) -> str | None:
    uri = get_path(item, "uri")
    if not isinstance(uri, str) or uri.count("/") < 4:
        return None
    return permalink(uri, get_path(item, "author") or {})


def _x_time(item: Item) -> Any:
    """X's `Wed Oct 10 20:19:24 +0000 2018` as ISO 8601 (left as it is when unreadable)."""
    value = get_path(item, "legacy.created_at")
    try:
        return datetime.strptime(str(value), "%a %b %d %H:%M:%S %z %Y").isoformat()
    except ValueError:
        return value


_X_SCREEN_NAME = first(
    "core.user_results.result.legacy.screen_name",
    "core.user_results.result.core.screen_name",
    "user.screen_name",
)


def _x_url(item: Item) -> str | None:
    tweet, who = first("rest_id", "legacy.id_str")(item), _X_SCREEN_NAME(item)
    return f"https://x.com/{who}/status/{tweet}" if tweet and who else None


def _tiktok_author_raw(item: Item) -> Any:
    author = get_path(item, "author")
    return get_path(author, "uniqueId") if isinstance(author, dict) else author


def _tiktok_url_raw(item: Item) -> str | None:
    who, video = _tiktok_author_raw(item), get_path(item, "id")
    return f"https://www.tiktok.com/@{who}/video/{video}" if who and video else None


def _tiktok_comment_parent(item: Item) -> Any:
    reply = get_path(item, "reply_id")
    return reply if reply not in (None, "0", 0) else get_path(item, "aweme_id")


def _link(template: str, *paths: str) -> Getter:
    def get(item: Item) -> str | None:
        values = [first(*path.split("|"))(item) for path in paths]
        return template.format(*values) if all(v is not None for v in values) else None

    return get


def _mastodon_author(item: Item) -> str | None:
    account = get_path(item, "account")
    return author_handle(account) if isinstance(account, dict) else None


# --- the tables ----------------------------------------------------------------------

UTC_NOTE = "epoch seconds, else UTC"
LOCAL_NOTE = "epoch seconds, else the 4CAT server's local time: needs --timezone"

# 4CAT mapped items: the dataset's CSV, or one JSON object a line from its API.
MAPPED: dict[str, Mapping] = {
    "fourchan": Mapping(
        "fourchan",
        (
            Rule("external_id", "`board` + `/` + `id` (the crawler's key)", _fourchan_id),
            Rule("thread_id", "`board` + `/` + `thread_id`", _fourchan_thread),
            Rule(
                "parent_id",
                "`board/N` of the first `>>N` in `body`, else the thread",
                _fourchan_parent,
            ),
            take("title", "subject", note="on every post: its thread's, as the crawler"),
            take("text", "body", note="HTML or text; quote links dropped, as the crawler"),
            Rule(
                "author",
                "`author_trip`, else `author`, else `<board>/<thread_id>/ID:` + `author_type` "
                "(the poster ID, as the crawler); `Anonymous` is no author, nor is a name "
                "4CAT hashed when there is no poster ID",
                _fourchan_author,
            ),
            take("created_at", "unix_timestamp", "timestamp", note=UTC_NOTE),
            Rule(
                "url", "`https://boards.4chan.org/<board>/thread/<thread_id>#p<id>`", _fourchan_url
            ),
        ),
        naive_time="utc",
        html=None,
        drop_selectors=("a.quotelink", "span.deadlink"),
        thread_titles=True,
    ),
    "telegram": Mapping(
        "telegram",
        (
            *_telegram(_telegram_channel_mapped, _telegram_number_mapped, "reply_to"),
            take("text", "body"),
            take("author", "author_username", "author", note="`author` is the sender's id"),
            take("created_at", "unix_timestamp", "timestamp", note=LOCAL_NOTE),
            count("views", "views"),
            count("forwards", "forwards"),
        ),
    ),
    "reddit": Mapping(
        "reddit",
        (
            Rule("external_id", "`t3_` + `id` for a thread, else `t1_` + `id`", _reddit_fullname),
            Rule("thread_id", "`t3_` + `thread_id`", _reddit_thread),
            take("parent_id", "parent", "parent_id"),
            take("title", "subject"),
            Rule("text", "`body`, else `subject`", _reddit_text),
            take("author", "author", note="`[deleted]` is no author"),
            take("created_at", "unix_timestamp", "timestamp", note=UTC_NOTE),
            Rule(
                "url",
                "`https://www.reddit.com` + `permalink`, else built from the ids",
                _reddit_url,
            ),
            count("score", "score"),
            count("comments", "num_comments"),
            take("engagement.subreddit", "subreddit"),
        ),
        naive_time="utc",
    ),
    "bluesky": Mapping(
        "bluesky",
        (
            take("external_id", "id", note="the post's `at://` URI"),
            take("thread_id", "thread_id"),
            Rule(
                "parent_id",
                "`replied_to_post` as an `at://` URI when it names a DID",
                _bluesky_parent_mapped,
            ),
            take("text", "body"),
            take("author", "author_id", "author", note="the DID, as the crawler"),
            take("created_at", "timestamp", "created_at"),
            take("url", "link"),
            count("like", "like_count"),
            count("repost", "repost_count"),
            count("reply", "reply_count"),
            count("quote", "quote_count"),
        ),
        naive_time="utc",
    ),
    "x": Mapping(
        "x",
        (
            take("external_id", "id"),
            take("thread_id", "thread_id"),
            take("text", "body"),
            take("author", "author"),
            take("created_at", "unix_timestamp", "timestamp", note=UTC_NOTE),
            take("url", "link"),
            count("like_count", "like_count"),
            count("retweet_count", "retweet_count"),
            count("reply_count", "reply_count"),
            count("quote_count", "quote_count"),
            count("impression_count", "impression_count"),
        ),
        naive_time="utc",
    ),
    "tiktok": Mapping(
        "tiktok",
        (
            take("external_id", "id"),
            take("thread_id", "thread_id"),
            take("text", "body"),
            take("author", "author"),
            take("created_at", "unix_timestamp", "timestamp", note=UTC_NOTE),
            take("url", "tiktok_url"),
            count("likes", "likes"),
            count("comments", "comments"),
            count("shares", "shares"),
            count("plays", "plays"),
        ),
        naive_time="utc",
    ),
    "instagram": Mapping(
        "instagram",
        (
            take("external_id", "id"),
            take("thread_id", "thread_id"),
            take("parent_id", "parent_id"),
            take("text", "body"),
            take("author", "author"),
            take("created_at", "unix_timestamp", "timestamp", note=LOCAL_NOTE),
            take("url", "url"),
            count("likes", "likes", "num_likes"),
            count("comments", "num_comments", "comments"),
        ),
    ),
    "threads": Mapping(
        "threads",
        (
            take("external_id", "id"),
            take("thread_id", "thread_id"),
            take("text", "body"),
            take("author", "author"),
            take("created_at", "unix_timestamp", "timestamp", note=LOCAL_NOTE),
            take("url", "url"),
            count("likes", "likes"),
            count("replies", "replies"),
        ),
    ),
    "gab": Mapping(
        "gab",
        (
            take("external_id", "id"),
            take("thread_id", "thread_id"),
            take("text", "body", note="HTML"),
            take("author", "account_username"),
            take("created_at", "created_at", "timestamp", note="UTC"),
            take("url", "url"),
            count("reaction_count", "reaction_count"),
            count("favourites_count", "favourites_count"),
            count("replies_count", "replies_count"),
            count("reblogs_count", "reblogs_count"),
        ),
        naive_time="utc",
        html=True,
    ),
    "truthsocial": Mapping(
        "truthsocial",
        (
            take("external_id", "id"),
            take("thread_id", "thread_id"),
            take("text", "body", note="HTML"),
            take("author", "account_username"),
            take("created_at", "created_at", "timestamp", note="UTC"),
            take("url", "url"),
            count("replies_count", "replies_count"),
            count("reblogs_count", "reblogs_count"),
        ),
        naive_time="utc",
        html=True,
    ),
}

# Any other platform's 4CAT items (RSS-like news, forums, custom uploads): 4CAT's
# common columns, and every numeric column named like a count as engagement.
GENERIC = Mapping(
    "(any other)",
    (
        take("external_id", "id"),
        take("thread_id", "thread_id"),
        take("parent_id", "parent_id"),
        take("title", "subject"),
        take("text", "body"),
        take("author", "author"),
        take("created_at", "unix_timestamp", "timestamp", note=LOCAL_NOTE),
        take("url", "url", "link", "post_url", "permalink"),
    ),
)
GENERIC_COUNT = re.compile(
    r"^(num_\w+|\w+_count|likes|comments|shares|views|plays|score|replies|reposts|retweets|"
    r"forwards|reactions|quotes|favourites|favorites|upvotes|downvotes)$"
)

# Raw items: Zeeschuimer's `data`, or a line of 4CAT's "original" NDJSON.
RAW: dict[str, Mapping] = {
    "telegram": Mapping(
        "telegram",
        (
            *_telegram(_telegram_channel_raw, first("id"), "reply_to.reply_to_msg_id"),
            take("text", "message"),
            take("author", "_sender.username", "_sender.id"),
            take("created_at", "date", note="epoch seconds"),
            count("views", "views"),
            count("forwards", "forwards"),
        ),
    ),
    "reddit": Mapping(
        "reddit",
        (
            take("external_id", "name"),
            take("thread_id", "link_id", "name"),
            take("parent_id", "parent_id"),
            take("title", "title"),
            take("text", "body", "selftext", "title"),
            take("author", "author", note="`[deleted]` is no author"),
            take("created_at", "created_utc"),
            Rule("url", "`https://www.reddit.com` + `permalink`", _reddit_url),
            count("score", "score"),
            count("comments", "num_comments"),
            take("engagement.subreddit", "subreddit"),
        ),
    ),
    "bluesky": Mapping(
        "bluesky",
        (
            take("external_id", "uri"),
            take("thread_id", "record.reply.root.uri", "uri"),
            take("parent_id", "record.reply.parent.uri"),
            take("text", "record.text"),
            take("author", "author.did", "author.handle"),
            take("created_at", "record.createdAt", "record.created_at", "indexedAt", "indexed_at"),
            Rule("url", "`https://bsky.app/profile/<handle>/post/<rkey>`", _bluesky_url_raw),
            count("like", "likeCount", "like_count"),
            count("repost", "repostCount", "repost_count"),
            count("reply", "replyCount", "reply_count"),
            count("quote", "quoteCount", "quote_count"),
        ),
    ),
    "mastodon": Mapping(
        "mastodon",
        (
            take("external_id", "uri"),
            take("text", "content", note="HTML"),
            take("title", "spoiler_text"),
            Rule("author", "`account.acct` as `user@instance` (as the crawler)", _mastodon_author),
            take("created_at", "created_at"),
            take("url", "url", "uri"),
            count("replies", "replies_count"),
            count("boosts", "reblogs_count"),
            count("favourites", "favourites_count"),
        ),
        html=True,
    ),
    "x": Mapping(
        "x",
        (
            take("external_id", "rest_id", "legacy.id_str"),
            take("thread_id", "legacy.conversation_id_str"),
            take("parent_id", "legacy.in_reply_to_status_id_str"),
            take("text", "legacy.full_text"),
            Rule("author", "`core.user_results.result.legacy.screen_name`", _X_SCREEN_NAME),
            Rule("created_at", "`legacy.created_at`", _x_time),
            Rule("url", "`https://x.com/<screen_name>/status/<id>`", _x_url),
            count("like_count", "legacy.favorite_count"),
            count("retweet_count", "legacy.retweet_count"),
            count("reply_count", "legacy.reply_count"),
            count("quote_count", "legacy.quote_count"),
            count("impression_count", "views.count"),
        ),
    ),
    "tiktok": Mapping(
        "tiktok",
        (
            take("external_id", "id"),
            take("thread_id", "id"),
            take("text", "desc"),
            Rule("author", "`author.uniqueId`, else `author`", _tiktok_author_raw),
            take("created_at", "createTime"),
            Rule("url", "`https://www.tiktok.com/@<author>/video/<id>`", _tiktok_url_raw),
            count("likes", "stats.diggCount"),
            count("comments", "stats.commentCount"),
            count("shares", "stats.shareCount"),
            count("plays", "stats.playCount"),
        ),
    ),
    "tiktok-comment": Mapping(
        "tiktok",
        (
            take("external_id", "cid"),
            take("thread_id", "aweme_id"),
            Rule("parent_id", "`reply_id`, else `aweme_id`", _tiktok_comment_parent),
            take("text", "text"),
            take("author", "user.unique_id"),
            take("created_at", "create_time"),
            count("likes", "digg_count"),
        ),
    ),
    "instagram": Mapping(
        "instagram",
        (
            take("external_id", "code", "shortcode"),
            take("thread_id", "code", "shortcode"),
            take("text", "caption.text", "edge_media_to_caption.edges.0.node.text"),
            take("author", "user.username", "owner.username"),
            take("created_at", "taken_at", "taken_at_timestamp"),
            Rule(
                "url",
                "`https://www.instagram.com/p/<code>/`",
                _link("https://www.instagram.com/p/{}/", "code|shortcode"),
            ),
            count("likes", "like_count", "edge_liked_by.count", "edge_media_preview_like.count"),
            count("comments", "comment_count", "edge_media_to_comment.count"),
        ),
    ),
    "threads": Mapping(
        "threads",
        (
            take("external_id", "code"),
            take("thread_id", "code"),
            take("text", "caption.text"),
            take("author", "user.username"),
            take("created_at", "taken_at"),
            Rule(
                "url",
                "`https://www.threads.net/@<user>/post/<code>`",
                _link("https://www.threads.net/@{}/post/{}", "user.username", "code"),
            ),
            count("likes", "like_count"),
            count("replies", "text_post_app_info.direct_reply_count"),
        ),
    ),
    "gab": Mapping(
        "gab",
        (
            take("external_id", "i", "id"),
            take("thread_id", "conversation_id"),
            take("parent_id", "in_reply_to_id"),
            take("text", "c", "content", note="HTML"),
            take("author", "author_info.un", "account.username"),
            take("created_at", "ca", "created_at"),
            take("url", "ul", "url"),
            count("favourites_count", "fbc", "favourites_count"),
            count("replies_count", "replies_count"),
            count("reblogs_count", "rbc", "reblogs_count"),
        ),
        html=True,
    ),
    "truthsocial": Mapping(
        "truthsocial",
        (
            take("external_id", "id"),
            take("parent_id", "in_reply_to_id"),
            take("text", "content", note="HTML"),
            take("author", "account.username", "account.acct"),
            take("created_at", "created_at"),
            take("url", "url"),
            count("replies_count", "replies_count"),
            count("reblogs_count", "reblogs_count"),
            count("favourites_count", "favourites_count"),
        ),
        html=True,
    ),
}

# Zeeschuimer's `source_platform` (its module id) -> the platform's raw mapping.
ZEESCHUIMER_PLATFORMS = {
    "tiktok.com": "tiktok",
    "tiktok-comments": "tiktok-comment",
    "twitter.com": "x",
    "x.com": "x",
    "instagram.com": "instagram",
    "threads.net": "threads",
    "threads.com": "threads",
    "gab.com": "gab",
    "truthsocial.com": "truthsocial",
}
# Other names a user may give to --platform.
PLATFORM_ALIASES = {"4chan": "fourchan", "twitter": "x", "bsky": "bluesky", "truth": "truthsocial"}


def canonical_platform(name: str) -> str:
    name = name.strip().lower()
    return PLATFORM_ALIASES.get(name, name)


# --- telling items apart -------------------------------------------------------------


def _raw_shape(item: Item) -> str | None:
    """The platform of a raw item from its shape alone, when the shape says so."""
    if item.get("_type") == "Message" or ("_chat" in item and "message" in item):
        return "telegram"
    uri = item.get("uri")
    if isinstance(uri, str) and uri.startswith("at://") and "record" in item:
        return "bluesky"
    if "rest_id" in item and "legacy" in item:
        return "x"
    if "createTime" in item and "desc" in item:
        return "tiktok"
    if "cid" in item and "aweme_id" in item:
        return "tiktok-comment"
    if "taken_at" in item and "text_post_app_info" in item:
        return "threads"
    if ("taken_at" in item and "code" in item) or "taken_at_timestamp" in item:
        return "instagram"
    if "created_utc" in item and isinstance(item.get("name"), str):
        return "reddit"
    if isinstance(item.get("account"), dict) and "content" in item and "uri" in item:
        return "mastodon"
    return None


def _looks_mapped(item: Item) -> bool:
    """4CAT's mapped items always carry a body and a thread id or a timestamp."""
    return "body" in item and ("thread_id" in item or "timestamp" in item)


def _mapped_shape(item: Item) -> str | None:
    """The platform of a 4CAT mapped item from its columns, when they say so."""
    keys = item.keys()
    if str(item.get("id") or "").startswith("at://"):
        return "bluesky"
    if "author_is_bot" in keys or "body_markdown" in keys:
        return "telegram"
    if "tiktok_url" in keys:
        return "tiktok"
    if "retweet_count" in keys and "is_quote_tweet" in keys:
        return "x"
    if "board" in keys and "author_trip" in keys:
        return "fourchan"
    if "subreddit" in keys and "parent" in keys:
        return "reddit"
    if "account_username" in keys and "group_id" in keys:
        return "gab"
    if "account_username" in keys and "account_verified" in keys:
        return "truthsocial"
    return None


def is_export_item(item: Item) -> bool:
    """Whether a JSON object is a 4CAT or Zeeschuimer item rather than a post-schema line."""
    if "external_id" in item:
        return False
    return (
        ("source_platform" in item and isinstance(item.get("data"), dict))
        or isinstance(item.get("__import_meta"), dict)
        or _raw_shape(item) is not None
        or {"id", "thread_id", "body", "timestamp"} <= item.keys()
    )


@dataclass
class ItemFields:
    """What one item says: the post's fields and how they were read."""

    platform: str
    kind: str  # "zeeschuimer", "4cat-original" or "4cat-mapped"
    fields: dict[str, Any]
    naive_time: str  # "utc" or "local"
    author_state: str | None = None  # "redacted", "hashed", "hashed-empty" or None


_HASHED = re.compile(r"^[0-9a-f]{48}$")  # 4CAT's pseudonyms: salted blake2b, 24 bytes, hex
# Columns that hold an account's id (4CAT's Telegram `author` is the sender's id). An id
# and a name are never alike, so when both carry the same salted hash, both were empty.
_ID_COLUMNS = ("author_id", "account_id", "user_id")
_ACCOUNT_COLUMN = re.compile(r"^(author|account|user)")


def item_fields(
    item: Item, platform: str | None, titles: dict[str, str] | None = None
) -> ItemFields:
    """The fields of one 4CAT or Zeeschuimer item (see the module docstring).

    `titles` (thread id -> title) is kept by the caller across one file's items.
    """
    meta: Any = None
    if isinstance(item.get("data"), dict) and "source_platform" in item:
        meta, item, kind = item, item["data"], "zeeschuimer"
    elif isinstance(item.get("__import_meta"), dict):
        meta, kind = item["__import_meta"], "4cat-original"
    else:
        kind = ""
    if meta is not None:
        source = str(meta.get("source_platform") or "")
        key = ZEESCHUIMER_PLATFORMS.get(source)
        if key is None:
            raise BadRowError(
                f"Zeeschuimer platform {source[:40]!r} is not supported "
                f"(supported: {', '.join(sorted(ZEESCHUIMER_PLATFORMS))})"
            )
        mapping = RAW[key]
    elif not _looks_mapped(item) and (shape := _raw_shape(item)) is not None:
        kind, mapping = "4cat-original", RAW[shape]
        if shape == "mastodon" and platform in ("truthsocial", "gab"):
            mapping = RAW[platform]
    else:
        kind = "4cat-mapped"
        if not any(key in item for key in ("id", "body", "timestamp", "unix_timestamp")):
            raise BadRowError(
                "not a 4CAT or Zeeschuimer item (no id, body or timestamp; "
                "map fields with --format jsonl --map)"
            )
        name = platform or _mapped_shape(item)
        if name is None:
            raise BadRowError("the item does not say its platform: pass --platform")
        mapping = MAPPED.get(name, GENERIC)
    fields: dict[str, Any] = {}
    engagement: dict[str, Any] = {}
    for rule in mapping.rules:
        value = rule.get(item)
        if value is None:
            continue
        if rule.field.startswith("engagement."):
            engagement[rule.field.split(".", 1)[1]] = value
        else:
            fields[rule.field] = value
    if mapping is GENERIC:
        for column, value in item.items():
            if GENERIC_COUNT.match(str(column)) and isinstance(value, int | float | str):
                engagement.setdefault(str(column), value)
    fields["engagement"] = engagement
    if "parent_id" in fields and str(fields["parent_id"]) == str(fields.get("external_id")):
        del fields["parent_id"]  # 4CAT's Instagram posts name themselves as parent
    text = fields.get("text")
    is_html = mapping.html
    if is_html is None:
        is_html = isinstance(text, str) and _LOOKS_HTML.search(text) is not None
    if is_html and isinstance(text, str):
        if mapping.drop_selectors:
            fields["text"] = html_to_text(text, mapping.drop_selectors)
        else:
            fields["html"], fields["text"] = fields.pop("text"), None
    if mapping.thread_titles and titles is not None:
        _thread_title(fields, titles)
    name = mapping.platform if mapping is not GENERIC else str(platform)
    result = ItemFields(name, kind, fields, mapping.naive_time)
    result.author_state = _author_state(item, fields, name)
    return result


def _thread_title(fields: dict[str, Any], titles: dict[str, str]) -> None:
    """The opening post's subject, else the start of its text, on every post of a thread."""
    thread = fields.get("thread_id")
    if thread is None:
        return
    if fields.get("external_id") == thread:
        title = str(fields.get("title") or "").strip()
        if not title:
            title = str(fields.get("text") or "").replace("\n", " ").strip()
            if len(title) > TITLE_CHARS:
                title = title[:TITLE_CHARS].rsplit(" ", 1)[0] + "\u2026"
        if title and len(titles) < 100_000:
            titles[thread] = title
    if thread in titles:
        fields["title"] = titles[thread]


def _author_state(item: Item, fields: dict[str, Any], platform: str) -> str | None:
    """Whether the author was anonymised or pseudonymised by 4CAT (and then how)."""
    author = fields.get("author")
    if not isinstance(author, str) or not _HASHED.match(author):
        if isinstance(author, str) and author.strip().upper() == "REDACTED":
            return "redacted"
        # e.g. 4chan: a hashed name gave way to the poster ID, or to no author
        return "hashed" if _HASHED.match(str(item.get("author") or "")) else None
    ids = _ID_COLUMNS + (("author",) if platform == "telegram" else ())
    holders = {str(key) for key, value in item.items() if value == author}
    names = {key for key in holders if _ACCOUNT_COLUMN.match(key)} - set(ids)
    if holders & set(ids) and names:
        return "hashed-empty"
    return "hashed"


# --- the documentation table ---------------------------------------------------------


def mapping_table_markdown() -> str:
    """The per-platform tables of docs/imports.md, generated from the code."""
    out: list[str] = []
    for title, table in (
        ("4CAT mapped items (CSV, API NDJSON)", MAPPED),
        ("Raw items (4CAT original NDJSON, Zeeschuimer)", RAW),
    ):
        out.append(f"### {title}\n")
        for key, mapping in table.items():
            zone = "" if table is RAW else f" (times without a zone: {mapping.naive_time})"
            out.append(f"#### {key}{zone}\n")
            out.append("| post field | source |")
            out.append("|---|---|")
            out.extend(f"| {rule.field} | {rule.source} |" for rule in mapping.rules)
            out.append("")
    out.append("#### any other platform (4CAT mapped items; times without a zone: local)\n")
    out.append("| post field | source |")
    out.append("|---|---|")
    out.extend(f"| {rule.field} | {rule.source} |" for rule in GENERIC.rules)
    out.append(
        "| engagement.NAME | every numeric column named `num_*`, `*_count`, `likes`, "
        "`comments`, `shares`, `views`, `plays`, `score`... |"
    )
    return "\n".join(out) + "\n"
