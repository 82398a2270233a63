"""One post: its text with evidence, thread, scores and history; and the decision form.

From the calibration queue (`queue=calibration`) the page is blind: no flags, scores,
evidence, tags, watchlist or earlier decisions, and the form asks which labels apply
(review/calibration.py turns the answer into a decision)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl

from cohesion.classify.taxonomy import NARRATIVES, TARGETS, THREAT_TARGETS
from cohesion.review import calibration
from cohesion.review.context import app_context, client_ip, db
from cohesion.review.highlight import segments
from cohesion.review.inputs import PostId
from cohesion.review.rendering import flash, query, render
from cohesion.review.routes.calibration import window_of
from cohesion.review.routes.queue import (
    QUEUE_PATHS,
    coordinated_posts,
    filter_params,
    parse_filters,
)
from cohesion.review.security import Actor, Viewer
from cohesion.store import decisions, review_queries
from cohesion.store.audit import record_audit
from cohesion.store.models import REVIEW_DECISIONS
from cohesion.store.privacy import SealedLinkError
from cohesion.store.review_queries import ReviewInputError
from cohesion.store.status import active_model
from cohesion.store.users import UserInfo
from cohesion.taxonomy import LABELS
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

router = APIRouter()
VOCABULARY = {
    "flags": LABELS,
    "targets": TARGETS,
    "narratives": NARRATIVES,
    "threat_targets": THREAT_TARGETS,
}


async def form_data(request: Request) -> FormData:
    return await request.form()


def _queue_name(params: dict[str, str]) -> str:
    queue = params.get("queue") or "priority"
    if queue not in QUEUE_PATHS:
        raise HTTPException(status_code=400, detail="unknown queue")
    return queue


@router.get("/posts/{post_id}")
def post_page(request: Request, user: Viewer, post_id: PostId) -> Response:
    params = dict(request.query_params)
    queue, filters = _queue_name(params), parse_filters(params)
    blind = queue == "calibration"
    with db(request) as session:
        model = active_model(session)
        detail = review_queries.post_detail(session, post_id, model)
        if detail is None:
            raise HTTPException(status_code=404, detail="no such post")
        if blind:
            window = window_of(request, params)
            place = calibration.locate(session, model, window, post_id, detail.week_start)
            prev_id, next_id, in_sample = place.prev_id, place.next_id, place.in_sample
            back: dict[str, str | None] = dict(window.params())
        else:
            if filters.post_ids is not None:
                filters = coordinated_posts(request, session, model, filters)
            prev_id, next_id = review_queries.neighbours(session, model, queue, filters, post_id)
            back, in_sample = filter_params(queue, filters), False
    return render(
        request,
        "post.html",
        user,
        post=detail,
        segments=segments(detail.text, [] if blind else detail.evidence),
        blind=blind,
        in_sample=in_sample,
        queue=queue,
        back=back,
        back_query=query(**back),
        queue_path=QUEUE_PATHS[queue],
        prev_id=prev_id,
        next_id=next_id,
        vocabulary=VOCABULARY,
        labels=LABELS,
        decisions=REVIEW_DECISIONS,
    )


@router.post("/posts/{post_id}/original")
def open_original(request: Request, user: Actor, post_id: PostId) -> Response:
    """Open the sealed link to the original post for a logged-in analyst; audited.

    A POST with the CSRF token, never a GET, so that neither a prefetch nor a link
    from elsewhere opens a link, and every opening is one audit row (who, which post,
    from where). The link is shown on a page of its own, not redirected to: the
    analyst sees where it leads before following it, and can copy it to escalate.
    """
    privacy = app_context(request).privacy
    with db(request) as session:
        exists, sealed = review_queries.sealed_link_of(session, post_id)
        if not exists:
            raise HTTPException(status_code=404, detail="no such post")
        if sealed is None:
            raise HTTPException(status_code=404, detail="this post has no link to its original")
        if privacy is None:
            raise HTTPException(
                status_code=503, detail="the instance key is not available to the review app"
            )
        try:
            link = privacy.open(sealed)
        except SealedLinkError as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        record_audit(
            session,
            "open_original",
            user_id=user.id,
            actor=user.username,
            object_type="post",
            object_id=str(post_id),
            ip=client_ip(request),
        )
    return render(request, "original.html", user, post_id=post_id, link=link)


@router.post("/posts/{post_id}/decision")
def decide(
    request: Request, user: Actor, post_id: PostId, form: Annotated[FormData, Depends(form_data)]
) -> Response:
    context = dict(parse_qsl(str(form.get("back") or ""))[:20])
    queue, filters = _queue_name(context), parse_filters(context)
    if queue == "calibration":
        return _blind_decision(request, post_id, user, form, context)
    decision = str(form.get("decision") or "")
    correction = {key: [str(v) for v in form.getlist(f"c_{key}")] for key in VOCABULARY}
    for key, values in correction.items():
        unknown = set(values) - set(VOCABULARY[key])
        if unknown:
            raise HTTPException(
                status_code=400, detail=f"unknown {key}: {', '.join(sorted(unknown))}"
            )
    try:
        with db(request) as session:
            decisions.record_decision(
                session,
                post_id=post_id,
                user_id=user.id,
                actor=user.username,
                decision=decision,
                queue=queue,
                note=str(form.get("note") or ""),
                corrected_labels=correction if decision == "correct" else None,
                ip=client_ip(request),
            )
            model = active_model(session)
            if filters.post_ids is not None:
                filters = coordinated_posts(request, session, model, filters)
            _, next_id = review_queries.neighbours(session, model, queue, filters, post_id)
    except ReviewInputError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    except LookupError:
        raise HTTPException(status_code=404, detail="no such post") from None
    back = query(**filter_params(queue, filters))
    flash(request, f"Post {post_id}: {decision} saved.")
    if next_id is None:
        flash(request, "That was the last post in this queue view.")
        params = {k: v for k, v in filter_params(queue, filters).items() if k != "queue"}
        return RedirectResponse(f"{QUEUE_PATHS[queue]}?{query(**params)}", status_code=303)
    return RedirectResponse(f"/posts/{next_id}?{back}", status_code=303)


def _blind_decision(
    request: Request,
    post_id: int,
    user: UserInfo,
    form: FormData,
    context: dict[str, str],
) -> Response:
    """A calibration-queue answer: which labels apply (or escalate), recorded with
    queue="calibration"; then the next post of the sample that is still to review."""
    window = window_of(request, context)
    answer = str(form.get("decision") or "")
    checked = [str(v) for v in form.getlist("c_flags")]
    try:
        with db(request) as session:
            model = active_model(session)
            week = review_queries.week_of(session, post_id)
            if week is None:
                raise LookupError(post_id)
            place = calibration.locate(session, model, window, post_id, week, skip_current=True)
            if not place.in_sample:
                raise HTTPException(
                    status_code=400, detail="this post is not in the calibration sample shown"
                )
            flags = review_queries.model_flags(session, post_id, model)
            decision, labels = calibration.blind_decision(flags, answer, checked)
            decisions.record_decision(
                session,
                post_id=post_id,
                user_id=user.id,
                actor=user.username,
                decision=decision,
                queue="calibration",
                note=str(form.get("note") or ""),
                corrected_labels=labels,
                ip=client_ip(request),
            )
            next_id = place.next_id
    except (ReviewInputError, ValueError) as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    except LookupError:
        raise HTTPException(status_code=404, detail="no such post") from None
    back = query(**window.params())
    flash(request, f"Post {post_id}: saved for the calibration sample.")
    if next_id is None:
        flash(request, "That was the last post to review in this calibration view.")
        params = {k: v for k, v in window.params().items() if k != "queue"}
        return RedirectResponse(f"/calibration?{query(**params)}", status_code=303)
    return RedirectResponse(f"/posts/{next_id}?{back}", status_code=303)
