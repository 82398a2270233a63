"""Telegram public channels through their web previews (`https://t.me/s/<channel>`).

What is collected: the messages of configured public channels, as the preview page
shows them to anyone without an account. Each `.tgme_widget_message` is a post keyed
`channel/id`; reply blocks quote another message and are not part of the text;
service messages (pins, title changes) are not posts and are skipped; polls keep
their question and options; stickers and round videos are stored without text.
Paging is `?before=<smallest id>`; the cursor is the newest id per channel and
paging stops once a page reaches it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cohesion.crawlers.items import PostItem
from cohesion.crawlers.spiders.base import CohesionSpider, SourceOptions, parse_datetime
from cohesion.crawlers.text import html_to_text
from parsel import Selector
from pydantic import Field
from scrapy.http import Response

SITE = "https://t.me"
_OWN_TEXT = (
    "./descendant::div[contains(concat(' ', normalize-space(@class), ' '), "
    "' tgme_widget_message_text ') and not(ancestor::*[contains(@class, "
    "'tgme_widget_message_reply')])][1]"
)
_COUNT = re.compile(r"^\s*([\d.,]+)\s*([KMB]?)\s*$", re.IGNORECASE)


class TelegramOptions(SourceOptions):
    channels: list[str] = Field(default_factory=list, description="Public channel usernames")


def parse_count(text: str | None) -> int | None:
    """'37.2K' -> 37200, '1.1M' -> 1100000, '812' -> 812; None when unreadable."""
    match = _COUNT.match(text or "")
    if not match:
        return None
    number = float(match.group(1).replace(",", ""))
    return int(round(number * {"": 1, "K": 1e3, "M": 1e6, "B": 1e9}[match.group(2).upper()]))


class TelegramSpider(CohesionSpider):
    name = "telegram"
    default_base_url = SITE
    Options = TelegramOptions
    drop_selectors = (".tgme_widget_message_reply",)

    def local_by_default(self) -> bool:
        return True  # a channel is configured because it is the locality's

    def first_requests(self) -> Iterator[Any]:
        for channel in self.options.channels:
            channel = channel.lstrip("@")
            yield self.request(
                self.url(f"/s/{channel}"), self.parse_page, channel=channel, newest=None
            )

    def parse_page(
        self, response: Response, page: int, channel: str, newest: int | None
    ) -> Iterator[Any]:
        html = self.html(response)
        if html is None:
            return
        key = f"channel:{channel}"
        stop = self.cursor.get(key)
        ids: list[int] = []
        for message in html.css(".tgme_widget_message[data-post]"):
            post = message.attrib["data-post"]
            number = post.rsplit("/", 1)[-1]
            if not number.isdigit():
                continue
            ids.append(int(number))
            if stop is not None and int(number) <= int(stop):
                continue
            if "service_message" in message.attrib.get("class", ""):
                continue
            item = self.item(message, post)
            if item is not None:
                newest = max(newest or 0, int(number))
                yield item
        if not ids and "tgme_widget_message" not in response.text and page == 1:
            self.fail(f"{response.url}: not a channel preview page (private or missing channel?)")
            return
        smallest = min(ids) if ids else None
        has_older = bool(html.css("link[rel=prev], .tme_messages_more[data-before]"))
        reached = stop is not None and smallest is not None and smallest <= int(stop)
        if smallest and smallest > 1 and has_older and not reached and self.more_pages(page):
            yield self.request(
                self.url(f"/s/{channel}", before=smallest),
                self.parse_page,
                page=page + 1,
                channel=channel,
                newest=newest,
            )
        elif newest is not None:
            self.set_cursor(key, max(newest, int(stop or 0)))

    def item(self, message: Selector, post: str) -> PostItem | None:
        stamp = message.css(
            ".tgme_widget_message_date time::attr(datetime), time.time::attr(datetime)"
        ).get()
        if not stamp:
            return None
        channel = post.rsplit("/", 1)[0]
        text_node = message.xpath(_OWN_TEXT)
        text = html_to_text(text_node.get(), self.drop_selectors) if text_node else ""
        poll = message.css(".tgme_widget_message_poll")
        if poll:
            question = " ".join(poll.css(".tgme_widget_message_poll_question ::text").getall())
            options = [
                " ".join(o.css("::text").getall()).strip()
                for o in poll.css(".tgme_widget_message_poll_option_text")
            ]
            text = "\n".join(filter(None, [text, question.strip(), *(f"- {o}" for o in options)]))
        signer = message.css(".tgme_widget_message_from_author::text").get()
        reply = message.css("a.tgme_widget_message_reply::attr(href)").get()
        forwarded = message.css(".tgme_widget_message_forwarded_from_name::attr(href)").get()
        engagement: dict[str, Any] = {}
        views = parse_count(message.css(".tgme_widget_message_views::text").get())
        if views is not None:
            engagement["views"] = views
        if forwarded:
            engagement["forwarded_from"] = forwarded
        return PostItem(
            platform=self.name,
            external_id=post,
            created_at=parse_datetime(stamp),
            url=f"{SITE}/{post}",
            text=text,
            author_handle=f"{channel}/{signer.strip()}" if signer and signer.strip() else channel,
            parent_id=_post_id(reply),
            thread_id=None,
            engagement=engagement,
        )


def _post_id(url: str | None) -> str | None:
    """'https://t.me/chan/123?single' -> 'chan/123'."""
    if not url:
        return None
    match = re.search(r"t\.me/(?:s/)?([A-Za-z0-9_]+/\d+)", url)
    return match.group(1) if match else None
