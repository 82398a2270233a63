"""The review app on a runtime, and retraining from analysts' reviews."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cohesion.jobs.classify import current_model_dir
from cohesion.jobs.events import configured_events
from cohesion.runtime import Runtime
from cohesion.store.engine import session_scope

if TYPE_CHECKING:
    from cohesion.review.retrain import ProcessRetrain


def review_app(runtime: Runtime, *, https_only: bool = False) -> Any:
    """The review web app on this runtime's database, with retraining wired in.

    The session secret is $COHESION_REVIEW_SECRET or review.secret_file (created 0600
    on first use).
    """
    from cohesion.review.app import create_app
    from cohesion.review.auth import load_or_create_secret

    settings = runtime.settings
    secret = load_or_create_secret(settings.resolve(settings.review.secret_file))
    return create_app(
        runtime.sessions,
        secret=secret,
        session_hours=settings.review.session_hours,
        https_only=https_only,
        retrain=retrain_in_child_process(runtime),
        locality=settings.locality.name,
        timezone=settings.locality.timezone,
        events=configured_events(runtime),
        coordination=settings.coordination,
        # The instance key opens the sealed links to original posts, each audited.
        privacy=runtime.pseudonymiser().post_privacy(
            keep_raw_links=settings.privacy.keep_raw_handles
        ),
    )


def serve_review(
    runtime: Runtime, host: str | None = None, port: int | None = None, *, https_only: bool = False
) -> None:
    """Run the review app until interrupted (binds to review.host, 127.0.0.1 by default)."""
    from cohesion.review.app import serve

    settings = runtime.settings.review
    serve(review_app(runtime, https_only=https_only), host or settings.host, port or settings.port)


def review_examples_as_records(examples: list[Any]) -> list[dict[str, Any]]:
    """Reviewed posts in the training schema of classify.data.

    Sub-labels an analyst left empty on a positive label are unknown (None), not "none".
    Reviews from the calibration queue (a uniform sample of the model's flags) get the
    split "review_calibration": training re-tunes thresholds on them instead of fitting
    on them; every other review is split "train".
    """
    from cohesion.taxonomy import LABELS

    records = []
    for ex in examples:
        flags = set(ex.flags)
        records.append(
            {
                "id": f"review:{ex.post_id}",
                "text": ex.text,
                "source_dataset": "reviews",
                **{label: int(label in flags) for label in LABELS},
                "targets": (list(ex.targets) or None) if "hate" in flags else [],
                "narratives": (list(ex.narratives) or None) if "anti_government" in flags else [],
                "threat_target": ex.threat_targets[0] if ex.threat_targets else None,
                "split": "review_calibration"
                if getattr(ex, "queue", "") == "calibration"
                else "train",
            }
        )
    return records


def reviewed_model_dir(runtime: Runtime) -> Path:
    """Where a retrain from reviews writes its model: a new `reviewed-<time>` folder next
    to the current model."""
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return current_model_dir(runtime).parent / f"reviewed-{stamp}"


def retrain_in_child_process(
    runtime: Runtime,
    *,
    data_dirs: Sequence[Path] | None = None,
    datasets: Sequence[str] | None = None,
) -> ProcessRetrain:
    """The review app's RetrainFn: `cohesion train --with-reviews --progress-json` in a
    child process of this Python, so that training never stalls the web process.

    The child reads the same config file and environment, with the database URL this
    runtime actually uses set on top; each run writes to a fresh reviewed_model_dir.
    """
    import sys

    from cohesion.review.retrain import ProcessRetrain
    from cohesion.review.retrain_protocol import child_argv

    def command() -> list[str]:
        return child_argv(
            sys.executable,
            runtime.settings.config_path,
            reviewed_model_dir(runtime).resolve(),
            [Path(data_dir).resolve() for data_dir in data_dirs or ()],
            list(datasets or ()),
        )

    env = {"COHESION_DATABASE__URL": runtime.engine.url.render_as_string(hide_password=False)}
    return ProcessRetrain(command, env=env)


def retrain_from_reviews(
    runtime: Runtime,
    out_dir: Path | None,
    progress: Callable[[str, float | None], None],
    *,
    data_dirs: list[Path] | None = None,
    datasets: Sequence[str] | None = None,
    trainer: Callable[..., Any] | None = None,
) -> Any:
    """Train a new model from the training data plus every reviewed post; register nothing.

    Confirmed posts keep the model's labels, corrected posts the analyst's, rejected posts
    are negatives. The model is written to `out_dir` (default: reviewed_model_dir, a new
    `reviewed-<time>` folder next to the current model) and returned as a
    review.retrain.TrainedModel for an admin to compare and activate. `datasets` limits
    the training data to those datasets (default: the trainer's).
    """
    from cohesion.review.retrain import TrainedModel
    from cohesion.store.decisions import reviewed_examples

    progress("collecting reviewed posts", 0.02)
    with session_scope(runtime.sessions) as session:
        examples = reviewed_examples(session)
    if not examples:
        raise ValueError("no reviewed posts yet: confirm, reject or correct some posts first")
    records = review_examples_as_records(examples)
    progress(f"{len(records)} reviewed posts exported as training examples", 0.05)
    if out_dir is None:
        out_dir = reviewed_model_dir(runtime)
    if not data_dirs:
        settings = runtime.settings
        data_dirs = [settings.resolve(settings.classifier.training_data)]
    from cohesion.classify.train import train as default_trainer

    if trainer is None:
        trainer = default_trainer
    options: dict[str, Any] = {"datasets": tuple(datasets)} if datasets else {}
    if trainer is default_trainer:
        options["target_precision"] = runtime.settings.classifier.target_precision
    model = trainer(
        data_dirs, records, out_dir, say=lambda message: progress(message, None), **options
    )
    progress("model written and evaluated", 1.0)
    decisions = {
        d: sum(1 for ex in examples if ex.decision == d) for d in ("confirm", "correct", "reject")
    }
    return TrainedModel(
        name=model.version,
        path=str(Path(out_dir).resolve()),
        metrics=dict(model.metrics),
        thresholds=dict(model.thresholds),
        training_summary={**dict(getattr(model, "card", {}) or {}), "reviews": decisions},
    )
