"""CSV cells that a spreadsheet will not run as a formula.

Post text and URLs are written by strangers, notes by analysts: a cell that starts
with = + - @ (or a tab or carriage return) would be executed by Excel or LibreOffice
when an analyst opens an export. Such a cell gets a leading apostrophe (OWASP's advice).
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text
