"""Values read from URLs, bounded before they reach the database.

A post id beyond the database's 64-bit integers is a post that does not exist (404),
not an overflow; a day outside the years any post can have is a bad request (400),
before date arithmetic on it can run off the ends of the calendar.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, HTTPException

MAX_ROW_ID = 2**63 - 1
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)


def post_id_in_range(post_id: int) -> int:
    if not 1 <= post_id <= MAX_ROW_ID:
        raise HTTPException(status_code=404, detail="no such post")
    return post_id


PostId = Annotated[int, Depends(post_id_in_range)]


def parse_day(raw: str, name: str) -> date:
    """A YYYY-MM-DD query value; ValueError with a message for the analyst."""
    try:
        day = date.fromisoformat(raw[:10])
    except ValueError:
        raise ValueError(f"{name} must be a date (YYYY-MM-DD)") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{name} must be between {FIRST_DAY} and {LAST_DAY}")
    return day
