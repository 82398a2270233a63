"""RSS and Atom: the Marlow Gazette's RSS 2.0 news feed and each article's Atom comment feed.

The news feed pages 20 items at a time (`?paged=N`, announced with an RFC 5005
`<atom:link rel="next">`); items carry RFC 822 dates, an escaped HTML description,
the full text in `content:encoded` CDATA and `wfw:commentRss`. Comment feeds are Atom
(RFC 3339 dates, `<author><name>`), as WordPress serves them.
"""

from __future__ import annotations

import html
import re
from email.utils import format_datetime
from xml.sax.saxutils import escape

from cohesion.demo.corpus import DemoPost
from cohesion.demo.pools import first_sentence
from cohesion.demo.render import Reply, Request, Site, iso_z

SITE = "https://gazette.marlow.example"
PER_PAGE = 20
_COMMENTS = re.compile(r"^/news/(\d+)-[a-z0-9-]*/feed/?$")


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "article"


class RssSite(Site):
    platform = "rss"

    def __init__(self, posts: list[DemoPost], base_url: str) -> None:
        super().__init__(posts, base_url)
        self.articles = [p for p in self.newest_first if p.parent is None]
        self.by_seq = {p.seq: p for p in self.articles}

    def link(self, article: DemoPost) -> str:
        return f"{SITE}/news/{article.seq}-{slug(article.title or '')}/"

    def route(self, request: Request) -> Reply | None:
        if request.path == "/feed.xml":
            page = request.int_arg("paged", 1, 1, 10_000)
            return Reply.text(self.news_feed(page), "application/rss+xml")
        match = _COMMENTS.match(request.path)
        if match and int(match.group(1)) in self.by_seq:
            return Reply.text(
                self.comment_feed(self.by_seq[int(match.group(1))]), "application/atom+xml"
            )
        return None

    def news_feed(self, page: int) -> str:
        items = self.articles[(page - 1) * PER_PAGE : page * PER_PAGE]
        links = [f'<atom:link href="{SITE}/feed.xml" rel="self" type="application/rss+xml"/>']
        if page * PER_PAGE < len(self.articles):
            links.append(f'<atom:link href="{SITE}/feed.xml?paged={page + 1}" rel="next"/>')
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" '
            'xmlns:slash="http://purl.org/rss/1.0/modules/slash/">\n<channel>\n'
            "<title>The Marlow Gazette</title>\n"
            f"<link>{SITE}/</link>\n{''.join(links)}\n"
            "<description>News from Marlow County</description>\n<language>en-US</language>\n"
            + "".join(self.item(article) for article in items)
            + "</channel>\n</rss>\n"
        )

    def item(self, article: DemoPost) -> str:
        link = self.link(article)
        body = "".join(f"<p>{html.escape(part)}</p>" for part in article.text.split("\n"))
        return (
            "<item>\n"
            f"<title>{escape(article.title or '')}</title>\n<link>{link}</link>\n"
            f"<dc:creator><![CDATA[Gazette staff]]></dc:creator>\n"
            f"<pubDate>{format_datetime(article.created_at, usegmt=True)}</pubDate>\n"
            f'<guid isPermaLink="true">{link}</guid>\n'
            f"<description>{escape(html.escape(first_sentence(article.text, 160)))}</description>\n"
            f"<content:encoded><![CDATA[{body}]]></content:encoded>\n"
            f"<wfw:commentRss>{link}feed/</wfw:commentRss>\n"
            f"<slash:comments>{len(self.replies_to(article))}</slash:comments>\n"
            "</item>\n"
        )

    def comment_feed(self, article: DemoPost) -> str:
        link = self.link(article)
        comments = sorted(self.replies_to(article), key=lambda p: p.created_at, reverse=True)
        updated = iso_z(comments[0].created_at if comments else article.created_at, millis=False)
        entries = "".join(
            "<entry>\n"
            f"<id>tag:gazette.marlow.example,2024:comment-{c.seq}</id>\n"
            f"<title>By: {escape(c.author or 'Anonymous')}</title>\n"
            f"<author><name>{escape(c.author or 'Anonymous')}</name></author>\n"
            f'<link rel="alternate" href="{link}#comment-{c.seq}"/>\n'
            f"<published>{iso_z(c.created_at, millis=False)}</published>\n"
            f"<updated>{iso_z(c.created_at, millis=False)}</updated>\n"
            f'<content type="html">{escape(f"<p>{html.escape(c.text)}</p>")}</content>\n'
            "</entry>\n"
            for c in comments
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
            f"<title>Comments on: {escape(article.title or '')}</title>\n"
            f'<link rel="alternate" href="{link}"/>\n<link rel="self" href="{link}feed/"/>\n'
            f"<id>{link}feed/</id>\n<updated>{updated}</updated>\n{entries}</feed>\n"
        )
