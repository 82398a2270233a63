"""Where a report or an alert points an analyst for a post.

The store keeps the link to the original post sealed (store/privacy.py): it is opened
in the review app, by a logged-in analyst, with an audit row. So reports and alerts
link to the post's page in the review app (`review.public_url`), and carry the clear
link only where `privacy.keep_raw_handles` kept one.
"""

from __future__ import annotations

from cohesion.reports.escape import safe_url


def review_post_url(review_url: str, post_id: int) -> str | None:
    """The post's page in the review app, when its public address is configured."""
    if not review_url:
        return None
    return safe_url(f"{review_url.rstrip('/')}/posts/{int(post_id)}")


def post_link(post_id: int, clear_url: str | None, review_url: str) -> str | None:
    """The clear link where one was kept (keep_raw_handles), else the review app's page."""
    return safe_url(clear_url) or review_post_url(review_url, post_id)
