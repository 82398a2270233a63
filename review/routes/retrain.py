"""Admin: retrain from reviewed posts, watch progress, compare, then activate or discard."""

from __future__ import annotations

from typing import Any

from cohesion.review.context import app_context, client_ip, db
from cohesion.review.rendering import flash, render
from cohesion.review.retrain import compare_metrics
from cohesion.review.security import AdminActor, AdminViewer
from cohesion.store import audit, decisions
from cohesion.store.classifications import register_model_version
from cohesion.store.status import active_model
from cohesion.store.users import UserInfo
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

router = APIRouter(prefix="/admin/retrain")


def _status(request: Request, user: UserInfo, template: str) -> Response:
    manager = app_context(request).retrain
    state = manager.state()
    with db(request) as session:
        model = active_model(session)
        current: dict[str, Any] | None = None
        if model is not None:
            current = {"name": model.name, "metrics": dict(model.metrics or {})}
        reviewed = len(decisions.reviewed_examples(session)) if template == "retrain.html" else None
    rows = []
    if state.result is not None:
        rows = compare_metrics(current["metrics"] if current else {}, state.result.metrics)
    return render(
        request,
        template,
        user,
        state=state,
        current=current,
        rows=rows,
        available=manager.available,
        reviewed=reviewed,
    )


@router.get("")
def retrain_page(request: Request, user: AdminViewer) -> Response:
    return _status(request, user, "retrain.html")


@router.get("/status")
def retrain_status(request: Request, user: AdminViewer) -> Response:
    """The progress panel alone, polled by htmx while a run is going."""
    return _status(request, user, "_retrain_status.html")


@router.post("")
def start_retrain(request: Request, user: AdminActor) -> Response:
    if app_context(request).retrain.start(user.username):
        with db(request) as session:
            audit.record_audit(
                session,
                "retrain.start",
                user_id=user.id,
                actor=user.username,
                ip=client_ip(request),
            )
    else:
        flash(request, "A retrain is running or waiting for a decision already.", "error")
    return RedirectResponse("/admin/retrain", status_code=303)


@router.post("/activate")
def activate(request: Request, user: AdminActor) -> Response:
    result = app_context(request).retrain.take_result()
    if result is None:
        flash(request, "There is no finished model to activate.", "error")
        return RedirectResponse("/admin/retrain", status_code=303)
    with db(request) as session:
        version = register_model_version(
            session,
            result.name,
            path=result.path,
            training_summary=result.training_summary,
            metrics=result.metrics,
            thresholds=result.thresholds,
            activate=True,
        )
        audit.record_audit(
            session,
            "model.activate",
            user_id=user.id,
            actor=user.username,
            object_type="model_version",
            object_id=str(version.id),
            detail={"name": result.name, "path": result.path},
            ip=client_ip(request),
        )
    flash(
        request,
        f"Model {result.name} is now active. Run `cohesion classify` to score "
        "posts with it; until then the queues are empty.",
    )
    return RedirectResponse("/admin/retrain", status_code=303)


@router.post("/discard")
def discard(request: Request, user: AdminActor) -> Response:
    if app_context(request).retrain.discard():
        with db(request) as session:
            audit.record_audit(
                session,
                "retrain.discard",
                user_id=user.id,
                actor=user.username,
                ip=client_ip(request),
            )
    return RedirectResponse("/admin/retrain", status_code=303)
