"""Telegram recordings: a t.me/s/ page and single-message fragments cut from pages."""

from __future__ import annotations

from typing import Any

from parsel import Selector

from tests.crawlers.conformance import Expected, Plan


def _messages(body: bytes) -> list[Selector]:
    page = Selector(text=body.decode("utf-8"))
    return [
        m
        for m in page.css(".tgme_widget_message[data-post]")
        if "service_message" not in m.attrib.get("class", "")
    ]


def plan(meta: dict[str, Any], body: bytes) -> Plan:
    if meta.get("serve_path"):
        channel = meta["serve_path"].split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        return Plan("telegram", {"channels": [channel]})
    # A fragment: serve it as the channel's page.
    channel = _messages(body)[0].attrib["data-post"].split("/")[0]
    return Plan("telegram", {"channels": [channel]}, serve_path=f"/s/{channel}")


def expected(meta: dict[str, Any], body: bytes) -> list[Expected]:
    found = []
    for message in _messages(body):
        text = "".join(
            message.css(
                ".tgme_widget_message_text ::text, .tgme_widget_message_poll_question ::text"
            ).getall()
        )
        found.append(Expected(message.attrib["data-post"], bool(text.strip()), True))
    return found
