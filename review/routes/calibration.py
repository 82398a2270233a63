"""The calibration queue: the seeded random sample that measures precision, worked blind."""

from __future__ import annotations

from collections.abc import Mapping

from cohesion.review import calibration
from cohesion.review.context import app_context, db
from cohesion.review.rendering import render
from cohesion.review.security import Viewer
from cohesion.store.status import active_model
from cohesion.taxonomy import LABELS
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

router = APIRouter()


def window_of(request: Request, params: Mapping[str, str]) -> calibration.Window:
    try:
        return calibration.parse_window(params, app_context(request).timezone)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


@router.get("/calibration")
def calibration_queue(request: Request, user: Viewer) -> Response:
    window = window_of(request, request.query_params)
    with db(request) as session:
        model = active_model(session)
        queue = calibration.build_queue(session, model, window.weeks)
        model_name = model.name if model else None
    return render(
        request,
        "calibration.html",
        user,
        queue=queue,
        window=window,
        params=window.params(),
        model_name=model_name,
        labels=LABELS,
        strata=calibration.STRATA,
        stratum_names=calibration.STRATUM_NAMES,
        week_choices=sorted({*calibration.WEEK_CHOICES, window.count}),
    )
