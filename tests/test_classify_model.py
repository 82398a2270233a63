"""Train -> evaluate -> predict on a tiny committed corpus; persistence; bad inputs."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from cohesion import classify
from cohesion.classify.evaluate import evaluate
from cohesion.classify.evidence import rule_evidence
from cohesion.classify.normalize import normalize
from cohesion.classify.prediction import LABELS, Prediction
from cohesion.classify.train import train

TINY = Path(__file__).parent / "fixtures" / "classify" / "tiny.jsonl"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> classify.Model:
    out = tmp_path_factory.mktemp("models") / "tiny"
    return train([TINY], None, out, datasets=("tiny",), examples_file=None, say=lambda _m: None)


def test_smoke_train_evaluate_predict(tiny_model: classify.Model, tmp_path: Path) -> None:
    metrics = tiny_model.metrics
    assert set(metrics["labels"]) == set(LABELS)
    assert metrics["labels"]["threat"]["all"]["support"] > 0
    result = evaluate(
        tiny_model, [TINY], datasets=["tiny"], out=tmp_path / "m.json", hardcases=None
    )
    written = json.loads((tmp_path / "m.json").read_text())
    assert (
        written["labels"]["threat"]["all"]["support"]
        == metrics["labels"]["threat"]["all"]["support"]
    )
    assert result["model"] == tiny_model.version
    preds = tiny_model.predict(
        ["Someone should hang Mayor Quenby from a tree outside city hall", "lovely day at the fair"]
    )
    assert "threat" in preds[0].flags and preds[1].flags == []


def test_round_trip_without_pickle(tiny_model: classify.Model, tmp_path: Path) -> None:
    tiny_model.save(tmp_path / "copy")
    files = {p.name for p in (tmp_path / "copy").iterdir()}
    assert files == {"config.json", "lexicons.json", "thresholds.json", "weights.npz"}
    with zipfile.ZipFile(tmp_path / "copy" / "weights.npz") as npz:
        for name in npz.namelist():
            with npz.open(name) as member:
                # .npy header: an object array would be pickled; every array here is numeric.
                assert b"'descr': '|O'" not in member.read(200)
    with np.load(tmp_path / "copy" / "weights.npz", allow_pickle=False) as npz:
        assert npz["data"].dtype == np.float32
    copy = classify.load_model(tmp_path / "copy")
    texts = ["Someone should shoot Judge Marwick", "I disagree with the budget"]
    assert [p.scores for p in copy.predict(texts)] == [p.scores for p in tiny_model.predict(texts)]


def test_evidence_spans_point_into_the_original(tiny_model: classify.Model) -> None:
    text = "Someone should h a n g Clerk Rossiter from a tree!!! She lives at 14 Willow Lane"
    pred = tiny_model.predict([text])[0]
    assert pred.flags
    for label in pred.flags:
        spans = [e for e in pred.evidence if e.label == label]
        assert spans, f"no evidence for {label}"
    for e in pred.evidence:
        assert 0 <= e.start < e.end <= len(text)
        assert text[e.start : e.end].strip()
    norm = normalize(text)
    doc = tiny_model.nlp(norm.text)
    spans = rule_evidence("doxxing", doc._.hits, norm)
    assert text[spans[0].start : spans[0].end] == "14 Willow Lane"
    assert spans[0].reason == "doxxing: street address"
    [threat] = rule_evidence("threat", doc._.hits, norm)[:1]
    assert text[threat.start : threat.end] == "Someone should h a n g"


@pytest.mark.parametrize(
    "text",
    ["", "   ", None, b"\x00\xff\xfe binary \x01", "\x00\x01\x02\x03", "🔥🔥🔥", 12345],
)
def test_bad_inputs_give_sane_output(tiny_model: classify.Model, text: object) -> None:
    [pred] = tiny_model.predict([text])
    assert isinstance(pred, Prediction)
    assert set(pred.scores) == set(LABELS)
    assert pred.flags == [] or all(0.0 <= pred.scores[k] <= 1.0 for k in LABELS)
    json.dumps(pred.to_json("x", tiny_model.version))


def test_empty_text_scores_zero(tiny_model: classify.Model) -> None:
    [pred] = tiny_model.predict([""])
    assert pred.flags == [] and all(v == 0.0 for v in pred.scores.values())


def test_megabyte_text_is_truncated_not_fatal(tiny_model: classify.Model) -> None:
    text = "Someone should hang Mayor Quenby. " + "the fair was nice. " * 60_000
    assert len(text) > 1_000_000
    [pred] = tiny_model.predict([text])
    assert all(e.end <= classify.MAX_CHARS for e in pred.evidence)


def test_non_english_gets_no_flags(tiny_model: classify.Model) -> None:
    text = "Alguien debería colgar al alcalde Quenby de un árbol frente al ayuntamiento de Tolland"
    [pred] = tiny_model.predict([text])
    assert pred.language == "es"
    assert pred.flags == []


def test_predict_streams_any_iterable(tiny_model: classify.Model) -> None:
    texts = (f"post number {i} about the fair" for i in range(300))
    preds = list(tiny_model.iter_predict(texts, batch_size=64))
    assert len(preds) == 300


def test_missing_and_corrupt_model_dirs(tiny_model: classify.Model, tmp_path: Path) -> None:
    with pytest.raises(classify.ModelLoadError, match="does not exist"):
        classify.load_model(tmp_path / "nowhere")
    tiny_model.save(tmp_path / "broken")
    (tmp_path / "broken" / "weights.npz").write_bytes(b"not a zip file")
    with pytest.raises(classify.ModelLoadError, match="corrupt"):
        classify.load_model(tmp_path / "broken")
    tiny_model.save(tmp_path / "partial")
    (tmp_path / "partial" / "thresholds.json").unlink()
    with pytest.raises(classify.ModelLoadError, match="missing thresholds.json"):
        classify.load_model(tmp_path / "partial")
    tiny_model.save(tmp_path / "badjson")
    (tmp_path / "badjson" / "config.json").write_text("{not json")
    with pytest.raises(classify.ModelLoadError) as info:
        classify.load_model(tmp_path / "badjson")
    assert "\n" not in str(info.value)


def test_gazetteer_drives_places_without_retraining(
    tiny_model: classify.Model, tmp_path: Path
) -> None:
    tiny_model.save(tmp_path / "m")
    model = classify.load_model(
        tmp_path / "m",
        gazetteer=[{"name": "Greyfield", "aliases": ["Greyfield Township"], "kind": "city"}],
        watchlist=[{"name": "Clerk Rossiter", "aliases": ["Rossiter"], "kind": "official"}],
    )
    [pred] = model.predict(["The Greyfield Township board met; Rossiter spoke"])
    assert pred.places == ["Greyfield"]
    assert pred.watchlist == ["Clerk Rossiter"]


def test_card_has_baseline_targets_families_and_curves(
    tiny_model: classify.Model, tmp_path: Path
) -> None:
    from cohesion.classify.card import markdown, write_curves
    from cohesion.classify.data import load_examples

    metrics = tiny_model.metrics
    assert set(metrics["baseline"]["labels"]) == set(LABELS)  # trained by the same command
    assert "average_precision" in metrics["labels"]["threat"]["all"]
    assert metrics["curves"]["threat"] == "pr_threat.png"
    sources = tiny_model.card["threshold_sources"]
    assert set(sources) == set(LABELS)
    for label, src in sources.items():
        assert src["threshold"] == tiny_model.thresholds[label]
        assert src["target_precision"] > 0 and src["threshold_rule"]
    assert {"lr", "nblr", "ensemble"} <= set(tiny_model.card["families"]["threat"])
    text = markdown(tiny_model.card)
    for section in ("## Targets", "baseline P / R / F1", "## Model families", "](pr_threat.png)"):
        assert section in text
    examples, _ = load_examples([TINY], ["tiny"], examples_file=None)
    drawn = write_curves(tmp_path, tiny_model, [ex for ex in examples if ex.split == "test"])
    assert drawn and all(
        (tmp_path / name).read_bytes()[:4] == b"\x89PNG" for name in drawn.values()
    )
