"""Issue #15 item 9: the post page holds its promise for any post (Hypothesis).

Posts with hostile text (markup, NUL, lone surrogates, bidi controls, formula
prefixes), dates anywhere from 1970 to 9998 in any UTC offset, engagement nested
several levels deep, and reply chains of any depth in one thread: every post's page
answers 200 with the security headers, shows the text escaped (never as markup), and
lists the thread.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from itertools import count
from typing import Any

from cohesion.review.security import CSP
from cohesion.store.engine import session_scope
from cohesion.store.models import Post
from cohesion.store.posts import PostRecord, upsert_posts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.review.client import AppClient
from tests.review.seed import World

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "\x00",
    "\ud800",
    "\u202e",
    '=HYPERLINK("http://x")',
    "{{ 7*7 }}",
    "{% raw %}",
    "</textarea>",
    "javascript:alert(3)",
    "\r\n\t",
]
any_char = st.characters(codec=None, exclude_categories=())  # surrogates included
hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE), st.text(any_char, max_size=30)), max_size=5
).map("".join)
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
moments = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(9998, 12, 30), timezones=offsets
)
engagement = st.recursive(
    st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), hostile_text),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(hostile_text, inner, max_size=3)
    ),
    max_leaves=10,
)
THREADS = count()


@st.composite
def threads(draw: st.DrawFn) -> list[tuple[str, datetime, Any]]:
    """(text, created_at, engagement) of a root post and its chain of replies."""
    depth = draw(st.integers(min_value=0, max_value=25))
    return [
        (
            draw(hostile_text),
            draw(moments),
            draw(st.dictionaries(hostile_text, engagement, max_size=3)),
        )
        for _ in range(depth + 1)
    ]


def _store(
    sessions: sessionmaker[Session], world: World, posts: list[tuple[str, datetime, Any]]
) -> list[tuple[int, str]]:
    """Store one thread; returns (post id, marker) per post."""
    n = next(THREADS)
    records, markers = [], []
    for i, (text, when, extra) in enumerate(posts):
        marker = f"mark{n}x{i}q"
        markers.append(marker)
        records.append(
            PostRecord(
                platform="reddit",
                external_id=f"prop-{n}-{i}",
                text=f"{text} {marker} {text}",
                created_at=when,
                title=text or None,
                url="javascript:alert(4)" if i % 2 else f"https://reddit.example/{n}/{i}",
                thread_id=f"prop-{n}-0",
                parent_id=f"prop-{n}-{i - 1}" if i else None,
                engagement=extra,
            )
        )
    with session_scope(sessions) as session:
        upsert_posts(session, records, "UTC")
        rows = session.execute(
            select(Post.external_id, Post.id).where(Post.thread_id == f"prop-{n}-0")
        )
        stored = {external_id: post_id for external_id, post_id in rows}
    return [(stored[f"prop-{n}-{i}"], markers[i]) for i in range(len(posts))]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(threads())
def test_any_post_page_renders_escaped(sessions: sessionmaker[Session], world: World,
                                       analyst: AppClient, posts: list[tuple[str, datetime, Any]]) -> None:  # fmt: skip
    stored = _store(sessions, world, posts)
    for post_id, marker in (stored[0], stored[-1], stored[len(stored) // 2]):
        page = analyst.get(f"/posts/{post_id}")
        assert page.status_code == 200, page.text[:500]
        assert page.headers["content-security-policy"] == CSP
        body = page.text
        assert marker in body  # the post's own text is shown in full
        # The only elements are the app's own: no script, image or handler from a post.
        assert all('src="/static/' in tag for tag in re.findall(r"<script\b[^>]*>", body))
        assert "<img" not in body and "onerror=" not in body.replace("onerror=alert", "")
        assert 'href="javascript:' not in body
    # The thread is listed on the deepest reply's page, its root linked.
    if len(stored) > 1:
        assert f'href="/posts/{stored[0][0]}' in analyst.get(f"/posts/{stored[-1][0]}").text
