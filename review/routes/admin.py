"""Admin pages: accounts and the audit log."""

from __future__ import annotations

from typing import Annotated

from cohesion.review import accounts
from cohesion.review.auth import WeakPasswordError
from cohesion.review.context import app_context, client_ip, db
from cohesion.review.rendering import flash, render
from cohesion.review.security import AdminActor, AdminViewer
from cohesion.store import audit
from cohesion.store.models import ROLES
from cohesion.store.review_queries import ReviewInputError
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

router = APIRouter(prefix="/admin")


@router.get("/users")
def users_page(request: Request, user: AdminViewer) -> Response:
    users = accounts.list_users(app_context(request).sessions)
    return render(request, "users.html", user, users=users, roles=ROLES)


@router.post("/users")
def create_user(
    request: Request,
    user: AdminActor,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1024)],
    role: Annotated[str, Form(max_length=20)] = "analyst",
) -> Response:
    try:
        created = accounts.add_user(
            app_context(request).sessions,
            username,
            password,
            role,
            actor=user.username,
            actor_id=user.id,
            ip=client_ip(request),
        )
    except (ReviewInputError, WeakPasswordError) as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, f"Created {created.role} {created.username}.")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{username}/{action}")
def toggle_user(request: Request, username: str, action: str, user: AdminActor) -> Response:
    if action not in ("disable", "enable"):
        return Response("unknown action", status_code=404)
    if action == "disable" and username.lower() == user.username.lower():
        flash(request, "You cannot disable your own account.", "error")
        return RedirectResponse("/admin/users", status_code=303)
    try:
        changed = accounts.set_disabled(
            app_context(request).sessions,
            username,
            action == "disable",
            actor=user.username,
            actor_id=user.id,
            ip=client_ip(request),
        )
    except LookupError as exc:
        flash(request, str(exc), "error")
    else:
        flash(
            request, f"{changed.username} is now {'disabled' if changed.disabled else 'enabled'}."
        )
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/audit")
def audit_page(request: Request, user: AdminViewer) -> Response:
    with db(request) as session:
        entries = audit.recent_audit(session, limit=300)
    return render(request, "audit.html", user, entries=entries)
