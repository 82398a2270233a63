"""Jinja2 templates (autoescaped, strict) and the helpers every page uses."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from cohesion.resources import package_path
from cohesion.review.security import csrf_token
from cohesion.store.search import MARK_END, MARK_START
from cohesion.store.users import UserInfo
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

TEMPLATES = package_path("review", "templates")


def safe_link(url: str | None) -> str | None:
    """The URL when it is plain http(s), else None: hostile posts carry javascript: and
    data: links, and those must never become clickable."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(ord(ch) < 33 for ch in url.strip()):
        return None
    return url.strip()


def query(**params: Any) -> str:
    """A query string of the non-empty parameters."""
    return urlencode({k: v for k, v in params.items() if v not in (None, "", [])}, doseq=True)


def score(value: float | None) -> str:
    """Scores and rates with two decimals; counts (tp, support...) as whole numbers."""
    if value is None:
        return ""
    if float(value).is_integer() and abs(value) > 1:
        return str(int(value))
    return f"{value:.2f}"


def highlight(snippet: str) -> Markup:
    """A search snippet as HTML: the text escaped, the database's match markers (private
    use characters, see store/search.py) turned into <mark>, always balanced even when a
    hostile post carries the marker characters itself."""
    out: list[str] = []
    open_mark = False
    for part in re.split(f"([{MARK_START}{MARK_END}])", snippet):
        if part == MARK_START:
            if not open_mark:
                out.append("<mark>")
                open_mark = True
        elif part == MARK_END:
            if open_mark:
                out.append("</mark>")
                open_mark = False
        else:
            out.append(str(escape(part)))
    if open_mark:
        out.append("</mark>")
    return Markup("".join(out))


environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters["safe_link"] = safe_link
environment.filters["score"] = score
environment.filters["highlight"] = highlight
environment.globals["query"] = query


def flash(request: Request, message: str, kind: str = "info") -> None:
    messages = list(request.session.get("flash", []))
    messages.append([kind, message])
    request.session["flash"] = messages[-5:]


def render(
    request: Request, name: str, user: UserInfo | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    messages = request.session.pop("flash", []) if user is not None else []
    html = environment.get_template(name).render(
        request=request,
        user=user,
        csrf_token=csrf_token(request),
        messages=messages,
        locality=request.app.state.ctx.locality,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
