"""Telegram: the public web preview of a channel, `https://t.me/s/<channel>`.

A page holds up to 20 `.tgme_widget_message` blocks, oldest first, below `?before=`
(or the newest 20); `link rel="prev"` and `.tme_messages_more[data-before]` say that
older messages exist. Times are `<time datetime>` in the date link; view counts are
abbreviated ("1.2K").
"""

from __future__ import annotations

import html

from cohesion.demo.corpus import TELEGRAM_CHANNEL, DemoPost
from cohesion.demo.render import Reply, Request, Site

PAGE = 20
TITLE = "Marlow Patriots"


def views(number: int) -> str:
    return f"{number / 1000:.1f}K" if number >= 1000 else str(number)


class TelegramSite(Site):
    platform = "telegram"

    def route(self, request: Request) -> Reply | None:
        if request.path.rstrip("/") != f"/s/{TELEGRAM_CHANNEL}":
            return None
        before = request.arg("before")
        messages = self.posts
        if before and before.isdigit():
            messages = [p for p in messages if p.seq < int(before)]
        page = messages[-PAGE:]
        return Reply.text(self.page(page, older=len(messages) > len(page)), "text/html")

    def page(self, page: list[DemoPost], older: bool) -> str:
        channel = TELEGRAM_CHANNEL
        head = [f'<link rel="canonical" href="https://t.me/s/{channel}"/>']
        more = ""
        if older and page:
            head.append(f'<link rel="prev" href="/s/{channel}?before={page[0].seq}"/>')
            more = (
                f'<div class="tme_messages_more js-messages_more" data-before="{page[0].seq}">'
                "</div>"
            )
        blocks = "\n".join(self.message(p) for p in page)
        return (
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
            f"<title>{TITLE} – Telegram</title>{''.join(head)}</head>\n<body>\n"
            '<main class="tgme_main"><section class="tgme_channel_history js-message_history">'
            f"{more}\n{blocks}\n</section></main>\n</body></html>\n"
        )

    def message(self, post: DemoPost) -> str:
        channel = TELEGRAM_CHANNEL
        text = html.escape(post.text).replace("\n", "<br/>")
        stamp = post.created_at.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        return (
            '<div class="tgme_widget_message_wrap js-widget_message_wrap">'
            f'<div class="tgme_widget_message text_not_supported_wrap js-widget_message" '
            f'data-post="{channel}/{post.seq}" data-view="demo">'
            '<div class="tgme_widget_message_bubble">'
            '<div class="tgme_widget_message_author accent_color">'
            f'<a class="tgme_widget_message_owner_name" href="https://t.me/{channel}">'
            f'<span dir="auto">{TITLE}</span></a></div>'
            f'<div class="tgme_widget_message_text js-message_text" dir="auto">{text}</div>'
            '<div class="tgme_widget_message_footer compact js-message_footer">'
            '<div class="tgme_widget_message_info short js-message_info">'
            f'<span class="tgme_widget_message_views">{views(300 + post.seq * 37)}</span>'
            '<span class="tgme_widget_message_meta">'
            f'<a class="tgme_widget_message_date" href="https://t.me/{channel}/{post.seq}">'
            f'<time datetime="{stamp}" class="time">{post.created_at:%H:%M}</time></a>'
            "</span></div></div></div></div></div>"
        )
