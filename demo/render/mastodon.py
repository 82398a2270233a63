"""Mastodon: the `#marlowcounty` hashtag timeline of a local instance.

Statuses are newest first, 20 by default (`limit` up to 40); paging is only in the
`Link` header (`max_id` next, `min_id` prev), as Mastodon sends it. Content is HTML
with the hashtag as a link; ids are snowflake-like numbers, uris are per account.
"""

from __future__ import annotations

import html
import re
from typing import Any

from cohesion.demo.corpus import DemoPost
from cohesion.demo.render import Reply, Request, Site, iso_z

HASHTAG = "marlowcounty"
INSTANCE = "social.marlow.example"
_TAG_TEXT = re.compile(r"#MarlowCounty\b")


def account_parts(handle: str) -> tuple[str, str]:
    user, _, host = handle.partition("@")
    return user, host or INSTANCE


class MastodonSite(Site):
    platform = "mastodon"

    def status_id(self, post: DemoPost) -> str:
        return str((post.epoch * 1000 << 16) | (post.seq % 65536))

    def route(self, request: Request) -> Reply | None:
        if request.path.lower() != f"/api/v1/timelines/tag/{HASHTAG}":
            return None
        limit = request.int_arg("limit", 20, 1, 40)
        statuses = self.newest_first
        max_id, since_id, min_id = (request.arg(k) for k in ("max_id", "since_id", "min_id"))
        if max_id and max_id.isdigit():
            statuses = [p for p in statuses if int(self.status_id(p)) < int(max_id)]
        if since_id and since_id.isdigit():
            statuses = [p for p in statuses if int(self.status_id(p)) > int(since_id)]
        if min_id and min_id.isdigit():  # the page just above min_id, newest first
            statuses = [p for p in statuses if int(self.status_id(p)) > int(min_id)][-limit:]
        page = statuses[:limit]
        headers = {}
        if page:
            path = f"{self.base_url}/api/v1/timelines/tag/{HASHTAG}"
            links = []
            if len(statuses) > len(page):
                links.append(
                    f'<{path}?limit={limit}&max_id={self.status_id(page[-1])}>; rel="next"'
                )
            links.append(f'<{path}?limit={limit}&min_id={self.status_id(page[0])}>; rel="prev"')
            headers["Link"] = ", ".join(links)
        return Reply.json([self.status(p) for p in page], headers=headers)

    def content(self, text: str) -> str:
        tag = (
            f'<a href="https://{INSTANCE}/tags/{HASHTAG}" class="mention hashtag" '
            f'rel="tag">#<span>MarlowCounty</span></a>'
        )
        paragraphs = [html.escape(part) for part in text.split("\n") if part.strip()]
        body = "".join(f"<p>{part}</p>" for part in paragraphs)
        return _TAG_TEXT.sub(lambda _: tag, body)

    def account(self, handle: str) -> dict[str, Any]:
        user, host = account_parts(handle)
        acct = user if host == INSTANCE else f"{user}@{host}"
        number = sum(ord(c) * (i + 1) for i, c in enumerate(handle)) + 109_000_000_000
        return {
            "id": str(number),
            "username": user,
            "acct": acct,
            "display_name": user,
            "locked": False,
            "bot": False,
            "url": f"https://{host}/@{user}",
            "avatar": f"https://{INSTANCE}/avatars/original/missing.png",
            "followers_count": number % 500,
            "following_count": number % 300,
            "statuses_count": number % 2000,
            "note": "",
            "emojis": [],
            "fields": [],
        }

    def status(self, post: DemoPost) -> dict[str, Any]:
        handle = post.author or "anonymous"
        user, host = account_parts(handle)
        sid = self.status_id(post)
        parent = post.parent
        return {
            "id": sid,
            "created_at": iso_z(post.created_at),
            "in_reply_to_id": self.status_id(parent) if parent else None,
            "in_reply_to_account_id": self.account(parent.author or "anonymous")["id"]
            if parent
            else None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": "en",
            "uri": f"https://{host}/users/{user}/statuses/{sid}",
            "url": f"https://{host}/@{user}/{sid}",
            "replies_count": len(self.replies_to(post)),
            "reblogs_count": post.seq % 4,
            "favourites_count": post.seq % 9,
            "edited_at": None,
            "content": self.content(post.text),
            "reblog": None,
            "application": None,
            "account": self.account(handle),
            "media_attachments": [],
            "mentions": [],
            "tags": [{"name": HASHTAG, "url": f"https://{INSTANCE}/tags/{HASHTAG}"}],
            "emojis": [],
            "card": None,
            "poll": None,
        }
