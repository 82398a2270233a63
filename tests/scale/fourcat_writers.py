"""Exports written the way 4CAT and Zeeschuimer write them, from invented items.

- `items_to_csv`: 4CAT's "Download csv" / processors' CSV writer: `csv.DictWriter` over
  the first item's keys, header first, Python's default (excel) dialect.
- `items_to_ndjson`: 4CAT's API NDJSON and "original" NDJSON: `json.dumps(item)` a line.
- `zeeschuimer_export`: Zeeschuimer's export: one envelope a line, the platform's own
  item under `data`.
- `fourcat_original`: 4CAT's "original" NDJSON of a Zeeschuimer-imported dataset: the
  item with the envelope's other fields under `__import_meta`.
- `telegram_map_item`, `telegram_message`: a Telethon message as 4CAT's Telegram
  data source serialises it, and 4CAT's `map_item` of it (the keys that matter here,
  in 4CAT's order); `timestamp` is written in the 4CAT server's local time.

Not a conftest: import what you need.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo


def items_to_csv(path: Path, items: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(items[0].keys()))
        writer.writeheader()
        for item in items:
            writer.writerow(item)
    return path


def items_to_ndjson(path: Path, items: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item) + "\n")
    return path


def envelope(platform: str, item_id: str, data: dict[str, Any], n: int) -> dict[str, Any]:
    return {
        "id": n,
        "nav_index": f"1:1:{n}",
        "item_id": item_id,
        "timestamp_collected": 1772400000000 + n,  # milliseconds
        "source_platform": platform,
        "source_platform_url": f"https://www.{platform}/",
        "source_url": f"https://www.{platform}/api/feed",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "data": data,
    }


def zeeschuimer_export(path: Path, platform: str, items: list[dict[str, Any]]) -> Path:
    lines = [envelope(platform, str(item.get("id")), item, n) for n, item in enumerate(items)]
    return items_to_ndjson(path, lines)


def fourcat_original(path: Path, platform: str, items: list[dict[str, Any]]) -> Path:
    lines = []
    for n, item in enumerate(items):
        meta = envelope(platform, str(item.get("id")), item, n)
        lines.append({**meta.pop("data"), "__import_meta": meta})
    return items_to_ndjson(path, lines)


def telegram_message(
    channel: str,
    number: int,
    date: int,
    text: str,
    *,
    reply_to: int | None = None,
    sender: dict[str, Any] | None = None,
    views: int | None = 100,
    forwards: int = 0,
) -> dict[str, Any]:
    """A Telethon Message as 4CAT's SearchTelegram.serialize_obj leaves it."""
    chat = {"_type": "Channel", "id": 1000 + len(channel), "title": channel.title(),
            "username": channel}  # fmt: skip
    return {
        "_type": "Message",
        "id": number,
        "peer_id": {"_type": "PeerChannel", "channel_id": chat["id"]},
        "date": float(date),
        "message": text,
        "out": False,
        "media": None,
        "views": views,
        "forwards": forwards,
        "edit_date": None,
        "reply_to": (
            {"_type": "MessageReplyHeader", "reply_to_msg_id": reply_to} if reply_to else None
        ),
        "fwd_from": None,
        "_chat": chat,
        "_sender": sender if sender is not None else {**chat},
    }


def telegram_map_item(message: dict[str, Any], server_zone: str) -> dict[str, Any]:
    """4CAT's SearchTelegram.map_item, for the fields these tests need."""
    thread_id = str(message["_chat"].get("username") or message["_chat"].get("id"))
    sender = message.get("_sender") or {}
    fullname = f"{sender.get('first_name', '')} {sender.get('last_name', '')}".strip()
    reply = message.get("reply_to") or {}
    local = datetime.fromtimestamp(message["date"], ZoneInfo(server_zone))
    return {
        "id": f"{thread_id}-{message['id']}",
        "thread_id": thread_id,
        "chat": thread_id,
        "author": sender.get("id", ""),
        "author_username": sender.get("username", ""),
        "author_name": fullname,
        "author_is_bot": "yes" if sender.get("bot") else "no",
        "body": message["message"],
        "body_markdown": message["message"],
        "is_reply": bool(reply),
        "reply_to": reply.get("reply_to_msg_id", ""),
        "views": message["views"] if message["views"] else "",
        "reactions": "",
        "timestamp": local.strftime("%Y-%m-%d %H:%M:%S"),
        "unix_timestamp": int(message["date"]),
        "timestamp_edited": "",
        "unix_timestamp_edited": "",
        "author_forwarded_from_name": "",
        "link_title": "",
        "attachment_type": "",
        "attachment_data": "",
    }
