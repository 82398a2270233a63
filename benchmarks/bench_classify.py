"""Classifier throughput: `classify-file` on N synthetic posts, beside spaCy tokenisation.

Pinned to one CPU core (sched_setaffinity, BLAS threads 1). Both measurements run in
the same process on the same texts: `spacy.blank("en").pipe` tokenisation (the floor
any spaCy-based classifier pays) and the full `classify-file` path (JSONL in, model,
JSONL out). Peak memory is the process's maximum resident set size after each phase.

Also reported: the model directory's size on disk and the share of the demo corpus's
ordinary posts (demo/texts/ordinary.txt, as demo/corpus.py renders them) flagged with
each label: the issue #13 ceilings are 50 MB and 5% per label.

Run: `python benchmarks/bench_classify.py [--posts 100000] [--model models/default]`;
the last line is one JSON object.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import spacy  # noqa: E402
from cohesion import classify  # noqa: E402
from cohesion.classify.batch import classify_file  # noqa: E402

PARTS = [
    "the council meeting on {d} ran late again", "potholes on {s} Road are getting worse",
    "does anyone know when the pool opens", "Commissioner {n} voted against the budget",
    "great turnout at the {s} fair today 🎉", "the election office needs more poll workers",
    "this traffic is killing me lol", "someone should fix the lights on {s} Street",
    "vote them out in November", "#{s}Strong proud of our town", "@{n} thanks for the update",
    "the library is hosting a book sale https://example.org/sale", "deer season opens Saturday",
]  # fmt: skip
WORDS = ["Maple", "Oak", "Birch", "Cedar", "Elm", "Harbor", "Ridge", "Willow"]
NAMES = ["Pryor", "Okafor", "Lindqvist", "Batterbee", "Quenby"]
DAYS = ["Monday", "Tuesday", "Thursday"]


def synthetic_posts(n: int, seed: int = 11) -> list[str]:
    """Deterministic posts of 1-4 local-talk sentences (about 60-250 characters)."""
    rnd = random.Random(seed)
    posts = []
    for _ in range(n):
        sentences = [
            rnd.choice(PARTS).format(s=rnd.choice(WORDS), n=rnd.choice(NAMES), d=rnd.choice(DAYS))
            for _ in range(rnd.randint(1, 4))
        ]
        posts.append(". ".join(sentences))
    return posts


def model_dir_mb(path: Path) -> float:
    """Size on disk of the model directory (the issue's ceiling: 50 MB)."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def demo_ordinary_flag_rates(model: classify.Model) -> dict[str, float]:
    """Share of the demo corpus's ordinary posts flagged with each label (goal <= 5%)."""
    from cohesion.classify.prediction import LABELS
    from cohesion.demo.corpus import generate

    texts = [post.text for post in generate().posts if post.truth.kind == "ordinary"]
    preds = model.predict(texts)
    return {label: round(sum(label in p.flags for p in preds) / len(preds), 4) for label in LABELS}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    texts = synthetic_posts(args.posts)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        with src.open("w", encoding="utf-8") as handle:
            for i, text in enumerate(texts):
                handle.write(json.dumps({"id": i, "text": text}, ensure_ascii=False) + "\n")
        base_mb = peak_mb()

        nlp = spacy.blank("en")
        start = time.perf_counter()
        tokens = sum(len(doc) for doc in nlp.pipe(texts, batch_size=256))
        tokenise_s = time.perf_counter() - start

        start = time.perf_counter()
        model = classify.load_model(args.model)
        load_s = time.perf_counter() - start
        start = time.perf_counter()
        result = classify_file(src, dst, model)
        classify_s = time.perf_counter() - start
        assert result.lines == len(texts)
    ordinary = demo_ordinary_flag_rates(model)
    model_path = Path(args.model) if args.model else classify.DEFAULT_MODEL_DIR
    results: dict[str, float] = {
        "classify_file_posts_per_s": round(len(texts) / classify_s, 1),
        "spacy_blank_pipe_posts_per_s": round(len(texts) / tokenise_s, 1),
        "classify_vs_tokenise_ratio": round(tokenise_s / classify_s, 3),
        "model_load_s": round(load_s, 2),
        "peak_rss_mb": round(peak_mb(), 1),
        "rss_before_model_mb": round(base_mb, 1),
        "model_dir_mb": round(model_dir_mb(model_path), 2),
        **{f"demo_ordinary_flagged_{label}": rate for label, rate in ordinary.items()},
    }
    report = {"posts": len(texts), "tokens": tokens, "model": model.version,
              "results": results, "flagged": result.flagged}  # fmt: skip
    print(f"classify-file: {results['classify_file_posts_per_s']} posts/s on one core; "
          f"spacy.blank('en').pipe: {results['spacy_blank_pipe_posts_per_s']} posts/s; "
          f"peak RSS {results['peak_rss_mb']} MB; model directory "
          f"{results['model_dir_mb']} MB; demo ordinary posts flagged: "
          + ", ".join(f"{k} {v:.1%}" for k, v in ordinary.items()))  # fmt: skip
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
